#!/bin/sh
# SPDX-License-Identifier: MIT
# A standby joins during Phase 2: a 3-node encrypted cluster over the
# chaos transport with Phase 1 on and recording clients on every voter;
# node 4 (encrypted, empty data dir, empty cluster block) waits to be
# added. enable-raft-envelope is POSTed and, while it runs, node 4 is
# added as a standby (the CLI retries ErrEnvelopeCutoverInProgress);
# writes continue, node 4 joins the clients' endpoints (its linearizable
# reads and its writes are forwarded), catches up (by snapshot: a low
# snapshot threshold) and adopts the one cutover index, applies wrapped
# entries, and at the end its local state equals the leader's key by key.
# Nobody halts; the history is linearizable with no acknowledged write
# lost; the offline verify of every stopped node passes.
SKV_TEST=fault-standby-join
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
. "$S/tests/integration/faults_lib.sh"
fl_require

SKV_TRANSPORT=chaos
SKV_ENC_NODES="1 2 3 4"
SKV_BOOT=3 SKV_SNAP_THRESHOLD=128 SKV_SNAP_TRAILING=16
name=standby-join-phase2
fl_setup 4
for i in 1 2 3 4; do skv_start "$i"; done
L=$(fl_wait_leader 30 1 2 3) || { skv_fail "no leader"; skv_finish; exit 1; }
skv_wait 10 "node 4 answers" fl_field 4 id
skv_assert "phase 1 on" [ "$(fl_post "$L" enable-storage-envelope)" = 200 ]
FL_HIST="$SKV_DIR/history" FL_KEY_PREFIX="$name-k"
fl_load_start "$name-a" 1 2 3
skv_assert "load is flowing" fl_wait_ops "$name-a" 300 30

(curl -s -m 60 -o "$SKV_DIR/resp-cut" -w '%{http_code}' -X POST \
    "$(skv_endpoint "$L")/v1/encryption/enable-raft-envelope" >"$SKV_DIR/code-cut") &
CUTP=$!
"$SEALKV" --endpoint "$(skv_endpoint 2)" --retry 30 members add 4 "127.0.0.1:$(skv_rport 4)" --standby \
    >"$SKV_DIR/add.out" 2>&1
arc=$?
wait "$CUTP"
skv_assert "the cutover under load answers 200 ($(cat "$SKV_DIR/code-cut"))" [ "$(cat "$SKV_DIR/code-cut")" = 200 ]
skv_assert "node 4 added as a standby during Phase 2 (exit $arc: $(tr '\n' ' ' <"$SKV_DIR/add.out"))" [ $arc = 0 ]
N=$(grep -o '"applied_index":[0-9]*' "$SKV_DIR/resp-cut" | cut -d: -f2)
skv_log "cutover index $N"
FL_CLIENTS=2 fl_load_start "$name-b" 4 1
skv_assert "writes continue with the standby in the endpoints" fl_wait_ops "$name-a" 300 30
skv_assert "node 4 caught up" fl_wait_caught_up 30 1 2 3 4
skv_assert "node 4 adopted cutover $N" [ "$(fl_enc 4 raft_envelope_cutover_index)" = "$N" ]
skv_assert "node 4 wraps too" [ "$(fl_enc 4 wrap_on_propose)" = true ]
skv_assert "node 4 is a standby" sh -c "curl -s -m 2 $(skv_endpoint 1)/v1/status | grep -q '\"id\":4,[^}]*\"role\":\"standby\"'"
if grep -q "installing snapshot from the leader" "$SKV_DIR/n4.log"; then
    skv_log "node 4 caught up from a snapshot"
else
    skv_log "node 4 caught up from the log"
fi
fl_load_stop "$name-a"
fl_load_stop "$name-b"
skv_assert "all caught up" fl_wait_caught_up 30 1 2 3 4
L=$(fl_wait_leader 10 1 2 3)
same=0
for k in 0 1 2; do
    a=$(curl -s -m 2 "$(skv_endpoint "$L")/v1/kv/$name-k$k?consistency=local")
    b=$(curl -s -m 2 "$(skv_endpoint 4)/v1/kv/$name-k$k?consistency=local")
    [ "$a" = "$b" ] && same=$((same + 1))
done
skv_assert "node 4's local state equals the leader's ($same of 3 keys)" [ $same = 3 ]
fl_final_read 1 2 3 4
fl_verdict "$name"
fl_verify_offline "$name" 1 2 3 4
skv_finish
