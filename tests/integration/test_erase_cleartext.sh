#!/bin/sh
# SPDX-License-Identifier: MIT
# "Cleartext history is erased, provably": values written before Phase 1
# and log entries below the cutover stay cleartext on disk until the
# operator runs `sealkv encryption erase-cleartext` on each node; after it
# (re-seal, log compaction below N, physical store compaction) a
# pre-Phase-1 marker is in no file under any data dir, `sealkv verify
# --strict` passes on every node, and every value still reads.
SKV_TEST=erase_cleartext
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

SKV_ENC_NODES="1 2 3"
skv_setup 3
D=$SKV_DIR
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader" skv_leader
OLD="pre-phase1-marker-$$-$(date +%s)"
skv_cli 1 put old "$OLD" >/dev/null || skv_fail "put old"
for k in $(seq 1 30); do skv_cli 2 put "k$k" "v$k" >/dev/null || skv_fail "put k$k"; done
post() { skv_enc_post "$@"; }
code=$(post 1 erase-cleartext)
skv_assert "erase before the phases: 409 ErrEncryptionPhaseInactive" \
    sh -c "[ $code = 409 ] && grep -q ErrEncryptionPhaseInactive $D/resp"
skv_assert "phase 1" [ "$(post 2 enable-storage-envelope)" = 200 ]
skv_assert "phase 2" [ "$(post 3 enable-raft-envelope)" = 200 ]
skv_cli 1 put new after-cutover >/dev/null || skv_fail "put new"
skv_wait_caught_up 1 2 3

for i in 1 2 3; do skv_stop $i; done
skv_assert "before erasing, the old marker is still on disk (pre-Phase-1 value, log below N)" \
    sh -c "grep -rlq -- '$OLD' $D/data1"
for i in 1 2 3; do "$SEALKV" verify --config "$D/n$i.yaml" --strict >"$D/verify-before$i" 2>&1; echo $? >"$D/vrc$i"; done
skv_assert "verify --strict flags the cleartext before erasing" [ "$(cat "$D/vrc1")" = 1 ]
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader again" skv_leader

for i in 1 2 3; do
    code=$(post $i erase-cleartext)
    skv_assert "node $i: erase-cleartext answers 200" [ "$code" = 200 ]
    skv_assert "node $i: answer reports re-sealed values and compaction" \
        sh -c "grep -q '\"resealed_values\":[1-9]' $D/resp && grep -q '\"storage_compacted\":true' $D/resp"
done
skv_cli 2 put after-erase yes >/dev/null || skv_fail "put after-erase"
skv_wait_caught_up 1 2 3
for i in 1 2 3; do skv_stop $i; done

hits=$(grep -rl -- "$OLD" "$D"/data* 2>/dev/null | wc -l)
skv_assert "after erasing, the pre-Phase-1 marker is in no file under any data dir" [ "$hits" -eq 0 ]
for i in 1 2 3; do
    "$SEALKV" verify --config "$D/n$i.yaml" --strict >"$D/verify$i" 2>&1
    rc=$?
    skv_assert "node $i: sealkv verify --strict passes (exit $rc)" [ "$rc" = 0 ]
done
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader after the restart" skv_leader
skv_assert "old value still reads" skv_get_eq 3 old "$OLD"
skv_assert "post-cutover value reads" skv_get_eq 1 new after-cutover
skv_assert "k17 reads" skv_get_eq 2 k17 v17
skv_assert "after-erase reads" skv_get_eq 1 after-erase yes
skv_finish
