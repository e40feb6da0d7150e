/* SPDX-License-Identifier: MIT */
/*
 * store_ident.c — the store identity mark and the first-seen peer
 * identities (record formats in store_ident.h), on the raft log store's
 * synced read/write helpers.
 */
#include "node/store_ident.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>

#include "util/crc32.h"
#include "util/keys.h"
#include "raftio/raft_ls_codec.h"

#define MARK_LEN (8 + 8 + SKV_IDENT_LEN + 8)
#define PEER_LEN (8 + SKV_IDENT_LEN)
#define PEER_KEY_LEN (5 + 8)

static const uint8_t mark_key[6] = {SKV_PFX_NODE, 'i', 'd', 'e', 'n', 't'};
static const uint8_t peer_pfx[5] = {SKV_PFX_NODE, 'p', 'e', 'e', 'r'};

static void peer_key(uint8_t k[PEER_KEY_LEN], uint64_t peer)
{
    memcpy(k, peer_pfx, sizeof peer_pfx);
    for (int i = 0; i < 8; i++)
        k[5 + i] = (uint8_t)(peer >> (56 - 8 * i));
}

static uint32_t rec_crc(const uint8_t *key, size_t kl, const uint8_t *rec,
                        size_t len)
{
    uint32_t crc = skv_crc32(0, key, kl);
    crc = skv_crc32(crc, rec, 4);
    return skv_crc32(crc, rec + 8, len - 8);
}

static void rec_seal(const uint8_t *key, size_t kl, uint8_t *rec, size_t len)
{
    memset(rec, 0, 8);
    rec[0] = 1;
    skv_put_le32(rec + 4, rec_crc(key, kl, rec, len));
}

/* Read the record at key: 0 with *found; checks length, format, crc. */
static int rec_read(const struct skv_ls *ls, const uint8_t *key, size_t kl,
                    uint8_t *rec, size_t len, int *found, const char *what,
                    char *errmsg)
{
    void *val = NULL;
    size_t vl = 0;
    int rc = skv_ls_get(ls, NULL, key, kl, &val, &vl, what, errmsg);
    *found = 0;
    if (rc != 0 || !val)
        return rc;
    if (vl == len)
        memcpy(rec, val, len);
    ls->st->free_buf(ls->db, val);
    if (vl != len || rec[0] != 1 ||
        skv_get_le32(rec + 4) != rec_crc(key, kl, rec, len))
        return skv_ls_fail(errmsg, RAFT_CORRUPT, "%s: damaged record (%zu bytes)",
                           what, vl);
    *found = 1;
    return 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n && p[i] == 0; i++)
        ;
    return i == n;
}

int skv_ident_read(const struct skv_ls *ls, struct skv_ident *out, int *found,
                   char *errmsg)
{
    uint8_t rec[MARK_LEN];
    int rc = rec_read(ls, mark_key, sizeof mark_key, rec, sizeof rec, found,
                      "read store identity", errmsg);
    memset(out, 0, sizeof *out);
    if (rc != 0 || !*found)
        return rc;
    out->node_id = skv_get_le64(rec + 8);
    memcpy(out->id, rec + 16, SKV_IDENT_LEN);
    out->created_ms = skv_get_le64(rec + 16 + SKV_IDENT_LEN);
    if (out->node_id == 0 || all_zero(out->id, SKV_IDENT_LEN))
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "store identity record has a zero node id or identity");
    return 0;
}

int skv_ident_create(const struct skv_ls *ls, uint64_t node_id,
                     struct skv_ident *out, char *errmsg)
{
    uint8_t rec[MARK_LEN];
    struct timeval tv;
    struct skv_batch_op op = {.type = SKV_BATCH_PUT, .key = mark_key,
                              .key_len = sizeof mark_key, .val = rec,
                              .val_len = sizeof rec};
    memset(out, 0, sizeof *out);
    do {
        if (getrandom(out->id, SKV_IDENT_LEN, 0) != SKV_IDENT_LEN)
            return skv_ls_fail(errmsg, RAFT_IOERR, "getrandom failed for the store identity");
    } while (all_zero(out->id, SKV_IDENT_LEN));
    gettimeofday(&tv, NULL);
    out->node_id = node_id;
    out->created_ms = (uint64_t)tv.tv_sec * 1000u + (uint64_t)tv.tv_usec / 1000u;
    skv_put_le64(rec + 8, node_id);
    memcpy(rec + 16, out->id, SKV_IDENT_LEN);
    skv_put_le64(rec + 16 + SKV_IDENT_LEN, out->created_ms);
    rec_seal(mark_key, sizeof mark_key, rec, sizeof rec);
    return skv_ls_write(ls, &op, 1, "write store identity", errmsg);
}

