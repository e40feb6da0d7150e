/* SPDX-License-Identifier: MIT */
/*
 * http_tls.h — one immutable, reference-counted set of admin-http TLS
 * credentials (server certificate chain + key, optional client CA) as a
 * GnuTLS credentials object, attached to each new connection's session
 * before its handshake; and the client-certificate check run on a
 * session after it.
 */
#ifndef SKV_HTTP_TLS_H
#define SKV_HTTP_TLS_H

#include <stddef.h>

#include <gnutls/gnutls.h>
#include <sealkv/plugin.h>

/* TLS 1.2 and 1.3 only (1.3 preferred), no static-RSA key exchange. */
#define SKV_HTTP_TLS_PRIORITY \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA:%SERVER_PRECEDENCE"

/* What a client certificate must name to be an admin credential. */
#define SKV_HTTP_CLIENT_URI_PREFIX "urn:sealkv:client:"

struct skv_http_tls;

/* Load cert (PEM chain), key (PEM, owner-only) and, if ca_file is not
 * NULL, the client CA bundle. Refuses a key that does not match the
 * certificate or a certificate outside its validity period.
 * SKV_ERR_CONFIG with a message naming the option and file. */
int skv_http_tls_load(const char *cert_file, const char *key_file,
                      const char *ca_file, struct skv_http_tls **out,
                      struct skv_err *err);

/* References: any thread. The last unref frees. NULL-safe. */
struct skv_http_tls *skv_http_tls_ref(struct skv_http_tls *t);
void skv_http_tls_unref(struct skv_http_tls *t);

int skv_http_tls_has_ca(const struct skv_http_tls *t);

/* Use t's credentials on a server session that has not shaken hands yet
 * (and ask for a client certificate when t has a client CA). 0 or a
 * GnuTLS error code. */
int skv_http_tls_attach(struct skv_http_tls *t, gnutls_session_t s);

/* After the handshake: 0 if the peer presented a certificate chaining to
 * the session's client CA, valid now, with EKU clientAuth (if it has an
 * EKU) and a SAN URI starting with SKV_HTTP_CLIENT_URI_PREFIX. Else -1
 * with the reason in why (no secrets). */
int skv_http_tls_check_client(gnutls_session_t s, char *why, size_t len);

#endif /* SKV_HTTP_TLS_H */
