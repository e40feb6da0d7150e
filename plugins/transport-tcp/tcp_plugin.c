/* SPDX-License-Identifier: MIT */
/*
 * tcp_plugin.c — the transport-tcp plugin descriptor and instance: reads
 * the options, loads and checks the TLS credentials (tcp_tls.c), and
 * wires start/send/stop/forget/reload/security to the listener
 * (tcp_listener.c) and the outgoing peers (tcp_peer_table.c).
 *
 * Options:
 *   ca_file      PEM bundle of the cluster CA(s) (several during a CA
 *                rotation); peers' certificates must chain to one.
 *   cert_file    PEM certificate of this node (optionally followed by
 *                intermediates): signed by the CA, exactly one SAN URI
 *                urn:sealkv:node:<id> with <id> = this node's id (decimal,
 *                no leading zeros), EKU serverAuth+clientAuth if present.
 *   key_file     PEM private key of cert_file, unencrypted, not readable
 *                by other users (mode & 004 is refused).
 *   insecure     (false) true: plaintext and unauthenticated, the three
 *                files are not used, and every start logs a warning.
 *   max_queue_frames (1024), max_queue_bytes (64 MiB), reconnect_min_ms
 *   (50), reconnect_max_ms (2000), connect_timeout_ms (1000; also bounds
 *   the dialer's TLS handshake).
 * Without insecure: true the three files are required; everything about
 * them is checked in init() (so sealkvd --check-config catches it), which
 * binds nothing. Mutual TLS 1.3 only (TLS_AES_128_GCM_SHA256,
 * TLS_AES_256_GCM_SHA384); a client certificate (urn:sealkv:client:...)
 * is refused. deliver() gets the id proven by the peer's certificate.
 * reload() re-reads the three files (SIGHUP); on failure the old
 * credentials stay in use.
 */
#include <sealkv/transport.h>
#include "tcp_listener.h"
#include "tcp_peer_table.h"
#include "tcp_tls.h"

#include <pthread.h>
#include <stdlib.h>

struct tcp_transport {
    const struct skv_host *host;
    struct tcp_peer_opts opt;
    struct tcp_tls *tls;             /* NULL: insecure (plaintext) */
    pthread_mutex_t lock;            /* start/stop vs send/forget */
    int running;
    struct tcp_listener *listener;   /* while running */
    struct tcp_peer_table *peers;    /* while running */
};

static int read_opts(const struct skv_host *h, struct tcp_peer_opts *o,
                     struct skv_err *err)
{
    int64_t frames, bytes, rmin, rmax, cto;
    int rc;
    if ((rc = h->opt_int(h->ctx, "max_queue_frames", 1024, 1, 1 << 24, &frames, err)) ||
        (rc = h->opt_int(h->ctx, "max_queue_bytes", 64 << 20, 1, INT64_C(1) << 40,
                         &bytes, err)) ||
        (rc = h->opt_int(h->ctx, "reconnect_min_ms", 50, 1, 60000, &rmin, err)) ||
        (rc = h->opt_int(h->ctx, "reconnect_max_ms", 2000, 1, 600000, &rmax, err)) ||
        (rc = h->opt_int(h->ctx, "connect_timeout_ms", 1000, 1, 600000, &cto, err)))
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

/* insecure, ca_file, cert_file, key_file; loads the TLS context. */
static int read_tls(const struct skv_host *h, struct tcp_tls **tls,
                    struct skv_err *err)
{
    const char *ca = NULL, *cert = NULL, *key = NULL;
    int insecure = 0, rc;
    *tls = NULL;
    if ((rc = h->opt_bool(h->ctx, "insecure", 0, &insecure, err)) ||
        (rc = h->opt_string(h->ctx, "ca_file", "", &ca, err)) ||
        (rc = h->opt_string(h->ctx, "cert_file", "", &cert, err)) ||
        (rc = h->opt_string(h->ctx, "key_file", "", &key, err)))
        return rc;
    if (insecure)
        return SKV_OK;
    if (!SKV_HAS(h, struct skv_host, node_id))
        return skv_err_set(err, SKV_ERR_UNSUPPORTED, "host table lacks "
                           "node_id (needed to check cert_file)");
    return tcp_tls_new(ca, cert, key, h->node_id(h->ctx), tls, err);
}

static int tcp_init(const struct skv_host *host, void **state,
                    struct skv_err *err)
{
    struct tcp_transport *t;
    int rc;
    if (!SKV_HAS(host, struct skv_host, deliver) || !host->log ||
        !host->opt_int || !host->opt_string || !host->opt_bool)
        return skv_err_set(err, SKV_ERR_UNSUPPORTED, "host table lacks "
                           "log/opt_int/opt_string/opt_bool/deliver");
    t = calloc(1, sizeof *t);
    if (!t)
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    t->host = host;
    rc = read_opts(host, &t->opt, err);
    if (rc == SKV_OK)
        rc = read_tls(host, &t->tls, err);
    if (rc == SKV_OK && pthread_mutex_init(&t->lock, NULL) != 0)
        rc = skv_err_set(err, SKV_ERR_NOMEM, "cannot create mutex");
    if (rc != SKV_OK) {
        tcp_tls_free(t->tls);
        free(t);
        return rc;
    }
    t->opt.tls = t->tls;
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
        rc = tcp_listener_start(t->host, listen_address, t->tls,
                                &t->listener, err);
    if (rc == SKV_OK && !t->tls)
        t->host->log(t->host->ctx, SKV_LOG_WARN, "transport tcp: insecure: "
                     "true — node-to-node traffic on %s is unauthenticated "
                     "plaintext; any host that can reach this port can act "
                     "as a cluster node", listen_address);
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

static uint64_t tcp_queued(void *state, uint64_t peer_id)
{
    struct tcp_transport *t = state;
    uint64_t b = 0;
    pthread_mutex_lock(&t->lock);
    if (t->running)
        b = tcp_peer_table_queued(t->peers, peer_id);
    pthread_mutex_unlock(&t->lock);
    return b;
}

static int tcp_reload(void *state, struct skv_err *err)
{
    struct tcp_transport *t = state;
    int rc = SKV_OK;
    if (t->tls) {
        rc = tcp_tls_reload(t->tls, err);
        t->host->log(t->host->ctx, rc ? SKV_LOG_ERROR : SKV_LOG_INFO,
                     "transport tcp: %s%s", rc ? "reload failed, keeping "
                     "the old credentials: " : "TLS credentials reloaded",
                     rc ? err->msg : "");
    }
    return rc;
}

static uint32_t tcp_security(void *state)
{
    const struct tcp_transport *t = state;
    return t->tls ? SKV_TRANSPORT_SEC_AUTHENTICATED |
                        SKV_TRANSPORT_SEC_ENCRYPTED : 0;
}

static void tcp_fini(void *state)
{
    struct tcp_transport *t = state;
    if (!t)
        return;
    tcp_stop(t);
    tcp_tls_free(t->tls);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static const struct skv_transport_ops tcp_ops = {
    .struct_size = sizeof(struct skv_transport_ops),
    .start = tcp_start,
    .send = tcp_send,
    .stop = tcp_stop,
    .forget = tcp_forget,
    .reload = tcp_reload,
    .security = tcp_security,
    .queued = tcp_queued,
};

SKV_PLUGIN_DEFINE(SKV_KIND_TRANSPORT, "tcp", "0.1.0",
                  "node-to-node frames over mutual TLS 1.3 (OpenSSL) on "
                  "TCP, or plaintext with insecure: true",
                  tcp_init, tcp_fini, &tcp_ops);
