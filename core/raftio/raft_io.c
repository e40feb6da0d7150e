/* SPDX-License-Identifier: MIT */
/*
 * raft_io.c — the raft_io adapter's lifecycle: init/destroy, io->init,
 * start (tick timer), close sequencing, the deferred-work idle handle,
 * time/random, and the synchronous storage methods (load, bootstrap,
 * recover, set_term, set_vote). Log writes are in raft_io_queue.c,
 * messages in raft_io_net.c.
 */
#include "raftio/raft_io_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void skv_rio_logf(const struct skv_rio *rio, int level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (!rio->env.log)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rio->env.log(rio->env.log_arg, level, msg);
}

/* ---- deferred work and close sequencing -------------------------------- */

static void rio_idle_cb(uv_idle_t *h)
{
    struct skv_rio *rio = h->data;
    skv_rio_sends_fire(rio);
    skv_rio_queue_kick(rio);
    skv_rio_install_deliver(rio);
    if (!rio->s_head && (rio->log_busy || !rio->q_head))
        uv_idle_stop(h);
}

void *skv_rio_new(struct raft_io *io, size_t size, int *rc)
{
    struct skv_rio *rio = io->impl;
    void *p;
    if (rio->closing) {
        snprintf(io->errmsg, sizeof io->errmsg, "raft io is closing");
        *rc = RAFT_CANCELED;
        return NULL;
    }
    if (!(p = calloc(1, size))) {
        snprintf(io->errmsg, sizeof io->errmsg, "out of memory");
        *rc = RAFT_NOMEM;
    }
    return p;
}

void skv_rio_wake(struct skv_rio *rio)
{
    if (!rio->closing)
        uv_idle_start(&rio->idle, rio_idle_cb);
}

static void rio_free(struct skv_rio *rio)
{
    skv_rio_install_drop(rio);
    skv_rio_xfer_cancel(rio);
    skv_rio_peers_free(rio);
    free(rio->address);
    free(rio);
}

void skv_rio_maybe_closed(struct skv_rio *rio)
{
    raft_io_close_cb cb = rio->close_cb;
    struct raft_io *io = rio->io;
    if (!rio->closing || rio->handles > 0 || rio->close_fired)
        return;
    skv_rio_xfer_cancel(rio); /* their callbacks join the sends fired next */
    skv_rio_sends_fire(rio);
    skv_rio_gets_cancel(rio);
    skv_rio_install_drop(rio);
    if (!rio->log_busy)
        skv_rio_queue_cancel(rio);
    if (rio->n_work > 0 || rio->log_busy)
        return;
    rio->close_fired = 1;
    if (rio->free_on_close)
        rio_free(rio);
    if (cb)
        cb(io); /* may destroy rio: nothing after this */
}

static void rio_handle_closed(uv_handle_t *h)
{
    struct skv_rio *rio = h->data;
    rio->handles--;
    skv_rio_maybe_closed(rio);
}

static void rio_begin_close(struct skv_rio *rio)
{
    rio->closing = 1;
    if (rio->installing && rio->env.spool_cancel)
        rio->env.spool_cancel(rio->env.snap_arg);
    uv_timer_stop(&rio->timer);
    uv_close((uv_handle_t *)&rio->timer, rio_handle_closed);
    uv_close((uv_handle_t *)&rio->idle, rio_handle_closed);
}

static void rio_close(struct raft_io *io, raft_io_close_cb cb)
{
    struct skv_rio *rio = io->impl;
    if (rio->closing)
        return;
    rio->close_cb = cb;
    rio_begin_close(rio);
}

/* ---- init / start / clock / random ------------------------------------- */

static int rio_init(struct raft_io *io, raft_id id, const char *address)
{
    struct skv_rio *rio = io->impl;
    char *copy;
    if (rio->env.self_id && id != rio->env.self_id) {
        snprintf(io->errmsg, sizeof io->errmsg,
                 "raft server id %llu differs from node id %llu", id,
                 (unsigned long long)rio->env.self_id);
        return RAFT_INVALID;
    }
    if (!(copy = strdup(address ? address : ""))) {
        snprintf(io->errmsg, sizeof io->errmsg, "out of memory");
        return RAFT_NOMEM;
    }
    free(rio->address);
    rio->address = copy;
    rio->id = id;
    return 0;
}

static void rio_timer_cb(uv_timer_t *t)
{
    struct skv_rio *rio = t->data;
    if (!rio->closing && !rio->silenced && rio->tick_cb)
        rio->tick_cb(rio->io);
    if (!rio->closing)
        skv_rio_gets_retry(rio);
    if (!rio->closing)
        skv_rio_xfer_pump(rio);
    if (!rio->closing)
        skv_rio_sdesc_expire(rio, 0);
}

