/* SPDX-License-Identifier: MIT */
/*
 * tcp_peer.c — one outgoing peer: bounded queue, outbound connection,
 * writer thread, reconnect with exponential backoff. Frames leave the
 * queue only once a connection is up: in TLS mode that means the TLS
 * handshake passed, the acceptor's certificate names this peer's id, our
 * handshake went out and the acceptor's ack came back. Queued frames go
 * out in batches (up to TCP_PEER_BATCH bytes per write). A batch whose
 * write fails is dropped (Raft tolerates loss) and the writer reconnects.
 * After a credentials reload the writer closes gracefully between two
 * batches and reconnects with the new context: nothing queued is lost.
 */
#include "tcp_peer.h"
#include "tcp_addr.h"
#include "tcp_creds.h"
#include "tcp_frame.h"
#include "tcp_io.h"
#include "tcp_link.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TCP_PEER_BATCH (64u * 1024u)
#define TCP_PEER_BATCH_FRAMES 256

struct tcp_peer {
    uint64_t id;
    const struct skv_host *host;
    struct tcp_peer_opts opt;
    int wake_fd;                 /* fired by close: interrupts connect/write */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;         /* CLOCK_MONOTONIC */
    /* under lock */
    struct tcp_queue q;
    char *addr;
    unsigned addr_gen;           /* bumped when addr changes */
    int closing;
    int exited;
    unsigned backoff_ms;
    int64_t next_try_ms;
    /* writer thread only */
    struct tcp_link link;        /* link.fd < 0: not connected */
    unsigned conn_gen;           /* addr_gen the connection was made for */
    unsigned cred_gen;           /* TLS generation it was made with */
    int down_logged;
    unsigned char *wbuf;         /* TCP_PEER_BATCH bytes */
};

#define LOG(p, lvl, ...) (p)->host->log((p)->host->ctx, (lvl), __VA_ARGS__)

uint64_t tcp_peer_id(const struct tcp_peer *p)
{
    return p->id;
}

static void wait_until(struct tcp_peer *p, int64_t deadline_ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(deadline_ms / 1000);
    ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
    pthread_cond_timedwait(&p->cond, &p->lock, &ts);
}

static void disconnect(struct tcp_peer *p, const char *why, int graceful)
{
    LOG(p, SKV_LOG_INFO, "connection to node %" PRIu64 " at %s closed: %s",
        p->id, p->addr, why);
    tcp_link_close(&p->link, graceful);
    p->next_try_ms = 0; /* first retry right away, then back off */
}

static int io_err(int rc, const struct tcp_link *k, struct skv_err *err,
                  const char *what, const char *addr)
{
    return skv_err_set(err, rc == TCP_IO_WOKEN ? SKV_ERR_CLOSED : SKV_ERR_IO,
                       "%s '%s': %s", what, addr,
                       tcp_link_reason(k, rc, errno));
}

/* TLS handshake, the acceptor's id, our handshake, its ack. */
static int dial_tls(struct tcp_peer *p, struct tcp_link *k, const char *addr,
                    uint64_t me, struct skv_err *err)
{
    int64_t deadline = tcp_now_ms() + p->opt.connect_timeout_ms;
    unsigned char hs[TCP_HANDSHAKE_LEN], ack[TCP_ACK_LEN];
    SSL_CTX *ctx = tcp_tls_ctx(p->opt.tls, &p->cred_gen);
    uint64_t id = 0;
    char why[200];
    int rc = tcp_link_tls(k, ctx, 0, deadline);
    SSL_CTX_free(ctx);
    if (rc != TCP_IO_OK)
        return io_err(rc, k, err, "TLS handshake with", addr);
    if (tcp_creds_peer_id(k->ssl, &id, why, sizeof why) != 0)
        return skv_err_set(err, SKV_ERR_IO, "refusing '%s': %s", addr, why);
    if (id != p->id)
        return skv_err_set(err, SKV_ERR_IO, "refusing '%s': its certificate "
                           "is for node %" PRIu64 ", not node %" PRIu64
                           "; no frame sent", addr, id, p->id);
    tcp_handshake_encode(hs, TCP_PROTO_TLS, me);
    if ((rc = tcp_link_write_all(k, hs, sizeof hs)) != TCP_IO_OK)
        return io_err(rc, k, err, "sending handshake to", addr);
    rc = tcp_link_read_full(k, ack, sizeof ack, deadline);
    if (rc != TCP_IO_OK)
        return io_err(rc, k, err, "no ack (our credentials refused?) from",
                      addr);
    if (memcmp(ack, TCP_ACK, TCP_ACK_LEN) != 0)
        return skv_err_set(err, SKV_ERR_IO, "bad ack from '%s'", addr);
    return SKV_OK;
}

