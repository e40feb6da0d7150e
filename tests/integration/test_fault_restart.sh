#!/bin/sh
# SPDX-License-Identifier: MIT
# Whole-cluster restart after the Phase-2 cutover, under load: a 3-node
# encrypted cluster over the chaos transport with both phases on and
# recording clients on every node (30% of their operations are a read and
# a compare-and-swap, half on the mod index, half as a transaction that
# compares the value: a lost or doubled one fails the linearizability
# check); every node is stopped at once and
# restarted — first SIGTERM (clean shutdown), then SIGKILL (crash) — and
# each time a leader is elected again, the cutover index and
# wrap-on-propose survive on every node, writes continue, nobody halts;
# the whole history is linearizable with no acknowledged write lost, and
# the offline verify of every stopped node passes. Beside it, transfers
# between 5 accounts in multi-key transactions (tests/lincheck/bank.c):
# every atomic read of all accounts, before, across and after the
# restarts, adds up — no transaction applied in part or twice over a
# stale compare.
SKV_TEST=fault-restart
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
. "$S/tests/integration/faults_lib.sh"
fl_require

SKV_TRANSPORT=chaos
SKV_ENC_NODES="1 2 3"
ALL="1 2 3"
name=restart-after-cutover
fl_setup 3
for i in $ALL; do skv_start "$i"; done
L=$(fl_wait_leader 30) || { skv_fail "no leader"; skv_finish; exit 1; }
skv_assert "phase 1 on" [ "$(fl_post "$L" enable-storage-envelope)" = 200 ]
FL_HIST="$SKV_DIR/history" FL_KEY_PREFIX="$name-k"
FL_CAS_PCT=30 FL_TXN_PCT=50 fl_load_start "$name" $ALL
fl_bank_start "$name" $ALL
skv_assert "load is flowing" fl_wait_ops "$name" 60 20
skv_assert "phase 2 on under load" [ "$(fl_post "$L" enable-raft-envelope)" = 200 ]
N=$(grep -o '"applied_index":[0-9]*' "$SKV_DIR/resp" | cut -d: -f2)
skv_log "cutover index $N"
skv_assert "writes after the cutover" fl_wait_ops "$name" 150 30

for sig in TERM KILL; do
    for i in $ALL; do
        pid=$(skv_pid "$i")
        kill -"$sig" "$pid"
    done
    for i in $ALL; do skv_stop "$i" "$sig"; done
    skv_log "all nodes stopped with SIG$sig; restarting"
    sleep 0.5
    for i in $ALL; do skv_start "$i"; done
    NL=$(fl_wait_leader 30)
    skv_assert "SIG$sig: a leader after the restart ($NL)" [ -n "$NL" ]
    for i in $ALL; do
        skv_assert "SIG$sig: node $i: cutover index $N" [ "$(fl_enc "$i" raft_envelope_cutover_index)" = "$N" ]
        skv_assert "SIG$sig: node $i: wrap-on-propose on" [ "$(fl_enc "$i" wrap_on_propose)" = true ]
    done
    skv_assert "SIG$sig: writes continue" fl_wait_ops "$name" 150 30
done
fl_load_stop "$name"
fl_bank_stop "$name" $ALL
skv_assert "bank negative control: blind transfers (no compare) are caught" sh -c \
    "'$BANK' --no-compare --clients 4 --duration 4 --endpoints '$(fl_endpoints $ALL)' --prefix bank-control >'$SKV_DIR/bank-control.out' 2>&1; [ \$? = 1 ]"
skv_log "bank control: $(tail -1 "$SKV_DIR/bank-control.out")"
skv_assert "every node caught up" fl_wait_caught_up 30 $ALL
fl_final_read $ALL
fl_verdict "$name"
fl_verify_offline "$name" $ALL
skv_finish
