#!/bin/sh
# SPDX-License-Identifier: MIT
# Backup and restore (issue 16 item 7, docs/INTERFACE.md "Backup and
# restore") round trip with both encryption phases on, over mutual TLS and
# an HTTPS admin API with a token:
#   - `sealkv snapshot save` on a follower writes a backup of its applied
#     state; `snapshot info` describes it (index, DEKs); writes after the
#     save are not in it; without the token the save is refused and no
#     file is left;
#   - refusals, none of which leaves a store behind: a flipped byte
#     (checksum), a cut file, a data dir that already holds a store, a
#     config without the KEK the DEKs are wrapped under (ErrKEKNotGiven),
#     a config without cluster.bootstrap;
#   - three new nodes (ids 4-6, own ports and data dirs) restored from
#     the same file start as a new cluster: every value (binary key
#     included) and its mod index as at the save, both phases still on,
#     a new write replicated to all three;
#   - the nonce scan over both clusters (they share the DEKs) finds no
#     (key, salt, nonce) used twice, and `sealkv verify` passes on a
#     restored node.
SKV_TEST=backup
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

SKV_BOOT=3 SKV_ENC_NODES="1 2 3 4 5 6" SKV_ADMIN_TLS=1
export SKV_BOOT SKV_ENC_NODES SKV_ADMIN_TLS
skv_setup 6
BK="$SKV_DIR/backup.skv"
# nodes 4-6: a new cluster of their own
for i in 4 5 6; do
    { echo "cluster:"; echo "  bootstrap:"
      for j in 4 5 6; do echo "    - { id: $j, address: 127.0.0.1:$(skv_rport $j) }"; done
    } >>"$SKV_DIR/n$i.yaml"
done

# a leader among the restored nodes 4-6
new_leader() {
    for i in 4 5 6; do [ "$(skv_status_field $i state)" = leader ] && return 0; done
    return 1
}

for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader is elected" skv_leader
L=$(skv_leader)
F=1; [ "$L" = 1 ] && F=2
skv_assert "a value before the phases" skv_cli "$L" put k-early early
for n in $(seq 1 40); do skv_cli "$L" put "k$n" "value-$n" >/dev/null || skv_fail "put k$n"; done
skv_assert "phase 1 on" [ "$(skv_enc_post "$L" enable-storage-envelope)" = 200 ]
skv_assert "phase 2 on" [ "$(skv_enc_post "$L" enable-raft-envelope)" = 200 ]
skv_assert "a binary key (bytes 00 and ff)" sh -c \
    "printf 'bin' | curl -s -f -X PUT --data-binary @- '$(skv_endpoint "$L")/v1/kv/b%00%FFz' >/dev/null"
skv_assert "k1 overwritten after the cutover" skv_cli "$L" put k1 value-1b
# three 700 KB values: the backup spans several pieces (SKV_BACKUP_PIECE 1 MiB)
head -c 716800 /dev/urandom >"$SKV_DIR/big"
for n in 1 2 3; do
    curl -s -f -X PUT --data-binary @"$SKV_DIR/big" "$(skv_endpoint "$L")/v1/kv/big$n" >/dev/null ||
        skv_fail "put big$n"
done
skv_assert "k2 deleted" skv_cli "$L" del k2
MOD1=$(skv_cli "$L" --json get k1 | grep -o '"mod_index":[0-9]*' | cut -d: -f2)
skv_wait_caught_up "$F"

# ---- save ---------------------------------------------------------------
skv_assert "erase-cleartext on $F: every value sealed at rest" [ "$(SKV_POST_RETRY_S=60 skv_enc_post "$F" erase-cleartext)" = 200 ]
skv_assert "without a token or client certificate the save is refused" sh -c \
    "! env -u SEALKV_TOKEN_FILE -u SEALKV_CERT -u SEALKV_KEY '$SEALKV' --endpoint $(skv_endpoint "$F") --retry 0 snapshot save '$SKV_DIR/notoken.skv' 2>'$SKV_DIR/notoken.err'"
skv_assert "... and leaves no file" sh -c "[ ! -e '$SKV_DIR/notoken.skv' ] && [ ! -e '$SKV_DIR/notoken.skv.part' ]"
skv_assert "snapshot save on follower $F" sh -c "skv_out=\$('$SEALKV' --endpoint $(skv_endpoint "$F") snapshot save '$BK') && echo \"\$skv_out\" >'$SKV_DIR/save.out'"
cat "$SKV_DIR/save.out" 2>/dev/null
skv_assert "the file is there, mode 0600, no .part left" sh -c \
    "[ -s '$BK' ] && [ ! -e '$BK.part' ] && [ \$(stat -c %a '$BK') = 600 ]"
