/* SPDX-License-Identifier: MIT */
/*
 * cert_x509.h — sealkv's X.509 profile, built and signed with OpenSSL 3
 * (no hand-written crypto): ECDSA P-256 keys, SHA-256 signatures,
 * random 159-bit serials, SKI/AKI.
 *
 *   CA      CN "sealkv cluster CA"; basicConstraints critical CA:TRUE,
 *           pathlen:0; keyUsage critical keyCertSign, cRLSign.
 *   node    CN "sealkv node ID"; SAN URI urn:sealkv:node:ID + IP/DNS of
 *           its address; EKU serverAuth, clientAuth; keyUsage critical
 *           digitalSignature; basicConstraints critical CA:FALSE.
 *   client  CN "sealkv client NAME"; SAN URI urn:sealkv:client:NAME;
 *           EKU clientAuth; keyUsage and basicConstraints as a node's.
 */
#ifndef SKV_CERT_X509_H
#define SKV_CERT_X509_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>

enum skv_cert_kind { SKV_CERT_CA, SKV_CERT_NODE, SKV_CERT_CLIENT };

struct skv_cert_spec {
    enum skv_cert_kind kind;
    const char *cn;  /* subject commonName */
    const char *san; /* subjectAltName in OpenSSL's "URI:...,IP:..." form; NULL for a CA */
    int days;        /* validity from now (notBefore is backdated 5 minutes) */
};

/* A fresh ECDSA P-256 key; NULL (err filled) on failure. */
EVP_PKEY *skv_cert_keygen(char *err, size_t errlen);

/* A certificate for key per spec, signed by ca_key as ca (both NULL: a
 * self-signed CA). NULL (err filled) on failure. */
X509 *skv_cert_build(const struct skv_cert_spec *spec, EVP_PKEY *key, X509 *ca,
                     EVP_PKEY *ca_key, char *err, size_t errlen);

/* err <- "what: <OpenSSL's first queued error>"; clears the queue. */
void skv_cert_ssl_err(char *err, size_t errlen, const char *what);

#endif
