/* SPDX-License-Identifier: MIT */
/*
 * raft_io_xin.c — owns the receiving end of snapshots sent in chunks
 * (SNAP_CHUNK frames, raft_io_xfer.c): one transfer at a time, from its
 * offset-0 chunk to the InstallSnapshot with empty data that ends it.
 * With env.spool_dir the chunks go to a spool file in the data_dir
 * (snap_spool.h: the announced total checked against a cap and the free
 * space first), and C-Raft gets the small reference made by
 * env.spool_ref instead of the data, so a follower never holds a big
 * snapshot in memory; without it they are assembled in one buffer. A
 * chunk lost on the way leaves the transfer short: the InstallSnapshot is
 * then dropped (the spool removed) and the leader sends the snapshot
 * again after its install_snapshot_timeout, as for any lost message.
 * Also the admission rule for snapshot data only this node makes (local
 * and spooled snapshots, send descriptors): refused from any peer.
 * Loop thread only.
 */
#include "raftio/raft_io_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

int skv_rio_local_only(const void *data, size_t len)
{
    return data && len >= 8 &&
           (memcmp(data, "SKVSNAP3", 8) == 0 || memcmp(data, "SKVSNAP4", 8) == 0 ||
            memcmp(data, "SKVSEND", 7) == 0);
}

void skv_rio_xin_drop(struct skv_rio *rio)
{
    struct skv_rio_xfer_in *in = &rio->xin;
    raft_free(in->buf);
    if (in->spooling)
        skv_spool_abort(&in->spool);
    memset(in, 0, sizeof *in);
    skv_spool_w_init(&in->spool);
}

/* A chunk at offset 0: a transfer starts (it replaces any other). */
static void xin_begin(struct skv_rio *rio, uint64_t from, const struct skv_snap_chunk *c)
{
    struct skv_rio_xfer_in *in = &rio->xin;
    char err[256];
    skv_rio_xin_drop(rio);
    if (skv_rio_local_only(c->data.p, c->data.len)) {
        skv_rio_logf(rio, SKV_LOG_WARN, "raft: snapshot chunk from %llu carries a local-only "
                     "snapshot header (SKVSNAP3/4 or a send descriptor): refused",
                     (unsigned long long)from);
        return;
    }
    if (rio->env.spool_dir && rio->env.spool_ref) {
        if (skv_spool_begin(&in->spool, rio->env.spool_dir, c->total,
                            c->total == SKV_WIRE_SNAP_TOTAL_OPEN, err, sizeof err) != 0) {
            skv_rio_logf(rio, SKV_LOG_WARN, "raft: snapshot %llu from %llu refused: %s",
                         (unsigned long long)c->last_index, (unsigned long long)from, err);
            return;
        }
        in->spooling = 1;
    } else if (!(in->buf = raft_malloc(c->total == SKV_WIRE_SNAP_TOTAL_OPEN || !c->total
                                           ? 1 : (size_t)c->total))) {
        skv_rio_logf(rio, SKV_LOG_WARN, "raft: no memory for a %llu-byte snapshot from %llu",
                     (unsigned long long)c->total, (unsigned long long)from);
        return;
    }
    in->cap = in->spooling || c->total == SKV_WIRE_SNAP_TOTAL_OPEN ? 0 : c->total;
    in->from = from;
    in->term = c->term;
    in->last_index = c->last_index;
    in->last_term = c->last_term;
    in->total = c->total;
    in->head_len = c->data.len < sizeof in->head ? c->data.len : sizeof in->head;
    memcpy(in->head, c->data.p, in->head_len);
}

/* A chunk's total against the transfer's: the same, or — the total was
 * announced open (a snapshot sized while it is made) — the exact total
 * carried by the chunk that ends the data (which then becomes the
 * transfer's). 1 fits, 0 not. */
static int total_fits(struct skv_rio_xfer_in *in, const struct skv_snap_chunk *c)
{
    if (c->total == in->total)
        return 1;
    if (in->total != SKV_WIRE_SNAP_TOTAL_OPEN || c->offset + c->data.len != c->total)
        return 0;
    in->total = c->total;
    return 1;
}

