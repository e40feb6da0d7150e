/* SPDX-License-Identifier: MIT */
/*
 * raft_snap_store.c — the latest raft snapshot in storage: metadata
 * record + data in SKV_LS_SNAP_CHUNK-sized chunks, replaced atomically
 * together with the log compaction it allows (one synced batch).
 */
#include "raftio/raft_log_store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/crc32.h"
#include "util/keys.h"
#include "raftio/raft_conf.h"
#include "raftio/raft_ls_codec.h"

void skv_ls_snap_free(struct raft_snapshot *s)
{
    if (!s)
        return;
    raft_configuration_close(&s->configuration);
    for (unsigned i = 0; s->bufs && i < s->n_bufs; i++)
        raft_free(s->bufs[i].base);
    raft_free(s->bufs);
    raft_free(s);
}

/* Read the chunks named by `m` into one raft_malloc'd buffer. */
static int read_chunks(const struct skv_ls *ls, void *view,
                       const struct skv_ls_snap_meta *m, uint8_t **out,
                       char *errmsg)
{
    uint8_t *data = raft_malloc(m->data_len ? (size_t)m->data_len : 1);
    size_t off = 0;
    if (!data)
        return skv_ls_fail(errmsg, RAFT_NOMEM, "snapshot: out of memory");
    for (uint32_t i = 0; i < m->n_chunks; i++) {
        uint8_t key[SKV_LS_CHUNK_KEY_LEN];
        size_t want = m->data_len - off < SKV_LS_SNAP_CHUNK
                          ? (size_t)(m->data_len - off)
                          : SKV_LS_SNAP_CHUNK;
        void *val;
        size_t len;
        int rc;
        skv_ls_chunk_key(key, i);
        rc = skv_ls_get(ls, view, key, sizeof key, &val, &len,
                        "read snapshot data", errmsg);
        if (rc == 0 && (!val || len != want)) {
            rc = skv_ls_fail(errmsg, RAFT_CORRUPT,
                             "snapshot data chunk %u: %s (%zu bytes, want %zu)",
                             i, val ? "wrong size" : "missing", len, want);
        }
        if (rc != 0) {
            if (val)
                ls->st->free_buf(ls->db, val);
            raft_free(data);
            return rc;
        }
        memcpy(data + off, val, len);
        off += len;
        ls->st->free_buf(ls->db, val);
    }
    if (skv_crc32(0, data, off) != m->data_crc) {
        raft_free(data);
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "snapshot %llu: data checksum mismatch", m->index);
    }
    *out = data;
    return 0;
}

/* Build the raft_snapshot from decoded metadata. */
static int snap_build(const struct skv_ls *ls, void *view,
                      const struct skv_ls_snap_meta *m,
                      struct raft_snapshot **out, char *errmsg)
{
    struct raft_snapshot *s = raft_calloc(1, sizeof *s);
    char why[160];
    uint8_t *data = NULL;
    int rc;
    if (!s || !(s->bufs = raft_malloc(sizeof *s->bufs))) {
        raft_free(s);
        return skv_ls_fail(errmsg, RAFT_NOMEM, "snapshot: out of memory");
    }
    rc = skv_raft_conf_decode(m->conf, m->conf_len, &s->configuration, why,
                              sizeof why);
    if (rc != 0) {
        rc = skv_ls_fail(errmsg, rc == RAFT_NOMEM ? rc : RAFT_CORRUPT,
                         "snapshot %llu configuration: %s", m->index, why);
    } else {
        rc = read_chunks(ls, view, m, &data, errmsg);
    }
    if (rc != 0) {
        skv_ls_snap_free(s); /* n_bufs is 0: only the array is freed */
        return rc;
    }
    s->index = m->index;
    s->term = m->term;
    s->configuration_index = m->conf_index;
    s->bufs[0] = (struct raft_buffer){data, (size_t)m->data_len};
    s->n_bufs = 1;
    *out = s;
    return 0;
}

int skv_ls_snap_read(const struct skv_ls *ls, void *view,
                     struct raft_snapshot **out, char *errmsg)
{
    struct skv_ls_snap_meta m;
    void *val;
    size_t len;
    int rc;
    *out = NULL;
    rc = skv_ls_get(ls, view, skv_ls_snap_meta_key,
                    sizeof skv_ls_snap_meta_key, &val, &len,
                    "read snapshot metadata", errmsg);
    if (rc != 0 || !val)
        return rc;
    rc = skv_ls_snap_meta_decode(val, len, &m, errmsg);
    if (rc == 0)
        rc = snap_build(ls, view, &m, out, errmsg);
    ls->st->free_buf(ls->db, val);
    return rc;
}