skv_assert "the save names the DEKs it needs" grep -q "needs DEK .* (storage) wrapped under KEK [0-9a-f]" "$SKV_DIR/save.out"
skv_assert "saving over an existing file is refused" sh -c "! skv_cli_x=\$('$SEALKV' --endpoint $(skv_endpoint "$F") snapshot save '$BK' 2>&1)"
"$SEALKV" snapshot info "$BK" --json >"$SKV_DIR/info.json" 2>&1
cat "$SKV_DIR/info.json"
IDX=$(grep -o '"index":[0-9]*' "$SKV_DIR/info.json" | cut -d: -f2)
skv_assert "snapshot info: index > 0, two DEKs, values sealed" sh -c \
    "[ \"${IDX:-0}\" -gt 0 ] && grep -q '\"keys\":2' '$SKV_DIR/info.json' && grep -q '\"storage_envelope_active\":true' '$SKV_DIR/info.json'"
# the protocol under the CLI: a piece resent for the same offset, any other
# offset refused, the session gone after DELETE
E=$(skv_endpoint "$F")
ID=$(curl -s -f -X POST "$E/v1/snapshot" | grep -o '"id":[0-9]*' | cut -d: -f2)
skv_assert "POST /v1/snapshot opens a backup (id ${ID:-none})" [ -n "$ID" ]
curl -s -f "$E/v1/snapshot/$ID?offset=0" >"$SKV_DIR/p0a"
curl -s -f "$E/v1/snapshot/$ID?offset=0" >"$SKV_DIR/p0b"
skv_assert "offset 0 twice: the same piece" sh -c "[ -s '$SKV_DIR/p0a' ] && cmp -s '$SKV_DIR/p0a' '$SKV_DIR/p0b'"
skv_assert "the piece starts the file" sh -c "head -c 8 '$SKV_DIR/p0a' | grep -q SKVBKUP1"
skv_assert "an offset in the middle: 400 ErrBadRequest" sh -c \
    "[ \$(curl -s -o '$SKV_DIR/out' -w '%{http_code}' '$E/v1/snapshot/$ID?offset=5') = 400 ] && grep -q ErrBadRequest '$SKV_DIR/out'"
skv_assert "an unknown parameter: 400" [ "$(curl -s -o /dev/null -w '%{http_code}' "$E/v1/snapshot/$ID?offset=0&x=1")" = 400 ]
skv_assert "DELETE ends it" [ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$E/v1/snapshot/$ID")" = 200 ]
skv_assert "... and then 404 ErrBackupNotFound" sh -c \
    "[ \$(curl -s -o '$SKV_DIR/out' -w '%{http_code}' '$E/v1/snapshot/$ID?offset=0') = 404 ] && grep -q ErrBackupNotFound '$SKV_DIR/out'"
skv_assert "a write after the save" skv_cli "$L" put after-backup x
skv_assert "k3 overwritten after the save" skv_cli "$L" put k3 changed
skv_assert "positive control: key names are in the backup (cleartext, issue 13 item 4)" grep -q k40 "$BK"
skv_assert "no cleartext value in the backup" sh -c "! grep -q 'value-4' '$BK'"
skv_assert "the backup spans several pieces" [ "$(stat -c %s "$BK")" -gt 2000000 ]

# ---- refusals -------------------------------------------------------------
cp "$BK" "$SKV_DIR/flip.skv"
printf '\001' | dd of="$SKV_DIR/flip.skv" bs=1 seek=200 conv=notrunc 2>/dev/null
skv_assert "a flipped byte: checksum mismatch" sh -c \
    "'$SEALKV' snapshot info '$SKV_DIR/flip.skv' 2>&1 | grep -q 'checksum mismatch'"
head -c $(($(stat -c %s "$BK") - 100)) "$BK" >"$SKV_DIR/cut.skv"
skv_assert "a cut file is refused" sh -c "! '$SEALKV' snapshot info '$SKV_DIR/cut.skv' 2>/dev/null"
skv_assert "restore into a node's existing store is refused" sh -c \
    "'$SEALKV' snapshot restore '$BK' --config '$SKV_DIR/n1.yaml' 2>&1 | grep -q 'already holds a store'"
