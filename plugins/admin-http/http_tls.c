/* SPDX-License-Identifier: MIT */
/*
 * http_tls.c — owns admin-http's GnuTLS credential sets: loading and
 * checking the configured files (through http_pem, so key bytes live
 * only in wiped memory), the reference count that keeps a set alive
 * while a connection uses it, attaching a set to a session, and the
 * client-certificate verification (chain, time, EKU, SAN URI).
 */
#include "http_tls.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/x509.h>

#include "http_pem.h"

struct skv_http_tls {
    atomic_int refs;
    gnutls_certificate_credentials_t cred;
    int has_ca;
};

struct skv_http_tls *skv_http_tls_ref(struct skv_http_tls *t)
{
    if (t)
        atomic_fetch_add(&t->refs, 1);
    return t;
}

void skv_http_tls_unref(struct skv_http_tls *t)
{
    if (!t || atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    gnutls_certificate_free_credentials(t->cred);
    free(t);
}

int skv_http_tls_has_ca(const struct skv_http_tls *t)
{
    return t && t->has_ca;
}

/* The leaf (first PEM block) must be inside its validity period. */
static int check_validity(const struct skv_http_pem *cert,
                          const char *path, struct skv_err *err)
{
    gnutls_x509_crt_t crt;
    gnutls_datum_t d = {cert->data, (unsigned)cert->len};
    time_t now = time(NULL), from, until;
    int rc;

    if (gnutls_x509_crt_init(&crt) < 0)
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    rc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
    if (rc < 0) {
        gnutls_x509_crt_deinit(crt);
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option 'tls_cert_file': '%s' is not a PEM "
                           "certificate: %s", path, gnutls_strerror(rc));
    }
    from = gnutls_x509_crt_get_activation_time(crt);
    until = gnutls_x509_crt_get_expiration_time(crt);
    gnutls_x509_crt_deinit(crt);
    if (from == (time_t)-1 || until == (time_t)-1 || now < from ||
        now > until)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option 'tls_cert_file': certificate '%s' is %s",
                           path, now < from ? "not valid yet" : "expired");
    return SKV_OK;
}

static int set_key(struct skv_http_tls *t, const char *cert_file,
                   const char *key_file, struct skv_err *err)
{
    struct skv_http_pem cert, key;
    gnutls_datum_t c, k;
    int rc;

    if ((rc = skv_http_pem_read("tls_cert_file", cert_file, 0, &cert, err)))
        return rc;
    if ((rc = check_validity(&cert, cert_file, err)) != SKV_OK ||
        (rc = skv_http_pem_read("tls_key_file", key_file, 1, &key, err))) {
        skv_http_pem_free(&cert);
        return rc;
    }
    c.data = cert.data;
    c.size = (unsigned)cert.len;
    k.data = key.data;
    k.size = (unsigned)key.len;
    rc = gnutls_certificate_set_x509_key_mem2(t->cred, &c, &k,
                                              GNUTLS_X509_FMT_PEM, NULL, 0);
    skv_http_pem_free(&key);
    skv_http_pem_free(&cert);
    if (rc < 0)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "options 'tls_cert_file'/'tls_key_file': cannot "
                           "use '%s' with '%s': %s", cert_file, key_file,
                           gnutls_strerror(rc));
    return SKV_OK;
}

static int set_ca(struct skv_http_tls *t, const char *ca_file,
                  struct skv_err *err)
{
    struct skv_http_pem ca;
    gnutls_datum_t d;
    int rc = skv_http_pem_read("client_ca_file", ca_file, 0, &ca, err);
    if (rc != SKV_OK)
        return rc;
    d.data = ca.data;
    d.size = (unsigned)ca.len;
    rc = gnutls_certificate_set_x509_trust_mem(t->cred, &d,
                                               GNUTLS_X509_FMT_PEM);
    skv_http_pem_free(&ca);
    if (rc <= 0)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option 'client_ca_file': '%s' holds no usable "
                           "PEM certificate%s%s", ca_file, rc < 0 ? ": " : "",
                           rc < 0 ? gnutls_strerror(rc) : "");
    t->has_ca = 1;
    return SKV_OK;
}

int skv_http_tls_load(const char *cert_file, const char *key_file,
                      const char *ca_file, struct skv_http_tls **out,
                      struct skv_err *err)
{
    struct skv_http_tls *t = calloc(1, sizeof *t);
    int rc;

    *out = NULL;
    if (!t || gnutls_certificate_allocate_credentials(&t->cred) < 0) {
        free(t);
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    }
    atomic_init(&t->refs, 1);
    rc = set_key(t, cert_file, key_file, err);
    if (rc == SKV_OK && ca_file)
        rc = set_ca(t, ca_file, err);
    if (rc != SKV_OK) {
        skv_http_tls_unref(t);
        return rc;
    }
    *out = t;
    return SKV_OK;
}

int skv_http_tls_attach(struct skv_http_tls *t, gnutls_session_t s)
{
    int rc = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, t->cred);
    if (rc == GNUTLS_E_SUCCESS && t->has_ca)
        gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
    return rc;
}

/* Any SAN URI of the leaf starts with the client prefix? */
static int has_client_uri(gnutls_session_t s)
{
    const gnutls_datum_t *peers;
    unsigned n = 0, i;
    gnutls_x509_crt_t crt;
    char buf[512];
    int found = 0, type;

    peers = gnutls_certificate_get_peers(s, &n);
    if (!peers || n == 0 || gnutls_x509_crt_init(&crt) < 0)
        return 0;
    if (gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER) == 0) {
        for (i = 0; !found; i++) {
            size_t len = sizeof buf - 1;
            type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &len,
                                                        NULL);
            if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
                continue;
            if (type < 0)
                break;
            buf[len < sizeof buf ? len : sizeof buf - 1] = '\0';
            found = type == GNUTLS_SAN_URI &&
                    strncmp(buf, SKV_HTTP_CLIENT_URI_PREFIX,
                            strlen(SKV_HTTP_CLIENT_URI_PREFIX)) == 0;
        }
    }
    gnutls_x509_crt_deinit(crt);
    return found;
}

int skv_http_tls_check_client(gnutls_session_t s, char *why, size_t len)
{
    gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
                                     (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
                                     0};
    gnutls_datum_t text = {NULL, 0};
    unsigned status = 0;
    int rc;

    if (!gnutls_certificate_get_peers(s, &status))
        return snprintf(why, len, "no client certificate"), -1;
    rc = gnutls_certificate_verify_peers(s, &purpose, 1, &status);
    if (rc < 0)
        return snprintf(why, len, "client certificate: %s",
                        gnutls_strerror(rc)), -1;
    if (status != 0) {
        if (gnutls_certificate_verification_status_print(
                status, GNUTLS_CRT_X509, &text, 0) == 0 && text.data) {
            snprintf(why, len, "client certificate: %s", text.data);
            gnutls_free(text.data);
        } else {
            snprintf(why, len, "client certificate not trusted");
        }
        return -1;
    }
    if (!has_client_uri(s))
        return snprintf(why, len, "client certificate names no "
                        SKV_HTTP_CLIENT_URI_PREFIX " URI"), -1;
    return 0;
}
