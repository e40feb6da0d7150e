/* SPDX-License-Identifier: MIT */
/*
 * envelope.c — Envelopes v1 and v2: header layout, AAD per purpose and
 * version, v2 seal (this process's salt, or an explicit one for tools),
 * v1/v2 open through the keystore's cipher plugin and subkey cache, one
 * typed error per way an envelope can be wrong.
 */
#include "crypto/envelope.h"
#include "util/bytes.h"

#include <stdlib.h>
#include <string.h>

#define AAD_FIXED 6          /* tag ‖ version ‖ key_id */
#define AAD_FIXED_V2 (AAD_FIXED + SKV_ENVELOPE_SALT_LEN)   /* ‖ salt */
#define AAD_STACK 256

size_t skv_envelope_overhead(void)
{
    return SKV_ENVELOPE_OVERHEAD;
}

int skv_envelope_parse(const uint8_t *in, size_t len, struct skv_envelope_hdr *h,
                       struct skv_enc_err *e)
{
    size_t min = SKV_ENVELOPE_MIN_LEN;
    if (!h || (!in && len))
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "envelope: NULL argument");
    if (len >= 1 && in[0] != SKV_ENVELOPE_V1 && in[0] != SKV_ENVELOPE_V2)
        return skv_enc_fail(e, SKV_ERR_CORRUPT, SKV_ENC_ENVELOPE_VERSION,
                            "envelope version %u is unknown: expected %u or %u", in[0],
                            SKV_ENVELOPE_V1, SKV_ENVELOPE_V2);
    if (len >= 1 && in[0] == SKV_ENVELOPE_V2)
        min = SKV_ENVELOPE_V2_OVERHEAD;
    if (len < min)
        return skv_enc_fail(e, SKV_ERR_CORRUPT, SKV_ENC_ENVELOPE_TOO_SHORT,
                            "envelope is %zu bytes: shorter than the %zu-byte minimum",
                            len, min);
    if (in[1] & ~SKV_ENVELOPE_FLAGS_KNOWN)
        return skv_enc_fail(e, SKV_ERR_CORRUPT, SKV_ENC_ENVELOPE_FLAGS,
                            "envelope flags 0x%02x carry unknown bits", in[1]);
    h->version = in[0];
    h->flags = in[1];
    h->key_id = skv_get_be32(in + 2);
    h->salt = h->version == SKV_ENVELOPE_V2 ? in + 6 : NULL;
    h->nonce = in + 6 + (h->salt ? SKV_ENVELOPE_SALT_LEN : 0);
    h->header_len = h->salt ? SKV_ENVELOPE_V2_HEADER_LEN : SKV_ENVELOPE_V1_HEADER_LEN;
    h->overhead = h->header_len + SKV_ENVELOPE_TAG_LEN;
    return SKV_OK;
}

/* Raft: skey must be absent. Storage: skey may be empty. */
static int check_purpose_args(int purpose, const uint8_t *skey, size_t skey_len,
                              struct skv_enc_err *e)
{
    if (purpose != SKV_PURPOSE_STORAGE && purpose != SKV_PURPOSE_RAFT)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "envelope: purpose %d is neither storage nor raft", purpose);
    if (purpose == SKV_PURPOSE_RAFT && (skey || skey_len))
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "envelope: a raft envelope has no storage key");
    if (!skey && skey_len)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "envelope: storage key is NULL");
    if (skey_len > SIZE_MAX - AAD_FIXED_V2)
        return skv_enc_fail(e, SKV_ERR_TOOBIG, SKV_ENC_ENVELOPE_TOO_BIG,
                            "envelope: storage key too long");
    return SKV_OK;
}

/* The DEK for key_id, which must carry `purpose`. */
static int find_dek(struct skv_keystore *ks, int purpose, uint32_t key_id,
                    int for_open, const struct skv_dek **out, struct skv_enc_err *e)
{
    const struct skv_dek *d = skv_keystore_get(ks, key_id);
    *out = NULL;
    if (!d)
        return skv_enc_fail(e, SKV_ERR_NOTFOUND, SKV_ENC_UNKNOWN_KEY_ID,
                            "envelope key_id %u (0x%08x) is not in the keystore",
                            key_id, key_id);
    if (d->purpose != purpose)
        return skv_enc_fail(e, for_open ? SKV_ERR_CORRUPT : SKV_ERR_INVALID,
                            SKV_ENC_ENVELOPE_PURPOSE,
                            "envelope key_id %u is a %s key, not a %s key", key_id,
                            skv_purpose_name(d->purpose), skv_purpose_name(purpose));
    *out = d;
    return SKV_OK;
}

