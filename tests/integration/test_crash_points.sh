#!/bin/sh
# SPDX-License-Identifier: MIT
# Crash-point sweep around the sidecar and the FSM applied index: a
# follower (node 3) is made to _exit at each durable step of applying
# each encryption-relevant entry — bootstrap, enable-storage-envelope,
# enable-raft-envelope, a writer registration, rotate-dek (storage, raft) —
# × before-sidecar,
# after-sidecar, after-fsm (test hook SEALKV_TEST_CRASH_AT, compiled only
# with --enable-fault-injection). After a restart without the hook it must
# resume consistently — same key ids, flags and cutover as the leader,
# not halted, old and new values readable — never a silent mis-dispatch.
# KEK rotation (issue 13 item 2): node 3, configured as the procedure says
# (kek_file the new KEK, previous_kek_files the old one), crashes in its
# local rewrap-kek before / after the durable sidecar write; it restarts
# with every DEK under exactly one KEK it knows (the old one before, the
# new one after), and a second rewrap-kek finishes the job (or answers
# ErrKEKAlreadyCurrent when it was done).
# Retire (issue 13 item 3): node 3 crashes at each durable step of
# applying a retire entry of the first storage key (retire:*), and at each
# durable step of its local retire job (retire-job:after-reseal: values
# re-sealed; before-drop: log compacted past the entry, views dropped;
# after-drop: the sidecar without the DEK stored); after the restart its
# job finishes (the key is a tombstone on node 3 as on the leader).
# Sealed key names (issue 13 item 4): node 3 crashes at each durable step
# of applying the seal-key-names entry (seal-names:*), and in its local
# names job (names-job:after-chunk: a chunk of records moved; before-done:
# the last one moved); after the restart its names are sealed as on the
# leader and its job has moved every record (the pre-crash key included).
SKV_TEST=crash_points
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
"$SEALKVD" --version | grep -q "test hooks" || {
    echo "SKIP: sealkvd built without test hooks (configure --enable-fault-injection)"; exit 77; }

