/* SPDX-License-Identifier: MIT */
/*
 * http_body.h — accumulation of one request's upload under a byte limit.
 * The buffer is always NUL-terminated (one spare byte) so a JSON body can
 * be handed to the core as a C string.
 */
#ifndef SKV_HTTP_BODY_H
#define SKV_HTTP_BODY_H

#include <stddef.h>
#include <stdint.h>

struct skv_http_body {
    char *buf;          /* malloc'd, NUL-terminated, or NULL while empty */
    size_t len;         /* bytes kept */
    size_t cap;         /* bytes allocated (excluding the spare NUL) */
    size_t max;         /* limit on len */
    int too_big;        /* the limit was crossed: contents are discarded */
    uint64_t dropped;   /* bytes thrown away after crossing the limit */
};

void skv_http_body_init(struct skv_http_body *b, size_t max);

/* Append n bytes. SKV_OK, SKV_ERR_TOOBIG (limit crossed: the buffer is
 * freed and too_big set; later appends only count `dropped`) or
 * SKV_ERR_NOMEM. */
int skv_http_body_append(struct skv_http_body *b, const char *data,
                         size_t n);

/* Parse a Content-Length header value; 0 if absent or not a number,
 * UINT64_MAX if it overflows. */
uint64_t skv_http_body_declared(const char *content_length);

/* Refuse the body up front (a declared length over the limit): every
 * byte that still arrives is only counted. */
void skv_http_body_refuse(struct skv_http_body *b);

/* How many refused bytes a request may still send so that the client can
 * read a clean 413 (beyond it the connection is dropped): twice the
 * limit, at least 1 MiB. */
uint64_t skv_http_body_drain_limit(const struct skv_http_body *b);

void skv_http_body_free(struct skv_http_body *b);

#endif /* SKV_HTTP_BODY_H */
