-- SPDX-License-Identifier: MIT
-- wrk script: linearizable reads from sealkv, GET /v1/kv/{key} (served by
-- the leader after a batched raft barrier), over a key set written by
-- bench/run beforehand: "bench/<tag>/k<i>" for i in 1..nkeys.
--
--   wrk -t2 -c64 -d10s --latency -s get.lua http://127.0.0.1:PORT -- <tag> <nkeys> [local]
--
-- With a third argument "local", reads use ?consistency=local. done()
-- prints the same "RESULT ..." line as put.lua.

local next_id = 0
function setup(thread)
    next_id = next_id + 1
    thread:set("tid", next_id)
end

local prefix, nkeys, suffix, counter = nil, 1, "", 0

function init(args)
    prefix = "/v1/kv/bench/" .. (args[1] or "seed") .. "/k"
    nkeys = tonumber(args[2] or "1000")
    if args[3] == "local" then suffix = "?consistency=local" end
    counter = (tid or 0) * 7919
    wrk.method = "GET"
end

function request()
    counter = counter + 1
    return wrk.format("GET", prefix .. ((counter % nkeys) + 1) .. suffix)
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
