/* SPDX-License-Identifier: MIT */
/*
 * tcp_addr.h — "host:port" addresses for the tcp transport: parsing,
 * resolving, the listening socket, connecting with a timeout, and the
 * per-socket options (TCP_NODELAY, SO_KEEPALIVE).
 */
#ifndef SKV_TCP_ADDR_H
#define SKV_TCP_ADDR_H

#include <sealkv/plugin.h>
#include <sys/socket.h>

#define TCP_HOST_MAX 256
#define TCP_PORT_MAX 6
#define TCP_ADDR_STR_MAX 320

/* Split "host:port" / "[v6]:port" into its parts. An empty host is only
 * accepted when `listen` (wildcard); port 0 likewise. SKV_ERR_INVALID
 * with a message naming the address otherwise. */
int tcp_addr_split(const char *addr, int listen, char host[TCP_HOST_MAX],
                   char port[TCP_PORT_MAX], struct skv_err *err);

/* Bind and listen (SO_REUSEADDR); the socket is non-blocking.
 * SKV_ERR_BUSY if the address is in use, SKV_ERR_INVALID for a bad or
 * unresolvable address, SKV_ERR_IO otherwise. */
int tcp_addr_listen(const char *addr, int *fd_out, struct skv_err *err);

/* Connect (non-blocking socket) within `timeout_ms`, giving up early if
 * `wake_fd` fires (SKV_ERR_CLOSED). SKV_ERR_INVALID for a bad address,
 * SKV_ERR_IO for refused / unreachable / timed out. */
int tcp_addr_connect(const char *addr, int timeout_ms, int wake_fd,
                     int *fd_out, struct skv_err *err);

/* TCP_NODELAY and SO_KEEPALIVE; failures are harmless and ignored. */
void tcp_addr_tune(int fd);

/* "1.2.3.4:5" or "[::1]:5" for a socket address. */
void tcp_addr_format(const struct sockaddr *sa, socklen_t len, char *out,
                     size_t outlen);

/* The local address of a bound socket, formatted. */
void tcp_addr_local(int fd, char *out, size_t outlen);

#endif