/* Build the AAD in `stack` or a malloc'd buffer (*heap, free it);
 * salt NULL for v1. */
static int build_aad(int purpose, const uint8_t *salt, uint32_t key_id,
                     const uint8_t *skey, size_t skey_len, uint8_t *stack, uint8_t **aad,
                     uint8_t **heap, size_t *aad_len, struct skv_enc_err *e)
{
    size_t fixed = salt ? AAD_FIXED_V2 : AAD_FIXED;
    size_t n = fixed + (purpose == SKV_PURPOSE_STORAGE ? skey_len : 0);
    uint8_t *p = stack;
    *heap = NULL;
    if (n > AAD_STACK && !(p = *heap = malloc(n)))
        return skv_enc_fail(e, SKV_ERR_NOMEM, SKV_ENC_NOMEM, "envelope: out of memory");
    p[0] = purpose == SKV_PURPOSE_STORAGE ? 'S' : 'R';
    p[1] = salt ? SKV_ENVELOPE_V2 : SKV_ENVELOPE_V1;
    skv_put_be32(p + 2, key_id);
    if (salt)
        memcpy(p + AAD_FIXED, salt, SKV_ENVELOPE_SALT_LEN);
    if (n > fixed)
        memcpy(p + fixed, skey, skey_len);
    *aad = p;
    *aad_len = n;
    return SKV_OK;
}

/* The AEAD key handle for (d, salt): the DEK for v1 (salt NULL), else its
 * subkey (*ref to release with skv_keystore_subkey_put). */
static int key_for(struct skv_keystore *ks, const struct skv_dek *d, const uint8_t *salt,
                   void **handle, struct skv_subkey **ref, struct skv_enc_err *e)
{
    *ref = NULL;
    if (!salt) {
        *handle = d->handle;
        return SKV_OK;
    }
    return skv_keystore_subkey_get(ks, d, salt, handle, ref, e);
}

/* v2 seal under `salt` (NULL: the DEK's own process salt). */
static int seal_v2(struct skv_keystore *ks, int purpose, uint32_t key_id,
                   const uint8_t *salt, const uint8_t *nonce, const uint8_t *skey,
                   size_t skey_len, const uint8_t *pt, size_t pt_len, uint8_t *out,
                   struct skv_enc_err *e)
{
    uint8_t stack[AAD_STACK], *aad, *heap;
    const struct skv_dek *d;
    struct skv_subkey *ref = NULL;
    struct skv_err perr = {0};
    void *handle;
    size_t aad_len;
    int rc;
    if (!ks || !nonce || !out || (!pt && pt_len))
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "envelope seal: NULL argument");
    if (pt_len > SIZE_MAX - SKV_ENVELOPE_OVERHEAD)
        return skv_enc_fail(e, SKV_ERR_TOOBIG, SKV_ENC_ENVELOPE_TOO_BIG,
                            "envelope seal: plaintext too long");
    if ((rc = check_purpose_args(purpose, skey, skey_len, e)) != SKV_OK ||
        (rc = find_dek(ks, purpose, key_id, 0, &d, e)) != SKV_OK)
        return rc;
    salt = salt ? salt : d->salt;
    if ((rc = build_aad(purpose, salt, key_id, skey, skey_len, stack, &aad, &heap,
                        &aad_len, e)) != SKV_OK)
        return rc;
    if ((rc = key_for(ks, d, salt, &handle, &ref, e)) != SKV_OK) {
        free(heap);
        return rc;
    }
    out[0] = SKV_ENVELOPE_V2;
    out[1] = 0;
    skv_put_be32(out + 2, key_id);
    memmove(out + 6, salt, SKV_ENVELOPE_SALT_LEN);
    memcpy(out + 6 + SKV_ENVELOPE_SALT_LEN, nonce, SKV_ENVELOPE_NONCE_LEN);
    rc = skv_keystore_ops(ks)->seal(handle, nonce, SKV_ENVELOPE_NONCE_LEN, aad, aad_len,
                                    pt, pt_len, out + SKV_ENVELOPE_HEADER_LEN, &perr);
    skv_keystore_subkey_put(ks, ref);
    free(heap);
    if (rc != SKV_OK)
        return skv_enc_fail(e, rc, SKV_ENC_CIPHER, "envelope seal with key_id %u: %s",
                            key_id, perr.msg);
    skv_enc_err_clear(e);
    return SKV_OK;
}

