/* SPDX-License-Identifier: MIT */
/*
 * raft_io_xfer.c — owns snapshots that travel in chunks: C-Raft 0.15
 * sends a whole snapshot as one InstallSnapshot message, but a frame
 * holds at most SKV_WIRE_MAX_BODY bytes (64 MiB), so a bigger one could
 * never reach a follower. A snapshot whose data exceeds SKV_RIO_XFER_CHUNK
 * is sent as SNAP_CHUNK frames (wire.h), paced by the transport's queue
 * (a full queue is retried at the next tick), then as the InstallSnapshot
 * with empty data; C-Raft's send callback fires after that last frame.
 * The receiver assembles the chunks of one snapshot at a time and hands
 * C-Raft the InstallSnapshot with the assembled data, so C-Raft sees the
 * one message it sent. A chunk lost on the way leaves the assembly short:
 * the InstallSnapshot is then dropped and the leader sends the snapshot
 * again after its install_snapshot_timeout, as for any lost message.
 * A snapshot handed to C-Raft as a descriptor (raft_io_sdesc.c) is
 * streamed: each chunk is made from the pinned storage view on a libuv
 * worker (env.snap_open / snap_next, fsm/snap_iter.h) into one
 * chunk-sized buffer, sent, and only then is the next one made, so the
 * leader holds a chunk or two, whatever the data set. Receiving is in
 * raft_io_xin.c. Loop thread only (but the chunk maker).
 */
#include "raftio/raft_io_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

/* ---- sending ---------------------------------------------------------- */

/* Free x and what it streams from (never while a chunk is being made). */
static void xfer_free(struct skv_rio *rio, struct skv_rio_xfer *x)
{
    if (x->iter)
        rio->env.snap_close(x->iter);
    if (x->sd)
        skv_rio_sdesc_release(rio, x->sd);
    free(x->chunk);
    free(x->address);
    free(x);
}

static void job_done(struct skv_rio *rio, struct skv_rio_xfer *x, int status)
{
    struct skv_rio_xfer **pp;
    for (pp = &rio->xouts; *pp && *pp != x; pp = &(*pp)->next)
        ;
    if (*pp)
        *pp = x->next;
    skv_rio_send_done(rio, x->req, status);
    if (x->filling)
        x->dead = 1;   /* freed when the chunk being made is done */
    else
        xfer_free(rio, x);
}

/* ---- making the chunks of a streamed snapshot (worker) ---------------- */

static void pump_one(struct skv_rio *rio, struct skv_rio_xfer *x);

/* The next chunk: a whole one unless it is the last (chunk_last); the
 * full form's size is known once the last one is made. */
static void fill_work_cb(uv_work_t *w)
{
    struct skv_rio_xfer *x = w->data;
    const struct skv_raftio_env *env = &x->rio->env;
    x->fill_rc = 0;
    x->chunk_last = 0;
    if (!x->iter && (x->fill_rc = env->snap_open(env->snap_arg, x->sd->pin, &x->sd->stored,
                                                 &x->iter, x->fill_err,
                                                 sizeof x->fill_err)) == 1)
        x->fill_rc = RAFT_INVALID;   /* a descriptor is issued for local snapshots only */
    if (x->fill_rc == 0)
        x->fill_rc = env->snap_next(x->iter, x->chunk, SKV_RIO_XFER_CHUNK, &x->chunk_len,
                                    &x->chunk_last, x->fill_err, sizeof x->fill_err);
    if (x->fill_rc == 0 && (x->chunk_len == 0 ||
                            (!x->chunk_last && x->chunk_len != SKV_RIO_XFER_CHUNK) ||
                            x->off + x->chunk_len > SKV_WIRE_MAX_SNAPSHOT)) {
        snprintf(x->fill_err, sizeof x->fill_err, "the full form's chunk at %llu has %zu "
                 "bytes (%s)", (unsigned long long)x->off, x->chunk_len,
                 x->chunk_last ? "last" : "not the last");
        x->fill_rc = RAFT_IOERR;
    }
}