static int any_cb(void *arg, const uint8_t *k, size_t kl, const uint8_t *v,
                  size_t vl, char *errmsg)
{
    (void)k; (void)kl; (void)v; (void)vl; (void)errmsg;
    *(int *)arg = 1;
    return SKV_LS_STOP;
}

int skv_ident_raft_state(const struct skv_ls *ls, int *any, char *errmsg)
{
    static const uint8_t pfx[3] = {SKV_PFX_RAFT_META, SKV_PFX_RAFT_LOG,
                                   SKV_PFX_RAFT_SNAP};
    int rc = 0;
    *any = 0;
    for (size_t i = 0; i < sizeof pfx && rc == 0 && !*any; i++)
        rc = skv_ls_scan(ls, NULL, &pfx[i], 1, &pfx[i], 1, any_cb, any, errmsg);
    return rc;
}

int skv_ident_peer_get(const struct skv_ls *ls, uint64_t peer,
                       uint8_t id[SKV_IDENT_LEN], int *found, char *errmsg)
{
    uint8_t k[PEER_KEY_LEN], rec[PEER_LEN];
    int rc;
    peer_key(k, peer);
    rc = rec_read(ls, k, sizeof k, rec, sizeof rec, found,
                  "read a peer's store identity", errmsg);
    if (rc == 0 && *found)
        memcpy(id, rec + 8, SKV_IDENT_LEN);
    return rc;
}

int skv_ident_peer_put(const struct skv_ls *ls, uint64_t peer,
                       const uint8_t id[SKV_IDENT_LEN], char *errmsg)
{
    uint8_t k[PEER_KEY_LEN], rec[PEER_LEN];
    struct skv_batch_op op = {.type = SKV_BATCH_PUT, .key = k,
                              .key_len = sizeof k, .val = rec,
                              .val_len = sizeof rec};
    peer_key(k, peer);
    memcpy(rec + 8, id, SKV_IDENT_LEN);
    rec_seal(k, sizeof k, rec, sizeof rec);
    return skv_ls_write(ls, &op, 1, "record a peer's store identity", errmsg);
}

int skv_ident_peer_del(const struct skv_ls *ls, uint64_t peer, char *errmsg)
{
    uint8_t k[PEER_KEY_LEN];
    struct skv_batch_op op = {.type = SKV_BATCH_DEL, .key = k, .key_len = sizeof k};
    peer_key(k, peer);
    return skv_ls_write(ls, &op, 1, "forget a peer's store identity", errmsg);
}

struct ids_acc {
    uint64_t *ids;
    size_t max, n;
};

static int ids_cb(void *arg, const uint8_t *k, size_t kl, const uint8_t *v,
                  size_t vl, char *errmsg)
{
    struct ids_acc *a = arg;
    uint64_t id = 0;
    (void)v; (void)vl; (void)errmsg;
    if (kl != PEER_KEY_LEN)
        return 0;
    for (int i = 0; i < 8; i++)
        id = id << 8 | k[5 + i];
    if (a->n == a->max)
        return SKV_LS_STOP;
    a->ids[a->n++] = id;
    return 0;
}

int skv_ident_peer_ids(const struct skv_ls *ls, uint64_t *ids, size_t max,
                       size_t *n, char *errmsg)
{
    struct ids_acc a = {ids, max, 0};
    int rc = skv_ls_scan(ls, NULL, peer_pfx, sizeof peer_pfx, peer_pfx,
                         sizeof peer_pfx, ids_cb, &a, errmsg);
    *n = a.n;
    return rc;
}

void skv_ident_hex(const uint8_t id[SKV_IDENT_LEN], char *out)
{
    for (int i = 0; i < SKV_IDENT_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", id[i]);
}
