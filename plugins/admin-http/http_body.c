/* SPDX-License-Identifier: MIT */
/*
 * http_body.c — owns upload accumulation: geometric growth bounded by the
 * configured max_body_bytes; crossing the limit frees what was kept so an
 * oversized upload never holds more than the limit in memory.
 */
#include "http_body.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sealkv/plugin.h>

void skv_http_body_init(struct skv_http_body *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max;
}

static void drop_contents(struct skv_http_body *b)
{
    free(b->buf);
    b->buf = NULL;
    b->len = 0;
    b->cap = 0;
    b->too_big = 1;
}

static int grow(struct skv_http_body *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 4096;
    char *nb;
    while (cap < need)
        cap = cap > b->max / 2 ? b->max : cap * 2;
    if (cap > b->max)
        cap = b->max;
    if (cap < need)
        cap = need;
    nb = realloc(b->buf, cap + 1);
    if (!nb)
        return SKV_ERR_NOMEM;
    b->buf = nb;
    b->cap = cap;
    return SKV_OK;
}

int skv_http_body_append(struct skv_http_body *b, const char *data,
                         size_t n)
{
    if (b->too_big) {
        b->dropped += n;
        return SKV_ERR_TOOBIG;
    }
    if (n > b->max - b->len) {
        b->dropped = (uint64_t)b->len + n;
        drop_contents(b);
        return SKV_ERR_TOOBIG;
    }
    if (n == 0)
        return SKV_OK;
    if (b->len + n > b->cap && grow(b, b->len + n) != SKV_OK)
        return SKV_ERR_NOMEM;
    memcpy(b->buf + b->len, data, n);
    b->len += n;
    b->buf[b->len] = '\0';
    return SKV_OK;
}

uint64_t skv_http_body_declared(const char *content_length)
{
    unsigned long long v;
    char *end = NULL;
    if (!content_length || *content_length < '0' || *content_length > '9')
        return 0;
    errno = 0;
    v = strtoull(content_length, &end, 10);
    if (errno == ERANGE)
        return UINT64_MAX;
    return *end ? 0 : (uint64_t)v;   /* MHD validates the header itself */
}

void skv_http_body_refuse(struct skv_http_body *b)
{
    drop_contents(b);
}

uint64_t skv_http_body_drain_limit(const struct skv_http_body *b)
{
    uint64_t twice = (uint64_t)b->max * 2;
    return twice > (1u << 20) ? twice : (1u << 20);
}

void skv_http_body_free(struct skv_http_body *b)
{
    free(b->buf);
    memset(b, 0, sizeof *b);
}
