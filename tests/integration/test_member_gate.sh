#!/bin/sh
# SPDX-License-Identifier: MIT
# The membership encryption gate while the encryption bootstrap is in
# flight and on a leader that is not ready yet (issue 12 item 4), on real
# processes: voters 1..3 (encryption on), node 4 (encryption DISABLED,
# not capable) and node 5 (encryption on) waiting to be added; chaos
# transport.
#
#  A. The leader L runs enable-storage-envelope with every frame of its
#     held 1 s ("delay * 1000"), so the fan-out and the bootstrap entry
#     take seconds. Once L logs "proposing the encryption bootstrap",
#     `members add 4` on L is refused 503 ErrEncryptionBootstrapInProgress
#     (the same add through a follower, forwarded, is refused too: any
#     retryable 503 or 412, never admitted).
#  B. As soon as a follower has appended the bootstrap entry (L has not
#     heard its acknowledgement yet: uncommitted), L is SIGKILLed and the
#     survivors' link is slowed (1 s one way). The next leader W holds
#     the bootstrap entry but has not applied it: its local sidecar is not
#     bootstrapped — the hole of item 4 (before 2e08211 such a leader
#     skipped the gate and admitted node 4 unprobed; node 4 then halts at
#     the bootstrap entry for good). `members add 4` and `members add 5`
#     are fired at both survivors every 100 ms: W answers 503
#     ErrLeaderNotReady until its barrier (which commits the bootstrap)
#     has applied; then node 4 is probed and refused 412
#     ErrPeerNotEncryptionCapable, every time it is retried, and node 5 is
#     probed, registered as a writer and added.
#  C. L comes back, Phase 1 is finished (the flag entry never committed
#     before L died): enable-storage-envelope passes the gate over 1,2,3,5.
# Asserts: node 4 is refused at every step, never appears in any member
# list and never receives a single entry (its log stays empty: had it
# been admitted even briefly it would have been sent the bootstrap and
# halted); ErrLeaderNotReady was seen (the not-ready window was really
# hit); node 5 ends a voter with a sidecar and is registered under both
# keys at epoch >= 1 in every node's registry (skv_writers); no node
# halts; every acknowledged write reads back on 1,2,3,5; nonce scan.
#
# Fails without the fix: main with 2e08211 reverted (git worktree add
# --detach; git revert --no-commit 2e08211; configure
# --enable-fault-injection), this script run against that build: the add
# of node 4 on L while the bootstrap ran was let through (L's sidecar was
# not bootstrapped yet, so the gate was skipped): node 4 was added as a
# spare, sent the log, logged
#   HALTED: ErrEncryptionDisabled: entry 6 is the encryption bootstrap
#   but encryption is not enabled on this node
# and exited 3; only the failed catch-up over the slow link (503
# ErrMemberUnreachable, spare removed again) kept it out of the
# configuration. Failed checks (7 of 35): the 503
# ErrEncryptionBootstrapInProgress, ErrLeaderNotReady never seen, node 4
# got entries, HALTED logged, the Phase-1 summary, the answers' set.
# Needs --enable-fault-injection (chaos transport).
SKV_TEST=member_gate
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
"$SEALKVD" --version | grep -q "test hooks" || {
    echo "SKIP: sealkvd built without test hooks (configure --enable-fault-injection)"; exit 77; }
WRITERS_TOOL=${SKV_WRITERS_TOOL:-$B/tests/integration/skv_writers}

# election timeout 5 s: above a whole pre-vote + vote round (4 x 1 s) and
# the capability probe window (= election timeout) above its 2 s round trip
SKV_BOOT=3 SKV_ENC_NODES="1 2 3 5" SKV_TRANSPORT=chaos SKV_ELECTION_MS=5000 SKV_HEARTBEAT_MS=100
export SKV_BOOT SKV_ELECTION_MS SKV_HEARTBEAT_MS
skv_setup 5
D=$SKV_DIR
DLY=1000
for i in 1 2 3 4 5; do skv_start "$i"; done
skv_wait 40 "a leader is elected" skv_leader

