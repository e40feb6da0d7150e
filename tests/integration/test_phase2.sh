#!/bin/sh
# SPDX-License-Identifier: MIT
# Phase 2 (raft envelope cutover) on real processes: prechecks
# (ErrEncryptionNotBootstrapped with the sidecar untouched; a stale
# standby fails the capability gate by name and the cutover stays 0), the
# cutover under continuous writes from several clients through a follower
# (every acknowledged write readable everywhere afterwards; clients only
# ever see 200 or retryable 503), the same cutover index in every sidecar,
# SIGKILL of the leader right after the cutover and a restart of all nodes
# (nobody halts, writes continue), a newcomer refused while not capable
# then added as a standby that catches up by snapshot and applies wrapped
# entries, and a marker written after the cutover absent as bytes from
# every file under every data dir.
SKV_TEST=phase2
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

SKV_BOOT=3 SKV_ENC_NODES="1 2 3 4" SKV_SNAP_THRESHOLD=64 SKV_SNAP_TRAILING=8
export SKV_BOOT SKV_SNAP_THRESHOLD SKV_SNAP_TRAILING
skv_setup 5
D=$SKV_DIR
for i in 1 2 3 4; do skv_start $i; done
skv_wait 20 "a leader is elected" skv_leader
post() { skv_enc_post "$@"; }
enc_field() { "$SEALKV" --endpoint "$(skv_endpoint "$1")" --retry 0 --json status | grep -o "\"$2\":[^,}]*" | head -1 | cut -d: -f2; }

code=$(post 2 enable-raft-envelope)
skv_assert "not bootstrapped: 409 ErrEncryptionNotBootstrapped" sh -c "[ $code = 409 ] && grep -q ErrEncryptionNotBootstrapped $D/resp"
skv_assert "not bootstrapped: no sidecar was written" sh -c "[ ! -e $D/data1/encryption/keys.json ] && [ ! -e $D/data2/encryption/keys.json ]"

skv_cli 1 put before-phase1 v0 >/dev/null || skv_fail "put before-phase1"
skv_assert "add node 4 as standby" skv_cli 1 members add 4 "127.0.0.1:$(skv_rport 4)" --standby
skv_assert "phase 1" sh -c "[ \$(curl -s -o /dev/null -w '%{http_code}' -X POST $(skv_endpoint 1)/v1/encryption/enable-storage-envelope) = 200 ]"

# a stale (stopped) standby fails the gate by name; nothing changes
skv_stop 4
code=$(post 3 enable-raft-envelope)
skv_assert "stale standby: 412 ErrCapabilityCheckFailed naming node 4" \
    sh -c "[ $code = 412 ] && grep -q ErrCapabilityCheckFailed $D/resp && grep -q 'node 4' $D/resp"
skv_assert "stale standby: cutover index stays 0" [ "$(enc_field 1 raft_envelope_cutover_index)" = 0 ]
skv_start 4
skv_wait 20 "node 4 is back" skv_status_field 4 id

# writers: two CLI clients (they retry 503s) and one raw HTTP client that
# records every status code, all through followers
L=$(skv_leader)
F=1; [ "$L" = 1 ] && F=2
G=3; [ "$L" = 3 ] && G=2
: >"$D/acked"; : >"$D/codes"
writer() { # node prefix count
    for k in $(seq 1 "$3"); do
        if "$SEALKV" --endpoint "$(skv_endpoint "$1")" --retry 20 put "$2-$k" "val-$2-$k" >/dev/null 2>>"$D/writer-errors"; then
            echo "$2-$k" >>"$D/acked"
        fi
    done
}
raw_writer() { # node prefix count
    for k in $(seq 1 "$3"); do
        c=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary "val-$2-$k" "$(skv_endpoint "$1")/v1/kv/$2-$k")
        echo "$c" >>"$D/codes"
        [ "$c" = 200 ] && echo "$2-$k" >>"$D/acked"
    done
}
writer "$F" wa 120 & W1=$!
writer "$G" wb 120 & W2=$!
raw_writer "$F" wc 400 & W3=$!
skv_wait 20 "writes are flowing" sh -c "[ \$(wc -l <$D/acked) -ge 20 ]"
code=$(post "$F" enable-raft-envelope)
skv_assert "enable-raft-envelope through follower $F under load: 200" [ "$code" = 200 ]
N=$(grep -o '"applied_index":[0-9]*' "$D/resp" | cut -d: -f2)
skv_assert "the answer carries the cutover index N=$N > 0 and was_already_active=false" \
    sh -c "[ -n '$N' ] && [ '$N' -gt 0 ] && grep -q '\"was_already_active\":false' $D/resp"
