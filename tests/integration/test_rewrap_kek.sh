#!/bin/sh
# SPDX-License-Identifier: MIT
# KEK rotation (issue 13 item 2, docs/SECURITY.md "Rotating the KEK") on a
# real encrypted 3-node cluster with both phases on, under write load from
# the history recorder on every node, following the documented procedure:
#   0. refusals, each leaving the sidecar byte for byte unchanged: a new
#      KEK file missing, mode 0644, 31 bytes, a relative path, the current
#      KEK again (ErrKEKFileMissing, ErrKEKFilePermissions, ErrKEKInvalid,
#      ErrBadRequest, ErrKEKAlreadyCurrent), and K2 while the other nodes
#      do not hold it yet (412 ErrCapabilityCheckFailed naming them);
#   A. every node restarted with the new KEK K2 in previous_kek_files;
#      then, node 3 down, a rewrap on node 1 waits for node 3 and fails
#      (412, unreachable) while a second one is refused
#      (503 ErrKEKRewrapInProgress);
#   B. node by node, the leader first: config switched (kek_file K2,
#      previous_kek_files K1), rewrap-kek (CLI on the leader, HTTP on the
#      others); each answer counts every DEK, the node's status shows only
#      K2's id in use, the node reads and writes. Between the first and
#      the second node a storage DEK is rotated on the leader (wrapped
#      under K2): the followers still on K1 open it and know they now hold
#      DEKs under two KEKs (status lists both ids) until their rewrap;
#   C. every node restarted with only K2: it starts and serves old and
#      new values; node 2 restarted with only K1 refuses to start
#      (ErrKEKNotGiven naming K2's id), then starts again with K2.
# Then: the history is linearizable with no acknowledged write lost; every
# sidecar names only K2's id and no longer contains K1's; skv_dekdump
# (the start-up code path) unwraps with K2 alone exactly the DEKs it
# unwrapped with K1 before the rewrap and cannot open them with K1 alone;
# neither KEK appears in any form (skv_keyscan: raw, hex, base64) in the
# data dirs, logs or answers (positive control: the scanner finds K2 in
# its own file); `sealkv verify` passes on every stopped node.
SKV_TEST=rewrap_kek
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
. "$S/tests/integration/faults_lib.sh"
[ -x "$LCLIENT" ] && [ -x "$LINCHECK" ] || { echo "lclient/lincheck not built"; exit 99; }
DEKDUMP="$B/tests/integration/skv_dekdump"
KEYSCAN="$B/tests/integration/skv_keyscan"

SKV_BOOT=3 SKV_ENC_NODES="1 2 3"
export SKV_BOOT SKV_ENC_NODES
ALL="1 2 3"
fl_setup 3
K1="$SKV_DIR/kek.key" K2="$SKV_DIR/kek2.key"
(umask 077 && head -c 32 /dev/urandom >"$K2") || skv_fail "cannot write K2"
O="$SKV_DIR/out"; mkdir -p "$O"

# rewrap NODE BODY → HTTP code; the answer in $SKV_DIR/resp (kept in $O)
rewrap() {
    c=$(curl -s -m 30 -o "$SKV_DIR/resp" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -d "$2" "$(skv_endpoint "$1")/v1/encryption/rewrap-kek")
    cat "$SKV_DIR/resp" >>"$O/answers"
    echo "$c"
}
field() { grep -o "\"$1\":[^,}]*" "$SKV_DIR/resp" | head -1 | cut -d: -f2 | tr -d '"'; }
# the ids of the KEKs a node's sidecar DEKs are under (status), sorted
in_use() { fl_status "$1" | grep -o '"ids_in_use":\[[^]]*\]' | grep -o '[0-9a-f]\{32\}' | sort -u | tr '\n' ' '; }
nkeys() { curl -s "$(skv_endpoint "$1")/v1/encryption/sidecar" | grep -o '"key_id"' | wc -l; }
sc_sum() { sha256sum "$SKV_DIR/data$1/encryption/keys.json" | cut -d' ' -f1; }
conf() { # node kek_file [previous list]: rewrite node's config
    eval "SKV_KEK_$1=\$2 SKV_PREV_KEKS_$1=\${3:-}"
    skv_write_conf "$1"
}
restart() { skv_stop "$1"; skv_start "$1"; }
serves() { # node: a write through it and a local read on it
    v="v-$1-$(date +%s%N)"
    skv_cli "$1" put "probe-$1" "$v" >/dev/null && skv_wait 10 "node $1 reads its write" \
        skv_all_local_eq "probe-$1" "$v" "$1"
}

