/* SPDX-License-Identifier: MIT */
/*
 * raft_io_fx.h — shared fixture for the raft_io adapter suites: the real
 * storage-leveldb plugin (through the core loader) behind a wrapper ops
 * table that counts writes and can inject failures, a libuv loop with a
 * bounded wait helper, and open/reopen/close of the adapter.
 */
#ifndef SKV_RAFT_IO_FX_H
#define SKV_RAFT_IO_FX_H

#include "skv_test.h"

#include <stdatomic.h>
#include <unistd.h>

#include <raft.h>
#include <uv.h>

#include "plugin/loader.h"
#include "raftio/raft_io.h"

/* ---- wrapper storage ops (test-only statics: one fixture at a time) --- */

static const struct skv_storage_ops *fx_real;
static atomic_uint fx_writes;      /* write() calls */
static atomic_uint fx_unsynced;    /* write() calls with sync == 0 */
static atomic_int fx_fail_writes;  /* non-zero: write() fails */
static atomic_int fx_fatals;       /* env.fatal calls (the node would halt) */
static atomic_int fx_gate;         /* non-zero: write() waits (at most 10 s) until it is 0 */

static void fx_fatal_cb(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
    atomic_fetch_add(&fx_fatals, 1);
}

static int fx_w_open(void *s, const char *p, void **db, struct skv_err *e)
{
    return fx_real->open(s, p, db, e);
}
static void fx_w_close(void *db) { fx_real->close(db); }
static int fx_w_get(void *db, void *v, const void *k, size_t kl, void **val,
                    size_t *vl, struct skv_err *e)
{
    return fx_real->get(db, v, k, kl, val, vl, e);
}
static void fx_w_free_buf(void *db, void *b) { fx_real->free_buf(db, b); }
static int fx_w_write(void *db, const struct skv_batch_op *ops, size_t n,
                      int sync, struct skv_err *e)
{
    int i;
    atomic_fetch_add(&fx_writes, 1);
    if (!sync)
        atomic_fetch_add(&fx_unsynced, 1);
    for (i = 0; i < 10000 && atomic_load(&fx_gate); i++)
        usleep(1000);   /* a worker held in its job until the test opens the gate */
    if (atomic_load(&fx_fail_writes))
        return skv_err_set(e, SKV_ERR_IO, "injected: disk on fire");
    return fx_real->write(db, ops, n, sync, e);
}
static int fx_w_view_new(void *db, void **v, struct skv_err *e)
{
    return fx_real->view_new(db, v, e);
}
static void fx_w_view_release(void *db, void *v) { fx_real->view_release(db, v); }
static int fx_w_iter_new(void *db, void *v, void **it, struct skv_err *e)
{
    return fx_real->iter_new(db, v, it, e);
}
static void fx_w_iter_seek(void *it, const void *k, size_t kl) { fx_real->iter_seek(it, k, kl); }
static void fx_w_iter_seek_last(void *it) { fx_real->iter_seek_last(it); }
static int fx_w_iter_valid(void *it) { return fx_real->iter_valid(it); }
static void fx_w_iter_next(void *it) { fx_real->iter_next(it); }
static void fx_w_iter_prev(void *it) { fx_real->iter_prev(it); }
static const void *fx_w_iter_key(void *it, size_t *l) { return fx_real->iter_key(it, l); }
static const void *fx_w_iter_value(void *it, size_t *l) { return fx_real->iter_value(it, l); }
static int fx_w_iter_status(void *it, struct skv_err *e) { return fx_real->iter_status(it, e); }
static void fx_w_iter_free(void *it) { fx_real->iter_free(it); }

static const struct skv_storage_ops fx_wrap_ops = {
    .struct_size = sizeof(struct skv_storage_ops),
    .open = fx_w_open, .close = fx_w_close, .get = fx_w_get,
    .free_buf = fx_w_free_buf, .write = fx_w_write,
    .view_new = fx_w_view_new, .view_release = fx_w_view_release,
    .iter_new = fx_w_iter_new, .iter_seek = fx_w_iter_seek,
    .iter_seek_last = fx_w_iter_seek_last, .iter_valid = fx_w_iter_valid,
    .iter_next = fx_w_iter_next, .iter_prev = fx_w_iter_prev,
    .iter_key = fx_w_iter_key, .iter_value = fx_w_iter_value,
    .iter_status = fx_w_iter_status, .iter_free = fx_w_iter_free,
};

/* ---- fixture ------------------------------------------------------------ */

struct fx {
    struct skv_plugin_inst *inst;
    void *state;
    char *dir;
    char path[600];
    void *db;
    uv_loop_t loop;
    uv_timer_t deadline;
    int timed_out;
    struct raft_io io;
    int io_open;
    int closed;
    const struct skv_transport_ops *tr;
    void *tr_state;
    void (*env_tweak)(struct skv_raftio_env *env);   /* optional: more hooks */
};

static inline int fx_db_open(struct fx *f)
{
    struct skv_err err = {0};
    int rc = fx_real->open(f->state, f->path, &f->db, &err);
    if (rc != SKV_OK)
        fprintf(stderr, "open %s: %s\n", f->path, err.msg);
    return rc;
}

static inline void fx_db_close(struct fx *f)
{
    if (f->db)
        fx_real->close(f->db);
    f->db = NULL;
}

