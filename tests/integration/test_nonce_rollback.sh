#!/bin/sh
# SPDX-License-Identifier: MIT
# Nonce uniqueness when a node's local state rolls back (issue 12 item 1,
# docs/NONCES.md), on real processes, 3 encrypted nodes, Phase 1 + 2 on:
#  (a) node X leads after the cutover (it seals raft entries and values),
#      is stopped and copied, restarts and leads again (a new process),
#      then its data dir is replaced by the older copy: it restarts with
#      the same epoch and counters as the process after the copy, is made
#      leader again and takes writes. Envelope v1 would have repeated
#      node16‖epoch‖counter under the same DEK; the scan shows those
#      nonce fields DID repeat and only the per-process salt (a fresh v2
#      subkey) keeps every (key, nonce) unique.
#  (b) X's data dir is wiped and X rejoins under the same id the
#      documented way (members remove, empty data dir, members add),
#      becomes leader and takes writes.
# Each ends with the cluster-wide nonce scan (no (key_id, salt, nonce)
# with two ciphertexts), every acknowledged write readable on every node,
# and `sealkv verify` passing on every node. Positive controls: the
# checker flags two crafted lines with the same triple and different
# hashes, and the scan fails on a real store after skv_tamper altered one
# replica's copy of a replicated entry.
SKV_TEST=nonce_rollback
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
NSCAN="$B/tests/integration/skv_noncescan"
NCHECK="$B/tests/integration/skv_noncecheck"
TAMPER="$B/tests/integration/skv_tamper"

SKV_BOOT=3 SKV_ENC_NODES="1 2 3"
export SKV_BOOT
skv_setup 3
D=$SKV_DIR
ALL="1 2 3"
for i in $ALL; do skv_start "$i"; done
skv_wait 20 "a leader" skv_leader
: >"$D/acked"

# writes PREFIX COUNT through the leader; acknowledged keys to $D/acked
writes() {
    L=$(skv_leader) || { skv_fail "$1: no leader to write to"; return 1; }
    for k in $(seq 1 "$2"); do
        skv_cli "$L" put "$1-$k" "v-$1-$k" >/dev/null && echo "$1-$k" >>"$D/acked"
    done
}
all_acked_read() { # every acknowledged write, locally on every node
    while read -r k; do skv_all_local_eq "$k" "v-$k" $ALL || return 1; done <"$D/acked"
}
restart_all_running() { for i in $ALL; do [ -n "$(skv_pid "$i")" ] || skv_start "$i"; done; }

# make_leader X: stop whoever else leads (then restart it) until X leads;
# X must have caught up to win. Bounded attempts.
make_leader() {
    for _a in 1 2 3 4 5 6 7 8 9 10; do
        skv_wait 20 "a leader" skv_leader || return 1
        L=$(skv_leader)
        [ "$L" = "$1" ] && return 0
        skv_wait_caught_up $ALL
        skv_stop "$L"
        skv_wait 20 "a new leader" skv_leader
        skv_start "$L"
        skv_wait 20 "node $L answers" skv_status_field "$L" id
    done
    [ "$(skv_leader)" = "$1" ]
}

# check DESCRIPTION command...: skv_assert for commands that call skv_wait
# (which reuses skv_assert's description variable)
check() {
    _d=$1; shift
    if "$@"; then _r=0; else _r=1; fi
    skv_assert "$_d" [ "$_r" = 0 ]
}

phase_on() {
    c=$(skv_enc_post 1 enable-storage-envelope)
    skv_assert "phase 1 on ($c)" [ "$c" = 200 ]
    c=$(skv_enc_post 1 enable-raft-envelope)
    skv_assert "phase 2 cutover ($c)" [ "$c" = 200 ]
}

# end_checks NAME: acknowledged writes everywhere, X not halted, nonce
# scan (stops every node), sealkv verify on every node, restart all
end_checks() {
    skv_wait_caught_up $ALL
    check "$1: every acknowledged write reads on every node" skv_wait 30 "acked writes" all_acked_read
    for i in $ALL; do
        skv_assert "$1: node $i not halted" [ "$(skv_status_field "$i" state)" != halted ]
    done
    check "$1: nonce scan — no (key_id, salt, nonce) with two ciphertexts" skv_nonce_scan $ALL
    cp "$D/nonces.txt" "$D/nonces-$1.txt"
    for i in $ALL; do
        "$SEALKV" verify --config "$D/n$i.yaml" >"$D/verify-$1-$i.out" 2>&1
        vrc=$?
        [ $vrc = 0 ] || tail -15 "$D/verify-$1-$i.out"
        skv_assert "$1: sealkv verify passes on node $i" [ $vrc = 0 ]
    done
    restart_all_running
    skv_wait 20 "a leader after the scan" skv_leader
}

