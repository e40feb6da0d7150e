/* SPDX-License-Identifier: MIT */
/*
 * raft_io_snapget.c — raft_io->snapshot_get: the stored snapshot read on
 * a libuv worker and, when it is a local one, expanded into the full form
 * a follower installs (raft_io.h snap_*); a get that finds no storage
 * view yet is parked and retried at the next ticks.
 */
#include "raftio/raft_io_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raftio/raft_log_store.h"
#include "util/log.h"

/* ---- snapshot_get ------------------------------------------------------- */

/* A get that found no storage view for a local snapshot (RAFT_BUSY) is
 * parked and retried at every tick (env.snap_unpin has asked for a fresh
 * snapshot meanwhile) up to SKV_RIO_GET_TRIES times, instead of failing:
 * C-Raft 0.15 leaves a follower whose snapshot get failed in its snapshot
 * state until install_snapshot_timeout (30 s). */
#define SKV_RIO_GET_TRIES 200

struct rio_get_job {
    uv_work_t work;
    struct skv_rio *rio;
    struct raft_io_snapshot_get *req;
    struct raft_snapshot *snapshot;
    void *pin;                  /* env.snap_pin's handle */
    int status;
    int stream;                 /* send streamed: data becomes a descriptor */
    unsigned tries;
    struct rio_get_job *next;   /* rio->gets_parked */
    char errmsg[RAFT_ERRMSG_BUF_SIZE];
};

/* A local snapshot becomes the full one a follower installs: expanded in
 * memory when small (env.snap_expand), else to be streamed from the
 * pinned view (raft_io_sdesc.c). */
static int get_expand(struct rio_get_job *job)
{
    struct raft_snapshot *s = job->snapshot;
    int rc;
    if (!s || s->n_bufs != 1)
        return 0;
    rc = skv_rio_sdesc_plan(job->rio, job->pin, &s->bufs[0], job->errmsg, sizeof job->errmsg);
    job->stream = rc == 2;
    return rc == 2 ? 0 : rc;
}

static void get_work_cb(uv_work_t *w)
{
    struct rio_get_job *job = w->data;
    job->status = skv_ls_snapshot_get(&job->rio->ls, &job->snapshot,
                                      job->errmsg);
    if (job->status == 0 && (job->status = get_expand(job)) != 0) {
        skv_ls_free_loaded(job->snapshot, NULL, 0);
        job->snapshot = NULL;
    }
}

static void get_after_cb(uv_work_t *w, int status);

/* Pin a view and queue the job; 0, or an error with the job unpinned
 * (not freed). */
static int get_queue(struct skv_rio *rio, struct rio_get_job *job)
{
    int rc;
    job->pin = rio->env.snap_pin ? rio->env.snap_pin(rio->env.snap_arg) : NULL;
    job->work.data = job;
    rc = uv_queue_work(rio->env.loop, &job->work, get_work_cb, get_after_cb);
    if (rc != 0) {
        snprintf(job->errmsg, sizeof job->errmsg, "queue snapshot get: %s", uv_strerror(rc));
        if (rio->env.snap_unpin)
            rio->env.snap_unpin(rio->env.snap_arg, job->pin, RAFT_IOERR);
        return RAFT_IOERR;
    }
    rio->n_work++;
    return 0;
}

static void get_done(struct skv_rio *rio, struct rio_get_job *job, int rc)
{
    struct raft_io_snapshot_get *req = job->req;
    struct raft_snapshot *snapshot = rc == 0 ? job->snapshot : NULL;
    if (rc != 0) {
        memcpy(rio->io->errmsg, job->errmsg, sizeof rio->io->errmsg);
        if (rc != RAFT_CANCELED)   /* closing: nothing to warn about */
            skv_rio_logf(rio, SKV_LOG_WARN, "raft snapshot get: %s", job->errmsg);
    }
    free(job);
    if (req->cb)
        req->cb(req, snapshot, rc);
    else
        skv_ls_free_loaded(snapshot, NULL, 0);
}

/* The snapshot read is to be streamed: its data becomes a descriptor that
 * takes the job's pin (raft_io_sdesc.c). 0, or an error (snapshot freed). */
static int get_stream(struct skv_rio *rio, struct rio_get_job *job)
{
    if (!rio->closing &&
        skv_rio_sdesc_issue(rio, job->pin, &job->snapshot->bufs[0]) == 0) {
        job->pin = NULL;        /* the descriptor holds it until its send ends */
        skv_rio_logf(rio, SKV_LOG_INFO, "raft: snapshot %llu (over %u bytes full) will be "
                     "streamed from its storage view", (unsigned long long)job->snapshot->index,
                     SKV_RIO_XFER_CHUNK);
        return 0;
    }
    snprintf(job->errmsg, sizeof job->errmsg, "%s", rio->closing ? "closing" : "out of memory");
    skv_ls_free_loaded(job->snapshot, NULL, 0);
    job->snapshot = NULL;
    return rio->closing ? RAFT_CANCELED : RAFT_NOMEM;
}

static void get_after_cb(uv_work_t *w, int status)
{
    struct rio_get_job *job = w->data;
    struct skv_rio *rio = job->rio;
    int rc = job->status;
    (void)status;
    rio->n_work--;
    if (rc == 0 && job->stream)
        rc = get_stream(rio, job);
    if (job->pin && rio->env.snap_unpin)
        rio->env.snap_unpin(rio->env.snap_arg, job->pin, rc);
    else if (!job->pin && rc != 0 && rio->env.snap_unpin)
        rio->env.snap_unpin(rio->env.snap_arg, NULL, rc);
    job->pin = NULL;
    if (rc == RAFT_BUSY && !rio->closing && job->tries++ < SKV_RIO_GET_TRIES) {
        if (job->tries == 1)
            skv_rio_logf(rio, SKV_LOG_INFO, "raft snapshot get: %s; retrying", job->errmsg);
        job->next = rio->gets_parked;
        rio->gets_parked = job;
        rio->n_work++;          /* close waits for it (skv_rio_gets_cancel) */
    } else {
        get_done(rio, job, rc);
    }
    skv_rio_maybe_closed(rio);
}

void skv_rio_gets_retry(struct skv_rio *rio)
{
    struct rio_get_job *job = rio->gets_parked;
    rio->gets_parked = NULL;
    while (job) {
        struct rio_get_job *next = job->next;
        int rc;
        rio->n_work--;
        if ((rc = get_queue(rio, job)) != 0)
            get_done(rio, job, rc);
        job = next;
    }
}

void skv_rio_gets_cancel(struct skv_rio *rio)
{
    struct rio_get_job *job = rio->gets_parked;
    rio->gets_parked = NULL;
    while (job) {
        struct rio_get_job *next = job->next;
        rio->n_work--;
        snprintf(job->errmsg, sizeof job->errmsg, "closing");
        get_done(rio, job, RAFT_CANCELED);
        job = next;
    }
}

int skv_rio_snapshot_get(struct raft_io *io, struct raft_io_snapshot_get *req,
                         raft_io_snapshot_get_cb cb)
{
    struct skv_rio *rio = io->impl;
    int rc;
    struct rio_get_job *job = skv_rio_new(io, sizeof *job, &rc);
    if (!job)
        return rc;
    req->cb = cb;
    job->rio = rio;
    job->req = req;
    if ((rc = get_queue(rio, job)) != 0) {
        memcpy(io->errmsg, job->errmsg, sizeof io->errmsg);
        free(job);
    }
    return rc;
}
