/* SPDX-License-Identifier: MIT */
/*
 * tcp_creds.c — loads and validates the TLS credentials into an SSL_CTX
 * (TLS 1.3 only, AES-GCM suites, peer certificate required, no tickets,
 * no session cache), extracts a peer's proven node id and re-checks an
 * established peer against reloaded credentials. Error messages
 * name the option at fault and never contain key bytes.
 */
#include "tcp_creds.h"
#include "tcp_ident.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define TCP_TLS_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"
#define TCP_TLS_GROUPS "X25519:P-256"
#define TCP_TLS_RBUF (64 * 1024)

void tcp_creds_ossl_err(char *buf, size_t len)
{
    unsigned long e = ERR_peek_last_error();
    buf[0] = '\0';
    if (e)
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
}

static int cfg_err(struct skv_err *err, const char *opt, const char *path,
                   const char *what)
{
    char ossl[200];
    tcp_creds_ossl_err(ossl, sizeof ossl);
    return skv_err_set(err, SKV_ERR_CONFIG, "option %s: '%s' %s%s%s", opt,
                       path, what, ossl[0] ? ": " : "", ossl);
}

/* Present and readable; key_file also not readable by others. */
static int check_file(const char *opt, const char *path, int secret,
                      struct skv_err *err)
{
    struct stat st;
    FILE *f;
    if (!path || !*path)
        return skv_err_set(err, SKV_ERR_CONFIG, "option %s is required "
                           "(or set insecure: true for a plaintext, "
                           "unauthenticated transport)", opt);
    if (!(f = fopen(path, "r")))
        return skv_err_set(err, SKV_ERR_CONFIG, "option %s: cannot read "
                           "'%s': %s", opt, path, strerror(errno));
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return skv_err_set(err, SKV_ERR_CONFIG, "option %s: '%s' is not "
                           "a regular file", opt, path);
    }
    fclose(f);
    if (secret && (st.st_mode & S_IROTH))
        return skv_err_set(err, SKV_ERR_CONFIG, "option %s: '%s' is "
                           "readable by other users (mode %04o); a private "
                           "key must not be: chmod 600 it", opt, path,
                           (unsigned)(st.st_mode & 07777));
    return SKV_OK;
}

static int no_passphrase(char *buf, int size, int rw, void *u)
{
    (void)buf, (void)size, (void)rw, (void)u;
    return -1; /* never prompt on a terminal */
}

static EVP_PKEY *read_key(const char *path)
{
    BIO *b = BIO_new_file(path, "r");
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL)
                    : NULL;
    BIO_free(b);
    return k;
}

static int ctx_settings(SSL_CTX *ctx)
{
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_IGNORE_UNEXPECTED_EOF |
                                 SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_default_read_buffer_len(ctx, TCP_TLS_RBUF);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       NULL);
    return SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1 &&
           SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1 &&
           SSL_CTX_set_ciphersuites(ctx, TCP_TLS_SUITES) == 1 &&
           SSL_CTX_set1_groups_list(ctx, TCP_TLS_GROUPS) == 1 &&
           SSL_CTX_set_num_tickets(ctx, 0) == 1 &&
           SSL_CTX_set_session_id_context(
               ctx, (const unsigned char *)"sealkv", 6) == 1;
}

/* Our own certificate: chains to the CA, may act both ways, is ours. */
static int check_own_cert(SSL_CTX *ctx, const char *cert_file,
                          uint64_t node_id, struct skv_err *err)
{
    X509 *leaf = SSL_CTX_get0_certificate(ctx);
    STACK_OF(X509) *chain = NULL;
    X509_STORE_CTX *sc = X509_STORE_CTX_new();
    char why[200];
    uint64_t id = 0;
    int ok;
    if (!sc)
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    SSL_CTX_get0_chain_certs(ctx, &chain);
    ok = X509_STORE_CTX_init(sc, SSL_CTX_get_cert_store(ctx), leaf, chain) == 1
         && X509_verify_cert(sc) == 1;
    snprintf(why, sizeof why, "%s",
             X509_verify_cert_error_string(X509_STORE_CTX_get_error(sc)));
    X509_STORE_CTX_free(sc);
    ERR_clear_error();
    if (!ok)
        return skv_err_set(err, SKV_ERR_CONFIG, "option cert_file: '%s' is "
                           "not accepted by the CA in ca_file: %s", cert_file,
                           why);
    if (X509_check_purpose(leaf, X509_PURPOSE_SSL_CLIENT, 0) != 1 ||
        X509_check_purpose(leaf, X509_PURPOSE_SSL_SERVER, 0) != 1)
        return skv_err_set(err, SKV_ERR_CONFIG, "option cert_file: '%s' "
                           "is not usable for both TLS client and server "
                           "authentication (extendedKeyUsage/keyUsage)",
                           cert_file);
    if (tcp_ident_node_id(leaf, &id, why, sizeof why) != 0)
        return skv_err_set(err, SKV_ERR_CONFIG, "option cert_file: '%s': "
                           "%s", cert_file, why);
    if (id != node_id)
        return skv_err_set(err, SKV_ERR_CONFIG, "option cert_file: '%s' is "
                           "for node %" PRIu64 " but this is node %" PRIu64,
                           cert_file, id, node_id);
    return SKV_OK;
}

