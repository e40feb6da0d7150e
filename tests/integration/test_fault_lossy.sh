#!/bin/sh
# SPDX-License-Identifier: MIT
# A lossy, slow network during Phase 2: a 3-node encrypted cluster over
# the chaos transport with Phase 1 on and recording clients on every
# node; every node drops 3% of its frames and delays the rest by 20 ms,
# both directions, while enable-raft-envelope runs (retried until it
# succeeds: a lost probe frame fails the capability gate, which does not
# retransmit) and writes continue; then the network heals. (A lost
# forwarded proposal or its answer is not retransmitted either: the
# client times out and records an unknown outcome, which is why the loss
# rate is modest.) One cutover
# index everywhere, wrap-on-propose on, nobody halts, the history is
# linearizable with no acknowledged write lost, and the offline verify of
# every stopped node passes.
SKV_TEST=fault-lossy
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
. "$S/tests/integration/faults_lib.sh"
fl_require

SKV_TRANSPORT=chaos
SKV_ENC_NODES="1 2 3"
ALL="1 2 3"
name=lossy-network-phase2
fl_setup 3
for i in $ALL; do skv_start "$i"; done
L=$(fl_wait_leader 30) || { skv_fail "no leader"; skv_finish; exit 1; }
skv_assert "phase 1 on" [ "$(fl_post "$L" enable-storage-envelope)" = 200 ]
FL_HIST="$SKV_DIR/history" FL_KEY_PREFIX="$name-k"
fl_load_start "$name" $ALL
skv_assert "load is flowing" fl_wait_ops "$name" 60 20
for i in $ALL; do fl_rules "$i" "drop * ${FL_DROP_PCT:-3}
delay * 20"; done
skv_log "every link: ${FL_DROP_PCT:-3}% loss, 20 ms delay"
skv_assert "writes continue on the lossy network" fl_wait_ops "$name" 100 45
code=000
end=$(($(date +%s) + 60))
while [ "$code" != 200 ] && [ "$(date +%s)" -lt "$end" ]; do
    L=$(fl_wait_leader 20) || continue
    code=$(fl_post "$L" enable-raft-envelope 20)
    [ "$code" = 200 ] || { skv_log "cutover attempt: HTTP $code $(head -c 200 "$SKV_DIR/resp")"; sleep 0.5; }
done
skv_assert "enable-raft-envelope succeeds on the lossy network ($code)" [ "$code" = 200 ]
N=$(grep -o '"applied_index":[0-9]*' "$SKV_DIR/resp" | cut -d: -f2)
skv_log "cutover index $N"
skv_assert "writes after the cutover on the lossy network" fl_wait_ops "$name" 100 45
fl_heal
skv_assert "writes after healing" fl_wait_ops "$name" 100 30
fl_load_stop "$name"
skv_assert "every node caught up" fl_wait_caught_up 30 $ALL
fl_final_read $ALL
for i in $ALL; do
    skv_assert "node $i: cutover index $N" [ "$(fl_enc "$i" raft_envelope_cutover_index)" = "$N" ]
    skv_assert "node $i: wrap-on-propose on" [ "$(fl_enc "$i" wrap_on_propose)" = true ]
done
for i in $ALL; do grep -h "chaos: frames" "$SKV_DIR/n$i.log" | tail -1 | sed "s/^/  node $i: /"; done
fl_verdict "$name"
fl_verify_offline "$name" $ALL
skv_finish