void skv_raftio_recv_chunk(struct raft_io *io, uint64_t from, const struct skv_snap_chunk *c)
{
    struct skv_rio *rio = io ? io->impl : NULL;
    struct skv_rio_xfer_in *in;
    char err[256];
    if (!rio || !rio->started || rio->closing || rio->silenced)
        return;
    in = &rio->xin;
    if (c->offset == 0) {
        xin_begin(rio, from, c);
    } else if ((!in->buf && !in->spooling) || in->from != from || in->term != c->term ||
               in->last_index != c->last_index || in->last_term != c->last_term ||
               in->got != c->offset || !total_fits(in, c)) {
        if (in->buf || in->spooling)
            skv_rio_logf(rio, SKV_LOG_DEBUG, "raft: snapshot chunk from %llu out of order; "
                         "transfer dropped", (unsigned long long)from);
        skv_rio_xin_drop(rio);
        return;
    }
    if (!in->buf && !in->spooling)
        return;
    if (in->spooling) {
        if (skv_spool_write(&in->spool, c->data.p, c->data.len, err, sizeof err) != 0) {
            skv_rio_logf(rio, SKV_LOG_WARN, "raft: snapshot %llu from %llu dropped: %s",
                         (unsigned long long)c->last_index, (unsigned long long)from, err);
            skv_rio_xin_drop(rio);
            return;
        }
    } else {
        if (in->got + c->data.len > in->cap) {   /* an open total: grows as chunks come */
            uint8_t *nb = raft_realloc(in->buf, (size_t)(in->got + c->data.len));
            if (!nb) {
                skv_rio_logf(rio, SKV_LOG_WARN, "raft: no memory for snapshot %llu from %llu",
                             (unsigned long long)c->last_index, (unsigned long long)from);
                skv_rio_xin_drop(rio);
                return;
            }
            in->buf = nb;
            in->cap = in->got + c->data.len;
        }
        memcpy(in->buf + in->got, c->data.p, c->data.len); /* bounds: decoder + checks above */
    }
    in->got += c->data.len;
}

/* The finished spool becomes the reference C-Raft gets: 0, or -1. */
static int take_spooled(struct skv_rio *rio, struct raft_install_snapshot *is)
{
    struct skv_rio_xfer_in *in = &rio->xin;
    struct skv_spool_meta m;
    struct raft_buffer ref = {NULL, 0};
    char err[256];
    if (skv_spool_finish(&in->spool, &m, err, sizeof err) != 0 ||
        rio->env.spool_ref(rio->env.snap_arg, in->head, in->head_len, &m, &ref, err,
                           sizeof err) != 0) {
        skv_rio_logf(rio, SKV_LOG_WARN, "raft: snapshot %llu: spool: %s; dropped",
                     (unsigned long long)is->last_index, err);
        skv_spool_remove(rio->env.spool_dir, 0);
        skv_rio_xin_drop(rio);
        return -1;
    }
    skv_rio_logf(rio, SKV_LOG_INFO, "raft: snapshot %llu (%llu bytes) received into the spool "
                 "file", (unsigned long long)is->last_index, (unsigned long long)m.total);
    raft_free(is->data.base); /* the decoder's empty buffer */
    is->data = ref;
    in->spooling = 0;         /* the file stays: snapshot_put commits it */
    skv_rio_xin_drop(rio);
    return 0;
}

int skv_rio_xfer_take(struct skv_rio *rio, struct raft_message *m)
{
    struct raft_install_snapshot *is = &m->install_snapshot;
    struct skv_rio_xfer_in *in = &rio->xin;
    if (m->type != RAFT_IO_INSTALL_SNAPSHOT)
        return 0;
    if (skv_rio_local_only(is->data.base, is->data.len)) {
        skv_rio_logf(rio, SKV_LOG_WARN, "raft: InstallSnapshot %llu from %llu carries a "
                     "local-only snapshot (SKVSNAP3/4 or a send descriptor): refused",
                     (unsigned long long)is->last_index, (unsigned long long)m->server_id);
        return -1;
    }
    if (is->data.len != 0)
        return 0;
    if ((!in->buf && !in->spooling) || in->from != m->server_id || in->term != is->term ||
        in->last_index != is->last_index || in->last_term != is->last_term ||
        in->got != in->total) {
        skv_rio_logf(rio, SKV_LOG_INFO, "raft: snapshot %llu from %llu arrived without all its "
                     "chunks; dropped (the leader sends it again)",
                     (unsigned long long)is->last_index, (unsigned long long)m->server_id);
        return -1;
    }
    if (in->spooling)
        return take_spooled(rio, is);
    raft_free(is->data.base); /* the decoder's empty buffer */
    is->data.base = in->buf;
    is->data.len = in->total;
    in->buf = NULL;
    skv_rio_xin_drop(rio);
    return 0;
}
