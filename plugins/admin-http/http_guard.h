/* SPDX-License-Identifier: MIT */
/*
 * http_guard.h — admin-http's security state: the TLS and auth options
 * (tls_cert_file, tls_key_file, client_ca_file, token_file, insecure),
 * the exposure policy checked at init, the current credentials (swapped
 * atomically by reload), the per-connection TLS hook and the "may this
 * request run" decision.
 *
 * Policy: a `listen` address outside 127.0.0.0/8 and ::1 needs TLS and an
 * authentication method (token and/or client CA) unless insecure: true.
 * When a token and/or a client CA are configured every route except
 * the open health routes (GET /v1/health, /healthz, /readyz; marked in
 * http_routes.c) needs one of them (either suffices when both are set).
 */
#ifndef SKV_HTTP_GUARD_H
#define SKV_HTTP_GUARD_H

#include <pthread.h>
#include <stddef.h>

#include <microhttpd.h>
#include <sealkv/plugin.h>

#include "http_addr.h"

struct skv_http_auth;
struct skv_http_tls;

struct skv_http_guard {
    const struct skv_host *host;
    const char *listen;                   /* for messages */
    const char *cert_file, *key_file;     /* NULL: plain HTTP */
    const char *ca_file, *token_file;     /* NULL: not configured */
    int insecure;
    pthread_mutex_t mu;                   /* guards tls and auth */
    struct skv_http_tls *tls;             /* current set; NULL: no TLS */
    struct skv_http_auth *auth;           /* current token; NULL: none */
};

/* Read the options (loop thread, inside init), load the credentials and
 * apply the policy. SKV_ERR_CONFIG with a clear message. On failure
 * nothing needs freeing. */
int skv_http_guard_init(struct skv_http_guard *g, const struct skv_host *h,
                        const struct skv_http_addr *addr, const char *listen,
                        struct skv_err *err);
void skv_http_guard_fini(struct skv_http_guard *g);

/* Log what this configuration exposes (every start). */
void skv_http_guard_log_start(const struct skv_http_guard *g,
                              const struct skv_http_addr *addr);

/* Re-read every configured credential file; swap only if all load. */
int skv_http_guard_reload(struct skv_http_guard *g, struct skv_err *err);

int skv_http_guard_tls_on(const struct skv_http_guard *g);
int skv_http_guard_auth_on(const struct skv_http_guard *g);

/* MHD_OPTION_NOTIFY_CONNECTION callback (cls = the guard): a new TLS
 * connection gets the current credentials before its handshake and
 * holds a reference to them until it closes. */
void skv_http_guard_on_conn(void *cls, struct MHD_Connection *c,
                            void **socket_context,
                            enum MHD_ConnectionNotificationCode toe);

/* 1 if the request on c may run (a valid client certificate, or the
 * bearer token, or no auth configured); else 0 with a reason for the
 * 401 body in why. */
int skv_http_guard_allows(struct skv_http_guard *g, struct MHD_Connection *c,
                          char *why, size_t len);

#endif /* SKV_HTTP_GUARD_H */
