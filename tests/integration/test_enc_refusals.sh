#!/bin/sh
# SPDX-License-Identifier: MIT
# The documented start-up refusals of an encrypted node (DESIGN.md §5, §6):
# one node goes through Phase 1 and Phase 2, takes a snapshot after the
# cutover and restarts once (epoch 2 registered). Then sealkvd is started
# in the foreground against variants of its config and of its sidecar;
# each must exit non-zero, name the documented error and leave the
# sidecar byte-identical ("writes nothing"):
#   a  encryption enabled, no kek_file, no SEALKV_KEK_BASE64 → ErrKEKMissing
#   b  KEK file mode 0644 → ErrKEKFilePermissions; a symlink to the key →
#      ErrKEKFileNotRegular; a 31-byte key file → ErrKEKInvalid
#   c  sidecar present, encryption block absent → ErrEncryptionDisabled
#   d  another random KEK → ErrKEKNotGiven (the sidecar names the KEK id
#      each key is wrapped under: KEK rotation, issue 13); the same with a
#      sidecar that names no KEK id (written before it) → ErrDEKUnwrapFailed;
#      a KEK id edited to the wrong KEK's → ErrDEKUnwrapFailed (the AEAD,
#      not the label, decides); previous_kek_files naming a missing file →
#      ErrKEKFileMissing
#   e  every local_epoch 65534 (the bump would reach 0xFFFF) → ErrLocalEpochExhausted
#   f  raft_applied_index 1 (behind the FSM) → ErrSidecarBehindRaftLog
#   g  every local_epoch 1 (the registry holds 2) → ErrLocalEpochRollback
#   h  raft_envelope_cutover_index N+1 (snapshot says N) → ErrEnvelopeCutoverDivergence
#   h0 raft_envelope_cutover_index 0 under the node's own (not newer) snapshot → the same
# SEALKV_KEK_BASE64 instead of kek_file starts the node; afterwards the
# node starts normally and serves every key written.
SKV_TEST=enc-refusals
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

SKV_ENC_NODES="1" SKV_SNAP_THRESHOLD=16 SKV_SNAP_TRAILING=4
skv_setup 1
D=$SKV_DIR
SC="$D/data1/encryption/keys.json"
skv_start 1
skv_wait 20 "node 1 is leader" skv_is_state 1 leader

post() { skv_enc_post 1 "$1"; }
put_keys() { # prefix count
    k=1
    while [ "$k" -le "$2" ]; do
        skv_cli 1 put "$1-$k" "value-$1-$k" >/dev/null || skv_fail "put $1-$k"
        k=$((k + 1))
    done
}
all_readable() {
    for k in $(seq 1 5); do skv_get_eq 1 "pre-$k" "value-pre-$k" || return 1; done
    for k in $(seq 1 40); do skv_get_eq 1 "post-$k" "value-post-$k" || return 1; done
}

put_keys pre 5
skv_assert "enable-storage-envelope (200)" [ "$(post enable-storage-envelope)" = 200 ]
skv_assert "enable-raft-envelope (200)" [ "$(post enable-raft-envelope)" = 200 ]
put_keys post 40
skv_stop 1
skv_assert "clean stop after the cutover" [ "$SKV_LAST_RC" = 0 ]
logged=$(wc -l <"$D/n1.log")
skv_start 1
reg_applied() { tail -n +"$((logged + 1))" "$D/n1.log" | grep -q "writer registration applied"; }
skv_wait 20 "the restarted node's epoch-2 registration applied" reg_applied
skv_stop 1
skv_assert "clean stop after the restart" [ "$SKV_LAST_RC" = 0 ]