for i in $ALL; do skv_start "$i"; done
L=$(fl_wait_leader 30) || skv_fail "no leader"
skv_assert "phase 1 on" [ "$(fl_post "$L" enable-storage-envelope)" = 200 ]
skv_assert "phase 2 on" [ "$(fl_post "$L" enable-raft-envelope)" = 200 ]
skv_assert "a value before any rewrap" skv_cli "$L" put old-value v-old
K1ID=$(fl_status 1 | grep -o '"current_id":"[0-9a-f]*"' | cut -d'"' -f4)
skv_assert "status names the KEK id in use ($K1ID) and it is the same on every node" \
    sh -c "[ ${#K1ID} = 32 ] && [ '$(in_use 1)' = '$K1ID ' ] && [ '$(in_use 2)' = '$K1ID ' ] && [ '$(in_use 3)' = '$K1ID ' ]"
skv_assert "the sidecar records the KEK id per key" grep -q "\"kek_id\": \"$K1ID\"" "$SKV_DIR/data1/encryption/keys.json"
skv_assert "skv_dekdump unwraps node 1's DEKs under K1" "$DEKDUMP" "$SKV_DIR/n1.yaml" "$SKV_DIR/deks-k1"
NK=$(nkeys 1)

# ---- 0. refusals -----------------------------------------------------------------
S1=$(sc_sum 1)
cp "$K2" "$SKV_DIR/k2-0644"; chmod 0644 "$SKV_DIR/k2-0644"
(umask 077 && head -c 31 /dev/urandom >"$SKV_DIR/k-short")
refused() { # body code error [node]
    c=$(rewrap "${4:-1}" "$1")
    [ "$c" = "$2" ] && grep -q "\"error\":\"$3\"" "$SKV_DIR/resp"
}
refused_on() { refused "{\"kek_file\":\"$K2\"}" 409 ErrKEKAlreadyCurrent "$1"; }
skv_assert "a missing KEK file: 400 ErrKEKFileMissing" refused "{\"kek_file\":\"$SKV_DIR/nope.key\"}" 400 ErrKEKFileMissing
skv_assert "a KEK file with mode 0644: 400 ErrKEKFilePermissions" refused "{\"kek_file\":\"$SKV_DIR/k2-0644\"}" 400 ErrKEKFilePermissions
skv_assert "a 31-byte KEK file: 400 ErrKEKInvalid" refused "{\"kek_file\":\"$SKV_DIR/k-short\"}" 400 ErrKEKInvalid
skv_assert "a relative path: 400 ErrBadRequest" refused '{"kek_file":"kek2.key"}' 400 ErrBadRequest
skv_assert "no body: 400 ErrBadRequest" refused '{}' 400 ErrBadRequest
skv_assert "the current KEK again: 409 ErrKEKAlreadyCurrent" refused "{\"kek_file\":\"$K1\"}" 409 ErrKEKAlreadyCurrent
skv_assert "the CLI says why (ErrKEKFileMissing, exit 1)" sh -c \
    "'$SEALKV' --endpoint $(skv_endpoint 1) --retry 0 encryption rewrap-kek $SKV_DIR/nope.key 2>&1 | grep -q ErrKEKFileMissing"
# step 2 skipped: nodes 2 and 3 cannot open what node 1 would wrap under K2
c=$(rewrap 1 "{\"kek_file\":\"$K2\"}")
skv_assert "before every node accepts K2: 412 ErrCapabilityCheckFailed ($(head -c 300 "$SKV_DIR/resp"))" \
    sh -c "[ $c = 412 ] && grep -q ErrCapabilityCheckFailed $SKV_DIR/resp"
skv_assert "the refusal names nodes 2 and 3 as not holding the new KEK" sh -c \
    "grep -q 'node 2 ([^)]*): does not hold KEK id' $SKV_DIR/resp && grep -q 'node 3 ([^)]*): does not hold KEK id' $SKV_DIR/resp"
skv_assert "after the refusals node 1's sidecar is unchanged" [ "$(sc_sum 1)" = "$S1" ]
skv_assert "and node 1 still wraps under K1" [ "$(in_use 1)" = "$K1ID " ]

# ---- A. every node accepts K2 before any node wraps under it ---------------------
FL_HIST="$SKV_DIR/history" FL_KEY_PREFIX=kek-k
fl_load_start rw $ALL
skv_assert "load is flowing" fl_wait_ops rw 50 30
for i in $ALL; do
    conf "$i" "$K1" "$K2"
    restart "$i"
    skv_assert "round A: node $i back with K2 accepted" skv_wait 30 "node $i serves" serves "$i"
