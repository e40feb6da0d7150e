#!/bin/sh
# SPDX-License-Identifier: MIT
# Members that never passed the Phase-1 probe, and the promote gate
# (issue 12 item 4), on real processes: voters 1..3 (encryption on),
# standbys 4 (encryption DISABLED) and 5 (encryption on), and node 6
# (encryption disabled) added as a voter over a slow link, so it stays a
# C-Raft *spare* (members.add = raft_add as spare, then raft_assign once
# it caught up) for seconds; chaos transport.
#
#  A. While node 6 is a spare, enable-storage-envelope is refused 412
#     ErrCapabilityCheckFailed with node 6 in the summary as role "spare",
#     not capable: the fan-out covers spares (before 2e08211 it skipped
#     them: the bootstrap committed, node 6 was then made a voter and
#     halted at the bootstrap entry for good). Standby 4 is named too.
#     Nothing is bootstrapped on any node.
#  B. Node 6 is removed; node 4 is given encryption and restarted: Phase 1
#     passes, its summary lists both standbys capable and the bootstrap
#     registers them (epoch 1 under both keys).
#  C. Node 4 turns incapable: restarted with encryption disabled it
#     refuses to start (its sidecar exists), so it stays down. `members
#     promote 4` is refused by the gate: 412 ErrPeerNotEncryptionCapable,
#     "node 4 cannot join an encrypted cluster", and it stays a standby.
#     `members promote 5` passes the gate (probed, registered) and node 5
#     becomes a voter that takes writes.
# Asserts also: no node halts; every acknowledged write reads back on
# 1,2,3,5; node 5 is in every registry under both keys; nonce scan.
#
# Fails without the fix: against main with 2e08211 reverted (built in a
# separate worktree) the refusal named node 4 only ("node 4 (...):
# encryption not enabled" — spare 6 was skipped by the fan-out), and
# `members promote 4` answered 200 {"id":4,"role":"voter"}: the
# incapable, stopped standby became a voter. 5 of 35 checks failed
# (refusal names node 6, node 6 probed, the promote refusal, its
# message, node 4 still a standby).
# Needs --enable-fault-injection (chaos transport).
SKV_TEST=promote_gate
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
"$SEALKVD" --version | grep -q "test hooks" || {
    echo "SKIP: sealkvd built without test hooks (configure --enable-fault-injection)"; exit 77; }
WRITERS_TOOL=${SKV_WRITERS_TOOL:-$B/tests/integration/skv_writers}

# election timeout 3 s: the capability probe window (= election timeout)
# above the 2 x 1.2 s round trip to node 6
SKV_BOOT=3 SKV_ENC_NODES="1 2 3 5" SKV_TRANSPORT=chaos SKV_ELECTION_MS=3000 SKV_HEARTBEAT_MS=100
export SKV_BOOT SKV_ELECTION_MS SKV_HEARTBEAT_MS
skv_setup 6
D=$SKV_DIR
for i in 1 2 3 4 5; do skv_start "$i"; done
skv_wait 30 "a leader is elected" skv_leader

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
members_json() { curl -s -m 5 "$(skv_endpoint "$1")/v1/cluster/members"; }
role_is() { members_json "$1" | grep -q "\"id\":$2,[^}]*\"role\":\"$3\""; }
exited() { p=$(skv_pid "$1"); [ -z "$p" ] || [ ! -r "/proc/$p/stat" ] || [ "$(cut -d' ' -f3 "/proc/$p/stat")" = Z ]; }

L=$(skv_leader)
skv_log "leader $L"
for k in 1 2 3; do put_ack "$L" "pre-$k" "v$k" || skv_fail "put pre-$k"; done
skv_assert "add node 4 (encryption disabled) as standby before Phase 1" \
    skv_cli "$L" members add 4 "127.0.0.1:$(skv_rport 4)" --standby
skv_assert "add node 5 (encryption on) as standby before Phase 1" \
    skv_cli "$L" members add 5 "127.0.0.1:$(skv_rport 5)" --standby
skv_wait 20 "standbys have the data" skv_all_local_eq pre-3 v3 4 5

# ---- A. node 6 a spare (slow link: its catch-up takes seconds) ----
rules 6 "delay * 1200"
skv_start 6
skv_wait 20 "node 6 answers" skv_status_field 6 id
curl -s -m 60 -o "$D/add6.resp" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d "{\"id\":6,\"address\":\"127.0.0.1:$(skv_rport 6)\",\"role\":\"voter\"}" \
    "$(skv_endpoint "$L")/v1/cluster/members" >"$D/add6.code" &
ADD6=$!
skv_wait 10 "node 6 is a spare" role_is "$L" 6 spare
code=$(SKV_POST_RETRY_S=0 skv_enc_post "$L" enable-storage-envelope)
cp "$D/resp" "$D/resp.A"
skv_log "Phase 1 with node 6 a spare: $code $(cat "$D/resp.A")"
skv_assert "Phase 1 refused (412 ErrCapabilityCheckFailed) while node 6 is a spare" \
    sh -c "[ $code = 412 ] && grep -q ErrCapabilityCheckFailed $D/resp.A"
