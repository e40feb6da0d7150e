#!/bin/sh
# SPDX-License-Identifier: MIT
# SIGKILL of the leader: a new leader within a few election timeouts, no
# acknowledged write lost, the old leader restarts and catches up.
SKV_TEST=failover
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

skv_setup 3
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader is elected" skv_leader
L=$(skv_leader)
acked=""
for k in 1 2 3 4 5 6 7 8 9 10; do
    if skv_cli "$L" put "k$k" "v$k" >/dev/null; then acked="$acked $k"; fi
done
skv_assert "10 writes acknowledged before the crash" [ "$(echo $acked | wc -w)" -eq 10 ]

skv_stop "$L" KILL
t0=$(date +%s)
skv_wait 15 "a new leader among the survivors" skv_leader
L2=$(skv_leader)
skv_log "new leader $L2 after $(( $(date +%s) - t0 ))s"
skv_assert "new leader differs from the killed one" [ "$L2" != "$L" ]

for k in 11 12 13 14 15; do
    if skv_cli "$L2" put "k$k" "v$k" >/dev/null; then acked="$acked $k"; fi
done
for k in $acked; do
    skv_get_eq "$L2" "k$k" "v$k" || skv_fail "acknowledged write k$k lost"
done
skv_assert "every acknowledged write readable on the new leader" [ "$SKV_FAILS" -eq 0 ]

skv_start "$L"
skv_wait 30 "old leader catches up (local read of a post-crash write)" skv_all_local_eq k15 v15 "$L"
for k in $acked; do
    SKV_RETRY=0 skv_get_eq "$L" "k$k" "v$k" --local || skv_fail "restarted node misses k$k"
done
skv_assert "restarted node has every acknowledged write" [ "$SKV_FAILS" -eq 0 ]
skv_finish
