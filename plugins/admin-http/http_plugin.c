/* SPDX-License-Identifier: MIT */
/*
 * http_plugin.c — owns the admin-http descriptor and instance life cycle:
 * options (read in init so the host can refuse unknown ones), start
 * (bind exactly the configured address, start the MHD thread pool with
 * suspend/resume, and the call watchdog), reload, and stop (end and
 * resume every suspended call, then MHD_stop_daemon joins every serving
 * thread).
 *
 * Options: listen, max_body_bytes, timeout_s, request_timeout_ms, threads
 * (here); tls_cert_file + tls_key_file (HTTPS through MHD's GnuTLS, TLS
 * 1.2+ with 1.3 preferred), client_ca_file (client certificates with a
 * urn:sealkv:client: SAN URI), token_file (Authorization: Bearer) and
 * insecure (http_guard.c). With a token and/or a client CA every route
 * but the health ones (GET /v1/health, /healthz, /readyz) needs one of
 * them (either suffices); a listen
 * address outside loopback needs TLS and one of them unless insecure:
 * true. All of it is checked in init, so --check-config catches it.
 * Every TLS connection gets the credentials current when it is accepted
 * (NOTIFY_CONNECTION hook, http_guard.c); reload swaps them and the token
 * without restarting MHD, or keeps the old ones on any error.
 */
#include "http_watch.h"
#include "http_plugin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <microhttpd.h>
#include <sealkv/admin.h>

#include "http_tls.h"
#include "http_call.h"
#include "http_handler.h"
#include "http_stats.h"

#ifndef SKV_HTTP_VERSION
#define SKV_HTTP_VERSION "0"
#endif

#define DEF_LISTEN "127.0.0.1:8101"
#define DEF_MAX_BODY (16 * 1024 * 1024)

static int read_opts(const struct skv_host *h, struct skv_http_opts *o,
                     struct skv_err *err)
{
    const char *listen = NULL;
    int64_t body, timeout, req_timeout, threads;
    int rc;

    if ((rc = h->opt_string(h->ctx, "listen", DEF_LISTEN, &listen, err)))
        return rc;
    if (!listen || strlen(listen) >= sizeof o->listen)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option 'listen': expected IPv4:port or [IPv6]:port");
    snprintf(o->listen, sizeof o->listen, "%s", listen);
    if ((rc = skv_http_addr_parse(o->listen, &o->addr, err)))
        return rc;
    if ((rc = h->opt_int(h->ctx, "max_body_bytes", DEF_MAX_BODY, 0, (int64_t)1 << 30,
                         &body, err)) ||
        (rc = h->opt_int(h->ctx, "timeout_s", 30, 1, 86400, &timeout, err)) ||
        (rc = h->opt_int(h->ctx, "request_timeout_ms", 15000, 1, 3600000, &req_timeout,
                         err)) ||
        (rc = h->opt_int(h->ctx, "threads", 4, 1, 256, &threads, err)))
        return rc;
    o->max_body_bytes = (size_t)body;
    o->timeout_s = (unsigned)timeout;
    o->request_timeout_ms = (unsigned)req_timeout;
    o->threads = (unsigned)threads;
    return SKV_OK;
}

static int http_init(const struct skv_host *host, void **state,
                     struct skv_err *err)
{
    struct skv_http_plugin *p;
    int rc;
    *state = NULL;
    if (!host || !SKV_HAS(host, struct skv_host, admin_call) ||
        !host->log || !host->opt_string || !host->opt_int)
        return skv_err_set(err, SKV_ERR_UNSUPPORTED,
                           "host API table too old for admin-http");
    p = calloc(1, sizeof *p);
    if (!p)
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    p->host = host;
    if ((rc = read_opts(host, &p->opts, err)) != SKV_OK ||
        (rc = skv_http_guard_init(&p->guard, host, &p->opts.addr,
                                  p->opts.listen, err)) != SKV_OK) {
        free(p);
        return rc;
    }
    if (!(p->calls = skv_http_calls_new()) || !(p->stats = skv_http_stats_new()) ||
        !(p->watches = skv_http_watches_new(host))) {
        skv_http_calls_free(p->calls);
        skv_http_stats_free(p->stats);
        skv_http_guard_fini(&p->guard);
        free(p);
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    }
    if (p->opts.addr.wildcard)
        host->log(host->ctx, SKV_LOG_WARN,
                  "listen %s: serving the admin API on all interfaces",
                  p->opts.listen);
    *state = p;
    return SKV_OK;
}

/* MHD's own diagnostics (TLS handshake failures, malformed requests
 * from clients) go to the host log at debug level, as printable ASCII
 * only and cut at the first '<' so no HTML error page text gets in. */
__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    const struct skv_http_plugin *p = cls;
    char line[256];
    size_t i, n;
    vsnprintf(line, sizeof line, fmt, ap);
    for (i = 0, n = 0; line[i] && line[i] != '<'; i++) {
        unsigned char ch = (unsigned char)line[i];
        line[n++] = ch >= ' ' && ch <= '~' ? (char)ch : ' ';
    }
    while (n && line[n - 1] == ' ')
        n--;
    line[n] = '\0';
    if (n)
        p->host->log(p->host->ctx, SKV_LOG_DEBUG, "microhttpd: %s", line);
}

