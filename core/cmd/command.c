/* SPDX-License-Identifier: MIT */
/*
 * command.c — encode/decode of KV command payloads (see command.h).
 */
#include "cmd/command.h"
#include "util/bytes.h"

#include <raft.h>
#include <stdio.h>
#include <string.h>

int skv_cmd_encode_kv(const struct skv_kv_op *op, void **out, size_t *len)
{
    size_t n = 2 + 4 + op->key_len + (op->op == SKV_KV_PUT ? op->val_len : 0);
    uint8_t *p = raft_malloc(n);
    if (!p)
        return -1;
    p[0] = SKV_CMD_KV;
    p[1] = op->op;
    skv_put_be32(p + 2, (uint32_t)op->key_len);
    memcpy(p + 6, op->key, op->key_len);
    if (op->op == SKV_KV_PUT && op->val_len)
        memcpy(p + 6 + op->key_len, op->val, op->val_len);
    *out = p;
    *len = n;
    return 0;
}

int skv_cmd_decode_kv(const uint8_t *p, size_t len, struct skv_kv_op *op,
                      char *err, size_t errlen)
{
    uint32_t klen;
    if (len < 6 || p[0] != SKV_CMD_KV) {
        snprintf(err, errlen, "kv command: truncated (%zu bytes)", len);
        return -1;
    }
    op->op = p[1];
    if (op->op != SKV_KV_PUT && op->op != SKV_KV_DEL) {
        snprintf(err, errlen, "kv command: unknown opcode %u", op->op);
        return -1;
    }
    klen = skv_get_be32(p + 2);
    if (klen == 0 || klen > SKV_MAX_KEY || klen > len - 6) {
        snprintf(err, errlen, "kv command: bad key length %u", klen);
        return -1;
    }
    op->key = p + 6;
    op->key_len = klen;
    op->val = p + 6 + klen;
    op->val_len = len - 6 - klen;
    if (op->op == SKV_KV_DEL && op->val_len) {
        snprintf(err, errlen, "kv command: delete carries %zu value bytes", op->val_len);
        return -1;
    }
    return 0;
}

int skv_cmd_batch_next(const uint8_t *p, size_t len, size_t *pos,
                       uint32_t *remaining, struct skv_kv_op *op, char *err,
                       size_t errlen)
{
    uint32_t klen, vlen;
    if (*pos == 0) {
        if (len < 5 || p[0] != SKV_CMD_KV_BATCH) {
            snprintf(err, errlen, "kv batch: truncated header");
            return -1;
        }
        *remaining = skv_get_be32(p + 1);
        *pos = 5;
    }
    if (*remaining == 0)
        return *pos == len ? 0 : (snprintf(err, errlen, "kv batch: trailing bytes"), -1);
    if (len - *pos < 1 + 4 + 4) {
        snprintf(err, errlen, "kv batch: truncated op");
        return -1;
    }
    op->op = p[*pos];
    klen = skv_get_be32(p + *pos + 1);
    if ((op->op != SKV_KV_PUT && op->op != SKV_KV_DEL) || klen == 0 ||
        klen > SKV_MAX_KEY || klen > len - *pos - 9) {
        snprintf(err, errlen, "kv batch: bad op or key length");
        return -1;
    }
    op->key = p + *pos + 5;
    op->key_len = klen;
    vlen = skv_get_be32(p + *pos + 5 + klen);
    if (vlen > len - *pos - 9 - klen) {
        snprintf(err, errlen, "kv batch: bad value length");
        return -1;
    }
    op->val = p + *pos + 9 + klen;
    op->val_len = vlen;
    *pos += 9 + (size_t)klen + vlen;
    (*remaining)--;
    return 1;
}

int skv_cmd_encode_kv_cas(const struct skv_kv_op *op, const struct skv_kv_cond *cond,
                          void **out, size_t *len)
{
    size_t n = SKV_CMD_CAS_HDR + op->key_len + (op->op == SKV_KV_PUT ? op->val_len : 0);
    uint8_t *p = raft_malloc(n);
    if (!p)
        return -1;
    p[0] = SKV_CMD_KV_CAS;
    p[1] = op->op;
    p[2] = cond->kind;
    skv_put_be64(p + 3, cond->kind == SKV_COND_MOD ? cond->prev : 0);
    skv_put_be32(p + 11, (uint32_t)op->key_len);
    memcpy(p + SKV_CMD_CAS_HDR, op->key, op->key_len);
    if (op->op == SKV_KV_PUT && op->val_len)
        memcpy(p + SKV_CMD_CAS_HDR + op->key_len, op->val, op->val_len);
    *out = p;
    *len = n;
    return 0;
}

static int cas_fail(char *err, size_t errlen, const char *what, unsigned v)
{
    snprintf(err, errlen, "conditional kv command: %s %u", what, v);
    return -1;
}

int skv_cmd_decode_kv_cas(const uint8_t *p, size_t len, struct skv_kv_op *op,
                          struct skv_kv_cond *cond, char *err, size_t errlen)
{
    uint32_t klen;
    if (len < SKV_CMD_CAS_HDR || p[0] != SKV_CMD_KV_CAS)
        return cas_fail(err, errlen, "truncated, bytes:", (unsigned)len);
    op->op = p[1];
    if (op->op != SKV_KV_PUT && op->op != SKV_KV_DEL)
        return cas_fail(err, errlen, "unknown opcode", op->op);
    cond->kind = p[2];
    cond->prev = skv_get_be64(p + 3);
    if (cond->kind != SKV_COND_MOD && cond->kind != SKV_COND_ABSENT &&
        cond->kind != SKV_COND_PRESENT)
        return cas_fail(err, errlen, "unknown condition", cond->kind);
    if (cond->kind != SKV_COND_MOD && cond->prev != 0)
        return cas_fail(err, errlen, "an index with condition", cond->kind);
    if (cond->kind == SKV_COND_ABSENT && op->op == SKV_KV_DEL)
        return cas_fail(err, errlen, "delete-if-absent, opcode", op->op);
    klen = skv_get_be32(p + 11);
    if (klen == 0 || klen > SKV_MAX_KEY || klen > len - SKV_CMD_CAS_HDR)
        return cas_fail(err, errlen, "bad key length", klen);
    op->key = p + SKV_CMD_CAS_HDR;
    op->key_len = klen;
    op->val = p + SKV_CMD_CAS_HDR + klen;
    op->val_len = len - SKV_CMD_CAS_HDR - klen;
    if (op->op == SKV_KV_DEL && op->val_len)
        return cas_fail(err, errlen, "value bytes on a delete:", (unsigned)op->val_len);
    return 0;
}
