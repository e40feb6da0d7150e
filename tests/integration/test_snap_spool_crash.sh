#!/bin/sh
# SPDX-License-Identifier: MIT
# Crash points of a snapshot installed through the spool file (issue 15:
# a follower receives a snapshot over 4 MiB into data_dir/snapshot-in.part,
# commits it durably before C-Raft stores the small SKVSNAP4 reference,
# then restores the key space from it in bounded batches). A standby
# (node 4) of a 3-node cluster with both encryption phases on and ~6 MiB
# of values installs the leader's snapshot three times (removed, its data
# dir wiped and added again before each: the leader's transport would
# otherwise deliver the entries it queued while node 4 was down), dying
# once at each durable step of the install:
#  - snapshot:after-spool   the spool file is fsync'd and renamed, its
#                           reference not stored: the next start removes
#                           it and the leader sends the snapshot again;
#  - snapshot:mid-restore   reference stored, the first key-space batch
#                           written, the applied index not moved: the next
#                           start restores again from the spool file;
#  - snapshot:after-restore the key space and applied index are durable:
#                           the next start's restore is a no-op.
# Then once more with SIGTERM while the key space is being replaced off
# the loop (fsm_install.c, slowed by $SEALKV_TEST_INSTALL_PAUSE_MS): a
# local read is refused with the retryable ErrSnapshotInstalling, status
# still answers, the node stops cleanly and at once (rc 0, the install
# cancelled at its next batch), and restarts restoring from the spool.
# And once with the leader stopped while node 4 installs: a new leader
# is elected, node 4's install ends, and it catches up from the new one.
# Each time node 4 exits there (99), restarts without the hook, catches up,
# serves the big values byte for byte, keeps no spool file, is not halted;
# `sealkv verify` passes on every node at the end. Needs
# --enable-fault-injection (crash points).
SKV_TEST=snap_spool_crash
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
"$SEALKVD" --version | grep -q "test hooks" || {
    echo "SKIP: sealkvd built without test hooks (configure --enable-fault-injection)"; exit 77; }

SKV_BOOT=3 SKV_ENC_NODES="1 2 3 4" SKV_SNAP_THRESHOLD=32 SKV_SNAP_TRAILING=8
export SKV_BOOT SKV_SNAP_THRESHOLD SKV_SNAP_TRAILING
skv_setup 4
D=$SKV_DIR
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader" skv_leader
skv_assert "phase 1" [ "$(skv_enc_post 1 enable-storage-envelope)" = 200 ]
skv_assert "phase 2" [ "$(skv_enc_post 1 enable-raft-envelope)" = 200 ]
head -c 1048576 /dev/urandom >"$D/big"
sum=$(sha256sum <"$D/big" | cut -d' ' -f1)
n=0
for k in 1 2 3 4 5 6; do
    c=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$D/big" \
        "$(skv_endpoint "$(skv_leader)")/v1/kv/big$k")
    [ "$c" = 200 ] && n=$((n + 1))
done
skv_assert "6 values of 1 MiB written ($n)" [ "$n" = 6 ]
# writes FROM TO: key$k = v$k through the leader
writes() {
    for k in $(seq "$1" "$2"); do skv_cli "$(skv_leader)" put "key$k" "v$k" >/dev/null || skv_fail "put key$k"; done
}
writes 1 40
exited() { p=$(skv_pid 4); [ -z "$p" ] || [ ! -r "/proc/$p/stat" ] || [ "$(cut -d' ' -f3 "/proc/$p/stat")" = Z ]; }
add4() { skv_cli "$(skv_leader)" members add 4 "127.0.0.1:$(skv_rport 4)" --standby; }

