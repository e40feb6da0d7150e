/* SPDX-License-Identifier: MIT */
/*
 * raft_ls_codec.c — key layout, record codecs and small storage helpers
 * for the raft log store (formats documented in raft_log_store.h).
 */
#include "raftio/raft_ls_codec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/crc32.h"
#include "util/keys.h"

const uint8_t skv_ls_hard_key[5] = {SKV_PFX_RAFT_META, 'h', 'a', 'r', 'd'};
const uint8_t skv_ls_snap_meta_key[5] = {SKV_PFX_RAFT_SNAP, 'm', 'e', 't', 'a'};
const uint8_t skv_ls_snap_data_pfx[5] = {SKV_PFX_RAFT_SNAP, 'd', 'a', 't', 'a'};

int skv_ls_fail(char *errmsg, int rc, const char *fmt, ...)
{
    va_list ap;
    if (errmsg) {
        va_start(ap, fmt);
        vsnprintf(errmsg, RAFT_ERRMSG_BUF_SIZE, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* ---- keys ------------------------------------------------------------ */

void skv_ls_log_key(uint8_t key[SKV_LS_LOG_KEY_LEN], raft_index index)
{
    key[0] = SKV_PFX_RAFT_LOG;
    skv_put_be64(key + 1, index);
}

void skv_ls_chunk_key(uint8_t key[SKV_LS_CHUNK_KEY_LEN], uint32_t chunk)
{
    memcpy(key, skv_ls_snap_data_pfx, sizeof skv_ls_snap_data_pfx);
    skv_put_be32(key + 5, chunk);
}

int skv_ls_log_key_index(const void *key, size_t len, raft_index *index)
{
    const uint8_t *k = key;
    if (len != SKV_LS_LOG_KEY_LEN || k[0] != SKV_PFX_RAFT_LOG)
        return 0;
    *index = skv_get_be64(k + 1);
    return 1;
}

/* ---- entry records --------------------------------------------------- */

size_t skv_ls_entry_size(const struct raft_entry *e)
{
    return SKV_LS_ENTRY_HDR + e->buf.len;
}

static uint32_t entry_crc(raft_index index, const uint8_t *rec, size_t len)
{
    uint8_t key[SKV_LS_LOG_KEY_LEN];
    uint32_t crc;
    skv_ls_log_key(key, index);
    crc = skv_crc32(0, key + 1, 8);
    crc = skv_crc32(crc, rec, 4);
    return skv_crc32(crc, rec + 8, len - 8);
}

void skv_ls_entry_encode(uint8_t *out, raft_index index,
                         const struct raft_entry *e)
{
    size_t len = skv_ls_entry_size(e);
    out[0] = SKV_LS_FORMAT;
    out[1] = (uint8_t)e->type;
    out[2] = out[3] = 0;
    skv_put_le64(out + 8, e->term);
    if (e->buf.len)
        memcpy(out + SKV_LS_ENTRY_HDR, e->buf.base, e->buf.len);
    skv_put_le32(out + 4, entry_crc(index, out, len));
}

int skv_ls_entry_decode(raft_index index, const void *val, size_t len,
                        struct skv_ls_rec *rec, char *errmsg)
{
    const uint8_t *p = val;
    if (len < SKV_LS_ENTRY_HDR)
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "log entry %llu: record of %zu bytes is truncated",
                           index, len);
    if (p[0] != SKV_LS_FORMAT)
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "log entry %llu: unknown record format %u", index,
                           p[0]);
    if (skv_get_le32(p + 4) != entry_crc(index, p, len))
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "log entry %llu: checksum mismatch", index);
    if (p[2] || p[3] || p[1] < RAFT_COMMAND || p[1] > RAFT_CHANGE)
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "log entry %llu: bad type %u", index, p[1]);
    rec->type = p[1];
    rec->term = skv_get_le64(p + 8);
    if (rec->term == 0)
        return skv_ls_fail(errmsg, RAFT_CORRUPT, "log entry %llu: term 0",
                           index);
    rec->payload = p + SKV_LS_ENTRY_HDR;
    rec->len = len - SKV_LS_ENTRY_HDR;
    return 0;
}

/* ---- hard state ------------------------------------------------------ */

