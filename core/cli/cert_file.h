/* SPDX-License-Identifier: MIT */
/*
 * cert_file.h — the files of `sealkv cert`: a key + certificate pair
 * written crash-safely (temporary file, fsync, rename, fsync of the
 * directory; the key 0600, the certificate 0644; an existing file is
 * refused unless force), and the CA pair read back for signing.
 */
#ifndef SKV_CERT_FILE_H
#define SKV_CERT_FILE_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>

/* Write dir/<base>.key and dir/<base>.crt (dir is created 0700 when
 * missing). Either both are in place, or neither is new. 0, or -1 with
 * err filled. */
int skv_cert_save(const char *dir, const char *base, EVP_PKEY *key, X509 *crt, int force,
                  char *err, size_t errlen);

/* Read dir/ca.crt and dir/ca.key; the key must match the certificate
 * and the certificate must be a CA that has not expired. 0, or -1 with
 * err filled. */
int skv_cert_load_ca(const char *dir, X509 **ca, EVP_PKEY **ca_key, char *err, size_t errlen);

#endif