# crash_install POINT BASE: node 4 (empty data dir) is added, installs the
# leader's snapshot with the hook, exits there, restarts without it and
# catches up.
crash_install() {
    point=$1 base=$2
    off=$(wc -c <"$D/n4.log" 2>/dev/null || echo 0)
    L=$(skv_leader)
    skv_log "$point: leader $L at $(skv_status_field "$L" last_index), its snapshot at $(skv_status_field "$L" snapshot_index)"
    SEALKV_TEST_CRASH_AT="$point" skv_start 4
    skv_wait 20 "$point: node 4 answers" skv_status_field 4 id
    # the add probes the newcomer; a refused add is rolled back, so it is
    # simply tried again while node 4 settles
    skv_assert "$point: members add 4" skv_wait 30 "members add 4" add4
    skv_wait 60 "$point: node 4 exits at the crash point" exited
    skv_stop 4
    skv_assert "$point: node 4 stopped there (rc 99: $SKV_LAST_RC)" [ "$SKV_LAST_RC" = 99 ]
    tail -c +$((off + 1)) "$D/n4.log" >"$D/crash-$point.log"
    skv_assert "$point: node 4 says where" grep -q "test hook: crash at $point" "$D/crash-$point.log"
    skv_assert "$point: the snapshot came through the spool file" \
        grep -q "received into the spool file" "$D/crash-$point.log"
    skv_assert "$point: the spool file is there at the crash" [ -f "$D/data4/snapshot-in.spool" ]
    off=$(wc -c <"$D/n4.log")
    skv_start 4
    writes "$base" $((base + 2))
    # (the leader waits out install_snapshot_timeout, 30 s, for the answer
    # the crash swallowed before it probes node 4 again)
    skv_wait 75 "$point: node 4 catches up after the restart" \
        skv_all_local_eq "key$((base + 2))" "v$((base + 2))" 4
    tail -c +$((off + 1)) "$D/n4.log" >"$D/after-$point.log"
    for k in 1 6; do
        got=$(curl -s "$(skv_endpoint 4)/v1/kv/big$k?consistency=local" | sha256sum | cut -d' ' -f1)
        skv_assert "$point: node 4 serves big$k byte for byte" [ "$got" = "$sum" ]
    done
    skv_assert "$point: node 4 reads an old key" skv_all_local_eq key1 v1 4
    skv_assert "$point: no spool file left" sh -c "! ls $D/data4/snapshot-in.* 2>/dev/null | grep -q ."
    skv_assert "$point: node 4 not halted" [ "$(skv_status_field 4 state)" != halted ]
}
# reseed: node 4 leaves, its data dir is wiped, the log moves on
reseed() {
    skv_stop 4
    skv_assert "members remove 4" skv_cli "$(skv_leader)" members remove 4
    rm -rf "$D/data4"
    writes "$1" $(($1 + 40))
}

crash_install snapshot:after-spool 100
skv_assert "after-spool: the restart took the snapshot again from the leader" \
    grep -q "received into the spool file" "$D/after-snapshot:after-spool.log"
reseed 200
crash_install snapshot:mid-restore 300
skv_assert "mid-restore: the restart restored again from the spool file" \
    grep -q "from the spool file, in bounded batches" "$D/after-snapshot:mid-restore.log"
reseed 400
crash_install snapshot:after-restore 500
skv_assert "after-restore: the restart did not install again from the spool file" \
    sh -c "! grep -q 'from the spool file, in bounded batches' '$D/after-snapshot:after-restore.log'"