void skv_ls_hard_encode(uint8_t out[SKV_LS_HARD_LEN], raft_term term,
                        raft_id vote)
{
    memset(out, 0, SKV_LS_HARD_LEN);
    out[0] = SKV_LS_FORMAT;
    skv_put_le64(out + 8, term);
    skv_put_le64(out + 16, vote);
    skv_put_le32(out + 4, skv_crc32(skv_crc32(0, out, 4), out + 8, 16));
}

int skv_ls_hard_decode(const void *val, size_t len, raft_term *term,
                       raft_id *vote, char *errmsg)
{
    const uint8_t *p = val;
    if (len != SKV_LS_HARD_LEN || p[0] != SKV_LS_FORMAT)
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "raft hard state: bad record (%zu bytes, format %u)",
                           len, len ? p[0] : 0);
    if (skv_get_le32(p + 4) != skv_crc32(skv_crc32(0, p, 4), p + 8, 16))
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "raft hard state: checksum mismatch");
    *term = skv_get_le64(p + 8);
    *vote = skv_get_le64(p + 16);
    return 0;
}

/* ---- snapshot metadata ------------------------------------------------ */

static uint32_t snap_meta_crc(const uint8_t *p, size_t len)
{
    return skv_crc32(skv_crc32(0, p, 4), p + 8, len - 8);
}

void skv_ls_snap_meta_encode(uint8_t *out, const struct skv_ls_snap_meta *m)
{
    memset(out, 0, SKV_LS_SNAP_HDR);
    out[0] = SKV_LS_FORMAT;
    skv_put_le64(out + 8, m->index);
    skv_put_le64(out + 16, m->term);
    skv_put_le64(out + 24, m->conf_index);
    skv_put_le64(out + 32, m->data_len);
    skv_put_le32(out + 40, m->data_crc);
    skv_put_le32(out + 44, m->n_chunks);
    skv_put_le32(out + 48, m->conf_len);
    memcpy(out + SKV_LS_SNAP_HDR, m->conf, m->conf_len);
    skv_put_le32(out + 4, snap_meta_crc(out, SKV_LS_SNAP_HDR + m->conf_len));
}

int skv_ls_snap_meta_decode(const void *val, size_t len,
                            struct skv_ls_snap_meta *m, char *errmsg)
{
    const uint8_t *p = val;
    uint64_t chunks;
    if (len < SKV_LS_SNAP_HDR || p[0] != SKV_LS_FORMAT)
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "snapshot metadata: bad record (%zu bytes, format %u)",
                           len, len ? p[0] : 0);
    if (skv_get_le32(p + 4) != snap_meta_crc(p, len))
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "snapshot metadata: checksum mismatch");
    m->index = skv_get_le64(p + 8);
    m->term = skv_get_le64(p + 16);
    m->conf_index = skv_get_le64(p + 24);
    m->data_len = skv_get_le64(p + 32);
    m->data_crc = skv_get_le32(p + 40);
    m->n_chunks = skv_get_le32(p + 44);
    m->conf_len = skv_get_le32(p + 48);
    m->conf = p + SKV_LS_SNAP_HDR;
    chunks = (m->data_len + SKV_LS_SNAP_CHUNK - 1) / SKV_LS_SNAP_CHUNK;
    if (m->conf_len != len - SKV_LS_SNAP_HDR || chunks != m->n_chunks ||
        m->index == 0 || m->term == 0 ||
        m->data_len > SIZE_MAX - 1)
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "snapshot metadata: inconsistent fields (index %llu "
                           "term %llu, %llu data bytes in %u chunks)",
                           m->index, m->term,
                           (unsigned long long)m->data_len, m->n_chunks);
    return 0;
}

/* ---- storage helpers ------------------------------------------------- */

int skv_ls_storage_err(int rc, const struct skv_err *e, const char *what,
                       char *errmsg)
{
    int raft_rc = rc == SKV_ERR_NOMEM     ? RAFT_NOMEM
                  : rc == SKV_ERR_CORRUPT ? RAFT_CORRUPT
                                          : RAFT_IOERR;
    return skv_ls_fail(errmsg, raft_rc, "%s: %.200s", what,
                       e && e->msg[0] ? e->msg : skv_strerror(rc));
}

int skv_ls_get(const struct skv_ls *ls, void *view, const void *key,
               size_t klen, void **val, size_t *vlen, const char *what,
               char *errmsg)
{
    struct skv_err err = {0};
    int rc;
    *val = NULL;
    *vlen = 0;
    rc = ls->st->get(ls->db, view, key, klen, val, vlen, &err);
    if (rc == SKV_ERR_NOTFOUND) {
        *val = NULL;
        return 0;
    }
    if (rc != SKV_OK) {
        *val = NULL;
        return skv_ls_storage_err(rc, &err, what, errmsg);
    }
    if (!*val) { /* present but empty: keep "found" distinguishable */
        return skv_ls_fail(errmsg, RAFT_CORRUPT, "%s: empty value", what);
    }
    return 0;
}

