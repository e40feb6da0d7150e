/* SPDX-License-Identifier: MIT */
/*
 * ldb_db.c — one LevelDB store: open/close, point reads, atomic write
 * batches and read views (LevelDB snapshots). Compaction: ldb_compact.c.
 *
 * LevelDB is thread safe for get/write/snapshots/iterators on one handle;
 * the options objects below are created at open and only read afterwards,
 * so they are shared by every thread.
 */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include "ldb.h"
#include "ldb_l0.h"

#include <errno.h>
#include <unistd.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A non-NULL pointer for empty keys/values given as NULL. */
static const char skv_ldb_empty[1] = "";
#define NONNULL(p) ((p) ? (const char *)(p) : skv_ldb_empty)

static void db_free(struct skv_ldb_db *d)
{
    const struct skv_host *h = d->inst->host;
    skv_ldb_wback_stop(d);
    if (atomic_load(&d->l0_waits) > 0)
        h->log(h->ctx, SKV_LOG_DEBUG, "level 0 %s: %lu synced writes slowed down", d->path,
               atomic_load(&d->l0_waits));
    if (d->db)
        leveldb_close(d->db); /* before the cache it uses */
    if (d->opt)
        leveldb_options_destroy(d->opt);
    if (d->cache)
        leveldb_cache_destroy(d->cache);
    if (d->filter)   /* after the db and options that use it */
        leveldb_filterpolicy_destroy(d->filter);
    if (d->ropt)
        leveldb_readoptions_destroy(d->ropt);
    if (d->wopt_sync)
        leveldb_writeoptions_destroy(d->wopt_sync);
    if (d->wopt_nosync)
        leveldb_writeoptions_destroy(d->wopt_nosync);
    if (d->wlock_ok)
        pthread_rwlock_destroy(&d->wlock);
    free(d->path);
    free(d);
}

/* Writer-preferring, so compact() cannot starve behind steady writes. */
static int db_init_lock(struct skv_ldb_db *d, struct skv_err *err)
{
    pthread_rwlockattr_t a;
    int rc;
    if (pthread_rwlockattr_init(&a) != 0)
        return skv_err_set(err, SKV_ERR_NOMEM, "leveldb open %s: out of memory",
                           d->path);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    rc = pthread_rwlock_init(&d->wlock, &a);
    pthread_rwlockattr_destroy(&a);
    if (rc != 0)
        return skv_err_set(err, SKV_ERR_NOMEM, "leveldb open %s: cannot create lock",
                           d->path);
    d->wlock_ok = 1;
    return SKV_OK;
}

static int db_make_options(struct skv_ldb_db *d, const struct skv_ldb_conf *c,
                           struct skv_err *err)
{
    d->opt = leveldb_options_create();
    d->cache = leveldb_cache_create_lru(c->cache_bytes);
    d->ropt = leveldb_readoptions_create();
    d->wopt_sync = leveldb_writeoptions_create();
    d->wopt_nosync = leveldb_writeoptions_create();
    if (!d->opt || !d->cache || !d->ropt || !d->wopt_sync || !d->wopt_nosync)
        return skv_err_set(err, SKV_ERR_NOMEM,
                           "leveldb open %s: out of memory", d->path);
    leveldb_options_set_create_if_missing(d->opt, 1);
    leveldb_options_set_paranoid_checks(d->opt, (uint8_t)c->paranoid);
    leveldb_options_set_compression(d->opt, c->compression
                                                 ? leveldb_snappy_compression
                                                 : leveldb_no_compression);
    leveldb_options_set_cache(d->opt, d->cache);
    leveldb_options_set_block_size(d->opt, c->block_size);
    leveldb_options_set_write_buffer_size(d->opt, c->write_buffer);
    leveldb_options_set_max_open_files(d->opt, c->max_open_files);
    if (c->bloom_bits > 0) {
        if (!(d->filter = leveldb_filterpolicy_create_bloom(c->bloom_bits)))
            return skv_err_set(err, SKV_ERR_NOMEM, "leveldb open %s: out of memory", d->path);
        leveldb_options_set_filter_policy(d->opt, d->filter);
    }
    leveldb_readoptions_set_verify_checksums(d->ropt, (uint8_t)c->paranoid);
    leveldb_writeoptions_set_sync(d->wopt_sync, 1);
    leveldb_writeoptions_set_sync(d->wopt_nosync, 0);
    return SKV_OK;
}

