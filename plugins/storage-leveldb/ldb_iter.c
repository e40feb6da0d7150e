/* SPDX-License-Identifier: MIT */
/*
 * ldb_iter.c — iterators over a store or over one of its read views.
 *
 * LevelDB asserts (aborts) when an unpositioned iterator is moved or read;
 * every call here checks validity first so a caller mistake yields "not
 * valid" instead of a crash. Iterators do not fill the block cache (scans
 * would evict the point-read working set).
 */
#include "ldb.h"

#include <stdint.h>
#include <stdlib.h>

struct skv_ldb_iter {
    struct skv_ldb_db *db;
    leveldb_readoptions_t *ropt;
    leveldb_iterator_t *it;
    int bad_seek; /* last seek got a NULL key with a length: invalid */
};

int skv_ldb_iter_new(void *db, void *view, void **out, struct skv_err *err)
{
    struct skv_ldb_db *d = db;
    struct skv_ldb_iter *w;

    if (!d || !out)
        return skv_err_set(err, SKV_ERR_INVALID, "leveldb iter_new: missing handle");
    *out = NULL;
    if (!(w = calloc(1, sizeof *w)) || !(w->ropt = leveldb_readoptions_create())) {
        free(w);
        return skv_err_set(err, SKV_ERR_NOMEM, "leveldb iter_new on %s: out of memory",
                           d->path);
    }
    leveldb_readoptions_set_fill_cache(w->ropt, 0);
    leveldb_readoptions_set_verify_checksums(w->ropt, (uint8_t)d->inst->conf.paranoid);
    if (view)
        leveldb_readoptions_set_snapshot(w->ropt, view);
    if (!(w->it = leveldb_create_iterator(d->db, w->ropt))) {
        leveldb_readoptions_destroy(w->ropt);
        free(w);
        return skv_err_set(err, SKV_ERR_NOMEM, "leveldb iter_new on %s: out of memory",
                           d->path);
    }
    w->db = d;
    atomic_fetch_add(&d->live, 1);
    *out = w;
    return SKV_OK;
}

void skv_ldb_iter_seek(void *it, const void *key, size_t key_len)
{
    struct skv_ldb_iter *w = it;
    if (!w)
        return;
    w->bad_seek = !key && key_len;
    if (!w->bad_seek)
        leveldb_iter_seek(w->it, key ? (const char *)key : "", key_len);
}

void skv_ldb_iter_seek_last(void *it)
{
    struct skv_ldb_iter *w = it;
    if (!w)
        return;
    w->bad_seek = 0;
    leveldb_iter_seek_to_last(w->it);
}

int skv_ldb_iter_valid(void *it)
{
    struct skv_ldb_iter *w = it;
    return w && !w->bad_seek && leveldb_iter_valid(w->it);
}

void skv_ldb_iter_next(void *it)
{
    if (skv_ldb_iter_valid(it))
        leveldb_iter_next(((struct skv_ldb_iter *)it)->it);
}

void skv_ldb_iter_prev(void *it)
{
    if (skv_ldb_iter_valid(it))
        leveldb_iter_prev(((struct skv_ldb_iter *)it)->it);
}

/* The key or the value (`get`: leveldb_iter_key or _value) at the
 * iterator's position; NULL and *len 0 when it is not valid. */
static const void *iter_bytes(void *it, size_t *len,
                              const char *(*get)(const leveldb_iterator_t *, size_t *))
{
    size_t n = 0;
    const char *b = NULL;
    if (skv_ldb_iter_valid(it))
        b = get(((struct skv_ldb_iter *)it)->it, &n);
    if (len)
        *len = n;
    return b;
}

const void *skv_ldb_iter_key(void *it, size_t *len)
{
    return iter_bytes(it, len, leveldb_iter_key);
}

const void *skv_ldb_iter_value(void *it, size_t *len)
{
    return iter_bytes(it, len, leveldb_iter_value);
}

int skv_ldb_iter_status(void *it, struct skv_err *err)
{
    struct skv_ldb_iter *w = it;
    char *emsg = NULL;
    int rc;
    if (!w)
        return skv_err_set(err, SKV_ERR_INVALID, "leveldb iter_status: missing iterator");
    if (w->bad_seek)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "leveldb iterate on %s: seek with a NULL key", w->db->path);
    leveldb_iter_get_error(w->it, &emsg);
    if (!emsg)
        return SKV_OK;
    rc = skv_ldb_map_err(w->db->path, "iterate", emsg, err);
    leveldb_free(emsg);
    return rc;
}

void skv_ldb_iter_free(void *it)
{
    struct skv_ldb_iter *w = it;
    if (!w)
        return;
    leveldb_iter_destroy(w->it);
    leveldb_readoptions_destroy(w->ropt);
    atomic_fetch_sub(&w->db->live, 1);
    free(w);
}
