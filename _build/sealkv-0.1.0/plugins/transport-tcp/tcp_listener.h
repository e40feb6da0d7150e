/*
 * tcp_listener.h — the accepting side of the tcp transport: a listener
 * thread accepts connections, and each inbound connection gets a reader
 * thread that checks the handshake and hands every frame to
 * host->deliver().
 */
#ifndef SKV_TCP_LISTENER_H
#define SKV_TCP_LISTENER_H

#include <sealkv/plugin.h>

struct tcp_listener;

/* Bind `address` and start the listener thread. */
int tcp_listener_start(const struct skv_host *host, const char *address,
                       struct tcp_listener **out, struct skv_err *err);

/* Close the listener and every inbound connection, join all their
 * threads and free everything. deliver() is not called after this
 * returns. NULL is a no-op. */
void tcp_listener_stop(struct tcp_listener *l);

#endif
