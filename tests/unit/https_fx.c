/* SPDX-License-Identifier: MIT */
/*
 * https_fx.c — owns the HTTPS test PKI: EC P-256 keys, a self-signed CA
 * and CA-issued leaves (X509V3 extensions from OpenSSL config strings),
 * PEM output. Test code only; nothing here is used by sealkv itself.
 */
#include "https_fx.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct https_fx_ca {
    EVP_PKEY *key;
    X509 *crt;
};

static int add_ext(X509 *crt, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int ok;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, crt, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return -1;
    ok = X509_add_ext(crt, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* A random positive 63-bit serial, so no two test certificates clash. */
static int random_serial(X509 *crt)
{
    BIGNUM *bn = BN_new();
    int ok = bn && BN_rand(bn, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(crt));
    BN_free(bn);
    return ok ? 0 : -1;
}

static X509 *new_cert(EVP_PKEY *key, const char *cn, long from_days,
                      long to_days)
{
    X509 *crt = X509_new();
    X509_NAME *n;
    if (!crt)
        return NULL;
    X509_set_version(crt, 2);
    if (random_serial(crt) != 0) {
        X509_free(crt);
        return NULL;
    }
    X509_gmtime_adj(X509_getm_notBefore(crt), from_days * 86400L - 60);
    X509_gmtime_adj(X509_getm_notAfter(crt), to_days * 86400L);
    X509_set_pubkey(crt, key);
    n = X509_get_subject_name(crt);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    return crt;
}

static int write_pem(const char *dir, const char *name, const char *ext,
                     X509 *crt, EVP_PKEY *key)
{
    char path[512];
    FILE *f;
    int fd, ok;
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
              key ? 0600 : 0644);
    if (fd < 0 || !(f = fdopen(fd, "w"))) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    ok = key ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
             : PEM_write_X509(f, crt);
    return fclose(f) == 0 && ok ? 0 : -1;
}

struct https_fx_ca *https_fx_ca_new(const char *dir, const char *name)
{
    struct https_fx_ca *ca = calloc(1, sizeof *ca);
    if (!ca || !(ca->key = EVP_EC_gen("P-256")) ||
        !(ca->crt = new_cert(ca->key, name, 0, 30)) ||
        !X509_set_issuer_name(ca->crt, X509_get_subject_name(ca->crt)) ||
        add_ext(ca->crt, ca->crt, NID_basic_constraints, "critical,CA:TRUE") ||
        add_ext(ca->crt, ca->crt, NID_key_usage,
                "critical,keyCertSign,cRLSign") ||
        add_ext(ca->crt, ca->crt, NID_subject_key_identifier, "hash") ||
        !X509_sign(ca->crt, ca->key, EVP_sha256()) ||
        write_pem(dir, name, "crt", ca->crt, NULL) != 0) {
        https_fx_ca_free(ca);
        return NULL;
    }
    return ca;
}

void https_fx_ca_free(struct https_fx_ca *ca)
{
    if (!ca)
        return;
    X509_free(ca->crt);
    EVP_PKEY_free(ca->key);
    free(ca);
}

static const char *eku_text(enum https_fx_eku eku)
{
    return eku == FX_EKU_SERVER ? "serverAuth"
           : eku == FX_EKU_CLIENT ? "clientAuth" : NULL;
}

int https_fx_issue(struct https_fx_ca *ca, const char *dir, const char *name,
                   const char *san, enum https_fx_eku eku, long from_days,
                   long to_days)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *crt = key ? new_cert(key, name, from_days, to_days) : NULL;
    int rc = -1;
    if (crt && X509_set_issuer_name(crt, X509_get_subject_name(ca->crt)) &&
        !add_ext(crt, ca->crt, NID_basic_constraints, "critical,CA:FALSE") &&
        !add_ext(crt, ca->crt, NID_key_usage, "critical,digitalSignature") &&
        !add_ext(crt, ca->crt, NID_authority_key_identifier, "keyid") &&
        (!san || !add_ext(crt, ca->crt, NID_subject_alt_name, san)) &&
        (!eku_text(eku) ||
         !add_ext(crt, ca->crt, NID_ext_key_usage, eku_text(eku))) &&
        X509_sign(crt, ca->key, EVP_sha256()) &&
        write_pem(dir, name, "crt", crt, NULL) == 0 &&
        write_pem(dir, name, "key", NULL, key) == 0)
        rc = 0;
    X509_free(crt);
    EVP_PKEY_free(key);
    return rc;
}
