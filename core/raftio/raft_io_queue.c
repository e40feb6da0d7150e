/* SPDX-License-Identifier: MIT */
/*
 * raft_io_queue.c — the raft_io adapter's worker jobs. Log requests
 * (append, truncate, snapshot_put) form one FIFO executed one job at a
 * time on the libuv pool, so they reach storage in raft's order; a job is
 * either one truncate, one snapshot_put, or every append queued back to
 * back (group commit: one synced batch). async_work runs as an
 * independent job (snapshot_get has its own: raft_io_snapget.c).
 * Callbacks always fire on the loop thread.
 */
#include "raftio/raft_io_impl.h"
#include "raftio/raft_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rio_log_job {
    uv_work_t work;
    struct skv_rio *rio;
    struct skv_rio_op *ops; /* one kind; several only for appends */
    int status;
    int soft;               /* failed without touching the log: not sticky */
    char errmsg[RAFT_ERRMSG_BUF_SIZE];
};

static int rio_closing(struct raft_io *io)
{
    struct skv_rio *rio = io->impl;
    if (!rio->closing)
        return 0;
    snprintf(io->errmsg, sizeof io->errmsg, "raft io is closing");
    return 1;
}

/* A new op of `kind`: NULL with *rc and io->errmsg set when the io is
 * closing or out of memory. */
static struct skv_rio_op *op_new(struct raft_io *io, int kind, int *rc)
{
    struct skv_rio_op *op = skv_rio_new(io, sizeof *op, rc);
    if (op)
        op->kind = kind;
    return op;
}

static void op_push(struct skv_rio *rio, struct skv_rio_op *op)
{
    SKV_RIO_FIFO_PUSH(rio->q_head, rio->q_tail, op);
    skv_rio_wake(rio);
}

/* env.install_discard_leak (C-Raft before 0.17.1): raft discards an
 * installed snapshot (its put failed, or raft is closing) freeing its
 * data but not the one-element array that holds it. That array, for the
 * caller to free once the callback returned, or NULL. An installed
 * snapshot is a full or spooled one (SKVSNAP1/2/4): C-Raft's own local
 * snapshots (SKVSNAP3) go through snapshot_finalize, which frees all. */
static void *install_discard_leak(const struct skv_rio *rio, const struct skv_rio_op *op,
                                  int status)
{
    const struct raft_snapshot *s = op->snapshot;
    if (rio->env.install_discard_leak && (status != 0 || rio->closing) && op->put->cb && s &&
        s->n_bufs == 1 && s->bufs &&
        !(s->bufs[0].len >= 8 && memcmp(s->bufs[0].base, "SKVSNAP3", 8) == 0))
        return s->bufs;
    return NULL;
}

/* Fire the callbacks of a finished job's ops, in order, and free them. */
static void ops_finish(struct skv_rio *rio, struct skv_rio_op *op, int status)
{
    while (op) {
        struct skv_rio_op *next = op->next;
        if (op->kind == SKV_RIO_APPEND && op->append->cb)
            op->append->cb(op->append, status);
        else if (op->kind == SKV_RIO_SNAP_PUT) {
            void *leak = install_discard_leak(rio, op, status);
            if (op->put->cb)
                op->put->cb(op->put, status);
            raft_free(leak);
            if (--rio->snap_puts == 0 && rio->install_parked)
                skv_rio_wake(rio); /* skv_rio_install_deliver */
        }
        free(op);
        op = next;
    }
}

/* ---- raft_io methods ---------------------------------------------------- */

/* Tell the node (env.conf_seen) of every configuration among entries. */
static void confs_seen(struct skv_rio *rio, const struct raft_entry *e, unsigned n)
{
    struct raft_configuration c;
    for (unsigned i = 0; i < n && rio->env.conf_seen; i++) {
        if (e[i].type != RAFT_CHANGE)
            continue;
        char why[128];
        raft_configuration_init(&c);
        if (skv_raft_conf_decode(e[i].buf.base, e[i].buf.len, &c, why, sizeof why) == 0)
            rio->env.conf_seen(rio->env.log_arg, &c);
        raft_configuration_close(&c);
    }
}

