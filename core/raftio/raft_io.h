/* SPDX-License-Identifier: MIT */
/*
 * raft_io.h — our implementation of C-Raft 0.15's `struct raft_io` on top
 * of the storage plugin (hard state, log, snapshot under SKV_PFX_RAFT_*)
 * and the transport plugin (messages through the wire codec), driven by a
 * libuv loop. All calls into raft and from raft happen on the loop thread.
 *
 * Contract highlights (see /usr/share/doc/libraft-dev/io.html):
 *  - io->version is 2 (async_work is implemented).
 *  - set_term / set_vote / bootstrap / recover / load are synchronous and
 *    durable (synced batch) before they return.
 *  - append / truncate / snapshot_put run in order on a libuv worker, one
 *    at a time; appends queued in one loop turn are written as ONE synced
 *    batch (group commit); callbacks fire on the loop thread, in order,
 *    after the sync. A failed log write is sticky: every later append /
 *    truncate / snapshot_put fails with RAFT_IOERR (fail closed).
 *  - send encodes and hands the frame to the transport at once (never
 *    blocks); its callback fires on a later loop iteration, never from
 *    inside send. A full transport queue is RAFT_NOCONNECTION (a drop).
 *  - close: stops the timer, cancels queued (not started) log requests
 *    with RAFT_CANCELED (newest first: C-Raft truncates its in-memory log
 *    at each failed append), waits for worker jobs, then calls the close
 *    callback from a later loop iteration. Every request callback fires
 *    before the close callback.
 */
#ifndef SKV_RAFT_IO_H
#define SKV_RAFT_IO_H

#include <raft.h>
#include <uv.h>
#include <sealkv/storage.h>
#include <sealkv/transport.h>

#include "raftio/snap_spool.h"

struct skv_raftio_env {
    uv_loop_t *loop;
    const struct skv_storage_ops *st;
    void *db;                      /* open storage handle */
    const struct skv_transport_ops *tr;   /* may be NULL: sends fail */
    void *tr_state;                /* started transport instance */
    uint64_t self_id;              /* 0: take the id raft_init passes */
    /* optional logger; may be NULL */
    void (*log)(void *arg, int level, const char *msg);
    void *log_arg;
    /* optional: called once, on the loop thread, when a log write fails
     * (the log is read-only from then on); the node halts. `arg` is
     * log_arg. */
    void (*fatal)(void *arg, const char *msg);
    /* optional: the raft instance this io serves (default: io->data,
     * which raft_init() points at its struct raft). The wire frames carry
     * only the sender's id; its address (which C-Raft needs to reply) is
     * looked up in this raft's configuration first, then in the address
     * book (skv_raftio_set_peer_address + addresses seen in sends). */
    const struct raft *raft;
    /* optional: this store's 16-byte identity (store_ident.h); raft
     * frames then go out as wire version 2 carrying it */
    const uint8_t *store_ident;
    /* optional, loop thread: a configuration this node is about to store
     * (a RAFT_CHANGE entry appended, or NULL for an installed snapshot,
     * which may skip any number of changes). `arg` is log_arg. */
    void (*conf_seen)(void *arg, const struct raft_configuration *conf);
    /* optional: the stored snapshot may be LOCAL (no key space in it,
     * fsm/snap_hdr.h v3). snapshot_get then calls, on the loop thread,
     * snap_pin(snap_arg) for a handle (may be NULL); on the worker, after
     * reading the stored snapshot, snap_expand(snap_arg, handle, data,
     * &full, errmsg, errlen): 0 with `full` (raft_malloc'd) to send
     * instead, 1 to send the data as stored, or a RAFT_* error (the get
     * fails with it; RAFT_BUSY: not yet possible, C-Raft retries); then,
     * on the loop thread, snap_unpin(snap_arg, handle, status). */
    void *(*snap_pin)(void *arg);
    int (*snap_expand)(void *arg, void *handle, const struct raft_buffer *data,
                       struct raft_buffer *full, char *errmsg, size_t errlen);
    void (*snap_unpin)(void *arg, void *handle, int status);
    void *snap_arg;
    /* optional, with snap_pin/unpin: SEND A BIG SNAPSHOT STREAMED from the
     * pinned view instead of expanded into one buffer (raft_io_sdesc.c).
     * snap_open(snap_arg, handle, data, &iter, ...) (worker) opens the
     * full form (returns 0, 1 = data is full already, RAFT_*), snap_next
     * (iter, buf, cap, &n, &last, ...) makes the next min(cap, what is
     * left) bytes (last: nothing comes after them), snap_close(iter).
     * snapshot_get makes the first SKV_RIO_XFER_CHUNK bytes: if that is
     * all, they are the data sent as is; else C-Raft gets a small local
     * descriptor instead of data, keeping the view pinned, and sending it
     * makes the full form chunk by chunk on a worker (fsm/snap_iter.h),
     * its size known only at its last chunk: nothing reads the view just
     * to size it. */
    int (*snap_open)(void *arg, void *handle, const struct raft_buffer *data, void **iter,
                     char *errmsg, size_t errlen);
    int (*snap_next)(void *iter, uint8_t *buf, size_t cap, size_t *n, int *last, char *errmsg,
                     size_t errlen);
    void (*snap_close)(void *iter);
    /* optional: RECEIVE A BIG SNAPSHOT INTO A SPOOL FILE under spool_dir
     * (the node's data_dir; snap_spool.h) instead of memory. When all its
     * chunks are in, spool_ref(snap_arg, head, head_len, meta, &ref, ...)
     * (loop thread; head: the snapshot's first bytes) makes the small
     * reference (fsm/snap_hdr.h v4, raft_malloc'd) C-Raft gets as the
     * data, stores (snapshot_put makes the spool durable first) and
     * hands to the FSM's restore. */
    const char *spool_dir;
    int (*spool_ref)(void *arg, const uint8_t *head, size_t head_len,
                     const struct skv_spool_meta *m, struct raft_buffer *ref, char *errmsg,
                     size_t errlen);
    /* optional, with spool_ref: INSTALL A SPOOLED SNAPSHOT OFF THE LOOP.
     * Once an installed snapshot (trailing 0) whose data is a spool
     * reference is stored, spool_install(snap_arg, data, done, ctx) (loop
     * thread) starts replacing the FSM key space from the file, and the
     * snapshot_put callback — from which C-Raft calls fsm->restore — fires
     * only after done(ctx, status) (loop thread; a non-zero status fails
     * the put, not the log); the log requests queued behind wait. Returns
     * 0 (started), 1 (nothing to do: fire the callback now) or a RAFT_*
     * code (the put fails with it). spool_cancel(snap_arg) when the io
     * closes: done follows soon, RAFT_CANCELED. */
    int (*spool_install)(void *arg, const struct raft_buffer *data,
                         void (*done)(void *ctx, int status), void *ctx);
    void (*spool_cancel)(void *arg);
    /* C-Raft before 0.17.1 (upstream 2a38d3d): when it discards an
     * installed snapshot (the put failed, or raft is closing) it frees
     * the data but leaks the one-element bufs array; set to have the io
     * free that array after the callback. Only with that C-Raft. */
    int install_discard_leak;
    /* optional (test builds): a crash point, kind and step */
    void (*crash_point)(const char *kind, const char *step);
};

