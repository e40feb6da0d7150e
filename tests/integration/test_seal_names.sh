#!/bin/sh
# SPDX-License-Identifier: MIT
# Sealed key names (issue 13 item 4, docs/SECURITY.md "Key names") on a
# real encrypted 3-node cluster, under write load from the history
# recorder (tests/lincheck/lclient) on every node:
#   - keys with telling names written before Phase 1 and between the
#     phases (300 of them: more than one chunk of the names job);
#     positive control: a grep of every data dir finds the names;
#   - refusals: seal-key-names before Phase 2 (409
#     ErrEncryptionPhaseInactive); with a member whose capability report
#     lacks the feature (test hook: as an older build) (412
#     ErrCapabilityCheckFailed naming it, nothing sealed);
#   - seal-key-names through a follower's CLI (forwarded) while node 3
#     stops right after its names job wrote its first chunk (test hook
#     names-job:after-chunk): records of the old layout are left on its
#     disk (`sealkv verify --strict` refuses it: ErrKeyNamesInCleartext,
#     the positive control of that check); node 3 restarts with its job
#     held (test hook): erase-cleartext is refused there (503
#     ErrNamesMigrationIncomplete), reads find records of either layout, a
#     put over and a delete of a record left in the old layout win, a
#     listing merges both layouts in order; restarted again, its job
#     resumes;
#     a repeat answers was_already_active;
#   - during and after the move: point reads on every node, listing
#     (sorted, paged), a conditional put (412 on a failed compare), a
#     delete, a transaction;
#   - erase-cleartext on every node, then a rolling restart (LevelDB
#     rewrites its MANIFEST, which still held the boundary keys of tables
#     written before the switch: positive control on node 2); a standby
#     that joins afterwards by
#     snapshot adopts the sealed layout; a backup holds no name and
#     restores into a new one-node cluster that reads and lists by name;
#   - a second cluster with encryption.seal_key_names: true: not sealed
#     with Phase 1 alone, sealed by the leader itself once Phase 2 is on;
# then: the history is linearizable with no acknowledged write lost, a
# grep of every node's data dir (every file: LevelDB tables and logs,
# the sidecar, snapshots) finds no key-name byte, `sealkv verify --strict`
# passes on every stopped node, and the cluster-wide nonce scan finds no
# (key_id, salt, nonce) reused.
SKV_TEST=seal_names
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
. "$S/tests/integration/faults_lib.sh"
[ -x "$LCLIENT" ] && [ -x "$LINCHECK" ] || { echo "lclient/lincheck not built"; exit 99; }
HOOKS=0; "$SEALKVD" --version | grep -q "test hooks" && HOOKS=1

