/* SPDX-License-Identifier: MIT */
/*
 * p11_gcm.c — the PKCS#11 provider's DEK wrap and unwrap: one
 * CKM_AES_GCM C_Encrypt/C_Decrypt inside the token per call, with the
 * host's 12-byte nonce and AAD and a 128-bit tag, serialised on the KEK's
 * session; and kek_close. A tag that does not verify is SKV_ERR_INTEGRITY
 * (the host then tries its next KEK); the DEK passes through the caller's
 * buffers and a sodium_malloc scratch block only.
 */
#include "cipher_sodium.h"
#include "p11.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define GCM_SCRATCH 128   /* >= the largest wrapped DEK the host sends */

static int args_ok(const void *kek, size_t nonce_len, size_t in_len, size_t min,
                   struct skv_err *err)
{
    if (!kek)
        return skv_err_set(err, SKV_ERR_INVALID, "PKCS#11 KEK: NULL handle");
    if (nonce_len != SKV_SODIUM_NONCE_LEN)
        return skv_err_set(err, SKV_ERR_INVALID, "PKCS#11 KEK: nonce must be %u bytes, "
                           "found %zu", SKV_SODIUM_NONCE_LEN, nonce_len);
    if (in_len < min || in_len + SKV_SODIUM_TAG_LEN > GCM_SCRATCH)
        return skv_err_set(err, SKV_ERR_INVALID, "PKCS#11 KEK: %zu bytes: out of range",
                           in_len);
    return SKV_OK;
}

static void gcm_params(CK_GCM_PARAMS *p, CK_MECHANISM *m, const uint8_t *nonce,
                       const uint8_t *aad, size_t aad_len)
{
    p->pIv = (CK_BYTE_PTR)nonce;
    p->ulIvLen = SKV_SODIUM_NONCE_LEN;
    p->ulIvBits = SKV_SODIUM_NONCE_LEN * 8;
    p->pAAD = (CK_BYTE_PTR)aad;
    p->ulAADLen = aad_len;
    p->ulTagBits = SKV_SODIUM_TAG_LEN * 8;
    m->mechanism = CKM_AES_GCM;
    m->pParameter = p;
    m->ulParameterLen = sizeof *p;
}

int skv_p11_kek_wrap(void *kek, const uint8_t *nonce, size_t nonce_len, const uint8_t *aad,
                     size_t aad_len, const uint8_t *dek, size_t dek_len, uint8_t *out,
                     struct skv_err *err)
{
    struct skv_p11_kek *k = kek;
    CK_GCM_PARAMS p;
    CK_MECHANISM m;
    CK_ULONG olen = dek_len + SKV_SODIUM_TAG_LEN;
    CK_RV rv;
    int rc = args_ok(kek, nonce_len, dek_len, 1, err);
    if (rc != SKV_OK || !dek || !out || (!aad && aad_len))
        return rc != SKV_OK ? rc : skv_err_set(err, SKV_ERR_INVALID, "PKCS#11 KEK: NULL");
    gcm_params(&p, &m, nonce, aad, aad_len);
    pthread_mutex_lock(&k->mu);
    rv = k->f->C_EncryptInit(k->s, &m, k->key);
    if (rv == CKR_OK)
        rv = k->f->C_Encrypt(k->s, (CK_BYTE_PTR)dek, dek_len, out, &olen);
    pthread_mutex_unlock(&k->mu);
    if (rv != CKR_OK || olen != dek_len + SKV_SODIUM_TAG_LEN) {
        sodium_memzero(out, dek_len + SKV_SODIUM_TAG_LEN);
        return skv_err_set(err, SKV_ERR_IO, "PKCS#11 key '%.64s': AES-GCM wrap failed "
                           "inside token '%s': %s (0x%lx)", k->label, k->token,
                           skv_p11_rv_name(rv), (unsigned long)rv);
    }
    return SKV_OK;
}