int skv_rio_append(struct raft_io *io, struct raft_io_append *req,
                   const struct raft_entry entries[], unsigned n,
                   raft_io_append_cb cb)
{
    struct skv_rio *rio = io->impl;
    int rc;
    struct skv_rio_op *op = op_new(io, SKV_RIO_APPEND, &rc);
    if (!op)
        return rc;
    req->cb = cb;
    op->append = req;
    op->entries = entries;
    op->n = n;
    op->index = rio->next_index;
    rio->next_index += n;
    op_push(rio, op);
    confs_seen(rio, entries, n);
    return 0;
}

int skv_rio_truncate(struct raft_io *io, raft_index index)
{
    struct skv_rio *rio = io->impl;
    struct skv_rio_op *op;
    int rc;
    if (rio_closing(io))
        return RAFT_CANCELED;
    if (index == 0 || index > rio->next_index) {
        snprintf(io->errmsg, sizeof io->errmsg,
                 "truncate at %llu: next index is %llu", index,
                 rio->next_index);
        return RAFT_INVALID;
    }
    if (!(op = op_new(io, SKV_RIO_TRUNCATE, &rc)))
        return rc;
    op->index = index;
    rio->next_index = index;
    op_push(rio, op);
    return 0;
}

int skv_rio_snapshot_put(struct raft_io *io, unsigned trailing,
                         struct raft_io_snapshot_put *req,
                         const struct raft_snapshot *snapshot,
                         raft_io_snapshot_put_cb cb)
{
    struct skv_rio *rio = io->impl;
    struct skv_rio_op *op;
    int rc;
    if (rio_closing(io))
        return RAFT_CANCELED;
    if (!snapshot || snapshot->index == 0) {
        snprintf(io->errmsg, sizeof io->errmsg, "snapshot put: no snapshot");
        return RAFT_INVALID;
    }
    if (!(op = op_new(io, SKV_RIO_SNAP_PUT, &rc)))
        return rc;
    req->cb = cb;
    op->put = req;
    op->snapshot = snapshot;
    op->n = trailing;
    if (trailing == 0) { /* installed snapshot replaces the whole log */
        rio->next_index = snapshot->index + 1;
        if (rio->env.conf_seen)
            rio->env.conf_seen(rio->env.log_arg, NULL);
    }
    skv_rio_logf(rio, trailing == 0 ? SKV_LOG_INFO : SKV_LOG_DEBUG,
                 trailing == 0 ? "installing snapshot from the leader at index %llu"
                               : "storing local snapshot at index %llu",
                 snapshot->index);
    rio->snap_puts++;
    op_push(rio, op);
    return 0;
}

/* ---- log jobs ------------------------------------------------------------ */

static int log_append(struct rio_log_job *job)
{
    struct skv_ls_run *runs;
    size_t n = 0, i = 0;
    int rc;
    for (struct skv_rio_op *op = job->ops; op; op = op->next)
        n++;
    if (!(runs = calloc(n, sizeof *runs))) {
        snprintf(job->errmsg, sizeof job->errmsg, "append: out of memory");
        return RAFT_NOMEM;
    }
    for (struct skv_rio_op *op = job->ops; op; op = op->next, i++) {
        runs[i] = (struct skv_ls_run){op->index, op->entries, op->n};
        if (op->n && op->index < job->rio->log_floor)
            job->rio->log_floor = op->index; /* before the write: never too high */
    }
    rc = skv_ls_append(&job->rio->ls, runs, n, job->errmsg);
    free(runs);
    return rc;
}

/* An installed snapshot whose data is a spool reference (fsm/snap_hdr.h
 * v4: its last SKV_SPOOL_REF_LEN bytes) stores it only once the spool file
 * is durable (fsync'd, renamed, directory fsync'd). A spool that is not
 * the one referenced (a newer transfer replaced it) fails this put alone
 * (job->soft: the log stays writable; the leader sends again). */