# snapshots far apart: node 3's restarts replay its own log (a snapshot
# from the leader would bring the leader's moved records); erase-cleartext
# still compacts every log, so node 4 joins by snapshot
SKV_BOOT=3 SKV_ENC_NODES="1 2 3 4 5" SKV_SNAP_THRESHOLD=8192 SKV_SNAP_TRAILING=2048
export SKV_BOOT SKV_ENC_NODES SKV_SNAP_THRESHOLD SKV_SNAP_TRAILING
NAME=patient-john-doe-hiv-positive
cli_put() { "$SEALKV" --endpoint "$(skv_endpoint "$1")" --retry 15 put "$2" "$3" >/dev/null; }
names_state() { fl_status "$1" | grep -o '"key_names":{[^}]*}' | grep -o '"migration":"[a-z]*"' | cut -d'"' -f4; }
names_done() { for i in "$@"; do [ "$(names_state "$i")" = done ] || return 1; done; }
crashed() { pid=$(skv_pid "$1"); [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; }
grep_names() { # nodes... → 0 if any file of a data dir holds the name bytes
    for i in "$@"; do grep -rqaF "$NAME" "$SKV_DIR/data$i" && return 0; done
    return 1
}
list() { curl -s -m 10 -o "$SKV_DIR/out" -w '%{http_code}' "$(skv_endpoint "$1")/v1/kv?$2"; }
keys() { grep -o '"key":"[^"]*"' "$SKV_DIR/out" | cut -d'"' -f4 | while read -r k; do printf '%s' "$k" | base64 -d; echo; done | tr '\n' ' '; }
more() { grep -o '"more":[a-z]*' "$SKV_DIR/out" | cut -d: -f2; }
erase() { fl_post "$1" erase-cleartext 60; }
bulk() { # node from to: puts bulk-$NAME-N for N in from..to, one transaction
    _o=""
    for n in $(seq "$2" "$3"); do
        _o="$_o${_o:+,}{\"op\":\"put\",\"key\":\"$(printf %s "bulk-$NAME-$n" | base64 -w0)\",\"value\":\"$(printf %s "b$n" | base64)\"}"
    done
    printf '{"success":[%s]}' "$_o" >"$SKV_DIR/bulk.json"
    curl -s -m 30 -o /dev/null -w '%{http_code}' -X POST --data-binary @"$SKV_DIR/bulk.json" "$(skv_endpoint "$1")/v1/txn"
}

ALL="1 2 3"
fl_setup 5
# node 5: a one-node cluster restored from a backup (section 3)
printf 'cluster:\n  bootstrap:\n    - { id: 5, address: 127.0.0.1:%s }\n' "$(skv_rport 5)" >>"$SKV_DIR/n5.yaml"
for i in $ALL; do skv_start "$i"; done
L=$(fl_wait_leader 30) || skv_fail "no leader"
for k in 1 2 3 4 5; do cli_put "$L" "$NAME-$k" "clear-$k" || skv_fail "put $NAME-$k"; done
skv_assert "phase 1 on" [ "$(fl_post "$L" enable-storage-envelope)" = 200 ]
for k in 6 7 8 9; do cli_put "$L" "$NAME-$k" "sealed-$k" || skv_fail "put $NAME-$k"; done
# more records than one chunk of the names job (256): a restart mid-move has work left
for r in "1 100" "101 200" "201 300"; do
    skv_assert "bulk puts $r" [ "$(bulk "$L" $r)" = 200 ]
done
skv_assert "seal-key-names before Phase 2: 409" [ "$(fl_post "$L" seal-key-names)" = 409 ]
skv_assert "... named ErrEncryptionPhaseInactive" grep -q '"error":"ErrEncryptionPhaseInactive"' "$SKV_DIR/resp"
skv_assert "phase 2 on" [ "$(fl_post "$L" enable-raft-envelope)" = 200 ]
skv_assert "every node caught up" fl_wait_caught_up 30 $ALL
skv_assert "positive control: the names are on every node's disk" sh -c \
    "for i in $ALL; do grep -rqaF '$NAME' '$SKV_DIR/data'\$i || exit 1; done"

if [ "$HOOKS" = 1 ]; then # the gate: a member whose build lacks the feature
    skv_stop 2
    SEALKV_TEST_NO_FEATURES=1 skv_start 2
    skv_assert "node 2 is back" fl_wait_caught_up 30 $ALL
    L=$(fl_wait_leader 10)
    c=$(fl_post "$L" seal-key-names)
    skv_assert "seal-key-names with a member lacking the feature: 412 ($c)" [ "$c" = 412 ]
    skv_assert "... ErrCapabilityCheckFailed naming node 2" \
        grep -q '"error":"ErrCapabilityCheckFailed".*node 2.*does not support seal-key-names' "$SKV_DIR/resp"
    skv_assert "... nothing sealed" sh -c "curl -s $(skv_endpoint 1)/v1/status | grep -q '\"key_names\":{\"sealed\":false'"
    skv_stop 2
    skv_start 2
    skv_assert "node 2 is back" fl_wait_caught_up 30 $ALL
fi

FL_HIST="$SKV_DIR/history" FL_KEY_PREFIX=sn-k
fl_load_start sn $ALL
skv_assert "load is flowing" fl_wait_ops sn 50 30

# ---- 1. the switch, with node 3 stopping mid-move --------------------------------
if [ "$HOOKS" = 1 ]; then
    skv_stop 3
    SEALKV_TEST_CRASH_AT=names-job:after-chunk skv_start 3
    skv_assert "node 3 is back" fl_wait_caught_up 30 $ALL
fi
L=$(fl_wait_leader 10)
F=""; for i in 1 2; do [ "$i" = "$L" ] || { F=$i; break; }; done
skv_cli "$F" --json encryption seal-key-names >"$SKV_DIR/resp"
rc=$?
skv_assert "seal-key-names via follower $F's CLI ($(cat "$SKV_DIR/resp"))" [ $rc = 0 ]
skv_assert "... every member passed the capability gate" grep -q '"capability_summary":\[{' "$SKV_DIR/resp"
if [ "$HOOKS" = 1 ]; then
    skv_assert "node 3 stopped after its names job's first chunk" skv_wait 20 "node 3 exits" crashed 3
    skv_stop 3
    skv_assert "... at the hook (exit 99)" [ "$SKV_LAST_RC" = 99 ]
    "$SEALKV" verify --config "$SKV_DIR/n3.yaml" --strict >"$SKV_DIR/verify-mid.out" 2>&1
    vrc=$?
    skv_assert "positive control: verify --strict refuses node 3 mid-move (rc $vrc)" [ $vrc = 1 ]
    skv_assert "... with ErrKeyNamesInCleartext" grep -q "ErrKeyNamesInCleartext" "$SKV_DIR/verify-mid.out"
    # node 3 back with its job held (test hook): records of both layouts
    SEALKV_TEST_NAMES_HOLD=1 skv_start 3
    skv_assert "node 3 is back, its move pending" skv_wait 20 "node 3 pending" \
        sh -c "[ \"\$(curl -s $(skv_endpoint 3)/v1/status | grep -o '\"migration\":\"[a-z]*\"')\" = '\"migration\":\"pending\"' ]"
    c=$(curl -s -m 10 -o "$SKV_DIR/resp" -w '%{http_code}' -X POST "$(skv_endpoint 3)/v1/encryption/erase-cleartext")
    skv_assert "erase-cleartext refused mid-move: 503 ($c)" [ "$c" = 503 ]
    skv_assert "... named ErrNamesMigrationIncomplete" grep -q '"error":"ErrNamesMigrationIncomplete"' "$SKV_DIR/resp"
    # the chunk moved the first 256 names in byte order: -97, -98, -99 are
    # still stored under their cleartext name on node 3
    for n in 97 98 99; do
        skv_assert "bulk-$NAME-$n is still in the old layout on node 3" \
            grep -q "key \"bulk-$NAME-$n\" is stored under its cleartext name" "$SKV_DIR/verify-mid.out"
    done
    skv_assert "a put over a record left in the old layout" cli_put "$L" "bulk-$NAME-99" new-99
    skv_assert "a delete of another" skv_cli "$L" del "bulk-$NAME-98"
    skv_assert "node 3 caught up" fl_wait_caught_up 30 $ALL
    for n in 1 97 150; do
        skv_assert "node 3 reads bulk-$NAME-$n from either layout" skv_all_local_eq "bulk-$NAME-$n" "b$n" 3
    done
    skv_assert "node 3 reads the new value of -99 (not the old record)" skv_all_local_eq "bulk-$NAME-99" new-99 3
    skv_assert "node 3 no longer has -98 (not found: exit 3)" sh -c "'$SEALKV' --endpoint $(skv_endpoint 3) get 'bulk-$NAME-98' --local >/dev/null 2>&1; [ \$? = 3 ]"
    skv_assert "node 3 lists both layouts merged: 299 keys in order" \
        sh -c "[ \"\$(curl -s '$(skv_endpoint 3)/v1/kv?prefix=bulk-&keys_only=true&consistency=local&limit=1000' | grep -o '\"key\":\"[^\"]*\"' | cut -d'\"' -f4 | while read -r k; do printf '%s' \"\$k\" | base64 -d; echo; done | tee '$SKV_DIR/list3' | wc -l)\" = 299 ] && sort -c '$SKV_DIR/list3'"
    skv_stop 3
    skv_start 3
fi
c=$(fl_post "$L" seal-key-names)
skv_assert "a repeat: 200 ($c)" [ "$c" = 200 ]
skv_assert "... was_already_active ($(cat "$SKV_DIR/resp"))" grep -q '"was_already_active":true' "$SKV_DIR/resp"
skv_assert "every node moved its records" skv_wait 60 "names job done everywhere" names_done $ALL
skv_assert "sealkv status (human) shows the sealed names" sh -c \
    "'$SEALKV' --endpoint $(skv_endpoint 1) status | grep -Eq '^  key names: +sealed at entry [0-9]+ \(name key from [0-9]+\), migration done'"
[ "$HOOKS" = 1 ] && skv_assert "node 3's job ran again at its restart" \
    [ "$(grep -c 'names job started' "$SKV_DIR/n3.log")" -ge 2 ]

# ---- 2. reads, listing, CAS, delete, txn on the sealed layout --------------------
skv_assert "writes go on" fl_wait_ops sn 300 60
skv_assert "every node caught up" fl_wait_caught_up 30 $ALL
for i in $ALL; do
    for k in 1 5 6 9; do
        v=clear-$k; [ $k -ge 6 ] && v=sealed-$k
        skv_assert "node $i reads $NAME-$k" skv_all_local_eq "$NAME-$k" "$v" "$i"
    done
    skv_assert "node $i reads bulk-$NAME-1 and -300" skv_all_local_eq "bulk-$NAME-1" b1 "$i"
    skv_assert "... -300" skv_all_local_eq "bulk-$NAME-300" b300 "$i"
    [ "$HOOKS" = 1 ] && skv_assert "... -99 as overwritten mid-move" skv_all_local_eq "bulk-$NAME-99" new-99 "$i"
    [ "$HOOKS" = 1 ] && skv_assert "... -98 deleted mid-move" sh -c \
        "'$SEALKV' --endpoint $(skv_endpoint "$i") get 'bulk-$NAME-98' --local >/dev/null 2>&1; [ \$? = 3 ]"
done
NB=300; [ "$HOOKS" = 1 ] && NB=299
skv_assert "list bulk: all $NB ($(list "$L" "prefix=bulk-&keys_only=true&limit=1000" >/dev/null; keys | wc -w))" \
    [ "$(keys | wc -w)" = $NB ]
skv_assert "a new key after the switch" cli_put "$L" "$NAME-10" new-10
skv_assert "list prefix: 200" [ "$(list "$F" "prefix=$NAME-1")" = 200 ]
skv_assert "list prefix: sorted names ($(keys))" [ "$(keys)" = "$NAME-1 $NAME-10 " ]
skv_assert "list limit=3: 200" [ "$(list "$L" "prefix=$NAME&limit=3")" = 200 ]
skv_assert "list limit=3: the first three, more ($(keys))" \
    [ "$(keys)" = "$NAME-1 $NAME-10 $NAME-2 " ] && [ "$(more)" = true ]
skv_assert "list after: 200" [ "$(list "$L" "prefix=$NAME&after=$NAME-8")" = 200 ]
skv_assert "list after: the rest ($(keys))" [ "$(keys)" = "$NAME-9 " ] && [ "$(more)" = false ]
c=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary x "$(skv_endpoint "$L")/v1/kv/$NAME-2?prev_exist=false")
skv_assert "a put if absent on an existing key: 412 ($c)" [ "$c" = 412 ]
c=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary cas-3 "$(skv_endpoint "$L")/v1/kv/$NAME-3?prev_exist=true")
skv_assert "a put if present: 200 ($c)" [ "$c" = 200 ]
skv_assert "delete $NAME-4" skv_cli "$L" del "$NAME-4"
skv_assert "$NAME-4 is gone (not found: exit 3)" sh -c "'$SEALKV' --endpoint $(skv_endpoint "$F") get '$NAME-4' >/dev/null 2>&1; [ \$? = 3 ]"
printf '{"compare":[{"key":"%s","value":"%s"}],"success":[{"op":"put","key":"%s","value":"%s"}]}' \
    "$(printf %s "$NAME-5" | base64)" "$(printf clear-5 | base64)" "$(printf %s "$NAME-5" | base64)" "$(printf txn-5 | base64)" >"$SKV_DIR/txn.json"
