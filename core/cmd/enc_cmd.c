/* SPDX-License-Identifier: MIT */
/*
 * enc_cmd.c — encode/decode of the 0x04 bootstrap and 0x05 rotation-family
 * payloads (see enc_cmd.h). Decoders check every length first.
 */
#include "cmd/enc_cmd.h"
#include "util/bytes.h"
#include "cmd/command.h"

#include <raft.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#define BOOT_FIXED (4 + SKV_DEK_WRAPPED_LEN + 4 + SKV_DEK_WRAPPED_LEN + 8)

int skv_enc_encode_bootstrap(const struct skv_enc_bootstrap *b, void **out,
                             size_t *len)
{
    size_t sl = strlen(b->suite), rl = 0, n;
    void *regs = NULL;
    uint8_t *p, *q;
    if (sl == 0 || sl >= SKV_SUITE_NAME_MAX ||
        skv_writers_encode_reg(b->regs, b->n_regs, &regs, &rl) != SKV_OK)
        return -1;
    n = 3 + sl + BOOT_FIXED + rl;
    if (!(p = raft_malloc(n))) {
        raft_free(regs);
        return -1;
    }
    p[0] = SKV_CMD_ENC_BOOTSTRAP;
    p[1] = 1;
    p[2] = (uint8_t)sl;
    memcpy(p + 3, b->suite, sl);
    q = p + 3 + sl;
    skv_put_be32(q, b->storage_id);
    memcpy(q + 4, b->storage_wrapped, SKV_DEK_WRAPPED_LEN);
    q += 4 + SKV_DEK_WRAPPED_LEN;
    skv_put_be32(q, b->raft_id);
    memcpy(q + 4, b->raft_wrapped, SKV_DEK_WRAPPED_LEN);
    q += 4 + SKV_DEK_WRAPPED_LEN;
    skv_put_be64(q, b->created_ms);
    memcpy(q + 8, regs, rl);
    raft_free(regs);
    *out = p;
    *len = n;
    return 0;
}

int skv_enc_decode_bootstrap(const uint8_t *p, size_t len,
                             struct skv_enc_bootstrap *b, struct skv_err *err)
{
    size_t sl;
    const uint8_t *q;
    memset(b, 0, sizeof *b);
    if (len < 3 || p[0] != SKV_CMD_ENC_BOOTSTRAP)
        return skv_err_set(err, SKV_ERR_INVALID, "bootstrap: truncated header");
    if (p[1] != 1)
        return skv_err_set(err, SKV_ERR_INVALID, "bootstrap: unknown version %u", p[1]);
    sl = p[2];
    if (sl == 0 || sl >= SKV_SUITE_NAME_MAX || len < 3 + sl + BOOT_FIXED)
        return skv_err_set(err, SKV_ERR_INVALID, "bootstrap: bad suite length or truncated");
    memcpy(b->suite, p + 3, sl);
    b->suite[sl] = 0;
    if (strlen(b->suite) != sl)
        return skv_err_set(err, SKV_ERR_INVALID, "bootstrap: NUL in suite name");
    q = p + 3 + sl;
    b->storage_id = skv_get_be32(q);
    memcpy(b->storage_wrapped, q + 4, SKV_DEK_WRAPPED_LEN);
    q += 4 + SKV_DEK_WRAPPED_LEN;
    b->raft_id = skv_get_be32(q);
    memcpy(b->raft_wrapped, q + 4, SKV_DEK_WRAPPED_LEN);
    q += 4 + SKV_DEK_WRAPPED_LEN;
    b->created_ms = skv_get_be64(q);
    q += 8;
    if (b->storage_id == 0 || b->raft_id == 0 || b->storage_id == b->raft_id)
        return skv_err_set(err, SKV_ERR_INVALID, "bootstrap: key ids must be distinct and non-zero");
    return skv_writers_decode_reg(q, len - (size_t)(q - p), &b->regs, &b->n_regs, err);
}

