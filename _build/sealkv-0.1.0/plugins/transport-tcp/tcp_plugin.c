/*
 * tcp_plugin.c — the transport-tcp plugin descriptor and instance: reads
 * the options, and wires start/send/stop/forget to the listener
 * (tcp_listener.c) and the outgoing peers (tcp_peer_table.c).
 *
 * Options: max_queue_frames (1024), max_queue_bytes (64 MiB),
 * reconnect_min_ms (50), reconnect_max_ms (2000), connect_timeout_ms
 * (1000).
 */
#include <sealkv/transport.h>
#include "tcp_listener.h"
#include "tcp_peer_table.h"

#include <pthread.h>
#include <stdlib.h>

struct tcp_transport {
    const struct skv_host *host;
    struct tcp_peer_opts opt;
    pthread_mutex_t lock;            /* start/stop vs send/forget */
    int running;
    struct tcp_listener *listener;   /* while running */
    struct tcp_peer_table *peers;    /* while running */
};

SKV_PLUGIN_EXPORT const struct skv_plugin *sealkv_plugin_v1(void);

static int read_opt(const struct skv_host *h, const char *key, int64_t def,
                    int64_t min, int64_t max, int64_t *out,
                    struct skv_err *err)
{
    return h->opt_int(h->ctx, key, def, min, max, out, err);
}

static int read_opts(const struct skv_host *h, struct tcp_peer_opts *o,
                     struct skv_err *err)
{
    int64_t frames, bytes, rmin, rmax, cto;
    int rc;
    if ((rc = read_opt(h, "max_queue_frames", 1024, 1, 1 << 24, &frames, err)) ||
        (rc = read_opt(h, "max_queue_bytes", 64 << 20, 1, INT64_C(1) << 40,
                       &bytes, err)) ||
        (rc = read_opt(h, "reconnect_min_ms", 50, 1, 60000, &rmin, err)) ||
        (rc = read_opt(h, "reconnect_max_ms", 2000, 1, 600000, &rmax, err)) ||
        (rc = read_opt(h, "connect_timeout_ms", 1000, 1, 600000, &cto, err)))
        return rc;
    if (rmin > rmax)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option reconnect_min_ms (%lld) is larger than "
                           "reconnect_max_ms (%lld)", (long long)rmin,
                           (long long)rmax);
    o->max_queue_frames = (size_t)frames;
    o->max_queue_bytes = (uint64_t)bytes;
    o->reconnect_min_ms = (unsigned)rmin;
    o->reconnect_max_ms = (unsigned)rmax;
    o->connect_timeout_ms = (unsigned)cto;
    return SKV_OK;
}

static int tcp_init(const struct skv_host *host, void **state,
                    struct skv_err *err)
{
    struct tcp_transport *t;
    int rc;
    if (!SKV_HAS(host, struct skv_host, deliver) || !host->log ||
        !host->opt_int)
        return skv_err_set(err, SKV_ERR_UNSUPPORTED,
                           "host table lacks log/opt_int/deliver");
    t = calloc(1, sizeof *t);
    if (!t)
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    t->host = host;
    rc = read_opts(host, &t->opt, err);
    if (rc == SKV_OK && pthread_mutex_init(&t->lock, NULL) != 0)
        rc = skv_err_set(err, SKV_ERR_NOMEM, "cannot create mutex");
    if (rc != SKV_OK) {
        free(t);
        return rc;
    }
    *state = t;
    return SKV_OK;
}

static int tcp_start(void *state, const char *listen_address,
                     struct skv_err *err)
{
    struct tcp_transport *t = state;
    int rc;
    pthread_mutex_lock(&t->lock);
    if (t->running) {
        pthread_mutex_unlock(&t->lock);
        return skv_err_set(err, SKV_ERR_INVALID, "transport already started");
    }
    rc = tcp_peer_table_new(t->host, &t->opt, &t->peers, err);
    if (rc == SKV_OK)
        rc = tcp_listener_start(t->host, listen_address, &t->listener, err);
    if (rc != SKV_OK) {
        tcp_peer_table_free(t->peers);
        t->peers = NULL;
    }
    t->running = (rc == SKV_OK);
    pthread_mutex_unlock(&t->lock);
    return rc;
}

static int tcp_send(void *state, uint64_t peer_id, const char *address,
                    const struct skv_iov *iov, unsigned n,
                    struct skv_err *err)
{
    struct tcp_transport *t = state;
    int rc;
    pthread_mutex_lock(&t->lock);
    if (!t->running)
        rc = skv_err_set(err, SKV_ERR_CLOSED, "transport not started");
    else
        rc = tcp_peer_table_send(t->peers, peer_id, address, iov, n, err);
    pthread_mutex_unlock(&t->lock);
    return rc;
}

static void tcp_stop(void *state)
{
    struct tcp_transport *t = state;
    pthread_mutex_lock(&t->lock);
    if (t->running) {
        tcp_listener_stop(t->listener);
        tcp_peer_table_free(t->peers);
        t->listener = NULL;
        t->peers = NULL;
        t->running = 0;
    }
    pthread_mutex_unlock(&t->lock);
}

static void tcp_forget(void *state, uint64_t peer_id)
{
    struct tcp_transport *t = state;
    pthread_mutex_lock(&t->lock);
    if (t->running)
        tcp_peer_table_forget(t->peers, peer_id);
    pthread_mutex_unlock(&t->lock);
}

static void tcp_fini(void *state)
{
    struct tcp_transport *t = state;
    if (!t)
        return;
    tcp_stop(t);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static const struct skv_transport_ops tcp_ops = {
    .struct_size = sizeof(struct skv_transport_ops),
    .start = tcp_start,
    .send = tcp_send,
    .stop = tcp_stop,
    .forget = tcp_forget,
};

static const struct skv_plugin tcp_plugin = {
    .abi_major = SKV_ABI_MAJOR,
    .abi_minor = SKV_ABI_MINOR,
    .struct_size = sizeof(struct skv_plugin),
    .kind = SKV_KIND_TRANSPORT,
    .name = "tcp",
    .version = "0.1.0",
    .description = "node-to-node frames over TCP (POSIX sockets, threads)",
    .init = tcp_init,
    .fini = tcp_fini,
    .ops = &tcp_ops,
};

const struct skv_plugin *sealkv_plugin_v1(void)
{
    return &tcp_plugin;
}