rules() { printf '%s\n' "$2" >"$D/rules$1.tmp" && mv "$D/rules$1.tmp" "$D/rules$1"; }
put_ack() {
    if skv_cli "$1" put "$2" "$3" >/dev/null 2>&1; then echo "$2 $3" >>"$D/acked"; return 0; fi
    return 1
}
: >"$D/acked"
acked_everywhere() {
    while read -r k v; do
        for i in "$@"; do SKV_RETRY=0 skv_get_eq "$i" "$k" "$v" --local || return 1; done
    done <"$D/acked"
}
# add NODE ID OUT: raw POST /v1/cluster/members (no retry); body in OUT,
# prints the HTTP status
add() {
    curl -s -m 15 -o "$3" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -d "{\"id\":$2,\"address\":\"127.0.0.1:$(skv_rport "$2")\",\"role\":\"voter\"}" \
        "$(skv_endpoint "$1")/v1/cluster/members"
}
errname() { grep -o '"error": *"[A-Za-z]*"' "$1" | head -1 | sed 's/.*"\(Err[A-Za-z]*\)"/\1/'; }
members_json() { curl -s -m 5 "$(skv_endpoint "$1")/v1/cluster/members"; }
has_member() { members_json "$1" | grep -q "\"id\":$2,"; }
# node 4 admitted nowhere (checked on every live node we ask)
no4() { for i in "$@"; do ! has_member "$i" 4 || return 1; done; }
# what was answered to an add of node 4 / 5: "node code error" lines
: >"$D/adds4"
: >"$D/adds5"

for k in 1 2 3; do put_ack 1 "pre-$k" "v$k" || skv_fail "put pre-$k"; done
L=$(skv_leader)
F1=1; [ "$L" = 1 ] && F1=2
F2=$((6 - L - F1))
skv_log "leader $L, followers $F1 $F2"
skv_wait_caught_up 1 2 3
base=$(skv_status_field "$F1" last_index)

# ---- A. the bootstrap running on L ----
rules "$L" "delay * $DLY"
skv_wait 5 "leader $L loaded the delay rule" grep -q "chaos: rules from .*delay \* ${DLY}ms" "$D/n$L.log"
offL=$(wc -c <"$D/n$L.log")
curl -s -m 30 -o "$D/enable.resp" -w '%{http_code}\n' -X POST \
    "$(skv_endpoint "$L")/v1/encryption/enable-storage-envelope" >"$D/enable.code" 2>&1 &
ENABLE_CURL=$!
proposing() { tail -c +$((offL + 1)) "$D/n$L.log" | grep -q "proposing the encryption bootstrap"; }
skv_wait 15 "leader $L proposes the encryption bootstrap" proposing
c=$(add "$L" 4 "$D/a.resp"); e=$(errname "$D/a.resp")
echo "$L $c $e A" >>"$D/adds4"
skv_log "members add 4 on $L while the bootstrap runs: $c $e"
skv_assert "add 4 on leader $L during the bootstrap: 503 ErrEncryptionBootstrapInProgress" \
    [ "$c $e" = "503 ErrEncryptionBootstrapInProgress" ]
(c=$(add "$F1" 4 "$D/af.resp"); echo "$F1 $c $(errname "$D/af.resp") A-forwarded" >>"$D/adds4") &
FWD=$!

# ---- B. L dies with the bootstrap appended on a follower, uncommitted ----
boot_on_f() { a=$(skv_status_field "$1" last_index); [ -n "$a" ] && [ "$a" -gt "$base" ]; }
end=$(($(date +%s) + 10))
while ! boot_on_f "$F1" && ! boot_on_f "$F2" && [ "$(date +%s)" -lt "$end" ]; do sleep 0.05; done
skv_assert "a follower appended the bootstrap entry" sh -c "[ $(skv_status_field "$F1" last_index) -gt $base ] || [ $(skv_status_field "$F2" last_index) -gt $base ]"
skv_stop "$L" KILL
rules "$F1" "delay $F2 $DLY"
skv_assert "neither follower had applied the bootstrap when $L died" \
    sh -c "[ $(skv_status_field "$F1" bootstrapped) = false ] && [ $(skv_status_field "$F2" bootstrapped) = false ]"
wait "$FWD" 2>/dev/null
wait "$ENABLE_CURL" 2>/dev/null
skv_log "enable-storage-envelope on $L: $(cat "$D/enable.code") (L was killed)"

end=$(($(date +%s) + 90))
done4=0 done5=0 n=0
while [ "$(date +%s)" -lt "$end" ] && { [ $done4 -lt 3 ] || [ $done5 = 0 ]; }; do
    n=$((n + 1))
    for i in "$F1" "$F2"; do
        c=$(add "$i" 4 "$D/b4.resp"); e=$(errname "$D/b4.resp")
        echo "$i $c $e B" >>"$D/adds4"
        [ "$c" = 412 ] && done4=$((done4 + 1))
        if [ $done5 = 0 ]; then
            c=$(add "$i" 5 "$D/b5.resp"); e=$(errname "$D/b5.resp")
            echo "$i $c $e B" >>"$D/adds5"
            case $c in 2*) done5=1 ;; esac
            # an earlier add whose answer was lost (outcome unknown) went through
            [ "$c" = 400 ] && grep -q "node 5 is already a member" "$D/b5.resp" && done5=1
        fi
    done
    sleep 0.1