# (key_id, nonce) pairs that occur under two different salts with different
# ciphertexts: what envelope v1 would have been (a repeated nonce).
# v1_collisions FILE [PATTERN]: only lines whose WHERE matches PATTERN.
v1_collisions() {
    awk -v p="${2:-.}" '$2 != "-" && $5 ~ p { k = $1 " " $3;
        if (k in salt && salt[k] != $2 && hash[k] != $4) n++;
        salt[k] = $2; hash[k] = $4 } END { print n + 0 }' "$1"
}

phase_on
writes pre 10

# ---- (a) restore an older copy of X's data dir
X=$(skv_leader)
skv_log "(a) node X = $X (leader after the cutover)"
writes a1 15   # sealed by X (raft entries) and by every node (values)
skv_stop "$X"
rm -rf "$D/copy$X" && cp -a "$D/data$X" "$D/copy$X" || skv_fail "(a) copy node $X's data dir"
skv_start "$X"
check "(a) node $X leads again (new process)" make_leader "$X"
writes a2 15   # X's process after the copy seals under the next epoch
skv_stop "$X"
rm -rf "$D/data$X" && mv "$D/copy$X" "$D/data$X" || skv_fail "(a) restore the older copy"
skv_log "(a) node $X restored from the older copy"
skv_start "$X"
skv_wait 20 "node $X answers" skv_status_field "$X" id
check "(a) restored node $X is made leader" make_leader "$X"
skv_assert "(a) the restored node $X leads while it takes writes" [ "$(skv_leader)" = "$X" ]
writes a3 15   # same epoch and counters as a2's process: v1 would repeat nonces
end_checks a
n=$(v1_collisions "$D/nonces-a.txt")
skv_log "(a) (key_id, nonce) pairs that repeat under different salts: $n"
skv_assert "(a) the rollback did repeat nonce fields (the scenario bites), kept apart only by v2 salts" [ "$n" -gt 0 ]
n=$(v1_collisions "$D/nonces-a.txt" ":log:")
skv_assert "(a) ... among them raft entries node $X wrapped as leader before and after the restore ($n)" [ "$n" -gt 0 ]

# ---- (b) X's data dir wiped; rejoins under the same id
skv_wait 20 "a leader" skv_leader
L=$(skv_leader)
[ "$L" = "$X" ] || check "(b) node $X leads before the wipe" make_leader "$X"
writes b1 10
skv_stop "$X"
skv_wait 20 "a leader without node $X" skv_leader
L=$(skv_leader)
skv_assert "(b) members remove $X" skv_cli "$L" members remove "$X"
rm -rf "$D/data$X"
(SKV_BOOT=0; skv_write_conf "$X")   # an empty node waits to be added
skv_start "$X"
skv_wait 20 "node $X answers" skv_status_field "$X" id
L=$(skv_leader)
skv_assert "(b) members add $X (empty data dir, same id)" \
    skv_cli "$L" members add "$X" "127.0.0.1:$(skv_rport "$X")"
check "(b) node $X caught up" skv_wait_caught_up $ALL
check "(b) the re-added node $X is made leader" make_leader "$X"
skv_assert "(b) the re-added node $X leads while it takes writes" [ "$(skv_leader)" = "$X" ]
writes b2 15
end_checks b

# ---- positive controls: the scan can fail
printf '%s\n' "7 00112233445566778899aabbccddeeff 000100020000000000000000 aaaa n1" \
    "7 00112233445566778899aabbccddeeff 000100020000000000000000 bbbb n2" \
    "7 ffffffffffffffffffffffffffffffff 000100020000000000000000 cccc n3" >"$D/crafted"
"$NCHECK" "$D/crafted" >"$D/crafted.out" 2>&1
rc=$?
skv_assert "control: the checker flags one triple with two hashes (rc $rc)" \
    sh -c "[ $rc = 1 ] && [ \$(grep -c '^REUSE' '$D/crafted.out') = 1 ]"
"$NCHECK" "$D/nonces-b.txt" "$D/nonces-b.txt" >/dev/null 2>&1
skv_assert "control: identical lines (replicated entries) are fine" [ $? = 0 ]
for i in $ALL; do skv_stop "$i"; done
"$TAMPER" "$D/n1.yaml" fix-crc >"$D/tamper.out" 2>&1 || skv_fail "skv_tamper node 1"
: >"$D/nonces-tampered.txt"
for i in $ALL; do "$NSCAN" "$D/n$i.yaml" >>"$D/nonces-tampered.txt" 2>/dev/null || skv_fail "scan node $i"; done
"$NCHECK" "$D/nonces-tampered.txt" >"$D/tampered.out" 2>&1
rc=$?
skv_assert "control: the scan of a real store fails once one replica's copy of an entry differs (rc $rc, $(head -c 160 "$D/tampered.out"))" [ $rc = 1 ]
skv_finish
