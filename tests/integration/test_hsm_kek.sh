#!/bin/sh
# SPDX-License-Identifier: MIT
# The KEK in an HSM through PKCS#11 (issue 13 item 5, docs/SECURITY.md
# "KEK in an HSM") on a real encrypted 3-node cluster, against a
# throwaway SoftHSM 2 token in the test's temp dir (SOFTHSM2_CONF); the
# AES-256 KEK is generated inside the token (skv_p11_keygen:
# C_GenerateKey, CKA_EXTRACTABLE false) and the three nodes share it:
#   0. the cluster starts on a file KEK K1; both encryption phases on;
#      values written;
#   A. file -> HSM, online, one node at a time: every node restarted with
#      the HSM KEK in previous_kek_pkcs11; then node by node its config
#      switched (kek_pkcs11, previous_kek_files K1) and rewrap-kek
#      {"kek_id": <HSM KEK id>}; status and the sidecar say pkcs11; then
#      every node restarted with only kek_pkcs11: it starts, reads the old
#      values, writes; a node given only K1 refuses to start
#      (ErrKEKNotGiven naming the pkcs11 KEK id);
#   B. HSM -> file the same way (previous_kek_files K1, then kek_file K1 +
#      previous_kek_pkcs11, rewrap-kek {"kek_file": K1}), ending with only
#      K1, the HSM no longer involved (kek_provider gone from the sidecar);
#   refusals at start (sealkvd --check-config), each named: module
#   missing, token not found, wrong PIN, key not found, PIN file mode 0644.
# Black box: the token refuses to hand out the KEK's value (so no process
# can write it anywhere); neither K1 nor any DEK (skv_dekdump, through
# the HSM) appears in any form in the data dirs, sidecars, logs or
# answers; the PIN appears in no log or answer; `sealkv verify` passes
# on a stopped node through the HSM KEK. Skips (77) without
# SoftHSM 2.
SKV_TEST=hsm_kek
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
. "$S/tests/integration/faults_lib.sh"
KEYGEN="$B/tests/integration/skv_p11_keygen"
DEKDUMP="$B/tests/integration/skv_dekdump"
KEYSCAN="$B/tests/integration/skv_keyscan"
MOD=${SKV_SOFTHSM_MODULE:-}
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so; do
    [ -z "$MOD" ] && [ -r "$m" ] && MOD=$m
done
if [ -z "$MOD" ] || ! command -v softhsm2-util >/dev/null 2>&1; then
    echo "SoftHSM 2 not installed (apt-get install softhsm2): skipped"
    exit 77
fi

SKV_BOOT=3 SKV_ENC_NODES="1 2 3"
export SKV_BOOT SKV_ENC_NODES
ALL="1 2 3"
fl_setup 3
K1="$SKV_DIR/kek.key"
O="$SKV_DIR/out"; mkdir -p "$O"

# ---- the token ----------------------------------------------------------------------
H="$SKV_DIR/hsm"; mkdir -p "$H/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$H" >"$H/softhsm2.conf"
SOFTHSM2_CONF="$H/softhsm2.conf"; export SOFTHSM2_CONF
PIN=27466113
(umask 077 && printf '%s\n' "$PIN" >"$H/pin")
softhsm2-util --init-token --free --label sealkv-it --pin "$PIN" --so-pin 58209749 >"$O/init" 2>&1 ||
    { cat "$O/init"; echo "cannot create the SoftHSM token"; exit 99; }
"$KEYGEN" "$MOD" sealkv-it "$H/pin" cluster-kek || { echo "cannot generate the KEK"; exit 99; }
P11="{ module: $MOD, token_label: sealkv-it, key_label: cluster-kek, pin_file: $H/pin }"
skv_assert "the token refuses to hand out the KEK's value (non-extractable, sensitive)" \
    "$KEYGEN" --refuses-value "$MOD" sealkv-it "$H/pin" cluster-kek

