-- SPDX-License-Identifier: MIT
-- wrk_common.lua — what the four wrk scripts (put.lua, get.lua and their
-- etcd/ twins) share: thread ids, the random value and key scheme of the
-- writers, the readers' key order, etcd's JSON gateway (POST, base64), and
-- done()'s one "RESULT ..." line that bench/run parses. Each script loads
-- it from its own directory (wrk runs the script once per thread and once
-- for setup/done; each run loads its own copy):
--
--   local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./")
--                         .. "wrk_common.lua")       -- "../" from etcd/

local M = {}

-- setup(): hand each thread a distinct id (global `tid` in the thread)
local next_id = 0
function M.setup(thread)
    next_id = next_id + 1
    thread:set("tid", next_id)
end

-- The writers' value and keys, from wrk's arguments [tag] [value_bytes]
-- [N]: value_bytes (default 256) random bytes made once per thread; keys
-- root .. "<tag>/<thread>/<counter>" (never repeating within a run) or,
-- with N (seed mode), root .. "<tag>/k1" .. "<tag>/kN" in turn. Returns
-- the value and a function giving the next key.
function M.writer(args, root)
    local tag = args[1] or tostring(os.time())
    local nbytes = tonumber(args[2] or "256")
    math.randomseed(os.time() + (tid or 0) * 7919)
    local bytes = {}
    for i = 1, nbytes do bytes[i] = string.char(math.random(0, 255)) end
    local prefix = root .. tag .. "/" .. tostring(tid or 0) .. "/"
    local seed = tonumber(args[3] or "")
    if seed then prefix = root .. tag .. "/k" end
    local counter = 0
    return table.concat(bytes), function()
        counter = counter + 1
        if seed then return prefix .. ((counter - 1) % seed + 1) end
        return prefix .. counter
    end
end

-- The readers' key numbers 1..nkeys in turn, each thread from its own
-- offset: a function giving the next one.
function M.reader(nkeys)
    local counter = (tid or 0) * 7919
    return function()
        counter = counter + 1
        return (counter % nkeys) + 1
    end
end

-- etcd's v3 JSON gateway: every request a POST of JSON to `path`
function M.etcd_gateway(path)
    wrk.method = "POST"
    wrk.path = path
    wrk.headers["Content-Type"] = "application/json"
end

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

function M.b64(s)
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

-- done(): one machine-readable "RESULT ..." line (bench/run's wrk_point)
function M.done(summary, latency, requests)
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

return M
