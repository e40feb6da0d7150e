/* SPDX-License-Identifier: MIT */
/*
 * http_auth.h — optional bearer-token check for admin-http (`token_file`
 * option). The token itself is never kept: only a keyed BLAKE2b digest
 * of it, in sodium_malloc memory, compared in constant time.
 */
#ifndef SKV_HTTP_AUTH_H
#define SKV_HTTP_AUTH_H

#include <sealkv/plugin.h>

struct skv_http_auth;   /* opaque; NULL means "no token required" */

/* Read the token from `path` (mode 0600/0400, 1..4096 bytes, printable
 * ASCII without spaces; trailing newline ignored). SKV_ERR_CONFIG with a
 * message naming the file otherwise. */
int skv_http_auth_load(const char *path, struct skv_http_auth **out,
                       struct skv_err *err);

/* 1 if `authorization` (the header value, may be NULL) is
 * "Bearer <token>" with the right token, or if `a` is NULL. */
int skv_http_auth_ok(const struct skv_http_auth *a,
                     const char *authorization);

void skv_http_auth_free(struct skv_http_auth *a);

#endif /* SKV_HTTP_AUTH_H */