static inline int fx_setup(struct fx *f)
{
    struct skv_conf_plugin c;
    struct skv_err err = {0};
    int rc;
    memset(f, 0, sizeof *f);
    memset(&c, 0, sizeof c);
    c.name = strdup("leveldb");
    rc = skv_plugin_load(SKV_KIND_STORAGE, &c, "test.yaml", NULL, 0, NULL,
                         &f->inst, &err);
    free(c.name);
    if (rc != SKV_OK) {
        fprintf(stderr, "load leveldb plugin: %s\n", err.msg);
        return -1;
    }
    fx_real = skv_plugin_ops(f->inst);
    f->state = skv_plugin_state(f->inst);
    atomic_store(&fx_writes, 0);
    atomic_store(&fx_unsynced, 0);
    atomic_store(&fx_fail_writes, 0);
    atomic_store(&fx_gate, 0);
    atomic_store(&fx_fatals, 0);
    if (!(f->dir = skv_test_tmpdir("raftio")))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/db", f->dir);
    if (uv_loop_init(&f->loop) != 0)
        return -1;
    uv_timer_init(&f->loop, &f->deadline);
    f->deadline.data = f;
    return fx_db_open(f) == SKV_OK ? 0 : -1;
}

static inline void fx_deadline_cb(uv_timer_t *t)
{
    ((struct fx *)t->data)->timed_out = 1;
}

/* Run the loop until *flag >= want or `ms` elapse. Returns 1 if reached. */
static inline int fx_wait(struct fx *f, const volatile int *flag, int want,
                          unsigned ms)
{
    f->timed_out = 0;
    uv_timer_start(&f->deadline, fx_deadline_cb, ms, 0);
    while (*flag < want && !f->timed_out)
        uv_run(&f->loop, UV_RUN_ONCE);
    uv_timer_stop(&f->deadline);
    return *flag >= want;
}

/* Run one non-blocking loop iteration. */
static inline void fx_turn(struct fx *f) { uv_run(&f->loop, UV_RUN_NOWAIT); }

static inline int fx_io_open(struct fx *f)
{
    struct skv_raftio_env env;
    char err[256] = "";
    int rc;
    memset(&env, 0, sizeof env);
    memset(&f->io, 0, sizeof f->io);
    env.loop = &f->loop;
    env.st = &fx_wrap_ops;
    env.db = f->db;
    env.tr = f->tr;
    env.tr_state = f->tr_state;
    env.self_id = 1;
    env.fatal = fx_fatal_cb;
    if (f->env_tweak)
        f->env_tweak(&env);
    rc = skv_raftio_init(&f->io, &env, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "skv_raftio_init: %s\n", err);
        return rc;
    }
    f->io_open = 1;
    f->closed = 0;
    return f->io.init(&f->io, 1, "127.0.0.1:9001");
}

static inline void fx_close_cb(struct raft_io *io)
{
    struct fx *f = (struct fx *)((char *)io - offsetof(struct fx, io));
    f->closed++;
}

/* Close the adapter through io->close and wait for its callback. */
static inline int fx_io_close(struct fx *f)
{
    int ok;
    if (!f->io_open)
        return 1;
    f->closed = 0;
    f->io.close(&f->io, fx_close_cb);
    ok = fx_wait(f, &f->closed, 1, 5000);
    skv_raftio_destroy(&f->io);
    f->io_open = 0;
    return ok;
}

/* Close adapter and store, reopen both (durability across restarts). */
static inline int fx_reopen(struct fx *f)
{
    if (!fx_io_close(f))
        return -1;
    fx_db_close(f);
    if (fx_db_open(f) != SKV_OK)
        return -1;
    return fx_io_open(f);
}

static inline void fx_teardown(struct fx *f)
{
    fx_io_close(f);
    fx_db_close(f);
    uv_close((uv_handle_t *)&f->deadline, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&f->loop) != 0)
        fprintf(stderr, "warning: loop still has handles\n");
    skv_plugin_unload(f->inst);
    skv_test_rmtree(f->dir);
    free(f->dir);
    memset(f, 0, sizeof *f);
}

/* ---- raft helpers ---------------------------------------------------------- */

static inline void fx_conf(struct raft_configuration *c, unsigned n)
{
    char addr[64];
    raft_configuration_init(c);
    for (unsigned i = 1; i <= n; i++) {
        snprintf(addr, sizeof addr, "127.0.0.1:%u", 9000 + i);
        raft_configuration_add(c, i, addr, RAFT_VOTER);
    }
}

/* Everything io->load returns, freed with fx_loaded_free. */
struct fx_loaded {
    raft_term term;
    raft_id vote;
    struct raft_snapshot *snap;
    raft_index start;
    struct raft_entry *entries;
    size_t n;
};

static inline int fx_load(struct fx *f, struct fx_loaded *l)
{
    memset(l, 0, sizeof *l);
    return f->io.load(&f->io, &l->term, &l->vote, &l->snap, &l->start,
                      &l->entries, &l->n);
}

static inline void fx_loaded_free(struct fx_loaded *l)
{
    void *last = NULL;
    if (l->snap) {
        raft_configuration_close(&l->snap->configuration);
        for (unsigned i = 0; i < l->snap->n_bufs; i++)
            raft_free(l->snap->bufs[i].base);
        raft_free(l->snap->bufs);
        raft_free(l->snap);
    }
    for (size_t i = 0; i < l->n; i++)
        if (l->entries[i].batch != last)
            raft_free(last = l->entries[i].batch);
    raft_free(l->entries);
    memset(l, 0, sizeof *l);
}

#endif
