/* SPDX-License-Identifier: MIT */
/*
 * tcp_tls.h — the transport's current TLS context, shared by the
 * listener and every writer, and swapped atomically by reload(): each
 * user takes its own reference (SSL_CTX_up_ref), so a swap never pulls a
 * context from under a handshake. A generation number tells writers when
 * to re-establish their connection with the new credentials.
 */
#ifndef SKV_TCP_TLS_H
#define SKV_TCP_TLS_H

#include <sealkv/plugin.h>
#include <openssl/ssl.h>

struct tcp_tls;

/* Load and check the credentials (tcp_creds_load); copies the paths. */
int tcp_tls_new(const char *ca_file, const char *cert_file,
                const char *key_file, uint64_t node_id, struct tcp_tls **out,
                struct skv_err *err);

/* NULL is a no-op. Contexts still referenced elsewhere live on. */
void tcp_tls_free(struct tcp_tls *t);

/* The current context with a reference the caller drops with
 * SSL_CTX_free; its generation in *gen (may be NULL). Any thread. */
SSL_CTX *tcp_tls_ctx(struct tcp_tls *t, unsigned *gen);

/* The current generation. Any thread. */
unsigned tcp_tls_gen(struct tcp_tls *t);

/* Re-read the files into a new context and swap it in; on any failure
 * the old one stays and err says why. */
int tcp_tls_reload(struct tcp_tls *t, struct skv_err *err);

#endif
