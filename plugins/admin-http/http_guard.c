/* SPDX-License-Identifier: MIT */
/*
 * http_guard.c — owns admin-http's security options, the exposure policy,
 * the current TLS credentials and token (one mutex; reload swaps both or
 * neither), the per-connection credential hook and the authorization of
 * each request (client certificate or bearer token).
 */
#include "http_guard.h"

#include <string.h>

#include "http_auth.h"
#include "http_tls.h"

static int read_path(const struct skv_host *h, const char *key,
                     const char **out, struct skv_err *err)
{
    int rc = h->opt_string(h->ctx, key, NULL, out, err);
    if (rc == SKV_OK && *out && !**out)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option '%s': expected a file path, found ''", key);
    return rc;
}

static int read_options(struct skv_http_guard *g, const struct skv_host *h,
                        struct skv_err *err)
{
    int rc;
    if ((rc = read_path(h, "tls_cert_file", &g->cert_file, err)) ||
        (rc = read_path(h, "tls_key_file", &g->key_file, err)) ||
        (rc = read_path(h, "client_ca_file", &g->ca_file, err)) ||
        (rc = read_path(h, "token_file", &g->token_file, err)))
        return rc;
    if (!h->opt_bool)
        return SKV_OK;
    return h->opt_bool(h->ctx, "insecure", 0, &g->insecure, err);
}

static int check_combination(const struct skv_http_guard *g,
                             const struct skv_http_addr *addr,
                             struct skv_err *err)
{
    if (!g->cert_file != !g->key_file)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "options 'tls_cert_file' and 'tls_key_file' go "
                           "together: set both or neither");
    if (g->ca_file && !g->cert_file)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option 'client_ca_file' needs TLS: set "
                           "'tls_cert_file' and 'tls_key_file' too");
    if (addr->loopback || g->insecure ||
        (g->cert_file && (g->token_file || g->ca_file)))
        return SKV_OK;
    return skv_err_set(err, SKV_ERR_CONFIG,
                       "listen %s is not a loopback address: needs TLS "
                       "(tls_cert_file, tls_key_file) and auth (token_file "
                       "or client_ca_file), or insecure: true", g->listen);
}

/* Load every configured credential into fresh objects. */
static int load_all(const struct skv_http_guard *g, struct skv_http_tls **t,
                    struct skv_http_auth **a, struct skv_err *err)
{
    int rc = SKV_OK;
    *t = NULL;
    *a = NULL;
    if (g->cert_file)
        rc = skv_http_tls_load(g->cert_file, g->key_file, g->ca_file, t, err);
    if (rc == SKV_OK && g->token_file)
        rc = skv_http_auth_load(g->token_file, a, err);
    if (rc != SKV_OK) {
        skv_http_tls_unref(*t);
        *t = NULL;
    }
    return rc;
}

int skv_http_guard_init(struct skv_http_guard *g, const struct skv_host *h,
                        const struct skv_http_addr *addr, const char *listen,
                        struct skv_err *err)
{
    int rc;
    memset(g, 0, sizeof *g);
    g->host = h;
    g->listen = listen;
    if ((rc = read_options(g, h, err)) != SKV_OK ||
        (rc = check_combination(g, addr, err)) != SKV_OK ||
        (rc = load_all(g, &g->tls, &g->auth, err)) != SKV_OK)
        return rc;
    if (pthread_mutex_init(&g->mu, NULL) != 0) {
        skv_http_tls_unref(g->tls);
        skv_http_auth_free(g->auth);
        return skv_err_set(err, SKV_ERR_NOMEM, "cannot create a mutex");
    }
    return SKV_OK;
}

void skv_http_guard_fini(struct skv_http_guard *g)
{
    skv_http_tls_unref(g->tls);
    skv_http_auth_free(g->auth);
    g->tls = NULL;
    g->auth = NULL;
    pthread_mutex_destroy(&g->mu);
}

int skv_http_guard_tls_on(const struct skv_http_guard *g)
{
    return g->cert_file != NULL;
}

int skv_http_guard_auth_on(const struct skv_http_guard *g)
{
    return g->token_file || g->ca_file;
}

