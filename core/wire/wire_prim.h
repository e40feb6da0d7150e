/* SPDX-License-Identifier: MIT */
/*
 * wire_prim.h — byte-level helpers shared by the wire codec files (internal
 * to core/wire*.c): error formatting, a sticky-failure frame writer over
 * struct skv_buf (util/buf.h), and a bounds-checked little-endian reader
 * (byte order from util/bytes.h), and field tables: one description of a
 * message's fixed fields that both its encoder and its decoder walk.
 * Every read checks the bytes left first; nothing here allocates except
 * the writer.
 */
#ifndef SKV_WIRE_PRIM_H
#define SKV_WIRE_PRIM_H

#include "wire/wire.h"
#include "util/bytes.h"
#include "util/buf.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 4))) static inline int
fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ------------------------------------------------------------------ */
/* output buffer and writer                                             */

/* Appends to one frame; the first failure sticks and is reported by
 * wr_finish, which then rolls `out` back to where the frame started. */
struct wr {
    struct skv_buf *b;
    size_t start;
    int failed;
};

static inline void put(struct wr *w, const void *p, size_t n)
{
    if (w->failed || n == 0)
        return;
    if (skv_buf_reserve(w->b, n) != 0) {
        w->failed = 1;
        return;
    }
    memcpy(w->b->p + w->b->len, p, n);
    w->b->len += n;
}

static inline void put_u8(struct wr *w, uint64_t v)
{
    uint8_t b = (uint8_t)v;
    put(w, &b, 1);
}

/* put_u16/put_u32/put_u64: little-endian, as every wire integer. */
#define SKV_WIRE_PUT(bits)                                                           \
    static inline void put_u##bits(struct wr *w, uint64_t v)                           \
    {                                                                                  \
        uint8_t tmp[bits / 8];                                                         \
        skv_put_le##bits(tmp, (uint##bits##_t)v);                                      \
        put(w, tmp, sizeof tmp);                                                       \
    }
SKV_WIRE_PUT(16)
SKV_WIRE_PUT(32)
SKV_WIRE_PUT(64)
#undef SKV_WIRE_PUT

static inline void put_slice(struct wr *w, const struct skv_slice *s)
{
    if (s->len > UINT32_MAX || (s->len && !s->p)) {
        w->failed = 1;
        return;
    }
    put_u32(w, s->len);
    put(w, s->p, s->len);
}

/* Start a frame: header with a body_len placeholder patched by finish.
 * On failure nothing was appended. */
static inline int wr_begin(struct wr *w, struct skv_buf *out, uint8_t type,
                    uint64_t from_id, size_t body_hint)
{
    w->b = out;
    w->start = out ? out->len : 0;
    w->failed = 0;
    if (!out || from_id == 0)
        return -1;
    if (skv_buf_reserve(out, SKV_WIRE_HDR_LEN + body_hint) != 0)
        return -1;
    put_u8(w, 'S');
    put_u8(w, 'K');
    put_u8(w, SKV_WIRE_VERSION);
    put_u8(w, type);
    put_u32(w, 0);
    put_u64(w, from_id);
    return 0;
}

static inline int wr_finish(struct wr *w)
{
    size_t body;
    if (w->failed) {
        w->b->len = w->start;
        return -1;
    }
    body = w->b->len - w->start - SKV_WIRE_HDR_LEN;
    if (body > SKV_WIRE_MAX_BODY) {
        w->b->len = w->start;
        return -1;
    }
    skv_put_le32(w->b->p + w->start + 4, (uint32_t)body);
    return 0;
}

/* ------------------------------------------------------------------ */
/* reader                                                               */

struct rd {
    const uint8_t *p;
    size_t len, off;
    char *err;
    size_t errlen;
};

static inline size_t rd_left(const struct rd *r) { return r->len - r->off; }

static inline int rd_need(struct rd *r, size_t n, const char *what)
{
    if (rd_left(r) < n)
        return fail(r->err, r->errlen,
                    "truncated frame: %s needs %zu bytes, %zu left", what, n,
                    rd_left(r));
    return 0;
}