int skv_ls_snapshot_get(const struct skv_ls *ls,
                        struct raft_snapshot **snapshot, char *errmsg)
{
    struct skv_err err = {0};
    void *view = NULL;
    int rc = ls->st->view_new(ls->db, &view, &err);
    *snapshot = NULL;
    if (rc != SKV_OK)
        return skv_ls_storage_err(rc, &err, "open read view", errmsg);
    rc = skv_ls_snap_read(ls, view, snapshot, errmsg);
    ls->st->view_release(ls->db, view);
    if (rc == 0 && !*snapshot)
        return skv_ls_fail(errmsg, RAFT_NOTFOUND, "no snapshot stored");
    return rc;
}

/* ---- put --------------------------------------------------------------- */

/* Everything one put writes, owned until the batch is written. */
struct snap_put {
    struct raft_buffer conf;
    const uint8_t *data;
    uint8_t *data_owned;
    uint64_t data_len;
    uint8_t *meta;
    size_t meta_len;
    struct skv_ls_u64s stale;  /* chunk numbers to delete */
    struct skv_ls_u64s dels;   /* log indexes to delete */
    struct skv_batch_op *ops;
    uint8_t *keys;
};

static void snap_put_free(struct snap_put *p)
{
    raft_free(p->conf.base);
    free(p->data_owned);
    free(p->meta);
    skv_ls_u64s_free(&p->stale);
    skv_ls_u64s_free(&p->dels);
    free(p->ops);
    free(p->keys);
}

/* Concatenate the snapshot buffers (no copy for the usual single one). */
static int snap_data(const struct raft_snapshot *s, struct snap_put *p)
{
    size_t total = 0, off = 0;
    for (unsigned i = 0; i < s->n_bufs; i++) {
        if (s->bufs[i].len > SIZE_MAX - total)
            return RAFT_TOOBIG;
        total += s->bufs[i].len;
    }
    p->data_len = total;
    if (s->n_bufs == 1) {
        p->data = s->bufs[0].base;
        return 0;
    }
    if (!(p->data_owned = malloc(total ? total : 1)))
        return RAFT_NOMEM;
    for (unsigned i = 0; i < s->n_bufs; i++) {
        if (s->bufs[i].len)
            memcpy(p->data_owned + off, s->bufs[i].base, s->bufs[i].len);
        off += s->bufs[i].len;
    }
    p->data = p->data_owned;
    return 0;
}

static int snap_meta(const struct raft_snapshot *s, struct snap_put *p,
                     char *errmsg)
{
    struct skv_ls_snap_meta m = {
        .index = s->index,
        .term = s->term,
        .conf_index = s->configuration_index,
        .data_len = p->data_len,
        .data_crc = skv_crc32(0, p->data, (size_t)p->data_len),
        .n_chunks = (uint32_t)((p->data_len + SKV_LS_SNAP_CHUNK - 1) /
                               SKV_LS_SNAP_CHUNK),
        .conf = p->conf.base,
        .conf_len = (uint32_t)p->conf.len};
    if (p->conf.len > UINT32_MAX ||
        (p->data_len + SKV_LS_SNAP_CHUNK - 1) / SKV_LS_SNAP_CHUNK > UINT32_MAX)
        return skv_ls_fail(errmsg, RAFT_TOOBIG, "snapshot too large");
    p->meta_len = SKV_LS_SNAP_HDR + p->conf.len;
    if (!(p->meta = malloc(p->meta_len)))
        return skv_ls_fail(errmsg, RAFT_NOMEM, "snapshot: out of memory");
    skv_ls_snap_meta_encode(p->meta, &m);
    return 0;
}

static int stale_cb(void *arg, const uint8_t *key, size_t klen,
                    const uint8_t *val, size_t vlen, char *errmsg)
{
    uint32_t chunk = 0;
    (void)val, (void)vlen;
    if (klen != SKV_LS_CHUNK_KEY_LEN)
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "snapshot data: malformed key of %zu bytes", klen);
    for (int i = 5; i < 9; i++)
        chunk = chunk << 8 | key[i];
    if (skv_ls_u64s_push(arg, chunk) != 0)
        return skv_ls_fail(errmsg, RAFT_NOMEM, "snapshot: out of memory");
    return 0;
}

/* With a known floor the entries to drop are floor..index - trailing,
 * deleted without reading them first (the log is contiguous there; an
 * index it lacks only costs a tombstone) — up to this many; beyond, or
 * with no floor, they are looked up. */
#define SNAP_BLIND_MAX 65536u

