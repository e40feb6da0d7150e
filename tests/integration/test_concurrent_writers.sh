#!/bin/sh
# SPDX-License-Identifier: MIT
# Concurrent writers from several client processes, through different
# nodes: every acknowledged write is readable afterwards on every node.
SKV_TEST=concurrent_writers
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

skv_setup 3
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader is elected" skv_leader
W=4; N=25
for w in $(seq 1 $W); do
    (
        node=$(( (w % 3) + 1 ))
        for k in $(seq 1 $N); do
            if "$SEALKV" --endpoint "$(skv_endpoint $node)" --retry 15 put "w$w-k$k" "val-$w-$k" >/dev/null 2>&1; then
                echo "w$w-k$k val-$w-$k"
            fi
        done >"$SKV_DIR/acked.$w"
    ) &
    eval "WPID_$w=$!"
done
for w in $(seq 1 $W); do eval "wait \$WPID_$w"; done
cat "$SKV_DIR"/acked.* >"$SKV_DIR/acked"
n=$(wc -l <"$SKV_DIR/acked")
skv_log "$n writes acknowledged"
skv_assert "most writes acknowledged" [ "$n" -ge $((W * N * 9 / 10)) ]
skv_wait_caught_up 1 2 3
lost=0
while read -r k v; do
    for i in 1 2 3; do
        SKV_RETRY=0 skv_get_eq "$i" "$k" "$v" --local || { lost=$((lost + 1)); skv_log "missing $k on node $i"; }
    done
done <"$SKV_DIR/acked"
skv_assert "no acknowledged write lost on any node ($lost missing)" [ "$lost" -eq 0 ]
skv_finish
