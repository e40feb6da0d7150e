#!/bin/sh
# SPDX-License-Identifier: MIT
# `promtool check metrics` (Prometheus' own linter: naming, units, _total
# counters, histogram shape) on the live /metrics of every node of a
# 3-node cluster after writes through the leader and a follower, a
# refused request and a read, so the labelled series and the latency
# histograms are there. Skips (77) when promtool is not installed
# (Debian package "prometheus"; .ci/deps.sh installs it).
SKV_TEST=promtool
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
PROMTOOL=${PROMTOOL:-$(command -v promtool)}
if [ -z "$PROMTOOL" ]; then
    echo "SKIP: promtool not found (apt-get install prometheus)"
    exit 77
fi

skv_setup 3
D=$SKV_DIR
for i in 1 2 3; do skv_start "$i"; done
skv_wait 20 "a leader is elected" skv_leader
for k in $(seq 1 10); do
    skv_cli $((k % 3 + 1)) put "m$k" "v$k" >/dev/null || skv_fail "put m$k"
done
curl -s -o /dev/null -X PUT --data-binary x "$(skv_endpoint 1)/v1/kv/m1?ttl=5"
curl -s -o /dev/null "$(skv_endpoint 2)/v1/kv/m1?consistency=local"
curl -s -o /dev/null "$(skv_endpoint 3)/nowhere"
skv_wait_caught_up 1 2 3
for i in 1 2 3; do
    curl -s "$(skv_endpoint "$i")/metrics" >"$D/metrics$i"
    skv_assert "node $i: /metrics has samples" grep -q '^sealkv_raft_term ' "$D/metrics$i"
    if "$PROMTOOL" check metrics <"$D/metrics$i" >"$D/promtool$i" 2>&1; then
        skv_log "ok: node $i: promtool check metrics is clean"
        SKV_CHECKS=$((SKV_CHECKS + 1))
    else
        cat "$D/promtool$i"
        skv_fail "node $i: promtool check metrics"
    fi
done
skv_finish
