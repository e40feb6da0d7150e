/* SPDX-License-Identifier: MIT */
/*
 * raft_io_impl.h — private state of the raft_io adapter, shared by
 * raft_io.c (lifecycle, timer, synchronous methods, close sequencing),
 * raft_io_queue.c (worker jobs: log writes, async work), raft_io_snapget.c
 * (snapshot get), raft_io_net.c (send, recv, address book) and the
 * snapshots that travel in chunks: raft_io_xfer.c (sending, streamed from
 * a view through raft_io_sdesc.c's descriptors) and raft_io_xin.c
 * (receiving, into the spool file of snap_spool.c). Not a public API.
 */
#ifndef SKV_RAFT_IO_IMPL_H
#define SKV_RAFT_IO_IMPL_H

#include "raftio/raft_io.h"
#include "raftio/raft_log_store.h"

/* A send whose callback is still to be fired. */
struct skv_rio_send {
    struct skv_rio_send *next;
    struct raft_io_send *req;
    int status;
};

/* raft_io_xfer.c: snapshots in chunks. */
#define SKV_RIO_XFER_CHUNK (4u << 20)     /* bytes per SNAP_CHUNK frame */
#define SKV_RIO_XFER_STALL_MS 10000u      /* a queue full this long: give up */
#define SKV_RIO_XFER_AHEAD 4u             /* streamed: chunks queued per peer at most */
struct skv_rio_sdesc;
struct skv_rio_xfer {                     /* one InstallSnapshot being sent */
    struct skv_rio_xfer *next;
    struct skv_rio *rio;
    struct raft_io_send *req;
    struct raft_message m;   /* shallow copy: C-Raft keeps the data until req's callback */
    char *address;           /* copy of m.server_address */
    uint64_t total;          /* bytes to send: m's data; streamed: SKV_WIRE_SNAP_TOTAL_OPEN
                                until its last chunk is made, then exact */
    uint64_t off;            /* data bytes handed to the transport */
    uint64_t progress_ms;    /* loop time of the last chunk taken or made */
    /* streamed from a storage view (m's data is a descriptor): */
    struct skv_rio_sdesc *sd;
    void *iter;              /* env.snap_open's, used on the worker only */
    uint8_t *chunk;          /* the next chunk, SKV_RIO_XFER_CHUNK bytes */
    size_t chunk_len;
    int chunk_last;          /* the chunk made is the full form's last */
    int chunk_ready, filling, dead, fill_rc;
    uv_work_t work;
    char fill_err[RAFT_ERRMSG_BUF_SIZE];
};
struct skv_rio_xfer_in {                  /* the snapshot being received */
    uint64_t from, term, last_index, last_term, total, got;
    uint8_t *buf;            /* raft_malloc'd, `cap` bytes; NULL: none (or spooled) */
    uint64_t cap;            /* `total`, or what came so far for an open total */
    int spooling;            /* into spool (env.spool_dir) instead of buf */
    struct skv_spool_w spool;
    uint8_t head[64];        /* the snapshot's first bytes (its header) */
    size_t head_len;
};

/* raft_io_sdesc.c: descriptors of snapshots to stream from a view. */
#define SKV_RIO_SDESC_LEN 24u             /* "SKVSEND1" + 16-byte token */
#define SKV_RIO_SDESC_TTL_MS 10000u       /* unsent this long: released (C-Raft sends at once) */
struct skv_rio_sdesc {
    struct skv_rio_sdesc *next;
    uint8_t token[16];
    void *pin;                 /* env.snap_pin's handle, kept until released */
    struct raft_buffer stored; /* the stored local snapshot (raft_malloc'd) */
    uint64_t issued_ms;
    int sending;               /* an xfer streams from it */
};

enum skv_rio_op_kind {
    SKV_RIO_APPEND = 1,
    SKV_RIO_TRUNCATE,
    SKV_RIO_SNAP_PUT
};

