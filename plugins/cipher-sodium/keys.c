/* SPDX-License-Identifier: MIT */
/*
 * keys.c — prepared keys: key_new copies the key into sodium_malloc
 * memory (guard pages, mlock, wiped on free), precomputes the AES-GCM key
 * schedule where that suite is used, then makes the block read-only;
 * key_free wipes and releases it.
 */
#include "cipher_sodium.h"

#include <stdint.h>
#include <string.h>

_Static_assert(sizeof(struct skv_sodium_key) % 16 == 0,
               "sodium_malloc alignment of the AES state needs size % 16 == 0");

static int check_args(const struct skv_sodium *s, const char *suite,
                      const uint8_t *key, void **key_handle,
                      struct skv_err *err)
{
    if (!s)
        return skv_err_set(err, SKV_ERR_INVALID, "cipher-sodium: no plugin instance");
    if (!key_handle)
        return skv_err_set(err, SKV_ERR_INVALID, "cipher-sodium: key_handle is NULL");
    if (!suite)
        return skv_err_set(err, SKV_ERR_INVALID, "cipher-sodium: suite name is NULL");
    if (!key)
        return skv_err_set(err, SKV_ERR_INVALID, "cipher-sodium: key is NULL");
    return SKV_OK;
}

/* Resolve the suite name; NOTFOUND / UNSUPPORTED / INVALID (length). */
static int pick_suite(const struct skv_sodium *s, const char *suite,
                      size_t key_len, const struct skv_sodium_suite **out,
                      struct skv_err *err)
{
    const struct skv_sodium_suite *su = skv_sodium_suite_find(suite);
    if (!su)
        return skv_err_set(err, SKV_ERR_NOTFOUND,
                           "cipher-sodium: unknown suite '%.64s': expected one of %s",
                           suite, skv_sodium_suite_names());
    if (!skv_sodium_suite_available(s, su))
        return skv_err_set(err, SKV_ERR_UNSUPPORTED,
                           "cipher-sodium: suite '%s' is not available on this CPU "
                           "(libsodium needs AES-NI and PCLMUL)", su->name);
    if (key_len != su->key_len)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "cipher-sodium: wrong key length for %s: expected %u bytes, found %zu",
                           su->name, su->key_len, key_len);
    *out = su;
    return SKV_OK;
}

static int prepare(struct skv_sodium_key *k, const uint8_t *key,
                   struct skv_err *err)
{
    if (k->suite->alg == SKV_SODIUM_AES256GCM) {
        if (((uintptr_t)&k->aes) % 16 != 0)
            return skv_err_set(err, SKV_ERR_INTERNAL,
                               "cipher-sodium: AES-GCM state is misaligned");
        if (crypto_aead_aes256gcm_beforenm(&k->aes, key) != 0)
            return skv_err_set(err, SKV_ERR_INTERNAL,
                               "cipher-sodium: AES-GCM key schedule failed");
    } else {
        memcpy(k->key, key, sizeof k->key);
    }
    return SKV_OK;
}

int skv_sodium_key_new(void *state, const char *suite, const uint8_t *key,
                       size_t key_len, void **key_handle, struct skv_err *err)
{
    const struct skv_sodium_suite *su = NULL;
    struct skv_sodium_key *k;
    int rc = check_args(state, suite, key, key_handle, err);
    if (rc != SKV_OK)
        return rc;
    *key_handle = NULL;
    if ((rc = pick_suite(state, suite, key_len, &su, err)) != SKV_OK)
        return rc;
    k = sodium_malloc(sizeof *k);
    if (!k)
        return skv_err_set(err, SKV_ERR_NOMEM,
                           "cipher-sodium: sodium_malloc of a key failed");
    sodium_memzero(k, sizeof *k);
    k->suite = su;
    if ((rc = prepare(k, key, err)) != SKV_OK) {
        sodium_free(k);
        return rc;
    }
    if (sodium_mprotect_readonly(k) != 0) {
        sodium_free(k);
        return skv_err_set(err, SKV_ERR_INTERNAL,
                           "cipher-sodium: cannot make key memory read-only");
    }
    *key_handle = k;
    return SKV_OK;
}

void skv_sodium_key_free(void *key_handle)
{
    if (key_handle)
        sodium_free(key_handle); /* re-enables writes, wipes, unmaps */
}