done
skv_assert "round A: still only K1 in use on node 1" [ "$(in_use 1)" = "$K1ID " ]
# a member down: the check cannot pass; a second request meanwhile is refused
skv_stop 3
curl -s -m 30 -o "$SKV_DIR/respA" -w '%{http_code}' -X POST -d "{\"kek_file\":\"$K2\"}" \
    "$(skv_endpoint 1)/v1/encryption/rewrap-kek" >"$SKV_DIR/codeA" &
cpid=$!
sleep 0.5
c=$(rewrap 1 "{\"kek_file\":\"$K2\"}")
skv_assert "a rewrap while another runs on the node: 503 ErrKEKRewrapInProgress" \
    sh -c "[ $c = 503 ] && grep -q ErrKEKRewrapInProgress $SKV_DIR/resp"
wait $cpid
cat "$SKV_DIR/respA" >>"$O/answers"
skv_assert "the first one: 412, node 3 unreachable ($(head -c 300 "$SKV_DIR/respA"))" \
    sh -c "[ \$(cat $SKV_DIR/codeA) = 412 ] && grep -q 'node 3 ([^)]*): unreachable' $SKV_DIR/respA"
skv_assert "nothing rewrapped on node 1" [ "$(in_use 1)" = "$K1ID " ]
skv_start 3
skv_assert "node 3 back" skv_wait 30 "node 3 serves" serves 3