/* LevelDB's text log of the previous open (LOG.old) can name a stored key
 * (a manual compaction logs the key where a pass stopped: with sealed key
 * names, an old record's tombstone). Nothing reads it; removing it at
 * open means a restart after erase-cleartext leaves no such line on disk
 * (docs/SECURITY.md "Key names"). The current LOG is rotated to LOG.old
 * at the next open. */
static void drop_old_info_log(struct skv_ldb_db *d)
{
    char p[4096];
    int n = snprintf(p, sizeof p, "%s/LOG.old", d->path);
    if (n > 0 && (size_t)n < sizeof p && unlink(p) != 0 && errno != ENOENT)
        d->inst->host->log(d->inst->host->ctx, SKV_LOG_WARN, "cannot remove %s: %s", p,
                           strerror(errno));
}

int skv_ldb_open(void *state, const char *path, void **out,
                 struct skv_err *err)
{
    struct skv_ldb_inst *inst = state;
    struct skv_ldb_db *d;
    char *emsg = NULL;
    int rc;

    if (!inst || !path || !*path || !out)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "leveldb open: missing instance, path or handle");
    *out = NULL;
    d = calloc(1, sizeof *d);
    if (!d || !(d->path = strdup(path))) {
        free(d);
        return skv_err_set(err, SKV_ERR_NOMEM, "leveldb open %s: out of memory",
                           path);
    }
    d->inst = inst;
    atomic_init(&d->live, 0);
    atomic_init(&d->l0_waits, 0);
    if ((rc = db_init_lock(d, err)) != SKV_OK ||
        (rc = db_make_options(d, &inst->conf, err)) != SKV_OK) {
        db_free(d);
        return rc;
    }
    skv_ldb_open_db(d, &emsg);   /* on a helper thread: ldb_bgprio.c */
    if (emsg || !d->db) {
        rc = skv_ldb_map_err(path, "open", emsg, err);
        leveldb_free(emsg);
        db_free(d);
        return rc;
    }
    drop_old_info_log(d);
    skv_ldb_wback_start(d);
    inst->host->log(inst->host->ctx, SKV_LOG_DEBUG, "opened %s", path);
    *out = d;
    return SKV_OK;
}

void skv_ldb_close(void *db)
{
    struct skv_ldb_db *d = db;
    long live;
    if (!d)
        return;
    live = atomic_load(&d->live);
    if (live != 0) {
        /* A caller bug: closing would leave dangling iterators/snapshots.
         * Keep the handle alive (leaked) rather than crash later. */
        d->inst->host->log(d->inst->host->ctx, SKV_LOG_ERROR,
                           "close %s: %ld iterator(s)/view(s) still open; "
                           "leaving the store open", d->path, live);
        return;
    }
    d->inst->host->log(d->inst->host->ctx, SKV_LOG_DEBUG, "closed %s",
                       d->path);
    db_free(d);
}

int skv_ldb_get(void *db, void *view, const void *key, size_t key_len,
                void **val, size_t *val_len, struct skv_err *err)
{
    struct skv_ldb_db *d = db;
    leveldb_readoptions_t *ro;
    char *v, *emsg = NULL;
    size_t len = 0;

    if (!d || !val || !val_len || (!key && key_len))
        return skv_err_set(err, SKV_ERR_INVALID,
                           "leveldb get: missing handle, key or output");
    *val = NULL;
    *val_len = 0;
    ro = d->ropt;
    if (view) {
        if (!(ro = leveldb_readoptions_create()))
            return skv_err_set(err, SKV_ERR_NOMEM, "leveldb get on %s: out of memory",
                               d->path);
        leveldb_readoptions_set_verify_checksums(ro, (uint8_t)d->inst->conf.paranoid);
        leveldb_readoptions_set_snapshot(ro, view);
    }
    v = leveldb_get(d->db, ro, NONNULL(key), key_len, &len, &emsg);
    if (view)
        leveldb_readoptions_destroy(ro);
    if (emsg) {
        int rc = skv_ldb_map_err(d->path, "get", emsg, err);
        leveldb_free(emsg);
        leveldb_free(v);
        return rc;
    }
    if (!v)
        return skv_err_set(err, SKV_ERR_NOTFOUND, "leveldb get on %s: key not found",
                           d->path);
    *val = v;
    *val_len = len;
    return SKV_OK;
}

void skv_ldb_free_buf(void *db, void *buf)
{
    (void)db;
    if (buf)
        leveldb_free(buf);
}

