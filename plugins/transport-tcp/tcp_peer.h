/* SPDX-License-Identifier: MIT */
/*
 * tcp_peer.h — one outgoing peer: its bounded frame queue, its single
 * outbound connection and the writer thread that connects lazily (with a
 * timeout and exponential backoff), runs TLS and checks the peer's
 * certificate is for this node id (unless insecure), sends the
 * handshake, then the queued frames in batches, and reconnects after a
 * failure, an address change or a credentials reload.
 */
#ifndef SKV_TCP_PEER_H
#define SKV_TCP_PEER_H

#include <sealkv/plugin.h>
#include "tcp_queue.h"
#include "tcp_tls.h"

struct tcp_peer_opts {
    size_t max_queue_frames;
    uint64_t max_queue_bytes;
    unsigned reconnect_min_ms;
    unsigned reconnect_max_ms;
    unsigned connect_timeout_ms;
    struct tcp_tls *tls;        /* NULL: plaintext (insecure: true) */
};

struct tcp_peer;

/* Create the peer and start its writer thread. */
int tcp_peer_new(const struct skv_host *host, const struct tcp_peer_opts *opt,
                 uint64_t id, const char *address, struct tcp_peer **out,
                 struct skv_err *err);

uint64_t tcp_peer_id(const struct tcp_peer *p);
/* Bytes queued for the peer, not yet taken by its writer. */
uint64_t tcp_peer_queued(struct tcp_peer *p);

/* Queue `f` for the peer, first switching to `address` if it changed
 * (the writer then reconnects there). SKV_OK: the peer owns f.
 * SKV_ERR_FULL / SKV_ERR_NOMEM: the caller still owns f. Never blocks. */
int tcp_peer_enqueue(struct tcp_peer *p, const char *address,
                     struct tcp_qframe *f, struct skv_err *err);

/* Ask the writer to drop its queue and exit; does not wait. */
void tcp_peer_close(struct tcp_peer *p);

/* 1 once the writer thread has finished (tcp_peer_free won't wait). */
int tcp_peer_exited(struct tcp_peer *p);

/* Close, join the writer thread, free everything. */
void tcp_peer_free(struct tcp_peer *p);

#endif
