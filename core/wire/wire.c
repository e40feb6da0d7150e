/* SPDX-License-Identifier: MIT */
/*
 * wire.c — the node-to-node frame codec declared in wire.h: the 16-byte
 * frame header, the control frames, and skv_wire_decode's dispatch (raft
 * bodies live in wire_raft.c, byte helpers in wire_prim.h).
 *
 * Control bodies (integers LE, slices as {u32 len, bytes}):
 *   PROPOSE_REQ   u64 req_id, u32 source, payload
 *   PROPOSE_RESP  u64 req_id, i32 rc, u64 index, u64 leader_id, error,
 *                 message
 *   ADMIN_REQ     u64 req_id, u32 flags, op, arg, body, json
 *   ADMIN_RESP    u64 req_id, i32 rc, i32 status, i32 retry_after_s,
 *                 error, message, json, body
 *   CAP_*         u64 req_id, i32 rc, u64 value, json
 *   SNAP_CHUNK    u64 term, u64 last_index, u64 last_term, u64 total,
 *                 u64 offset, data
 *   (types 8, 9: reserved, refused)
 * A frame is rejected if its body_len differs from the bytes given, if it
 * exceeds SKV_WIRE_MAX_BODY, or if any bytes remain after the body.
 */
#include "wire/wire.h"
#include "wire/wire_prim.h"
#include "wire/wire_raft.h"


/* ------------------------------------------------------------------ */
/* control frames                                                       */

/* Each control body is a struct of wire.h written field by field in the
 * order of its table; the decoder reads the same table. */
#define F(type, kind, member) {kind, offsetof(type, member), #member}
#define P struct skv_fwd_propose
static const struct wire_field propose_req[] = {
    F(P, WF_U64, req_id), F(P, WF_U32, source), F(P, WF_SLICE, payload)};
#undef P
#define P struct skv_fwd_propose_resp
static const struct wire_field propose_resp[] = {
    F(P, WF_U64, req_id), F(P, WF_I32, rc), F(P, WF_U64, index), F(P, WF_U64, leader_id),
    F(P, WF_SLICE, error), F(P, WF_SLICE, message)};
#undef P
#define A struct skv_fwd_admin
static const struct wire_field admin_req[] = {
    F(A, WF_U64, req_id), F(A, WF_U32, flags), F(A, WF_SLICE, op), F(A, WF_SLICE, arg),
    F(A, WF_SLICE, body), F(A, WF_SLICE, json)};
#undef A
#define A struct skv_fwd_admin_resp
static const struct wire_field admin_resp[] = {
    F(A, WF_U64, req_id), F(A, WF_I32, rc), F(A, WF_I32, status),
    F(A, WF_I32, retry_after_s), F(A, WF_SLICE, error), F(A, WF_SLICE, message),
    F(A, WF_SLICE, json), F(A, WF_SLICE, body)};
#undef A
#define C struct skv_ctl_simple
static const struct wire_field ctl[] = {
    F(C, WF_U64, req_id), F(C, WF_I32, rc), F(C, WF_U64, value), F(C, WF_SLICE, json)};
#undef C
#define S struct skv_snap_chunk
static const struct wire_field snap_chunk[] = {
    F(S, WF_U64, term), F(S, WF_U64, last_index), F(S, WF_U64, last_term),
    F(S, WF_U64, total), F(S, WF_U64, offset), F(S, WF_SLICE, data)};
#undef S
#undef F

/* The body table of each control frame type and where its struct sits
 * in a decoded frame. */
#define BODY(member, t) {offsetof(struct skv_frame, u.member), t, sizeof t / sizeof t[0]}
static const struct ctl_body {
    size_t off;
    const struct wire_field *f;
    size_t n;
} bodies[] = {
    [SKV_FRAME_PROPOSE_REQ] = BODY(propose, propose_req),
    [SKV_FRAME_PROPOSE_RESP] = BODY(propose_resp, propose_resp),
    [SKV_FRAME_ADMIN_REQ] = BODY(admin, admin_req),
    [SKV_FRAME_ADMIN_RESP] = BODY(admin_resp, admin_resp),
    [SKV_FRAME_CAP_REQ] = BODY(ctl, ctl),
    [SKV_FRAME_CAP_RESP] = BODY(ctl, ctl),
    [SKV_FRAME_SNAP_CHUNK] = BODY(chunk, snap_chunk),
};
#undef BODY