post() { skv_enc_post "$@"; }
encf() { "$SEALKV" --endpoint "$(skv_endpoint "$1")" --retry 0 --json status | grep -o "\"$2\":[^,}]*" | head -1 | cut -d: -f2; }
actives() { curl -s "$(skv_endpoint "$1")/v1/status" | grep -o '"active_key_ids":{[^}]*}'; }
keyids() { curl -s "$(skv_endpoint "$1")/v1/encryption/sidecar" | grep -o '"key_id": *[0-9]*' | tr -d ' ' | sort | tr '\n' ' '; }
names_done_on() { # nodes...: key names sealed and every record moved
    for i in "$@"; do
        curl -s "$(skv_endpoint "$i")/v1/status" | grep -o '"key_names":{[^}]*}' |
            grep -q '"sealed":true.*"migration":"done"' || return 1
    done
}
enc_bootstrapped() { [ "$(encf "$1" bootstrapped)" = true ]; }
crashed_99() { pid=$(skv_pid 3); [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; }
kek_in_use() { curl -s "$(skv_endpoint "$1")/v1/status" | grep -o '"ids_in_use":\[[^]]*\]' | grep -o '[0-9a-f]\{32\}' | sort -u | tr '\n' ' '; }
kek_conf() { # node kek_file [previous]
    eval "SKV_KEK_$1=\$2 SKV_PREV_KEKS_$1=\${3:-}"
    skv_write_conf "$1"
}
kek_conf_reset() { eval "SKV_KEK_$1= SKV_PREV_KEKS_$1="; }
rewrap3() { curl -s -m 20 -o "$SKV_DIR/resp" -w '%{http_code}' -X POST -d "{\"kek_file\":\"$SKV_DIR/kek2.key\"}" "$(skv_endpoint 3)/v1/encryption/rewrap-kek"; }

run_case() { # kind[/variant] step
    kind=${1%%/*} var=${1#*/} step=$2
    skv_log "---- case $1:$step"
    for i in 1 2 3; do kek_conf_reset $i; done   # a rewrap-kek case before changed them
    SKV_BOOT=3 SKV_ENC_NODES="1 2 3"
    export SKV_BOOT
    skv_setup 3
    if [ "$kind" = rewrap-kek ]; then # round A of the procedure: every node accepts K2
        (umask 077 && head -c 32 /dev/urandom >"$SKV_DIR/kek2.key")
        for i in 1 2 3; do kek_conf $i "$SKV_DIR/kek.key" "$SKV_DIR/kek2.key"; done
    fi
    skv_start 1; skv_start 2
    SEALKV_TEST_CRASH_AT="$kind:$step" skv_start 3
    skv_wait 20 "a leader" skv_leader
    skv_cli 1 put before v-before >/dev/null || skv_fail "$kind:$step: put before"
    case $kind in
    registration)
        post 1 enable-storage-envelope >/dev/null
        # node 2 restarts only once it has applied the bootstrap itself:
        # a node that starts un-bootstrapped has no epoch to register
        # (CI once restarted it 5 ms too early and node 3 never crashed)
        skv_wait 20 "node 2 applied the encryption bootstrap" enc_bootstrapped 2
        skv_stop 2; skv_start 2 ;;   # node 2's new-epoch registration reaches node 3
    bootstrap|storage-flag) post 1 enable-storage-envelope >/dev/null ;;
    raft-flag) post 1 enable-storage-envelope >/dev/null; post 2 enable-raft-envelope >/dev/null ;;
    rotate-dek)
        post 1 enable-storage-envelope >/dev/null; post 2 enable-raft-envelope >/dev/null
        skv_cli 1 encryption rotate-dek --purpose "$var" >/dev/null ;;
    retire|retire-job)
        post 1 enable-storage-envelope >/dev/null; post 2 enable-raft-envelope >/dev/null
        OLD=$(actives 1 | grep -o '"storage":[0-9]*' | cut -d: -f2)
        skv_cli 1 encryption rotate-dek --purpose storage >/dev/null
        skv_wait 20 "node 1 applied the rotation" sh -c "[ \"\$(curl -s $(skv_endpoint 1)/v1/status | grep -o '\"active_key_ids\":{\"storage\":[0-9]*' | cut -d: -f3)\" != $OLD ]"
        skv_cli 1 encryption retire "$OLD" >/dev/null ;;
    seal-names|names-job)
        post 1 enable-storage-envelope >/dev/null; post 2 enable-raft-envelope >/dev/null
        skv_cli 1 encryption seal-key-names >/dev/null ;;
    rewrap-kek)
        post 1 enable-storage-envelope >/dev/null; post 2 enable-raft-envelope >/dev/null
        skv_wait_caught_up 1 2 3
        K1ID=$(kek_in_use 3)
        skv_stop 3; kek_conf 3 "$SKV_DIR/kek2.key" "$SKV_DIR/kek.key"
        SEALKV_TEST_CRASH_AT="$kind:$step" skv_start 3
        skv_wait 20 "node 3 back" skv_all_local_eq before v-before 3
        rewrap3 >/dev/null ;;
    esac
    skv_assert "$kind:$step: node 3 hit the crash point" skv_wait 20 "node 3 exits at the hook" crashed_99
    skv_assert "$kind:$step: node 3 says where it crashed" grep -q "test hook: crash at $kind:$step" "$SKV_DIR/n3.log"
    skv_stop 3
    skv_assert "$kind:$step: exit status 99 (the hook, not a halt)" [ "$SKV_LAST_RC" = 99 ]
    skv_start 3
    skv_cli 1 put after v-after >/dev/null || skv_fail "$kind:$step: put after"
    skv_wait_caught_up 1 2 3
    skv_assert "$kind:$step: node 3 serves old and new values" skv_all_local_eq after v-after 3
    skv_assert "$kind:$step: node 3 reads the pre-crash value" skv_all_local_eq before v-before 3
    skv_assert "$kind:$step: node 3 not halted" [ "$(skv_status_field 3 state)" != halted ]
    for f in bootstrapped storage_envelope_active raft_envelope_cutover_index wrap_on_propose; do
        skv_assert "$kind:$step: node 3 $f equals node 1's" [ "$(encf 3 $f)" = "$(encf 1 $f)" ]
    done
    skv_assert "$kind:$step: node 3 holds the leader's key ids" [ "$(keyids 3)" = "$(keyids 1)" ]
    skv_assert "$kind:$step: node 3 has the leader's active key ids" [ "$(actives 3)" = "$(actives 1)" ]
    if [ "$kind" = retire ] || [ "$kind" = retire-job ]; then
        skv_assert "$kind:$step: node 3's retire job drops key $OLD after the restart" \
            skv_wait 30 "key $OLD dropped on node 3" sh -c "curl -s $(skv_endpoint 3)/v1/status | grep -o '{\"key_id\":$OLD,[^}]*}' | grep -q '\"state\":\"dropped\"'"
        skv_assert "$kind:$step: ... as on node 1" \
            skv_wait 30 "key $OLD dropped on node 1" sh -c "curl -s $(skv_endpoint 1)/v1/status | grep -o '{\"key_id\":$OLD,[^}]*}' | grep -q '\"state\":\"dropped\"'"
    fi
    if [ "$kind" = seal-names ] || [ "$kind" = names-job ]; then
        skv_assert "$kind:$step: node 3's names are sealed and moved, as node 1's" \
            skv_wait 30 "names done on nodes 1 and 3" names_done_on 1 3
    fi
    if [ "$kind" = rewrap-kek ]; then
        u=$(kek_in_use 3)
        if [ "$step" = before-sidecar ]; then
            skv_assert "$kind:$step: every DEK still under the old KEK ($u)" [ "$u" = "$K1ID" ]
            skv_assert "$kind:$step: rewrap-kek again rewraps them" [ "$(rewrap3)" = 200 ]
        else
            skv_assert "$kind:$step: every DEK under the new KEK ($u)" [ -n "$u" -a "$u" != "$K1ID" ]
            c=$(rewrap3)
            skv_assert "$kind:$step: rewrap-kek again: 409 ErrKEKAlreadyCurrent ($c)" \
                sh -c "[ $c = 409 ] && grep -q ErrKEKAlreadyCurrent $SKV_DIR/resp"
        fi
        u2=$(kek_in_use 3)
        skv_assert "$kind:$step: one KEK in use, the new one ($u2)" [ "$u2" != "$K1ID" -a "$(echo $u2 | wc -w)" = 1 ]
        skv_stop 3; kek_conf 3 "$SKV_DIR/kek2.key"; skv_start 3
        skv_assert "$kind:$step: node 3 restarts with only the new KEK" \
            skv_wait 20 "node 3 reads with K2 only" skv_all_local_eq after v-after 3
    fi
    skv_nonce_scan 1 2 3   # issue 12: stops the nodes; no (key, nonce) reuse
    for i in 1 2 3; do skv_stop $i; done
    skv_cleanup
    trap - EXIT
}

total_fails=0; total_checks=0
for kv in ${SKV_CRASH_KINDS:-bootstrap storage-flag raft-flag registration rotate-dek/storage rotate-dek/raft rewrap-kek retire retire-job seal-names names-job}; do
    steps="before-sidecar after-sidecar after-fsm"
    [ "$kv" = rewrap-kek ] && steps="before-sidecar after-sidecar" # no FSM step: a local op
    [ "$kv" = retire-job ] && steps="after-reseal before-drop after-drop" # the local job
    [ "$kv" = names-job ] && steps="after-chunk before-done" # the local names job
    for step in $steps; do
        SKV_FAILS=0; SKV_CHECKS=0
        run_case "$kv" "$step"   # (run_case sets kind, var, step)
        total_fails=$((total_fails + SKV_FAILS)); total_checks=$((total_checks + SKV_CHECKS))
    done
done
SKV_FAILS=$total_fails; SKV_CHECKS=$total_checks
skv_failed_summary   # each case cleaned up after itself: the end names them again
skv_finish
