/* SPDX-License-Identifier: MIT */
/*
 * http_addr.c — owns the listen address: strict numeric parsing and the
 * bind of exactly the configured address (SO_REUSEADDR for restarts; an
 * active listener on the same address still yields EADDRINUSE).
 */
#include "http_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int bad(struct skv_err *err, const char *text, const char *why)
{
    return skv_err_set(err, SKV_ERR_CONFIG,
                       "option 'listen': %s, found '%s'", why, text);
}

/* Decimal port 0..65535, digits only. */
static int parse_port(const char *s, unsigned *port)
{
    unsigned long v = 0;
    size_t i;
    if (!*s || strlen(s) > 5)
        return -1;
    for (i = 0; s[i]; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > 65535)
        return -1;
    *port = (unsigned)v;
    return 0;
}

static int split(const char *text, char *host, size_t hlen,
                 const char **port, int *v6)
{
    const char *colon;
    size_t n;
    *v6 = text[0] == '[';
    if (*v6) {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':')
            return -1;
        n = (size_t)(close - text - 1);
        *port = close + 2;
        text++;
    } else {
        colon = strrchr(text, ':');
        if (!colon)
            return -1;
        n = (size_t)(colon - text);
        *port = colon + 1;
    }
    if (n == 0 || n >= hlen)
        return -1;
    memcpy(host, text, n);
    host[n] = '\0';
    return 0;
}

int skv_http_addr_parse(const char *text, struct skv_http_addr *out,
                        struct skv_err *err)
{
    char host[64];
    const char *port_s;
    unsigned port;
    int v6;

    memset(out, 0, sizeof *out);
    if (!text || !*text)
        return bad(err, "", "expected IPv4:port or [IPv6]:port");
    if (split(text, host, sizeof host, &port_s, &v6) != 0)
        return bad(err, text, "expected IPv4:port or [IPv6]:port");
    if (parse_port(port_s, &port) != 0)
        return bad(err, text, "expected a port number 0..65535");
    if (v6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
            return bad(err, text, "expected a numeric IPv6 address in brackets");
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        out->len = sizeof *s6;
        out->wildcard = IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr);
        out->loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;
        if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
            return bad(err, text, "expected a numeric IPv4 address (e.g. 127.0.0.1:8101)");
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        out->len = sizeof *s4;
        out->wildcard = s4->sin_addr.s_addr == htonl(INADDR_ANY);
        out->loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
    }
    return SKV_OK;
}

static int bind_error(int e, const char *text, struct skv_err *err)
{
    if (e == EADDRINUSE)
        return skv_err_set(err, SKV_ERR_BUSY,
                           "cannot listen on %s: address already in use", text);
    if (e == EADDRNOTAVAIL)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "cannot listen on %s: address not available on this host",
                           text);
    return skv_err_set(err, SKV_ERR_IO, "cannot listen on %s: %s", text,
                       strerror(e));
}

int skv_http_addr_listen(const struct skv_http_addr *a, const char *text,
                         int *fd, struct skv_err *err)
{
    int s, one = 1, e;
    *fd = -1;
    s = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0)
        return skv_err_set(err, SKV_ERR_IO, "cannot listen on %s: socket: %s",
                           text, strerror(errno));
    if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (a->ss.ss_family == AF_INET6 &&
         setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)) {
        e = errno;
        close(s);
        return skv_err_set(err, SKV_ERR_IO, "cannot listen on %s: setsockopt: %s",
                           text, strerror(e));
    }
    if (bind(s, (const struct sockaddr *)&a->ss, a->len) != 0 ||
        listen(s, 128) != 0) {
        e = errno;
        close(s);
        return bind_error(e, text, err);
    }
    *fd = s;
    return SKV_OK;
}

void skv_http_addr_bound(int fd, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET6) {
            const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
            port = ntohs(s6->sin6_port);
            snprintf(buf, len, "[%s]:%u", host, port);
            return;
        }
        inet_ntop(AF_INET, &((const struct sockaddr_in *)&ss)->sin_addr, host,
                  sizeof host);
        port = ntohs(((const struct sockaddr_in *)&ss)->sin_port);
    }
    snprintf(buf, len, "%s:%u", host, port);
}
