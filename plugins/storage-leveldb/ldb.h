/* SPDX-License-Identifier: MIT */
/*
 * ldb.h — internal to the storage-leveldb plugin: the instance, db and
 * iterator structs shared by its files, and the prototypes of the ops
 * they implement. Nothing here is exported (-fvisibility=hidden).
 */
#ifndef SKV_LDB_H
#define SKV_LDB_H

#include <sealkv/storage.h>

#include <leveldb/c.h>
#include <pthread.h>
#include <stdatomic.h>

/* Validated plugin options (YAML `options:`), in LevelDB units. */
struct skv_ldb_conf {
    size_t cache_bytes;   /* 0: caching off (LRU of capacity 0) */
    size_t block_size;
    size_t write_buffer;  /* write_buffer_mb, staggered by node id */
    int compression;      /* snappy on/off */
    int paranoid;         /* paranoid_checks + verify_checksums on reads */
    int max_open_files;
    int bloom_bits;       /* bloom filter bits per key; 0: no filter */
    int compaction_nice;  /* LevelDB's background thread at the node's nice + this
                             (at most 19); 0: the node's priority (ldb_bgprio.c) */
    size_t writeback;     /* writeback_kb in bytes; 0: off (ldb_wback.c) */
    long l0_slowdown_us;  /* per level-0 table from the 8th, before a synced
                             write; 0: off (skv_ldb_write) */
};

/* The plugin instance returned by init(). */
struct skv_ldb_inst {
    const struct skv_host *host;
    struct skv_ldb_conf conf;
};

struct skv_ldb_wback;   /* ldb_wback.c */

/* One open store. Options objects are shared read-only by all threads. */
struct skv_ldb_db {
    struct skv_ldb_inst *inst;
    char *path;
    leveldb_t *db;
    leveldb_options_t *opt;
    leveldb_cache_t *cache;
    leveldb_filterpolicy_t *filter;     /* NULL: bloom_bits 0 */
    leveldb_readoptions_t *ropt;        /* latest view, for get() */
    leveldb_writeoptions_t *wopt_sync;
    leveldb_writeoptions_t *wopt_nosync;
    atomic_long live;                   /* views + iterators not released */
    atomic_ulong l0_waits;              /* synced writes slowed (l0_slowdown_ms) */
    /* write() holds it shared; compact() holds it exclusive for a moment
     * to write no-op bound entries (see ldb_compact.c). */
    pthread_rwlock_t wlock;
    int wlock_ok;                       /* wlock was initialised */
    struct skv_ldb_wback *wback;        /* NULL: writeback_kb 0, or it failed */
};

/* Map a LevelDB error string for `what` on the store at `path` to an
 * skv_rc and a message naming the path. */
int skv_ldb_map_err(const char *path, const char *what, const char *lmsg,
                    struct skv_err *err);

/* ldb_db.c */
/* leveldb_open of d->path with d->opt into d->db (NULL and *emsg set on
 * failure), on a helper thread at compaction_nice (ldb_bgprio.c). */
void skv_ldb_open_db(struct skv_ldb_db *d, char **emsg);
int skv_ldb_open(void *state, const char *path, void **db,
                 struct skv_err *err);
void skv_ldb_close(void *db);
int skv_ldb_get(void *db, void *view, const void *key, size_t key_len,
                void **val, size_t *val_len, struct skv_err *err);
void skv_ldb_free_buf(void *db, void *buf);
int skv_ldb_write(void *db, const struct skv_batch_op *ops, size_t n,
                  int sync, struct skv_err *err);
int skv_ldb_view_new(void *db, void **view, struct skv_err *err);
void skv_ldb_view_release(void *db, void *view);

/* ldb_wback.c: the table writeback thread of an open store. start sets
 * d->wback, or logs a warning and leaves it NULL (the store works
 * without); stop joins the thread and clears it. */
void skv_ldb_wback_start(struct skv_ldb_db *d);
void skv_ldb_wback_stop(struct skv_ldb_db *d);

/* ldb_compact.c */
int skv_ldb_compact(void *db, const void *begin, size_t begin_len,
                    const void *end, size_t end_len, struct skv_err *err);

/* ldb_iter.c */
int skv_ldb_iter_new(void *db, void *view, void **it, struct skv_err *err);
void skv_ldb_iter_seek(void *it, const void *key, size_t key_len);
void skv_ldb_iter_seek_last(void *it);
int skv_ldb_iter_valid(void *it);
void skv_ldb_iter_next(void *it);
void skv_ldb_iter_prev(void *it);
const void *skv_ldb_iter_key(void *it, size_t *len);
const void *skv_ldb_iter_value(void *it, size_t *len);
int skv_ldb_iter_status(void *it, struct skv_err *err);
void skv_ldb_iter_free(void *it);

#endif /* SKV_LDB_H */