c=$(curl -s -o "$SKV_DIR/txn.out" -w '%{http_code}' -X POST --data-binary @"$SKV_DIR/txn.json" "$(skv_endpoint "$L")/v1/txn")
skv_assert "a transaction comparing a sealed name's value: 200 ($c $(cat "$SKV_DIR/txn.out"))" \
    [ "$c" = 200 ] && grep -q '"succeeded":true' "$SKV_DIR/txn.out"
skv_assert "... its put landed" skv_wait 10 "txn-5 read" skv_all_local_eq "$NAME-5" txn-5 $ALL
fl_load_stop sn
skv_assert "every node caught up" fl_wait_caught_up 30 $ALL
fl_final_read $ALL
fl_verdict seal_names

# ---- 3. erase-cleartext everywhere; a standby joins by snapshot --------------------
for i in $ALL; do skv_assert "erase-cleartext on node $i" [ "$(erase "$i")" = 200 ]; done
# LevelDB's MANIFEST keeps the first and last key of every table written
# since the store was opened, until the next open rewrites it: node 2
# (restarted before the switch: its log became a table then) still names a
# key there; a rolling restart of every node rewrites them
if [ "$HOOKS" = 1 ]; then
    skv_assert "positive control: node 2's MANIFEST still holds a name before its restart" \
        sh -c "cat '$SKV_DIR'/data2/store/MANIFEST-* | grep -qaF '$NAME'"
