/* SPDX-License-Identifier: MIT */
/*
 * aead.c — seal and open for every suite: argument checks (nonce length,
 * sizes, aliasing), then libsodium's detached AEAD calls writing
 * ciphertext || tag. In-place (out == input) is supported; any other
 * overlap is refused. A tag mismatch is SKV_ERR_INTEGRITY with the output
 * zeroed.
 */
#include "cipher_sodium.h"

#include <stdint.h>

/* libsodium is handed this instead of NULL for zero-length buffers. */
static const unsigned char empty_buf[1];

static const unsigned char *nz(const uint8_t *p)
{
    return p ? p : empty_buf;
}

/* 1 if [a, a+alen) and [b, b+blen) overlap without a == b. */
static int bad_overlap(const void *a, size_t alen, const void *b, size_t blen)
{
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    if (x == y || alen == 0 || blen == 0)
        return 0;
    return x < y + blen && y < x + alen;
}

/* Checks shared by seal and open: `in_len` is the input length, `msg_len`
 * the plaintext length it implies. */
static int check_common(const struct skv_sodium_key *k, const uint8_t *nonce,
                        size_t nonce_len, const uint8_t *aad, size_t aad_len,
                        const uint8_t *in, size_t msg_len, const uint8_t *out,
                        struct skv_err *err)
{
    if (!k)
        return skv_err_set(err, SKV_ERR_INVALID, "cipher-sodium: key handle is NULL");
    if (!nonce || nonce_len != k->suite->nonce_len)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "cipher-sodium: bad nonce for %s: expected %u bytes, found %zu%s",
                           k->suite->name, k->suite->nonce_len, nonce_len,
                           nonce ? "" : " (NULL)");
    if (!aad && aad_len)
        return skv_err_set(err, SKV_ERR_INVALID, "cipher-sodium: AAD is NULL with length %zu", aad_len);
    if (!in && msg_len)
        return skv_err_set(err, SKV_ERR_INVALID, "cipher-sodium: input is NULL with length %zu", msg_len);
    if (!out)
        return skv_err_set(err, SKV_ERR_INVALID, "cipher-sodium: output buffer is NULL");
    if (msg_len > k->suite->max_pt)
        return skv_err_set(err, SKV_ERR_TOOBIG,
                           "cipher-sodium: message too big for %s: at most %zu bytes, found %zu",
                           k->suite->name, k->suite->max_pt, msg_len);
    return SKV_OK;
}

int skv_sodium_seal(void *key_handle, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *aad, size_t aad_len, const uint8_t *pt,
                    size_t pt_len, uint8_t *out, struct skv_err *err)
{
    const struct skv_sodium_key *k = key_handle;
    int rc = check_common(k, nonce, nonce_len, aad, aad_len, pt, pt_len, out, err);
    uint8_t *tag;
    if (rc != SKV_OK)
        return rc;
    if (bad_overlap(pt, pt_len, out, pt_len + k->suite->tag_len))
        return skv_err_set(err, SKV_ERR_INVALID,
                           "cipher-sodium: seal buffers overlap (only out == pt is allowed)");
    tag = out + pt_len;
    if (k->suite->alg == SKV_SODIUM_AES256GCM)
        rc = crypto_aead_aes256gcm_encrypt_detached_afternm(
            out, tag, NULL, nz(pt), pt_len, nz(aad), aad_len, NULL, nonce, &k->aes);
    else
        rc = crypto_aead_chacha20poly1305_ietf_encrypt_detached(
            out, tag, NULL, nz(pt), pt_len, nz(aad), aad_len, NULL, nonce, k->key);
    if (rc != 0)
        return skv_err_set(err, SKV_ERR_INTERNAL, "cipher-sodium: %s encryption failed",
                           k->suite->name);
    return SKV_OK;
}

int skv_sodium_open(void *key_handle, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *aad, size_t aad_len, const uint8_t *ct,
                    size_t ct_len, uint8_t *out, struct skv_err *err)
{
    const struct skv_sodium_key *k = key_handle;
    size_t msg_len;
    int rc;
    if (k && ct_len < k->suite->tag_len)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "cipher-sodium: ciphertext too short for %s: expected at least %u bytes (the tag), found %zu",
                           k->suite->name, k->suite->tag_len, ct_len);
    msg_len = k ? ct_len - k->suite->tag_len : 0;
    rc = check_common(k, nonce, nonce_len, aad, aad_len, ct, msg_len, out, err);
    if (rc != SKV_OK)
        return rc;
    if (!ct)
        return skv_err_set(err, SKV_ERR_INVALID, "cipher-sodium: ciphertext is NULL");
    if (bad_overlap(ct, ct_len, out, msg_len))
        return skv_err_set(err, SKV_ERR_INVALID,
                           "cipher-sodium: open buffers overlap (only out == ct is allowed)");
    if (k->suite->alg == SKV_SODIUM_AES256GCM)
        rc = crypto_aead_aes256gcm_decrypt_detached_afternm(
            out, NULL, ct, msg_len, ct + msg_len, nz(aad), aad_len, nonce, &k->aes);
    else
        rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
            out, NULL, ct, msg_len, ct + msg_len, nz(aad), aad_len, nonce, k->key);
    if (rc != 0) {
        sodium_memzero(out, msg_len);
        return skv_err_set(err, SKV_ERR_INTEGRITY,
                           "cipher-sodium: %s authentication failed (wrong key, or "
                           "tampered ciphertext, tag, nonce or AAD)", k->suite->name);
    }
    return SKV_OK;
}
