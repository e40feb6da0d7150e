#!/bin/sh
# SPDX-License-Identifier: MIT
# Durability of the Raft state (issue 12 items 7 and 4), real processes:
# a node whose store is missing or emptied under an existing id refuses to
# start (exit 1, a message saying what to do) and leaves its data_dir
# untouched; --init is refused on an initialised store and needed for a
# pre-created empty data_dir; a node that comes back blank under its old id
# (new store identity) is refused by its peers (logged, counted in
# sealkv_transport_frames_dropped_total{reason="store_identity_changed"})
# while the cluster keeps its leader and takes writes; members remove +
# add brings the disk back with a new identity; members promote passes the
# encryption gate (a standby that fails the capability probe stays one).
SKV_TEST=store_identity
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

SKV_BOOT=3 SKV_ENC_NODES="1 2 3 4"
export SKV_BOOT
skv_setup 4
D=$SKV_DIR
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader is elected" skv_leader || exit 1
skv_assert "put k1" skv_cli 1 put k1 v1
skv_wait_caught_up 1 2 3

# start_refused N PATTERN: sealkvd for node N exits 1 within 20 s, saying PATTERN
start_refused() {
    timeout 20 "$SEALKVD" --config "$D/n$1.yaml" ${3:-} >"$D/out$1" 2>&1
    rc=$?
    [ "$rc" = 1 ] && grep -q -- "$2" "$D/out$1" ||
        { skv_log "  rc=$rc: $(cat "$D/out$1")"; return 1; }
}
tree() { (cd "$1" && find . -printf '%p %s %T@\n' | sort); }

# ---- a missing store/ under an existing id: refused, nothing touched ----
skv_stop 3
mv "$D/data3/store" "$D/store3.saved"
tree "$D/data3" >"$D/tree.before"
skv_assert "missing store: start refused with the fix in the message" \
    start_refused 3 "store is missing or empty; refusing to start as a blank member"
skv_assert "the message names --init and members remove/add" \
    sh -c "grep -q -- '--init' $D/out3 && grep -q 'members remove' $D/out3"
tree "$D/data3" >"$D/tree.after"
skv_assert "data_dir untouched by the refused start" cmp -s "$D/tree.before" "$D/tree.after"
skv_assert "no store/ created" [ ! -e "$D/data3/store" ]
skv_assert "--check-config refuses it too" sh -c \
    "! '$SEALKVD' --check-config --config $D/n3.yaml >/dev/null 2>&1"

# ---- an emptied store/ (empty directory): refused the same way ----
mkdir "$D/data3/store"
skv_assert "empty store/: start refused" start_refused 3 "is missing or empty"
skv_assert "empty store/ stays empty" [ -z "$(ls -A "$D/data3/store")" ]
rmdir "$D/data3/store"
mv "$D/store3.saved" "$D/data3/store"

# ---- --init on an initialised store is refused; a normal restart works ----
skv_assert "--init on an initialised store: refused" \
    start_refused 3 "already initialised" --init
skv_start 3
skv_wait 20 "node 3 back with its store" skv_all_local_eq k1 v1 3

# ---- a pre-created empty data_dir needs --init ----
mkdir "$D/data4"
skv_assert "node 4, empty pre-created data_dir: refused" start_refused 4 "is missing or empty"
"$SEALKVD" --config "$D/n4.yaml" --init >>"$D/n4.log" 2>&1 &
SKV_PIDS="$SKV_PIDS 4:$!"
skv_wait 20 "node 4 started with --init serves" skv_status_field 4 id
skv_wait 5 "node 4 logged its new store identity" grep -q "initialised a new store" "$D/n4.log"

# ---- node 3 comes back blank under its old id: peers refuse it ----
dropped() { # node: frames dropped for a changed store identity
    curl -s "$(skv_endpoint "$1")/metrics" |
        sed -n 's/^sealkv_transport_frames_dropped_total{reason="store_identity_changed"} //p'
}
skv_stop 3
rm -rf "$D/data3"          # data_dir absent: first-start rule, new identity
n3from=$(($(wc -l <"$D/n3.log") + 1))
skv_start 3
skv_wait 20 "peers drop node 3's frames (identity changed)" \
    sh -c "[ \"\$(grep -h 'reason=store_identity_changed from=3' $D/n1.log $D/n2.log | wc -l)\" -gt 0 ]"
skv_assert "the refusal line says remove and add back" \
    grep -qh "lost its store; remove it and add it back" "$D/n1.log" "$D/n2.log"
skv_assert "counted in the metrics" [ "$(($(dropped 1) + $(dropped 2)))" -gt 0 ]
skv_assert "cluster keeps a leader and takes writes" skv_cli 1 put k2 v2   # forwarded if 1 is a follower: no leader lookup that can race an election
skv_assert "the blank node 3 never became ready as leader" \
    sh -c "! tail -n +$n3from $D/n3.log | grep -q 'leader ready'"

# ---- replacing the disk: members remove + add, new identity accepted ----
skv_stop 3
skv_assert "members remove 3" skv_cli 1 members remove 3
rm -rf "$D/data3"
SKV_BOOT=2 skv_write_conf 3   # a node to be added: no cluster.bootstrap
skv_start 3
skv_assert "members add 3" skv_cli 1 members add 3 "127.0.0.1:$(skv_rport 3)"
skv_wait 30 "the new disk has every write" skv_all_local_eq k2 v2 3
skv_assert "peers recorded node 3's new identity" \
    grep -qh "recorded the store identity of node 3" "$D/n1.log" "$D/n2.log"
b=$(($(dropped 1) + $(dropped 2)))
skv_assert "put after re-add" skv_cli 1 put k3 v3
skv_wait 20 "node 3 applies new writes" skv_all_local_eq k3 v3 3
skv_assert "no identity refusals after the re-add" [ "$(($(dropped 1) + $(dropped 2)))" = "$b" ]

# ---- members promote passes the encryption gate ----
# Once bootstrapped, promote probes the member like members.add: a standby
# that does not answer the capability probe is not made a voter.
skv_assert "add node 4 as standby" skv_cli 1 members add 4 "127.0.0.1:$(skv_rport 4)" --standby
code=$(skv_enc_post 1 enable-storage-envelope)
skv_assert "Phase 1 on (bootstrap)" [ "$code" = 200 ]
skv_stop 4
out=$(skv_cli 1 members promote 4 2>&1)
skv_assert "promote of a standby that fails the probe: refused" \
    sh -c "echo '$out' | grep -q 'ErrPeerNotEncryptionCapable\|cannot join an encrypted'"
skv_assert "node 4 is still a standby" sh -c \
    "curl -s $(skv_endpoint 1)/v1/cluster/members | grep -q '\"id\":4,[^}]*standby'"

skv_finish
