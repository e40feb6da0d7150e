#!/bin/sh
# SPDX-License-Identifier: MIT
# A standby added later catches up through an installed snapshot (small
# snapshot_threshold/trailing so the leader's log no longer has index 1);
# then it is promoted to voter; then removed.
SKV_TEST=standby_snapshot
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

SKV_BOOT=3 SKV_SNAP_THRESHOLD=16 SKV_SNAP_TRAILING=4
export SKV_BOOT SKV_SNAP_THRESHOLD SKV_SNAP_TRAILING
skv_setup 4
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader is elected" skv_leader
L=$(skv_leader)
for k in $(seq 1 60); do skv_cli "$L" put "key$k" "value$k" >/dev/null || skv_fail "put key$k"; done

skv_start 4
skv_assert "node 4 waits to be added (follower, no leader known yet)" skv_wait 10 "node 4 answers status" skv_status_field 4 id
skv_assert "add node 4 as standby" skv_cli 2 members add 4 "127.0.0.1:$(skv_rport 4)" --standby
skv_wait 30 "standby catches up through the snapshot" skv_all_local_eq key60 value60 4
SKV_RETRY=0 skv_get_eq 4 key1 value1 --local || skv_fail "standby misses key1"
skv_assert "node 4 caught up by installing a snapshot" grep -q "installing snapshot from the leader" "$SKV_DIR/n4.log"
skv_assert "members lists node 4 as standby" sh -c "\"$SEALKV\" --endpoint $(skv_endpoint 1) --json members | grep -q '\"id\":4,\"address\":\"[^\"]*\",\"role\":\"standby\"'"

skv_assert "promote node 4 to voter" skv_cli "$L" members promote 4
skv_wait 15 "4 voters" sh -c "[ \"\$(\"$SEALKV\" --endpoint $(skv_endpoint 1) --json members | grep -o '\"role\":\"voter\"' | wc -l)\" -eq 4 ]"
skv_assert "remove node 4" skv_cli 1 members remove 4
skv_wait 15 "3 members after removal" sh -c "[ \"\$(\"$SEALKV\" --endpoint $(skv_endpoint 1) --json members | grep -o '\"role\":' | wc -l)\" -eq 3 ]"
skv_finish