done
skv_log "adds of node 4: $(sort "$D/adds4" | cut -d' ' -f2,3 | sort | uniq -c | tr '\n' ';')"
skv_log "adds of node 5: $(sort "$D/adds5" | cut -d' ' -f2,3 | sort | uniq -c | tr '\n' ';')"
W=$(skv_leader)
skv_log "new leader: $W"
skv_assert "the not-ready leader answered 503 ErrLeaderNotReady" grep -q " 503 ErrLeaderNotReady B" "$D/adds4" "$D/adds5"
skv_assert "node 4 was never admitted (no 2xx answer)" sh -c "! grep -q '^[0-9]* 2' $D/adds4"
okset() { # every answer to add 4 is a refusal: retryable 503 or the gate's 412
    while read -r nd c e tag; do
        case "$c $e" in
        "503 ErrEncryptionBootstrapInProgress" | "503 ErrMembershipChangeInProgress" | \
        "503 ErrLeaderNotReady" | "503 ErrNoLeader" | "503 ErrNotLeader" | "503 ErrLeaderUnreachable" | \
        "503 ErrLeadershipLost" | "503 ErrMembership" | "504 ErrTimeout" | \
        "412 ErrPeerNotEncryptionCapable") ;;
        *) skv_log "unexpected answer to add 4: node $nd $c $e ($tag)"; return 1 ;;
        esac
    done <"$D/adds4"
}
skv_assert "every answer to add 4 is a retryable 503 or the gate's 412" okset
skv_assert "retried on the ready leader: refused 412 ErrPeerNotEncryptionCapable (3 times)" [ $done4 -ge 3 ]
skv_assert "the refusal names node 4" grep -q "node 4 cannot join an encrypted cluster" "$D/b4.resp"
skv_assert "node 5 (capable) was added" [ $done5 = 1 ]
skv_assert "node 5 was never refused by the gate" sh -c "! grep -q ' 412 ' $D/adds5"
skv_assert "node 4 in no member list" no4 "$F1" "$F2"
skv_assert "node 5 is a voter" sh -c "members_json() { curl -s -m 5 $(skv_endpoint "$F1")/v1/cluster/members; }; members_json | grep -q '\"id\":5,[^}]*voter'"
skv_assert "the new leader $W is bootstrapped" [ "$(skv_status_field "$W" bootstrapped)" = true ]

# ---- C. L back, Phase 1 finished over 1,2,3,5 ----
rules "$F1" ""
rules "$L" ""
skv_start "$L"
skv_wait 30 "node $L serves again" skv_status_field "$L" id
skv_assert "phase 1 finished (200)" [ "$(SKV_POST_RETRY_S=30 skv_enc_post "$W" enable-storage-envelope)" = 200 ]
skv_assert "the capability summary lists 1,2,3,5 and not 4" \
    sh -c "grep -q '\"id\":5' $D/resp && ! grep -q '\"id\":4' $D/resp"
for k in 1 2 3; do put_ack "$W" "post-$k" "w$k" || skv_fail "put post-$k"; done
skv_assert "a write through node 5" put_ack 5 via-5 yes
SKV_CATCHUP_S=40 skv_wait_caught_up 1 2 3 5
skv_wait 20 "every acknowledged write on 1,2,3,5" acked_everywhere 1 2 3 5
skv_assert "all $(wc -l <"$D/acked") acknowledged writes on 1,2,3,5" acked_everywhere 1 2 3 5
for i in 1 2 3 5; do
    skv_assert "node $i: storage envelope active" sh -c \
        "curl -s $(skv_endpoint "$i")/v1/status | grep -q '\"storage_envelope_active\":true'"
done
skv_assert "node 5 has a sidecar" sh -c "curl -s $(skv_endpoint 5)/v1/encryption/sidecar | grep -q '\"present\":true'"
skv_assert "node 4 in no member list at the end" no4 1 2 3 5
skv_assert "node 4 never received an entry (last_index 0)" [ "$(skv_status_field 4 last_index)" = 0 ]
skv_assert "node 4 not halted" [ "$(skv_status_field 4 state)" != halted ]
skv_assert "no node logged HALTED" sh -c "! grep -q 'HALTED:' $D/n1.log $D/n2.log $D/n3.log $D/n4.log $D/n5.log"

# ---- node 5 registered under both keys, on every node ----
for i in 1 2 3 4 5; do skv_stop "$i"; done
for i in 1 2 3 5; do
    "$WRITERS_TOOL" "$D/n$i.yaml" >"$D/writers$i" 2>"$D/writers$i.err" || skv_fail "skv_writers node $i: $(cat "$D/writers$i.err")"
    skv_assert "node $i's registry holds node 5 under two keys" \
        [ "$(grep -c ' node=5 epoch=[1-9]' "$D/writers$i")" = 2 ]
    skv_assert "node $i's registry has no node 4" sh -c "! grep -q ' node=4 ' $D/writers$i"
done
skv_nonce_scan 1 2 3 5
skv_finish
