/* SPDX-License-Identifier: MIT */
/*
 * tcp_listener.c — accepts inbound connections and runs one reader thread
 * per connection: TLS handshake with the current credentials (unless
 * insecure), the peer certificate's node id, the SKVT handshake (inside
 * TLS; its id must be the certificate's), the ack, then frames to
 * host->deliver() with the certificate's id. Anything wrong closes only
 * that connection before a frame is read, with a rate-limited log line
 * per remote host. After a credentials reload an established peer's
 * certificate is checked against the new CA file before its next frame
 * is delivered; one the new CA does not accept is closed. Finished readers are joined ("reaped") by the
 * listener thread; stop joins the rest.
 */
#define _GNU_SOURCE /* accept4 */
#include "tcp_listener.h"
#include "tcp_addr.h"
#include "tcp_creds.h"
#include "tcp_frame.h"
#include "tcp_io.h"
#include "tcp_link.h"
#include "tcp_ratelog.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TCP_HANDSHAKE_TIMEOUT_MS 5000
#define TCP_MAX_INBOUND 512
#define TCP_ACCEPT_PAUSE_MS 100

struct tcp_conn {
    struct tcp_conn *next;
    struct tcp_listener *l;
    int fd;
    pthread_t thread;
    int done;                    /* reader finished; under l->lock */
    char from[TCP_ADDR_STR_MAX]; /* remote address, for log lines */
};

struct tcp_listener {
    const struct skv_host *host;
    struct tcp_tls *tls;  /* NULL: plaintext */
    struct tcp_ratelog rl;
    int fd;       /* listening socket */
    int stop_fd;  /* wake fd: fired once by stop */
    int reap_fd;  /* eventfd counter: a reader finished */
    pthread_t thread;
    pthread_mutex_t lock;
    struct tcp_conn *conns;
    unsigned n_conns;
    char addr[TCP_ADDR_STR_MAX];
};

#define LOG(l, lvl, ...) (l)->host->log((l)->host->ctx, (lvl), __VA_ARGS__)

/* A refused connection: one line per remote host per 10 s at most. */
static void refused(struct tcp_listener *l, const struct tcp_conn *c,
                    const char *why)
{
    unsigned sup = 0;
    if (!tcp_ratelog_allow(&l->rl, c->from, tcp_now_ms(), &sup))
        return;
    if (sup)
        LOG(l, SKV_LOG_WARN, "refused connection from %s: %s (%u more "
            "refusals from this host in the last %u s not logged)", c->from,
            why, sup, TCP_RATELOG_MS / 1000);
    else
        LOG(l, SKV_LOG_WARN, "refused connection from %s: %s", c->from, why);
}

/* Credentials reloaded since the connection's handshake (generation
 * *gen)? Then it stays only if the new CA still accepts the peer. */
static int still_trusted(struct tcp_listener *l, struct tcp_link *k,
                         unsigned *gen, struct skv_err *err)
{
    char why[200];
    unsigned g;
    SSL_CTX *ctx;
    int rc;
    if (!l->tls || tcp_tls_gen(l->tls) == *gen)
        return 1;
    ctx = tcp_tls_ctx(l->tls, &g);
    rc = tcp_creds_recheck(k->ssl, ctx, why, sizeof why);
    SSL_CTX_free(ctx);
    if (rc != 0) {
        skv_err_set(err, SKV_ERR_INVALID, "%s; connection closed", why);
        return 0;
    }
    *gen = g;
    return 1;
}

static void read_frames(struct tcp_conn *c, struct tcp_link *k,
                        uint64_t from, unsigned gen)
{
    struct tcp_listener *l = c->l;
    struct tcp_rbuf rb = {NULL, 0};
    struct skv_err err = {0, ""};
    char why[SKV_ERRMSG_MAX + 40];
    size_t len = 0;
    int rc;
    while ((rc = tcp_frame_read(k, &rb, &len, &err)) == TCP_FRAME_OK) {
        if (!still_trusted(l, k, &gen, &err)) {
            rc = TCP_FRAME_BAD;
            break;
        }
        l->host->deliver(l->host->ctx, from, rb.data, len);
        tcp_rbuf_shrink(&rb);
    }
    tcp_rbuf_free(&rb);
    if (rc == TCP_FRAME_EOF) {
        LOG(l, SKV_LOG_DEBUG, "node %" PRIu64 " (%s) closed its connection",
            from, c->from);
    } else if (rc != TCP_FRAME_STOP) {
        snprintf(why, sizeof why, "node %" PRIu64 ": %s", from, err.msg);
        refused(l, c, why);
    }
}

