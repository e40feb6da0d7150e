/* SPDX-License-Identifier: MIT */
/*
 * chaos_plugin.c — the "chaos" transport: the tcp transport (its sources
 * are compiled into this plugin, see local.mk) with run-time fault rules
 * applied to every frame, both directions: outbound in send(), inbound in
 * the deliver() hook of a host table that wraps the real one.
 *
 * Rules (chaos_rules.h) come from the file named by option `rules_file`
 * and are re-read whenever its identity (inode, size, mtime) changes;
 * the plugin's own thread checks every `poll_ms` (50) ms and also
 * releases delayed frames when they are due. A missing or empty file is
 * a healthy network. Frames held for a delay are re-checked against a
 * partition when released (a partition also cuts what is in flight).
 * Delayed frames of one peer and direction keep their order.
 *
 * Options: rules_file (""), poll_ms (50), seed (0 = from node id and
 * clock), max_delay_queue_bytes (64 MiB); every transport-tcp option
 * (TLS: ca_file, cert_file, key_file, insecure) is passed through to the
 * tcp code, and reload()/security() are forwarded to it.
 *
 * Built only with ./configure --enable-fault-injection. Test tool: never
 * configure it in production.
 */
#include "chaos_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The tcp plugin's entry, renamed at compile time (local.mk). */
const struct skv_plugin *skv_chaos_tcp_plugin_v1(void);

/* ---- the host table handed to the tcp code ------------------------------ */

static void w_log(void *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void w_log(void *ctx, int level, const char *fmt, ...)
{
    struct chaos *c = ctx;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->host->log(c->host->ctx, level, "%s", buf);
}

static int w_opt_string(void *ctx, const char *key, const char *def, const char **out,
                        struct skv_err *err)
{
    struct chaos *c = ctx;
    return c->host->opt_string(c->host->ctx, key, def, out, err);
}

static int w_opt_int(void *ctx, const char *key, int64_t def, int64_t min, int64_t max,
                     int64_t *out, struct skv_err *err)
{
    struct chaos *c = ctx;
    return c->host->opt_int(c->host->ctx, key, def, min, max, out, err);
}

static int w_opt_bool(void *ctx, const char *key, int def, int *out, struct skv_err *err)
{
    struct chaos *c = ctx;
    return c->host->opt_bool(c->host->ctx, key, def, out, err);
}

static uint64_t w_now_ms(void *ctx)
{
    struct chaos *c = ctx;
    return c->host->now_ms(c->host->ctx);
}

static uint64_t w_wall_ms(void *ctx)
{
    struct chaos *c = ctx;
    return c->host->wall_ms(c->host->ctx);
}

static void w_deliver(void *ctx, uint64_t from, const void *data, size_t len)
{
    chaos_deliver(ctx, from, data, len);
}

static int w_admin_call(void *ctx, const struct skv_admin_req *req, skv_admin_done_fn done,
                        void *arg)
{
    struct chaos *c = ctx;
    return c->host->admin_call(c->host->ctx, req, done, arg);
}

static uint64_t w_node_id(void *ctx)
{
    struct chaos *c = ctx;
    return c->host->node_id(c->host->ctx);
}

static void build_wrap(struct chaos *c)
{
    const struct skv_host *h = c->host;
    struct skv_host *w = &c->wrap;
    memset(w, 0, sizeof *w);
    w->struct_size = h->struct_size < sizeof *w ? h->struct_size : (uint32_t)sizeof *w;
    w->abi_minor = h->abi_minor;
    w->ctx = c;
#define WRAP(field, fn)                                                                  \
    if (SKV_HAS(h, struct skv_host, field))                                               \
        w->field = fn;
    WRAP(log, w_log)
    WRAP(opt_string, w_opt_string)
    WRAP(opt_int, w_opt_int)
    WRAP(opt_bool, w_opt_bool)
    WRAP(now_ms, w_now_ms)
    WRAP(wall_ms, w_wall_ms)
    WRAP(deliver, w_deliver)
    WRAP(admin_call, w_admin_call)
    WRAP(node_id, w_node_id)
#undef WRAP
}

/* ---- ops ------------------------------------------------------------------ */

static int chaos_init(const struct skv_host *host, void **state, struct skv_err *err)
{
    struct chaos *c;
    int64_t poll, seed, maxq;
    pthread_condattr_t ca;
    int rc;
    if (!SKV_HAS(host, struct skv_host, deliver) || !host->log || !host->opt_int ||
        !host->opt_string)
        return skv_err_set(err, SKV_ERR_UNSUPPORTED,
                           "host table lacks log/opt_int/opt_string/deliver");
    if (!(c = calloc(1, sizeof *c)))
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    c->host = host;
    if ((rc = host->opt_string(host->ctx, "rules_file", "", &c->rules_file, err)) ||
        (rc = host->opt_int(host->ctx, "poll_ms", 50, 1, 10000, &poll, err)) ||
        (rc = host->opt_int(host->ctx, "seed", 0, 0, INT64_MAX, &seed, err)) ||
        (rc = host->opt_int(host->ctx, "max_delay_queue_bytes", 64 << 20, 1,
                            INT64_C(1) << 40, &maxq, err))) {
        free(c);
        return rc;
    }
    c->poll_ms = (unsigned)poll;
    c->max_queue = (uint64_t)maxq;
    c->rng = seed ? (uint64_t)seed
                  : (SKV_HAS(host, struct skv_host, node_id) ? host->node_id(host->ctx) : 1) *
                            UINT64_C(0x9E3779B97F4A7C15) ^ chaos_mono_ms();
    if (!c->rng)
        c->rng = 1;
    c->inner = skv_chaos_tcp_plugin_v1();
    c->iops = c->inner->ops;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_mutex_init(&c->mu, NULL) || pthread_mutex_init(&c->life, NULL) ||
        pthread_cond_init(&c->cv, &ca)) {
        pthread_condattr_destroy(&ca);
        free(c);
        return skv_err_set(err, SKV_ERR_NOMEM, "cannot create mutex");
    }
    pthread_condattr_destroy(&ca);
    build_wrap(c);
    rc = c->inner->init(&c->wrap, &c->ist, err);
    if (rc != SKV_OK) {
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        pthread_mutex_destroy(&c->life);
        free(c);
        return rc;
    }
    host->log(host->ctx, SKV_LOG_WARN,
              "chaos transport (fault injection, tests only): rules file '%s', poll %u ms",
              c->rules_file, c->poll_ms);
    *state = c;
    return SKV_OK;
}

