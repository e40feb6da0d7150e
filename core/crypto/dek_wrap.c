/* SPDX-License-Identifier: MIT */
/*
 * dek_wrap.c — wraps and unwraps DEKs under a KEK of the ring through the
 * cipher plugin: [nonce 12][ciphertext 32][tag 16], AAD 'K' ‖ purpose ‖
 * key_id (BE), the DEK's own suite; wraps use the current KEK, unwraps
 * try every KEK held; plus the argument and suite checks the keystore
 * shares. A provider KEK (kek.h, an HSM) has no bytes here: the same
 * form, AAD and host-drawn nonce go to the plugin's kek_wrap/kek_unwrap,
 * which seal with AES-256-GCM inside the token whatever the DEK's suite.
 */
#include "crypto/keystore_impl.h"
#include "util/bytes.h"

#include <sodium.h>
#include <string.h>

#define WRAP_AAD_LEN 6

const char *skv_purpose_name(int purpose)
{
    switch (purpose) {
    case SKV_PURPOSE_STORAGE: return "storage";
    case SKV_PURPOSE_RAFT: return "raft";
    default: return "unknown";
    }
}

int skv_dek_check_ids(int purpose, uint32_t key_id, const char *suite,
                      struct skv_enc_err *e)
{
    if (purpose != SKV_PURPOSE_STORAGE && purpose != SKV_PURPOSE_RAFT)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_DEK_INVALID,
                            "DEK purpose %d: must be 1 (storage) or 2 (raft)", purpose);
    if (key_id == 0)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_DEK_INVALID,
                            "DEK key_id 0 is reserved (\"not bootstrapped\")");
    if (!suite || !*suite || strlen(suite) >= SKV_SUITE_NAME_MAX)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_DEK_INVALID,
                            "DEK key_id %u: missing or overlong suite name", key_id);
    return SKV_OK;
}

int skv_dek_check_wrapped(int purpose, uint32_t key_id, const char *suite,
                          size_t wrapped_len, struct skv_enc_err *e)
{
    int rc = skv_dek_check_ids(purpose, key_id, suite, e);
    if (rc != SKV_OK)
        return rc;
    if (wrapped_len != SKV_DEK_WRAPPED_LEN)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_DEK_INVALID,
                            "wrapped DEK key_id %u must be %d bytes, found %zu",
                            key_id, SKV_DEK_WRAPPED_LEN, wrapped_len);
    return SKV_OK;
}

/* Find `suite` in the plugin's table; SKV_ERR_NOTFOUND when absent. */
static int find_suite(struct skv_keystore *ks, const char *suite,
                      struct skv_cipher_suite *out)
{
    unsigned i, n = ks->ops->suite_count(ks->cstate);
    for (i = 0; i < n; i++) {
        memset(out, 0, sizeof *out);
        out->struct_size = sizeof *out;
        if (ks->ops->suite_get(ks->cstate, i, out) == SKV_OK &&
            out->name && strcmp(out->name, suite) == 0)
            return SKV_OK;
    }
    return SKV_ERR_NOTFOUND;
}

int skv_dek_check_suite(struct skv_keystore *ks, const char *suite,
                        struct skv_enc_err *e)
{
    struct skv_cipher_suite s;
    if (find_suite(ks, suite, &s) != SKV_OK)
        return skv_enc_fail(e, SKV_ERR_NOTFOUND, SKV_ENC_SUITE_UNSUPPORTED,
                            "cipher suite '%s' is unknown to the cipher plugin", suite);
    if (!s.available)
        return skv_enc_fail(e, SKV_ERR_UNSUPPORTED, SKV_ENC_SUITE_UNSUPPORTED,
                            "cipher suite '%s' is not available on this node", suite);
    if (s.key_len != SKV_DEK_LEN || s.nonce_len != SKV_DEK_NONCE_LEN ||
        s.tag_len != SKV_DEK_TAG_LEN)
        return skv_enc_fail(e, SKV_ERR_UNSUPPORTED, SKV_ENC_SUITE_UNSUPPORTED,
                            "cipher suite '%s' has key/nonce/tag %u/%u/%u bytes: "
                            "envelopes need 32/12/16", suite, s.key_len,
                            s.nonce_len, s.tag_len);
    return SKV_OK;
}

static void wrap_aad(uint8_t aad[WRAP_AAD_LEN], int purpose, uint32_t key_id)
{
    aad[0] = 'K';
    aad[1] = (uint8_t)purpose;
    skv_put_be32(aad + 2, key_id);
}

/* What wrap and unwrap share: a plugin key handle for the KEK under the
 * DEK's suite (release it with key_free), the AAD, the plugin's error.
 * kek_begin checks the DEK's ids, wrapped length and suite first. */
struct kek_op {
    void *h;
    uint8_t aad[WRAP_AAD_LEN];
    struct skv_err perr;
};

