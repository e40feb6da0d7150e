/* SPDX-License-Identifier: MIT */
/*
 * backup_file.c — writes the head and trailer of a backup file and checks
 * a whole one (backup_file.h): framing, manifest, checksum, and the
 * snapshot inside it record by record.
 */
#include "fsm/backup_file.h"

#include "crypto/purpose.h"
#include "fsm/fsm_snap_enc.h"
#include "fsm/snap_hdr.h"
#include "util/bytes.h"
#include "util/keys.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define HEAD_FIXED 12u   /* magic + manifest length */

int skv_backup_head(struct skv_buf *out, const char *manifest)
{
    size_t m = strlen(manifest);
    uint8_t len4[4];
    if (m == 0 || m > SKV_BACKUP_MANIFEST_MAX)
        return -1;
    skv_put_be32(len4, (uint32_t)m);
    return skv_buf_append(out, SKV_BACKUP_MAGIC, 8) || skv_buf_append(out, len4, 4) ||
                   skv_buf_append(out, manifest, m)
               ? -1
               : 0;
}

void skv_backup_trailer(uint8_t out[SKV_BACKUP_TRAILER_LEN], uint64_t snap_len,
                        const uint8_t hash[SKV_BACKUP_HASH_LEN])
{
    memcpy(out, SKV_BACKUP_END, 8);
    skv_put_be64(out + 8, snap_len);
    memcpy(out + 16, hash, SKV_BACKUP_HASH_LEN);
}

/* An unsigned integer member (required). */
static int u64_member(json_t *o, const char *name, uint64_t *v, char *err, size_t errlen)
{
    json_t *j = json_object_get(o, name);
    if (!json_is_integer(j) || json_integer_value(j) < 0) {
        snprintf(err, errlen, "backup manifest: \"%s\" must be a non-negative integer", name);
        return -1;
    }
    *v = (uint64_t)json_integer_value(j);
    return 0;
}

static int key_entry(json_t *k, struct skv_backup_key *out, char *err, size_t errlen)
{
    json_t *id = json_object_get(k, "key_id"), *pu = json_object_get(k, "purpose");
    json_t *kek = json_object_get(k, "kek_id");
    const char *p;
    if (!json_is_object(k) || !json_is_integer(id) || json_integer_value(id) <= 0 ||
        json_integer_value(id) > (json_int_t)UINT32_MAX || !json_is_string(pu) ||
        (kek && !json_is_string(kek))) {
        snprintf(err, errlen, "backup manifest: a \"keys\" entry needs key_id (1..2^32-1), "
                 "purpose and an optional kek_id string");
        return -1;
    }
    out->key_id = (uint32_t)json_integer_value(id);
    p = json_string_value(pu);
    if (strcmp(p, "storage") == 0)
        out->purpose = SKV_PURPOSE_STORAGE;
    else if (strcmp(p, "raft") == 0)
        out->purpose = SKV_PURPOSE_RAFT;
    else {
        snprintf(err, errlen, "backup manifest: key %u: unknown purpose", out->key_id);
        return -1;
    }
    if (kek && json_string_length(kek) > SKV_BACKUP_KEK_ID_MAX) {
        snprintf(err, errlen, "backup manifest: key %u: kek_id too long", out->key_id);
        return -1;
    }
    snprintf(out->kek_id, sizeof out->kek_id, "%s", kek ? json_string_value(kek) : "");
    return 0;
}

static int manifest(const uint8_t *p, size_t len, struct skv_backup_info *in, char *err,
                    size_t errlen)
{
    json_error_t je;
    json_t *o = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &je), *keys, *fmt;
    json_t *act;
    size_t i;
    int rc = -1;
    if (!json_is_object(o)) {
        snprintf(err, errlen, "backup manifest: not a JSON object (%s)", o ? "" : je.text);
        goto out;
    }
    fmt = json_object_get(o, "format");
    if (!json_is_integer(fmt) || json_integer_value(fmt) != 1) {
        snprintf(err, errlen, "backup manifest: format must be 1 (a newer sealkv wrote it?)");
        goto out;
    }
    if (u64_member(o, "node_id", &in->node_id, err, errlen) ||
        u64_member(o, "index", &in->index, err, errlen) ||
        u64_member(o, "term", &in->term, err, errlen) ||
        u64_member(o, "cutover", &in->cutover, err, errlen) ||
        u64_member(o, "created_ms", &in->created_ms, err, errlen))
        goto out;
    act = json_object_get(o, "storage_envelope_active");
    keys = json_object_get(o, "keys");
    if (!json_is_boolean(act) || !json_is_array(keys) ||
        json_array_size(keys) > SKV_BACKUP_MAX_KEYS) {
        snprintf(err, errlen, "backup manifest: needs storage_envelope_active (boolean) "
                 "and keys (an array of at most %u)", SKV_BACKUP_MAX_KEYS);
        goto out;
    }
    in->storage_active = json_is_true(act);
    for (i = 0; i < json_array_size(keys); i++)
        if (key_entry(json_array_get(keys, i), &in->keys[i], err, errlen) != 0)
            goto out;
    in->n_keys = json_array_size(keys);
    if (in->index == 0 || in->term == 0) {
        snprintf(err, errlen, "backup manifest: index and term must be > 0");
        goto out;
    }
    rc = 0;