int skv_enc_encode_rotation(uint8_t sub, void **out, size_t *len)
{
    uint8_t *p = raft_malloc(2);
    if (!p)
        return -1;
    p[0] = SKV_CMD_ENC_ROTATION;
    p[1] = sub;
    *out = p;
    *len = 2;
    return 0;
}

int skv_enc_decode_rotation(const uint8_t *p, size_t len, uint8_t *sub,
                            struct skv_err *err)
{
    if (len < 2 || p[0] != SKV_CMD_ENC_ROTATION)
        return skv_err_set(err, SKV_ERR_INVALID, "rotation: truncated");
    if (p[1] < SKV_ROT_ROTATE_DEK || p[1] > SKV_ROT_SEAL_NAMES)
        return skv_err_set(err, SKV_ERR_INVALID, "rotation: unknown sub-tag %u", p[1]);
    if (len != 2 && p[1] != SKV_ROT_ROTATE_DEK && p[1] != SKV_ROT_RETIRE &&
        p[1] != SKV_ROT_SEAL_NAMES)
        return skv_err_set(err, SKV_ERR_INVALID, "rotation: %zu trailing bytes", len - 2);
    *sub = p[1];
    return SKV_OK;
}

/* ---- 0x05/1 rotate-dek ------------------------------------------------ */

#define ROT_FIXED (4 + SKV_DEK_WRAPPED_LEN + 8)

int skv_enc_encode_rotate(const struct skv_enc_rotate *r, void **out, size_t *len)
{
    size_t sl = strlen(r->suite), rl = 0, n;
    void *regs = NULL;
    uint8_t *p, *q;
    if (sl == 0 || sl >= SKV_SUITE_NAME_MAX ||
        skv_writers_encode_reg(r->regs, r->n_regs, &regs, &rl) != SKV_OK)
        return -1;
    n = 5 + sl + ROT_FIXED + rl;
    if (!(p = raft_malloc(n))) {
        raft_free(regs);
        return -1;
    }
    p[0] = SKV_CMD_ENC_ROTATION;
    p[1] = SKV_ROT_ROTATE_DEK;
    p[2] = 1;
    p[3] = r->purpose;
    p[4] = (uint8_t)sl;
    memcpy(p + 5, r->suite, sl);
    q = p + 5 + sl;
    skv_put_be32(q, r->key_id);
    memcpy(q + 4, r->wrapped, SKV_DEK_WRAPPED_LEN);
    skv_put_be64(q + 4 + SKV_DEK_WRAPPED_LEN, r->created_ms);
    memcpy(q + ROT_FIXED, regs, rl);
    raft_free(regs);
    *out = p;
    *len = n;
    return 0;
}

/* Every registration must be for the new key. */
static int regs_for_key(struct skv_enc_rotate *r, struct skv_err *err)
{
    size_t i;
    for (i = 0; i < r->n_regs; i++)
        if (r->regs[i].key_id != r->key_id) {
            skv_err_set(err, SKV_ERR_INVALID, "rotate-dek: registration %zu is for key %u, "
                        "not the new key %u", i, (unsigned)r->regs[i].key_id,
                        (unsigned)r->key_id);
            free(r->regs);
            r->regs = NULL;
            r->n_regs = 0;
            return SKV_ERR_INVALID;
        }
    return SKV_OK;
}

