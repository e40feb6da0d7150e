#!/bin/sh
# SPDX-License-Identifier: MIT
# A snapshot bigger than one frame (64 MiB) reaches a joining standby: a
# 3-node cluster with both encryption phases on holds ~200 MiB; node 4 is
# added as a standby, the leader's log is compacted past what node 4 has,
# so it needs the snapshot, which travels as SNAP_CHUNK frames
# (raft_io_xfer.c) and is installed whole. Before the chunks, the leader
# could only log "install snapshot: body exceeds" forever and the standby
# never caught up. Node 4 then serves every value, big ones byte for byte.
# Memory (issue 15): the leader streams the snapshot from its storage view
# chunk by chunk and node 4 spools it into a file and restores it in
# bounded batches. Both are measured from just before the join to node 4
# caught up, against their RSS then, and logged as "memory: ...":
#  - VmHWM (peak RSS, reset through /proc/PID/clear_refs), which also
#    counts the pages of LevelDB's memory-mapped table files that reading
#    the data set touches (file-backed, reclaimable page cache: a streamed
#    send that reads 80 MiB of tables shows them too);
#  - the peak of RssAnon (heap: what the process itself holds), sampled
#    every 10 ms: each must grow by less than 3/4 of the snapshot (a
#    one-buffer expansion or assembly holds the whole snapshot for the
#    whole transfer; measured +17-33 MB of 84 on an idle or busy machine:
#    frames wait in the node's inbox while its loop lags, so the margin
#    is wide). What the leader holds for a send is the chunk being made,
#    the frame being encoded and what waits in the transport's per-peer
#    queue: the sender makes a chunk only while fewer than 4 (16 MiB) are
#    queued (transport ABI 1.4 `queued`), so about 28 MiB whatever the
#    snapshot and the queue's max_queue_bytes (64 MiB, the default, here);
#    the leader's heap must grow by less than 40 MiB (+21-62 MB with the
#    queue as the only bound: it fills when node 4 lags, so that run could
#    pass too; +25-29 MB paced). The nodes run with glibc's mmap threshold
#    fixed (MALLOC_MMAP_THRESHOLD_): by default the first multi-MiB buffer
#    freed (a transport frame) raises it, and later freed frames stay
#    resident in the heap, which RssAnon would count as held.
SKV_TEST=snapshot_big
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

SKV_ENC_NODES="1 2 3 4" SKV_BOOT=3 SKV_SNAP_THRESHOLD=64 SKV_SNAP_TRAILING=8
MALLOC_MMAP_THRESHOLD_=262144
export SKV_SNAP_THRESHOLD SKV_SNAP_TRAILING MALLOC_MMAP_THRESHOLD_
skv_setup 4
for i in 1 2 3 4; do skv_start "$i"; done
skv_wait 20 "a leader is elected" skv_leader
L=$(skv_leader)
E=$(skv_endpoint "$L")
skv_assert "phase 1" [ "$(skv_enc_post "$L" enable-storage-envelope)" = 200 ]
skv_assert "phase 2" [ "$(skv_enc_post "$L" enable-raft-envelope)" = 200 ]
head -c 1048576 /dev/urandom >"$SKV_DIR/big"
sum=$(sha256sum <"$SKV_DIR/big" | cut -d' ' -f1)
# written first, restored last (records go in key order): a node that
# serves small100 but not zzfirst serves a half-replaced key space
skv_cli "$L" put zzfirst first >/dev/null || skv_fail "put zzfirst"
NBIG=200
n=0
for k in $(seq 1 $NBIG); do
    c=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$SKV_DIR/big" "$E/v1/kv/big$k")
    [ "$c" = 200 ] && n=$((n + 1))