# ---- B. rewrap node by node, the leader first -------------------------------------
L=$(fl_wait_leader 30) || skv_fail "no leader after round A"
ORDER="$L"; for i in $ALL; do [ "$i" = "$L" ] || ORDER="$ORDER $i"; done
first=1
for i in $ORDER; do
    conf "$i" "$K2" "$K1"   # the config first: a crash from here on restarts fine
    under_k2=$(grep -c "\"kek_id\": \"${K2ID:-none}\"" "$SKV_DIR/data$i/encryption/keys.json")
    if [ "$i" = "$L" ]; then
        skv_cli "$i" --json encryption rewrap-kek "$K2" >"$SKV_DIR/resp" 2>&1
        rc=$?; cat "$SKV_DIR/resp" >>"$O/answers"
        skv_assert "node $i (leader): rewrap-kek via the CLI ($(cat "$SKV_DIR/resp"))" [ $rc = 0 ]
    else
        skv_assert "node $i: rewrap-kek via HTTP" [ "$(rewrap "$i" "{\"kek_file\":\"$K2\"}")" = 200 ]
    fi
    K2ID=$(field kek_id)
    skv_assert "node $i: the answer names the new KEK id and the old one" \
        [ ${#K2ID} = 32 -a "$K2ID" != "$K1ID" -a "$(field previous_kek_id)" = "$K1ID" ]
    skv_assert "node $i: every DEK not yet under K2 rewrapped ($(field keys_rewrapped) of $(field keys), $under_k2 already under K2)" \
        [ "$(field keys)" = "$(nkeys "$i")" -a "$(field keys_rewrapped)" = $(($(nkeys "$i") - under_k2)) ]
    skv_assert "node $i: only K2 in use now" [ "$(in_use "$i")" = "$K2ID " ]
    skv_assert "node $i: status says K2 is current" sh -c \
        "curl -s $(skv_endpoint "$i")/v1/status | grep -q '\"current_id\":\"$K2ID\"'"
    skv_assert "node $i: reads and writes after its rewrap" serves "$i"
    skv_assert "node $i: the old value still reads" skv_all_local_eq old-value v-old "$i"
    skv_assert "node $i: a second rewrap to K2 is refused (409 ErrKEKAlreadyCurrent)" \
        refused_on "$i"
    if [ $first = 1 ]; then
        first=0
        # a DEK rotated by the rewrapped leader is wrapped under K2
        skv_assert "rotate-dek storage on leader $L (wraps under K2)" \
            [ "$(fl_post "$L" rotate-dek)" = 200 ]
        skv_wait_caught_up $ALL
        for j in $ALL; do
            [ "$j" = "$L" ] && continue
            skv_assert "node $j (still on K1) opened the K2-wrapped DEK and shows both KEK ids" \
                [ "$(in_use "$j")" = "$(printf '%s\n%s\n' "$K1ID" "$K2ID" | sort | tr '\n' ' ')" ]
        done
        skv_assert "the leader still has only K2 in use" [ "$(in_use "$L")" = "$K2ID " ]
    fi
done
skv_assert "load kept flowing through the rewraps" fl_wait_ops rw 50 30

# ---- C. only the new KEK ----------------------------------------------------------
for i in $ALL; do
    conf "$i" "$K2"
    restart "$i"
    skv_assert "round C: node $i starts with only K2 and serves" skv_wait 30 "node $i serves" serves "$i"
    skv_assert "round C: node $i reads the value written before any rewrap" \
        skv_wait 10 "old value on $i" skv_all_local_eq old-value v-old "$i"
done
fl_load_stop rw
fl_final_read $ALL
fl_verdict rewrap-kek

# a node given only the old KEK refuses to start, clearly
conf 2 "$K1"
skv_stop 2
: >"$SKV_DIR/n2-old.log"
"$SEALKVD" --config "$SKV_DIR/n2.yaml" >"$SKV_DIR/n2-old.log" 2>&1 &
opid=$!
( sleep 20; kill -9 $opid 2>/dev/null ) &
wpid=$!
wait $opid; orc=$?
kill $wpid 2>/dev/null
cat "$SKV_DIR/n2-old.log" >>"$O/answers"
skv_assert "node 2 with only K1 refuses to start (rc $orc)" [ "$orc" != 0 -a "$orc" != 137 ]
skv_assert "node 2's refusal is ErrKEKNotGiven and names K2's id" \
    grep -q "ErrKEKNotGiven: .*KEK id $K2ID, which this node was not given" "$SKV_DIR/n2-old.log"
skv_assert "sealkvd --check-config refuses it too" sh -c \
    "! '$SEALKVD' --config $SKV_DIR/n2.yaml --check-config >$SKV_DIR/cc.out 2>&1 && grep -q ErrKEKNotGiven $SKV_DIR/cc.out"
conf 2 "$K2"
skv_start 2
skv_assert "node 2 with K2 again serves" skv_wait 30 "node 2 serves" serves 2

# ---- black box ---------------------------------------------------------------------
for i in $ALL; do
    skv_assert "node $i: the sidecar names only K2's id" sh -c \
        "! grep -q '$K1ID' $SKV_DIR/data$i/encryption/keys.json && [ \$(grep -c '\"kek_id\": \"$K2ID\"' $SKV_DIR/data$i/encryption/keys.json) = $(nkeys "$i") ]"
done
skv_assert "skv_dekdump unwraps node 1's DEKs with K2 alone" "$DEKDUMP" "$SKV_DIR/n1.yaml" "$SKV_DIR/deks-k2"
skv_assert "the same DEKs as under K1 before the rewrap (rewrapped, not replaced)" \
    sh -c "grep -F -x -f '$SKV_DIR/deks-k1' '$SKV_DIR/deks-k2' | wc -l | grep -qx $NK"
conf 1 "$K1"
skv_assert "skv_dekdump cannot open node 1's sidecar with K1 alone" sh -c \
    "! '$DEKDUMP' $SKV_DIR/n1.yaml $SKV_DIR/deks-x 2>$SKV_DIR/dd.err && grep -q ErrKEKNotGiven $SKV_DIR/dd.err"
conf 1 "$K2"
for k in K1 K2; do
    eval "f=\$$k"
    echo "$k $(od -An -tx1 -v "$f" | tr -d ' \n')" >>"$SKV_DIR/keks.hex"
done
skv_assert "control: skv_keyscan finds K2 in its own file" sh -c "'$KEYSCAN' $SKV_DIR/keks.hex $K2 2>/dev/null | grep -q '^HIT K2'"
for i in $ALL; do skv_stop "$i"; done
FILES=$(find "$SKV_DIR"/data1 "$SKV_DIR"/data2 "$SKV_DIR"/data3 "$O" -type f; ls "$SKV_DIR"/n*.log)
# shellcheck disable=SC2086
"$KEYSCAN" "$SKV_DIR/keks.hex" $FILES >"$SKV_DIR/keyscan.out" 2>&1; src=$?
[ $src = 0 ] || head -5 "$SKV_DIR/keyscan.out"
skv_assert "neither KEK in any form in data dirs, logs or answers (skv_keyscan rc $src)" [ $src = 0 ]
for i in $ALL; do
    "$SEALKV" verify --config "$SKV_DIR/n$i.yaml" >"$SKV_DIR/verify$i.out" 2>&1; vrc=$?
    [ $vrc = 0 ] || tail -15 "$SKV_DIR/verify$i.out"
    skv_assert "node $i: sealkv verify passes with K2" [ $vrc = 0 ]
done
skv_finish