static void fill_after_cb(uv_work_t *w, int status)
{
    struct skv_rio_xfer *x = w->data;
    struct skv_rio *rio = x->rio;
    (void)status;
    rio->n_work--;
    x->filling = 0;
    if (x->dead) {
        xfer_free(rio, x);
    } else if (x->fill_rc != 0) {
        skv_rio_logf(rio, SKV_LOG_WARN, "raft: snapshot %llu to %llu: %s",
                     (unsigned long long)x->m.install_snapshot.last_index,
                     (unsigned long long)x->m.server_id, x->fill_err);
        job_done(rio, x, RAFT_IOERR);
    } else {
        x->chunk_ready = 1;
        if (x->chunk_last)   /* the size is known now: the last chunk carries it */
            x->total = x->off + x->chunk_len;
        x->progress_ms = uv_now(rio->env.loop);
        pump_one(rio, x);
    }
    skv_rio_maybe_closed(rio);
}

/* Queue the making of the next chunk: SKV_OK, or an error (job fails). */
static int fill_start(struct skv_rio *rio, struct skv_rio_xfer *x)
{
    if (rio->closing)
        return SKV_ERR_CLOSED;
    x->work.data = x;
    if (uv_queue_work(rio->env.loop, &x->work, fill_work_cb, fill_after_cb) != 0)
        return SKV_ERR_IO;
    x->filling = 1;
    rio->n_work++;
    return SKV_OK;
}

/* One chunk at x->off to the transport: SKV_OK, SKV_ERR_FULL, or another
 * error (the job fails). */
static int send_chunk(struct skv_rio *rio, struct skv_rio_xfer *x)
{
    const struct raft_install_snapshot *is = &x->m.install_snapshot;
    const struct skv_raftio_env *env = &rio->env;
    size_t n = x->total - x->off < SKV_RIO_XFER_CHUNK ? (size_t)(x->total - x->off)
                                                       : SKV_RIO_XFER_CHUNK;
    const uint8_t *src = x->sd ? x->chunk : (const uint8_t *)is->data.base + x->off;
    struct skv_snap_chunk c = {is->term, is->last_index, is->last_term, x->total, x->off,
                               {src, x->sd ? x->chunk_len : n}};
    struct skv_buf wb = {0};
    struct skv_err e = {0, ""};
    struct skv_iov iov;
    int rc;
    if (skv_wire_encode_snap_chunk(&wb, env->self_id ? env->self_id : rio->id, &c) != 0) {
        skv_buf_free(&wb);
        return SKV_ERR_NOMEM;
    }
    iov = (struct skv_iov){wb.p, wb.len};
    rc = env->tr->send(env->tr_state, x->m.server_id, x->address, &iov, 1, &e);
    skv_buf_free(&wb);
    if (rc == SKV_OK) {
        x->off += c.data.len;
        x->chunk_ready = 0;
        x->progress_ms = uv_now(env->loop);
    } else if (rc != SKV_ERR_FULL) {
        skv_rio_logf(rio, SKV_LOG_WARN, "raft: snapshot %llu to %llu: chunk at %llu not sent: %s",
                     (unsigned long long)is->last_index, (unsigned long long)x->m.server_id,
                     (unsigned long long)x->off, e.msg[0] ? e.msg : skv_strerror(rc));
    }
    return rc;
}

/* A streamed send makes its next chunk only while fewer than
 * SKV_RIO_XFER_AHEAD chunks wait in the transport's queue for the peer
 * (transport ABI 1.4 `queued`; without it, until the queue is full):
 * the leader then holds a few chunks per follower, not the queue's
 * max_queue_bytes. A queue that does not drain counts as no progress. */
static int ahead_full(const struct skv_rio *rio, const struct skv_rio_xfer *x)
{
    const struct skv_raftio_env *env = &rio->env;
    if (!x->sd || !SKV_HAS(env->tr, struct skv_transport_ops, queued))
        return 0;
    return env->tr->queued(env->tr_state, x->m.server_id) >=
           (uint64_t)SKV_RIO_XFER_AHEAD * SKV_RIO_XFER_CHUNK;
}

/* Send what the transport takes; finish the job once every chunk and the
 * InstallSnapshot itself went. */