/* A failed C_Decrypt that is the data's fault, not the token's: the
 * standard codes, and CKR_GENERAL_ERROR on a session that is still fine
 * (SoftHSM 2.6 reports a GCM tag mismatch so). */
static int tag_failed(struct skv_p11_kek *k, CK_RV rv)
{
    CK_SESSION_INFO si;
    int ok;
#ifdef CKR_AEAD_DECRYPT_FAILED
    if (rv == CKR_AEAD_DECRYPT_FAILED)
        return 1;
#endif
    if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE)
        return 1;
    if (rv != CKR_GENERAL_ERROR)
        return 0;
    pthread_mutex_lock(&k->mu);
    ok = k->f->C_GetSessionInfo(k->s, &si) == CKR_OK;
    pthread_mutex_unlock(&k->mu);
    return ok;
}

/* C_Decrypt into `tmp` (sodium memory); a failed tag is INTEGRITY. */
static int gcm_open(struct skv_p11_kek *k, CK_MECHANISM *m, const uint8_t *wrapped,
                    size_t wrapped_len, uint8_t *tmp, CK_ULONG *tlen, struct skv_err *err)
{
    CK_RV rv;
    pthread_mutex_lock(&k->mu);
    rv = k->f->C_DecryptInit(k->s, m, k->key);
    if (rv == CKR_OK)
        rv = k->f->C_Decrypt(k->s, (CK_BYTE_PTR)wrapped, wrapped_len, tmp, tlen);
    pthread_mutex_unlock(&k->mu);
    if (rv == CKR_OK && *tlen == wrapped_len - SKV_SODIUM_TAG_LEN)
        return SKV_OK;
    if (tag_failed(k, rv))
        return skv_err_set(err, SKV_ERR_INTEGRITY, "PKCS#11 key '%.64s': the wrapped DEK "
                           "does not authenticate under it", k->label);
    return skv_err_set(err, SKV_ERR_IO, "PKCS#11 key '%.64s': AES-GCM unwrap failed inside "
                       "token '%s': %s (0x%lx)", k->label, k->token, skv_p11_rv_name(rv),
                       (unsigned long)rv);
}

int skv_p11_kek_unwrap(void *kek, const uint8_t *nonce, size_t nonce_len, const uint8_t *aad,
                       size_t aad_len, const uint8_t *wrapped, size_t wrapped_len,
                       uint8_t *dek_out, struct skv_err *err)
{
    struct skv_p11_kek *k = kek;
    CK_GCM_PARAMS p;
    CK_MECHANISM m;
    CK_ULONG tlen = GCM_SCRATCH;
    uint8_t *tmp;
    int rc = args_ok(kek, nonce_len, wrapped_len, SKV_SODIUM_TAG_LEN + 1, err);
    if (rc != SKV_OK || !wrapped || !dek_out || (!aad && aad_len))
        return rc != SKV_OK ? rc : skv_err_set(err, SKV_ERR_INVALID, "PKCS#11 KEK: NULL");
    if (!(tmp = sodium_malloc(GCM_SCRATCH)))
        return skv_err_set(err, SKV_ERR_NOMEM, "PKCS#11 KEK: out of secure memory");
    gcm_params(&p, &m, nonce, aad, aad_len);
    rc = gcm_open(k, &m, wrapped, wrapped_len, tmp, &tlen, err);
    if (rc == SKV_OK)
        memcpy(dek_out, tmp, wrapped_len - SKV_SODIUM_TAG_LEN);
    else
        sodium_memzero(dek_out, wrapped_len - SKV_SODIUM_TAG_LEN);
    sodium_free(tmp);   /* wipes */
    return rc;
}

void skv_p11_kek_close(void *kek)
{
    struct skv_p11_kek *k = kek;
    if (!k)
        return;
    skv_p11_disconnect(k);
    pthread_mutex_destroy(&k->mu);
    free(k);
}