reseed 600
off=$(wc -c <"$D/n4.log")
SEALKV_TEST_INSTALL_PAUSE_MS=1000 skv_start 4
skv_wait 20 "term: node 4 answers" skv_status_field 4 id
skv_assert "term: members add 4" skv_wait 30 "members add 4" add4
installing() { tail -c +$((off + 1)) "$D/n4.log" | grep -q "installing the snapshot at index .* off the loop"; }
skv_assert "term: node 4 installs off the loop" skv_wait 60 "node 4 installs" installing
r=$(curl -s -m 5 -w ' %{http_code}' "$(skv_endpoint 4)/v1/kv/key1?consistency=local")
refused() { case "$r" in *ErrSnapshotInstalling*" 503") return 0 ;; esac; return 1; }
skv_assert "term: a local read during the install is refused as retryable ($r)" refused
r=$(curl -s -m 5 -w ' %{http_code}' "$(skv_endpoint 4)/readyz")
not_ready_installing() { case "$r" in *'"reason"'*'"installing"'*" 503") return 0 ;; esac; return 1; }
skv_assert "term: /readyz during the install is 503, reason installing ($r)" not_ready_installing
skv_assert "term: status answers during the install" skv_status_field 4 id
t0=$(date +%s)
skv_stop 4
el=$(( $(date +%s) - t0 ))
skv_assert "term: node 4 stopped cleanly (rc $SKV_LAST_RC) within 5 s ($el s)" \
    [ "$SKV_LAST_RC" = 0 -a "$el" -le 5 ]
skv_assert "term: the install was stopped, not finished" \
    sh -c "tail -c +$((off + 1)) '$D/n4.log' | grep -q 'install of the snapshot at index .* stopped'"
off=$(wc -c <"$D/n4.log")
skv_start 4
writes 700 702
skv_wait 75 "term: node 4 catches up after the restart" skv_all_local_eq key702 v702 4
skv_assert "term: the restart restored from the spool file" \
    sh -c "tail -c +$((off + 1)) '$D/n4.log' | grep -q 'from the spool file, in bounded batches'"
got=$(curl -s "$(skv_endpoint 4)/v1/kv/big6?consistency=local" | sha256sum | cut -d' ' -f1)
skv_assert "term: node 4 serves big6 byte for byte" [ "$got" = "$sum" ]
skv_assert "term: no spool file left" sh -c "! ls $D/data4/snapshot-in.* 2>/dev/null | grep -q ."
reseed 800
off=$(wc -c <"$D/n4.log")
SEALKV_TEST_INSTALL_PAUSE_MS=1000 skv_start 4
skv_wait 20 "leader change: node 4 answers" skv_status_field 4 id
skv_assert "leader change: members add 4" skv_wait 30 "members add 4" add4
skv_assert "leader change: node 4 installs off the loop" skv_wait 60 "node 4 installs" installing
OLD=$(skv_leader)
skv_stop "$OLD"
new_leader() { l=$(skv_leader); [ -n "$l" ] && [ "$l" != "$OLD" ] && [ "$l" != 4 ]; }
skv_assert "leader change: a new leader while node 4 installs" skv_wait 20 "a new leader" new_leader
skv_assert "leader change: node 4 is still installing then" \
    sh -c "! tail -c +$((off + 1)) '$D/n4.log' | grep -q 'restored snapshot at index'"
writes 900 902
skv_wait 75 "leader change: node 4 catches up from the new leader" \
    skv_all_local_eq key902 v902 4
skv_assert "leader change: node 4 restored it off the loop" \
    sh -c "tail -c +$((off + 1)) '$D/n4.log' | grep -q 'from the spool file, in bounded batches'"
got=$(curl -s "$(skv_endpoint 4)/v1/kv/big6?consistency=local" | sha256sum | cut -d' ' -f1)
skv_assert "leader change: node 4 serves big6 byte for byte" [ "$got" = "$sum" ]
skv_assert "leader change: node 4 not halted" [ "$(skv_status_field 4 state)" != halted ]
skv_start "$OLD"
skv_wait 30 "the old leader catches up" skv_all_local_eq key902 v902 "$OLD"
for i in 1 2 3 4; do skv_stop $i; done
for i in 1 2 3 4; do
    "$SEALKV" verify --config "$D/n$i.yaml" >"$D/verify-$i.out" 2>&1
    rc=$?
    [ $rc = 0 ] || tail -5 "$D/verify-$i.out"
    skv_assert "sealkv verify passes on node $i (rc $rc)" [ $rc = 0 ]
done
skv_finish
