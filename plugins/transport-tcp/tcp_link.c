/* SPDX-License-Identifier: MIT */
/*
 * tcp_link.c — plaintext or TLS I/O on one non-blocking socket. TLS calls
 * are retried on SSL_ERROR_WANT_READ/WANT_WRITE after tcp_io_wait, so the
 * wake fd and deadlines work exactly as for plaintext; a reader served
 * from TLS buffers still checks the wake fd every 64 reads.
 */
#include "tcp_link.h"
#include "tcp_creds.h"
#include "tcp_io.h"

#include <errno.h>
#include <limits.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { OP_READ, OP_WRITE, OP_ACCEPT, OP_CONNECT };

int tcp_link_init(struct tcp_link *k, int fd, int wake_fd, int buffered)
{
    memset(k, 0, sizeof *k);
    k->fd = fd;
    k->wake_fd = wake_fd;
    if (buffered && !(k->rbuf = malloc(TCP_LINK_RBUF)))
        return -1;
    return 0;
}

/* A final TLS error: remember why (verify result first, it says most). */
static int tls_fail(struct tcp_link *k)
{
    long vr = SSL_get_verify_result(k->ssl);
    char ossl[160];
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    if (r)
        snprintf(ossl, sizeof ossl, "%s", r);
    else
        tcp_creds_ossl_err(ossl, sizeof ossl);
    ERR_clear_error();
    if (vr != X509_V_OK)
        snprintf(k->why, sizeof k->why, "%s (certificate: %s)",
                 ossl[0] ? ossl : "TLS error",
                 X509_verify_cert_error_string(vr));
    else
        snprintf(k->why, sizeof k->why, "%s", ossl[0] ? ossl : "TLS error");
    return TCP_IO_TLS;
}

static int ssl_call(struct tcp_link *k, int op, void *buf, size_t len)
{
    int n = len > INT_MAX ? INT_MAX : (int)len;
    ERR_clear_error();
    switch (op) {
    case OP_READ: return SSL_read(k->ssl, buf, n);
    case OP_WRITE: return SSL_write(k->ssl, buf, n);
    case OP_ACCEPT: return SSL_accept(k->ssl);
    default: return SSL_connect(k->ssl);
    }
}

/* One TLS operation to completion (read/write: > 0 bytes in *done). */
static int ssl_io(struct tcp_link *k, int op, void *buf, size_t len,
                  int64_t deadline_ms, size_t *done)
{
    short ev = POLLIN;
    /* Readers wait first (a steady sender must not hide stop from them);
     * writers and clients try first. */
    int wait = op == OP_ACCEPT || (op == OP_READ && !SSL_has_pending(k->ssl));
    for (;;) {
        int r, e, rc;
        if (wait && (rc = tcp_io_wait(k->fd, ev, k->wake_fd, deadline_ms)))
            return rc;
        if (!wait && (++k->spins & 63) == 0 && tcp_io_woken(k->wake_fd))
            return TCP_IO_WOKEN;
        r = ssl_call(k, op, buf, len);
        if (r > 0) {
            *done = (size_t)r;
            return TCP_IO_OK;
        }
        e = SSL_get_error(k->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            ev = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
            wait = 1;
            continue;
        }
        if (e == SSL_ERROR_ZERO_RETURN ||
            (e == SSL_ERROR_SYSCALL && errno == 0))
            return TCP_IO_EOF;
        if (e == SSL_ERROR_SYSCALL)
            return TCP_IO_ERR;
        return tls_fail(k);
    }
}

int tcp_link_tls(struct tcp_link *k, SSL_CTX *ctx, int server,
                 int64_t deadline_ms)
{
    size_t done = 0;
    int rc;
    if (!(k->ssl = SSL_new(ctx)) || SSL_set_fd(k->ssl, k->fd) != 1) {
        snprintf(k->why, sizeof k->why, "cannot create a TLS session");
        ERR_clear_error();
        return TCP_IO_TLS;
    }
    rc = ssl_io(k, server ? OP_ACCEPT : OP_CONNECT, NULL, 0, deadline_ms,
                &done);
    if (rc == TCP_IO_EOF)
        snprintf(k->why, sizeof k->why, "connection closed during the TLS "
                 "handshake (is the peer running with insecure: true, or "
                 "did it refuse our certificate?)");
    return rc == TCP_IO_EOF ? TCP_IO_TLS : rc;
}

static int link_recv(struct tcp_link *k, void *buf, size_t cap,
                     int64_t deadline_ms, size_t *got)
{
    int rc;
    if (k->ssl)
        return ssl_io(k, OP_READ, buf, cap, deadline_ms, got);
    for (;;) {
        ssize_t r;
        /* Wait first, even when data is pending: a steady sender must
         * not keep a reader from noticing shutdown. */
        if ((rc = tcp_io_wait(k->fd, POLLIN, k->wake_fd, deadline_ms)))
            return rc;
        r = recv(k->fd, buf, cap, 0);
        if (r > 0) {
            *got = (size_t)r;
            return TCP_IO_OK;
        }
        if (r == 0)
            return TCP_IO_EOF;
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            return TCP_IO_ERR;
    }
}

int tcp_link_read_full(struct tcp_link *k, void *buf, size_t len,
                       int64_t deadline_ms)
{
    size_t got = 0;
    while (got < len) {
        size_t n = 0;
        int rc;
        if (k->rpos < k->rlen) {
            n = k->rlen - k->rpos < len - got ? k->rlen - k->rpos : len - got;
            memcpy((char *)buf + got, k->rbuf + k->rpos, n);
            k->rpos += n;
            got += n;
            continue;
        }
        if (k->rbuf && len - got < TCP_LINK_RBUF) {
            rc = link_recv(k, k->rbuf, TCP_LINK_RBUF, deadline_ms, &n);
            k->rpos = 0;
            k->rlen = rc == TCP_IO_OK ? n : 0;
        } else {
            rc = link_recv(k, (char *)buf + got, len - got, deadline_ms, &n);
            got += rc == TCP_IO_OK ? n : 0;
        }
        if (rc == TCP_IO_EOF)
            return got ? TCP_IO_SHORT : TCP_IO_EOF;
        if (rc != TCP_IO_OK)
            return rc;
    }
    return TCP_IO_OK;
}

int tcp_link_write_all(struct tcp_link *k, const void *buf, size_t len)
{
    size_t off = 0;
    if (!k->ssl)
        return tcp_io_write_all(k->fd, buf, len, k->wake_fd);
    while (off < len) {
        size_t n = 0;
        int rc = ssl_io(k, OP_WRITE, (char *)buf + off, len - off, -1, &n);
        if (rc != TCP_IO_OK)
            return rc == TCP_IO_EOF ? TCP_IO_SHORT : rc;
        off += n;
    }
    return TCP_IO_OK;
}

const char *tcp_link_reason(const struct tcp_link *k, int rc,
                            int saved_errno)
{
    return rc == TCP_IO_TLS ? k->why : tcp_io_reason(rc, saved_errno);
}

void tcp_link_close(struct tcp_link *k, int graceful)
{
    if (k->ssl) {
        if (graceful && SSL_is_init_finished(k->ssl))
            SSL_shutdown(k->ssl); /* one try: close_notify, never waits */
        ERR_clear_error();
        SSL_free(k->ssl);
        k->ssl = NULL;
    }
    if (k->fd >= 0)
        close(k->fd);
    k->fd = -1;
    free(k->rbuf);
    k->rbuf = NULL;
    k->rpos = k->rlen = 0;
}