fi
for i in $ALL; do
    skv_stop "$i"
    skv_start "$i"
    skv_assert "node $i restarted" fl_wait_caught_up 30 $ALL
done
skv_start 4
skv_assert "node 4 answers" skv_wait 10 "node 4 answers status" skv_status_field 4 id
skv_assert "add node 4 as standby" skv_cli 1 members add 4 "127.0.0.1:$(skv_rport 4)" --standby
skv_assert "node 4 caught up" skv_wait 40 "node 4 reads $NAME-10" skv_all_local_eq "$NAME-10" new-10 4
skv_assert "node 4 installed a snapshot" grep -q "installing snapshot from the leader" "$SKV_DIR/n4.log"
skv_assert "node 4 adopted sealed names" skv_wait 10 "node 4 names done" names_done 4
skv_assert "erase-cleartext on node 4" [ "$(erase 4)" = 200 ]
skv_assert "node 4 lists the names" [ "$(list 4 "prefix=$NAME-9&consistency=local")" = 200 ] && [ "$(keys)" = "$NAME-9 " ]
skv_wait_caught_up 1 2 3 4
BK="$SKV_DIR/backup.skv"
skv_assert "a backup of node 2" sh -c "'$SEALKV' --endpoint $(skv_endpoint 2) snapshot save '$BK' >/dev/null"
skv_assert "the backup holds no key name" sh -c "! grep -qaF '$NAME' '$BK'"
skv_assert "restore it into node 5 (a new one-node cluster)" "$SEALKV" snapshot restore "$BK" --config "$SKV_DIR/n5.yaml"
skv_start 5
skv_assert "node 5 reads $NAME-10 from the restored backup" skv_wait 30 "node 5 reads" skv_get_eq 5 "$NAME-10" new-10
skv_assert "node 5: names sealed, nothing to move" skv_wait 10 "node 5 names done" names_done 5
skv_assert "node 5 lists by prefix" [ "$(list 5 "prefix=$NAME-9")" = 200 ] && [ "$(keys)" = "$NAME-9 " ]

