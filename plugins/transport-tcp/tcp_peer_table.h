/* SPDX-License-Identifier: MIT */
/*
 * tcp_peer_table.h — the set of outgoing peers by node id: validates and
 * copies each send() into the right peer's queue (creating the peer on
 * first use), forgets peers, and tears them all down at stop.
 */
#ifndef SKV_TCP_PEER_TABLE_H
#define SKV_TCP_PEER_TABLE_H

#include <sealkv/transport.h>
#include "tcp_peer.h"

struct tcp_peer_table;

int tcp_peer_table_new(const struct skv_host *host,
                       const struct tcp_peer_opts *opt,
                       struct tcp_peer_table **out, struct skv_err *err);

/* The transport's send(): never blocks. */
int tcp_peer_table_send(struct tcp_peer_table *t, uint64_t peer_id,
                        const char *address, const struct skv_iov *iov,
                        unsigned n, struct skv_err *err);

/* Drop the peer's queue and connection (no-op for an unknown id). */
void tcp_peer_table_forget(struct tcp_peer_table *t, uint64_t peer_id);

/* Bytes queued for the peer (0 for an unknown id). */
uint64_t tcp_peer_table_queued(struct tcp_peer_table *t, uint64_t peer_id);

/* Close every peer, join every writer thread, free. NULL is a no-op. */
void tcp_peer_table_free(struct tcp_peer_table *t);

#endif