/* rd_u8/rd_u16/rd_u32/rd_u64: little-endian, bounds-checked. */
static inline uint8_t skv_get_le8(const uint8_t *p) { return *p; }
#define SKV_WIRE_RD(bits)                                                            \
    static inline int rd_u##bits(struct rd *r, uint##bits##_t *v, const char *what)   \
    {                                                                                  \
        if (rd_need(r, bits / 8, what) != 0)                                           \
            return -1;                                                                 \
        *v = skv_get_le##bits(r->p + r->off);                                          \
        r->off += bits / 8;                                                            \
        return 0;                                                                      \
    }
SKV_WIRE_RD(8)
SKV_WIRE_RD(16)
SKV_WIRE_RD(32)
SKV_WIRE_RD(64)
#undef SKV_WIRE_RD

static inline int rd_i32(struct rd *r, int32_t *v, const char *what)
{
    uint32_t x;
    if (rd_u32(r, &x, what) != 0)
        return -1;
    memcpy(v, &x, sizeof *v);
    return 0;
}

/* A raft_id/term/index: unsigned long long, same width as uint64_t. */
static inline int rd_ull(struct rd *r, unsigned long long *v, const char *what)
{
    uint64_t x;
    if (rd_u64(r, &x, what) != 0)
        return -1;
    *v = x;
    return 0;
}

static inline int rd_slice(struct rd *r, struct skv_slice *s, const char *what)
{
    uint32_t n;
    if (rd_u32(r, &n, what) != 0 || rd_need(r, n, what) != 0)
        return -1;
    s->p = r->p + r->off;
    s->len = n;
    r->off += n;
    return 0;
}

/* ------------------------------------------------------------------ */
/* field tables                                                         */

enum wire_kind {
    WF_U32,   /* uint32_t */
    WF_I32,   /* int32_t, as its u32 bit pattern */
    WF_U64,   /* uint64_t */
    WF_ULL,   /* unsigned long long (C-Raft's ids, terms, indexes) */
    WF_SLICE  /* struct skv_slice: u32 length, bytes */
};

/* One field of a struct, in wire order. */
struct wire_field {
    enum wire_kind kind;
    size_t off;        /* offsetof the member */
    const char *name;  /* named in decode errors */
};

/* Bytes put_fields will write (a slice too long to encode counts 0: the
 * encoder refuses it anyway). */
static inline size_t fields_size(const void *base, const struct wire_field *f, size_t n)
{
    size_t size = 0;
    for (size_t i = 0; i < n; i++) {
        const struct skv_slice *s = (const void *)((const char *)base + f[i].off);
        size += f[i].kind == WF_U64 || f[i].kind == WF_ULL ? 8 : 4;
        if (f[i].kind == WF_SLICE && s->len <= SKV_WIRE_MAX_BODY)
            size += s->len;
    }
    return size;
}

static inline void put_fields(struct wr *w, const void *base, const struct wire_field *f,
                              size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const void *p = (const char *)base + f[i].off;
        switch (f[i].kind) {
        case WF_U32: put_u32(w, *(const uint32_t *)p); break;
        case WF_I32: put_u32(w, (uint32_t)*(const int32_t *)p); break;
        case WF_U64: put_u64(w, *(const uint64_t *)p); break;
        case WF_ULL: put_u64(w, *(const unsigned long long *)p); break;
        case WF_SLICE: put_slice(w, p); break;
        }
    }
}

static inline int rd_fields(struct rd *r, void *base, const struct wire_field *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        void *p = (char *)base + f[i].off;
        int rc = 0;
        switch (f[i].kind) {
        case WF_U32: rc = rd_u32(r, p, f[i].name); break;
        case WF_I32: rc = rd_i32(r, p, f[i].name); break;
        case WF_U64: rc = rd_u64(r, p, f[i].name); break;
        case WF_ULL: rc = rd_ull(r, p, f[i].name); break;
        case WF_SLICE: rc = rd_slice(r, p, f[i].name); break;
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

#endif /* SKV_WIRE_PRIM_H */
