#!/bin/sh
# SPDX-License-Identifier: MIT
# `sealkv verify` and GET /metrics on a real 3-node cluster. Phase 0:
# verify on a stopped node without encryption reports cleartext and
# passes (fails with --strict); it refuses a running node. Then Phase 1
# and Phase 2 with writes around them (some through a follower):
# /metrics on every node has the documented series with plausible
# values (proposal outcomes cover the writes, cutover index = status's,
# wrap 1, sealed/wrapped per key id, fsyncs). All stopped: verify passes
# with every entry above N wrapped and authenticated, --json parses;
# --strict flags the pre-Phase-1 cleartext; a wrong KEK is refused (2).
# Tampering: one ciphertext byte of the last log entry flipped with the
# record CRC re-computed → ErrEnvelopeIntegrity at that index; flipped
# with the CRC left stale → ErrLogRecordCorrupt; both exit 1.
SKV_TEST=verify_metrics
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
TAMPER="$B/tests/integration/skv_tamper"

SKV_ENC_NODES="1 2" SKV_SNAP_THRESHOLD=64 SKV_SNAP_TRAILING=200
export SKV_SNAP_THRESHOLD SKV_SNAP_TRAILING   # one snapshot, the whole log kept
skv_setup 3
D=$SKV_DIR
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader is elected" skv_leader

verify() { # out-file config args... → exit code of sealkv verify
    o=$1; shift
    "$SEALKV" verify --config "$@" >"$o" 2>&1
    echo $?
}
has() { grep -q -- "$2" "$1"; }
json_ok() { # file: parses as JSON when jq is around; else a {...} line
    if command -v jq >/dev/null 2>&1; then jq -e . "$1" >/dev/null; else grep -q '^{.*}$' "$1"; fi
}

for k in $(seq 1 20); do skv_cli 1 put "p0-$k" "v0-$k" >/dev/null || skv_fail "put p0-$k"; done
skv_wait_caught_up 1 2 3

# ---- Phase 0 on node 3 (encryption disabled) --------------------------
rc=$(verify "$D/v-running" "$D/n1.yaml")
skv_assert "verify refuses a running node (exit 2, says so)" sh -c "[ $rc = 2 ] && grep -q 'running' $D/v-running"
skv_stop 3
rc=$(verify "$D/v0" "$D/n3.yaml")
skv_assert "phase 0: verify exits 0 on a node without encryption" [ "$rc" = 0 ]
skv_assert "phase 0: reports cleartext commands and values" sh -c \
    "grep -q 'raft envelope not active' $D/v0 && grep -Eq 'cleartext_values [1-9]' $D/v0"
rc=$(verify "$D/v0.json" "$D/n3.yaml" --json)
skv_assert "phase 0: --json parses, ok, encryption disabled, cleartext_values > 0" sh -c \
    "[ $rc = 0 ] && grep -q '\"ok\":true' $D/v0.json && grep -q '\"encryption_enabled\":false' $D/v0.json && grep -Eq '\"cleartext_values\":[1-9]' $D/v0.json"
skv_assert "phase 0: JSON is well-formed" json_ok "$D/v0.json"
rc=$(verify "$D/v0s" "$D/n3.yaml" --strict)
skv_assert "phase 0: --strict makes cleartext an anomaly (exit 1)" sh -c "[ $rc = 1 ] && grep -q ErrCleartextValue $D/v0s"
SKV_ENC_NODES="1 2 3"
skv_write_conf 3
skv_start 3
skv_wait 20 "node 3 serves with encryption" skv_status_field 3 id

# ---- Phase 1 and Phase 2 with writes -----------------------------------
post() { skv_enc_post "$@"; }
skv_assert "phase 1 enabled" [ "$(post 1 enable-storage-envelope)" = 200 ]
L=$(skv_leader)
F=1; [ "$L" = 1 ] && F=2
for k in $(seq 1 20); do skv_cli "$F" put "p1-$k" "v1-$k" >/dev/null || skv_fail "put p1-$k"; done
skv_assert "phase 2 enabled" [ "$(post "$F" enable-raft-envelope)" = 200 ]
N=$(grep -o '"applied_index":[0-9]*' "$D/resp" | cut -d: -f2)
skv_assert "cutover index N=$N > 0" sh -c "[ -n '$N' ] && [ '$N' -gt 0 ]"
for k in $(seq 1 40); do skv_cli "$F" put "p2-$k" "v2-$k" >/dev/null || skv_fail "put p2-$k"; done
skv_wait_caught_up 1 2 3