/* Wait for the first byte: a TLS record (0x16) or not. */
static int expect_tls(struct tcp_link *k, int64_t deadline,
                      struct skv_err *err)
{
    unsigned char b = 0;
    int rc = tcp_io_wait(k->fd, POLLIN, k->wake_fd, deadline);
    if (rc == TCP_IO_WOKEN)
        return TCP_FRAME_STOP;
    if (rc == TCP_IO_OK && recv(k->fd, &b, 1, MSG_PEEK) != 1)
        rc = TCP_IO_EOF;
    if (rc != TCP_IO_OK)
        skv_err_set(err, SKV_ERR_IO, "before the TLS handshake: %s",
                    tcp_io_reason(rc, errno));
    else if (b == 'S')
        skv_err_set(err, SKV_ERR_CORRUPT, "a plaintext sealkv peer "
                    "(insecure: true) but this transport requires TLS");
    else if (b != 0x16)
        skv_err_set(err, SKV_ERR_CORRUPT, "not a TLS connection");
    return rc == TCP_IO_OK && b == 0x16 ? TCP_FRAME_OK : TCP_FRAME_BAD;
}

/* TLS handshake, certificate id, SKVT handshake bound to it, ack. */
static int accept_tls(struct tcp_listener *l, struct tcp_link *k,
                      uint64_t *from, unsigned *gen, struct skv_err *err)
{
    int64_t deadline = tcp_now_ms() + TCP_HANDSHAKE_TIMEOUT_MS;
    uint64_t cert_id = 0, said = 0;
    char why[200];
    SSL_CTX *ctx;
    int rc = expect_tls(k, deadline, err);
    if (rc != TCP_FRAME_OK)
        return rc;
    ctx = tcp_tls_ctx(l->tls, gen);
    rc = tcp_link_tls(k, ctx, 1, deadline);
    SSL_CTX_free(ctx);
    if (rc == TCP_IO_WOKEN)
        return TCP_FRAME_STOP;
    if (rc != TCP_IO_OK) {
        skv_err_set(err, SKV_ERR_IO, "TLS handshake failed: %s",
                    tcp_link_reason(k, rc, errno));
        return TCP_FRAME_BAD;
    }
    if (tcp_creds_peer_id(k->ssl, &cert_id, why, sizeof why) != 0) {
        skv_err_set(err, SKV_ERR_INVALID, "%s", why);
        return TCP_FRAME_BAD;
    }
    rc = tcp_frame_read_handshake(k, TCP_PROTO_TLS, deadline, &said, err);
    if (rc != TCP_FRAME_OK)
        return rc;
    if (said != cert_id) {
        skv_err_set(err, SKV_ERR_INVALID, "handshake announces node %" PRIu64
                    " but its certificate is for node %" PRIu64, said,
                    cert_id);
        return TCP_FRAME_BAD;
    }
    rc = tcp_link_write_all(k, TCP_ACK, TCP_ACK_LEN);
    if (rc != TCP_IO_OK) {
        skv_err_set(err, SKV_ERR_IO, "sending ack: %s",
                    tcp_link_reason(k, rc, errno));
        return rc == TCP_IO_WOKEN ? TCP_FRAME_STOP : TCP_FRAME_BAD;
    }
    *from = cert_id;
    return TCP_FRAME_OK;
}

static int accept_peer(struct tcp_listener *l, struct tcp_link *k,
                       uint64_t *from, unsigned *gen, struct skv_err *err)
{
    if (l->tls)
        return accept_tls(l, k, from, gen, err);
    return tcp_frame_read_handshake(k, TCP_PROTO_PLAIN,
                                    tcp_now_ms() + TCP_HANDSHAKE_TIMEOUT_MS,
                                    from, err);
}

static void *reader_main(void *arg)
{
    struct tcp_conn *c = arg;
    struct tcp_listener *l = c->l;
    struct skv_err err = {0, ""};
    struct tcp_link k;
    uint64_t from = 0;
    unsigned gen = 0;
    int rc = TCP_FRAME_NOMEM;
    tcp_io_block_sigpipe();
    if (tcp_link_init(&k, c->fd, l->stop_fd, 1) == 0)
        rc = accept_peer(l, &k, &from, &gen, &err);
    else
        skv_err_set(&err, SKV_ERR_NOMEM, "out of memory");
    if (rc == TCP_FRAME_OK) {
        LOG(l, SKV_LOG_DEBUG, "inbound connection from node %" PRIu64
            " (%s)", from, c->from);
        read_frames(c, &k, from, gen);
    } else if (rc != TCP_FRAME_STOP) {
        refused(l, c, err.msg);
    }
    tcp_link_close(&k, 0);
    c->fd = -1;
    pthread_mutex_lock(&l->lock);
    c->done = 1;
    pthread_mutex_unlock(&l->lock);
    tcp_wake_fire(l->reap_fd);
    return NULL;
}

/* Join and free finished readers (all of them when `all`). */
static void reap(struct tcp_listener *l, int all)
{
    struct tcp_conn *dead = NULL, **pp, *c;
    pthread_mutex_lock(&l->lock);
    for (pp = &l->conns; (c = *pp);) {
        if (all || c->done) {
            *pp = c->next;
            c->next = dead;
            dead = c;
            l->n_conns--;
        } else {
            pp = &c->next;
        }
    }
    pthread_mutex_unlock(&l->lock);
    while ((c = dead)) {
        dead = c->next;
        pthread_join(c->thread, NULL);
        free(c);
    }
}