skv_assert "the refusal names node 6" grep -q "node 6" "$D/resp.A"
skv_assert "node 6 still a spare after the refusal (a spare during the whole fan-out)" \
    role_is "$L" 6 spare
skv_assert "node 6 was in the fan-out (encryption not enabled, or no answer over its slow link)" \
    grep -Eq "node 6 \([0-9.:]*\): (encryption not enabled|unreachable)" "$D/resp.A"
skv_assert "node 4 (standby, encryption disabled) named too" grep -q "node 4" "$D/resp.A"
wait "$ADD6"
skv_log "add 6 answered $(cat "$D/add6.code"): $(cat "$D/add6.resp")"
for i in 1 2 3 4 5 6; do
    skv_assert "node $i not bootstrapped" [ "$(skv_status_field "$i" bootstrapped)" = false ]
done
skv_assert "no sidecar on any node" sh -c "! ls $D/data*/encryption/keys.json 2>/dev/null | grep -q ."
if members_json "$L" | grep -q '"id":6,'; then
    skv_assert "members remove 6" skv_cli "$L" members remove 6
fi
skv_stop 6
skv_assert "node 6 is no member" sh -c "! curl -s $(skv_endpoint "$L")/v1/cluster/members | grep -q '\"id\":6,'"

# ---- B. node 4 made capable: Phase 1 over 1..5, standbys probed ----
skv_stop 4
SKV_ENC_NODES="1 2 3 4 5"
skv_write_conf 4
skv_start 4
skv_wait 20 "node 4 serves again" skv_status_field 4 id
skv_assert "Phase 1 passes (200)" [ "$(skv_enc_post "$L" enable-storage-envelope)" = 200 ]
cp "$D/resp" "$D/resp.B"
skv_assert "summary: standbys 4 and 5 capable" sh -c \
    "[ \$(tr '{' '\n' <$D/resp.B | grep -E '\"id\":(4|5),[^}]*\"role\":\"standby\",\"capable\":true' | wc -l) = 2 ]"
for k in 1 2 3; do put_ack "$L" "mid-$k" "m$k" || skv_fail "put mid-$k"; done

# ---- C. node 4 incapable (cannot start with encryption off), promote ----
skv_stop 4
SKV_ENC_NODES="1 2 3 5"
skv_write_conf 4
off=$(wc -c <"$D/n4.log")
skv_start 4
skv_wait 20 "node 4 (encryption now disabled) refuses to start" exited 4
skv_stop 4
skv_assert "node 4's refusal says its sidecar exists with encryption disabled" \
    sh -c "tail -c +$((off + 1)) $D/n4.log | grep -q 'encryption.enabled is false'"
out=$(curl -s -m 30 -w ' %{http_code}' -X POST "$(skv_endpoint "$L")/v1/cluster/members/4/promote")
skv_log "promote 4: $out"
skv_assert "promote of incapable standby 4: 412 ErrPeerNotEncryptionCapable" \
    sh -c "echo '$out' | grep -q 'ErrPeerNotEncryptionCapable' && echo '$out' | grep -q ' 412$'"
skv_assert "the refusal says node 4 cannot join an encrypted cluster" \
    sh -c "echo '$out' | grep -q 'node 4 cannot join an encrypted cluster'"
skv_assert "node 4 is still a standby" role_is "$L" 4 standby
skv_assert "promote of capable standby 5 passes the gate" skv_cli "$L" members promote 5
skv_wait 20 "node 5 is a voter" role_is "$L" 5 voter
skv_assert "a write through node 5" put_ack 5 via-5 yes
for k in 1 2 3; do put_ack "$L" "post-$k" "w$k" || skv_fail "put post-$k"; done
SKV_CATCHUP_S=30 skv_wait_caught_up 1 2 3 5
skv_wait 20 "every acknowledged write on 1,2,3,5" acked_everywhere 1 2 3 5
skv_assert "all $(wc -l <"$D/acked") acknowledged writes on 1,2,3,5" acked_everywhere 1 2 3 5
skv_assert "no node logged HALTED" sh -c "! grep -q 'HALTED:' $D/n1.log $D/n2.log $D/n3.log $D/n4.log $D/n5.log $D/n6.log"

for i in 1 2 3 5; do skv_stop "$i"; done
for i in 1 2 3 5; do
    "$WRITERS_TOOL" "$D/n$i.yaml" >"$D/writers$i" 2>"$D/writers$i.err" || skv_fail "skv_writers node $i: $(cat "$D/writers$i.err")"
    skv_assert "node $i's registry holds node 5 under two keys" \
        [ "$(grep -c ' node=5 epoch=[1-9]' "$D/writers$i")" = 2 ]
    skv_assert "node $i's registry has no node 6" sh -c "! grep -q ' node=6 ' $D/writers$i"
done
skv_nonce_scan 1 2 3 5
skv_finish