done
skv_assert "$NBIG values of 1 MiB written ($n)" [ "$n" = "$NBIG" ]
for k in $(seq 1 100); do skv_cli "$L" put "small$k" "v$k" >/dev/null || skv_fail "put small$k"; done
# vm KEY pid: /proc/pid/status KEY in kB
vm() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$2/status"; }
# peak_reset pid: the peak RSS restarts from the current RSS (0: done)
peak_reset() { echo 5 2>/dev/null >"/proc/$1/clear_refs"; }
# anon_sampler pid file: the highest RssAnon seen, into file, every 10 ms
# until file.stop exists (at most 3 minutes)
anon_sampler() {
    max=0 end=$(( $(date +%s) + 180 ))
    while [ ! -e "$2.stop" ] && [ "$(date +%s)" -lt "$end" ]; do
        a=$(vm RssAnon "$1"); [ -n "$a" ] && [ "$a" -gt "$max" ] && { max=$a; echo "$max" >"$2"; }
        sleep 0.01
    done
}
# turn_max N: node N's longest loop turn so far, in ms (metrics)
turn_max() {
    curl -s -m 30 "$(skv_endpoint "$1")/metrics" |
        awk '$1 == "sealkv_loop_turn_max_seconds" { printf "%d\n", $2 * 1000 }'
}
stall_4=$(turn_max 4)
PL=$(skv_pid "$L"); P4=$(skv_pid 4)
reset=1
peak_reset "$PL" && peak_reset "$P4" || reset=0
base_l=$(vm VmRSS "$PL"); base_4=$(vm VmRSS "$P4")
anon_l=$(vm RssAnon "$PL"); anon_4=$(vm RssAnon "$P4")
anon_sampler "$PL" "$SKV_DIR/anon-l" & SAMP_L=$!
anon_sampler "$P4" "$SKV_DIR/anon-4" & SAMP_4=$!
# reader PORT: local reads of small100, then zzfirst, on node 4 until
# $SKV_DIR/reads.stop exists (at most 3 minutes): "code code" per line
reader() {
    end=$(( $(date +%s) + 180 ))
    while [ ! -e "$SKV_DIR/reads.stop" ] && [ "$(date +%s)" -lt "$end" ]; do
        a=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$1/v1/kv/small100?consistency=local")
        b=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$1/v1/kv/zzfirst?consistency=local")
        echo "$a $b"
        sleep 0.01
    done
}
reader "$(skv_endpoint 4)" >"$SKV_DIR/reads" & READER=$!
skv_assert "node 4 added as a standby" skv_cli 1 members add 4 "127.0.0.1:$(skv_rport 4)" --standby
skv_wait 90 "node 4 has the last small value" skv_get_eq 4 small100 v100 --local
hwm_l=$(vm VmHWM "$PL"); hwm_4=$(vm VmHWM "$P4")
touch "$SKV_DIR/anon-l.stop" "$SKV_DIR/anon-4.stop" "$SKV_DIR/reads.stop"
wait "$SAMP_L" "$SAMP_4" "$READER"
stall_4_after=$(turn_max 4)
peak_anon_l=$(cat "$SKV_DIR/anon-l" 2>/dev/null || echo 0); peak_anon_4=$(cat "$SKV_DIR/anon-4" 2>/dev/null || echo 0)
skv_assert "the leader sent the snapshot in chunks" grep -q "in chunks" "$SKV_DIR/n$L.log"
skv_assert "node 4 installed it" grep -q "installing snapshot from the leader" "$SKV_DIR/n4.log"
# the leader finds the size while streaming; node 4 logs what it got
size=$(sed -n 's/.*snapshot [0-9]* (\([0-9]*\) bytes) received into the spool file.*/\1/p' "$SKV_DIR/n4.log" | tail -1)
skv_assert "the leader sized it while streaming (${size:-?} bytes sent)" \
    grep -q "snapshot [0-9]* to 4: ${size:-none} bytes sent in chunks, streamed" "$SKV_DIR/n$L.log"