(umask 077 && head -c 32 /dev/urandom >"$SKV_DIR/other.key")
sed "s|kek_file: [^,}]*|kek_file: $SKV_DIR/other.key|" "$SKV_DIR/n4.yaml" >"$SKV_DIR/n4-otherkek.yaml"
skv_assert "restore with another KEK: ErrKEKNotGiven, nothing written" sh -c \
    "'$SEALKV' snapshot restore '$BK' --config '$SKV_DIR/n4-otherkek.yaml' 2>&1 | grep -q ErrKEKNotGiven && [ ! -e '$SKV_DIR/data4/store' ]"
grep -v -e '^cluster:' -e '^  bootstrap:' -e '^    - {' "$SKV_DIR/n4.yaml" >"$SKV_DIR/n4-noboot.yaml"
skv_assert "restore without cluster.bootstrap is refused" sh -c \
    "'$SEALKV' snapshot restore '$BK' --config '$SKV_DIR/n4-noboot.yaml' 2>&1 | grep -q 'cluster.bootstrap' && [ ! -e '$SKV_DIR/data4/store' ]"

# ---- restore into a new cluster --------------------------------------------
# a restore that dies before its last step leaves no store: the node
# refuses to start (never a blank member), and restore runs again
if "$SEALKVD" --version | grep -q "test hooks"; then
    SEALKV_TEST_CRASH_AT=restore:before-rename "$SEALKV" snapshot restore "$BK" --config "$SKV_DIR/n4.yaml" >/dev/null 2>&1
    skv_assert "restore crashed before its rename (exit 99)" [ $? = 99 ]
    skv_assert "... no store, only store.restore" sh -c "[ ! -e '$SKV_DIR/data4/store' ] && [ -d '$SKV_DIR/data4/store.restore' ]"
    skv_assert "... and the node refuses to start" sh -c \
        "! timeout 20 '$SEALKVD' --config '$SKV_DIR/n4.yaml' >'$SKV_DIR/n4-refused.log' 2>&1 && grep -q 'blank member' '$SKV_DIR/n4-refused.log'"
fi
for i in 4 5 6; do
    skv_assert "restore node $i" "$SEALKV" snapshot restore "$BK" --config "$SKV_DIR/n$i.yaml"
done
skv_assert "no store.restore left" [ ! -e "$SKV_DIR/data4/store.restore" ]
skv_assert "the snapshot waits in the spool file (restored in pieces at the first start)" \
    [ -s "$SKV_DIR/data4/snapshot-in.spool" ]
for i in 4 5 6; do skv_start $i; done
skv_wait 30 "the restored cluster elects a leader" new_leader
skv_assert "k-early reads back" skv_get_eq 5 k-early early
skv_assert "the spool file is gone once restored" [ ! -e "$SKV_DIR/data4/snapshot-in.spool" ]
skv_assert "k1 as at the save" skv_get_eq 4 k1 value-1b
skv_assert "k3 as at the save (not the later write)" skv_get_eq 6 k3 value-3
skv_assert "k40 reads back" skv_get_eq 4 k40 value-40
skv_assert "a 700 KB value reads back byte for byte" sh -c \
    "curl -s -f '$(skv_endpoint 5)/v1/kv/big2' | cmp -s - '$SKV_DIR/big'"
skv_assert "k2 stays deleted" skv_get_absent 4 k2
skv_assert "the write after the save is not there" skv_get_absent 5 after-backup
skv_assert "the binary key reads back" sh -c \
    "[ \"\$(curl -s -f '$(skv_endpoint 4)/v1/kv/b%00%FFz')\" = bin ]"
skv_assert "k1 keeps its mod index ($MOD1)" sh -c \
    "skv_cli_o=\$('$SEALKV' --endpoint $(skv_endpoint 4) --retry 10 --json get k1) && echo \"\$skv_cli_o\" | grep -q '\"mod_index\":$MOD1[,}]'"
skv_assert "both phases are still on" sh -c \
    "'$SEALKV' --endpoint $(skv_endpoint 6) --json status | grep -q '\"storage_envelope_active\":true'"
skv_assert "... the cutover index too" [ "$(skv_status_field 6 raft_envelope_cutover_index)" -gt 0 ]
skv_assert "a new write on the restored cluster" skv_cli 4 put new-cluster yes
skv_wait 20 "it reaches every restored node" skv_all_local_eq new-cluster yes 4 5 6

# ---- nonces, verify ------------------------------------------------------
skv_nonce_scan 1 2 3 4 5 6
skv_assert "sealkv verify --strict passes on restored node 5" "$SEALKV" verify --strict --config "$SKV_DIR/n5.yaml"
skv_finish
