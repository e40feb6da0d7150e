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

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function b64(s)
    local out, n = {}, #s
    for i = 1, n, 3 do
        local a, b, c = s:byte(i, i + 2)
        local v = a * 65536 + (b or 0) * 256 + (c or 0)
        local c1 = math.floor(v / 262144) % 64
        local c2 = math.floor(v / 4096) % 64
        local c3 = math.floor(v / 64) % 64
        local c4 = v % 64
        out[#out + 1] = b64chars:sub(c1 + 1, c1 + 1) .. b64chars:sub(c2 + 1, c2 + 1)
            .. (b and b64chars:sub(c3 + 1, c3 + 1) or "=")
            .. (c and b64chars:sub(c4 + 1, c4 + 1) or "=")
    end
    return table.concat(out)
end

-- main state: hand each thread a distinct id
local next_id = 0
function setup(thread)
    next_id = next_id + 1
    thread:set("tid", next_id)
end

-- per-thread state
local prefix, value_b64, counter, seed = nil, nil, 0, nil

function init(args)
    local tag = args[1] or tostring(os.time())
    local nbytes = tonumber(args[2] or "256")
    math.randomseed(os.time() + (tid or 0) * 7919)
    local bytes = {}
    for i = 1, nbytes do bytes[i] = string.char(math.random(0, 255)) end
    value_b64 = b64(table.concat(bytes))
    prefix = "bench/" .. tag .. "/" .. tostring(tid or 0) .. "/"
    seed = tonumber(args[3] or "")
    if seed then prefix = "bench/" .. tag .. "/k" end
    wrk.method = "POST"
    wrk.path = "/v3/kv/put"
    wrk.headers["Content-Type"] = "application/json"
end

function request()
    counter = counter + 1
    local key = seed and (prefix .. ((counter - 1) % seed + 1)) or (prefix .. counter)
    local body = '{"key":"' .. b64(key) .. '","value":"' .. value_b64 .. '"}'
    return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
    local e = summary.errors
    local secs = summary.duration / 1e6
    io.write(string.format(
        "RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f mean_ms=%.3f non2xx=%d err_connect=%d err_read=%d err_write=%d err_timeout=%d\n",
        summary.requests, secs, summary.requests / secs,
        latency:percentile(50) / 1000, latency:percentile(90) / 1000,
        latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
        latency.max / 1000, latency.mean / 1000,
        e.status, e.connect, e.read, e.write, e.timeout))
end
