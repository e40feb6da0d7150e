#!/bin/sh
# SPDX-License-Identifier: MIT
# A start-up writer registration retried across a leader change (issue 12
# item 2, docs/RELIABILITY.md "A retried registration is not a rollback")
# on real processes, 3 encrypted voters over the chaos transport.
#
# Timeline (L leader, X the restarting node, Y the third node):
#  1. Phase 1 on, acknowledged writes; X stopped. Every frame L<->Y is
#     held 1 s (L's rules "delay Y 1000") and X<->L 2 s (X's rules
#     "delay L 2000"). X restarts: it bumps its local epoch to e and
#     forwards its registration R1 to L.
#  2. L appends R1 and sends it on: it reaches Y after 1 s (X's copy
#     is still held). As soon as Y has appended R1 (Y's last index moves;
#     R1 is the only new entry) and before Y's acknowledgement is back at
#     L, L is SIGKILLed: R1 is in Y's log, committed nowhere, and L never
#     answers. X's rules then cut L and slow Y: the copy
#     of R1 still held for X is dropped ("partition L" + "delay Y 500").
#  3. Only Y can be elected (X's log lacks R1). X sees the leader change:
#     R1 fails "the leader changed while the proposal was in flight; the
#     outcome is unknown" and X proposes R2 (same node, same epoch e) to
#     Y. Y's barrier commits R1 only with X's acknowledgement (L is dead),
#     0.5 s to Y and the commit index 0.5 s back, while R2 leaves X on the
#     first tick (50 ms) after it learns of Y (the 500 ms retry pause has
#     run out during the election): X cannot have applied R1 when it
#     proposes R2.
#  4. R1 still commits, then R2. With the fix (c1be6d4,
#     core/cmd/writers_check.c) R2 is a retried registration, accepted with
#     nothing to write, on every replica.
# Asserts: the retry really happened (every node logs "registrations
# need no write (already registered at that epoch: a retried
# registration)" and X "writer registration applied" for R2); X and Y
# never halt; writes continue through X and Y (also after L is back);
# the registry of every node holds X once per active key, at exactly
# X's epochs from its sidecar; every acknowledged write reads back on
# every node; the nonce scan is clean.
#
# Fails without the fix: main with c1be6d4 reverted (git worktree add
# --detach /tmp/wt HEAD; git revert --no-commit c1be6d4; configure
# --enable-fault-injection), this script run with SKV_TOP_BUILDDIR at
# that build: the same timeline, then X (node 1 in that run) logged
#   entry 12: registration refused: ErrLocalEpochRollback: entry 0: node 1
#   key_id K local_epoch 2 is not above the registered 2
#   HALTED: ErrLocalEpochRollback: this node's registration for key K at
#   epoch 2 was refused at entry 12: it must not encrypt under that key
# and exited 3; started again (whole cluster, same build) it halted at
# the same entry 12 — on every restart. The cluster (L dead, X halted)
# lost its majority, later writes failed, and the script failed ("21
# checks, 21 failed" / "22 failed" in two runs: retried-registration
# lines absent, X not running, writes, the registry checks).
# Needs --enable-fault-injection (chaos transport).
SKV_TEST=reg_retry
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
"$SEALKVD" --version | grep -q "test hooks" || {
    echo "SKIP: sealkvd built without test hooks (configure --enable-fault-injection)"; exit 77; }
WRITERS_TOOL=${SKV_WRITERS_TOOL:-$B/tests/integration/skv_writers}

# Election timeout T = 3 s: above the 2 s-delayed heartbeats X gets from L
# and a whole pre-vote + vote round over the 0.5 s-delayed X<->Y link;
# low enough that X's timer fires (leader lost) within the 10 s a
# forwarded proposal waits: R1 fails on the leader change, not on the
# forward timeout (sent at t0 - 2 s, last heartbeat from L ~t0 + 1.2 s,
# timer at +[T, 2T)).
SKV_ENC_NODES="1 2 3" SKV_TRANSPORT=chaos SKV_ELECTION_MS=3000 SKV_HEARTBEAT_MS=100
export SKV_ELECTION_MS SKV_HEARTBEAT_MS
skv_setup 3
D=$SKV_DIR
DLY=1000    # L<->Y; X<->L is 2 x DLY; X<->Y after L's death DLY / 2
for i in 1 2 3; do skv_start "$i"; done
skv_wait 60 "a leader is elected" skv_leader

rules() { printf '%s\n' "$2" >"$D/rules$1.tmp" && mv "$D/rules$1.tmp" "$D/rules$1"; }
exited() { p=$(skv_pid "$1"); [ -z "$p" ] || [ ! -r "/proc/$p/stat" ] || [ "$(cut -d' ' -f3 "/proc/$p/stat")" = Z ]; }
running() { ! exited "$1"; }
# put_ack NODE KEY VALUE: a write; acknowledged ones are recorded in $D/acked
put_ack() {
    if skv_cli "$1" put "$2" "$3" >/dev/null 2>&1; then echo "$2 $3" >>"$D/acked"; return 0; fi
    return 1
}
: >"$D/acked"
# every acknowledged write reads back, locally, on every listed node
acked_everywhere() {
    while read -r k v; do
        for i in "$@"; do SKV_RETRY=0 skv_get_eq "$i" "$k" "$v" --local || return 1; done
    done <"$D/acked"
}
applied() { skv_status_field "$1" applied_index; }
# node's sidecar epochs: "key_id:local_epoch" per key, sorted
sc_epochs() {
    curl -s "$(skv_endpoint "$1")/v1/encryption/sidecar" | tr -d ' \n' | tr '{}' '\n\n' |
        while read -r o; do
            k=$(echo "$o" | sed -n 's/.*"key_id":\([0-9]*\).*/\1/p')
            e=$(echo "$o" | sed -n 's/.*"local_epoch":\([0-9]*\).*/\1/p')
            [ -n "$k" ] && [ -n "$e" ] && echo "$k:$e"
        done | sort
}
# X's sidecar once it has its two keys (it answers status a moment before)
sc_two() { [ "$(sc_epochs "$1" | wc -l)" -eq 2 ]; }

