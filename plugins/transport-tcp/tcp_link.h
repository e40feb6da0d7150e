/* SPDX-License-Identifier: MIT */
/*
 * tcp_link.h — one connection of the tcp transport, plaintext or TLS over
 * a non-blocking socket: the TLS handshake, buffered reads and whole
 * writes, every wait through tcp_io_wait (bounded by a deadline and
 * interrupted by the wake fd, so no thread blocks past stop), and close.
 */
#ifndef SKV_TCP_LINK_H
#define SKV_TCP_LINK_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_LINK_RBUF (64u * 1024u)

struct tcp_link {
    int fd;
    int wake_fd;
    SSL *ssl;                 /* NULL: plaintext */
    unsigned char *rbuf;      /* read buffer; NULL: unbuffered */
    size_t rpos, rlen;
    unsigned spins;           /* reads served from TLS buffers */
    char why[200];            /* reason for the last TCP_IO_TLS */
};

/* Wrap `fd` (the link owns it from now on). `buffered`: allocate a read
 * buffer (readers). 0, or -1 when out of memory (fd still owned). */
int tcp_link_init(struct tcp_link *k, int fd, int wake_fd, int buffered);

/* Run the TLS handshake as server or client with `ctx` before
 * `deadline_ms`. A tcp_io_rc; TCP_IO_TLS with the reason in k->why. */
int tcp_link_tls(struct tcp_link *k, SSL_CTX *ctx, int server,
                 int64_t deadline_ms);

/* Read exactly `len` bytes (deadline < 0: none). A tcp_io_rc. */
int tcp_link_read_full(struct tcp_link *k, void *buf, size_t len,
                       int64_t deadline_ms);

/* Write all `len` bytes. A tcp_io_rc. */
int tcp_link_write_all(struct tcp_link *k, const void *buf, size_t len);

/* Human-readable reason for a tcp_io_rc on this link. */
const char *tcp_link_reason(const struct tcp_link *k, int rc,
                            int saved_errno);

/* Close (TLS: send close_notify first when `graceful`); frees all. */
void tcp_link_close(struct tcp_link *k, int graceful);

#endif