# ---- 4. offline: no name byte on disk, verify --strict, the nonce scan ------------
for i in 1 2 3 4 5; do skv_stop "$i"; done
for i in 1 2 3 4 5; do
    skv_assert "node $i: no file of the data dir holds a key name ($(grep -rlaF "$NAME" "$SKV_DIR/data$i" | tr '\n' ' '))" \
        sh -c "! grep -rlaF '$NAME' '$SKV_DIR/data$i'"
    "$SEALKV" verify --config "$SKV_DIR/n$i.yaml" --strict >"$SKV_DIR/verify$i.out" 2>&1
    vrc=$?
    [ $vrc = 0 ] || tail -25 "$SKV_DIR/verify$i.out"
    skv_assert "node $i: sealkv verify --strict passes" [ $vrc = 0 ]
    skv_assert "node $i: verify reads the sealed layout" \
        grep -q "key names sealed at entry [0-9]*: [1-9][0-9]* values under a sealed name, 0 values and 0 revision" "$SKV_DIR/verify$i.out"
done
skv_nonce_scan 1 2 3 4 5
fl_teardown

# ---- 5. encryption.seal_key_names: true (config): the leader switches ------------
SKV_SEAL_NAMES=true SKV_BOOT=3 SKV_ENC_NODES="1 2 3"
export SKV_SEAL_NAMES SKV_BOOT SKV_ENC_NODES
fl_setup 3
for i in $ALL; do skv_start "$i"; done
L=$(fl_wait_leader 30) || skv_fail "no leader (second cluster)"
cli_put "$L" "$NAME-cfg" v1 || skv_fail "put $NAME-cfg"
skv_assert "phase 1 on" [ "$(fl_post "$L" enable-storage-envelope)" = 200 ]
sleep 1.5
skv_assert "not sealed while Phase 2 is off" sh -c "curl -s $(skv_endpoint "$L")/v1/status | grep -q '\"key_names\":{\"sealed\":false'"
skv_assert "phase 2 on" [ "$(fl_post "$L" enable-raft-envelope)" = 200 ]
skv_assert "the leader sealed key names by itself" skv_wait 20 "names done everywhere" names_done $ALL
skv_assert "... and logged why" grep -q "encryption.seal_key_names: both phases are on" "$SKV_DIR"/n*.log
skv_assert "$NAME-cfg reads on every node" skv_wait 10 "read" skv_all_local_eq "$NAME-cfg" v1 $ALL
fl_teardown
skv_finish