out:
    json_decref(o);
    return rc;
}

/* The snapshot inside: a full form at the manifest's index and cutover,
 * every record well formed. */
static int snapshot(struct skv_backup_info *in, char *err, size_t errlen)
{
    struct skv_snap_hdr h;
    struct skv_snap_rec r;
    size_t pos;
    int rc;
    if (skv_snap_hdr_parse(in->snap, in->snap_len, &h, err, errlen) != 0)
        return -1;
    if (h.version == 3) {
        snprintf(err, errlen, "backup: holds a local snapshot (SKVSNAP3), not a full one");
        return -1;
    }
    if (h.applied != in->index || h.cutover != in->cutover) {
        snprintf(err, errlen, "backup: the snapshot is at index %llu (cutover %llu), the "
                 "manifest says %llu (%llu)", (unsigned long long)h.applied,
                 (unsigned long long)h.cutover, (unsigned long long)in->index,
                 (unsigned long long)in->cutover);
        return -1;
    }
    pos = h.body_off;
    while ((rc = skv_snap_next(in->snap, in->snap_len, &pos, &r)) == 1) {
        if (r.key[0] == SKV_PFX_ENC_SNAP)
            in->has_enc++;
        else
            in->n_records++;
    }
    if (rc < 0) {
        snprintf(err, errlen, "backup: snapshot record at byte %zu is malformed", pos);
        return -1;
    }
    if (in->has_enc > 1 || (in->n_keys && !in->has_enc)) {
        snprintf(err, errlen, "backup: the snapshot holds %d encryption records for %zu keys",
                 in->has_enc, in->n_keys);
        return -1;
    }
    return 0;
}

int skv_backup_parse(const uint8_t *p, size_t len, struct skv_backup_info *in, char *err,
                     size_t errlen)
{
    uint8_t hash[SKV_BACKUP_HASH_LEN];
    const uint8_t *t;
    uint32_t m;
    memset(in, 0, sizeof *in);
    if (len < HEAD_FIXED + SKV_BACKUP_TRAILER_LEN || memcmp(p, SKV_BACKUP_MAGIC, 8) != 0) {
        snprintf(err, errlen, "not a sealkv backup (no %s header)", SKV_BACKUP_MAGIC);
        return -1;
    }
    m = skv_get_be32(p + 8);
    if (m == 0 || m > SKV_BACKUP_MANIFEST_MAX || m > len - HEAD_FIXED - SKV_BACKUP_TRAILER_LEN) {
        snprintf(err, errlen, "backup: manifest length %u is out of range (file cut short?)", m);
        return -1;
    }
    t = p + len - SKV_BACKUP_TRAILER_LEN;
    if (memcmp(t, SKV_BACKUP_END, 8) != 0) {
        snprintf(err, errlen, "backup: no %s trailer (the file is cut short or damaged)",
                 SKV_BACKUP_END);
        return -1;
    }
    in->snap = p + HEAD_FIXED + m;
    in->snap_len = len - HEAD_FIXED - m - SKV_BACKUP_TRAILER_LEN;
    if (skv_get_be64(t + 8) != in->snap_len) {
        snprintf(err, errlen, "backup: the trailer says %llu snapshot bytes, the file holds %zu",
                 (unsigned long long)skv_get_be64(t + 8), in->snap_len);
        return -1;
    }
    crypto_generichash(hash, sizeof hash, p, len - SKV_BACKUP_TRAILER_LEN, NULL, 0);
    if (sodium_memcmp(hash, t + 16, sizeof hash) != 0) {
        snprintf(err, errlen, "backup: checksum mismatch (the file is damaged)");
        return -1;
    }
    if (manifest(p + HEAD_FIXED, m, in, err, errlen) != 0)
        return -1;
    return snapshot(in, err, errlen);
}
