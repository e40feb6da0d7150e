/* SPDX-License-Identifier: MIT */
/*
 * nonce.c — deterministic 12-byte nonces (node_id16 ‖ epoch16 ‖ count64,
 * big-endian) from a lock-free per-DEK counter that refuses to wrap.
 */
#include "crypto/nonce.h"
#include "util/bytes.h"

#include <stddef.h>

uint16_t skv_node_id16(uint64_t node_id)
{
    return (uint16_t)((node_id >> 48) ^ (node_id >> 32) ^ (node_id >> 16) ^ node_id);
}

int skv_local_epoch_check(uint64_t epoch, struct skv_enc_err *e)
{
    if (epoch > SKV_LOCAL_EPOCH_MAX)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_LOCAL_EPOCH_OUT_OF_RANGE,
                            "local epoch %llu is out of range: at most %u",
                            (unsigned long long)epoch, SKV_LOCAL_EPOCH_MAX);
    return SKV_OK;
}

int skv_nonce_gen_init_range(struct skv_nonce_gen *g, uint16_t node_id16,
                             uint32_t epoch, uint64_t start, uint64_t limit,
                             struct skv_enc_err *e)
{
    int rc;
    if (!g)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "nonce generator is NULL");
    if ((rc = skv_local_epoch_check(epoch, e)) != SKV_OK)
        return rc;
    if (epoch == SKV_LOCAL_EPOCH_MAX)
        return skv_enc_fail(e, SKV_ERR_FULL, SKV_ENC_LOCAL_EPOCH_EXHAUSTED,
                            "local epoch 0xFFFF is exhausted for this key: rotate the DEK "
                            "(sealkv encryption rotate-dek; automatic rotation does it at "
                            "epoch 0xF000); the epoch does not carry nonce uniqueness "
                            "(docs/NONCES.md)");
    if (limit == 0)
        limit = UINT64_MAX;
    if (start > limit)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "nonce counter start %llu is above its limit %llu",
                            (unsigned long long)start, (unsigned long long)limit);
    g->node_id16 = node_id16;
    g->epoch = (uint16_t)epoch;
    g->limit = limit;
    atomic_init(&g->next, start);
    skv_enc_err_clear(e);
    return SKV_OK;
}

int skv_nonce_gen_init(struct skv_nonce_gen *g, uint16_t node_id16, uint32_t epoch,
                       struct skv_enc_err *e)
{
    return skv_nonce_gen_init_range(g, node_id16, epoch, 0, 0, e);
}

int skv_nonce_next(struct skv_nonce_gen *g, uint8_t out[SKV_NONCE_LEN],
                   struct skv_enc_err *e)
{
    uint64_t c;
    if (!g || !out)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "nonce: NULL argument");
    c = atomic_load_explicit(&g->next, memory_order_relaxed);
    do {
        if (c >= g->limit)
            return skv_enc_fail(e, SKV_ERR_FULL, SKV_ENC_WRITE_COUNTER_EXHAUSTED,
                                "write counter exhausted: 2^64 seals under this key in one "
                                "process; rotate the DEK (sealkv encryption rotate-dek; "
                                "automatic rotation does it after 2^48 seals) or restart the "
                                "node (a fresh v2 salt and subkey, docs/NONCES.md)");
    } while (!atomic_compare_exchange_weak_explicit(&g->next, &c, c + 1,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed));
    skv_put_be16(out, g->node_id16);
    skv_put_be16(out + 2, g->epoch);
    skv_put_be64(out + 4, c);
    return SKV_OK;
}

void skv_nonce_parse(const uint8_t in[SKV_NONCE_LEN], uint16_t *node_id16,
                     uint16_t *epoch, uint64_t *count)
{
    if (node_id16)
        *node_id16 = skv_get_be16(in);
    if (epoch)
        *epoch = skv_get_be16(in + 2);
    if (count)
        *count = skv_get_be64(in + 4);
}
