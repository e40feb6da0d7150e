/* SPDX-License-Identifier: MIT */
/*
 * ldb_compact.c — physical compaction of a key range, so that deleted and
 * overwritten bytes leave the disk.
 *
 * leveldb_compact_range() alone is not enough: it finds the deepest level
 * holding the range *before* flushing the memtable, then compacts levels
 * 0..deepest-1 each into the next, so files at the deepest level are never
 * rewritten. A flushed memtable that held a value and its later delete or
 * overwrite can land there (memtable output goes up to level 2) and keep
 * the dead bytes forever (seen with LevelDB 1.23).
 *
 * So: pass 1 compacts as LevelDB does (and flushes the memtable); then,
 * with write() excluded, one batch writes a no-op entry at each bound of
 * the range (the key's current value again, or a delete of an absent key:
 * readers see no change); pass 2 flushes that small file, which spans the
 * range and so lands above every file in it, and its compaction drags each
 * deeper file overlapping the range through a rewrite that drops dead
 * entries. Entries still visible to an open read view are kept (LevelDB
 * must). With no `end`, the upper bound is the larger of 256 0xFF bytes and
 * the last live key: a file whose keys all lie above both is not reached.
 */
#include "ldb.h"

#include <stdlib.h>
#include <string.h>

#define SKV_LDB_HI_LEN 256

/* memcmp order, shorter first on a common prefix. */
static int key_cmp(const void *a, size_t al, const void *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c)
        return c;
    return al < bl ? -1 : al > bl;
}

/* Add "key = its current value" or "delete key (absent)" to `b`. */
static int touch_key(struct skv_ldb_db *d, leveldb_writebatch_t *b,
                     const void *key, size_t len, struct skv_err *err)
{
    char *v, *emsg = NULL;
    size_t vlen = 0;
    v = leveldb_get(d->db, d->ropt, key, len, &vlen, &emsg);
    if (emsg) {
        int rc = skv_ldb_map_err(d->path, "compact", emsg, err);
        leveldb_free(emsg);
        leveldb_free(v);
        return rc;
    }
    if (v)
        leveldb_writebatch_put(b, key, len, v, vlen);
    else
        leveldb_writebatch_delete(b, key, len);
    leveldb_free(v);
    return SKV_OK;
}

/* The last live key (copied into *out, malloc'd), or *out = NULL. */
static int last_key(struct skv_ldb_db *d, char **out, size_t *len,
                    struct skv_err *err)
{
    leveldb_iterator_t *it = leveldb_create_iterator(d->db, d->ropt);
    char *emsg = NULL;
    int rc = SKV_OK;
    *out = NULL;
    *len = 0;
    if (!it)
        return skv_err_set(err, SKV_ERR_NOMEM, "leveldb compact on %s: out of memory",
                           d->path);
    leveldb_iter_seek_to_last(it);
    if (leveldb_iter_valid(it)) {
        const char *k = leveldb_iter_key(it, len);
        if (!(*out = malloc(*len ? *len : 1)))
            rc = skv_err_set(err, SKV_ERR_NOMEM, "leveldb compact on %s: out of memory",
                             d->path);
        else
            memcpy(*out, k, *len);
    }
    leveldb_iter_get_error(it, &emsg);
    if (emsg && rc == SKV_OK)
        rc = skv_ldb_map_err(d->path, "compact", emsg, err);
    leveldb_free(emsg);
    leveldb_iter_destroy(it);
    return rc;
}

/* Write the no-op bound entries [lo, hi] in one batch, writers excluded. */
static int touch_bounds(struct skv_ldb_db *d, const void *lo, size_t lo_len,
                        const void *hi, size_t hi_len, struct skv_err *err)
{
    leveldb_writebatch_t *b = leveldb_writebatch_create();
    char *emsg = NULL;
    int rc;
    if (!b)
        return skv_err_set(err, SKV_ERR_NOMEM, "leveldb compact on %s: out of memory",
                           d->path);
    pthread_rwlock_wrlock(&d->wlock);
    rc = touch_key(d, b, lo, lo_len, err);
    if (rc == SKV_OK)
        rc = touch_key(d, b, hi, hi_len, err);
    if (rc == SKV_OK) {
        leveldb_write(d->db, d->wopt_nosync, b, &emsg);
        if (emsg)
            rc = skv_ldb_map_err(d->path, "compact", emsg, err);
        leveldb_free(emsg);
    }
    pthread_rwlock_unlock(&d->wlock);
    leveldb_writebatch_destroy(b);
    return rc;
}

/* Upper bound to touch when the range is open-ended; *owned to free. */
static int open_end_bound(struct skv_ldb_db *d, const unsigned char *ff,
                          const void **hi, size_t *hi_len, char **owned,
                          struct skv_err *err)
{
    size_t llen;
    int rc = last_key(d, owned, &llen, err);
    if (rc != SKV_OK)
        return rc;
    *hi = ff;
    *hi_len = SKV_LDB_HI_LEN;
    if (*owned && key_cmp(*owned, llen, ff, SKV_LDB_HI_LEN) > 0) {
        *hi = *owned;
        *hi_len = llen;
    }
    return SKV_OK;
}

int skv_ldb_compact(void *db, const void *begin, size_t begin_len,
                    const void *end, size_t end_len, struct skv_err *err)
{
    struct skv_ldb_db *d = db;
    unsigned char ff[SKV_LDB_HI_LEN];
    const void *lo = begin ? begin : "", *hi = end;
    size_t lo_len = begin ? begin_len : 0, hi_len = end ? end_len : 0;
    char *owned = NULL;
    int rc = SKV_OK;

    if (!d)
        return skv_err_set(err, SKV_ERR_INVALID, "leveldb compact: missing handle");
    if (begin && end && key_cmp(begin, begin_len, end, end_len) >= 0)
        return SKV_OK; /* empty range */
    /* LevelDB's range includes `end`: a superset of [begin, end). */
    leveldb_compact_range(d->db, begin, lo_len, end, hi_len);
    memset(ff, 0xFF, sizeof ff);
    if (!end)
        rc = open_end_bound(d, ff, &hi, &hi_len, &owned, err);
    if (rc == SKV_OK)
        rc = touch_bounds(d, lo, lo_len, hi, hi_len, err);
    if (rc == SKV_OK)
        leveldb_compact_range(d->db, begin, lo_len, end, hi_len);
    free(owned);
    return rc;
}
