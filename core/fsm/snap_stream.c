/* SPDX-License-Identifier: MIT */
/*
 * snap_stream.c — owns a piecewise producer of the full snapshot form
 * (snap_stream.h): header, the records of each FSM prefix read through a
 * storage view with one open iterator, then the encryption record.
 */
#include "fsm/snap_stream.h"

#include "fsm/snap_hdr.h"
#include "fsm/snap_view.h"
#include "util/bytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ST_HEADER, ST_PREFIX, ST_ENC, ST_DONE, ST_BROKEN };

struct skv_snap_stream {
    const struct skv_storage_ops *st;
    void *db, *view, *it;
    uint64_t cutover, applied;
    uint8_t *enc;
    size_t enc_len;
    size_t pfx;          /* index into skv_snap_prefixes */
    int state, positioned;
};

int skv_snap_stream_open(struct skv_snap_stream **out, const struct skv_storage_ops *st,
                         void *db, void *view, uint64_t cutover, uint64_t applied,
                         const uint8_t *enc_rec, size_t enc_len, char *err, size_t errlen)
{
    struct skv_snap_stream *s = calloc(1, sizeof *s);
    struct skv_err e = {0, ""};
    *out = NULL;
    if (!s || (enc_len && !(s->enc = malloc(enc_len)))) {
        free(s);
        snprintf(err, errlen, "snapshot stream: out of memory");
        return -1;
    }
    if (st->iter_new(db, view, &s->it, &e) != SKV_OK) {
        snprintf(err, errlen, "snapshot stream: %s", e.msg);
        free(s->enc);
        free(s);
        return -1;
    }
    if (enc_len)
        memcpy(s->enc, enc_rec, enc_len);
    s->enc_len = enc_len;
    s->st = st;
    s->db = db;
    s->view = view;
    s->cutover = cutover;
    s->applied = applied;
    *out = s;
    return 0;
}

static int record(struct skv_buf *b, const void *k, size_t kl, const void *v, size_t vl)
{
    uint8_t len4[4];
    if (kl > UINT32_MAX || vl > UINT32_MAX)
        return -1;
    skv_put_be32(len4, (uint32_t)kl);
    if (skv_buf_append(b, len4, 4) || skv_buf_append(b, k, kl))
        return -1;
    skv_put_be32(len4, (uint32_t)vl);
    return skv_buf_append(b, len4, 4) || skv_buf_append(b, v, vl) ? -1 : 0;
}

/* Records of the current prefix until `want` bytes were added; moves to
 * the next prefix (or the encryption record) at the prefix's end. */
static int prefix_step(struct skv_snap_stream *s, struct skv_buf *out, size_t start,
                       size_t want, char *err, size_t errlen)
{
    const struct skv_storage_ops *st = s->st;
    struct skv_err e = {0, ""};
    uint8_t pfx = skv_snap_prefixes[s->pfx];
    if (!s->positioned) {
        st->iter_seek(s->it, &pfx, 1);
        s->positioned = 1;
    }
    while (out->len - start < want && st->iter_valid(s->it)) {
        size_t kl, vl;
        const uint8_t *k = st->iter_key(s->it, &kl), *v;
        if (kl == 0 || k[0] != pfx)
            break;
        v = st->iter_value(s->it, &vl);
        if (record(out, k, kl, v, vl) != 0) {
            snprintf(err, errlen, "snapshot stream: out of memory");
            return -1;
        }
        st->iter_next(s->it);
    }
    if (st->iter_status(s->it, &e) != SKV_OK) {
        snprintf(err, errlen, "snapshot stream: %s", e.msg);
        return -1;
    }
    if (out->len - start < want) {   /* this prefix ended */
        s->positioned = 0;
        if (++s->pfx == SKV_SNAP_N_PREFIXES)
            s->state = ST_ENC;
    }
    return 0;
}

int skv_snap_stream_next(struct skv_snap_stream *s, struct skv_buf *out, size_t want,
                         char *err, size_t errlen)
{
    size_t start = out->len;
    if (s->state == ST_BROKEN) {
        snprintf(err, errlen, "snapshot stream: failed earlier");
        return -1;
    }
    while (s->state != ST_DONE && out->len - start < want) {
        int rc = 0;
        if (s->state == ST_HEADER) {
            uint8_t hdr[SKV_SNAP_HDR_MAX];
            rc = skv_buf_append(out, hdr, skv_snap_hdr_write(hdr, s->cutover, s->applied));
            if (rc != 0)
                snprintf(err, errlen, "snapshot stream: out of memory");
            s->state = ST_PREFIX;
        } else if (s->state == ST_PREFIX) {
            rc = prefix_step(s, out, start, want, err, errlen);
        } else {   /* ST_ENC */
            rc = s->enc_len ? skv_buf_append(out, s->enc, s->enc_len) : 0;
            if (rc != 0)
                snprintf(err, errlen, "snapshot stream: out of memory");
            s->state = ST_DONE;
        }
        if (rc != 0) {
            s->state = ST_BROKEN;
            return -1;
        }
    }
    return s->state == ST_DONE ? 0 : 1;
}

void skv_snap_stream_close(struct skv_snap_stream *s)
{
    if (!s)
        return;
    if (s->it)
        s->st->iter_free(s->it);
    free(s->enc);
    free(s);
}