/* A log request waiting for (or on) the worker, in raft's order. */
struct skv_rio_op {
    struct skv_rio_op *next;
    int kind;
    raft_index index;                 /* append: first; truncate: from */
    unsigned n;                       /* append: entries; put: trailing */
    const struct raft_entry *entries; /* append */
    struct raft_io_append *append;
    struct raft_io_snapshot_put *put;
    const struct raft_snapshot *snapshot;
};

struct skv_rio_peer {
    raft_id id;
    char *address;
};

struct rio_get_job;

struct skv_rio {
    struct raft_io *io;
    struct skv_raftio_env env;
    struct skv_ls ls;
    raft_id id;
    char *address;
    uv_timer_t timer;
    uv_idle_t idle;        /* runs deferred work once per loop turn */
    int handles;           /* open uv handles (timer, idle) */
    raft_io_tick_cb tick_cb;
    raft_io_recv_cb recv_cb;
    int started, closing, close_fired;
    int silenced;          /* skv_raftio_silence: no ticks, sends, recvs */
    int free_on_close;     /* destroyed before close completed */
    raft_io_close_cb close_cb;
    struct skv_rio_op *q_head, *q_tail; /* log ops not started yet */
    int log_busy;          /* a log job is on a worker */
    unsigned n_work;       /* worker jobs in flight (log, get, async) */
    int failed;            /* sticky: a log write failed */
    raft_index next_index; /* index of the next appended entry */
    raft_index log_floor;  /* no stored entry below it (0: not known);
                            * read and written by the log jobs, which
                            * run one at a time (raft_io_queue.c) */
    struct skv_rio_send *s_head, *s_tail;
    int hs_known;          /* term/vote below mirror the store */
    raft_term term;
    raft_id vote;
    uint64_t rng;
    struct skv_rio_peer *peers;
    size_t n_peers;
    struct skv_raftio_stats stats; /* successful log writes (metrics) */
    struct rio_get_job *gets_parked; /* snapshot gets waiting to retry */
    unsigned snap_puts;    /* snapshot_put ops whose callback has not fired */
    int installing;        /* env.spool_install runs (the log job waits for it) */
    struct raft_message *install_parked; /* see skv_rio_install_park */
    struct skv_rio_xfer *xouts;          /* snapshots being sent in chunks */
    struct skv_rio_xfer_in xin;          /* the snapshot being assembled */
    struct skv_rio_sdesc *sdescs;        /* descriptors handed to C-Raft */
};

/* Append `e` to the FIFO `head`/`tail`, linked through ->next (the log
 * ops q_head/q_tail and the sends s_head/s_tail). */
#define SKV_RIO_FIFO_PUSH(head, tail, e)                                        \
    do {                                                                         \
        if (tail)                                                                \
            (tail)->next = (e);                                                  \
        else                                                                     \
            (head) = (e);                                                        \
        (tail) = (e);                                                            \
    } while (0)

/* raft_io.c */
/* A zeroed request record of `size` bytes for an io method; NULL with *rc
 * and io->errmsg set when the io is closing (RAFT_CANCELED) or out of
 * memory (RAFT_NOMEM). */
