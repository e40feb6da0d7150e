-- SPDX-License-Identifier: MIT
-- wrk script: distinct-key writes through etcd's v3 JSON gateway.
--
--   wrk -t2 -c64 -d20s --latency -s put.lua http://127.0.0.1:23791 -- [tag] [value_bytes]
--
-- Each request is  POST /v3/kv/put  {"key": base64(key), "value": base64(value)}
-- with key = "bench/<tag>/<thread>/<counter>" (never repeats within a run;
-- use a new tag per run to keep runs distinct) and a value of value_bytes
-- (default 256) random bytes, generated once per thread, sent base64-encoded.
-- done() prints one machine-readable "RESULT ..." line for run.sh.
--
-- Copied from ../shared/bench/etcd/put.lua; the one addition is seed mode
-- (a third argument N: every thread cycles through the keys
-- "bench/<tag>/k1" .. "bench/<tag>/kN", the key set get.lua reads).

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "../wrk_common.lua")
setup, done = common.setup, common.done

local value_b64, next_key

function init(args)
    local value
    value, next_key = common.writer(args, "bench/")
    value_b64 = common.b64(value)
    common.etcd_gateway("/v3/kv/put")
end

function request()
    local body = '{"key":"' .. common.b64(next_key()) .. '","value":"' .. value_b64 .. '"}'
    return wrk.format(nil, nil, nil, body)
end
