/* SPDX-License-Identifier: MIT */
/*
 * tls_fx.h — test certificates made with the OpenSSL API in a temporary
 * directory (two cluster CAs, node/client/self-signed/expired
 * certificates, PEM files with 0600 keys), and a bare TLS 1.3 client for
 * playing a hostile or misconfigured peer against transport-tcp.
 */
#ifndef SKV_TLS_FX_H
#define SKV_TLS_FX_H

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stddef.h>

enum { TLS_FX_CA1 = 0, TLS_FX_CA2 = 1, TLS_FX_SELF = -1 };

struct tls_fx {
    char dir[64];
    long serial;
    X509 *ca[2];
    EVP_PKEY *ca_key[2];
};

/* Make the directory with ca1.crt, ca2.crt and cas.crt (both). 0 or -1. */
int tls_fx_init(struct tls_fx *fx);

/* Issue <name>.crt/<name>.key: SAN `uri` (NULL: no SAN), signed by
 * TLS_FX_CA1/CA2 or self-signed, EKU serverAuth+clientAuth (or only
 * clientAuth when `client_only`), expired when `expired`. 0 or -1. */
int tls_fx_issue(struct tls_fx *fx, const char *name, const char *uri,
                 int issuer, int client_only, int expired);

/* "<dir>/<name>.<ext>" into buf. */
const char *tls_fx_path(const struct tls_fx *fx, const char *name,
                        const char *ext, char *buf, size_t len);

/* Copy <from>.crt/.key over <to>.crt/.key (keeps mode 0600). 0 or -1. */
int tls_fx_copy(const struct tls_fx *fx, const char *from, const char *to);

/* Remove the files and the directory; free the CAs. */
void tls_fx_fini(struct tls_fx *fx);

/* TLS 1.3 client to 127.0.0.1:port trusting ca1, presenting <name>
 * (NULL: no certificate); blocking socket with 5 s timeouts. The
 * handshake result is not checked (in TLS 1.3 the server may refuse the
 * client certificate after the client finished). NULL on setup error. */
SSL *tls_fx_dial(const struct tls_fx *fx, unsigned port, const char *name);

/* 1 if the server closes the TLS connection within 5 s (no data). */
int tls_fx_closed_by_server(SSL *ssl);

void tls_fx_close(SSL *ssl);

#endif
