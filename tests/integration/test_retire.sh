#!/bin/sh
# SPDX-License-Identifier: MIT
# Retire an old DEK online (issue 13 item 3, docs/NONCES.md "Retire") on a
# real encrypted 3-node cluster with both phases on, under write load from
# the history recorder (tests/lincheck/lclient) on every node:
#   - values written under the first storage key S0, entries wrapped under
#     the first raft key R0; both rotated (S1, R1);
#   - refusals: the active key (409 ErrKeyActive), an unknown key id (404
#     ErrDEKNotFound), a bad body (400), the CLI's bad KEY_ID (usage);
#   - retire S0 through a follower's CLI (forwarded) while node 3 stops
#     right after applying the retire entry (test hook retire:after-fsm):
#     its data dir still holds values under S0, and `sealkv verify
#     --strict` refuses it with ErrRetiredKeyReferenced (positive control);
#     node 3 restarted, its retire job runs at start-up;
#   - retire R0 on the leader (HTTP); retiring S0 again: 409
#     ErrKeyAlreadyRetired;
#   - every node drops both (status: state "dropped"), writes go on;
#   - rotations up to the sidecar's 64 keys with a DEK (409
#     ErrTooManyKeys), one old raft key retired, and a rotation fits again;
#   - a retire while the leader's job waits for a backup's storage view: a
#     follower that dropped the key installs the leader's snapshot, which
#     still carries the DEK: it comes back (still retired), the follower's
#     job runs again, and once the backup ends every node drops it;
# then: the history is linearizable with no acknowledged write lost, no
# node halted, old values (re-sealed) read on every node, a standby that
# held both keys and slept through the retire catches up by snapshot and
# drops them in its own job,
# the old DEKs' wrapped bytes are in no node's sidecar, `sealkv verify
# --strict` passes on every stopped node with 0 references to S0 and R0,
# and the cluster-wide nonce scan finds no (key_id, salt, nonce) reused.
SKV_TEST=retire
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
. "$S/tests/integration/faults_lib.sh"
[ -x "$LCLIENT" ] && [ -x "$LINCHECK" ] || { echo "lclient/lincheck not built"; exit 99; }
HOOKS=0; "$SEALKVD" --version | grep -q "test hooks" && HOOKS=1

SKV_BOOT=3 SKV_ENC_NODES="1 2 3 4" SKV_SNAP_THRESHOLD=512 SKV_SNAP_TRAILING=128
export SKV_BOOT SKV_ENC_NODES SKV_SNAP_THRESHOLD SKV_SNAP_TRAILING
active() { fl_status "$1" | grep -o '"active_key_ids":{[^}]*}' | grep -o "\"$2\":[0-9]*" | cut -d: -f2; }
keystate() { # node key_id → state in status ("" if unknown)
    fl_status "$1" | grep -o "{\"key_id\":$2,[^}]*}" | grep -o '"state":"[a-z-]*"' | cut -d'"' -f4
}
dropped_on() { # key_id nodes...
    k=$1; shift
    for i in "$@"; do [ "$(keystate "$i" "$k")" = dropped ] || return 1; done
}
retire() { # node key_id|raw-body → HTTP code (503 retried for 20 s); answer in $SKV_DIR/resp
    case $2 in [0-9]*) b="{\"key_id\":$2}" ;; *) b=$2 ;; esac
    end=$(($(date +%s) + 20))
    while :; do
        c=$(curl -s -m 30 -o "$SKV_DIR/resp" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
            -d "$b" "$(skv_endpoint "$1")/v1/encryption/retire")
        [ "$c" = 503 ] && [ "$(date +%s)" -lt "$end" ] || break
        sleep 0.2
    done
    echo "$c"
}
rotate() { curl -s -m 30 -o "$SKV_DIR/resp" -w '%{http_code}' -X POST -d "{\"purpose\":\"$2\"}" \
    "$(skv_endpoint "$1")/v1/encryption/rotate-dek"; }