# conf NODE kek_file|"" [prev_files] [pkcs11] [prev_pkcs11]: rewrite node's config
conf() {
    eval "SKV_KEK_$1=\${2:-$K1} SKV_PREV_KEKS_$1=\${3:-} SKV_KEK_PKCS11_$1=\${4:-} SKV_PREV_PKCS11_$1=\${5:-}"
    skv_write_conf "$1"
}
restart() { skv_stop "$1"; skv_start "$1"; }
serves() { # node: a write through it and a local read on it
    v="v-$1-$(date +%s%N)"
    skv_cli "$1" put "probe-$1" "$v" >/dev/null && skv_wait 10 "node $1 reads its write" \
        skv_all_local_eq "probe-$1" "$v" "$1"
}
rewrap() { # node body → HTTP code; answer in $SKV_DIR/resp
    c=$(curl -s -m 30 -o "$SKV_DIR/resp" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -d "$2" "$(skv_endpoint "$1")/v1/encryption/rewrap-kek")
    cat "$SKV_DIR/resp" >>"$O/answers"
    echo "$c"
}
in_use() { fl_status "$1" | tee -a "$O/answers" | grep -o '"ids_in_use":\[[^]]*\]' | grep -o '[0-9a-f]\{32\}' | sort -u | tr '\n' ' '; }
provider() { fl_status "$1" | grep -o '"current_provider":"[a-z0-9]*"' | cut -d'"' -f4; }
nkeys() { grep -o '"key_id"' "$SKV_DIR/data$1/encryption/keys.json" | wc -l; }
under() { grep -c "\"kek_id\": \"$2\"" "$SKV_DIR/data$1/encryption/keys.json"; }
p11_marks() { grep -c '"kek_provider": "pkcs11"' "$SKV_DIR/data$1/encryption/keys.json"; }
all_read() { # node: every value written so far reads on it
    for k in $(cat "$O/keys"); do skv_all_local_eq "$k" "val-$k" "$1" || return 1; done
}
write_some() { # tag: 5 values through the leader, remembered
    L=$(fl_wait_leader 30) || return 1
    for n in 1 2 3 4 5; do
        skv_cli "$L" put "$1-$n" "val-$1-$n" >/dev/null || return 1
        echo "$1-$n" >>"$O/keys"
    done
}
: >"$O/keys"

