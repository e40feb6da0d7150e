#!/bin/sh
# SPDX-License-Identifier: MIT
# A crash between snapshot store and restore (issue 12 item 3) on real
# processes. C-Raft stores an installed snapshot (snapshot_put) before it
# calls fsm->restore. A follower that never applied the cutover entry N
# (it exits at raft-flag:before-sidecar), misses enough entries that the
# leader sends a snapshot (SKVSNAP2 carrying N), and dies right between
# the two (crash point snapshot:before-restore) restarts with a sidecar
# cutover of 0 under a snapshot carrying N. That is no divergence: it must
# start (no ErrEnvelopeCutoverDivergence), the restore adopts N, and it
# ends with the leader's cutover, wrap on, every value readable, not
# halted, taking part in writes. (Every other divergence still refuses:
# test_enc_refusals.sh cases h and h0, tests/unit/test_enc_boot.)
# Needs --enable-fault-injection (crash points).
SKV_TEST=snap_restore_crash
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
"$SEALKVD" --version | grep -q "test hooks" || {
    echo "SKIP: sealkvd built without test hooks (configure --enable-fault-injection)"; exit 77; }

SKV_ENC_NODES="1 2 3" SKV_SNAP_THRESHOLD=64 SKV_SNAP_TRAILING=8 SKV_TRANSPORT=chaos
export SKV_SNAP_THRESHOLD SKV_SNAP_TRAILING
skv_setup 3
D=$SKV_DIR
for i in 1 2 3; do skv_start "$i"; done
skv_wait 20 "a leader is elected" skv_leader
enc_field() { "$SEALKV" --endpoint "$(skv_endpoint "$1")" --retry 0 --json status | grep -o "\"$2\":[^,}]*" | head -1 | cut -d: -f2; }
exited() { p=$(skv_pid "$1"); [ -z "$p" ] || [ ! -r "/proc/$p/stat" ] || [ "$(cut -d' ' -f3 "/proc/$p/stat")" = Z ]; }
sc_cut() { sed -n 's/^ *"raft_envelope_cutover_index": *\([0-9]*\).*/\1/p' "$D/data$1/encryption/keys.json"; }

skv_cli 1 put before-cut v0 >/dev/null || skv_fail "put before-cut"
skv_assert "phase 1" [ "$(skv_enc_post 1 enable-storage-envelope)" = 200 ]
L=$(skv_leader)
V=1; [ "$L" = 1 ] && V=2
skv_log "leader $L, victim follower $V"

# 1. the victim never applies N
skv_stop "$V"
SEALKV_TEST_CRASH_AT=raft-flag:before-sidecar skv_start "$V"
skv_wait 20 "node $V answers" skv_status_field "$V" id
offl0=$(wc -c <"$D/n$L.log")
skv_assert "phase 2 on leader $L" [ "$(skv_enc_post "$L" enable-raft-envelope)" = 200 ]
N=$(grep -o '"applied_index":[0-9]*' "$D/resp" | cut -d: -f2)
skv_wait 20 "node $V exits at the raft-flag crash point" exited "$V"
skv_stop "$V"
skv_assert "node $V stopped before recording N=$N (rc 99: $SKV_LAST_RC)" [ "$SKV_LAST_RC" = 99 ]
skv_assert "node $V's sidecar cutover is 0" [ "$(sc_cut "$V")" = 0 ]

# 2. the leader moves on far enough to send a snapshot (same key: the
#    snapshot stays small and the threshold stays at 64). The leader's
#    link to the victim is cut meanwhile: otherwise the transport queues
#    the AppendEntries for the down node and delivers them on its return.
#    The leader must have frames queued for the victim first (its writer
#    only reconnects, and so only delivers them, while some are queued).
l_queued() { tail -c +$((offl0 + 1)) "$D/n$L.log" | grep -Eq "node $V unreachable: .*\([1-9][0-9]* frames queued\)"; }
skv_wait 20 "leader $L has frames queued for the down node $V" l_queued
echo "partition $V" >"$D/rules$L"
skv_wait 10 "leader $L applies the partition rule" grep -q "chaos: rules from .*partition $V" "$D/n$L.log"
for k in $(seq 1 150); do skv_cli "$L" put fill "f$k" >/dev/null || { skv_fail "put fill $k"; break; }; done
skv_cli "$L" put after-cut v1 >/dev/null || skv_fail "put after-cut"