/* Chunks of an older, longer snapshot and the log entries to drop. */
static int snap_deletes(const struct skv_ls *ls, const struct raft_snapshot *s,
                        unsigned trailing, raft_index floor, uint32_t n_chunks,
                        struct snap_put *p, char *errmsg)
{
    uint8_t from[SKV_LS_CHUNK_KEY_LEN];
    int rc;
    skv_ls_chunk_key(from, n_chunks);
    rc = skv_ls_scan(ls, NULL, from, sizeof from, skv_ls_snap_data_pfx,
                     sizeof skv_ls_snap_data_pfx, stale_cb, &p->stale, errmsg);
    if (rc != 0)
        return rc;
    if (trailing == 0)
        return skv_ls_log_indexes(ls, floor, UINT64_MAX, &p->dels, errmsg);
    if (s->index <= trailing || s->index - trailing < floor)
        return 0;
    if (floor == 0 || s->index - trailing - floor >= SNAP_BLIND_MAX)
        return skv_ls_log_indexes(ls, floor, s->index - trailing, &p->dels, errmsg);
    for (raft_index i = floor; i <= s->index - trailing; i++)
        if (skv_ls_u64s_push(&p->dels, i) != 0)
            return skv_ls_fail(errmsg, RAFT_NOMEM, "snapshot: out of memory");
    return 0;
}

/* The floor after a put that deleted every entry from `floor` to
 * index - trailing (to the end when trailing is 0). */
static raft_index floor_after(const struct raft_snapshot *s, unsigned trailing,
                              raft_index floor)
{
    if (trailing == 0)
        return UINT64_MAX;
    if (s->index > trailing && s->index - trailing >= floor)
        return s->index - trailing + 1;
    return floor;
}

static int snap_ops(struct snap_put *p, uint32_t n_chunks, char *errmsg)
{
    size_t n_keys = (size_t)n_chunks + p->stale.n, k = 0, n = 0;
    size_t total = 1 + n_keys + p->dels.n;
    p->ops = calloc(total, sizeof *p->ops);
    p->keys = malloc((n_keys + p->dels.n) * SKV_LS_LOG_KEY_LEN + 1);
    if (!p->ops || !p->keys)
        return skv_ls_fail(errmsg, RAFT_NOMEM, "snapshot: out of memory");
    p->ops[n++] = (struct skv_batch_op){SKV_BATCH_PUT, 0, skv_ls_snap_meta_key,
                                        sizeof skv_ls_snap_meta_key, p->meta,
                                        p->meta_len};
    for (uint32_t i = 0; i < n_chunks; i++, k++) {
        uint8_t *key = p->keys + k * SKV_LS_CHUNK_KEY_LEN;
        uint64_t off = (uint64_t)i * SKV_LS_SNAP_CHUNK;
        uint64_t len = p->data_len - off < SKV_LS_SNAP_CHUNK
                           ? p->data_len - off : SKV_LS_SNAP_CHUNK;
        skv_ls_chunk_key(key, i);
        p->ops[n++] = (struct skv_batch_op){SKV_BATCH_PUT, 0, key,
                                            SKV_LS_CHUNK_KEY_LEN,
                                            p->data + off, (size_t)len};
    }
    for (size_t i = 0; i < p->stale.n; i++, k++) {
        uint8_t *key = p->keys + k * SKV_LS_CHUNK_KEY_LEN;
        skv_ls_chunk_key(key, (uint32_t)p->stale.v[i]);
        p->ops[n++] = (struct skv_batch_op){.type = SKV_BATCH_DEL, .key = key,
                                            .key_len = SKV_LS_CHUNK_KEY_LEN};
    }
    skv_ls_log_del_ops(&p->dels, p->ops + n, p->keys + k * SKV_LS_LOG_KEY_LEN);
    return 0;
}

int skv_ls_snapshot_put(const struct skv_ls *ls, unsigned trailing,
                        const struct raft_snapshot *snapshot,
                        raft_index *floor, char *errmsg)
{
    raft_index from = floor ? *floor : 0;
    struct snap_put p = {0};
    uint32_t n_chunks;
    int rc;
    if (!snapshot || snapshot->index == 0 || snapshot->term == 0 ||
        snapshot->configuration.n == 0 ||
        (snapshot->n_bufs && !snapshot->bufs))
        return skv_ls_fail(errmsg, RAFT_INVALID, "snapshot put: bad snapshot");
    if ((rc = snap_data(snapshot, &p)) != 0) {
        skv_ls_fail(errmsg, rc, "snapshot put: data too large or out of memory");
    } else if (raft_configuration_encode(&snapshot->configuration, &p.conf)) {
        rc = skv_ls_fail(errmsg, RAFT_NOMEM, "snapshot put: out of memory");
    } else if ((rc = snap_meta(snapshot, &p, errmsg)) == 0) {
        n_chunks = (uint32_t)((p.data_len + SKV_LS_SNAP_CHUNK - 1) /
                              SKV_LS_SNAP_CHUNK);
        if ((rc = snap_deletes(ls, snapshot, trailing, from, n_chunks, &p,
                               errmsg)) == 0 &&
            (rc = snap_ops(&p, n_chunks, errmsg)) == 0)
            rc = skv_ls_write(ls, p.ops,
                              1 + n_chunks + p.stale.n + p.dels.n,
                              "write snapshot", errmsg);
        if (rc == 0 && floor)
            *floor = floor_after(snapshot, trailing, from);
    }
    snap_put_free(&p);
    return rc;
}
