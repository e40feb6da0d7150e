/* SPDX-License-Identifier: MIT */
/*
 * cert_x509.c — builds and signs the certificates of cert_x509.h's
 * profile through OpenSSL 3's X509 and X509V3 APIs.
 */
#include "cli/cert_x509.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>

#define SKV_CERT_BACKDATE_S (5 * 60) /* tolerate a little clock skew */

void skv_cert_ssl_err(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256];

    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    snprintf(err, errlen, "%s%s%s", what, e ? ": " : "", e ? buf : "");
    ERR_clear_error();
}

EVP_PKEY *skv_cert_keygen(char *err, size_t errlen)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    if (!k)
        skv_cert_ssl_err(err, errlen, "cannot generate an ECDSA P-256 key");
    return k;
}

/* A random positive serial below 2^159 (fits the 20 bytes RFC 5280 allows). */
static int set_serial(X509 *x)
{
    BIGNUM *bn = BN_new();
    int ok = 0;

    if (bn && BN_rand(bn, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1) {
        if (BN_is_zero(bn) && BN_set_word(bn, 1) != 1)
            goto out;
        ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    }
out:
    BN_free(bn);
    return ok;
}

static int set_subject(X509 *x, const char *cn)
{
    X509_NAME *n = X509_get_subject_name(x);
    return X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
                                      -1, -1, 0) == 1;
}

static int set_validity(X509 *x, int days)
{
    return X509_gmtime_adj(X509_getm_notBefore(x), -SKV_CERT_BACKDATE_S) &&
           X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL);
}

/* One extension from its OpenSSL config-string form. */
static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    int ok = e && X509_add_ext(x, e, -1) == 1;
    X509_EXTENSION_free(e);
    return ok;
}

static int add_extensions(X509 *x, X509 *issuer, const struct skv_cert_spec *s)
{
    X509V3_CTX ctx;
    int leaf = s->kind != SKV_CERT_CA;

    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    if (!add_ext(x, &ctx, NID_basic_constraints,
                 leaf ? "critical,CA:FALSE" : "critical,CA:TRUE,pathlen:0") ||
        !add_ext(x, &ctx, NID_key_usage,
                 leaf ? "critical,digitalSignature" : "critical,keyCertSign,cRLSign") ||
        !add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
        !add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always"))
        return 0;
    if (!leaf)
        return 1;
    return add_ext(x, &ctx, NID_ext_key_usage,
                   s->kind == SKV_CERT_NODE ? "serverAuth,clientAuth" : "clientAuth") &&
           (!s->san || add_ext(x, &ctx, NID_subject_alt_name, s->san));
}

X509 *skv_cert_build(const struct skv_cert_spec *spec, EVP_PKEY *key, X509 *ca,
                     EVP_PKEY *ca_key, char *err, size_t errlen)
{
    X509 *x = X509_new();
    const char *what = "out of memory";

    if (!x)
        goto fail;
    what = "cannot fill in the certificate";
    if (X509_set_version(x, X509_VERSION_3) != 1 || !set_serial(x) ||
        !set_subject(x, spec->cn) || !set_validity(x, spec->days) ||
        X509_set_pubkey(x, key) != 1 ||
        X509_set_issuer_name(x, X509_get_subject_name(ca ? ca : x)) != 1)
        goto fail;
    what = "cannot add the certificate extensions";
    if (!add_extensions(x, ca ? ca : x, spec))
        goto fail;
    what = "cannot sign the certificate";
    if (X509_sign(x, ca_key ? ca_key : key, EVP_sha256()) <= 0)
        goto fail;
    return x;
fail:
    skv_cert_ssl_err(err, errlen, what);
    X509_free(x);
    return NULL;
}
