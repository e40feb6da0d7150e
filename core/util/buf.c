/* SPDX-License-Identifier: MIT */
/*
 * buf.c — struct skv_buf: the core's one growable byte buffer.
 */
#include "util/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int skv_buf_reserve(struct skv_buf *b, size_t extra)
{
    return skv_buf_reserve_with(b, extra, realloc);
}

int skv_buf_reserve_with(struct skv_buf *b, size_t extra, void *(*realloc_fn)(void *, size_t))
{
    size_t need, cap;
    uint8_t *p;
    if (extra > SIZE_MAX - b->len) {
        errno = ENOMEM;
        return -1;
    }
    need = b->len + extra;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc_fn(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

int skv_buf_append(struct skv_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (skv_buf_reserve(b, n) != 0)
        return -1;
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

int skv_buf_read_file(struct skv_buf *b, FILE *f)
{
    size_t got;
    do {
        if (skv_buf_reserve(b, 4096) != 0)
            return -1;
        got = fread(b->p + b->len, 1, b->cap - b->len, f);
        b->len += got;
    } while (got > 0);
    if (ferror(f)) {
        if (!errno)
            errno = EIO;
        return -1;
    }
    return 0;
}

void skv_buf_free(struct skv_buf *b)
{
    if (!b)
        return;
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
