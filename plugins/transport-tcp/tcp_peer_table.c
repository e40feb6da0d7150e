/* SPDX-License-Identifier: MIT */
/*
 * tcp_peer_table.c — peers by node id. send() checks its arguments,
 * copies the frame and queues it on the peer (created on first use).
 * Forgotten peers are signalled at once and joined later ("dying" list),
 * so forget() never waits for a writer thread.
 */
#include "tcp_peer_table.h"
#include "tcp_addr.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>

struct tcp_slot {
    struct tcp_slot *next;
    struct tcp_peer *peer;
};

struct tcp_peer_table {
    const struct skv_host *host;
    struct tcp_peer_opts opt;
    pthread_mutex_t lock;
    struct tcp_slot *live;
    struct tcp_slot *dying;
};

int tcp_peer_table_new(const struct skv_host *host,
                       const struct tcp_peer_opts *opt,
                       struct tcp_peer_table **out, struct skv_err *err)
{
    struct tcp_peer_table *t = calloc(1, sizeof *t);
    *out = NULL;
    if (!t || pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t);
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    }
    t->host = host;
    t->opt = *opt;
    *out = t;
    return SKV_OK;
}

/* Total frame size, or an error for a bad iov. */
static int frame_size(const struct skv_iov *iov, unsigned n, size_t *total,
                      struct skv_err *err)
{
    size_t sum = 0;
    unsigned i;
    if (!iov || n == 0)
        return skv_err_set(err, SKV_ERR_INVALID, "send: no data (n=%u)", n);
    for (i = 0; i < n; i++) {
        if (iov[i].len && !iov[i].base)
            return skv_err_set(err, SKV_ERR_INVALID,
                               "send: iov[%u] has NULL base", i);
        if (iov[i].len > SKV_TRANSPORT_MAX_FRAME - sum)
            return skv_err_set(err, SKV_ERR_TOOBIG,
                               "send: frame larger than %u bytes",
                               SKV_TRANSPORT_MAX_FRAME);
        sum += iov[i].len;
    }
    if (sum == 0)
        return skv_err_set(err, SKV_ERR_INVALID, "send: empty frame");
    *total = sum;
    return SKV_OK;
}

/* Lock held. Join forgotten peers whose writer has finished (or all). */
static void reap_dying(struct tcp_peer_table *t, int all)
{
    struct tcp_slot **pp = &t->dying, *s;
    while ((s = *pp)) {
        if (all || tcp_peer_exited(s->peer)) {
            *pp = s->next;
            tcp_peer_free(s->peer);
            free(s);
        } else {
            pp = &s->next;
        }
    }
}

/* Lock held. The peer for `id`, created when missing. */
static int get_peer(struct tcp_peer_table *t, uint64_t id,
                    const char *address, struct tcp_peer **out,
                    struct skv_err *err)
{
    struct tcp_slot *s;
    int rc;
    for (s = t->live; s; s = s->next)
        if (tcp_peer_id(s->peer) == id) {
            *out = s->peer;
            return SKV_OK;
        }
    s = calloc(1, sizeof *s);
    if (!s)
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    rc = tcp_peer_new(t->host, &t->opt, id, address, &s->peer, err);
    if (rc != SKV_OK) {
        free(s);
        return rc;
    }
    s->next = t->live;
    t->live = s;
    *out = s->peer;
    return SKV_OK;
}

int tcp_peer_table_send(struct tcp_peer_table *t, uint64_t peer_id,
                        const char *address, const struct skv_iov *iov,
                        unsigned n, struct skv_err *err)
{
    char host[TCP_HOST_MAX], port[TCP_PORT_MAX];
    struct tcp_qframe *f;
    struct tcp_peer *p = NULL;
    size_t total = 0;
    int rc;
    if (peer_id == 0)
        return skv_err_set(err, SKV_ERR_INVALID, "send: peer id 0");
    if ((rc = tcp_addr_split(address, 0, host, port, err)) != SKV_OK ||
        (rc = frame_size(iov, n, &total, err)) != SKV_OK)
        return rc;
    if (!(f = tcp_qframe_new(iov, n, total)))
        return skv_err_set(err, SKV_ERR_NOMEM,
                           "send: no memory for a %zu-byte frame", total);
    pthread_mutex_lock(&t->lock);
    reap_dying(t, 0);
    rc = get_peer(t, peer_id, address, &p, err);
    if (rc == SKV_OK)
        rc = tcp_peer_enqueue(p, address, f, err);
    pthread_mutex_unlock(&t->lock);
    if (rc != SKV_OK)
        free(f);
    return rc;
}

void tcp_peer_table_forget(struct tcp_peer_table *t, uint64_t peer_id)
{
    struct tcp_slot **pp, *s;
    pthread_mutex_lock(&t->lock);
    for (pp = &t->live; (s = *pp); pp = &s->next)
        if (tcp_peer_id(s->peer) == peer_id) {
            *pp = s->next;
            tcp_peer_close(s->peer);
            s->next = t->dying;
            t->dying = s;
            t->host->log(t->host->ctx, SKV_LOG_INFO,
                         "forgot node %" PRIu64, peer_id);
            break;
        }
    reap_dying(t, 0);
    pthread_mutex_unlock(&t->lock);
}

uint64_t tcp_peer_table_queued(struct tcp_peer_table *t, uint64_t peer_id)
{
    struct tcp_slot *s;
    uint64_t b = 0;
    pthread_mutex_lock(&t->lock);
    for (s = t->live; s; s = s->next)
        if (tcp_peer_id(s->peer) == peer_id) {
            b = tcp_peer_queued(s->peer);
            break;
        }
    pthread_mutex_unlock(&t->lock);
    return b;
}

void tcp_peer_table_free(struct tcp_peer_table *t)
{
    struct tcp_slot *s;
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    for (s = t->live; s; s = s->next)   /* signal all first, then join */
        tcp_peer_close(s->peer);
    for (s = t->dying; s && s->next; s = s->next)
        ;
    if (s)
        s->next = t->live;
    else
        t->dying = t->live;
    t->live = NULL;
    reap_dying(t, 1);
    pthread_mutex_unlock(&t->lock);
    pthread_mutex_destroy(&t->lock);
    free(t);
}
