/* SPDX-License-Identifier: MIT */
/*
 * raft_log_load.c — raft_io->load's storage side: reads the hard state,
 * the latest snapshot and every log entry, validates them (a damaged
 * store is a clear RAFT_CORRUPT error, never something C-Raft asserts
 * on) and hands them over with C-Raft's ownership rules.
 */
#include "raftio/raft_log_store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/keys.h"
#include "raftio/raft_conf.h"
#include "raftio/raft_ls_codec.h"
#include "util/buf.h"

#define LOAD_ALIGN 8u /* payload alignment inside the batch */

/* Entries collected while scanning; payloads are copied into `batch` at
 * aligned offsets, base pointers fixed up once the batch stops moving. */
struct load_ctx {
    struct raft_entry *entries;
    size_t *offs;
    size_t n, cap;
    struct skv_buf batch; /* grown with raft_realloc: C-Raft frees it */
    raft_index first, last;
    raft_term last_term;
    const struct raft_snapshot *snap; /* loaded snapshot or NULL */
};

static void load_ctx_free(struct load_ctx *c)
{
    raft_free(c->entries);
    free(c->offs);
    raft_free(c->batch.p);
    memset(c, 0, sizeof *c);
}

static int load_grow(struct load_ctx *c, size_t need_bytes)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct raft_entry *e = raft_realloc(c->entries, cap * sizeof *e);
        size_t *o;
        if (!e)
            return RAFT_NOMEM;
        c->entries = e;
        o = realloc(c->offs, cap * sizeof *o);
        if (!o)
            return RAFT_NOMEM;
        c->offs = o;
        c->cap = cap;
    }
    if (need_bytes > SIZE_MAX / 2 - c->batch.len)
        return RAFT_NOMEM;
    if (skv_buf_reserve_with(&c->batch, need_bytes, raft_realloc) != 0)
        return RAFT_NOMEM;
    return 0;
}

static int check_conf_entry(raft_index index, const struct skv_ls_rec *rec,
                            char *errmsg)
{
    struct raft_configuration conf;
    char why[160];
    int rc = skv_raft_conf_decode(rec->payload, rec->len, &conf, why,
                                  sizeof why);
    raft_configuration_close(&conf);
    if (rc == RAFT_NOMEM)
        return skv_ls_fail(errmsg, rc, "load: out of memory");
    if (rc != 0)
        return skv_ls_fail(errmsg, RAFT_CORRUPT, "log entry %llu: %s", index,
                           why);
    return 0;
}

static int load_entry_cb(void *arg, const uint8_t *key, size_t klen,
                         const uint8_t *val, size_t vlen, char *errmsg)
{
    struct load_ctx *c = arg;
    struct skv_ls_rec rec;
    raft_index index;
    size_t pad;
    int rc;

    if (!skv_ls_log_key_index(key, klen, &index) || index == 0)
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "raft log: malformed key of %zu bytes", klen);
    if (c->n && index != c->last + 1) {
        if (!c->snap || index > c->snap->index + 1)
            return skv_ls_fail(errmsg, RAFT_CORRUPT,
                               "raft log: entries %llu..%llu are missing",
                               c->last + 1, index - 1);
        /* what we have so far is a stale run the snapshot covers */
        c->n = 0;
        c->batch.len = 0;
        c->last_term = 0;
    }
    if ((rc = skv_ls_entry_decode(index, val, vlen, &rec, errmsg)) != 0)
        return rc;
    if (rec.term < c->last_term)
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "log entry %llu: term %llu after term %llu", index,
                           rec.term, c->last_term);
    if (rec.type == RAFT_CHANGE &&
        (rc = check_conf_entry(index, &rec, errmsg)) != 0)
        return rc;
    pad = (LOAD_ALIGN - c->batch.len % LOAD_ALIGN) % LOAD_ALIGN;
    if (load_grow(c, pad + rec.len) != 0)
        return skv_ls_fail(errmsg, RAFT_NOMEM, "load: out of memory");
    c->batch.len += pad;
    if (rec.len)
        memcpy(c->batch.p + c->batch.len, rec.payload, rec.len);
    c->entries[c->n] = (struct raft_entry){.term = rec.term, .type = rec.type,
                                           .buf = {NULL, rec.len}};
    c->offs[c->n++] = c->batch.len;
    c->batch.len += rec.len;
    if (c->n == 1)
        c->first = index;
    c->last = index;
    c->last_term = rec.term;
    return 0;
}