# ---- 0. a file KEK, both phases on ------------------------------------------------------
for i in $ALL; do skv_start "$i"; done
L=$(fl_wait_leader 30) || skv_fail "no leader"
skv_assert "phase 1 on" [ "$(fl_post "$L" enable-storage-envelope)" = 200 ]
skv_assert "phase 2 on" [ "$(fl_post "$L" enable-raft-envelope)" = 200 ]
skv_assert "values under the file KEK" write_some file0
K1ID=$(fl_status 1 | grep -o '"current_id":"[0-9a-f]*"' | cut -d'"' -f4)
skv_assert "node 1 runs on the file KEK ($K1ID)" [ "$(provider 1)" = file -a ${#K1ID} = 32 ]

# ---- refusals at start, each named ----------------------------------------------------------
cc_refuses() { # what error p11map
    conf 3 "" "" "$3"
    "$SEALKVD" --config "$SKV_DIR/n3.yaml" --check-config >"$SKV_DIR/cc.out" 2>&1 && return 1
    cat "$SKV_DIR/cc.out" >>"$O/answers"
    grep -q "$2" "$SKV_DIR/cc.out" || { head -3 "$SKV_DIR/cc.out"; return 1; }
}
(umask 077 && echo 0000 >"$H/badpin")
cp "$H/pin" "$H/pin0644"; chmod 0644 "$H/pin0644"
skv_assert "module missing: ErrPKCS11ModuleMissing" cc_refuses module ErrPKCS11ModuleMissing \
    "{ module: $H/nope.so, token_label: sealkv-it, key_label: cluster-kek, pin_file: $H/pin }"
skv_assert "token not found: ErrPKCS11TokenNotFound" cc_refuses token ErrPKCS11TokenNotFound \
    "{ module: $MOD, token_label: other, key_label: cluster-kek, pin_file: $H/pin }"
skv_assert "wrong PIN: ErrPKCS11PinIncorrect" cc_refuses pin ErrPKCS11PinIncorrect \
    "{ module: $MOD, token_label: sealkv-it, key_label: cluster-kek, pin_file: $H/badpin }"
skv_assert "key not found: ErrPKCS11KeyNotFound" cc_refuses key ErrPKCS11KeyNotFound \
    "{ module: $MOD, token_label: sealkv-it, key_label: nokey, pin_file: $H/pin }"
skv_assert "PIN file mode 0644: ErrKEKFilePermissions" cc_refuses perm ErrKEKFilePermissions \
    "{ module: $MOD, token_label: sealkv-it, key_label: cluster-kek, pin_file: $H/pin0644 }"
grep -v '^encryption:' "$SKV_DIR/n3.yaml" >"$SKV_DIR/both.yaml"
echo "encryption: { enabled: true, kek_file: $K1, kek_pkcs11: $P11 }" >>"$SKV_DIR/both.yaml"
skv_assert "kek_file and kek_pkcs11 together: refused, both named" sh -c \
    "! '$SEALKVD' --config '$SKV_DIR/both.yaml' --check-config >'$SKV_DIR/cc.out' 2>&1 &&
     grep -q 'kek_file and encryption.kek_pkcs11 both name the current KEK' '$SKV_DIR/cc.out'"
conf 3

# ---- A. file -> HSM -------------------------------------------------------------------------
for i in $ALL; do
    conf "$i" "$K1" "" "" "$P11"
    restart "$i"
    skv_assert "A: node $i back holding the HSM KEK" skv_wait 30 "node $i serves" serves "$i"
done
HID=$(fl_status 1 | grep -o '"held_ids":\[[^]]*\]' | grep -o '[0-9a-f]\{32\}' | grep -v "$K1ID" | head -1)
skv_assert "A: node 1 holds a second KEK id, the HSM's ($HID)" [ ${#HID} = 32 ]
skv_assert "A: still only K1 in use" [ "$(in_use 1)" = "$K1ID " ]
L=$(fl_wait_leader 30) || skv_fail "no leader"
ORDER="$L"; for i in $ALL; do [ "$i" = "$L" ] || ORDER="$ORDER $i"; done
for i in $ORDER; do
    conf "$i" "" "$K1" "$P11"
    if [ "$i" = "$L" ]; then
        skv_cli "$i" --json encryption rewrap-kek "kek-id:$HID" >"$SKV_DIR/resp" 2>&1
        rc=$?; cat "$SKV_DIR/resp" >>"$O/answers"
        skv_assert "A: node $i (leader) rewrap-kek kek-id:$HID via the CLI" [ $rc = 0 ]
    else
        skv_assert "A: node $i rewrap-kek to the HSM KEK via HTTP" \
            [ "$(rewrap "$i" "{\"kek_id\":\"$HID\"}")" = 200 ]
    fi
    skv_assert "A: node $i's answer names the HSM KEK and pkcs11" sh -c \
        "grep -q '\"kek_id\":\"$HID\"' $SKV_DIR/resp && grep -q '\"kek_provider\":\"pkcs11\"' $SKV_DIR/resp"
    skv_assert "A: node $i has only the HSM KEK in use, current provider pkcs11" \
        [ "$(in_use "$i")" = "$HID " -a "$(provider "$i")" = pkcs11 ]
    skv_assert "A: node $i's sidecar records every DEK under the HSM KEK, kek_provider pkcs11" \
        [ "$(under "$i" "$HID")" = "$(nkeys "$i")" -a "$(p11_marks "$i")" = "$(nkeys "$i")" ]
    skv_assert "A: node $i serves after its rewrap" serves "$i"
done
skv_assert "A: a KEK id the node does not hold: 400 ErrKEKNotGiven" sh -c \
    "[ \$(curl -s -o $SKV_DIR/resp -w '%{http_code}' -X POST -d '{\"kek_id\":\"00000000000000000000000000000000\"}' $(skv_endpoint 1)/v1/encryption/rewrap-kek) = 400 ] && grep -q ErrKEKNotGiven $SKV_DIR/resp"
skv_assert "A: kek_id and kek_file together: 400 ErrBadRequest" sh -c \
    "[ \$(curl -s -o $SKV_DIR/resp -w '%{http_code}' -X POST -d '{\"kek_id\":\"$HID\",\"kek_file\":\"$K1\"}' $(skv_endpoint 1)/v1/encryption/rewrap-kek) = 400 ] && grep -q ErrBadRequest $SKV_DIR/resp"
skv_assert "A: sealkv status says the KEK is in pkcs11" sh -c \
    "'$SEALKV' --endpoint $(skv_endpoint 1) status | grep -q 'current id $HID in pkcs11'"
skv_assert "A: a rewrap to the HSM KEK again: 409 ErrKEKAlreadyCurrent" sh -c \
    "[ \$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{\"kek_id\":\"$HID\"}' $(skv_endpoint 1)/v1/encryption/rewrap-kek) = 409 ]"
skv_assert "A: rotate-dek on the leader wraps under the HSM KEK everywhere" \
    [ "$(fl_post "$L" rotate-dek)" = 200 ]
skv_wait_caught_up $ALL
for i in $ALL; do
    conf "$i" "" "" "$P11"
    restart "$i"
    skv_assert "A: node $i starts with only the HSM KEK and serves" skv_wait 30 "node $i serves" serves "$i"
    skv_assert "A: node $i reads every value" skv_wait 10 "old values on $i" all_read "$i"
done
skv_assert "values under the HSM KEK" write_some hsm
for i in $ALL; do restart "$i"; done
for i in $ALL; do
    skv_assert "A: after a whole-cluster restart node $i reads every value" \
        skv_wait 30 "values on $i" all_read "$i"
done
conf 2 "$K1"
skv_stop 2
"$SEALKVD" --config "$SKV_DIR/n2.yaml" --check-config >"$SKV_DIR/cc.out" 2>&1
cat "$SKV_DIR/cc.out" >>"$O/answers"
skv_assert "A: node 2 given only K1 refuses: ErrKEKNotGiven naming the pkcs11 KEK" \
    grep -q "ErrKEKNotGiven: .*wrapped under pkcs11 KEK id $HID" "$SKV_DIR/cc.out"
conf 2 "" "" "$P11"
"$SEALKV" verify --config "$SKV_DIR/n2.yaml" >"$SKV_DIR/verify2.out" 2>&1; vrc=$?
[ $vrc = 0 ] || tail -15 "$SKV_DIR/verify2.out"
skv_assert "A: sealkv verify passes on stopped node 2 through the HSM KEK" [ $vrc = 0 ]
skv_start 2
skv_assert "A: node 2 with the HSM KEK again serves" skv_wait 30 "node 2 serves" serves 2
skv_assert "skv_dekdump unwraps node 1's DEKs through the HSM" "$DEKDUMP" "$SKV_DIR/n1.yaml" "$SKV_DIR/deks-hsm"

# ---- B. HSM -> file -------------------------------------------------------------------------
for i in $ALL; do
    conf "$i" "" "$K1" "$P11"
    restart "$i"
    skv_assert "B: node $i back holding K1 again" skv_wait 30 "node $i serves" serves "$i"
done
L=$(fl_wait_leader 30) || skv_fail "no leader"
ORDER="$L"; for i in $ALL; do [ "$i" = "$L" ] || ORDER="$ORDER $i"; done
for i in $ORDER; do
    conf "$i" "$K1" "" "" "$P11"
    skv_assert "B: node $i rewrap-kek to the file KEK" [ "$(rewrap "$i" "{\"kek_file\":\"$K1\"}")" = 200 ]
    skv_assert "B: node $i has only K1 in use, current provider file" \
        [ "$(in_use "$i")" = "$K1ID " -a "$(provider "$i")" = file ]
    skv_assert "B: node $i's sidecar: every DEK under K1, no kek_provider" \
        [ "$(under "$i" "$K1ID")" = "$(nkeys "$i")" -a "$(p11_marks "$i")" = 0 ]
done
for i in $ALL; do
    conf "$i" "$K1"
    restart "$i"
    skv_assert "B: node $i starts with only K1 and serves" skv_wait 30 "node $i serves" serves "$i"
    skv_assert "B: node $i reads every value" skv_wait 10 "values on $i" all_read "$i"
done
skv_assert "skv_dekdump unwraps node 1's DEKs with K1 alone" "$DEKDUMP" "$SKV_DIR/n1.yaml" "$SKV_DIR/deks-file"
skv_assert "the same DEKs as through the HSM (rewrapped, not replaced)" sh -c \
    "[ \$(grep -c . '$SKV_DIR/deks-hsm') -gt 0 ] && grep -F -x -f '$SKV_DIR/deks-hsm' '$SKV_DIR/deks-file' | wc -l | grep -qx \$(grep -c . '$SKV_DIR/deks-hsm')"

# ---- black box ------------------------------------------------------------------------------
for i in $ALL; do skv_stop "$i"; done
echo "K1 $(od -An -tx1 -v "$K1" | tr -d ' \n')" >"$SKV_DIR/keys.hex"
cat "$SKV_DIR/deks-file" >>"$SKV_DIR/keys.hex"
skv_assert "control: skv_keyscan finds K1 in its own file" sh -c "'$KEYSCAN' $SKV_DIR/keys.hex $K1 2>/dev/null | grep -q '^HIT K1'"
FILES=$(find "$SKV_DIR"/data1 "$SKV_DIR"/data2 "$SKV_DIR"/data3 "$O" -type f; ls "$SKV_DIR"/n*.log)
# shellcheck disable=SC2086
"$KEYSCAN" "$SKV_DIR/keys.hex" $FILES >"$SKV_DIR/keyscan.out" 2>&1; src=$?
[ $src = 0 ] || head -5 "$SKV_DIR/keyscan.out"
skv_assert "neither K1 nor any DEK in any form in data dirs, sidecars, logs or answers" [ $src = 0 ]
no_pin() { ! grep -q "$PIN" "$@"; }
# shellcheck disable=SC2086
skv_assert "the PIN is in no log, answer or data file" no_pin $FILES
skv_finish
