-- SPDX-License-Identifier: MIT
-- wrk script: linearizable reads from sealkv, GET /v1/kv/{key} (served by
-- the leader after a batched raft barrier), over a key set written by
-- bench/run beforehand: "bench/<tag>/k<i>" for i in 1..nkeys.
--
--   wrk -t2 -c64 -d10s --latency -s get.lua http://127.0.0.1:PORT -- <tag> <nkeys> [local]
--
-- With a third argument "local", reads use ?consistency=local. done()
-- prints the same "RESULT ..." line as put.lua.

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_common.lua")
setup, done = common.setup, common.done

local prefix, suffix, next_k = nil, "", nil

function init(args)
    prefix = "/v1/kv/bench/" .. (args[1] or "seed") .. "/k"
    next_k = common.reader(tonumber(args[2] or "1000"))
    if args[3] == "local" then suffix = "?consistency=local" end
    wrk.method = "GET"
end

function request()
    return wrk.format("GET", prefix .. next_k() .. suffix)
end
