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

local next_id = 0
function setup(thread)
    next_id = next_id + 1
    thread:set("tid", next_id)
end

local prefix, value, counter, seed = nil, nil, 0, nil

function init(args)
    local tag = args[1] or tostring(os.time())
    local nbytes = tonumber(args[2] or "256")
    math.randomseed(os.time() + (tid or 0) * 7919)
    local bytes = {}
    for i = 1, nbytes do bytes[i] = string.char(math.random(0, 255)) end
    value = table.concat(bytes)
    prefix = "/v1/kv/bench/" .. tag .. "/" .. tostring(tid or 0) .. "/"
    seed = tonumber(args[3] or "")
    if seed then prefix = "/v1/kv/bench/" .. tag .. "/k" end
    wrk.method = "PUT"
    wrk.headers["Content-Type"] = "application/octet-stream"
end

function request()
    counter = counter + 1
    if seed then return wrk.format("PUT", prefix .. ((counter - 1) % seed + 1), nil, value) end
    return wrk.format("PUT", prefix .. counter, nil, value)
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
