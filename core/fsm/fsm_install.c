/* SPDX-License-Identifier: MIT */
/*
 * fsm_install.c — the install of a big snapshot (received into the spool
 * file) while the node serves, with its long steps off the loop thread.
 * C-Raft 0.15 stores an installed snapshot through io->snapshot_put and
 * calls fsm->restore from that request's callback, on the loop; a restore
 * of a data set of millions of keys there held the loop for seconds. So
 * the raft_io (env.spool_install, raftio/raft_io.h) calls
 * skv_fsm_install_start once the reference is stored, BEFORE it fires
 * that callback, and fires it when this is done; C-Raft's restore then
 * finds the key space restored (a no-op). Meanwhile C-Raft is "installing
 * a snapshot": it drops AppendEntries that carry entries, commits
 * nothing, applies nothing (raft_io's log FIFO waits too), takes no
 * snapshot of its own and ignores other InstallSnapshots (raft_io parks
 * the newest). The steps (fsm_restore_spool.h): check on a worker, adopt
 * on the loop, write on a worker, done on the loop. While it runs, every
 * reader of the key space refuses with ErrSnapshotInstalling
 * (skv_fsm_installing) and the encryption jobs' re-seal walk waits;
 * skv_fsm_install_cancel (the io closes) stops it at the next batch:
 * what is written is replaced again from the file at the next start.
 */
#include "fsm/fsm_restore_spool.h"

#include <stdlib.h>
#include <string.h>

struct skv_fsm_install {
    struct skv_fsm *f;
    struct skv_spool_job job;
    uv_work_t work;
    int stage;                /* 1 check, 2 write */
    int rc;                   /* the worker step's */
    atomic_int cancel;
    void (*done)(void *arg, int status);
    void *done_arg;
};

int skv_fsm_installing(const struct skv_fsm *f)
{
    return f->install != NULL;
}

/* Test builds: $SEALKV_TEST_INSTALL_PAUSE_MS, a pause after each
 * key-space batch, so that tests can act while an install runs. */
static unsigned pause_ms(void)
{
#ifdef SKV_TEST_HOOKS
    const char *s = getenv("SEALKV_TEST_INSTALL_PAUSE_MS");
    unsigned long v = s ? strtoul(s, NULL, 10) : 0;
    return v > 0 && v <= 10000 ? (unsigned)v : 0;
#else
    return 0;
#endif
}

static void end(struct skv_fsm_install *in, int status)
{
    struct skv_fsm *f = in->f;
    void (*done)(void *, int) = in->done;
    void *arg = in->done_arg;
    skv_spool_job_free(&in->job);
    free(in);
    f->install = NULL;
    f->installs++;   /* walks over the key space start again (purge.c) */
    done(arg, status);
}

static void work_cb(uv_work_t *w)
{
    struct skv_fsm_install *in = w->data;
    in->rc = in->stage == 1 ? skv_spool_job_check(&in->job) : skv_spool_job_write(&in->job);
}

static void after_cb(uv_work_t *w, int status);

static int queue(struct skv_fsm_install *in, int stage)
{
    in->stage = stage;
    in->work.data = in;
    return uv_queue_work(&in->f->node->loop, &in->work, work_cb, after_cb) == 0 ? 0 : -1;
}

/* The file checked: adopt the encryption state here, write on a worker. */
static void checked(struct skv_fsm_install *in)
{
    struct skv_node *n = in->f->node;
    int rc;
    if (in->rc != 0) {
        skv_node_log(n, SKV_LOG_ERROR, "fsm: the snapshot at index %llu installed through the "
                     "spool file cannot be restored: %s",
                     (unsigned long long)in->job.ref_h.applied, in->job.err);
        end(in, RAFT_CORRUPT);
        return;
    }
    if ((rc = skv_spool_job_adopt(&in->job, in->f)) != 0) {
        end(in, rc);
        return;
    }
    if (queue(in, 2) != 0) {
        skv_node_halt(n, "fsm: snapshot restore: cannot queue the key-space writes");
        end(in, RAFT_IOERR);
    }
}

static void after_cb(uv_work_t *w, int status)
{
    struct skv_fsm_install *in = w->data;
    struct skv_node *n = in->f->node;
    (void)status;   /* never uv_cancel()ed */
    if (in->stage == 2 && in->rc == 0) {   /* the final synced batch is written */
        skv_spool_job_done(&in->job, in->f);
        end(in, 0);
    } else if (atomic_load(&in->cancel) || n->run_state == SKV_RUN_HALTED) {
        skv_node_log(n, SKV_LOG_INFO, "fsm: install of the snapshot at index %llu stopped "
                     "(restored again from the spool file at the next start)",
                     (unsigned long long)in->job.ref_h.applied);
        end(in, RAFT_CANCELED);
    } else if (in->stage == 1) {
        checked(in);
    } else {
        skv_node_halt(n, "fsm: snapshot restore from the spool file: %s", in->job.err);
        end(in, RAFT_IOERR);
    }
}

int skv_fsm_install_start(struct skv_fsm *f, const struct raft_buffer *ref,
                          void (*done)(void *arg, int status), void *arg)
{
    struct skv_fsm_install *in;
    struct skv_snap_hdr h;
    char msg[200];
    int rc;
    if (f->install || skv_snap_hdr_parse(ref->base, ref->len, &h, msg, sizeof msg) != 0 ||
        h.version != 4)
        return 1;   /* not ours to do: C-Raft's restore does (or refuses) it */
    if (skv_fsm_flush(f) != 0)
        return RAFT_IOERR;
    if (!(in = calloc(1, sizeof *in)))
        return RAFT_NOMEM;
    if ((rc = skv_spool_job_init(&in->job, f, &h, ref->base, ref->len)) != 0) {
        free(in);
        return rc;   /* 1: restored already */
    }
    in->f = f;
    in->done = done;
    in->done_arg = arg;
    atomic_init(&in->cancel, 0);
    in->job.cancel = &in->cancel;
    in->job.pause_ms = pause_ms();
    if (queue(in, 1) != 0) {
        skv_spool_job_free(&in->job);
        free(in);
        return RAFT_IOERR;
    }
    f->install = in;
    skv_node_log(f->node, SKV_LOG_INFO, "fsm: installing the snapshot at index %llu from the "
                 "spool file off the loop", (unsigned long long)h.applied);
    return 0;
}

void skv_fsm_install_cancel(struct skv_fsm *f)
{
    if (f->install)
        atomic_store(&f->install->cancel, 1);
}