static int kek_begin(struct skv_keystore *ks, const struct skv_kek *kek, int purpose,
                     uint32_t key_id, const char *suite, size_t wrapped_len,
                     struct kek_op *k, struct skv_enc_err *e)
{
    struct skv_err perr = {0};
    int rc;
    memset(k, 0, sizeof *k);
    if ((rc = skv_dek_check_wrapped(purpose, key_id, suite, wrapped_len, e)) != SKV_OK ||
        (rc = skv_dek_check_suite(ks, suite, e)) != SKV_OK)
        return rc;
    if (!kek)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT, "no KEK held");
    rc = ks->ops->key_new(ks->cstate, suite, skv_kek_bytes(kek), SKV_KEK_LEN, &k->h,
                          &perr);
    if (rc != SKV_OK)
        return skv_enc_fail(e, rc, SKV_ENC_CIPHER, "KEK under suite %s: %s", suite,
                            perr.msg);
    wrap_aad(k->aad, purpose, key_id);
    return SKV_OK;
}

/* A provider KEK: the ids checked, the nonce drawn here, the seal in the
 * plugin's provider (kek.h "Provider KEK"). */
static int provider_wrap(struct skv_keystore *ks, const struct skv_kek *kek, int purpose,
                         uint32_t key_id, const char *suite, const uint8_t *dek,
                         uint8_t wrapped[SKV_DEK_WRAPPED_LEN], struct skv_enc_err *e)
{
    const struct skv_cipher_ops *po = skv_kek_ops(kek);
    struct skv_err perr = {0, ""};
    uint8_t aad[WRAP_AAD_LEN];
    int rc = skv_dek_check_ids(purpose, key_id, suite, e);
    if (rc != SKV_OK)
        return rc;
    wrap_aad(aad, purpose, key_id);
    if ((rc = ks->ops->random(ks->cstate, wrapped, SKV_DEK_NONCE_LEN, &perr)) == SKV_OK)
        rc = po->kek_wrap(skv_kek_handle(kek), wrapped, SKV_DEK_NONCE_LEN, aad, sizeof aad,
                          dek, SKV_DEK_LEN, wrapped + SKV_DEK_NONCE_LEN, &perr);
    if (rc != SKV_OK) {
        sodium_memzero(wrapped, SKV_DEK_WRAPPED_LEN);
        return skv_enc_fail(e, rc, SKV_ENC_CIPHER, "DEK wrap of key_id %u under %s KEK "
                            "%s: %s", key_id, skv_kek_provider(kek), skv_kek_id(kek),
                            perr.msg);
    }
    skv_enc_err_clear(e);
    return SKV_OK;
}

/* A provider KEK's unwrap: SKV_ERR_INTEGRITY (not reported) when it is
 * not this KEK, as unwrap_under. */
static int provider_unwrap(const struct skv_kek *kek, int purpose, uint32_t key_id,
                           const char *suite, const uint8_t *wrapped, size_t wrapped_len,
                           uint8_t *dek_out, struct skv_enc_err *e)
{
    const struct skv_cipher_ops *po = skv_kek_ops(kek);
    struct skv_err perr = {0, ""};
    uint8_t aad[WRAP_AAD_LEN];
    int rc = skv_dek_check_wrapped(purpose, key_id, suite, wrapped_len, e);
    if (rc != SKV_OK)
        return rc;
    wrap_aad(aad, purpose, key_id);
    rc = po->kek_unwrap(skv_kek_handle(kek), wrapped, SKV_DEK_NONCE_LEN, aad, sizeof aad,
                        wrapped + SKV_DEK_NONCE_LEN, SKV_DEK_LEN + SKV_DEK_TAG_LEN, dek_out,
                        &perr);
    if (rc != SKV_OK)
        sodium_memzero(dek_out, SKV_DEK_LEN);
    if (rc != SKV_OK && rc != SKV_ERR_INTEGRITY)
        return skv_enc_fail(e, rc, SKV_ENC_PKCS11, "DEK unwrap of key_id %u under %s KEK "
                            "%s: %s", key_id, skv_kek_provider(kek), skv_kek_id(kek),
                            perr.msg);
    return rc;
}

int skv_keystore_wrap(struct skv_keystore *ks, int purpose, uint32_t key_id,
                      const char *suite, const uint8_t *dek,
                      uint8_t wrapped[SKV_DEK_WRAPPED_LEN], struct skv_enc_err *e)
{
    if (!ks)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "DEK wrap: NULL argument");
    return skv_dek_wrap_under(ks, skv_ring_current(ks), purpose, key_id, suite, dek,
                              wrapped, e);
}