skv_assert "phase 1" [ "$(skv_enc_post 1 enable-storage-envelope)" = 200 ]
for k in 1 2 3 4 5; do put_ack 1 "pre-$k" "v$k" || skv_fail "put pre-$k"; done
L=$(skv_leader)
X=1; [ "$L" = 1 ] && X=2
Y=$((6 - L - X))
skv_log "leader $L, restarting node X=$X, third node Y=$Y"
skv_wait_caught_up 1 2 3

# ---- 1. X restarts behind a slow link to L; L<->Y slow too ----
skv_stop "$X"
base=$(skv_status_field "$Y" last_index)
[ -n "$base" ] || skv_fail "no last index from node $Y"
rules "$L" "delay $Y $DLY"
rules "$X" "delay $L $((2 * DLY))"
offX=$(wc -c <"$D/n$X.log")
skv_start "$X"
skv_wait 20 "node $X answers" skv_status_field "$X" id
skv_wait 10 "node $X's sidecar lists its keys" sc_two "$X"
EX=$(sc_epochs "$X")
skv_log "node $X sidecar epochs (key:epoch): $(echo $EX)"
skv_assert "node $X has two active keys" [ "$(echo "$EX" | wc -w)" -eq 2 ]

# ---- 2. Y appended R1, nobody acknowledged it to L yet: kill L, cut X
#         from what L sent it (still held), slow X<->Y ----
r1_on_y() { a=$(skv_status_field "$Y" last_index); [ -n "$a" ] && [ "$a" -gt "$base" ]; }
skv_wait 40 "node $Y appended X's forwarded registration R1 (from leader $L)" r1_on_y
skv_stop "$L" KILL
rules "$X" "partition $L
delay $Y $((DLY / 2))"
loaded() { tail -c +$((offX + 1)) "$D/n$X.log" | grep -q "chaos: rules from .*partition $L"; }
skv_wait 5 "node $X loaded the partition rule" loaded
skv_assert "node $X had not appended R1 when cut off from $L" [ "$(skv_status_field "$X" last_index)" -le "$base" ]
skv_assert "node $Y had not applied R1 (uncommitted when $L died)" [ "$(applied "$Y")" -le "$base" ]

# ---- 3./4. Y leads, X retries R2 at the same epoch ----
skv_wait 60 "node $Y is elected" skv_is_state "$Y" leader
retried() { tail -c +$((offX + 1)) "$D/n$X.log" | grep -q "registrations need no write (already registered at that epoch: a retried registration)"; }
retried_or_gone() { retried || exited "$X" || [ "$(skv_status_field "$X" state)" = halted ]; }
skv_wait 40 "node $X applies its retried registration R2 (or halts)" retried_or_gone
skv_assert "node $X logged the retried registration as already done" retried
skv_assert "node $X: writer registration applied (R2 answered)" \
    sh -c "tail -c +$((offX + 1)) $D/n$X.log | grep -q 'writer registration applied at index'"
skv_assert "node $Y applied R2 as a retried registration too" \
    grep -q "registrations need no write (already registered at that epoch" "$D/n$Y.log"
skv_assert "node $X not halted" [ "$(skv_status_field "$X" state)" != halted ]
skv_assert "node $X still running" running "$X"
skv_assert "node $X's epochs unchanged" [ "$(sc_epochs "$X")" = "$EX" ]

# ---- writes continue ----
rules "$X" ""
skv_assert "a write through node $X" put_ack "$X" via-x yes
skv_assert "a write through node $Y" put_ack "$Y" via-y yes
for k in 1 2 3 4 5; do put_ack "$X" "post-$k" "w$k" || skv_fail "put post-$k"; done
rules "$L" ""
skv_start "$L"
skv_wait 30 "node $L serves again" skv_status_field "$L" id
skv_assert "a write through node $L" put_ack "$L" via-l yes
SKV_CATCHUP_S=40 skv_wait_caught_up 1 2 3
skv_wait 20 "every acknowledged write reads back on every node" acked_everywhere 1 2 3
skv_assert "all $(wc -l <"$D/acked") acknowledged writes on every node" acked_everywhere 1 2 3
skv_assert "node $X not halted at the end" [ "$(skv_status_field "$X" state)" != halted ]
skv_assert "no node logged HALTED" sh -c "! grep -q 'HALTED:' $D/n1.log $D/n2.log $D/n3.log"
skv_assert "no ErrLocalEpochRollback anywhere" sh -c "! grep -q ErrLocalEpochRollback $D/n1.log $D/n2.log $D/n3.log"
EX=$(sc_epochs "$X")

# ---- the registry: X once per key at exactly its epochs, on every node ----
for i in 1 2 3; do skv_stop "$i"; done
for i in 1 2 3; do
    "$WRITERS_TOOL" "$D/n$i.yaml" >"$D/writers$i" 2>"$D/writers$i.err" || skv_fail "skv_writers node $i: $(cat "$D/writers$i.err")"
    got=$(sed -n "s/^writer key_id=\([0-9]*\) node16=[0-9]* node=$X epoch=\([0-9]*\)$/\1:\2/p" "$D/writers$i" | sort)
    skv_assert "node $i's registry holds node $X once per key at its epochs ($(echo $got))" [ "$got" = "$EX" ]
done
skv_nonce_scan
skv_finish
