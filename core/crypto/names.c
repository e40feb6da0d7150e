/* SPDX-License-Identifier: MIT */
/*
 * names.c — sealed key names (names.h): the name key's derivation from a
 * storage DEK, the keyed hash that replaces a user key in the store key,
 * and the codec of the plaintext a named record seals.
 */
#include "crypto/names.h"
#include "util/bytes.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* "sealkv-names-v1" padded with a zero to BLAKE2b's 16-byte personal. */
static const uint8_t personal[crypto_generichash_blake2b_PERSONALBYTES] = {
    's', 'e', 'a', 'l', 'k', 'v', '-', 'n', 'a', 'm', 'e', 's', '-', 'v', '1', 0};

int skv_names_key_derive(struct skv_keystore *ks, uint32_t key_id, uint8_t *out,
                         struct skv_enc_err *e)
{
    static const uint8_t zero_salt[crypto_generichash_blake2b_SALTBYTES];
    const struct skv_dek *d = ks ? skv_keystore_get(ks, key_id) : NULL;
    uint8_t in[9] = {'n', 'a', 'm', 'e', 's'}, *raw;
    int rc;
    if (!d)
        return skv_enc_fail(e, SKV_ERR_NOTFOUND, SKV_ENC_UNKNOWN_KEY_ID,
                            "names: storage key %u is not held", (unsigned)key_id);
    if (!(raw = sodium_malloc(SKV_DEK_LEN)))
        return skv_enc_fail(e, SKV_ERR_NOMEM, SKV_ENC_NOMEM, "names: out of secure memory");
    rc = skv_keystore_unwrap(ks, d->purpose, d->key_id, d->suite, d->wrapped,
                             SKV_DEK_WRAPPED_LEN, raw, e);
    skv_put_be32(in + 5, key_id);
    if (rc == SKV_OK &&
        crypto_generichash_blake2b_salt_personal(out, SKV_NAMES_KEY_LEN, in, sizeof in, raw,
                                                 SKV_DEK_LEN, zero_salt, personal) != 0)
        rc = skv_enc_fail(e, SKV_ERR_INTERNAL, SKV_ENC_CIPHER, "names: BLAKE2b failed");
    sodium_free(raw); /* wipes */
    if (rc != SKV_OK)
        sodium_memzero(out, SKV_NAMES_KEY_LEN);
    return rc;
}

int skv_names_store_key(const uint8_t nk[SKV_NAMES_KEY_LEN], uint8_t pfx,
                        const uint8_t *name, size_t name_len,
                        uint8_t out[SKV_NAMED_KEY_LEN])
{
    out[0] = pfx;
    return crypto_generichash(out + 1, SKV_NAMES_HASH_LEN, name, name_len, nk,
                              SKV_NAMES_KEY_LEN) == 0 ? 0 : -1;
}

int skv_names_rec_encode(const uint8_t *name, size_t name_len, const uint8_t *val,
                         size_t val_len, uint8_t **out, size_t *out_len)
{
    uint8_t *p;
    if (name_len == 0 || name_len > SKV_NAMES_NAME_MAX ||
        val_len > SIZE_MAX - SKV_NAMES_REC_HDR - name_len ||
        !(p = malloc(SKV_NAMES_REC_HDR + name_len + val_len + 1)))
        return -1;
    p[0] = SKV_NAMES_REC_VERSION;
    skv_put_be16(p + 1, (uint16_t)name_len);
    memcpy(p + SKV_NAMES_REC_HDR, name, name_len);
    if (val_len)
        memcpy(p + SKV_NAMES_REC_HDR + name_len, val, val_len);
    *out = p;
    *out_len = SKV_NAMES_REC_HDR + name_len + val_len;
    return 0;
}

int skv_names_rec_decode(const uint8_t *p, size_t len, const uint8_t **name,
                         size_t *name_len, const uint8_t **val, size_t *val_len)
{
    size_t nl;
    if (len < SKV_NAMES_REC_HDR || p[0] != SKV_NAMES_REC_VERSION)
        return -1;
    nl = skv_get_be16(p + 1);
    if (nl == 0 || nl > SKV_NAMES_NAME_MAX || len - SKV_NAMES_REC_HDR < nl)
        return -1;
    *name = p + SKV_NAMES_REC_HDR;
    *name_len = nl;
    *val = p + SKV_NAMES_REC_HDR + nl;
    *val_len = len - SKV_NAMES_REC_HDR - nl;
    return 0;
}
