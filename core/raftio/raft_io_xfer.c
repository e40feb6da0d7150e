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
 * Loop thread only.
 */
#include "raftio/raft_io_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

/* ---- sending ---------------------------------------------------------- */

static void job_done(struct skv_rio *rio, struct skv_rio_xfer *x, int status)
{
    struct skv_rio_xfer **pp;
    for (pp = &rio->xouts; *pp && *pp != x; pp = &(*pp)->next)
        ;
    if (*pp)
        *pp = x->next;
    skv_rio_send_done(rio, x->req, status);
    free(x->address);
    free(x);
}

/* One chunk at x->off to the transport: SKV_OK, SKV_ERR_FULL, or another
 * error (the job fails). */
static int send_chunk(struct skv_rio *rio, struct skv_rio_xfer *x)
{
    const struct raft_install_snapshot *is = &x->m.install_snapshot;
    const struct skv_raftio_env *env = &rio->env;
    size_t n = is->data.len - x->off < SKV_RIO_XFER_CHUNK ? is->data.len - x->off
                                                           : SKV_RIO_XFER_CHUNK;
    struct skv_snap_chunk c = {is->term, is->last_index, is->last_term, is->data.len, x->off,
                               {(const uint8_t *)is->data.base + x->off, n}};
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
        x->off += n;
        x->progress_ms = uv_now(env->loop);
    } else if (rc != SKV_ERR_FULL) {
        skv_rio_logf(rio, SKV_LOG_WARN, "raft: snapshot %llu to %llu: chunk at %llu not sent: %s",
                     (unsigned long long)is->last_index, (unsigned long long)x->m.server_id,
                     (unsigned long long)x->off, e.msg[0] ? e.msg : skv_strerror(rc));
    }
    return rc;
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
    while (x->off < x->m.install_snapshot.data.len && (rc = send_chunk(rio, x)) == SKV_OK)
        ;
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
    if (m->type != RAFT_IO_INSTALL_SNAPSHOT ||
        m->install_snapshot.data.len <= SKV_RIO_XFER_CHUNK || !rio->env.tr ||
        !rio->env.tr->send || !m->server_address)
        return 0;
    for (old = rio->xouts; old; old = old->next)
        if (old->m.server_id == m->server_id) {
            job_done(rio, old, RAFT_NOCONNECTION); /* superseded: one per follower */
            break;
        }
    if (!(x = calloc(1, sizeof *x)) || !(x->address = strdup(m->server_address))) {
        free(x);
        return -1;
    }
    x->req = req;
    x->m = *m;
    x->progress_ms = uv_now(rio->env.loop);
    x->next = rio->xouts;
    rio->xouts = x;
    skv_rio_logf(rio, SKV_LOG_INFO, "raft: sending snapshot %llu (%zu bytes) to %llu in chunks",
                 (unsigned long long)m->install_snapshot.last_index,
                 m->install_snapshot.data.len, (unsigned long long)m->server_id);
    pump_one(rio, x);
    return 1;
}

void skv_rio_xfer_cancel(struct skv_rio *rio)
{
    while (rio->xouts)
        job_done(rio, rio->xouts, RAFT_CANCELED);
    raft_free(rio->xin.buf);
    memset(&rio->xin, 0, sizeof rio->xin);
}

/* ---- receiving -------------------------------------------------------- */

static void xin_drop(struct skv_rio *rio)
{
    raft_free(rio->xin.buf);
    memset(&rio->xin, 0, sizeof rio->xin);
}

void skv_raftio_recv_chunk(struct raft_io *io, uint64_t from, const struct skv_snap_chunk *c)
{
    struct skv_rio *rio = io ? io->impl : NULL;
    struct skv_rio_xfer_in *in;
    if (!rio || !rio->started || rio->closing || rio->silenced)
        return;
    in = &rio->xin;
    if (c->offset == 0) {       /* a snapshot starts: it replaces any other */
        uint8_t *buf;
        xin_drop(rio);
        if (!(buf = raft_malloc(c->total))) {
            skv_rio_logf(rio, SKV_LOG_WARN, "raft: no memory for a %llu-byte snapshot from %llu",
                         (unsigned long long)c->total, (unsigned long long)from);
            return;
        }
        *in = (struct skv_rio_xfer_in){from, c->term, c->last_index, c->last_term, c->total, 0,
                                       buf};
    } else if (!in->buf || in->from != from || in->term != c->term ||
               in->last_index != c->last_index || in->last_term != c->last_term ||
               in->total != c->total || in->got != c->offset) {
        if (in->buf)
            skv_rio_logf(rio, SKV_LOG_DEBUG, "raft: snapshot chunk from %llu out of order; "
                         "assembly dropped", (unsigned long long)from);
        xin_drop(rio);
        return;
    }
    memcpy(in->buf + in->got, c->data.p, c->data.len); /* bounds: decoder + the checks above */
    in->got += c->data.len;
}

int skv_rio_xfer_take(struct skv_rio *rio, struct raft_message *m)
{
    struct raft_install_snapshot *is = &m->install_snapshot;
    struct skv_rio_xfer_in *in = &rio->xin;
    if (m->type != RAFT_IO_INSTALL_SNAPSHOT || is->data.len != 0)
        return 0;
    if (!in->buf || in->from != m->server_id || in->term != is->term ||
        in->last_index != is->last_index || in->last_term != is->last_term ||
        in->got != in->total) {
        skv_rio_logf(rio, SKV_LOG_INFO, "raft: snapshot %llu from %llu arrived without all its "
                     "chunks; dropped (the leader sends it again)",
                     (unsigned long long)is->last_index, (unsigned long long)m->server_id);
        return -1;
    }
    raft_free(is->data.base); /* the decoder's empty buffer */
    is->data.base = in->buf;
    is->data.len = in->total;
    memset(in, 0, sizeof *in);
    return 0;
}