int skv_dek_wrap_under(struct skv_keystore *ks, const struct skv_kek *kek, int purpose,
                       uint32_t key_id, const char *suite, const uint8_t *dek,
                       uint8_t wrapped[SKV_DEK_WRAPPED_LEN], struct skv_enc_err *e)
{
    struct kek_op k;
    int rc;
    if (!ks || !dek || !wrapped)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "DEK wrap: NULL argument");
    if (skv_kek_handle(kek))
        return provider_wrap(ks, kek, purpose, key_id, suite, dek, wrapped, e);
    /* a wrap writes exactly SKV_DEK_WRAPPED_LEN: only the ids to check */
    if ((rc = kek_begin(ks, kek, purpose, key_id, suite, SKV_DEK_WRAPPED_LEN, &k, e)) != SKV_OK)
        return rc;
    if ((rc = ks->ops->random(ks->cstate, wrapped, SKV_DEK_NONCE_LEN, &k.perr)) == SKV_OK)
        rc = ks->ops->seal(k.h, wrapped, SKV_DEK_NONCE_LEN, k.aad, sizeof k.aad, dek,
                           SKV_DEK_LEN, wrapped + SKV_DEK_NONCE_LEN, &k.perr);
    ks->ops->key_free(k.h);
    if (rc != SKV_OK) {
        sodium_memzero(wrapped, SKV_DEK_WRAPPED_LEN);
        return skv_enc_fail(e, rc, SKV_ENC_CIPHER, "DEK wrap of key_id %u: %s",
                            key_id, k.perr.msg);
    }
    skv_enc_err_clear(e);
    return SKV_OK;
}

/* One KEK: SKV_ERR_INTEGRITY (not reported in e) when it is not this one. */
static int unwrap_under(struct skv_keystore *ks, const struct skv_kek *kek, int purpose,
                        uint32_t key_id, const char *suite, const uint8_t *wrapped,
                        size_t wrapped_len, uint8_t *dek_out, struct skv_enc_err *e)
{
    struct kek_op k;
    int rc;
    if (skv_kek_handle(kek))
        return provider_unwrap(kek, purpose, key_id, suite, wrapped, wrapped_len, dek_out, e);
    if ((rc = kek_begin(ks, kek, purpose, key_id, suite, wrapped_len, &k, e)) != SKV_OK)
        return rc;
    rc = ks->ops->open(k.h, wrapped, SKV_DEK_NONCE_LEN, k.aad, sizeof k.aad,
                       wrapped + SKV_DEK_NONCE_LEN, SKV_DEK_LEN + SKV_DEK_TAG_LEN,
                       dek_out, &k.perr);
    ks->ops->key_free(k.h);
    if (rc != SKV_OK)
        sodium_memzero(dek_out, SKV_DEK_LEN);
    if (rc != SKV_OK && rc != SKV_ERR_INTEGRITY)
        return skv_enc_fail(e, rc, SKV_ENC_CIPHER, "DEK unwrap of key_id %u: %s",
                            key_id, k.perr.msg);
    return rc;
}

int skv_dek_unwrap_any(struct skv_keystore *ks, int purpose, uint32_t key_id,
                       const char *suite, const uint8_t *wrapped, size_t wrapped_len,
                       uint8_t *dek_out, const struct skv_kek **opener,
                       struct skv_enc_err *e)
{
    const struct skv_kek *cur = skv_ring_current(ks);
    size_t i, n = atomic_load(&ks->n_keks);
    int rc = unwrap_under(ks, cur, purpose, key_id, suite, wrapped, wrapped_len, dek_out, e);
    const struct skv_kek *used = cur;
    for (i = 0; rc == SKV_ERR_INTEGRITY && i < n; i++)
        if (ks->keks[i] != cur)
            rc = unwrap_under(ks, used = ks->keks[i], purpose, key_id, suite, wrapped,
                              wrapped_len, dek_out, e);
    if (rc == SKV_ERR_INTEGRITY)
        return skv_enc_fail(e, rc, SKV_ENC_DEK_UNWRAP,
                            "cannot unwrap DEK key_id %u (%s, %s) under any of this node's "
                            "%zu KEK(s): wrong KEK, purpose or key_id, or altered wrapped "
                            "bytes", key_id, skv_purpose_name(purpose), suite, n);
    if (rc != SKV_OK)
        return rc;
    if (opener)
        *opener = used;
    skv_enc_err_clear(e);
    return SKV_OK;
}

int skv_keystore_unwrap(struct skv_keystore *ks, int purpose, uint32_t key_id,
                        const char *suite, const uint8_t *wrapped,
                        size_t wrapped_len, uint8_t *dek_out, struct skv_enc_err *e)
{
    if (!ks || !wrapped || !dek_out)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "DEK unwrap: NULL argument");
    sodium_memzero(dek_out, SKV_DEK_LEN);
    return skv_dek_unwrap_any(ks, purpose, key_id, suite, wrapped, wrapped_len, dek_out,
                              NULL, e);
}