/* MHD's own certificate callback: every TLS connection gets our
 * credentials before its handshake (http_guard.c); one that did not (out
 * of memory) lands here and fails closed. */
static int refuse_cert(gnutls_session_t s, const gnutls_datum_t *ca_rdn,
                       int n_rdn, const gnutls_pk_algorithm_t *algos,
                       int n_algos, gnutls_pcert_st **pcert,
                       unsigned int *n_pcert, gnutls_privkey_t *key)
{
    (void)s, (void)ca_rdn, (void)n_rdn, (void)algos, (void)n_algos;
    *pcert = NULL;
    *n_pcert = 0;
    *key = NULL;
    return -1;
}

/* Close fd only if it is still the socket we made (MHD closes the listen
 * socket on some of its start failure paths, not on others). */
static void close_if_same(int fd, const struct stat *was)
{
    struct stat now;
    if (fstat(fd, &now) == 0 && now.st_dev == was->st_dev &&
        now.st_ino == was->st_ino)
        close(fd);
}

static struct MHD_Daemon *start_mhd(struct skv_http_plugin *p, int fd)
{
    /* One thread is no pool (MHD warns about a pool of size 0). */
    struct MHD_OptionItem pool[] = {
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)p->opts.threads, NULL},
        {MHD_OPTION_END, 0, NULL}};
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)SKV_HTTP_TLS_PRIORITY},
        {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)refuse_cert},
        {MHD_OPTION_END, 0, NULL}};
    int tls_on = skv_http_guard_tls_on(&p->guard);
    /* Suspend/resume: a request waiting for the core holds no thread.
     * The logger goes first so MHD reports option problems through it. */
    return MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
            MHD_ALLOW_SUSPEND_RESUME | (tls_on ? MHD_USE_TLS : 0),
        0, NULL, NULL, skv_http_on_request, p,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, p,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_ARRAY, p->opts.threads > 1 ? pool : pool + 1,
        MHD_OPTION_ARRAY, tls_on ? tls : tls + 2,
        MHD_OPTION_NOTIFY_CONNECTION, skv_http_guard_on_conn, &p->guard,
        MHD_OPTION_CONNECTION_TIMEOUT, p->opts.timeout_s,
        MHD_OPTION_URI_LOG_CALLBACK, skv_http_on_uri, p,
        MHD_OPTION_NOTIFY_COMPLETED, skv_http_on_completed, p,
        MHD_OPTION_END);
}

static int http_start(void *state, struct skv_err *err)
{
    struct skv_http_plugin *p = state;
    struct stat st;
    char bound[96];
    int fd, rc;

    if (p->daemon)
        return skv_err_set(err, SKV_ERR_BUSY, "admin-http already started");
    rc = skv_http_addr_listen(&p->opts.addr, p->opts.listen, &fd, err);
    if (rc != SKV_OK)
        return rc;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return skv_err_set(err, SKV_ERR_IO, "cannot listen on %s: fstat failed",
                           p->opts.listen);
    }
    skv_http_addr_bound(fd, bound, sizeof bound);
    if (skv_http_calls_start(p->calls) != 0) {
        close(fd);
        return skv_err_set(err, SKV_ERR_NOMEM,
                           "cannot start the request watchdog thread");
    }
    p->daemon = start_mhd(p, fd);
    if (!p->daemon) {
        skv_http_calls_stop(p->calls);
        close_if_same(fd, &st);
        return skv_err_set(err, SKV_ERR_INTERNAL,
                           "cannot start the HTTP server on %s", p->opts.listen);
    }
    p->host->log(p->host->ctx, SKV_LOG_INFO, "admin API listening on %s%s",
                 skv_http_guard_tls_on(&p->guard) ? "https://" : "http://",
                 bound);
    skv_http_guard_log_start(&p->guard, &p->opts.addr);
    return SKV_OK;
}

static void http_stop(void *state)
{
    struct skv_http_plugin *p = state;
    if (!p || !p->daemon)
        return;
    skv_http_calls_stop(p->calls); /* no connection stays suspended */
    skv_http_watches_stop(p->watches); /* nor a watch stream */
    MHD_stop_daemon(p->daemon);   /* joins threads, closes the socket */
    p->daemon = NULL;
}

static void http_fini(void *state)
{
    struct skv_http_plugin *p = state;
    if (!p)
        return;
    http_stop(p);
    skv_http_calls_free(p->calls);
    skv_http_stats_free(p->stats);
    skv_http_watches_free(p->watches);
    skv_http_guard_fini(&p->guard);
    free(p);
}

/* Loop thread: new connections use the re-read credentials. */
static int http_reload(void *state, struct skv_err *err)
{
    struct skv_http_plugin *p = state;
    return skv_http_guard_reload(&p->guard, err);
}

static const struct skv_admin_ops http_ops = {
    .struct_size = sizeof(struct skv_admin_ops),
    .start = http_start,
    .stop = http_stop,
    .reload = http_reload,
};

SKV_PLUGIN_DEFINE(SKV_KIND_ADMIN, "http", SKV_HTTP_VERSION,
                  "HTTP/JSON admin API (libmicrohttpd + jansson)",
                  http_init, http_fini, &http_ops);