static int encode_control(struct skv_buf *out, uint64_t from_id, uint8_t type,
                          const void *m)
{
    const struct ctl_body *b = &bodies[type];
    struct wr w;
    if (!m || wr_begin(&w, out, type, from_id, fields_size(m, b->f, b->n)) != 0)
        return -1;
    put_fields(&w, m, b->f, b->n);
    return wr_finish(&w);
}

/* The typed encoders of wire.h, one per control struct. */
#define ENCODER(fn, frame_type, T)                                                  \
    int fn(struct skv_buf *out, uint64_t from_id, const T *m)                      \
    {                                                                              \
        return encode_control(out, from_id, frame_type, m);                        \
    }
ENCODER(skv_wire_encode_propose, SKV_FRAME_PROPOSE_REQ, struct skv_fwd_propose)
ENCODER(skv_wire_encode_propose_resp, SKV_FRAME_PROPOSE_RESP, struct skv_fwd_propose_resp)
ENCODER(skv_wire_encode_admin, SKV_FRAME_ADMIN_REQ, struct skv_fwd_admin)
ENCODER(skv_wire_encode_admin_resp, SKV_FRAME_ADMIN_RESP, struct skv_fwd_admin_resp)
ENCODER(skv_wire_encode_snap_chunk, SKV_FRAME_SNAP_CHUNK, struct skv_snap_chunk)
#undef ENCODER

int skv_wire_encode_ctl(struct skv_buf *out, uint64_t from_id, uint8_t type,
                        const struct skv_ctl_simple *m)
{
    if (type != SKV_FRAME_CAP_REQ && type != SKV_FRAME_CAP_RESP)
        return -1;
    return encode_control(out, from_id, type, m);
}

/* A chunk's lengths and indexes (wire.h). */
static int chunk_bounds(const struct skv_snap_chunk *c, char *err, size_t errlen)
{
    if (c->data.len == 0 || c->total > SKV_WIRE_MAX_SNAPSHOT || c->offset > c->total ||
        c->data.len > c->total - c->offset)
        return fail(err, errlen, "snapshot chunk: %zu bytes at %llu of %llu", c->data.len,
                    (unsigned long long)c->offset, (unsigned long long)c->total);
    if (c->term == 0 || c->term > SKV_WIRE_MAX_TERM || c->last_index == 0 ||
        c->last_index > SKV_WIRE_MAX_INDEX || c->last_term == 0 || c->last_term > c->term)
        return fail(err, errlen, "snapshot chunk: term %llu, index %llu, last term %llu",
                    (unsigned long long)c->term, (unsigned long long)c->last_index,
                    (unsigned long long)c->last_term);
    return 0;
}

/* `type` is a control type (dec_header accepts no other). */
static int dec_control(struct rd *r, uint8_t type, struct skv_frame *f)
{
    const struct ctl_body *b = &bodies[type];
    if (rd_fields(r, (char *)f + b->off, b->f, b->n))
        return -1;
    return type == SKV_FRAME_SNAP_CHUNK ? chunk_bounds(&f->u.chunk, r->err, r->errlen) : 0;
}

/* ------------------------------------------------------------------ */
/* frame                                                                */

int skv_wire_stamp_ident(struct skv_buf *b, const uint8_t ident[SKV_WIRE_IDENT_LEN])
{
    uint8_t *p;
    if (!b->p || b->len < SKV_WIRE_HDR_LEN || b->p[2] != SKV_WIRE_VERSION ||
        b->p[3] != SKV_FRAME_RAFT || !(p = realloc(b->p, b->len + SKV_WIRE_IDENT_LEN)))
        return -1;
    memmove(p + SKV_WIRE_HDR_LEN + SKV_WIRE_IDENT_LEN, p + SKV_WIRE_HDR_LEN,
            b->len - SKV_WIRE_HDR_LEN);
    memcpy(p + SKV_WIRE_HDR_LEN, ident, SKV_WIRE_IDENT_LEN);
    p[2] = SKV_WIRE_VERSION_IDENT;
    b->p = p;
    b->len += SKV_WIRE_IDENT_LEN;
    b->cap = b->len;
    return 0;
}

