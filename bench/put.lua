-- SPDX-License-Identifier: MIT
-- wrk script: distinct-key writes to sealkv, PUT /v1/kv/{key} with the raw
-- value as the body (binary-safe, no base64: that is sealkv's KV API).
--
--   wrk -t2 -c64 -d10s --latency -s put.lua http://127.0.0.1:PORT -- [tag] [value_bytes]
--
-- key = "bench/<tag>/<thread>/<counter>" (never repeats within a run), value
-- = value_bytes (default 256) random bytes made once per thread. Same key
-- scheme, value size and RESULT line as ../shared/bench/etcd/put.lua, so the
-- two are compared like for like. done() prints one "RESULT ..." line.
-- With a third argument N (seed mode) every thread cycles through the keys
-- "bench/<tag>/k1" .. "bench/<tag>/kN" instead (the key set get.lua reads).

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "wrk_common.lua")
setup, done = common.setup, common.done

local value, next_key

function init(args)
    value, next_key = common.writer(args, "/v1/kv/bench/")
    wrk.method = "PUT"
    wrk.headers["Content-Type"] = "application/octet-stream"
end

function request()
    return wrk.format("PUT", next_key(), nil, value)
end