/* Connect, (TLS,) handshake. Lock NOT held. */
static int open_conn(struct tcp_peer *p, const char *addr,
                     struct tcp_link *k, struct skv_err *err)
{
    unsigned char hs[TCP_HANDSHAKE_LEN];
    uint64_t me = SKV_HAS(p->host, struct skv_host, node_id)
                      ? p->host->node_id(p->host->ctx) : 0;
    int fd = -1, rc = tcp_addr_connect(addr, (int)p->opt.connect_timeout_ms,
                                       p->wake_fd, &fd, err);
    if (rc != SKV_OK)
        return rc;
    tcp_link_init(k, fd, p->wake_fd, 0); /* unbuffered: cannot fail */
    if (p->opt.tls) {
        rc = dial_tls(p, k, addr, me, err);
    } else {
        tcp_handshake_encode(hs, TCP_PROTO_PLAIN, me);
        rc = tcp_link_write_all(k, hs, sizeof hs);
        if (rc != TCP_IO_OK)
            rc = io_err(rc, k, err, "sending handshake to", addr);
    }
    if (rc != SKV_OK)
        tcp_link_close(k, 0);
    return rc;
}

static void connect_failed(struct tcp_peer *p, const struct skv_err *err)
{
    LOG(p, p->down_logged ? SKV_LOG_DEBUG : SKV_LOG_WARN,
        "node %" PRIu64 " unreachable: %s; retrying in %u ms (%zu frames "
        "queued)", p->id, err->msg, p->backoff_ms, p->q.frames);
    p->down_logged = 1;
    p->next_try_ms = tcp_now_ms() + p->backoff_ms;
    p->backoff_ms = p->backoff_ms > p->opt.reconnect_max_ms / 2
                        ? p->opt.reconnect_max_ms : p->backoff_ms * 2;
}

/* Lock held; may drop it while connecting. */
static void try_connect(struct tcp_peer *p)
{
    char addr[TCP_ADDR_STR_MAX];
    struct skv_err err = {0, ""};
    struct tcp_link k;
    unsigned gen = p->addr_gen;
    int rc;
    if (tcp_now_ms() < p->next_try_ms) {
        wait_until(p, p->next_try_ms);
        return;
    }
    snprintf(addr, sizeof addr, "%s", p->addr);
    pthread_mutex_unlock(&p->lock);
    rc = open_conn(p, addr, &k, &err);
    pthread_mutex_lock(&p->lock);
    if (rc == SKV_OK) {
        p->link = k;
        p->conn_gen = gen;
        p->backoff_ms = p->opt.reconnect_min_ms;
        p->down_logged = 0;
        LOG(p, SKV_LOG_INFO, "connected to node %" PRIu64 " at %s%s", p->id,
            addr, p->opt.tls ? " (TLS, certificate verified)" : "");
    } else if (rc != SKV_ERR_CLOSED) {
        connect_failed(p, &err);
    }
}

/* Lock held. Pop up to TCP_PEER_BATCH bytes of frames (at least one). */
static size_t pop_batch(struct tcp_peer *p, struct tcp_qframe **b,
                        size_t *bytes)
{
    size_t n = 0;
    *bytes = 0;
    while (n < TCP_PEER_BATCH_FRAMES && p->q.head &&
           (n == 0 || *bytes + p->q.head->wire_len <= TCP_PEER_BATCH)) {
        b[n] = tcp_queue_pop(&p->q);
        *bytes += b[n++]->wire_len;
    }
    return n;
}

/* Lock held; drops it while writing one batch of frames. */
static void send_batch(struct tcp_peer *p)
{
    struct tcp_qframe *b[TCP_PEER_BATCH_FRAMES];
    size_t n, i, bytes, off = 0;
    int rc, e;
    if (tcp_io_peer_gone(p->link.fd)) {
        disconnect(p, "closed by the remote end", 0);
        return;
    }
    n = pop_batch(p, b, &bytes);
    pthread_mutex_unlock(&p->lock);
    if (n == 1) {
        rc = tcp_link_write_all(&p->link, b[0]->wire, b[0]->wire_len);
    } else {
        for (i = 0; i < n; off += b[i]->wire_len, i++)
            memcpy(p->wbuf + off, b[i]->wire, b[i]->wire_len);
        rc = tcp_link_write_all(&p->link, p->wbuf, bytes);
    }
    e = errno;
    for (i = 0; i < n; i++)
        free(b[i]);
    pthread_mutex_lock(&p->lock);
    if (rc != TCP_IO_OK && rc != TCP_IO_WOKEN)
        disconnect(p, tcp_link_reason(&p->link, rc, e), 0);
}

static int creds_changed(struct tcp_peer *p)
{
    return p->opt.tls && p->cred_gen != tcp_tls_gen(p->opt.tls);
}

