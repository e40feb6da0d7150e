#!/bin/sh
# SPDX-License-Identifier: MIT
# Leader crash during Phase 2 at each step of the cutover barrier
# (core/intake/cutover.h: 1 close-intake, 2 drain, 3 propose, 4 wait-apply,
# 5 set-wrap, 6 reopen). For each step a fresh 3-node encrypted cluster
# over the chaos transport, Phase 1 on, recording clients on every node;
# every node runs with SEALKV_TEST_STOP_AT_STEP=<step> (test hook, built
# with --enable-fault-injection) and a once-file, so the leader that runs
# the barrier stops itself (SIGSTOP) on entering the step. The test sees
# it stopped (state T), SIGKILLs it, retries enable-raft-envelope on the
# new leader (refused with ErrCapabilityCheckFailed naming the dead node,
# unless the entry had already committed), restarts the killed node,
# retries until it succeeds (a fresh cutover, or was_already_active when
# the entry had committed), and then requires one cutover index on every node (and in the first answer, if
# it got one), wrap-on-propose everywhere, writes flowing, no halt, and
# a linearizable history with no acknowledged write lost; finally every
# node is stopped and `sealkv verify` checks its data dir offline (every
# log entry above the cutover wrapped and authenticated).
# FL_STEPS="1 2 ..." runs a subset.
SKV_TEST=fault-cutover-crash
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
. "$S/tests/integration/faults_lib.sh"
fl_require hooks

SKV_TRANSPORT=chaos
SKV_ENC_NODES="1 2 3"
ALL="1 2 3"
for step in ${FL_STEPS:-1 2 3 4 5 6}; do
    name=crash-step$step
    SKV_TEST=$name
    fl_setup 3
    for i in $ALL; do
        fl_start_env "$i" SEALKV_TEST_STOP_AT_STEP="$step" SEALKV_TEST_STOP_ONCE_FILE="$SKV_DIR/stop-once"
    done
    L=$(fl_wait_leader 30) || { skv_fail "$name: no leader"; fl_teardown; continue; }
    skv_assert "$name: phase 1 on" [ "$(fl_post "$L" enable-storage-envelope)" = 200 ]
    FL_HIST="$SKV_DIR/history" FL_KEY_PREFIX="$name-k"
    fl_load_start "$name" $ALL
    skv_assert "$name: load is flowing" fl_wait_ops "$name" 60 20

    L=$(fl_wait_leader 10)
    LPID=$(skv_pid "$L")
    curl -s -m 60 -o "$SKV_DIR/resp-first" -w '%{http_code}' -X POST \
        "$(skv_endpoint "$L")/v1/encryption/enable-raft-envelope" >"$SKV_DIR/code-first" &
    FIRST=$!
    skv_assert "$name: leader $L stopped itself on entering step $step" fl_wait_stopped "$LPID" 20
    skv_assert "$name: the hook names the step" grep -q "test hook: SIGSTOP at cutover step $step " "$SKV_DIR/n$L.log"
    sleep 0.3
    skv_stop "$L" KILL
    REST=""; for i in $ALL; do [ "$i" = "$L" ] || REST="$REST $i"; done
    NL=$(fl_wait_leader 20 $REST)
    skv_assert "$name: a new leader among {$REST} ($NL)" [ -n "$NL" ]
    # retried at once: refused while the killed node is down (the
    # capability gate probes every voter), unless the entry had committed
    code=$(fl_post "$NL" enable-raft-envelope 10)
    skv_log "$name: retry with node $L down: HTTP $code $(head -c 300 "$SKV_DIR/resp")"
    if [ "$code" = 412 ]; then
        skv_assert "$name: refused naming the down node $L" grep -q "node $L" "$SKV_DIR/resp"
    else
        skv_assert "$name: retry with node $L down: 200 (already cut over) or 412 ($code)" [ "$code" = 200 ]
    fi
    skv_start "$L"
    skv_assert "$name: node $L is back and caught up" fl_wait_caught_up 30 $ALL
    NL=$(fl_wait_leader 20)
    code=$(fl_post "$NL" enable-raft-envelope 40)
    skv_assert "$name: enable-raft-envelope retried on the leader ($NL) succeeds ($code)" [ "$code" = 200 ]
    N=$(grep -o '"applied_index":[0-9]*' "$SKV_DIR/resp" | cut -d: -f2)
    was=$(grep -o '"was_already_active":[a-z]*' "$SKV_DIR/resp" | cut -d: -f2)
    skv_log "$name: cutover index $N (was_already_active=$was)"
    wait "$FIRST"
    first=$(cat "$SKV_DIR/code-first")
    skv_log "$name: the first request (to the killed leader) ended with HTTP $first"
    if [ "$first" = 200 ]; then
        skv_assert "$name: the first answer names the same index" grep -q "\"applied_index\":$N," "$SKV_DIR/resp-first"
    fi
    case $step in 5|6) skv_assert "$name: the entry had applied on the old leader, so the retry reports was_already_active" [ "$was" = true ] ;; esac
    skv_assert "$name: writes flow after the cutover" fl_wait_ops "$name" 150 30
    skv_assert "$name: more writes" fl_wait_ops "$name" 100 20
    fl_load_stop "$name"
    skv_assert "$name: every node caught up" fl_wait_caught_up 30 $ALL
    fl_final_read $ALL
    for i in $ALL; do
        skv_assert "$name: node $i: cutover index $N" [ "$(fl_enc "$i" raft_envelope_cutover_index)" = "$N" ]
        skv_assert "$name: node $i: wrap-on-propose on" [ "$(fl_enc "$i" wrap_on_propose)" = true ]
        skv_assert "$name: node $i: sidecar file records $N" grep -q "\"raft_envelope_cutover_index\": *$N" "$SKV_DIR/data$i/encryption/keys.json"
    done
    fl_verdict "$name"
    fl_verify_offline "$name" $ALL
    skv_nonce_scan $ALL   # issue 12: no (key, nonce) reuse across the crash and new leader
    fl_teardown
done
skv_finish
