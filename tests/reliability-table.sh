#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/reliability-table.sh — fill docs/RELIABILITY.md from real runs:
# runs the fault scenarios (make check-faults) RUNS times in BUILD_DIR (a
# build configured with --enable-fault-injection), keeps every run's
# RELIABILITY lines in BUILD_DIR/reliability.txt, and prints one markdown
# table row per scenario: runs, acknowledged writes, lost writes,
# linearizability verdicts, halts (sums over the runs).
# Usage: tests/reliability-table.sh BUILD_DIR [RUNS (3)] [--no-run]
set -u
dir=${1:?usage: reliability-table.sh BUILD_DIR [RUNS] [--no-run]}
runs=${2:-3}
out="$dir/reliability.txt"
if [ "${3:-}" != --no-run ]; then
    : >"$out"
    r=1
    while [ "$r" -le "$runs" ]; do
        echo "== run $r of $runs" >&2
        make -C "$dir" check-faults >"$dir/reliability-run$r.log" 2>&1 ||
            echo "   (run $r: some scenario failed, see $dir/reliability-run$r.log)" >&2
        grep -h '^RELIABILITY ' "$dir"/tests/integration/test_fault_*.sh.log >>"$out"
        r=$((r + 1))
    done
fi
awk '
function field(name,   i, kv) {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == name) return kv[2] }
    return ""
}
{
    s = field("scenario")
    if (!(s in runs)) order[n++] = s
    runs[s]++; acked[s] += field("acked"); lost[s] += field("lost")
    halts[s] += field("halts"); ops[s] += field("ops"); info[s] += field("info")
    lin[s, field("lin")]++
}
END {
    print "| scenario | runs | operations | acknowledged writes | lost writes | linearizability | halts |"
    print "|---|---|---|---|---|---|---|"
    for (i = 0; i < n; i++) {
        s = order[i]; v = ""
        if (lin[s, "ok"]) v = v lin[s, "ok"] "/" runs[s] " ok"
        if (lin[s, "fail"]) v = v (v ? ", " : "") lin[s, "fail"] "/" runs[s] " rejected"
        if (lin[s, "unknown"]) v = v (v ? ", " : "") lin[s, "unknown"] "/" runs[s] " no verdict"
        printf "| %s | %d | %d (%d unknown outcome) | %d | %d | %s | %d |\n", s, runs[s], ops[s], info[s], acked[s], lost[s], v, halts[s]
    }
}' "$out"