skv_assert "the snapshot's size is logged (${size:-none} bytes)" [ -n "$size" ]
size_k=$(( ${size:-0} / 1024 ))
skv_log "memory: snapshot $size_k kB"
skv_log "memory: leader   VmRSS $base_l kB, VmHWM $hwm_l kB (+$((hwm_l - base_l))); RssAnon $anon_l kB, peak $peak_anon_l kB (+$((peak_anon_l - anon_l)))"
skv_log "memory: follower VmRSS $base_4 kB, VmHWM $hwm_4 kB (+$((hwm_4 - base_4))); RssAnon $anon_4 kB, peak $peak_anon_4 kB (+$((peak_anon_4 - anon_4)))"
skv_log "loop: node 4's longest loop turn ${stall_4:-?} ms before the join, ${stall_4_after:-?} ms after the install"
# The install replaces the key space on a worker (fsm_install.c); the
# loop only receives the chunks (at most 8 MiB of frames per turn,
# inbox.c) and adopts the encryption state. The restore on the loop held
# it for 1.2-1.6 s at 160-200 MiB (0.7 s at 80 MiB; it grows with the
# data set); now the longest turn is 44-54 ms with the load average at
# 4-5 on 2 cores (up to 416 ms before the inbox's per-turn budget, which
# let one turn take in 25 MiB of chunks): the bound leaves room for a
# busy machine and still fails the restore on the loop.
skv_assert "node 4's loop never stalled 500 ms or more (${stall_4_after:-?} ms)" \
    [ "${stall_4_after:-99999}" -lt 500 ]
skv_log "reads on node 4 during the join: $(sort "$SKV_DIR/reads" | uniq -c | tr '\n' ';')"
skv_assert "node 4 never served a half-replaced key space (small100 without zzfirst)" \
    sh -c "! grep -q '^200 404' '$SKV_DIR/reads'"
skv_assert "node 4's reads were answered or refused as retryable only" \
    sh -c "! grep -qv '^\(200\|404\|503\) \(200\|404\|503\)\$' '$SKV_DIR/reads'"
[ "$reset" = 1 ] || skv_log "memory: /proc/PID/clear_refs not writable: VmHWM includes the time before the join"
skv_assert "the leader streamed it from its storage view" grep -q "streamed from its storage view" "$SKV_DIR/n$L.log"
skv_assert "node 4 spooled it into a file" grep -q "received into the spool file" "$SKV_DIR/n4.log"
skv_assert "node 4 restored it from the spool in bounded batches" grep -q "from the spool file, in bounded batches" "$SKV_DIR/n4.log"
skv_assert "node 4 removed the spool file" sh -c "! ls $SKV_DIR/data4/snapshot-in.* 2>/dev/null | grep -q ."
if grep -q 'libasan\|libtsan' "/proc/$PL/maps" 2>/dev/null; then
    # the sanitizer's allocator keeps freed memory in quarantine
    skv_log "memory: sanitizer build: the heap bounds are not checked"
else
    skv_assert "node 4's heap grew by less than 3/4 of the snapshot (+$((peak_anon_4 - anon_4)) kB of $size_k)" \
        [ $((peak_anon_4 - anon_4)) -lt $((size_k * 3 / 4)) ]
    skv_assert "the leader's heap grew by less than 40 MiB (+$((peak_anon_l - anon_l)) kB; snapshot $size_k kB)" \
        [ $((peak_anon_l - anon_l)) -lt 40960 ]
fi
for k in 1 $((NBIG / 2)) $NBIG; do
    got=$(curl -s "$(skv_endpoint 4)/v1/kv/big$k?consistency=local" | sha256sum | cut -d' ' -f1)
    skv_assert "node 4 serves big$k byte for byte" [ "$got" = "$sum" ]
done
skv_assert "node 4 wraps too" sh -c "\"$SEALKV\" --endpoint $(skv_endpoint 4) --json status | grep -q '\"wrap_on_propose\":true'"
skv_finish
