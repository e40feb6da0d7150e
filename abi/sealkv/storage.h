/* SPDX-License-Identifier: MIT */
/*
 * <sealkv/storage.h> — storage plugin ops: an ordered byte-key/byte-value
 * store with atomic write batches, iterators and consistent read views.
 *
 * The core keeps everything in one store under disjoint key prefixes (Raft
 * hard state, Raft log, snapshot, FSM data, FSM applied index, writer
 * registry). Keys compare as unsigned bytes (memcmp, shorter first on a
 * common prefix).
 *
 * Threads: a db handle is used from the loop thread and from host worker
 * threads concurrently; get, write, view_new/view_release and iter_new must be safe to
 * call concurrently on the same db. One iterator is used by one thread at a
 * time. open/close are called from the loop thread with no other call in
 * flight on that db.
 */
#ifndef SEALKV_STORAGE_H
#define SEALKV_STORAGE_H

#include <sealkv/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

enum skv_batch_op_type {
    SKV_BATCH_PUT = 1,
    SKV_BATCH_DEL = 2
};

/* One element of an atomic write batch. Memory is the caller's and only
 * needs to live for the duration of write(). */
struct skv_batch_op {
    uint32_t type;       /* enum skv_batch_op_type */
    uint32_t reserved;   /* 0 */
    const void *key;
    size_t key_len;
    const void *val;     /* NULL for DEL */
    size_t val_len;
};

struct skv_storage_ops {
    uint32_t struct_size;

    /* Open (creating if missing) the store at directory `path`.
     * Loop thread. Errors: SKV_ERR_BUSY if another process holds the lock,
     * SKV_ERR_CORRUPT if the store is damaged, SKV_ERR_IO otherwise. */
    int (*open)(void *state, const char *path, void **db,
                struct skv_err *err);

    /* Close and free. Every iterator and read view must already be
     * released. Loop thread. */
    void (*close)(void *db);

    /* Point lookup. `view` is NULL (latest) or a read view from
     * view_new(). On success *val is a buffer owned by the caller, released
     * with free_buf(); SKV_ERR_NOTFOUND when absent. Any thread. */
    int (*get)(void *db, void *view, const void *key, size_t key_len,
               void **val, size_t *val_len, struct skv_err *err);

    /* Release a buffer returned by get(). Any thread. NULL is a no-op. */
    void (*free_buf)(void *db, void *buf);

    /* Apply `n` ops atomically, in order (a later op on the same key
     * wins). If `sync` is non-zero the batch is durable (fsync) before
     * this returns. Any thread; may block on disk — the core calls it
     * from worker threads on hot paths. */
    int (*write)(void *db, const struct skv_batch_op *ops, size_t n,
                 int sync, struct skv_err *err);

    /* A consistent read view of the store as of now. Any thread.
     * Released with view_release() before close(). */
    int (*view_new)(void *db, void **view, struct skv_err *err);
    void (*view_release)(void *db, void *view);

    /* Iterators over `view` (NULL = latest). Created unpositioned: call a
     * seek first. key()/value() pointers stay valid until the next move or
     * iter_free(). One thread at a time per iterator. */
    int (*iter_new)(void *db, void *view, void **it, struct skv_err *err);
    void (*iter_seek)(void *it, const void *key, size_t key_len); /* >= */
    void (*iter_seek_last)(void *it);
    int (*iter_valid)(void *it);
    void (*iter_next)(void *it);
    void (*iter_prev)(void *it);
    const void *(*iter_key)(void *it, size_t *len);
    const void *(*iter_value)(void *it, size_t *len);
    /* SKV_OK, or the error that made the iterator invalid. */
    int (*iter_status)(void *it, struct skv_err *err);
    void (*iter_free)(void *it);

    /* Optional (check with SKV_HAS): physically compact the key range
     * [begin, end) so deleted or overwritten bytes leave the disk. NULL
     * bounds mean "from the start" / "to the end". Any thread; slow. */
    int (*compact)(void *db, const void *begin, size_t begin_len,
                   const void *end, size_t end_len, struct skv_err *err);
};

#ifdef __cplusplus
}
#endif
#endif /* SEALKV_STORAGE_H */