wait $W1 $W2 $W3
skv_assert "CLI writers never failed (only retryable errors during the barrier)" [ ! -s "$D/writer-errors" ]
skv_assert "raw client saw only 200 and 503" sh -c "! grep -vxE '200|503' $D/codes"
skv_log "raw client: $(grep -c 200 "$D/codes") x 200, $(grep -c 503 "$D/codes") x 503"
skv_wait_caught_up 1 2 3 4
for i in 1 2 3 4; do
    skv_assert "node $i: sidecar cutover = $N" [ "$(enc_field $i raft_envelope_cutover_index)" = "$N" ]
    skv_assert "node $i: wrap-on-propose on" [ "$(enc_field $i wrap_on_propose)" = true ]
    skv_assert "node $i: sidecar file records $N" grep -q "\"raft_envelope_cutover_index\": *$N" "$D/data$i/encryption/keys.json"
done
code=$(post "$G" enable-raft-envelope)
skv_assert "a retry reports the one cutover index with was_already_active" \
    sh -c "[ $code = 200 ] && grep -q '\"applied_index\":$N,' $D/resp && grep -q '\"was_already_active\":true' $D/resp"
bad=0
for k in $(cat "$D/acked"); do
    SKV_RETRY=0 skv_get_eq 4 "$k" "val-$k" --local || { bad=$((bad + 1)); skv_log "lost: $k"; }
done
skv_assert "all $(wc -l <"$D/acked") acknowledged writes readable on the standby" [ "$bad" -eq 0 ]

# SIGKILL the leader right after the cutover
L=$(skv_leader)
skv_stop "$L" KILL
skv_wait 20 "a new leader" skv_leader
NL=$(skv_leader)
skv_assert "writes continue on the new leader ($NL)" skv_cli "$NL" put after-kill yes
skv_start "$L"
MARK="phase2-marker-$$-$(date +%s)"
skv_assert "marker written after the cutover" skv_cli 1 put secret "$MARK"
for i in 1 2 3 4; do skv_stop "$i"; done
for i in 1 2 3 4; do skv_start "$i"; done
skv_wait 20 "a leader after restarting everyone" skv_leader
skv_assert "restart: marker reads" skv_get_eq 2 secret "$MARK"
skv_assert "restart: pre-phase-1 value reads" skv_get_eq 3 before-phase1 v0
skv_assert "restart: writes continue" skv_cli 3 put after-restart yes
for i in 1 2 3 4; do skv_assert "node $i not halted" sh -c "[ \"\$(\"$SEALKV\" --endpoint $(skv_endpoint $i) --json status | grep -o '\"state\":\"halted\"')\" = '' ]"; done

# a newcomer: refused while not capable, then joins as standby by snapshot
for k in $(seq 1 80); do skv_cli 1 put "fill-$k" x >/dev/null || skv_fail "fill $k"; done
skv_start 5
skv_wait 10 "node 5 answers" skv_status_field 5 id
code=$(curl -s -o "$D/resp" -w '%{http_code}' -X POST -d "{\"id\":5,\"address\":\"127.0.0.1:$(skv_rport 5)\",\"role\":\"standby\"}" "$(skv_endpoint 1)/v1/cluster/members")
skv_assert "a newcomer without encryption: 412 ErrPeerNotEncryptionCapable" sh -c "[ $code = 412 ] && grep -q ErrPeerNotEncryptionCapable $D/resp"
skv_stop 5
SKV_ENC_NODES="1 2 3 4 5"
skv_write_conf 5
skv_start 5
skv_wait 10 "node 5 answers again" skv_status_field 5 id
skv_assert "capable newcomer added as standby" skv_cli 2 members add 5 "127.0.0.1:$(skv_rport 5)" --standby
skv_assert "node 5 catches up (marker)" skv_wait 30 "node 5 has the marker" skv_all_local_eq secret "$MARK" 5
skv_assert "node 5 installed a snapshot" grep -q "installing snapshot from the leader" "$D/n5.log"
skv_assert "node 5 adopted cutover $N from the snapshot" [ "$(enc_field 5 raft_envelope_cutover_index)" = "$N" ]
skv_cli 4 put after-join joined >/dev/null || skv_fail "put after-join"
skv_assert "node 5 applies wrapped entries" skv_wait 20 "node 5 has after-join" skv_all_local_eq after-join joined 5

for i in 1 2 3 4 5; do skv_stop "$i"; done
hits=$(grep -rl -- "$MARK" "$D"/data* 2>/dev/null | wc -l)
skv_assert "the post-cutover marker is absent as bytes from every file under every data dir" [ "$hits" -eq 0 ]
hits=$(grep -rl -- "val-wc-400" "$D"/data* 2>/dev/null | wc -l)
skv_log "files holding a pre/at-cutover value in cleartext (raft log below N, until compaction): $hits"
# cluster-wide nonce scan (issue 12): stops every node, no (key, nonce) reuse
skv_nonce_scan
skv_finish
