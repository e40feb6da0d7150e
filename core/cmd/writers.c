/* SPDX-License-Identifier: MIT */
/*
 * writers.c — writer registry: the 0x03 payload codec and the apply-time
 * rules that turn a batch of registrations into storage puts (see
 * writers.h for the formats and the rules).
 */
#include "cmd/writers.h"

#include <raft.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "cmd/command.h"
#include "util/keys.h"

#define HDR_LEN 5 /* tag + count */

/* ---- payload codec ------------------------------------------------------ */

int skv_writers_encode_reg(const struct skv_writer_reg *e, size_t n,
                           void **payload, size_t *len)
{
    size_t i, total;
    uint8_t *p;
    if (n == 0 || n > SKV_WRITERS_MAX_BATCH)
        return SKV_ERR_INVALID;
    total = HDR_LEN + n * SKV_WRITERS_ENTRY_LEN;
    if (!(p = raft_malloc(total)))
        return SKV_ERR_NOMEM;
    p[0] = SKV_CMD_WRITER_REG;
    skv_put_be32(p + 1, (uint32_t)n);
    for (i = 0; i < n; i++) {
        uint8_t *q = p + HDR_LEN + i * SKV_WRITERS_ENTRY_LEN;
        skv_put_be32(q, e[i].key_id);
        skv_put_be64(q + 4, e[i].node_id);
        skv_put_be32(q + 12, e[i].local_epoch);
    }
    *payload = p;
    *len = total;
    return SKV_OK;
}

int skv_writers_decode_reg(const uint8_t *p, size_t len,
                           struct skv_writer_reg **out, size_t *n,
                           struct skv_err *err)
{
    struct skv_writer_reg *e;
    uint32_t count, i;
    *out = NULL;
    *n = 0;
    if (!p || len < HDR_LEN || p[0] != SKV_CMD_WRITER_REG)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "writer registration: truncated header (%zu bytes)", len);
    count = skv_get_be32(p + 1);
    if (count == 0 || count > SKV_WRITERS_MAX_BATCH)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "writer registration: count %u (want 1..%u)",
                           (unsigned)count, SKV_WRITERS_MAX_BATCH);
    if (len - HDR_LEN != (size_t)count * SKV_WRITERS_ENTRY_LEN)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "writer registration: %zu bytes for %u entries "
                           "(want %zu)", len, (unsigned)count,
                           HDR_LEN + (size_t)count * SKV_WRITERS_ENTRY_LEN);
    if (!(e = calloc(count, sizeof *e)))
        return skv_err_set(err, SKV_ERR_NOMEM, "writer registration: out of memory");
    for (i = 0; i < count; i++) {
        const uint8_t *q = p + HDR_LEN + (size_t)i * SKV_WRITERS_ENTRY_LEN;
        e[i].key_id = skv_get_be32(q);
        e[i].node_id = skv_get_be64(q + 4);
        e[i].local_epoch = skv_get_be32(q + 12);
    }
    *out = e;
    *n = count;
    return SKV_OK;
}

/* ---- registry records --------------------------------------------------- */

void skv_writers_key(uint32_t key_id, uint16_t node_id16,
                     uint8_t out[SKV_WRITERS_KEY_LEN])
{
    out[0] = SKV_PFX_WRITERS;
    skv_put_be32(out + 1, key_id);
    out[5] = (uint8_t)(node_id16 >> 8);
    out[6] = (uint8_t)node_id16;
}

int skv_writers_get(const struct skv_storage_ops *st, void *db,
                    uint32_t key_id, uint16_t node_id16, uint64_t *node_id,
                    uint32_t *epoch, struct skv_err *err)
{
    uint8_t key[SKV_WRITERS_KEY_LEN];
    void *val = NULL;
    size_t vlen = 0;
    int rc, bad;
    skv_writers_key(key_id, node_id16, key);
    rc = st->get(db, NULL, key, sizeof key, &val, &vlen, err);
    if (rc != SKV_OK)
        return rc;
    bad = vlen != SKV_WRITERS_VAL_LEN;
    if (!bad) {
        *node_id = skv_get_be64(val);
        *epoch = skv_get_be32((const uint8_t *)val + 8);
        bad = *node_id == 0 || *epoch >= 0xFFFFu;
    }
    st->free_buf(db, val);
    if (bad)
        return skv_err_set(err, SKV_ERR_CORRUPT,
                           "writer registry: bad record for key_id %u "
                           "node_id16 0x%04x", (unsigned)key_id,
                           (unsigned)node_id16);
    return SKV_OK;
}
