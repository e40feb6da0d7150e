/* SPDX-License-Identifier: MIT */
/*
 * http_addr.h — the `listen` option: parse "IPv4:port" or "[IPv6]:port"
 * (numeric only, no name resolution) and open the listening socket bound
 * to exactly that address.
 */
#ifndef SKV_HTTP_ADDR_H
#define SKV_HTTP_ADDR_H

#include <sys/socket.h>

#include <sealkv/plugin.h>

struct skv_http_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    int wildcard;          /* 0.0.0.0 or :: (all interfaces) */
    int loopback;          /* 127.0.0.0/8 or ::1 (this host only) */
};

/* SKV_ERR_CONFIG with a message naming the value on bad input. */
int skv_http_addr_parse(const char *text, struct skv_http_addr *out,
                        struct skv_err *err);

/* Non-blocking, close-on-exec listening socket bound to `a`. Stores the
 * fd in *fd. SKV_ERR_BUSY if the address is in use, SKV_ERR_CONFIG if it
 * is not local to this host, SKV_ERR_IO otherwise. */
int skv_http_addr_listen(const struct skv_http_addr *a, const char *text,
                         int *fd, struct skv_err *err);

/* "127.0.0.1:8101" / "[::1]:8101" of the socket's bound address. */
void skv_http_addr_bound(int fd, char *buf, size_t len);

#endif /* SKV_HTTP_ADDR_H */
