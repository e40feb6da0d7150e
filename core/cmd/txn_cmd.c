/* SPDX-License-Identifier: MIT */
/*
 * txn_cmd.c — owns the 0x07 transaction codec (txn_cmd.h).
 */
#include "cmd/txn_cmd.h"
#include "cmd/command.h"
#include "util/bytes.h"

#include <raft.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HDR 8u

/* ---- encode ------------------------------------------------------------ */

static size_t cmp_size(const struct skv_txn_cmp *c)
{
    size_t n = 5 + c->key_len;
    return n + (c->kind == SKV_TXN_CMP_MOD ? 8 : c->kind == SKV_TXN_CMP_VALUE ? 4 + c->val_len : 1);
}

static size_t op_size(const struct skv_txn_op *o)
{
    return 5 + o->key_len + (o->op == SKV_TXN_PUT ? 4 + o->val_len : 0);
}

static uint8_t *put_key(uint8_t *q, const uint8_t *k, size_t kl)
{
    skv_put_be32(q, (uint32_t)kl);
    if (kl) /* an empty value may have no buffer */
        memcpy(q + 4, k, kl);
    return q + 4 + kl;
}

int skv_txn_encode(const struct skv_txn *t, void **out, size_t *len)
{
    size_t n = HDR, i, n_ops = t->n_success + t->n_failure;
    uint8_t *p, *q;
    if (t->n_cmps > SKV_TXN_MAX_CMPS || n_ops > SKV_TXN_MAX_OPS)
        return -1;
    for (i = 0; i < t->n_cmps; i++)
        n += cmp_size(&t->cmps[i]);
    for (i = 0; i < n_ops; i++)
        n += op_size(&t->ops[i]);
    if (n > SKV_TXN_MAX_BYTES || !(p = raft_malloc(n)))
        return -1;
    p[0] = SKV_CMD_TXN;
    p[1] = SKV_CMD_TXN_VERSION;
    skv_put_be16(p + 2, (uint16_t)t->n_cmps);
    skv_put_be16(p + 4, (uint16_t)t->n_success);
    skv_put_be16(p + 6, (uint16_t)t->n_failure);
    q = p + HDR;
    for (i = 0; i < t->n_cmps; i++) {
        const struct skv_txn_cmp *c = &t->cmps[i];
        *q++ = c->kind;
        q = put_key(q, c->key, c->key_len);
        if (c->kind == SKV_TXN_CMP_MOD)
            skv_put_be64(q, c->mod), q += 8;
        else if (c->kind == SKV_TXN_CMP_VALUE)
            q = put_key(q, c->val, c->val_len);
        else
            *q++ = c->exists ? 1 : 0;
    }
    for (i = 0; i < n_ops; i++) {
        *q++ = t->ops[i].op;
        q = put_key(q, t->ops[i].key, t->ops[i].key_len);
        if (t->ops[i].op == SKV_TXN_PUT)
            q = put_key(q, t->ops[i].val, t->ops[i].val_len);
    }
    *out = p;
    *len = n;
    return 0;
}

/* ---- decode ------------------------------------------------------------ */

struct rd {
    const uint8_t *p;
    size_t len, pos;
    char *err;
    size_t errlen;
};

static int bad(struct rd *r, const char *what)
{
    snprintf(r->err, r->errlen, "transaction command: %s at byte %zu", what, r->pos);
    return -1;
}

static int take(struct rd *r, size_t n)
{
    if (n > r->len - r->pos)
        return bad(r, "truncated");
    r->pos += n;
    return 0;
}

/* A length-prefixed slice; a key must be 1..SKV_MAX_KEY bytes. */
static int slice(struct rd *r, const uint8_t **s, size_t *sl, int is_key)
{
    uint32_t n;
    if (take(r, 4))
        return -1;
    n = skv_get_be32(r->p + r->pos - 4);
    if (is_key && (n == 0 || n > SKV_MAX_KEY))
        return bad(r, "key length out of range");
    if (take(r, n))
        return -1;
    *s = r->p + r->pos - n;
    *sl = n;
    return 0;
}