static int spool_commit(struct rio_log_job *job)
{
    const struct raft_snapshot *s = job->ops->snapshot;
    const struct skv_raftio_env *env = &job->rio->env;
    struct skv_spool_meta m;
    const uint8_t *d;
    size_t len;
    if (!env->spool_dir || !s || s->n_bufs != 1)
        return 0;
    d = s->bufs[0].base;
    len = s->bufs[0].len;
    if (len < 8 + SKV_SPOOL_REF_LEN || memcmp(d, "SKVSNAP4", 8) != 0)
        return 0;
    skv_spool_ref_decode(d + len - SKV_SPOOL_REF_LEN, &m);
    if (skv_spool_commit(env->spool_dir, &m, job->errmsg, sizeof job->errmsg) != 0) {
        job->soft = 1;
        return RAFT_IOERR;
    }
    if (env->crash_point)   /* spool durable, its reference not stored yet */
        env->crash_point("snapshot", "after-spool");
    return 0;
}

static void log_work_cb(uv_work_t *w)
{
    struct rio_log_job *job = w->data;
    const struct skv_rio_op *op = job->ops;
    const struct skv_ls *ls = &job->rio->ls;
    switch (op->kind) {
    case SKV_RIO_APPEND:
        job->status = log_append(job);
        break;
    case SKV_RIO_TRUNCATE:
        job->status = skv_ls_truncate(ls, op->index, job->errmsg);
        break;
    case SKV_RIO_SNAP_PUT:
        if ((job->status = spool_commit(job)) == 0)
            job->status = skv_ls_snapshot_put(ls, op->n, op->snapshot,
                                              &job->rio->log_floor, job->errmsg);
        break;
    default:
        job->status = RAFT_INVALID;
        snprintf(job->errmsg, sizeof job->errmsg, "unknown log op %d",
                 op->kind);
    }
}

/* One successful synced batch (metrics). */
static void count_sync(struct skv_rio *rio, const struct skv_rio_op *op)
{
    rio->stats.syncs++;
    rio->stats.append_syncs += op->kind == SKV_RIO_APPEND;
    for (; op && op->kind == SKV_RIO_APPEND; op = op->next)
        rio->stats.entries += op->n;
}

/* Reverse a list of ops. */
static struct skv_rio_op *ops_reverse(struct skv_rio_op *op)
{
    struct skv_rio_op *prev = NULL;
    while (op) {
        struct skv_rio_op *next = op->next;
        op->next = prev;
        prev = op;
        op = next;
    }
    return prev;
}

/* A log write failed: the log is read-only from now on. Everything still
 * queued fails with it, all at once and newest first — C-Raft truncates
 * its in-memory log at each failed append's index, so failing them oldest
 * first would truncate past the end after the first one. The node is told
 * (env.fatal) before any callback runs, so it halts instead of going on
 * without a durable log. */
static struct skv_rio_op *fail_all(struct rio_log_job *job)
{
    struct skv_rio *rio = job->rio;
    struct skv_rio_op *all = job->ops, *last = all;
    int first = !rio->failed;
    rio->failed = 1;
    memcpy(rio->io->errmsg, job->errmsg, sizeof rio->io->errmsg);
    skv_rio_logf(rio, SKV_LOG_ERROR, "raft log write failed: %s", job->errmsg);
    while (last && last->next)
        last = last->next;
    if (last)
        last->next = rio->q_head;
    else
        all = rio->q_head;
    rio->q_head = rio->q_tail = NULL;
    if (first && rio->env.fatal)
        rio->env.fatal(rio->env.log_arg, job->errmsg);
    return ops_reverse(all);
}

/* Loop thread: report, fire callbacks, go on with the queue. */
static void log_job_done(struct rio_log_job *job)
{
    struct skv_rio *rio = job->rio;
    struct skv_rio_op *ops = job->ops;
    if (job->status == 0) {
        count_sync(rio, job->ops);
    } else if (job->soft) {
        skv_rio_logf(rio, SKV_LOG_WARN, "raft: snapshot put failed: %s", job->errmsg);
        memcpy(rio->io->errmsg, job->errmsg, sizeof rio->io->errmsg);
    } else {
        ops = fail_all(job);
    }
    ops_finish(rio, ops, job->status);
    free(job);
    if (rio->closing)
        skv_rio_maybe_closed(rio);
    else if (rio->q_head)
        skv_rio_wake(rio);
}

