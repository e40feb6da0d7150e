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

local next_id = 0
function setup(thread)
    next_id = next_id + 1
    thread:set("tid", next_id)
end

local bodies, nkeys, counter = {}, 1, 0

function init(args)
    local tag = args[1] or "seed"
    nkeys = tonumber(args[2] or "1000")
    for i = 1, nkeys do
        bodies[i] = '{"key":"' .. b64("bench/" .. tag .. "/k" .. i) .. '"}'
    end
    counter = (tid or 0) * 7919
    wrk.method = "POST"
    wrk.path = "/v3/kv/range"
    wrk.headers["Content-Type"] = "application/json"
end

function request()
    counter = counter + 1
    return wrk.format(nil, nil, nil, bodies[(counter % nkeys) + 1])
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