static int dec_cmp(struct rd *r, struct skv_txn_cmp *c)
{
    if (take(r, 1))
        return -1;
    c->kind = r->p[r->pos - 1];
    if (c->kind < SKV_TXN_CMP_MOD || c->kind > SKV_TXN_CMP_EXISTS)
        return bad(r, "unknown compare kind");
    if (slice(r, &c->key, &c->key_len, 1))
        return -1;
    if (c->kind == SKV_TXN_CMP_MOD) {
        if (take(r, 8))
            return -1;
        c->mod = skv_get_be64(r->p + r->pos - 8);
        return 0;
    }
    if (c->kind == SKV_TXN_CMP_VALUE)
        return slice(r, &c->val, &c->val_len, 0);
    if (take(r, 1))
        return -1;
    if (r->p[r->pos - 1] > 1)
        return bad(r, "exists must be 0 or 1");
    c->exists = r->p[r->pos - 1];
    return 0;
}

static int dec_op(struct rd *r, struct skv_txn_op *o)
{
    if (take(r, 1))
        return -1;
    o->op = r->p[r->pos - 1];
    if (o->op < SKV_TXN_PUT || o->op > SKV_TXN_GET)
        return bad(r, "unknown op");
    if (slice(r, &o->key, &o->key_len, 1))
        return -1;
    return o->op == SKV_TXN_PUT ? slice(r, &o->val, &o->val_len, 0) : 0;
}

/* No key written (put/delete) twice within ops[0..n). */
static int writes_unique(const struct skv_txn_op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n && ops[i].op != SKV_TXN_GET; j++)
            if (ops[j].op != SKV_TXN_GET && ops[i].key_len == ops[j].key_len &&
                memcmp(ops[i].key, ops[j].key, ops[i].key_len) == 0)
                return 0;
    return 1;
}

int skv_txn_decode(const uint8_t *p, size_t len, struct skv_txn *t, char *err,
                   size_t errlen)
{
    struct rd r = {p, len, 0, err, errlen};
    size_t i, n_ops;
    memset(t, 0, sizeof *t);
    if (len < HDR || p[0] != SKV_CMD_TXN || p[1] != SKV_CMD_TXN_VERSION || len > SKV_TXN_MAX_BYTES)
        return bad(&r, len < HDR ? "truncated header" : "unknown version or size");
    t->n_cmps = skv_get_be16(p + 2);
    t->n_success = skv_get_be16(p + 4);
    t->n_failure = skv_get_be16(p + 6);
    n_ops = t->n_success + t->n_failure;
    if (t->n_cmps > SKV_TXN_MAX_CMPS || n_ops > SKV_TXN_MAX_OPS)
        return bad(&r, "too many compares or ops");
    r.pos = HDR;
    if ((t->n_cmps && !(t->cmps = calloc(t->n_cmps, sizeof *t->cmps))) ||
        (n_ops && !(t->ops = calloc(n_ops, sizeof *t->ops)))) {
        skv_txn_free(t);
        return bad(&r, "out of memory");
    }
    for (i = 0; i < t->n_cmps; i++)
        if (dec_cmp(&r, &t->cmps[i]))
            goto fail;
    for (i = 0; i < n_ops; i++)
        if (dec_op(&r, &t->ops[i]))
            goto fail;
    if (r.pos != len) {
        bad(&r, "trailing bytes");
        goto fail;
    }
    if (n_ops && (!writes_unique(t->ops, t->n_success) ||
                  !writes_unique(t->ops + t->n_success, t->n_failure))) {
        bad(&r, "a key written twice in one branch");
        goto fail;
    }
    return 0;
fail:
    skv_txn_free(t);
    return -1;
}

void skv_txn_free(struct skv_txn *t)
{
    free(t->cmps);
    free(t->ops);
    memset(t, 0, sizeof *t);
}
