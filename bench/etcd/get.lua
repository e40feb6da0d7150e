-- SPDX-License-Identifier: MIT
-- wrk script: linearizable reads through etcd's v3 JSON gateway, the twin
-- of bench/get.lua (same key set, written beforehand by put.lua in seed
-- mode: "bench/<tag>/k1" .. "bench/<tag>/kN").
--
--   wrk -t2 -c64 -d10s --latency -s get.lua http://127.0.0.1:PORT -- <tag> <nkeys>
--
-- Each request is POST /v3/kv/range {"key": base64(key)} (etcd's default
-- range is linearizable, like sealkv's default GET). The bodies are made
-- once per thread in init(). done() prints the same "RESULT ..." line.

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../wrk_common.lua")
setup, done = common.setup, common.done

local bodies, next_k = {}, nil

function init(args)
    local tag = args[1] or "seed"
    local nkeys = tonumber(args[2] or "1000")
    for i = 1, nkeys do
        bodies[i] = '{"key":"' .. common.b64("bench/" .. tag .. "/k" .. i) .. '"}'
    end
    next_k = common.reader(nkeys)
    common.etcd_gateway("/v3/kv/range")
end

function request()
    return wrk.format(nil, nil, nil, bodies[next_k()])
end