# ---- /metrics --------------------------------------------------------
metric() { # file series → value of the first sample line that starts with it
    grep -F -- "$2 " "$1" | grep -v '^#' | head -1 | awk '{print $NF}'
}
user_ok=0
for i in 1 2 3; do
    M="$D/metrics$i"
    ct=$(curl -s -o "$M" -w '%{content_type}' "$(skv_endpoint $i)/metrics")
    skv_assert "node $i: /metrics is text/plain; version=0.0.4" sh -c "echo '$ct' | grep -q '^text/plain; version=0.0.4'"
    for s in sealkv_raft_state sealkv_raft_term sealkv_raft_commit_index sealkv_raft_applied_index \
        sealkv_raft_last_index sealkv_proposals_total sealkv_forwarded_total \
        sealkv_raft_envelope_cutover_index sealkv_cutover_step sealkv_cutover_last_intake_pause_seconds \
        sealkv_raft_envelope_wrap sealkv_decrypt_failures_total sealkv_values_sealed_total \
        sealkv_entries_wrapped_total sealkv_sidecar_raft_applied_index sealkv_storage_fsyncs_total \
        sealkv_storage_appends_per_fsync sealkv_fsm_key_set_on sealkv_fsm_key_set_keys; do
        has "$M" "^# TYPE $s " || skv_fail "node $i: /metrics lacks $s"
    done
    st=$(skv_status_field $i state)
    skv_assert "node $i: raft_state{state=\"$st\"} is 1" [ "$(metric "$M" "sealkv_raft_state{state=\"$st\"}")" = 1 ]
    skv_assert "node $i: cutover index = status's ($N)" \
        [ "$(metric "$M" sealkv_raft_envelope_cutover_index)" = "$(skv_status_field $i raft_envelope_cutover_index)" ]
    skv_assert "node $i: wrap 1" [ "$(metric "$M" sealkv_raft_envelope_wrap)" = 1 ]
    skv_assert "node $i: sidecar applied index >= N" [ "$(metric "$M" sealkv_sidecar_raft_applied_index)" -ge "$N" ]
    skv_assert "node $i: no integrity failures" \
        [ "$(metric "$M" 'sealkv_decrypt_failures_total{reason="ErrEnvelopeIntegrity"}')" = 0 ]
    sealed=$(grep '^sealkv_values_sealed_total{key_id="[0-9]*"}' "$M" | awk '{s+=$2} END {print s+0}')
    skv_assert "node $i: values sealed per storage DEK >= 60 ($sealed)" [ "$sealed" -ge 60 ]
    skv_assert "node $i: fsyncs counted" [ "$(metric "$M" sealkv_storage_fsyncs_total)" -gt 0 ]
    skv_assert "node $i: the key set is on and holds the keys written (>= 60)" \
        sh -c "[ $(metric "$M" sealkv_fsm_key_set_on) = 1 ] && [ $(metric "$M" sealkv_fsm_key_set_keys) -ge 60 ]"
    user_ok=$((user_ok + $(metric "$M" 'sealkv_proposals_total{source="user",outcome="ok"}')))
done
skv_log "metrics of node $L (leader):"; grep -v '^#' "$D/metrics$L" | head -40
# (node 3 restarted after the first 20 writes: its counters started over)
skv_assert "proposals_total{user,ok} over the nodes >= the 60 writes since ($user_ok)" [ "$user_ok" -ge 60 ]
wrapped=$(grep '^sealkv_entries_wrapped_total{key_id="[0-9]*"}' "$D/metrics$L" | awk '{s+=$2} END {print s+0}')
skv_assert "leader: entries wrapped per raft DEK >= 40 ($wrapped)" [ "$wrapped" -ge 40 ]
skv_assert "leader: admin proposals counted" [ "$(metric "$D/metrics$L" 'sealkv_proposals_total{source="admin",outcome="ok"}')" -ge 1 ]
skv_assert "follower $F forwarded proposals" [ "$(metric "$D/metrics$F" 'sealkv_forwarded_total{kind="proposal"}')" -ge 60 ]

# ---- verify, all stopped ----------------------------------------------
for i in 1 2 3; do skv_stop $i; done
rc=$(verify "$D/v1" "$D/n1.yaml")
skv_log "$(cat "$D/v1")"
skv_assert "verify on node 1 exits 0" [ "$rc" = 0 ]
skv_assert "human report: entries above N wrapped and authenticated, verdict OK" sh -c \
    "grep -q 'at or below cutover $N' $D/v1 && grep -q 'wrapped and authenticated' $D/v1 && grep -q '^verify: OK' $D/v1"
rc=$(verify "$D/v1.json" "$D/n1.yaml" --json)
skv_assert "verify --json exits 0 and parses" sh -c "[ $rc = 0 ] && grep -q '\"ok\":true' $D/v1.json"
skv_assert "verify --json is well-formed" json_ok "$D/v1.json"
above=$(grep -o '"above_cutover":[0-9]*' "$D/v1.json" | cut -d: -f2)
auth=$(grep -o '"above_cutover_authenticated":[0-9]*' "$D/v1.json" | cut -d: -f2)
skv_assert "entries above N: $above > 0, all authenticated ($auth)" sh -c "[ '$above' -gt 0 ] && [ '$above' = '$auth' ]"
skv_assert "JSON: cutover N, no anomalies, sealed values all authenticated" sh -c \
    "grep -q '\"raft_envelope_cutover_index\":$N' $D/v1.json && grep -q '\"anomaly_count\":0' $D/v1.json && \
     grep -Eq '\"sealed_values\":([0-9]+),\"sealed_authenticated\":\\1,' $D/v1.json"
skv_assert "JSON: a snapshot whose header agrees with the sidecar" sh -c \
    "grep -q '\"snapshot\":{\"present\":true' $D/v1.json && grep -q '\"matches_sidecar\":true' $D/v1.json"
skv_assert "the report shows key ids, never key bytes" sh -c "! grep -qi 'wrapped\"\\|dek\"' $D/v1.json"
rc=$(verify "$D/v1s" "$D/n1.yaml" --strict)
skv_assert "--strict: pre-phase-1 cleartext values and log entries are anomalies (exit 1)" sh -c \
    "[ $rc = 1 ] && grep -q ErrCleartextValue $D/v1s && grep -q ErrCleartextEntry $D/v1s"
(umask 077 && head -c 32 /dev/urandom >"$D/wrong.key")
sed "s#kek_file: $D/kek.key#kek_file: $D/wrong.key#" "$D/n1.yaml" >"$D/n1-wrong.yaml"
rc=$(verify "$D/vw" "$D/n1-wrong.yaml")
skv_assert "a wrong KEK: exit 2 with ErrKEKNotGiven" sh -c "[ $rc = 2 ] && grep -q ErrKEKNotGiven $D/vw"

# ---- tampering -------------------------------------------------------
T=$("$TAMPER" "$D/n1.yaml" fix-crc | sed -n 's/^tampered //p')
skv_assert "tampered entry $T is above N" sh -c "[ -n '$T' ] && [ '$T' -gt $N ]"
rc=$(verify "$D/vt" "$D/n1.yaml")
skv_log "$(grep -E 'ANOMALY|^verify' "$D/vt")"
skv_assert "tag tamper: exit 1, ErrEnvelopeIntegrity named at entry $T" sh -c \
    "[ $rc = 1 ] && grep -q 'ANOMALY ErrEnvelopeIntegrity in raft_log' $D/vt && grep -q 'entry $T ' $D/vt && grep -q '^verify: FAILED (1 anomalies' $D/vt"
rc=$(verify "$D/vt.json" "$D/n1.yaml" --json)
skv_assert "tag tamper --json: parses, ok false, the anomaly with kind and index" sh -c \
    "[ $rc = 1 ] && grep -q '\"ok\":false' $D/vt.json && grep -q '\"kind\":\"ErrEnvelopeIntegrity\",\"where\":\"raft_log\",\"index\":$T,' $D/vt.json"
skv_assert "tag tamper --json is well-formed" json_ok "$D/vt.json"
T2=$("$TAMPER" "$D/n2.yaml" raw | sed -n 's/^tampered //p')
rc=$(verify "$D/vc" "$D/n2.yaml")
skv_assert "CRC tamper on node 2 (entry $T2): exit 1, ErrLogRecordCorrupt checksum mismatch" sh -c \
    "[ $rc = 1 ] && grep -q 'ANOMALY ErrLogRecordCorrupt' $D/vc && grep -q 'log entry $T2: checksum mismatch' $D/vc"
rc=$(verify "$D/v3" "$D/n3.yaml")
skv_assert "untouched node 3 still verifies clean" [ "$rc" = 0 ]
skv_finish
