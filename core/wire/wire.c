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
 *   (types 8, 9: reserved, refused)
 * A frame is rejected if its body_len differs from the bytes given, if it
 * exceeds SKV_WIRE_MAX_BODY, or if any bytes remain after the body.
 */
#include "wire/wire.h"
#include "wire/wire_prim.h"
#include "wire/wire_raft.h"


/* ------------------------------------------------------------------ */
/* control frames                                                       */

int skv_wire_encode_propose(struct skv_buf *out, uint64_t from_id,
                            const struct skv_fwd_propose *m)
{
    struct wr w;
    if (!m || wr_begin(&w, out, SKV_FRAME_PROPOSE_REQ, from_id,
                       16 + m->payload.len) != 0)
        return -1;
    put_u64(&w, m->req_id);
    put_u32(&w, m->source);
    put_slice(&w, &m->payload);
    return wr_finish(&w);
}

int skv_wire_encode_propose_resp(struct skv_buf *out, uint64_t from_id,
                                 const struct skv_fwd_propose_resp *m)
{
    struct wr w;
    if (!m || wr_begin(&w, out, SKV_FRAME_PROPOSE_RESP, from_id, 64) != 0)
        return -1;
    put_u64(&w, m->req_id);
    put_u32(&w, (uint32_t)m->rc);
    put_u64(&w, m->index);
    put_u64(&w, m->leader_id);
    put_slice(&w, &m->error);
    put_slice(&w, &m->message);
    return wr_finish(&w);
}

int skv_wire_encode_admin(struct skv_buf *out, uint64_t from_id,
                          const struct skv_fwd_admin *m)
{
    struct wr w;
    if (!m || wr_begin(&w, out, SKV_FRAME_ADMIN_REQ, from_id, 64) != 0)
        return -1;
    put_u64(&w, m->req_id);
    put_u32(&w, m->flags);
    put_slice(&w, &m->op);
    put_slice(&w, &m->arg);
    put_slice(&w, &m->body);
    put_slice(&w, &m->json);
    return wr_finish(&w);
}

int skv_wire_encode_admin_resp(struct skv_buf *out, uint64_t from_id,
                               const struct skv_fwd_admin_resp *m)
{
    struct wr w;
    if (!m || wr_begin(&w, out, SKV_FRAME_ADMIN_RESP, from_id, 64) != 0)
        return -1;
    put_u64(&w, m->req_id);
    put_u32(&w, (uint32_t)m->rc);
    put_u32(&w, (uint32_t)m->status);
    put_u32(&w, (uint32_t)m->retry_after_s);
    put_slice(&w, &m->error);
    put_slice(&w, &m->message);
    put_slice(&w, &m->json);
    put_slice(&w, &m->body);
    return wr_finish(&w);
}

static int is_ctl_type(unsigned type)
{
    return type == SKV_FRAME_CAP_REQ || type == SKV_FRAME_CAP_RESP;
}

int skv_wire_encode_ctl(struct skv_buf *out, uint64_t from_id, uint8_t type,
                        const struct skv_ctl_simple *m)
{
    struct wr w;
    if (!m || !is_ctl_type(type) ||
        wr_begin(&w, out, type, from_id, 32 + m->json.len) != 0)
        return -1;
    put_u64(&w, m->req_id);
    put_u32(&w, (uint32_t)m->rc);
    put_u64(&w, m->value);
    put_slice(&w, &m->json);
    return wr_finish(&w);
}

static int dec_control(struct rd *r, uint8_t type, struct skv_frame *f)
{
    switch (type) {
    case SKV_FRAME_PROPOSE_REQ: {
        struct skv_fwd_propose *p = &f->u.propose;
        return rd_u64(r, &p->req_id, "req_id") ||
               rd_u32(r, &p->source, "source") ||
               rd_slice(r, &p->payload, "payload");
    }
    case SKV_FRAME_PROPOSE_RESP: {
        struct skv_fwd_propose_resp *p = &f->u.propose_resp;
        return rd_u64(r, &p->req_id, "req_id") || rd_i32(r, &p->rc, "rc") ||
               rd_u64(r, &p->index, "index") ||
               rd_u64(r, &p->leader_id, "leader_id") ||
               rd_slice(r, &p->error, "error") ||
               rd_slice(r, &p->message, "message");
    }
    case SKV_FRAME_ADMIN_REQ: {
        struct skv_fwd_admin *a = &f->u.admin;
        return rd_u64(r, &a->req_id, "req_id") ||
               rd_u32(r, &a->flags, "flags") || rd_slice(r, &a->op, "op") ||
               rd_slice(r, &a->arg, "arg") || rd_slice(r, &a->body, "body") ||
               rd_slice(r, &a->json, "json");
    }
    case SKV_FRAME_ADMIN_RESP: {
        struct skv_fwd_admin_resp *a = &f->u.admin_resp;
        return rd_u64(r, &a->req_id, "req_id") || rd_i32(r, &a->rc, "rc") ||
               rd_i32(r, &a->status, "status") ||
               rd_i32(r, &a->retry_after_s, "retry_after_s") ||
               rd_slice(r, &a->error, "error") ||
               rd_slice(r, &a->message, "message") ||
               rd_slice(r, &a->json, "json") || rd_slice(r, &a->body, "body");
    }
    default: {
        struct skv_ctl_simple *c = &f->u.ctl;
        return rd_u64(r, &c->req_id, "req_id") || rd_i32(r, &c->rc, "rc") ||
               rd_u64(r, &c->value, "value") ||
               rd_slice(r, &c->json, "json");
    }
    }
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
    if (b[3] < SKV_FRAME_RAFT || b[3] > SKV_FRAME_LAST_ACCEPTED)
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