int skv_envelope_seal(struct skv_keystore *ks, int purpose, uint32_t key_id,
                      const uint8_t nonce[SKV_ENVELOPE_NONCE_LEN],
                      const uint8_t *skey, size_t skey_len, const uint8_t *pt,
                      size_t pt_len, uint8_t *out, struct skv_enc_err *e)
{
    return seal_v2(ks, purpose, key_id, NULL, nonce, skey, skey_len, pt, pt_len, out, e);
}

int skv_envelope_seal_salted(struct skv_keystore *ks, int purpose, uint32_t key_id,
                             const uint8_t salt[SKV_ENVELOPE_SALT_LEN],
                             const uint8_t nonce[SKV_ENVELOPE_NONCE_LEN],
                             const uint8_t *skey, size_t skey_len, const uint8_t *pt,
                             size_t pt_len, uint8_t *out, struct skv_enc_err *e)
{
    if (!salt)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "envelope seal: NULL salt");
    return seal_v2(ks, purpose, key_id, salt, nonce, skey, skey_len, pt, pt_len, out, e);
}

/* The AEAD open of a parsed envelope into buf; typed errors. */
static int open_parsed(struct skv_keystore *ks, int purpose, const struct skv_dek *d,
                       const struct skv_envelope_hdr *h, const uint8_t *skey,
                       size_t skey_len, const uint8_t *in, size_t len, uint8_t *buf,
                       struct skv_enc_err *e)
{
    uint8_t stack[AAD_STACK], *aad, *heap;
    struct skv_subkey *ref = NULL;
    struct skv_err perr = {0};
    void *handle;
    size_t aad_len;
    int rc;
    if ((rc = build_aad(purpose, h->salt, h->key_id, skey, skey_len, stack, &aad, &heap,
                        &aad_len, e)) != SKV_OK)
        return rc;
    if ((rc = key_for(ks, d, h->salt, &handle, &ref, e)) != SKV_OK) {
        free(heap);
        return rc;
    }
    rc = skv_keystore_ops(ks)->open(handle, h->nonce, SKV_ENVELOPE_NONCE_LEN, aad, aad_len,
                                    in + h->header_len, len - h->header_len, buf, &perr);
    skv_keystore_subkey_put(ks, ref);
    free(heap);
    if (rc == SKV_ERR_INTEGRITY)
        return skv_enc_fail(e, rc, SKV_ENC_ENVELOPE_INTEGRITY,
                            "%s envelope v%u with key_id %u failed authentication",
                            skv_purpose_name(purpose), h->version, h->key_id);
    if (rc != SKV_OK)
        return skv_enc_fail(e, rc, SKV_ENC_CIPHER, "envelope open with key_id %u: %s",
                            h->key_id, perr.msg);
    return SKV_OK;
}

int skv_envelope_open(struct skv_keystore *ks, int purpose, const uint8_t *skey,
                      size_t skey_len, const uint8_t *in, size_t len, uint8_t **pt,
                      size_t *pt_len, struct skv_enc_err *e)
{
    struct skv_envelope_hdr h;
    const struct skv_dek *d;
    uint8_t *buf;
    int rc;
    if (!ks || !pt || !pt_len)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "envelope open: NULL argument");
    *pt = NULL;
    *pt_len = 0;
    if ((rc = check_purpose_args(purpose, skey, skey_len, e)) != SKV_OK ||
        (rc = skv_envelope_parse(in, len, &h, e)) != SKV_OK ||
        (rc = find_dek(ks, purpose, h.key_id, 1, &d, e)) != SKV_OK)
        return rc;
    if (!(buf = malloc(len - h.overhead + 1)))
        return skv_enc_fail(e, SKV_ERR_NOMEM, SKV_ENC_NOMEM, "envelope: out of memory");
    if ((rc = open_parsed(ks, purpose, d, &h, skey, skey_len, in, len, buf, e)) != SKV_OK) {
        free(buf);
        return rc;
    }
    *pt = buf;
    *pt_len = len - h.overhead;
    skv_enc_err_clear(e);
    return SKV_OK;
}