void skv_raftio_silence(struct raft_io *io)
{
    struct skv_rio *rio = io ? io->impl : NULL;
    if (!rio || rio->silenced)
        return;
    rio->silenced = 1;
    if (rio->started && !rio->closing)
        uv_timer_stop(&rio->timer);
}

static int rio_start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                     raft_io_recv_cb recv)
{
    struct skv_rio *rio = io->impl;
    int rc;
    if (rio->closing)
        return RAFT_CANCELED;
    if (rio->started) {
        snprintf(io->errmsg, sizeof io->errmsg, "raft io already started");
        return RAFT_BUSY;
    }
    rio->tick_cb = tick;
    rio->recv_cb = recv;
    rc = uv_timer_start(&rio->timer, rio_timer_cb, msecs, msecs);
    if (rc != 0) {
        snprintf(io->errmsg, sizeof io->errmsg, "start tick timer: %s",
                 uv_strerror(rc));
        return RAFT_IOERR;
    }
    rio->started = 1;
    return 0;
}

static raft_time rio_time(struct raft_io *io)
{
    struct skv_rio *rio = io->impl;
    return uv_now(rio->env.loop);
}

/* splitmix64: small, good enough for election jitter, per instance. */
static uint64_t rio_rand64(struct skv_rio *rio)
{
    uint64_t z = (rio->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A value in [min, max) like C-Raft's uv backend (min when max <= min). */
static int rio_random(struct raft_io *io, int min, int max)
{
    struct skv_rio *rio = io->impl;
    uint64_t span;
    if (max <= min)
        return min;
    span = (uint64_t)((int64_t)max - (int64_t)min);
    return (int)((int64_t)min + (int64_t)(rio_rand64(rio) % span));
}

static void rio_seed(struct skv_rio *rio)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
        seed = uv_hrtime() ^ ((uint64_t)(uintptr_t)rio << 16);
    rio->rng = seed ^ (rio->env.self_id * 0x9e3779b97f4a7c15ULL);
}

/* ---- synchronous storage methods --------------------------------------- */

static int rio_load(struct raft_io *io, raft_term *term, raft_id *voted_for,
                    struct raft_snapshot **snapshot, raft_index *start_index,
                    struct raft_entry *entries[], size_t *n_entries)
{
    struct skv_rio *rio = io->impl;
    int rc = skv_ls_load(&rio->ls, term, voted_for, snapshot, start_index,
                         entries, n_entries, io->errmsg);
    if (rc != 0) {
        skv_rio_logf(rio, SKV_LOG_ERROR, "raft load: %s", io->errmsg);
        return rc;
    }
    rio->hs_known = 1;
    rio->term = *term;
    rio->vote = *voted_for;
    rio->next_index = *start_index + *n_entries;
    return 0;
}

static int rio_bootstrap(struct raft_io *io,
                         const struct raft_configuration *conf)
{
    struct skv_rio *rio = io->impl;
    int rc = skv_ls_bootstrap(&rio->ls, conf, io->errmsg);
    rio->log_floor = 0; /* it wrote entry 1 */
    if (rc != 0)
        return rc;
    rio->hs_known = 1;
    rio->term = 1;
    rio->vote = 0;
    return 0;
}

static int rio_recover(struct raft_io *io,
                       const struct raft_configuration *conf)
{
    struct skv_rio *rio = io->impl;
    rio->hs_known = 0; /* recover may raise the stored term */
    rio->log_floor = 0; /* it appends an entry */
    return skv_ls_recover(&rio->ls, conf, io->errmsg);
}

/* set_term / set_vote failed: the term or vote this node acts on may not
 * be durable, so it must not go on (it could vote twice in a term after a
 * restart). Sticky like a failed log write: every later hard-state or log
 * write fails, and the node is told (env.fatal) and halts. */
static int hard_state_failed(struct skv_rio *rio, const char *what, int rc)
{
    char msg[RAFT_ERRMSG_BUF_SIZE + 32];
    int first = !rio->failed;
    rio->hs_known = 0;
    rio->failed = 1;
    snprintf(msg, sizeof msg, "raft %s: %s", what, rio->io->errmsg);
    skv_rio_logf(rio, SKV_LOG_ERROR, "%s", msg);
    if (first && rio->env.fatal)
        rio->env.fatal(rio->env.log_arg, msg);
    return rc;
}

static int hard_state_refused(struct skv_rio *rio, const char *what)
{
    snprintf(rio->io->errmsg, sizeof rio->io->errmsg,
             "%s refused: an earlier raft write failed", what);
    return RAFT_IOERR;
}

static int rio_set_term(struct raft_io *io, raft_term term)
{
    struct skv_rio *rio = io->impl;
    int rc;
    if (rio->failed)
        return hard_state_refused(rio, "set_term");
    rc = skv_ls_set_hard_state(&rio->ls, term, 0, io->errmsg);
    if (rc != 0)
        return hard_state_failed(rio, "set_term", rc);
    rio->hs_known = 1;
    rio->term = term;
    rio->vote = 0;
    return 0;
}

static int rio_set_vote(struct raft_io *io, raft_id server_id)
{
    struct skv_rio *rio = io->impl;
    int rc = 0;
    if (rio->failed)
        return hard_state_refused(rio, "set_vote");
    if (!rio->hs_known)
        rc = skv_ls_hard_state(&rio->ls, &rio->term, &rio->vote, io->errmsg);
    if (rc == 0)
        rc = skv_ls_set_hard_state(&rio->ls, rio->term, server_id,
                                   io->errmsg);
    if (rc != 0)
        return hard_state_failed(rio, "set_vote", rc);
    rio->hs_known = 1;
    rio->vote = server_id;
    return 0;
}

/* ---- public ------------------------------------------------------------ */

static int env_check(const struct skv_raftio_env *env, char *err,
                     size_t errlen)
{
    const struct skv_storage_ops *st = env ? env->st : NULL;
    const char *why = NULL;
    if (!env || !env->loop || !st || !env->db)
        why = "missing loop, storage ops or storage handle";
    else if (!SKV_COVERS(st, struct skv_storage_ops, iter_free) || !st->get ||
             !st->free_buf || !st->write || !st->view_new ||
             !st->view_release || !st->iter_new || !st->iter_seek ||
             !st->iter_valid || !st->iter_next || !st->iter_key ||
             !st->iter_value || !st->iter_status || !st->iter_free)
        why = "storage ops table lacks a required member";
    else if (env->tr && !SKV_HAS(env->tr, struct skv_transport_ops, send))
        why = "transport ops table lacks send";
    if (why && err && errlen)
        snprintf(err, errlen, "raft io: %s", why);
    return why ? RAFT_INVALID : 0;
}

static void rio_set_methods(struct raft_io *io)
{
    io->version = 2;
    io->init = rio_init;
    io->close = rio_close;
    io->load = rio_load;
    io->start = rio_start;
    io->bootstrap = rio_bootstrap;
    io->recover = rio_recover;
    io->set_term = rio_set_term;
    io->set_vote = rio_set_vote;
    io->send = skv_rio_send;
    io->append = skv_rio_append;
    io->truncate = skv_rio_truncate;
    io->snapshot_put = skv_rio_snapshot_put;
    io->snapshot_get = skv_rio_snapshot_get;
    io->time = rio_time;
    io->random = rio_random;
    io->async_work = skv_rio_async_work;
}

int skv_raftio_init(struct raft_io *io, const struct skv_raftio_env *env,
                    char *err, size_t errlen)
{
    struct skv_rio *rio;
    int rc = io ? env_check(env, err, errlen) : RAFT_INVALID;
    if (rc != 0)
        return rc;
    if (!(rio = calloc(1, sizeof *rio))) {
        if (err && errlen)
            snprintf(err, errlen, "raft io: out of memory");
        return RAFT_NOMEM;
    }
    rio->io = io;
    rio->env = *env;
    rio->ls = (struct skv_ls){env->st, env->db};
    rio->id = env->self_id;
    rio->next_index = 1;
    uv_timer_init(env->loop, &rio->timer);
    uv_idle_init(env->loop, &rio->idle);
    rio->timer.data = rio->idle.data = rio;
    rio->handles = 2;
    skv_spool_w_init(&rio->xin.spool);
    if (env->spool_dir)   /* a transfer the last run did not finish */
        skv_spool_remove(env->spool_dir, 0);
    rio_seed(rio);
    io->impl = rio;
    rio_set_methods(io);
    return 0;
}

void skv_raftio_stats(const struct raft_io *io, struct skv_raftio_stats *out)
{
    const struct skv_rio *rio = io ? io->impl : NULL;
    *out = rio ? rio->stats : (struct skv_raftio_stats){0, 0, 0};
}

void skv_raftio_destroy(struct raft_io *io)
{
    struct skv_rio *rio = io ? io->impl : NULL;
    if (!rio)
        return;
    io->impl = NULL;
    if (rio->close_fired) {
        rio_free(rio);
        return;
    }
    /* Not closed yet: finish closing on the loop, then free. */
    rio->free_on_close = 1;
    if (!rio->closing)
        rio_begin_close(rio);
}