# 3. install it and die between snapshot_put and restore
#    The victim drops what the leader's transport queued for it while it
#    was down (heartbeats carrying N's commit would make it apply N from
#    its own log) until its chaos counters show inbound drops.
#    The leader's reconnection counts too: what it queued is written at
#    once after it, long before the next rules poll.
off=$(wc -c <"$D/n$V.log")
offl=$(wc -c <"$D/n$L.log")
echo "partition $L" >"$D/rules$V"
SEALKV_TEST_CRASH_AT=snapshot:before-restore skv_start "$V"
skv_wait 20 "node $V answers" skv_status_field "$V" id
v_dropped() { tail -c +$((off + 1)) "$D/n$V.log" | grep -Eq "chaos: frames out/in: partitioned [0-9]+/[1-9]"; }
l_reconnected() { tail -c +$((offl + 1)) "$D/n$L.log" | grep -q "connected to node $V at"; }
v_dropped_or_none() { v_dropped || l_reconnected; }
skv_wait 20 "node $V dropped the leader's stale frames" v_dropped_or_none
: >"$D/rules$L"
: >"$D/rules$V"
skv_wait 30 "node $V exits at snapshot:before-restore" exited "$V"
skv_stop "$V"
skv_assert "node $V stopped at the crash point (rc 99: $SKV_LAST_RC)" [ "$SKV_LAST_RC" = 99 ]
tail -c +$((off + 1)) "$D/n$V.log" >"$D/v-crash.log"
skv_assert "node $V stored the leader's snapshot first" grep -q "installing snapshot from the leader" "$D/v-crash.log"
skv_assert "node $V says where it crashed" grep -q "test hook: crash at snapshot:before-restore" "$D/v-crash.log"
skv_assert "node $V's sidecar cutover is still 0" [ "$(sc_cut "$V")" = 0 ]

# 4. a clean restart: allowed, the restore adopts N
off=$(wc -c <"$D/n$V.log")
skv_start "$V"
skv_wait 20 "node $V answers after the restart" skv_status_field "$V" id
restored() { tail -c +$((off + 1)) "$D/n$V.log" | grep -q "fsm: restored snapshot"; }
skv_assert "node $V restored the stored snapshot at start-up" skv_wait 10 "restore logged" restored
skv_assert "no ErrEnvelopeCutoverDivergence" sh -c "! tail -c +$((off + 1)) $D/n$V.log | grep -q ErrEnvelopeCutoverDivergence"
# C-Raft's leader waits install_snapshot_timeout (30 s) for the answer to
# the snapshot the victim died installing before it sends it entries again
SKV_CATCHUP_S=60 skv_wait_caught_up 1 2 3
skv_assert "node $V: cutover index $N (status)" [ "$(enc_field "$V" raft_envelope_cutover_index)" = "$N" ]
skv_assert "node $V: sidecar records $N" [ "$(sc_cut "$V")" = "$N" ]
skv_assert "node $V: wrap-on-propose on" [ "$(enc_field "$V" wrap_on_propose)" = true ]
skv_assert "node $V reads the pre-cutover value" skv_all_local_eq before-cut v0 "$V"
skv_assert "node $V reads the post-cutover values" skv_all_local_eq after-cut v1 "$V"
skv_assert "node $V has the last fill" skv_all_local_eq fill f150 "$V"
skv_assert "a write through node $V" skv_cli "$V" put via-victim yes
skv_wait 10 "every node has via-victim" skv_all_local_eq via-victim yes 1 2 3
skv_assert "node $V not halted" [ "$(skv_status_field "$V" state)" != halted ]
skv_assert "no node logged HALTED" sh -c "! grep -q 'HALTED:' $D/n1.log $D/n2.log $D/n3.log"
if command -v skv_nonce_scan >/dev/null 2>&1; then skv_nonce_scan; fi
skv_finish