static int batch_fill(leveldb_writebatch_t *b, const struct skv_batch_op *ops,
                      size_t n, const char *path, struct skv_err *err)
{
    size_t i;
    for (i = 0; i < n; i++) {
        const struct skv_batch_op *op = &ops[i];
        if (!op->key && op->key_len)
            return skv_err_set(err, SKV_ERR_INVALID,
                               "leveldb write on %s: op %zu has a NULL key", path, i);
        if (op->type == SKV_BATCH_PUT) {
            if (!op->val && op->val_len)
                return skv_err_set(err, SKV_ERR_INVALID,
                                   "leveldb write on %s: op %zu has a NULL value", path, i);
            leveldb_writebatch_put(b, NONNULL(op->key), op->key_len,
                                   NONNULL(op->val), op->val_len);
        } else if (op->type == SKV_BATCH_DEL) {
            leveldb_writebatch_delete(b, NONNULL(op->key), op->key_len);
        } else {
            return skv_err_set(err, SKV_ERR_INVALID,
                               "leveldb write on %s: op %zu has unknown type %u",
                               path, i, op->type);
        }
    }
    return SKV_OK;
}

/* Level 0 from its 8th table (LevelDB's slowdown point; it stops every
 * write at 12): a synced write — the raft log's batches, on a raft worker
 * — waits l0_slowdown_ms per table from the 8th, so the log's rate drops
 * while compaction catches up instead of everything stopping for 0.5-1 s
 * at 12 (docs/PERFORMANCE.md "The disk's idle gap"). The few other synced
 * writes (the term and vote at an election, a snapshot's record) wait the
 * same, at most 4 steps; unsynced writes (the FSM's rounds, on the loop
 * thread) never wait here. */
static void l0_slowdown(struct skv_ldb_db *d)
{
    char *v;
    long n;
    struct timespec ts;
    if (d->inst->conf.l0_slowdown_us <= 0 ||
        !(v = leveldb_property_value(d->db, "leveldb.num-files-at-level0")))
        return;
    n = skv_ldb_l0_wait_us(strtol(v, NULL, 10), d->inst->conf.l0_slowdown_us);
    leveldb_free(v);
    if (n <= 0)
        return;
    ts.tv_sec = n / 1000000;
    ts.tv_nsec = n % 1000000 * 1000;
    atomic_fetch_add(&d->l0_waits, 1);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int skv_ldb_write(void *db, const struct skv_batch_op *ops, size_t n,
                  int sync, struct skv_err *err)
{
    struct skv_ldb_db *d = db;
    leveldb_writebatch_t *b;
    char *emsg = NULL;
    int rc;

    if (!d || (!ops && n))
        return skv_err_set(err, SKV_ERR_INVALID, "leveldb write: missing handle or ops");
    if (!(b = leveldb_writebatch_create()))
        return skv_err_set(err, SKV_ERR_NOMEM, "leveldb write on %s: out of memory",
                           d->path);
    rc = batch_fill(b, ops, n, d->path, err);
    if (rc == SKV_OK && sync)
        l0_slowdown(d);
    if (rc == SKV_OK) {
        pthread_rwlock_rdlock(&d->wlock);
        leveldb_write(d->db, sync ? d->wopt_sync : d->wopt_nosync, b, &emsg);
        pthread_rwlock_unlock(&d->wlock);
        if (emsg) {
            rc = skv_ldb_map_err(d->path, "write", emsg, err);
            leveldb_free(emsg);
        }
    }
    leveldb_writebatch_destroy(b);
    return rc;
}

int skv_ldb_view_new(void *db, void **view, struct skv_err *err)
{
    struct skv_ldb_db *d = db;
    const leveldb_snapshot_t *snap;
    if (!d || !view)
        return skv_err_set(err, SKV_ERR_INVALID, "leveldb view_new: missing handle");
    if (!(snap = leveldb_create_snapshot(d->db)))
        return skv_err_set(err, SKV_ERR_NOMEM, "leveldb view_new on %s: out of memory",
                           d->path);
    atomic_fetch_add(&d->live, 1);
    *view = (void *)(uintptr_t)snap; /* opaque; LevelDB's const is ours */
    return SKV_OK;
}

void skv_ldb_view_release(void *db, void *view)
{
    struct skv_ldb_db *d = db;
    if (!d || !view)
        return;
    leveldb_release_snapshot(d->db, view);
    atomic_fetch_sub(&d->live, 1);
}