static void *writer_main(void *arg)
{
    struct tcp_peer *p = arg;
    tcp_io_block_sigpipe();
    pthread_mutex_lock(&p->lock);
    while (!p->closing) {
        if (!p->q.head)
            pthread_cond_wait(&p->cond, &p->lock);
        else if (p->link.fd >= 0 && p->conn_gen != p->addr_gen)
            disconnect(p, "address changed", 1);
        else if (p->link.fd >= 0 && creds_changed(p))
            disconnect(p, "credentials reloaded, reconnecting", 1);
        else if (p->link.fd < 0)
            try_connect(p);
        else
            send_batch(p);
    }
    tcp_link_close(&p->link, 0);
    p->exited = 1;
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void peer_destroy(struct tcp_peer *p)
{
    tcp_queue_clear(&p->q);
    if (p->wake_fd >= 0)
        close(p->wake_fd);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p->wbuf);
    free(p->addr);
    free(p);
}

static int peer_sync_init(struct tcp_peer *p)
{
    pthread_condattr_t ca;
    int rc = pthread_condattr_init(&ca);
    if (rc == 0) {
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        rc = pthread_cond_init(&p->cond, &ca);
        pthread_condattr_destroy(&ca);
    }
    if (rc == 0 && (rc = pthread_mutex_init(&p->lock, NULL)) != 0)
        pthread_cond_destroy(&p->cond);
    return rc;
}

int tcp_peer_new(const struct skv_host *host, const struct tcp_peer_opts *opt,
                 uint64_t id, const char *address, struct tcp_peer **out,
                 struct skv_err *err)
{
    struct tcp_peer *p = calloc(1, sizeof *p);
    int e;
    *out = NULL;
    if (!p || peer_sync_init(p) != 0) {
        free(p);
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    }
    p->id = id;
    p->host = host;
    p->opt = *opt;
    p->link.fd = -1;
    p->backoff_ms = opt->reconnect_min_ms;
    p->addr = strdup(address);
    p->wbuf = malloc(TCP_PEER_BATCH);
    p->wake_fd = tcp_wake_new();
    if (!p->addr || !p->wbuf || p->wake_fd < 0) {
        e = errno;
        peer_destroy(p);
        return skv_err_set(err, SKV_ERR_NOMEM, "peer %" PRIu64 ": %s", id,
                           strerror(e));
    }
    e = pthread_create(&p->thread, NULL, writer_main, p);
    if (e != 0) {
        peer_destroy(p);
        return skv_err_set(err, SKV_ERR_NOMEM,
                           "cannot start writer for peer %" PRIu64 ": %s", id,
                           strerror(e));
    }
    *out = p;
    return SKV_OK;
}
/* Lock held. Switch to a new address; the writer reconnects there. */
static int change_addr(struct tcp_peer *p, const char *address,
                       struct skv_err *err)
{
    char *a = strdup(address);
    if (!a)
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    LOG(p, SKV_LOG_INFO, "node %" PRIu64 " address changed from %s to %s",
        p->id, p->addr, a);
    free(p->addr);
    p->addr = a;
    p->addr_gen++;
    p->backoff_ms = p->opt.reconnect_min_ms;
    p->next_try_ms = 0;
    p->down_logged = 0;
    return SKV_OK;
}

int tcp_peer_enqueue(struct tcp_peer *p, const char *address,
                     struct tcp_qframe *f, struct skv_err *err)
{
    int rc = SKV_OK;
    pthread_mutex_lock(&p->lock);
    if (strcmp(p->addr, address) != 0)
        rc = change_addr(p, address, err);
    if (rc == SKV_OK) {
        rc = tcp_queue_push(&p->q, f, p->opt.max_queue_frames,
                            p->opt.max_queue_bytes);
        if (rc == SKV_ERR_FULL)
            skv_err_set(err, rc, "queue for node %" PRIu64 " is full (%zu "
                        "frames, %" PRIu64 " bytes; limits %zu frames, %"
                        PRIu64 " bytes)", p->id, p->q.frames, p->q.bytes,
                        p->opt.max_queue_frames, p->opt.max_queue_bytes);
    }
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return rc;
}

uint64_t tcp_peer_queued(struct tcp_peer *p)
{
    uint64_t b;
    pthread_mutex_lock(&p->lock);
    b = p->q.bytes;
    pthread_mutex_unlock(&p->lock);
    return b;
}

void tcp_peer_close(struct tcp_peer *p)
{
    pthread_mutex_lock(&p->lock);
    p->closing = 1;
    tcp_queue_clear(&p->q);
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    tcp_wake_fire(p->wake_fd);
}

int tcp_peer_exited(struct tcp_peer *p)
{
    int r;
    pthread_mutex_lock(&p->lock);
    r = p->exited;
    pthread_mutex_unlock(&p->lock);
    return r;
}

void tcp_peer_free(struct tcp_peer *p)
{
    if (!p)
        return;
    tcp_peer_close(p);
    pthread_join(p->thread, NULL);
    peer_destroy(p);
}
