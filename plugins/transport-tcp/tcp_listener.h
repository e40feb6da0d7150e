/* SPDX-License-Identifier: MIT */
/*
 * tcp_listener.h — the accepting side of the tcp transport: a listener
 * thread accepts connections, and each inbound connection gets a reader
 * thread that runs the TLS handshake (unless insecure), checks the
 * peer's certificate and handshake, and hands every frame to
 * host->deliver() with the proven node id.
 */
#ifndef SKV_TCP_LISTENER_H
#define SKV_TCP_LISTENER_H

#include <sealkv/plugin.h>
#include "tcp_tls.h"

struct tcp_listener;

/* Bind `address` and start the listener thread. `tls` (kept, not owned):
 * the credentials for every new connection; NULL means plaintext. */
int tcp_listener_start(const struct skv_host *host, const char *address,
                       struct tcp_tls *tls, struct tcp_listener **out,
                       struct skv_err *err);

/* Close the listener and every inbound connection, join all their
 * threads and free everything. deliver() is not called after this
 * returns. NULL is a no-op. */
void tcp_listener_stop(struct tcp_listener *l);

#endif