cp "$SC" "$D/keys.pristine"
skv_log "sidecar: $(tr -d ' \n' <"$D/keys.pristine" | sed 's/"wrapped":"[^"]*"/"wrapped":.../g')"
N=$(sed -n 's/^ *"raft_envelope_cutover_index": *\([0-9]*\).*/\1/p' "$D/keys.pristine")
skv_assert "the sidecar records a cutover index (N=$N)" [ "${N:-0}" -gt 0 ]
skv_assert "both keys' local_epoch is 2 after one restart" sh -c \
    "[ \$(grep -c '\"local_epoch\": ' $D/keys.pristine) = 2 ] && [ \$(grep -c '\"local_epoch\": 2,\{0,1\}\$' $D/keys.pristine) = 2 ]"

# variant configs
sed 's#^encryption:.*#encryption: { enabled: true }#' "$D/n1.yaml" >"$D/nokek.yaml"
grep -v '^encryption:' "$D/n1.yaml" >"$D/noenc.yaml"
kekconf() { sed "s#kek_file: $D/kek.key#kek_file: $D/$1#" "$D/n1.yaml" >"$D/$1.yaml"; }
cp "$D/kek.key" "$D/kek644.key" && chmod 644 "$D/kek644.key" && kekconf kek644.key
ln -s "$D/kek.key" "$D/keklink.key" && kekconf keklink.key
(umask 077 && head -c 31 "$D/kek.key" >"$D/kek31.key") && kekconf kek31.key
(umask 077 && head -c 32 /dev/urandom >"$D/wrong.key") && kekconf wrong.key
skv_assert "variant configs differ from the original" sh -c \
    "! cmp -s $D/n1.yaml $D/nokek.yaml && ! cmp -s $D/n1.yaml $D/noenc.yaml && ! cmp -s $D/n1.yaml $D/wrong.key.yaml"

# refused NAME CONFIG ERRNAME [untouched]: a foreground start is refused
# with ERRNAME and the sidecar is unchanged; with "untouched", nothing in
# the data dir is touched at all (refusals before the store is opened).
refused() {
    touch "$D/stamp"
    timeout 20 env -u SEALKV_KEK_BASE64 "$SEALKVD" --config "$2" >"$D/out-$1" 2>&1
    rc=$?
    skv_log "case $1: rc $rc: $(head -c 400 "$D/out-$1" | tr '\n' ' ')"
    skv_assert "$1: start refused (non-zero exit, not the timeout)" [ "$rc" -ne 0 -a "$rc" -ne 124 ]
    skv_assert "$1: the output names $3" grep -q "$3" "$D/out-$1"
    skv_assert "$1: sidecar byte-identical" cmp -s "$SC" "$D/keys.before"
    if [ "${4:-}" = untouched ]; then
        skv_assert "$1: nothing in the data dir was touched" \
            sh -c "[ -z \"\$(find $D/data1 -newer $D/stamp | head -1)\" ]"
    fi
    cp "$D/keys.pristine" "$SC"   # restore for the next case
}
# edit_sc sed-expression: the pristine sidecar, edited, in place
edit_sc() {
    sed "$1" "$D/keys.pristine" >"$SC"
    skv_assert "the edit changed the sidecar ($1)" sh -c "! cmp -s $SC $D/keys.pristine"
    cp "$SC" "$D/keys.before"
}
cp "$D/keys.pristine" "$D/keys.before"

refused a-no-kek "$D/nokek.yaml" ErrKEKMissing untouched
refused b-mode-0644 "$D/kek644.key.yaml" ErrKEKFilePermissions untouched
refused b-symlink "$D/keklink.key.yaml" ErrKEKFileNotRegular untouched
refused b-31-bytes "$D/kek31.key.yaml" ErrKEKInvalid untouched
refused c-disabled "$D/noenc.yaml" ErrEncryptionDisabled untouched
refused d-wrong-kek "$D/wrong.key.yaml" ErrKEKNotGiven untouched
skv_assert "d-wrong-kek: the refusal names the sidecar's KEK id" \
    grep -q "wrapped under \(file \|pkcs11 \)\{0,1\}KEK id $(grep -o '"kek_id": "[0-9a-f]*"' "$D/keys.pristine" | head -1 | cut -d'"' -f4), which this node was not given" "$D/out-d-wrong-kek"
sed 's#^encryption: { enabled: true, kek_file: \([^ ,}]*\)#encryption: { enabled: true, kek_file: \1, previous_kek_files: [ '"$D"'/nope.key ]#' \
    "$D/n1.yaml" >"$D/prevmissing.yaml"
refused d-previous-missing "$D/prevmissing.yaml" ErrKEKFileMissing untouched
edit_sc '/"kek_id"/d; s/"local_epoch": \([0-9]*\),$/"local_epoch": \1/'
refused d-wrong-kek-older-sidecar "$D/wrong.key.yaml" ErrDEKUnwrapFailed untouched
WID=$(timeout 20 "$SEALKVD" --config "$D/wrong.key.yaml" 2>&1 | grep -o 'current KEK id [0-9a-f]*' | head -1 | cut -d' ' -f4)
edit_sc "s/\"kek_id\": \"[0-9a-f]*\"/\"kek_id\": \"$WID\"/"
refused d-kek-id-relabelled "$D/wrong.key.yaml" ErrDEKUnwrapFailed untouched

edit_sc 's/"local_epoch": [0-9]*/"local_epoch": 65534/'
refused e-epoch-exhausted "$D/n1.yaml" ErrLocalEpochExhausted
edit_sc 's/"raft_applied_index": [0-9]*/"raft_applied_index": 1/'
refused f-sidecar-behind "$D/n1.yaml" ErrSidecarBehindRaftLog
edit_sc 's/"local_epoch": [0-9]*/"local_epoch": 1/'
refused g-epoch-rollback "$D/n1.yaml" ErrLocalEpochRollback
edit_sc "s/\"raft_envelope_cutover_index\": $N/\"raft_envelope_cutover_index\": $((N + 1))/"
refused h-cutover-divergence "$D/n1.yaml" ErrEnvelopeCutoverDivergence
# cutover 0 is allowed only under a snapshot newer than the FSM (a crash
# between snapshot_put and restore, test_snap_restore_crash.sh); this
# node's own snapshot is not newer than its FSM
edit_sc "s/\"raft_envelope_cutover_index\": $N/\"raft_envelope_cutover_index\": 0/"
refused h0-cutover-zero-under-older-snapshot "$D/n1.yaml" ErrEnvelopeCutoverDivergence
skv_assert "the pristine sidecar is back in place" cmp -s "$SC" "$D/keys.pristine"

# SEALKV_KEK_BASE64 instead of kek_file
SEALKV_KEK_BASE64=$(base64 -w0 "$D/kek.key") "$SEALKVD" --config "$D/nokek.yaml" >>"$D/n1.log" 2>&1 &
SKV_PIDS="$SKV_PIDS 1:$!"
skv_log "started node 1 with SEALKV_KEK_BASE64 (pid $!)"
skv_assert "SEALKV_KEK_BASE64: the node starts and answers status" \
    skv_wait 20 "node 1 (SEALKV_KEK_BASE64) is leader" skv_is_state 1 leader
skv_stop 1
skv_assert "SEALKV_KEK_BASE64: clean stop" [ "$SKV_LAST_RC" = 0 ]

# nothing was damaged: a normal start serves every key
skv_start 1
skv_wait 20 "node 1 is leader again" skv_is_state 1 leader
skv_assert "all 45 keys read after the refusals" all_readable
skv_cli 1 put after-refusals yes >/dev/null || skv_fail "write after the refusals"
skv_assert "a new write reads back" skv_get_eq 1 after-refusals yes
skv_stop 1
skv_finish
