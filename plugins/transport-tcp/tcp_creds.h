/* SPDX-License-Identifier: MIT */
/*
 * tcp_creds.h — the transport's TLS credentials: builds a TLS 1.3-only,
 * mutual-auth SSL_CTX from ca_file / cert_file / key_file and checks
 * everything up front (readable, PEM, key private to its owner and
 * matching the certificate, certificate signed by the CA, EKU, node id ==
 * ours), and reads a peer's proven node id after a handshake.
 */
#ifndef SKV_TCP_CREDS_H
#define SKV_TCP_CREDS_H

#include <sealkv/plugin.h>
#include <openssl/ssl.h>

/* A new SSL_CTX for node `node_id`, or SKV_ERR_CONFIG naming the option
 * at fault (SKV_ERR_NOMEM when OpenSSL cannot allocate). */
int tcp_creds_load(const char *ca_file, const char *cert_file,
                   const char *key_file, uint64_t node_id, SSL_CTX **out,
                   struct skv_err *err);

/* After a completed handshake: the node id the peer's verified
 * certificate binds. 0, or -1 with the reason in `why`. */
int tcp_creds_peer_id(SSL *ssl, uint64_t *id, char *why, size_t whylen);

/* Is the verified peer of an established connection `ssl` still
 * accepted by the CA store of `ctx` (a context loaded after that
 * handshake: a credentials reload)? Checks the peer's chain as the
 * handshake did, at the current time. 0, or -1 with the reason. */
int tcp_creds_recheck(SSL *ssl, SSL_CTX *ctx, char *why, size_t whylen);

/* The newest queued OpenSSL error as text (clears the queue); "" when
 * none. Never contains key material. */
void tcp_creds_ossl_err(char *buf, size_t len);

#endif