int skv_enc_decode_rotate(const uint8_t *p, size_t len, struct skv_enc_rotate *r,
                          struct skv_err *err)
{
    size_t sl;
    const uint8_t *q;
    int rc;
    memset(r, 0, sizeof *r);
    if (len < 5 || p[0] != SKV_CMD_ENC_ROTATION || p[1] != SKV_ROT_ROTATE_DEK)
        return skv_err_set(err, SKV_ERR_INVALID, "rotate-dek: truncated header");
    if (p[2] != 1)
        return skv_err_set(err, SKV_ERR_INVALID, "rotate-dek: unknown version %u", p[2]);
    if (p[3] != SKV_PURPOSE_STORAGE && p[3] != SKV_PURPOSE_RAFT)
        return skv_err_set(err, SKV_ERR_INVALID, "rotate-dek: unknown purpose %u", p[3]);
    sl = p[4];
    if (sl == 0 || sl >= SKV_SUITE_NAME_MAX || len < 5 + sl + ROT_FIXED)
        return skv_err_set(err, SKV_ERR_INVALID, "rotate-dek: bad suite length or truncated");
    r->purpose = p[3];
    memcpy(r->suite, p + 5, sl);
    r->suite[sl] = 0;
    if (strlen(r->suite) != sl)
        return skv_err_set(err, SKV_ERR_INVALID, "rotate-dek: NUL in suite name");
    q = p + 5 + sl;
    r->key_id = skv_get_be32(q);
    memcpy(r->wrapped, q + 4, SKV_DEK_WRAPPED_LEN);
    r->created_ms = skv_get_be64(q + 4 + SKV_DEK_WRAPPED_LEN);
    q += ROT_FIXED;
    if (r->key_id == 0)
        return skv_err_set(err, SKV_ERR_INVALID, "rotate-dek: key id 0");
    if (r->created_ms > INT64_MAX)
        return skv_err_set(err, SKV_ERR_INVALID, "rotate-dek: created time above 2^63-1");
    rc = skv_writers_decode_reg(q, len - (size_t)(q - p), &r->regs, &r->n_regs, err);
    return rc == SKV_OK ? regs_for_key(r, err) : rc;
}

/* ---- 0x05/3 retire ---------------------------------------------------- */

/* ---- 0x05/3 retire, 0x05/6 seal-key-names: [0x05][sub][ver=1][key_id] */

#define KEYREF_LEN 7

static int encode_keyref(uint8_t sub, uint32_t key_id, void **out, size_t *len)
{
    uint8_t *p;
    if (key_id == 0 || !(p = raft_malloc(KEYREF_LEN)))
        return -1;
    p[0] = SKV_CMD_ENC_ROTATION;
    p[1] = sub;
    p[2] = 1;
    skv_put_be32(p + 3, key_id);
    *out = p;
    *len = KEYREF_LEN;
    return 0;
}

static int decode_keyref(uint8_t sub, const char *what, const uint8_t *p, size_t len,
                         uint32_t *key_id, struct skv_err *err)
{
    *key_id = 0;
    if (len < 3 || p[0] != SKV_CMD_ENC_ROTATION || p[1] != sub)
        return skv_err_set(err, SKV_ERR_INVALID, "%s: truncated header", what);
    if (p[2] != 1)
        return skv_err_set(err, SKV_ERR_INVALID, "%s: unknown version %u", what, p[2]);
    if (len != KEYREF_LEN)
        return skv_err_set(err, SKV_ERR_INVALID, "%s: %zu bytes (want %d)", what, len,
                           KEYREF_LEN);
    if (skv_get_be32(p + 3) == 0)
        return skv_err_set(err, SKV_ERR_INVALID, "%s: key id 0", what);
    *key_id = skv_get_be32(p + 3);
    return SKV_OK;
}

int skv_enc_encode_retire(uint32_t key_id, void **out, size_t *len)
{
    return encode_keyref(SKV_ROT_RETIRE, key_id, out, len);
}

int skv_enc_decode_retire(const uint8_t *p, size_t len, uint32_t *key_id,
                          struct skv_err *err)
{
    return decode_keyref(SKV_ROT_RETIRE, "retire", p, len, key_id, err);
}

int skv_enc_encode_seal_names(uint32_t key_id, void **out, size_t *len)
{
    return encode_keyref(SKV_ROT_SEAL_NAMES, key_id, out, len);
}

int skv_enc_decode_seal_names(const uint8_t *p, size_t len, uint32_t *key_id,
                              struct skv_err *err)
{
    return decode_keyref(SKV_ROT_SEAL_NAMES, "seal-key-names", p, len, key_id, err);
}
