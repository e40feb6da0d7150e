#!/bin/sh
# SPDX-License-Identifier: MIT
# A snapshot bigger than one frame (64 MiB) reaches a joining standby: a
# 3-node cluster with both encryption phases on holds ~80 MiB; node 4 is
# added as a standby, the leader's log is compacted past what node 4 has,
# so it needs the snapshot, which travels as SNAP_CHUNK frames
# (raft_io_xfer.c) and is installed whole. Before the chunks, the leader
# could only log "install snapshot: body exceeds" forever and the standby
# never caught up. Node 4 then serves every value, big ones byte for byte.
SKV_TEST=snapshot_big
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

SKV_ENC_NODES="1 2 3 4" SKV_BOOT=3 SKV_SNAP_THRESHOLD=64 SKV_SNAP_TRAILING=8
export SKV_SNAP_THRESHOLD SKV_SNAP_TRAILING
skv_setup 4
for i in 1 2 3 4; do skv_start "$i"; done
skv_wait 20 "a leader is elected" skv_leader
L=$(skv_leader)
E=$(skv_endpoint "$L")
skv_assert "phase 1" [ "$(skv_enc_post "$L" enable-storage-envelope)" = 200 ]
skv_assert "phase 2" [ "$(skv_enc_post "$L" enable-raft-envelope)" = 200 ]
head -c 1048576 /dev/urandom >"$SKV_DIR/big"
sum=$(sha256sum <"$SKV_DIR/big" | cut -d' ' -f1)
n=0
for k in $(seq 1 80); do
    c=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$SKV_DIR/big" "$E/v1/kv/big$k")
    [ "$c" = 200 ] && n=$((n + 1))
done
skv_assert "80 values of 1 MiB written ($n)" [ "$n" = 80 ]
for k in $(seq 1 100); do skv_cli "$L" put "small$k" "v$k" >/dev/null || skv_fail "put small$k"; done
skv_assert "node 4 added as a standby" skv_cli 1 members add 4 "127.0.0.1:$(skv_rport 4)" --standby
skv_wait 90 "node 4 has the last small value" skv_get_eq 4 small100 v100 --local
skv_assert "the leader sent the snapshot in chunks" grep -q "in chunks" "$SKV_DIR/n$L.log"
skv_assert "node 4 installed it" grep -q "installing snapshot from the leader" "$SKV_DIR/n4.log"
skv_assert "no send was refused as too big" sh -c "! grep -q 'body exceeds' '$SKV_DIR/n$L.log'"
for k in 1 40 80; do
    got=$(curl -s "$(skv_endpoint 4)/v1/kv/big$k?consistency=local" | sha256sum | cut -d' ' -f1)
    skv_assert "node 4 serves big$k byte for byte" [ "$got" = "$sum" ]
done
skv_assert "node 4 wraps too" sh -c "\"$SEALKV\" --endpoint $(skv_endpoint 4) --json status | grep -q '\"wrap_on_propose\":true'"
skv_finish