void *skv_rio_new(struct raft_io *io, size_t size, int *rc);
void skv_rio_wake(struct skv_rio *rio);
void skv_rio_maybe_closed(struct skv_rio *rio);
void skv_rio_logf(const struct skv_rio *rio, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* raft_io_snapget.c */
void skv_rio_gets_retry(struct skv_rio *rio);   /* tick: parked snapshot gets */
void skv_rio_gets_cancel(struct skv_rio *rio);  /* close: fail them */

/* raft_io_queue.c */
int skv_rio_append(struct raft_io *io, struct raft_io_append *req,
                   const struct raft_entry entries[], unsigned n,
                   raft_io_append_cb cb);
int skv_rio_truncate(struct raft_io *io, raft_index index);
int skv_rio_snapshot_put(struct raft_io *io, unsigned trailing,
                         struct raft_io_snapshot_put *req,
                         const struct raft_snapshot *snapshot,
                         raft_io_snapshot_put_cb cb);
int skv_rio_snapshot_get(struct raft_io *io, struct raft_io_snapshot_get *req,
                         raft_io_snapshot_get_cb cb);
int skv_rio_async_work(struct raft_io *io, struct raft_io_async_work *req,
                       raft_io_async_work_cb cb);
void skv_rio_queue_kick(struct skv_rio *rio);
void skv_rio_queue_cancel(struct skv_rio *rio);

/* raft_io_net.c */
int skv_rio_send(struct raft_io *io, struct raft_io_send *req,
                 const struct raft_message *message, raft_io_send_cb cb);
void skv_rio_sends_fire(struct skv_rio *rio);
void skv_rio_peers_free(struct skv_rio *rio);
/* An InstallSnapshot that arrives while a snapshot_put is in flight is
 * parked (the newest one only) and handed to raft once none is:
 * C-Raft 0.15 silently ignores it while it takes or installs a snapshot,
 * and its leader then waits install_snapshot_timeout (30 s) before it
 * sends another. Delaying a message is something any network may do. */
void skv_rio_install_deliver(struct skv_rio *rio); /* idle: puts done? */
void skv_rio_install_drop(struct skv_rio *rio);    /* close */
/* Encode and hand `m` to the transport now; the send callback's status. */
int skv_rio_transmit(struct skv_rio *rio, const struct raft_message *m);
/* Queue req's callback with `status` (fired from the idle handle). */
void skv_rio_send_done(struct skv_rio *rio, struct raft_io_send *req, int status);

/* raft_io_xfer.c */
/* 1: m is sent in chunks (req's callback fires when the last frame
 * went), 0: not a snapshot that needs it, -1: out of memory. */
int skv_rio_xfer_start(struct skv_rio *rio, struct raft_io_send *req,
                       const struct raft_message *m);
void skv_rio_xfer_pump(struct skv_rio *rio);   /* tick: queues that drained */
void skv_rio_xfer_cancel(struct skv_rio *rio); /* close */

/* raft_io_xin.c: receiving snapshots in chunks (memory or spool file) */
/* An InstallSnapshot with empty data takes the assembled chunks (or the
 * reference to the spool file they went to): 0 (also for any other
 * message), or -1 when they are not all there (drop it). */
int skv_rio_xfer_take(struct skv_rio *rio, struct raft_message *m);
void skv_rio_xin_drop(struct skv_rio *rio);    /* close, or a failed transfer */
/* Data that only this node makes (a local or spooled snapshot, a send
 * descriptor) and no peer may send: 1 (refused), 0. */
int skv_rio_local_only(const void *data, size_t len);

/* raft_io_sdesc.c */
/* Worker: after the stored snapshot was read, decide how it is sent:
 * 0 (data as it is now: stored, or the full form made in memory: it fit
 * one chunk), 2 (stream it: data left as stored), or a RAFT_* error. */
int skv_rio_sdesc_plan(struct skv_rio *rio, void *pin, struct raft_buffer *data,
                       char *errmsg, size_t errlen);
/* Loop thread: replace data by a descriptor owning data and pin: 0, or
 * RAFT_NOMEM (nothing changed). */
int skv_rio_sdesc_issue(struct skv_rio *rio, void *pin, struct raft_buffer *data);
/* The live descriptor `data` names, marked sending; NULL with a log line. */
struct skv_rio_sdesc *skv_rio_sdesc_claim(struct skv_rio *rio, const struct raft_buffer *data);
void skv_rio_sdesc_release(struct skv_rio *rio, struct skv_rio_sdesc *sd);
/* tick: release descriptors C-Raft never sent; close: every idle one */
void skv_rio_sdesc_expire(struct skv_rio *rio, int all);
int skv_rio_is_sdesc(const void *data, size_t len);

#endif
