#!/bin/sh
# SPDX-License-Identifier: MIT
# 3-node bootstrap and leader election; a PUT on a follower is readable on
# every node; binary values round-trip; delete; a node restarted with its
# data dir keeps its data.
SKV_TEST=cluster_basic
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

skv_up3
skv_log "leader $L, writing through follower $F"

skv_assert "put through a follower succeeds" skv_cli $F put greeting hello
for i in 1 2 3; do
    skv_assert "linearizable get on node $i" skv_get_eq $i greeting hello
done
skv_wait 10 "local read on every node sees the value" skv_all_local_eq greeting hello 1 2 3

printf 'a\000b\377c' >"$SKV_DIR/bin.in"
skv_assert "binary put via stdin" skv_cli $F put 'dir/my key' - <"$SKV_DIR/bin.in"
skv_cli "$L" get 'dir/my key' >"$SKV_DIR/bin.out"
skv_assert "binary value round-trips byte-exact" cmp -s "$SKV_DIR/bin.in" "$SKV_DIR/bin.out"

skv_assert "delete through a follower" skv_cli $F del greeting
skv_assert "deleted key reads as not found" skv_get_absent "$L" greeting
skv_assert "status reports 3 voters" [ "$(skv_voters 1)" -eq 3 ]

skv_cli "$L" put persist yes >/dev/null
skv_stop $F TERM
skv_assert "SIGTERM exits 0" [ "$SKV_LAST_RC" -eq 0 ]
skv_start $F
skv_wait 20 "restarted follower serves its old data" skv_all_local_eq persist yes $F
skv_finish
