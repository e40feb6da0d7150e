/* SPDX-License-Identifier: MIT */
/*
 * kek_ring.c — the keystore's KEK ring (keystore.h "KEK ring"): the KEKs
 * a node holds, which one new wraps use, lookups by KEK id, and the
 * rewrap of one DEK from any held KEK to a chosen one (KEK rotation,
 * core/admin/enc_rewrap.c). Append-only until the keystore is freed: one
 * writer (the loop thread) stores a slot, then publishes the count.
 */
#include "crypto/keystore_impl.h"

#include <sodium.h>
#include <string.h>

const struct skv_kek *skv_ring_current(struct skv_keystore *ks)
{
    size_t n = atomic_load(&ks->n_keks), c = atomic_load(&ks->cur_kek);
    return c < n ? ks->keks[c] : NULL;
}

const struct skv_kek *skv_ring_find(struct skv_keystore *ks, const char *kek_id)
{
    size_t i, n = atomic_load(&ks->n_keks);
    for (i = 0; kek_id && i < n; i++)
        if (strcmp(skv_kek_id(ks->keks[i]), kek_id) == 0)
            return ks->keks[i];
    return NULL;
}

void skv_ring_free(struct skv_keystore *ks)
{
    size_t i, n = atomic_load(&ks->n_keks);
    for (i = 0; i < n; i++) {
        skv_kek_free(ks->keks[i]);
        ks->keks[i] = NULL;
    }
    atomic_store(&ks->n_keks, 0);
}

int skv_keystore_add_kek(struct skv_keystore *ks, struct skv_kek *kek, struct skv_enc_err *e)
{
    size_t n;
    if (!ks || !kek) {
        skv_kek_free(kek);
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "KEK ring: NULL argument");
    }
    if (skv_ring_find(ks, skv_kek_id(kek))) {
        skv_kek_free(kek);   /* the same KEK twice: hold it once */
        skv_enc_err_clear(e);
        return SKV_OK;
    }
    n = atomic_load(&ks->n_keks);
    if (n >= SKV_KEK_RING_MAX) {
        skv_kek_free(kek);
        return skv_enc_fail(e, SKV_ERR_FULL, SKV_ENC_INVALID_ARGUMENT,
                            "a node holds at most %d KEKs", SKV_KEK_RING_MAX);
    }
    ks->keks[n] = kek;
    atomic_store(&ks->n_keks, n + 1);
    skv_enc_err_clear(e);
    return SKV_OK;
}

int skv_keystore_use_kek(struct skv_keystore *ks, const char *kek_id, struct skv_enc_err *e)
{
    size_t i, n = ks ? atomic_load(&ks->n_keks) : 0;
    for (i = 0; kek_id && i < n; i++)
        if (strcmp(skv_kek_id(ks->keks[i]), kek_id) == 0) {
            atomic_store(&ks->cur_kek, i);
            skv_enc_err_clear(e);
            return SKV_OK;
        }
    return skv_enc_fail(e, SKV_ERR_NOTFOUND, SKV_ENC_KEK_NOT_GIVEN,
                        "KEK id %s is not held by this node", kek_id ? kek_id : "(null)");
}

const char *skv_keystore_kek_id(struct skv_keystore *ks)
{
    return ks ? skv_kek_id(skv_ring_current(ks)) : "";
}

size_t skv_keystore_kek_count(struct skv_keystore *ks)
{
    return ks ? atomic_load(&ks->n_keks) : 0;
}

const char *skv_keystore_kek_id_at(struct skv_keystore *ks, size_t i)
{
    if (!ks || i >= atomic_load(&ks->n_keks))
        return NULL;
    return skv_kek_id(ks->keks[i]);
}

const char *skv_keystore_kek_provider(struct skv_keystore *ks, const char *kek_id)
{
    const struct skv_kek *k = ks ? skv_ring_find(ks, kek_id) : NULL;
    return k && skv_kek_handle(k) ? skv_kek_provider(k) : "";
}

int skv_keystore_has_kek(struct skv_keystore *ks, const char *kek_id)
{
    return ks && skv_ring_find(ks, kek_id) != NULL;
}

int skv_keystore_rewrap(struct skv_keystore *ks, const char *to_kek_id, int purpose,
                        uint32_t key_id, const char *suite, const uint8_t *in,
                        size_t in_len, uint8_t out[SKV_DEK_WRAPPED_LEN],
                        struct skv_enc_err *e)
{
    const struct skv_kek *to;
    uint8_t *raw;
    int rc;
    if (!ks || !in || !out)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "DEK rewrap: NULL argument");
    if (!(to = skv_ring_find(ks, to_kek_id)))
        return skv_enc_fail(e, SKV_ERR_NOTFOUND, SKV_ENC_KEK_NOT_GIVEN,
                            "DEK rewrap of key_id %u: KEK id %s is not held", key_id,
                            to_kek_id ? to_kek_id : "(null)");
    if (!(raw = sodium_malloc(SKV_DEK_LEN)))
        return skv_enc_fail(e, SKV_ERR_NOMEM, SKV_ENC_NOMEM, "DEK: out of secure memory");
    rc = skv_dek_unwrap_any(ks, purpose, key_id, suite, in, in_len, raw, NULL, e);
    if (rc == SKV_OK)
        rc = skv_dek_wrap_under(ks, to, purpose, key_id, suite, raw, out, e);
    sodium_free(raw);   /* wipes */
    return rc;
}