/* Fill `io` (already zeroed by the caller) so that raft_init() can use it.
 * `env` is copied. Returns 0 or a RAFT_* error code with a message. */
int skv_raftio_init(struct raft_io *io, const struct skv_raftio_env *env,
                    char *err, size_t errlen);

/* Release what skv_raftio_init allocated. Normally called after
 * raft_close()'s callback fired (io->close completed): frees at once. If
 * the io was never closed (e.g. raft_init never ran), it is closed here
 * and freed from the loop: run the loop once more before
 * uv_loop_close(). io->impl is NULL afterwards. */
void skv_raftio_destroy(struct raft_io *io);

/* Hand a decoded raft message (from the wire codec) to raft's recv
 * callback. Takes ownership of the message's heap parts (entries + batch,
 * snapshot data/conf): they go to raft, or are freed if raft isn't
 * receiving (not started / closing). Fills m->server_address when the
 * codec left it NULL (see skv_raftio_env.raft). Loop thread. */
void skv_raftio_recv(struct raft_io *io, struct raft_message *m);

/* A slice of a snapshot sent in chunks (wire.h SKV_FRAME_SNAP_CHUNK;
 * raft_io_xfer.c): appended to the one assembly kept per node, which the
 * InstallSnapshot with empty data from the same sender, term, index and
 * last term then takes whole. A chunk out of order, or one that starts
 * another snapshot, drops the assembly so far. Loop thread. */
struct skv_snap_chunk;
void skv_raftio_recv_chunk(struct raft_io *io, uint64_t from, const struct skv_snap_chunk *c);

/* The node halted: from now on no tick reaches raft, every send is
 * dropped (its callback still fires, RAFT_NOCONNECTION) and every
 * received message is freed unseen — the node stops taking part in Raft
 * at once (votes, heartbeats, appends). Log requests already queued
 * complete as usual. Idempotent; loop thread. */
void skv_raftio_silence(struct raft_io *io);

/* Teach the address book the address of a peer (e.g. from the cluster
 * config), used to reply to senders not (yet) in raft's configuration.
 * The string is copied. Loop thread. Returns 0 or RAFT_NOMEM. */
int skv_raftio_set_peer_address(struct raft_io *io, raft_id id,
                                const char *address);

/* Log-write counters (metrics): synced batches (append, truncate,
 * snapshot put), the append batches among them and the entries those
 * appended. Loop thread; all 0 when io has no adapter. */
struct skv_raftio_stats {
    uint64_t syncs, append_syncs, entries;
};
void skv_raftio_stats(const struct raft_io *io, struct skv_raftio_stats *out);

#endif