/* ---- an installed spooled snapshot: its key space, then the callback -- */

static void install_done(void *ctx, int status)
{
    struct rio_log_job *job = ctx;
    struct skv_rio *rio = job->rio;
    rio->installing = 0;
    if (status != 0) {   /* the reference is stored; the log is fine */
        job->status = status;
        job->soft = 1;
        snprintf(job->errmsg, sizeof job->errmsg, "the snapshot's key space was not "
                 "installed: %s", raft_strerror(status));
    }
    rio->log_busy = 0;
    rio->n_work--;
    log_job_done(job);
}

/* An installed snapshot whose data is a spool reference was just stored:
 * replace the key space (env.spool_install) before C-Raft hears of it.
 * 1: started, install_done ends the job (log_busy and n_work stay). */
static int install_start(struct rio_log_job *job)
{
    struct skv_rio *rio = job->rio;
    const struct skv_rio_op *op = job->ops;
    const struct raft_snapshot *s = op->snapshot;
    int rc;
    if (job->status != 0 || op->kind != SKV_RIO_SNAP_PUT || op->n != 0 || rio->closing ||
        !rio->env.spool_install || !s || s->n_bufs != 1 || s->bufs[0].len < 8 ||
        memcmp(s->bufs[0].base, "SKVSNAP4", 8) != 0)
        return 0;
    rc = rio->env.spool_install(rio->env.snap_arg, &s->bufs[0], install_done, job);
    if (rc == 0) {
        rio->installing = 1;
        return 1;
    }
    if (rc != 1) {
        job->status = rc;
        job->soft = 1;
        snprintf(job->errmsg, sizeof job->errmsg, "the snapshot's key space cannot be "
                 "installed: %s", raft_strerror(rc));
    }
    return 0;
}

static void queue_start(struct skv_rio *rio, int early);

/* Loop thread: a log job finished on its worker. A job that succeeded
 * hands the disk to the next one (the appends queued while it synced)
 * before its callbacks run: they commit, apply, answer clients and write
 * the FSM's round, and the next synced batch need not wait for all that
 * (at PUT c8 the disk sat idle for ~0.4 ms of each ~0.8 ms round). Storage
 * order is the queue's either way; callbacks still fire in queue order,
 * since the next job's come from a later after_cb. A failed job does not:
 * fail_all takes what is still queued. */
static void log_after_cb(uv_work_t *w, int status)
{
    struct rio_log_job *job = w->data;
    struct skv_rio *rio = job->rio;
    (void)status; /* jobs are never uv_cancel()ed */
    if (install_start(job))
        return;
    rio->log_busy = 0;
    rio->n_work--;
    if (job->status == 0)
        queue_start(rio, 1);
    log_job_done(job);
}

/* Take the next job's ops off the queue: one op, or a run of appends. */
static struct skv_rio_op *queue_take(struct skv_rio *rio)
{
    struct skv_rio_op *first = rio->q_head, *last = first;
    if (first->kind == SKV_RIO_APPEND)
        while (last->next && last->next->kind == SKV_RIO_APPEND)
            last = last->next;
    rio->q_head = last->next;
    if (!rio->q_head)
        rio->q_tail = NULL;
    last->next = NULL;
    return first;
}

/* Put a job's ops back at the head of the queue (an early start that
 * could not be made: the idle handle retries it after the callbacks). */
static void queue_untake(struct skv_rio *rio, struct rio_log_job *job)
{
    struct skv_rio_op *last = job->ops;
    while (last->next)
        last = last->next;
    last->next = rio->q_head;
    rio->q_head = job->ops;
    if (!rio->q_tail)
        rio->q_tail = last;
    free(job);
}

/* Start the next log job on a worker. `early`: called from the previous
 * job's after_cb before its callbacks fire — then nothing may fail here
 * (a failure's callbacks would run before the earlier job's), so a failed
 * log or a failed start leaves the ops queued for the idle handle. */
