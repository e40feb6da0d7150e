/* SPDX-License-Identifier: MIT */
/*
 * http_pem.h — reads one credential file of admin-http (TLS certificate,
 * private key, client CA) into locked memory with strict checks: a
 * regular file (symlinks followed only for the certificate and CA, never
 * for the key), bounded size, and for the key no access by "others" and
 * no group write (0600, 0400 or 0640 are fine).
 */
#ifndef SKV_HTTP_PEM_H
#define SKV_HTTP_PEM_H

#include <stddef.h>

#include <sealkv/plugin.h>

#define SKV_HTTP_PEM_MAX (256 * 1024)

struct skv_http_pem {
    unsigned char *data;  /* sodium_malloc'd, NUL-terminated */
    size_t len;           /* bytes, without the NUL */
};

/* `option` names the option in messages ("tls_key_file"); `secret`
 * selects the key rules. SKV_ERR_CONFIG with a message naming the file. */
int skv_http_pem_read(const char *option, const char *path, int secret,
                      struct skv_http_pem *out, struct skv_err *err);

/* Wipe and free (NULL-safe, idempotent). */
void skv_http_pem_free(struct skv_http_pem *p);

#endif /* SKV_HTTP_PEM_H */
