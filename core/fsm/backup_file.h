/* SPDX-License-Identifier: MIT */
/*
 * backup_file.h — the file `sealkv snapshot save` writes and `sealkv
 * snapshot restore` reads (issue 16 item 7; docs/INTERFACE.md "Backup and
 * restore"). Big-endian integers.
 *
 *   "SKVBKUP1"                      8 bytes
 *   [manifest_len u32]              1..SKV_BACKUP_MANIFEST_MAX
 *   [manifest]                      a JSON object (below)
 *   [snapshot]                      the FULL snapshot form (snap_hdr.h
 *                                   v1/v2: header, every FSM record, the
 *                                   encryption record), values exactly as
 *                                   they are at rest (sealed or not)
 *   "SKVBEND1" [snapshot_len u64] [BLAKE2b-256 of every byte before
 *                                  this trailer]          48 bytes
 *
 * Manifest: {"format":1, "node_id":N, "index":I (the snapshot's applied
 * index), "term":T, "cutover":C (0: before the Phase-2 cutover),
 * "created_ms":unix ms, "storage_envelope_active":bool, "keys":[{"key_id":
 * K, "purpose":"storage"|"raft", "kek_id":"hex" or "", "suite":S}]} — the
 * key ids whose DEKs the restored nodes must unwrap, and under which KEK
 * each is wrapped (never a key byte). Unknown members are ignored.
 *
 * The checksum finds damage (a cut or flipped byte), not a forger: the
 * file is as confidential as the data at rest (sealed values stay
 * sealed) and as trustworthy as the place it is kept (docs/SECURITY.md).
 * Pure functions: the fuzz target (tests/fuzz/fuzz_backup.c) drives
 * skv_backup_parse directly.
 */
#ifndef SKV_BACKUP_FILE_H
#define SKV_BACKUP_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define SKV_BACKUP_MAGIC "SKVBKUP1"
#define SKV_BACKUP_END "SKVBEND1"
#define SKV_BACKUP_MANIFEST_MAX (64u * 1024u)
#define SKV_BACKUP_HASH_LEN 32u
#define SKV_BACKUP_TRAILER_LEN (8u + 8u + SKV_BACKUP_HASH_LEN)
#define SKV_BACKUP_MAX_KEYS 64u
#define SKV_BACKUP_KEK_ID_MAX 64u

struct skv_backup_key {
    uint32_t key_id;
    int purpose;                          /* enum skv_key_purpose */
    char kek_id[SKV_BACKUP_KEK_ID_MAX + 1];
};

struct skv_backup_info {
    uint64_t node_id, index, term, cutover, created_ms;
    int storage_active;
    size_t n_keys;
    struct skv_backup_key keys[SKV_BACKUP_MAX_KEYS];
    const uint8_t *snap;     /* inside the parsed bytes */
    size_t snap_len;
    size_t n_records;        /* FSM records (without the encryption one) */
    int has_enc;             /* the encryption record is present */
};

/* The start of the file: magic, manifest length, manifest (`manifest`
 * is a NUL-terminated JSON object). 0, or -1 (too long, no memory). */
int skv_backup_head(struct skv_buf *out, const char *manifest);

/* The trailer for a snapshot of `snap_len` bytes whose file so far
 * hashes to `hash`. */
void skv_backup_trailer(uint8_t out[SKV_BACKUP_TRAILER_LEN], uint64_t snap_len,
                        const uint8_t hash[SKV_BACKUP_HASH_LEN]);

/* Check a whole file: magic, manifest, trailer, checksum, the snapshot
 * header against the manifest (a full form, same index and cutover) and
 * every record's bounds and prefix. 0 with *info (pointing into p), or
 * -1 with a specific message. */
int skv_backup_parse(const uint8_t *p, size_t len, struct skv_backup_info *info, char *err,
                     size_t errlen);

#endif