static void queue_start(struct skv_rio *rio, int early)
{
    struct rio_log_job *job;
    int rc;
    if (rio->log_busy || !rio->q_head || rio->closing || (early && rio->failed))
        return;
    if (!(job = calloc(1, sizeof *job)))
        return; /* the idle handle stays on: retried next turn */
    job->rio = rio;
    job->ops = queue_take(rio);
    job->work.data = job;
    if (rio->failed) {
        job->status = RAFT_IOERR;
        snprintf(job->errmsg, sizeof job->errmsg,
                 "an earlier raft log write failed; log is read-only");
        log_job_done(job);
        return;
    }
    rc = uv_queue_work(rio->env.loop, &job->work, log_work_cb, log_after_cb);
    if (rc != 0 && early) {
        queue_untake(rio, job);
        return;
    }
    if (rc != 0) {
        job->status = RAFT_IOERR;
        snprintf(job->errmsg, sizeof job->errmsg, "queue log write: %s",
                 uv_strerror(rc));
        log_job_done(job);
        return;
    }
    rio->log_busy = 1;
    rio->n_work++;
}

void skv_rio_queue_kick(struct skv_rio *rio)
{
    queue_start(rio, 0);
}

/* Close: fail what never reached the worker, newest first — the same
 * reason as fail_all: C-Raft truncates its in-memory log at a failed
 * append's index, so an oldest-first cancel left every later callback
 * releasing entries that truncation had already freed (heap corruption or
 * SIGSEGV at SIGTERM under load, 30-60% of the time with frequent
 * snapshots). */
void skv_rio_queue_cancel(struct skv_rio *rio)
{
    struct skv_rio_op *ops = rio->q_head;
    rio->q_head = rio->q_tail = NULL;
    ops_finish(rio, ops_reverse(ops), RAFT_CANCELED);
}

/* ---- independent jobs (async_work) ------------------------------------- */

/* One request run on the libuv pool apart from the log FIFO: `work` on a
 * worker, then `done` on the loop thread with a copy of the job (the job
 * itself is freed first). */
struct rio_job {
    uv_work_t work;
    struct skv_rio *rio;
    void *req;                      /* the raft_io request */
    void (*done)(const struct rio_job *job);
    int status;
    char errmsg[RAFT_ERRMSG_BUF_SIZE];
};

static void job_after_cb(uv_work_t *w, int status)
{
    struct rio_job job = *(struct rio_job *)w->data;
    (void)status; /* jobs are never uv_cancel()ed */
    job.rio->n_work--;
    free(w->data);
    job.done(&job);
    skv_rio_maybe_closed(job.rio);
}

/* Queue a job for `req` on the libuv pool. 0, or RAFT_CANCELED /
 * RAFT_NOMEM / RAFT_IOERR with io->errmsg set. */
static int job_start(struct raft_io *io, void *req, uv_work_cb work_cb,
                     void (*done)(const struct rio_job *), const char *what)
{
    struct skv_rio *rio = io->impl;
    struct rio_job *job;
    int rc;
    if (!(job = skv_rio_new(io, sizeof *job, &rc)))
        return rc;
    *job = (struct rio_job){.rio = rio, .req = req, .done = done};
    job->work.data = job;
    rc = uv_queue_work(rio->env.loop, &job->work, work_cb, job_after_cb);
    if (rc != 0) {
        free(job);
        snprintf(io->errmsg, sizeof io->errmsg, "queue %s: %s", what, uv_strerror(rc));
        return RAFT_IOERR;
    }
    rio->n_work++;
    return 0;
}

/* ---- async_work (io version 2) ------------------------------------------- */

static void async_work_cb(uv_work_t *w)
{
    struct rio_job *job = w->data;
    struct raft_io_async_work *req = job->req;
    job->status = req->work ? req->work(req) : 0;
}

static void async_done(const struct rio_job *job)
{
    struct raft_io_async_work *req = job->req;
    if (req->cb)
        req->cb(req, job->status);
}

int skv_rio_async_work(struct raft_io *io, struct raft_io_async_work *req,
                       raft_io_async_work_cb cb)
{
    req->cb = cb;
    return job_start(io, req, async_work_cb, async_done, "async work");
}