static int load_files(SSL_CTX *ctx, const char *ca, const char *cert,
                      const char *key, struct skv_err *err)
{
    EVP_PKEY *pk;
    int rc = SKV_OK;
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
        return cfg_err(err, "ca_file", ca, "is not a PEM CA bundle");
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
        return cfg_err(err, "cert_file", cert, "is not a PEM certificate");
    if (!(pk = read_key(key)))
        return cfg_err(err, "key_file", key, "is not an unencrypted PEM "
                       "private key");
    if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), pk) != 1) {
        ERR_clear_error();
        rc = skv_err_set(err, SKV_ERR_CONFIG, "option key_file: '%s' does "
                         "not match the certificate in cert_file '%s'", key,
                         cert);
    } else if (SSL_CTX_use_PrivateKey(ctx, pk) != 1) {
        rc = cfg_err(err, "key_file", key, "cannot be used");
    }
    EVP_PKEY_free(pk);
    return rc;
}

int tcp_creds_load(const char *ca_file, const char *cert_file,
                   const char *key_file, uint64_t node_id, SSL_CTX **out,
                   struct skv_err *err)
{
    SSL_CTX *ctx;
    int rc;
    *out = NULL;
    ERR_clear_error();
    if ((rc = check_file("ca_file", ca_file, 0, err)) ||
        (rc = check_file("cert_file", cert_file, 0, err)) ||
        (rc = check_file("key_file", key_file, 1, err)))
        return rc;
    if (!(ctx = SSL_CTX_new(TLS_method())) || !ctx_settings(ctx)) {
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return skv_err_set(err, SKV_ERR_NOMEM, "cannot set up a TLS 1.3 "
                           "context (OpenSSL)");
    }
    rc = load_files(ctx, ca_file, cert_file, key_file, err);
    if (rc == SKV_OK)
        rc = check_own_cert(ctx, cert_file, node_id, err);
    if (rc != SKV_OK) {
        SSL_CTX_free(ctx);
        return rc;
    }
    *out = ctx;
    return SKV_OK;
}

int tcp_creds_peer_id(SSL *ssl, uint64_t *id, char *why, size_t whylen)
{
    X509 *c = SSL_get0_peer_certificate(ssl);
    long vr = SSL_get_verify_result(ssl);
    if (!c) {
        snprintf(why, whylen, "peer presented no certificate");
        return -1;
    }
    if (vr != X509_V_OK) {
        snprintf(why, whylen, "peer certificate refused: %s",
                 X509_verify_cert_error_string(vr));
        return -1;
    }
    return tcp_ident_node_id(c, id, why, whylen);
}

int tcp_creds_recheck(SSL *ssl, SSL_CTX *ctx, char *why, size_t whylen)
{
    X509 *leaf = SSL_get0_peer_certificate(ssl);
    /* server side: the chain the peer sent, without its leaf */
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    X509_STORE_CTX *sc = X509_STORE_CTX_new();
    int ok = 0;
    if (!leaf || !sc) {
        X509_STORE_CTX_free(sc);
        snprintf(why, whylen, "%s", leaf ? "out of memory"
                                         : "peer presented no certificate");
        return -1;
    }
    if (X509_STORE_CTX_init(sc, SSL_CTX_get_cert_store(ctx), leaf, chain) ==
            1 &&
        X509_STORE_CTX_set_default(sc, SSL_is_server(ssl) ? "ssl_client"
                                                          : "ssl_server") ==
            1)
        ok = X509_verify_cert(sc) == 1;
    if (!ok)
        snprintf(why, whylen, "certificate no longer accepted after a "
                 "credentials reload: %s",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(sc)));
    X509_STORE_CTX_free(sc);
    ERR_clear_error();
    return ok ? 0 : -1;
}