static int chaos_start(void *state, const char *listen_address, struct skv_err *err)
{
    struct chaos *c = state;
    int rc;
    pthread_mutex_lock(&c->life);
    if (c->thread_up) {
        pthread_mutex_unlock(&c->life);
        return skv_err_set(err, SKV_ERR_INVALID, "transport already started");
    }
    chaos_rules_reload(c, 1); /* rules apply from the first frame */
    pthread_mutex_lock(&c->mu);
    c->running = 1;
    c->quit = 0;
    pthread_mutex_unlock(&c->mu);
    rc = c->iops->start(c->ist, listen_address, err);
    if (rc == SKV_OK && pthread_create(&c->thr, NULL, chaos_thread, c) != 0) {
        c->iops->stop(c->ist);
        rc = skv_err_set(err, SKV_ERR_NOMEM, "cannot start the chaos thread");
    }
    if (rc != SKV_OK) {
        pthread_mutex_lock(&c->mu);
        c->running = 0;
        pthread_mutex_unlock(&c->mu);
    }
    c->thread_up = rc == SKV_OK;
    pthread_mutex_unlock(&c->life);
    return rc;
}

static void chaos_stop(void *state)
{
    struct chaos *c = state;
    pthread_mutex_lock(&c->life);
    if (c->thread_up) {
        pthread_mutex_lock(&c->mu);
        c->running = 0; /* hooks stop queueing; held frames are lost */
        c->quit = 1;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thr, NULL);
        c->iops->stop(c->ist); /* joins the readers: no deliver() after this */
        pthread_mutex_lock(&c->mu);
        chaos_links_free(c);
        pthread_mutex_unlock(&c->mu);
        c->thread_up = 0;
    }
    pthread_mutex_unlock(&c->life);
}

static void chaos_forget(void *state, uint64_t peer_id)
{
    struct chaos *c = state;
    struct chaos_link *l;
    pthread_mutex_lock(&c->mu);
    for (l = c->links; l; l = l->next)
        if (l->peer == peer_id)
            chaos_link_clear(c, l);
    pthread_mutex_unlock(&c->mu);
    if (SKV_HAS(c->iops, struct skv_transport_ops, forget))
        c->iops->forget(c->ist, peer_id);
}

/* Credentials and security are the tcp code's: forwarded unchanged. */
static int chaos_reload(void *state, struct skv_err *err)
{
    struct chaos *c = state;
    if (SKV_HAS(c->iops, struct skv_transport_ops, reload))
        return c->iops->reload(c->ist, err);
    return SKV_OK;
}

static uint32_t chaos_security(void *state)
{
    struct chaos *c = state;
    if (SKV_HAS(c->iops, struct skv_transport_ops, security))
        return c->iops->security(c->ist);
    return 0;
}

static void chaos_fini(void *state)
{
    struct chaos *c = state;
    if (!c)
        return;
    chaos_stop(c);
    c->inner->fini(c->ist);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    pthread_mutex_destroy(&c->life);
    free(c);
}

static const struct skv_transport_ops chaos_ops = {
    .struct_size = sizeof(struct skv_transport_ops),
    .start = chaos_start,
    .send = chaos_send,
    .stop = chaos_stop,
    .forget = chaos_forget,
    .reload = chaos_reload,
    .security = chaos_security,
};

SKV_PLUGIN_DEFINE(SKV_KIND_TRANSPORT, "chaos", "0.1.0",
                  "transport-tcp with run-time drop/delay/partition rules (tests only)",
                  chaos_init, chaos_fini, &chaos_ops);