static int dec_header(const uint8_t *b, size_t len, struct skv_frame *out,
                      uint32_t *body_len, size_t *hdr_len, char *err, size_t errlen)
{
    if (len < SKV_WIRE_HDR_LEN)
        return fail(err, errlen, "truncated frame header (%zu of %d bytes)",
                    len, SKV_WIRE_HDR_LEN);
    if (b[0] != 'S' || b[1] != 'K')
        return fail(err, errlen, "bad frame magic 0x%02x%02x", b[0], b[1]);
    if (b[2] != SKV_WIRE_VERSION &&
        !(b[2] == SKV_WIRE_VERSION_IDENT && b[3] == SKV_FRAME_RAFT))
        return fail(err, errlen, "unsupported frame version %u", b[2]);
    if (b[3] < SKV_FRAME_RAFT || b[3] > SKV_FRAME_LAST_ACCEPTED ||
        b[3] == SKV_FRAME_READ_REQ || b[3] == SKV_FRAME_READ_RESP)
        return fail(err, errlen, "unknown frame type %u", b[3]); /* 8, 9 reserved */
    *hdr_len = SKV_WIRE_HDR_LEN;
    if (b[2] == SKV_WIRE_VERSION_IDENT) {
        if (len < SKV_WIRE_HDR_LEN + SKV_WIRE_IDENT_LEN)
            return fail(err, errlen, "truncated version 2 frame header (%zu bytes)", len);
        *hdr_len += SKV_WIRE_IDENT_LEN;
        memcpy(out->store_ident, b + SKV_WIRE_HDR_LEN, SKV_WIRE_IDENT_LEN);
        out->has_ident = 1;
    }
    *body_len = skv_get_le32(b + 4);
    if (*body_len > SKV_WIRE_MAX_BODY)
        return fail(err, errlen, "frame body_len %u exceeds the %u maximum",
                    *body_len, SKV_WIRE_MAX_BODY);
    if (len - *hdr_len != *body_len)
        return fail(err, errlen, "frame body_len %u but %zu body bytes",
                    *body_len, len - *hdr_len);
    out->type = b[3];
    out->from_id = skv_get_le64(b + 8);
    if (out->from_id == 0)
        return fail(err, errlen, "frame from_id is 0");
    return 0;
}

int skv_wire_decode(const void *buf, size_t len, struct skv_frame *out,
                    char *err, size_t errlen)
{
    struct rd r;
    uint32_t body_len = 0;
    size_t hdr_len = SKV_WIRE_HDR_LEN;
    int rc;
    if (!out)
        return fail(err, errlen, "decode: no output frame");
    memset(out, 0, sizeof *out);
    if (!buf && len)
        return fail(err, errlen, "decode: no input buffer");
    if (dec_header(buf, len, out, &body_len, &hdr_len, err, errlen) != 0)
        goto bad;
    r = (struct rd){(const uint8_t *)buf + hdr_len, body_len, 0,
                    err, errlen};
    if (out->type == SKV_FRAME_RAFT)
        rc = rd_slice(&r, &out->raft_from, "sender address") ||
                     out->raft_from.len > SKV_WIRE_MAX_ADDRESS ||
                     (out->raft_from.len &&
                      memchr(out->raft_from.p, 0, out->raft_from.len))
                 ? fail(err, errlen, "bad sender address")
                 : wire_raft_decode(&r, &out->u.raft, out->from_id);
    else
        rc = dec_control(&r, out->type, out) ? -1 : 0;
    if (rc == 0 && r.off != r.len)
        rc = fail(err, errlen, "%zu trailing bytes after the frame body",
                  r.len - r.off);
    if (rc == 0)
        return 0;
    if (out->type == SKV_FRAME_RAFT)
        skv_wire_raft_message_free(&out->u.raft);
bad:
    memset(out, 0, sizeof *out);
    return -1;
}
