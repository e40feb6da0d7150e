/*
 * raft_io.h — our implementation of C-Raft 0.15's `struct raft_io` on top
 * of the storage plugin (hard state, log, snapshot under SKV_PFX_RAFT_*)
 * and the transport plugin (messages through the wire codec), driven by a
 * libuv loop. All calls into raft and from raft happen on the loop thread.
 */
#ifndef SKV_RAFT_IO_H
#define SKV_RAFT_IO_H

#include <raft.h>
#include <uv.h>
#include <sealkv/storage.h>
#include <sealkv/transport.h>

struct skv_raftio_env {
    uv_loop_t *loop;
    const struct skv_storage_ops *st;
    void *db;                      /* open storage handle */
    const struct skv_transport_ops *tr;
    void *tr_state;                /* started transport instance */
    uint64_t self_id;
    /* optional logger; may be NULL */
    void (*log)(void *arg, int level, const char *msg);
    void *log_arg;
};

/* Fill `io` (already zeroed by the caller) so that raft_init() can use it.
 * `env` is copied. Returns 0 or a RAFT_* error code with a message. */
int skv_raftio_init(struct raft_io *io, const struct skv_raftio_env *env,
                    char *err, size_t errlen);

/* Release what skv_raftio_init allocated; call after raft_close()'s
 * callback fired (io->close has then already run). */
void skv_raftio_destroy(struct raft_io *io);

/* Hand a decoded raft message (from the wire codec) to raft's recv
 * callback. Takes ownership of the message's heap parts (entries + batch,
 * snapshot data/conf): they go to raft, or are freed if raft isn't
 * receiving (not started / closing). Loop thread. */
void skv_raftio_recv(struct raft_io *io, struct raft_message *m);

#endif