field() { grep -o "\"$1\":[^,}]*" "$SKV_DIR/resp" | head -1 | cut -d: -f2 | tr -d '"'; }
wrapped_of() { # node key_id → the key's wrapped bytes (base64) in that node's keys.json
    awk -v id="$2" '/"key_id":/ { gsub(/[^0-9]/, ""); k = $0 }
        /"wrapped":/ && k == id { sub(/.*"wrapped": *"/, ""); sub(/".*/, ""); print }' \
        "$SKV_DIR/data$1/encryption/keys.json"
}
crashed() { pid=$(skv_pid "$1"); [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; }
cli_put() { "$SEALKV" --endpoint "$(skv_endpoint "$1")" --retry 15 put "$2" "$3" >/dev/null; }

ALL="1 2 3"
fl_setup 4
for i in $ALL; do skv_start "$i"; done
L=$(fl_wait_leader 30) || skv_fail "no leader"
skv_assert "phase 1 on" [ "$(fl_post "$L" enable-storage-envelope)" = 200 ]
skv_assert "phase 2 on" [ "$(fl_post "$L" enable-raft-envelope)" = 200 ]
S0=$(active "$L" storage) R0=$(active "$L" raft)
skv_log "first keys: storage $S0, raft $R0"
for k in 1 2 3 4 5 6 7 8; do cli_put "$L" "old-$k" "v-old-$k" || skv_fail "put old-$k"; done

FL_HIST="$SKV_DIR/history" FL_KEY_PREFIX=ret-k
fl_load_start ret $ALL
skv_assert "load is flowing" fl_wait_ops ret 50 30

# ---- 1. refusals before any rotation -----------------------------------------
skv_assert "retire the active storage key: 409" [ "$(retire "$L" "$S0")" = 409 ]
skv_assert "... named ErrKeyActive" grep -q '"error":"ErrKeyActive"' "$SKV_DIR/resp"
skv_assert "retire the active raft key: 409" [ "$(retire "$L" "$R0")" = 409 ]
U=7; [ "$U" = "$S0" -o "$U" = "$R0" ] && U=11
skv_assert "retire an unknown key id: 404" [ "$(retire "$L" "$U")" = 404 ]
skv_assert "... named ErrDEKNotFound" grep -q '"error":"ErrDEKNotFound"' "$SKV_DIR/resp"
skv_assert "a body without key_id: 400" [ "$(retire "$L" '{}')" = 400 ]
skv_assert "key_id 0: 400" [ "$(retire "$L" '{"key_id":0}')" = 400 ]
skv_assert "an unknown member: 400" [ "$(retire "$L" "{\"key_id\":$S0,\"x\":1}")" = 400 ]
skv_assert "the CLI refuses a bad KEY_ID (usage)" \
    sh -c "\"$SEALKV\" --endpoint $(skv_endpoint 1) encryption retire 12x; [ \$? = 2 ]"

# ---- 2. rotate both purposes ---------------------------------------------------
skv_assert "rotate storage" [ "$(rotate "$L" storage)" = 200 ]
S1=$(field key_id)
skv_assert "rotate raft" [ "$(rotate "$L" raft)" = 200 ]
R1=$(field key_id)
skv_assert "new keys ($S0 -> $S1, $R0 -> $R1)" [ -n "$S1" -a "$S1" != "$S0" -a -n "$R1" -a "$R1" != "$R0" ]
skv_assert "writes go on under the new keys" fl_wait_ops ret 200 60
skv_assert "every node caught up" fl_wait_caught_up 30 $ALL
WS0=$(wrapped_of 1 "$S0") WR0=$(wrapped_of 1 "$R0")
skv_assert "node 1's sidecar holds S0's and R0's wrapped DEKs" [ -n "$WS0" -a -n "$WR0" ]
# a standby that will sleep through the retire: it holds S0 and R0 now
skv_start 4
skv_assert "node 4 answers" skv_wait 10 "node 4 answers status" skv_status_field 4 id
skv_assert "add node 4 as standby" skv_cli 1 members add 4 "127.0.0.1:$(skv_rport 4)" --standby
skv_assert "node 4 caught up" skv_wait 40 "node 4 reads old-1" skv_all_local_eq old-1 v-old-1 4
skv_assert "node 4 holds S0 in use" [ "$(keystate 4 "$S0")" = in-use ]
skv_stop 4

# ---- 3. retire S0 via a follower's CLI; node 3 stops right after applying it ---
L=$(fl_wait_leader 10)
F=""; for i in 1 2; do [ "$i" = "$L" ] || { F=$i; break; }; done
if [ "$HOOKS" = 1 ]; then
    skv_stop 3
    SEALKV_TEST_CRASH_AT=retire:after-fsm skv_start 3
    skv_assert "node 3 is back" fl_wait_caught_up 30 $ALL
fi
skv_cli "$F" --json encryption retire "$S0" >"$SKV_DIR/resp"
rc=$?
skv_assert "retire $S0 via follower $F's CLI ($(cat "$SKV_DIR/resp"))" [ $rc = 0 ]
skv_assert "the answer names the key and its purpose" \
    sh -c "[ \"$(field key_id)\" = $S0 ] && [ \"$(field purpose)\" = storage ]"
if [ "$HOOKS" = 1 ]; then
    skv_assert "node 3 stopped right after applying the retire" skv_wait 20 "node 3 exits" crashed 3
    skv_stop 3
    skv_assert "... at the hook (exit 99)" [ "$SKV_LAST_RC" = 99 ]
    "$SEALKV" verify --config "$SKV_DIR/n3.yaml" --strict >"$SKV_DIR/verify-before.out" 2>&1
    vrc=$?
    skv_assert "positive control: verify --strict refuses node 3 while S0 is referenced (rc $vrc)" [ $vrc = 1 ]
    skv_assert "... with ErrRetiredKeyReferenced for key $S0" \
        grep -q "ANOMALY ErrRetiredKeyReferenced in sidecar (key id $S0)" "$SKV_DIR/verify-before.out"
    skv_assert "... and lists S0 as retired with values" \
        grep -q "^  $S0 storage retired at [0-9]*: [1-9]" "$SKV_DIR/verify-before.out"
    skv_start 3
fi
skv_assert "retire $S0 again: 409" [ "$(retire "$L" "$S0")" = 409 ]
skv_assert "... named ErrKeyAlreadyRetired" grep -q '"error":"ErrKeyAlreadyRetired"' "$SKV_DIR/resp"
skv_assert "retire $R0 on the leader (HTTP)" [ "$(retire "$L" "$R0")" = 200 ]
skv_assert "every node dropped storage key $S0" skv_wait 60 "S0 dropped everywhere" dropped_on "$S0" $ALL
skv_assert "every node dropped raft key $R0" skv_wait 60 "R0 dropped everywhere" dropped_on "$R0" $ALL
skv_assert "node 3's job ran at its restart" grep -q "retired storage key $S0 dropped" "$SKV_DIR/n3.log"
skv_assert "sealkv status (human) shows key $S0 dropped in its STATE column" sh -c \
    "skv_o=\$('$SEALKV' --endpoint $(skv_endpoint 1) status) && echo \"\$skv_o\" | grep -q 'STATE' && echo \"\$skv_o\" | grep -Eq '^ +$S0 +storage +no +dropped '"
skv_assert "the new keys are still active" [ "$(keystate 1 "$S1")" = active -a "$(keystate 1 "$R1")" = active ]
skv_assert "writes go on" fl_wait_ops ret 300 60
fl_load_stop ret
skv_assert "every node caught up" fl_wait_caught_up 30 $ALL
fl_final_read $ALL
fl_verdict retire
skv_assert "retire a dropped key: 409" [ "$(retire "$L" "$S0")" = 409 ]

# ---- 4. old values re-sealed; the standby catches up by snapshot -----------------
skv_assert "a value after the retire" sh -c "\"$SEALKV\" --endpoint $(skv_endpoint 1) --retry 15 put new-value v-new >/dev/null"
# well past a snapshot interval (512) and its trailing entries (128): the
# leaders' logs, on disk and in memory, start above node 4's last entry
FL_HIST="$SKV_DIR/history3"
fl_load_start ret3 $ALL
skv_assert "the log moves on past node 4" fl_wait_ops ret3 3000 90
fl_load_stop ret3
FL_HIST="$SKV_DIR/history"
n4=$(grep -c "installing snapshot from the leader" "$SKV_DIR/n4.log")
skv_start 4
skv_assert "node 4 caught up" skv_wait 40 "node 4 reads new-value" skv_all_local_eq new-value v-new 4
skv_assert "node 4 installed a snapshot past the retire (the logs start above it)" \
    [ "$(grep -c "installing snapshot from the leader" "$SKV_DIR/n4.log")" -gt "$n4" ]
skv_assert "node 4 (which held both keys) dropped S0 in its own job" \
    skv_wait 60 "S0 dropped on node 4" dropped_on "$S0" 4
skv_assert "... and R0" skv_wait 60 "R0 dropped on node 4" dropped_on "$R0" 4
skv_assert "node 4's job re-sealed and dropped them itself" \
    grep -q "retired storage key $S0 dropped" "$SKV_DIR/n4.log"
skv_wait_caught_up 1 2 3 4
for i in 1 2 3 4; do
    for k in 1 5 8; do
        skv_assert "node $i reads old-$k (re-sealed)" skv_all_local_eq "old-$k" "v-old-$k" "$i"
    done
    skv_assert "node $i: S0 and R0 are tombstones" dropped_on "$S0" "$i"
    skv_assert "node $i: R0 too" dropped_on "$R0" "$i"
    skv_assert "node $i not halted" [ "$(skv_status_field "$i" state)" != halted ]
done

# ---- 5. a snapshot from a node that has not dropped the key brings it back ------
# the leader's job waits for the storage view of a backup opened before the
# retire; a follower that dropped the key misses enough entries to need a
# snapshot, and installs the leader's: the DEK comes back, still retired,
# and its job runs again; once the backup ends every node drops the key
L=$(fl_wait_leader 10)
skv_assert "rotate storage again" [ "$(rotate "$L" storage)" = 200 ]
S2=$(field key_id)
skv_wait_caught_up 1 2 3 4
X=""; for i in 1 2 3; do [ "$i" = "$L" ] || { X=$i; break; }; done
BID=$(curl -s -m 10 -X POST "$(skv_endpoint "$L")/v1/snapshot" | grep -o '"id":[0-9]*' | cut -d: -f2)
skv_assert "a backup on leader $L holds a storage view ($BID)" [ -n "$BID" ]
skv_assert "retire storage key $S1" [ "$(retire "$L" "$S1")" = 200 ]
skv_assert "node $X dropped $S1" skv_wait 60 "S1 dropped on node $X" dropped_on "$S1" "$X"
skv_assert "the leader still holds it (its job waits for the backup's view)" \
    [ "$(keystate "$L" "$S1")" = retired ]
skv_stop "$X"
nx=$(grep -c "installing snapshot from the leader" "$SKV_DIR/n$X.log")
FL_HIST="$SKV_DIR/history2"
fl_load_start ret2 "$L"
skv_assert "the log moves on past node $X" fl_wait_ops ret2 3000 90
fl_load_stop ret2
curl -s -m 10 -o /dev/null "$(skv_endpoint "$L")/v1/snapshot/$BID?offset=0"   # keep it open
skv_assert "the leader still holds $S1" [ "$(keystate "$L" "$S1")" = retired ]
skv_start "$X"
skv_assert "node $X caught up" fl_wait_caught_up 40 1 2 3
skv_assert "node $X installed a snapshot" \
    [ "$(grep -c "installing snapshot from the leader" "$SKV_DIR/n$X.log")" -gt "$nx" ]
skv_assert "the snapshot brought $S1's DEK back to node $X" \
    grep -q "the snapshot brings back retired key $S1's DEK" "$SKV_DIR/n$X.log"
skv_assert "the backup ends" [ "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X DELETE "$(skv_endpoint "$L")/v1/snapshot/$BID")" = 200 ]
skv_assert "every node dropped $S1 (node $X a second time)" skv_wait 90 "S1 dropped everywhere" dropped_on "$S1" 1 2 3 4
n=$(grep -c "retired storage key $S1 dropped" "$SKV_DIR/n$X.log")
skv_assert "node $X's job ran twice ($n)" [ "$n" = 2 ]
FL_HIST="$SKV_DIR/history"
skv_wait_caught_up 1 2 3 4

# ---- 6. retire makes room: rotations up to the limit, one retire, one more -------
L=$(fl_wait_leader 10)
n=0 c=200
while [ "$c" = 200 ] && [ $n -lt 80 ]; do
    c=$(rotate "$L" raft)
    [ "$c" = 200 ] && n=$((n + 1))
done
skv_assert "rotations stop at 64 keys with a DEK: 409 (after $n)" [ "$c" = 409 ]
skv_assert "... named ErrTooManyKeys" grep -q '"error":"ErrTooManyKeys"' "$SKV_DIR/resp"
skv_assert "retire raft key $R1 (in use, not active)" [ "$(retire "$L" "$R1")" = 200 ]
skv_assert "every node dropped $R1" skv_wait 60 "R1 dropped everywhere" dropped_on "$R1" 1 2 3 4
skv_assert "a rotation fits again" [ "$(rotate "$L" raft)" = 200 ]
skv_assert "writes go on" sh -c "\"$SEALKV\" --endpoint $(skv_endpoint "$L") --retry 15 put after-room v >/dev/null"
skv_wait_caught_up 1 2 3 4

# ---- 7. offline: no wrapped DEK, verify --strict, the nonce scan ------------------
for i in 1 2 3 4; do skv_stop "$i"; done
for i in 1 2 3 4; do
    skv_assert "node $i: no sidecar holds S0's wrapped DEK" sh -c "! grep -qF '$WS0' $SKV_DIR/data$i/encryption/keys.json"
    skv_assert "node $i: nor R0's" sh -c "! grep -qF '$WR0' $SKV_DIR/data$i/encryption/keys.json"
    "$SEALKV" verify --config "$SKV_DIR/n$i.yaml" --strict --json >"$SKV_DIR/verify$i.out" 2>&1
    vrc=$?
    [ $vrc = 0 ] || tail -25 "$SKV_DIR/verify$i.out"
    skv_assert "node $i: sealkv verify --strict passes" [ $vrc = 0 ]
    for k in "$S0" "$R0"; do
        skv_assert "node $i: key $k dropped with no reference left" sh -c "tr -d ' \n' <$SKV_DIR/verify$i.out | grep -q '{\"key_id\":$k,\"purpose\":\"[a-z]*\",\"state\":\"dropped\",\"retired_index\":[1-9][0-9]*,\"values\":0,\"log_entries\":0,\"snapshot_records\":0}'"
    done
done
skv_nonce_scan 1 2 3 4
fl_teardown
skv_finish