static void pump_one(struct skv_rio *rio, struct skv_rio_xfer *x)
{
    struct raft_message last;
    int rc = SKV_OK;
    if (rio->silenced) {
        job_done(rio, x, RAFT_NOCONNECTION);
        return;
    }
    if (x->filling)
        return;   /* fill_after_cb pumps again */
    while (x->off < x->total) {
        if (x->sd && !x->chunk_ready) {
            if (ahead_full(rio, x)) {
                rc = SKV_ERR_FULL;   /* the next tick looks again */
                break;
            }
            if ((rc = fill_start(rio, x)) == SKV_OK)
                return;
            break;
        }
        if ((rc = send_chunk(rio, x)) != SKV_OK)
            break;
    }
    if (rc == SKV_ERR_FULL) {
        if (uv_now(rio->env.loop) - x->progress_ms > SKV_RIO_XFER_STALL_MS) {
            skv_rio_logf(rio, SKV_LOG_WARN, "raft: snapshot to %llu: no chunk taken for %u ms; "
                         "giving up (raft sends it again)",
                         (unsigned long long)x->m.server_id, SKV_RIO_XFER_STALL_MS);
            job_done(rio, x, RAFT_NOCONNECTION);
        }
        return; /* the next tick tries again */
    }
    if (rc != SKV_OK) {
        job_done(rio, x, RAFT_NOCONNECTION);
        return;
    }
    if (x->sd)
        skv_rio_logf(rio, SKV_LOG_INFO, "raft: snapshot %llu to %llu: %llu bytes sent in chunks, "
                     "streamed", (unsigned long long)x->m.install_snapshot.last_index,
                     (unsigned long long)x->m.server_id, (unsigned long long)x->total);
    last = x->m;
    last.server_address = x->address;
    last.install_snapshot.data.base = NULL;
    last.install_snapshot.data.len = 0; /* "assembled from the chunks before it" */
    job_done(rio, x, skv_rio_transmit(rio, &last));
}

void skv_rio_xfer_pump(struct skv_rio *rio)
{
    struct skv_rio_xfer *x = rio->xouts, *next;
    for (; x; x = next) {
        next = x->next;
        pump_one(rio, x);
    }
}

int skv_rio_xfer_start(struct skv_rio *rio, struct raft_io_send *req,
                       const struct raft_message *m)
{
    struct skv_rio_xfer *x, *old;
    const struct raft_buffer *data = &m->install_snapshot.data;
    int streamed = m->type == RAFT_IO_INSTALL_SNAPSHOT && skv_rio_is_sdesc(data->base, data->len);
    if (streamed && (!rio->env.tr || !rio->env.tr->send || !m->server_address)) {
        skv_rio_send_done(rio, req, RAFT_NOCONNECTION);   /* never sent as it is */
        return 1;
    }
    if (!streamed && (m->type != RAFT_IO_INSTALL_SNAPSHOT || data->len <= SKV_RIO_XFER_CHUNK ||
                      !rio->env.tr || !rio->env.tr->send || !m->server_address))
        return 0;
    for (old = rio->xouts; old; old = old->next)
        if (old->m.server_id == m->server_id) {
            job_done(rio, old, RAFT_NOCONNECTION); /* superseded: one per follower */
            break;
        }
    if (!(x = calloc(1, sizeof *x)) || !(x->address = strdup(m->server_address)) ||
        (streamed && !(x->chunk = malloc(SKV_RIO_XFER_CHUNK)))) {
        if (x)
            free(x->address);
        free(x);
        return -1;
    }
    x->rio = rio;
    x->req = req;
    x->m = *m;
    x->total = data->len;
    if (streamed && !(x->sd = skv_rio_sdesc_claim(rio, data))) {
        free(x->chunk);
        free(x->address);
        free(x);
        skv_rio_send_done(rio, req, RAFT_NOCONNECTION);
        return 1;
    }
    if (x->sd)
        x->total = SKV_WIRE_SNAP_TOTAL_OPEN;   /* exact once the last chunk is made */
    x->progress_ms = uv_now(rio->env.loop);
    x->next = rio->xouts;
    rio->xouts = x;
    if (x->sd)
        skv_rio_logf(rio, SKV_LOG_INFO, "raft: sending snapshot %llu to %llu in chunks, streamed "
                     "from its storage view (its size found while streaming)",
                     (unsigned long long)m->install_snapshot.last_index,
                     (unsigned long long)m->server_id);
    else
        skv_rio_logf(rio, SKV_LOG_INFO, "raft: sending snapshot %llu (%llu bytes) to %llu in "
                     "chunks", (unsigned long long)m->install_snapshot.last_index,
                     (unsigned long long)x->total, (unsigned long long)m->server_id);
    pump_one(rio, x);
    return 1;
}

void skv_rio_xfer_cancel(struct skv_rio *rio)
{
    while (rio->xouts)
        job_done(rio, rio->xouts, RAFT_CANCELED);
    skv_rio_xin_drop(rio);
    skv_rio_sdesc_expire(rio, 1);
}

