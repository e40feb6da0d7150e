#!/bin/sh
# SPDX-License-Identifier: MIT
# Phase 1 (storage envelope) on a real 3-voter + 1-standby cluster:
# the capability gate refuses while the standby has encryption disabled
# and names it; enable-storage-envelope then bootstraps the DEKs and flips
# the flag on every node; a marker written afterwards is absent, as bytes,
# from every node's FSM storage (while the Raft log still holds it in
# cleartext: Phase 1 does not cover the log — skv_scan tells the key
# spaces apart); values written before Phase 1 still read; everything
# survives a whole-cluster restart; a repeat answers was_already_active;
# a node started with the wrong KEK refuses and changes nothing.
SKV_TEST=phase1
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
SCAN="$B/tests/integration/skv_scan"

SKV_BOOT=3 SKV_ENC_NODES="1 2 3"
export SKV_BOOT
skv_setup 4
D=$SKV_DIR
for i in 1 2 3 4; do skv_start $i; done
skv_wait 20 "a leader is elected" skv_leader
skv_cli 1 put before "written-before-phase1" >/dev/null || skv_fail "put before"
skv_assert "add node 4 (encryption disabled) as standby" \
    skv_cli 2 members add 4 "127.0.0.1:$(skv_rport 4)" --standby
skv_wait 20 "standby has the pre-phase-1 value" skv_all_local_eq before written-before-phase1 4

post() { skv_enc_post "$@"; }
code=$(post 2 enable-storage-envelope)
skv_assert "capability gate refuses (412) while node 4 is not capable" [ "$code" = 412 ]
skv_assert "the refusal is ErrCapabilityCheckFailed and names node 4" \
    sh -c "grep -q ErrCapabilityCheckFailed $D/resp && grep -q 'node 4' $D/resp"
skv_assert "nothing was bootstrapped" [ "$(skv_status_field 1 bootstrapped)" = false ]

# give node 4 encryption and restart it
skv_stop 4
SKV_ENC_NODES="1 2 3 4"
skv_write_conf 4
skv_start 4
skv_wait 20 "node 4 serves again" skv_status_field 4 id
code=$(post 2 enable-storage-envelope)
skv_assert "enable-storage-envelope from a follower succeeds (200)" [ "$code" = 200 ]
skv_assert "answer has applied_index and was_already_active=false" \
    sh -c "grep -q '\"applied_index\":[1-9]' $D/resp && grep -q '\"was_already_active\":false' $D/resp"
skv_assert "capability summary lists all 4 nodes" sh -c "[ \$(grep -o '\"capable\":true' $D/resp | wc -l) -eq 4 ]"
for i in 1 2 3 4; do
    skv_wait 20 "node $i: storage envelope active" \
        sh -c "[ \"\$(\"$SEALKV\" --endpoint $(skv_endpoint $i) --json status | grep -o '\"storage_envelope_active\":true')\" ]"
done
MARK="phase1-marker-$$-$(date +%s)"
skv_cli 3 put secret "$MARK" >/dev/null || skv_fail "put marker"
skv_wait_caught_up 1 2 3 4
code=$(post 1 enable-storage-envelope)
skv_assert "a repeat answers 200 with was_already_active=true" \
    sh -c "[ $code = 200 ] && grep -q '\"was_already_active\":true' $D/resp"
keyids() { curl -s "$(skv_endpoint "$1")/v1/encryption/sidecar" | grep -o '"key_id": *[0-9]*' | tr -d ' ' | sort | tr '\n' ' '; }
K1=$(keyids 1)
skv_assert "node 1's sidecar holds two keys" [ "$(echo $K1 | wc -w)" -eq 2 ]
for i in 2 3 4; do skv_assert "node $i's sidecar has node 1's key ids" [ "$(keyids $i)" = "$K1" ]; done
skv_assert "the sidecar endpoint never shows a raw DEK field" sh -c "! curl -s $(skv_endpoint 1)/v1/encryption/sidecar | grep -qi '\"dek\"'"

for i in 4 3 2 1; do skv_stop $i; done
for i in 1 2 3 4; do
    "$SCAN" "$D/n$i.yaml" "$MARK" >"$D/scan$i" 2>&1 || skv_fail "skv_scan node $i"
    skv_assert "node $i: marker absent from FSM storage (fsm_data 0)" grep -qx "fsm_data 0" "$D/scan$i"
    skv_assert "node $i: FSM holds sealed values" sh -c "! grep -qx 'values_sealed 0' $D/scan$i"
    skv_assert "node $i: raft log still holds the marker in cleartext (Phase 1 does not cover it)" \
        sh -c "! grep -qx 'raft_log 0' $D/scan$i"
    skv_assert "node $i: marker nowhere else" \
        sh -c "grep -qx 'raft_snapshot 0' $D/scan$i && grep -qx 'other 0' $D/scan$i && grep -qx 'writers 0' $D/scan$i"
done

# wrong KEK: refused, nothing changed
cp "$D/data3/encryption/keys.json" "$D/keys3.before"
(umask 077 && head -c 32 /dev/urandom >"$D/wrong.key")
sed "s#kek_file: $D/kek.key#kek_file: $D/wrong.key#" "$D/n3.yaml" >"$D/n3-wrong.yaml"
"$SEALKVD" --config "$D/n3-wrong.yaml" >"$D/wrong.out" 2>&1
rc=$?
skv_assert "a wrong KEK refuses start (non-zero exit)" [ "$rc" -ne 0 ]
skv_assert "the refusal names ErrKEKNotGiven (the sidecar names its KEK id)" grep -q ErrKEKNotGiven "$D/wrong.out"
skv_assert "the refused start left the sidecar unchanged" cmp -s "$D/keys3.before" "$D/data3/encryption/keys.json"

for i in 1 2 3 4; do skv_start $i; done
skv_wait 20 "a leader after the restart" skv_leader
skv_assert "pre-phase-1 value reads after restart" skv_get_eq 4 before written-before-phase1
skv_assert "marker reads after restart" skv_get_eq 2 secret "$MARK"
skv_cli 4 put after-restart yes >/dev/null || skv_fail "write after restart"
skv_assert "write after restart reads everywhere" skv_wait 20 "all nodes see after-restart" \
    skv_all_local_eq after-restart yes 1 2 3 4
# cluster-wide nonce scan (issue 12): stops every node, no (key, nonce) reuse
skv_nonce_scan
skv_finish
