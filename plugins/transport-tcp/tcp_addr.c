/* SPDX-License-Identifier: MIT */
/*
 * tcp_addr.c — address parsing and resolution, the listening socket,
 * timed non-blocking connect, and socket tuning.
 */
#include "tcp_addr.h"
#include "tcp_io.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int bad_addr(struct skv_err *err, const char *addr, const char *why)
{
    return skv_err_set(err, SKV_ERR_INVALID,
                       "invalid address '%s': %s (expected host:port)", addr,
                       why);
}

/* Port text: 1..5 digits, value <= 65535, 0 only when listening. */
static int parse_port(const char *p, int listen, char port[TCP_PORT_MAX])
{
    size_t n = strlen(p), i;
    unsigned long v = 0;
    if (n == 0 || n > 5)
        return -1;
    for (i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(p[i] - '0');
    }
    if (v > 65535 || (v == 0 && !listen))
        return -1;
    snprintf(port, TCP_PORT_MAX, "%lu", v);
    return 0;
}

int tcp_addr_split(const char *addr, int listen, char host[TCP_HOST_MAX],
                   char port[TCP_PORT_MAX], struct skv_err *err)
{
    const char *colon, *hs = addr;
    size_t hl;
    if (!addr || !*addr)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "empty address (expected host:port)");
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':')
            return bad_addr(err, addr, "expected [ipv6]:port");
        hs = addr + 1;
        hl = (size_t)(close - hs);
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon)
            return bad_addr(err, addr, "missing ':port'");
        if (memchr(addr, ':', (size_t)(colon - addr)))
            return bad_addr(err, addr, "write IPv6 hosts as [addr]:port");
        hl = (size_t)(colon - addr);
    }
    if (hl >= TCP_HOST_MAX)
        return bad_addr(err, addr, "host name too long");
    if (hl == 0 && !listen)
        return bad_addr(err, addr, "missing host");
    memcpy(host, hs, hl);
    host[hl] = '\0';
    if (parse_port(colon + 1, listen, port) != 0)
        return bad_addr(err, addr, listen ? "port must be 0..65535"
                                          : "port must be 1..65535");
    return SKV_OK;
}

static int resolve(const char *addr, int listen, struct addrinfo **res,
                   struct skv_err *err)
{
    char host[TCP_HOST_MAX], port[TCP_PORT_MAX];
    struct addrinfo hints;
    int rc = tcp_addr_split(addr, listen, host, port, err);
    if (rc != SKV_OK)
        return rc;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (listen ? AI_PASSIVE : 0);
    rc = getaddrinfo(*host ? host : NULL, port, &hints, res);
    if (rc != 0)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "cannot resolve address '%s': %s", addr,
                           gai_strerror(rc));
    return SKV_OK;
}

void tcp_addr_tune(int fd)
{
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
}

static int bind_one(const struct addrinfo *ai, int *fd_out)
{
    int one = 1;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0)
        return errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
        int e = errno;
        close(fd);
        return e;
    }
    *fd_out = fd;
    return 0;
}

int tcp_addr_listen(const char *addr, int *fd_out, struct skv_err *err)
{
    struct addrinfo *res = NULL, *ai;
    int rc = resolve(addr, 1, &res, err), e = 0, busy = 0;
    if (rc != SKV_OK)
        return rc;
    *fd_out = -1;
    for (ai = res; ai; ai = ai->ai_next) {
        e = bind_one(ai, fd_out);
        if (e == 0)
            break;
        busy |= (e == EADDRINUSE);
    }
    freeaddrinfo(res);
    if (*fd_out >= 0)
        return SKV_OK;
    if (busy)
        return skv_err_set(err, SKV_ERR_BUSY,
                           "cannot listen on '%s': address already in use",
                           addr);
    if (e == EADDRNOTAVAIL)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "cannot listen on '%s': %s", addr, strerror(e));
    return skv_err_set(err, SKV_ERR_IO, "cannot listen on '%s': %s", addr,
                       strerror(e));
}

/* One connect attempt; 0, an errno, or -1 when woken. */
static int connect_one(const struct addrinfo *ai, int64_t deadline,
                       int wake_fd, int *fd_out)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    int e = 0, rc;
    socklen_t el = sizeof e;
    if (fd < 0)
        return errno;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            e = errno;
            close(fd);
            return e;
        }
        rc = tcp_io_wait(fd, POLLOUT, wake_fd, deadline);
        if (rc == TCP_IO_WOKEN)
            e = -1;
        else if (rc == TCP_IO_TIMEOUT)
            e = ETIMEDOUT;
        else if (rc != TCP_IO_OK)
            e = errno;
        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
            e = errno;
        if (e != 0) {
            close(fd);
            return e;
        }
    }
    tcp_addr_tune(fd);
    *fd_out = fd;
    return 0;
}

int tcp_addr_connect(const char *addr, int timeout_ms, int wake_fd,
                     int *fd_out, struct skv_err *err)
{
    struct addrinfo *res = NULL, *ai;
    int64_t deadline = tcp_now_ms() + timeout_ms;
    int rc = resolve(addr, 0, &res, err), e = ECONNREFUSED;
    if (rc != SKV_OK)
        return rc;
    *fd_out = -1;
    for (ai = res; ai; ai = ai->ai_next) {
        e = connect_one(ai, deadline, wake_fd, fd_out);
        if (e <= 0)
            break;
    }
    freeaddrinfo(res);
    if (e == 0)
        return SKV_OK;
    if (e < 0)
        return skv_err_set(err, SKV_ERR_CLOSED,
                           "connect to '%s' interrupted by shutdown", addr);
    return skv_err_set(err, SKV_ERR_IO, "cannot connect to '%s': %s", addr,
                       strerror(e));
}

void tcp_addr_format(const struct sockaddr *sa, socklen_t len, char *out,
                     size_t outlen)
{
    char h[NI_MAXHOST], s[NI_MAXSERV];
    if (getnameinfo(sa, len, h, sizeof h, s, sizeof s,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, outlen, "?");
        return;
    }
    snprintf(out, outlen, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
             h, s);
}

void tcp_addr_local(int fd, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        snprintf(out, outlen, "?");
        return;
    }
    tcp_addr_format((const struct sockaddr *)&ss, len, out, outlen);
}