int skv_ls_write(const struct skv_ls *ls, const struct skv_batch_op *ops,
                 size_t n, const char *what, char *errmsg)
{
    struct skv_err err = {0};
    int rc;
    if (n == 0)
        return 0;
    rc = ls->st->write(ls->db, ops, n, 1, &err);
    if (rc != SKV_OK)
        return skv_ls_storage_err(rc, &err, what, errmsg);
    return 0;
}

static int scan_loop(const struct skv_ls *ls, void *it, const void *pfx,
                     size_t pfx_len, skv_ls_scan_fn fn, void *arg,
                     char *errmsg)
{
    const struct skv_storage_ops *st = ls->st;
    for (; st->iter_valid(it); st->iter_next(it)) {
        size_t klen, vlen;
        const uint8_t *k = st->iter_key(it, &klen);
        const uint8_t *v;
        int rc;
        if (klen < pfx_len || memcmp(k, pfx, pfx_len) != 0)
            break;
        v = st->iter_value(it, &vlen);
        rc = fn(arg, k, klen, v, vlen, errmsg);
        if (rc == SKV_LS_STOP)
            break;
        if (rc != 0)
            return rc;
    }
    return 0;
}

int skv_ls_scan(const struct skv_ls *ls, void *view, const void *from,
                size_t from_len, const void *pfx, size_t pfx_len,
                skv_ls_scan_fn fn, void *arg, char *errmsg)
{
    struct skv_err err = {0};
    void *it = NULL;
    int rc = ls->st->iter_new(ls->db, view, &it, &err);
    if (rc != SKV_OK)
        return skv_ls_storage_err(rc, &err, "open iterator", errmsg);
    ls->st->iter_seek(it, from, from_len);
    rc = scan_loop(ls, it, pfx, pfx_len, fn, arg, errmsg);
    if (rc == 0) {
        int src = ls->st->iter_status(it, &err);
        if (src != SKV_OK)
            rc = skv_ls_storage_err(src, &err, "iterate", errmsg);
    }
    ls->st->iter_free(it);
    return rc;
}

int skv_ls_u64s_push(struct skv_ls_u64s *l, uint64_t x)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        uint64_t *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return RAFT_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = x;
    return 0;
}

void skv_ls_u64s_free(struct skv_ls_u64s *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

struct idx_scan {
    raft_index to;
    struct skv_ls_u64s *out;
};

static int idx_scan_cb(void *arg, const uint8_t *key, size_t klen,
                       const uint8_t *val, size_t vlen, char *errmsg)
{
    struct idx_scan *s = arg;
    raft_index index;
    (void)val;
    (void)vlen;
    if (!skv_ls_log_key_index(key, klen, &index))
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "raft log: malformed key of %zu bytes", klen);
    if (index > s->to)
        return SKV_LS_STOP;
    if (skv_ls_u64s_push(s->out, index) != 0)
        return skv_ls_fail(errmsg, RAFT_NOMEM, "raft log: out of memory");
    return 0;
}

int skv_ls_log_indexes(const struct skv_ls *ls, raft_index from,
                       raft_index to, struct skv_ls_u64s *out,
                       char *errmsg)
{
    uint8_t key[SKV_LS_LOG_KEY_LEN];
    const uint8_t pfx = SKV_PFX_RAFT_LOG;
    struct idx_scan s = {to, out};
    skv_ls_log_key(key, from);
    return skv_ls_scan(ls, NULL, key, sizeof key, &pfx, 1, idx_scan_cb, &s,
                       errmsg);
}

void skv_ls_log_del_ops(const struct skv_ls_u64s *idx,
                        struct skv_batch_op *ops, uint8_t *keys)
{
    for (size_t i = 0; i < idx->n; i++) {
        uint8_t *k = keys + i * SKV_LS_LOG_KEY_LEN;
        skv_ls_log_key(k, idx->v[i]);
        ops[i] = (struct skv_batch_op){.type = SKV_BATCH_DEL,
                                       .key = k,
                                       .key_len = SKV_LS_LOG_KEY_LEN};
    }
}