/* Apply the snapshot/start-index rules (as C-Raft's uv backend: entries
 * retained before the snapshot are returned with their start index). */
static int load_place(struct load_ctx *c, const struct raft_snapshot *snap,
                      raft_index *start_index, char *errmsg)
{
    if (!snap) {
        *start_index = 1;
        if (c->n && c->first != 1)
            return skv_ls_fail(errmsg, RAFT_CORRUPT,
                               "raft log starts at %llu but there is no snapshot",
                               c->first);
        if (c->n && c->entries[0].type != RAFT_CHANGE)
            return skv_ls_fail(errmsg, RAFT_CORRUPT,
                               "raft log entry 1 is not a configuration");
        return 0;
    }
    *start_index = snap->index + 1;
    if (!c->n)
        return 0;
    if (c->first > snap->index + 1)
        return skv_ls_fail(errmsg, RAFT_CORRUPT,
                           "raft log starts at %llu, after snapshot %llu + 1",
                           c->first, snap->index);
    if (c->last < snap->index) {
        c->n = 0; /* every entry is covered by the snapshot: stale */
        return 0;
    }
    *start_index = c->first;
    return 0;
}

/* Hand the collected entries over (or nothing when there are none). */
static void load_finish(struct load_ctx *c, struct raft_entry **entries,
                        size_t *n_entries)
{
    if (!c->n) {
        load_ctx_free(c);
        *entries = NULL;
        *n_entries = 0;
        return;
    }
    for (size_t i = 0; i < c->n; i++) {
        c->entries[i].buf.base = c->batch.p + c->offs[i];
        c->entries[i].batch = c->batch.p;
    }
    *entries = c->entries;
    *n_entries = c->n;
    free(c->offs);
    memset(c, 0, sizeof *c);
}

int skv_ls_load(const struct skv_ls *ls, raft_term *term, raft_id *vote,
                struct raft_snapshot **snapshot, raft_index *start_index,
                struct raft_entry **entries, size_t *n_entries,
                char *errmsg)
{
    struct load_ctx c = {0};
    struct raft_snapshot *snap = NULL;
    const uint8_t pfx = SKV_PFX_RAFT_LOG;
    int rc;

    *snapshot = NULL;
    *entries = NULL;
    *n_entries = 0;
    *start_index = 1;
    if ((rc = skv_ls_hard_state(ls, term, vote, errmsg)) != 0 ||
        (rc = skv_ls_snap_read(ls, NULL, &snap, errmsg)) != 0)
        return rc;
    c.snap = snap;
    rc = skv_ls_scan(ls, NULL, &pfx, 1, &pfx, 1, load_entry_cb, &c, errmsg);
    if (rc == 0)
        rc = load_place(&c, snap, start_index, errmsg);
    /* Every loaded entry needs a non-NULL batch, even if all are empty. */
    if (rc == 0 && c.n && !c.batch.p && !(c.batch.p = raft_malloc(LOAD_ALIGN)))
        rc = skv_ls_fail(errmsg, RAFT_NOMEM, "load: out of memory");
    if (rc != 0) {
        load_ctx_free(&c);
        skv_ls_snap_free(snap);
        *start_index = 1;
        return rc;
    }
    load_finish(&c, entries, n_entries);
    *snapshot = snap;
    return 0;
}

void skv_ls_free_loaded(struct raft_snapshot *snapshot,
                        struct raft_entry *entries, size_t n_entries)
{
    void *last = NULL;
    skv_ls_snap_free(snapshot);
    for (size_t i = 0; entries && i < n_entries; i++) {
        if (entries[i].batch && entries[i].batch != last)
            raft_free(last = entries[i].batch);
    }
    raft_free(entries);
}
