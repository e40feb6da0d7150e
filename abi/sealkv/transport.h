/* SPDX-License-Identifier: MIT */
/*
 * <sealkv/transport.h> — transport plugin ops: node-to-node frames.
 *
 * A frame is an opaque byte string produced by the core's wire codec; the
 * transport adds its own framing and delivers each frame whole, in order
 * per sender connection, through the host's deliver() callback.
 *
 * Handshake: a transport announces the local node id (host->node_id()) to
 * each peer it connects to, so deliver() can report `from_id`.
 *
 * Peer identity (since 1.1): a transport that authenticates its peers
 * (security() reports SKV_TRANSPORT_SEC_AUTHENTICATED) passes to deliver()
 * only the node id the peer *proved* (for transport-tcp: the node id bound
 * in its certificate, checked against the cluster CA and equal to the id
 * its handshake announced), and send() hands a frame only to a peer that
 * proved it is `peer_id`. Frames from a connection that fails either
 * check are never delivered. Without that flag, `from_id` is only a claim
 * and the core logs a warning at every start. Either way the core treats
 * every frame as hostile input: it decodes with bounds, checks that the
 * frame's sender equals `from_id` and is a member, and drops the rest.
 *
 * Threads: start/stop are called from the loop thread. send() is called
 * from the loop thread and must never block: it copies the frame into a
 * bounded per-peer queue (SKV_ERR_FULL when full — the core treats this as
 * a dropped message, which Raft tolerates). deliver() is invoked from the
 * transport's own thread(s).
 */
#ifndef SEALKV_TRANSPORT_H
#define SEALKV_TRANSPORT_H

#include <sealkv/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest frame the core ever sends; transports refuse bigger ones on
 * receive (and drop the connection). */
#define SKV_TRANSPORT_MAX_FRAME (64u * 1024u * 1024u)

struct skv_iov {
    const void *base;
    size_t len;
};

struct skv_transport_ops {
    uint32_t struct_size;

    /* Start listening on `listen_address` ("host:port") and start the
     * transport's threads. Loop thread. SKV_ERR_BUSY if the address is in
     * use. */
    int (*start)(void *state, const char *listen_address,
                 struct skv_err *err);

    /* Queue one frame (the concatenation of `iov[0..n)`) for `peer_id` at
     * `address`. Copies the bytes; never blocks; connects lazily and
     * reconnects with backoff. SKV_ERR_FULL if the peer's queue is full,
     * SKV_ERR_TOOBIG above SKV_TRANSPORT_MAX_FRAME. Loop thread. */
    int (*send)(void *state, uint64_t peer_id, const char *address,
                const struct skv_iov *iov, unsigned n, struct skv_err *err);

    /* Stop listening, close every connection, join threads. After it
     * returns, deliver() is never called again. Loop thread. */
    void (*stop)(void *state);

    /* Optional (SKV_HAS): forget a peer (close its connection, drop its
     * queue), e.g. after it was removed from the cluster. Loop thread. */
    void (*forget)(void *state, uint64_t peer_id);

    /* ---- since 1.1 ---- */

    /* Optional (SKV_HAS): re-read credentials (certificates, private key,
     * CA bundle) from the files named in the options, e.g. on SIGHUP. New
     * connections use the new credentials; established outbound
     * connections are re-established with them between two frames (no
     * queued frame is lost). On failure the old credentials stay in use
     * and `err` says why. Loop thread. */
    int (*reload)(void *state, struct skv_err *err); /* since 1.1 */

    /* Optional (SKV_HAS): what this transport guarantees, a set of
     * SKV_TRANSPORT_SEC_* bits; absent means 0 (plaintext, `from_id` is
     * only what the peer claimed). Constant between start and stop. Any
     * thread. */
    uint32_t (*security)(void *state); /* since 1.1 */

    /* ---- since 1.4 ---- */

    /* Optional (SKV_HAS): the bytes queued for `peer_id` and not yet
     * handed to the network (0 for an unknown peer). The host paces a
     * long stream of frames (a snapshot sent in chunks) by it, so that it
     * holds a few frames per peer instead of filling the queue. Loop
     * thread. */
    uint64_t (*queued)(void *state, uint64_t peer_id); /* since 1.4 */
};

/* Bits of skv_transport_ops.security() (since 1.1).
 * SKV_TRANSPORT_SEC_AUTHENTICATED: from_id proven, send() only to the
 * proven peer_id. SKV_TRANSPORT_SEC_ENCRYPTED: frames confidential and
 * integrity-protected on the wire. */
#define SKV_TRANSPORT_SEC_AUTHENTICATED 0x1u /* since 1.1 */
#define SKV_TRANSPORT_SEC_ENCRYPTED 0x2u     /* since 1.1 */

#ifdef __cplusplus
}
#endif
#endif /* SEALKV_TRANSPORT_H */