static void add_conn(struct tcp_listener *l, int fd, const char *from)
{
    struct tcp_conn *c = calloc(1, sizeof *c);
    int e;
    if (!c) {
        LOG(l, SKV_LOG_ERROR, "out of memory: dropping connection from %s",
            from);
        close(fd);
        return;
    }
    c->l = l;
    c->fd = fd;
    snprintf(c->from, sizeof c->from, "%s", from);
    pthread_mutex_lock(&l->lock);
    e = pthread_create(&c->thread, NULL, reader_main, c);
    if (e == 0) {
        c->next = l->conns;
        l->conns = c;
        l->n_conns++;
    }
    pthread_mutex_unlock(&l->lock);
    if (e != 0) {
        LOG(l, SKV_LOG_ERROR, "cannot start reader for %s: %s", from,
            strerror(e));
        close(fd);
        free(c);
    }
}

/* Accept one connection; returns a pause in ms (fd exhaustion) or 0. */
static int accept_one(struct tcp_listener *l)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char from[TCP_ADDR_STR_MAX];
    unsigned n;
    int fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
            errno == ECONNABORTED)
            return 0;
        LOG(l, SKV_LOG_WARN, "accept on %s failed: %s", l->addr,
            strerror(errno));
        return TCP_ACCEPT_PAUSE_MS;
    }
    tcp_addr_format((const struct sockaddr *)&ss, len, from, sizeof from);
    pthread_mutex_lock(&l->lock);
    n = l->n_conns;
    pthread_mutex_unlock(&l->lock);
    if (n >= TCP_MAX_INBOUND) {
        LOG(l, SKV_LOG_WARN, "refusing connection from %s: %u inbound "
            "connections already", from, n);
        close(fd);
        return 0;
    }
    tcp_addr_tune(fd);
    add_conn(l, fd, from);
    return 0;
}

static void *listener_main(void *arg)
{
    struct tcp_listener *l = arg;
    int pause_ms = 0;
    for (;;) {
        struct pollfd p[3] = {{.fd = l->stop_fd, .events = POLLIN},
                              {.fd = l->reap_fd, .events = POLLIN},
                              {.fd = l->fd, .events = POLLIN}};
        int n = poll(p, pause_ms ? 2 : 3, pause_ms ? pause_ms : -1);
        pause_ms = 0;
        if (n < 0 && errno != EINTR) {
            LOG(l, SKV_LOG_ERROR, "poll failed: %s", strerror(errno));
            pause_ms = TCP_ACCEPT_PAUSE_MS;
            continue;
        }
        if (p[0].revents)
            break;
        if (p[1].revents) {
            tcp_wake_drain(l->reap_fd);
            reap(l, 0);
        }
        if (p[2].revents)
            pause_ms = accept_one(l);
    }
    return NULL;
}

static void listener_free(struct tcp_listener *l)
{
    if (l->fd >= 0)
        close(l->fd);
    if (l->stop_fd >= 0)
        close(l->stop_fd);
    if (l->reap_fd >= 0)
        close(l->reap_fd);
    tcp_ratelog_destroy(&l->rl);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

int tcp_listener_start(const struct skv_host *host, const char *address,
                       struct tcp_tls *tls, struct tcp_listener **out,
                       struct skv_err *err)
{
    struct tcp_listener *l = calloc(1, sizeof *l);
    int rc, e;
    *out = NULL;
    if (!l)
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    if (tcp_ratelog_init(&l->rl) != 0) {
        free(l);
        return skv_err_set(err, SKV_ERR_NOMEM, "cannot create mutex");
    }
    l->host = host;
    l->tls = tls;
    l->stop_fd = l->reap_fd = -1;
    pthread_mutex_init(&l->lock, NULL);
    rc = tcp_addr_listen(address, &l->fd, err);
    if (rc != SKV_OK) {
        l->fd = -1;
        listener_free(l);
        return rc;
    }
    tcp_addr_local(l->fd, l->addr, sizeof l->addr);
    l->stop_fd = tcp_wake_new();
    l->reap_fd = tcp_wake_new();
    if (l->stop_fd < 0 || l->reap_fd < 0) {
        e = errno;
        listener_free(l);
        return skv_err_set(err, SKV_ERR_IO, "eventfd: %s", strerror(e));
    }
    e = pthread_create(&l->thread, NULL, listener_main, l);
    if (e != 0) {
        listener_free(l);
        return skv_err_set(err, SKV_ERR_NOMEM,
                           "cannot start listener thread: %s", strerror(e));
    }
    LOG(l, SKV_LOG_INFO, "listening on %s (%s)", l->addr,
        tls ? "mutual TLS 1.3" : "plaintext, unauthenticated");
    *out = l;
    return SKV_OK;
}

void tcp_listener_stop(struct tcp_listener *l)
{
    if (!l)
        return;
    tcp_wake_fire(l->stop_fd);
    pthread_join(l->thread, NULL);
    reap(l, 1);
    LOG(l, SKV_LOG_INFO, "stopped listening on %s", l->addr);
    listener_free(l);
}
