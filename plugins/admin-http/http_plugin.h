/* SPDX-License-Identifier: MIT */
/*
 * http_plugin.h — the admin-http instance (options and the running MHD
 * daemon), shared by the descriptor code and the request handler.
 */
#ifndef SKV_HTTP_PLUGIN_H
#define SKV_HTTP_PLUGIN_H

#include <stddef.h>

#include <sealkv/plugin.h>

#include "http_addr.h"
#include "http_guard.h"

struct MHD_Daemon;
struct skv_http_calls;
struct skv_http_watches;
struct skv_http_stats;

struct skv_http_opts {
    char listen[128];             /* as configured, for messages */
    struct skv_http_addr addr;
    size_t max_body_bytes;        /* default 16 MiB */
    unsigned timeout_s;           /* idle connection timeout, default 30 */
    unsigned request_timeout_ms;  /* wait for the core, default 15000 */
    unsigned threads;             /* MHD thread pool, default 4 */
};

struct skv_http_plugin {
    const struct skv_host *host;
    struct skv_http_opts opts;
    struct skv_http_guard guard;  /* TLS, token, client CA, policy */
    struct MHD_Daemon *daemon;    /* NULL while stopped */
    struct skv_http_calls *calls; /* suspended calls + deadline watchdog */
    struct skv_http_stats *stats; /* request latency per route (http_stats.h) */
    struct skv_http_watches *watches; /* GET /v1/watch streams (http_watch.h) */
};

#endif /* SKV_HTTP_PLUGIN_H */