void skv_http_guard_log_start(const struct skv_http_guard *g,
                              const struct skv_http_addr *addr)
{
    const struct skv_host *h = g->host;
    int tls = skv_http_guard_tls_on(g), auth = skv_http_guard_auth_on(g);
    if (!addr->loopback && !(tls && auth))
        h->log(h->ctx, SKV_LOG_WARN,
               "listen %s: insecure: true: the admin API is open to the "
               "network%s%s", g->listen,
               tls ? "" : " without TLS (tokens, keys and values cross it "
                          "in cleartext)",
               auth ? "" : " without authentication (anyone who can connect "
                           "can read and write every key, change members "
                           "and encryption)");
    else if (!auth)
        h->log(h->ctx, SKV_LOG_INFO,
               "listen %s: no token_file or client_ca_file: anyone on this "
               "host can administer the node", g->listen);
    else
        h->log(h->ctx, SKV_LOG_INFO, "admin API: %s, %s%s%s", tls ? "HTTPS"
               : "plain HTTP", g->ca_file ? "client certificate" : "",
               g->ca_file && g->token_file ? " or " : "",
               g->token_file ? "bearer token" : "");
}

int skv_http_guard_reload(struct skv_http_guard *g, struct skv_err *err)
{
    struct skv_http_tls *t, *old_t;
    struct skv_http_auth *a, *old_a;
    int rc = load_all(g, &t, &a, err);
    if (rc != SKV_OK)
        return rc;                  /* the old credentials stay in use */
    pthread_mutex_lock(&g->mu);
    old_t = g->tls;
    old_a = g->auth;
    g->tls = t;
    g->auth = a;
    pthread_mutex_unlock(&g->mu);
    skv_http_tls_unref(old_t);      /* freed when its last connection ends */
    skv_http_auth_free(old_a);      /* no check holds it: they lock mu */
    if (t || a)
        g->host->log(g->host->ctx, SKV_LOG_INFO,
                     "admin API credentials reloaded");
    return SKV_OK;
}

void skv_http_guard_on_conn(void *cls, struct MHD_Connection *c,
                            void **socket_context,
                            enum MHD_ConnectionNotificationCode toe)
{
    struct skv_http_guard *g = cls;
    const union MHD_ConnectionInfo *ci;
    struct skv_http_tls *t;

    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        skv_http_tls_unref(*socket_context);
        *socket_context = NULL;
        return;
    }
    if (!skv_http_guard_tls_on(g))
        return;
    ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    pthread_mutex_lock(&g->mu);
    t = skv_http_tls_ref(g->tls);
    pthread_mutex_unlock(&g->mu);
    /* Without our credentials the handshake reaches MHD's certificate
     * callback, which refuses: the connection fails closed. */
    if (!ci || !ci->tls_session ||
        skv_http_tls_attach(t, (gnutls_session_t)ci->tls_session) != 0) {
        skv_http_tls_unref(t);
        return;
    }
    *socket_context = t;
}

static int client_cert_ok(struct MHD_Connection *c, char *why, size_t len)
{
    const union MHD_ConnectionInfo *ci, *ctx;
    ctx = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ctx || !skv_http_tls_has_ca(ctx->socket_context) || !ci ||
        !ci->tls_session)
        return snprintf(why, len, "no client certificate"), 0;
    return skv_http_tls_check_client((gnutls_session_t)ci->tls_session, why,
                                     len) == 0;
}

static int token_ok(struct skv_http_guard *g, struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(
        c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    int ok;
    if (!v)
        return 0;
    pthread_mutex_lock(&g->mu);
    ok = g->auth && skv_http_auth_ok(g->auth, v);
    pthread_mutex_unlock(&g->mu);
    return ok;
}

int skv_http_guard_allows(struct skv_http_guard *g, struct MHD_Connection *c,
                          char *why, size_t len)
{
    char cert_why[160] = "";
    if (!skv_http_guard_auth_on(g))
        return 1;
    if (g->ca_file && client_cert_ok(c, cert_why, sizeof cert_why))
        return 1;
    if (g->token_file && token_ok(g, c))
        return 1;
    if (g->ca_file && g->token_file)
        snprintf(why, len, "a client certificate from the admin client CA "
                 "or a bearer token is required (%s; no valid token)",
                 cert_why);
    else if (g->ca_file)
        snprintf(why, len, "a client certificate from the admin client CA "
                 "is required (%s)", cert_why);
    else
        snprintf(why, len, "missing or wrong bearer token");
    return 0;
}
