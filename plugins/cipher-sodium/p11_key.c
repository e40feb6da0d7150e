/* SPDX-License-Identifier: MIT */
/*
 * p11_key.c — the PKCS#11 provider's KEK: kek_open (connect, find the key,
 * check it), the checks themselves (exactly one AES secret key with the
 * label, 32 bytes, sensitive, not extractable, allowed to encrypt and
 * decrypt; the token offers CKM_AES_GCM and CKM_AES_ECB) and the KEK id:
 *   BLAKE2b-128(personal = "sealkv-p11-kekid", in = "kek-id v1" ‖ E)
 * where E = AES-ECB_KEK("sealkv-kek-id-v1"), one block computed inside the
 * token (a key check value, hashed so that not even E leaves the plugin).
 */
#include "cipher_sodium.h"
#include "p11.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char KCV_BLOCK[16] = {'s', 'e', 'a', 'l', 'k', 'v', '-', 'k',
                                   'e', 'k', '-', 'i', 'd', '-', 'v', '1'};

static int key_fail(int *failed, int why, struct skv_err *err, int code, const char *what,
                    const struct skv_p11_kek *k)
{
    *failed = why;
    return skv_err_set(err, code, "PKCS#11 key '%.64s' in token '%s': %s", k->label,
                       k->token, what);
}

/* Exactly one AES secret key labelled `label`. */
static int find_object(struct skv_p11_kek *k, const char *label, int *failed,
                       struct skv_err *err)
{
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_AES;
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_KEY_TYPE, &kt, sizeof kt},
                        {CKA_LABEL, (void *)label, strlen(label)}};
    CK_OBJECT_HANDLE found[2];
    CK_ULONG n = 0;
    CK_RV rv = k->f->C_FindObjectsInit(k->s, t, 3);
    if (rv == CKR_OK) {
        rv = k->f->C_FindObjects(k->s, found, 2, &n);
        k->f->C_FindObjectsFinal(k->s);
    }
    if (rv != CKR_OK)
        return key_fail(failed, SKV_CIPHER_KEK_FAIL_OTHER, err, SKV_ERR_IO,
                        "C_FindObjects failed", k);
    if (n == 0)
        return key_fail(failed, SKV_CIPHER_KEK_FAIL_KEY, err, SKV_ERR_NOTFOUND,
                        "not found (no AES secret key with that label)", k);
    if (n > 1)
        return key_fail(failed, SKV_CIPHER_KEK_FAIL_KEY, err, SKV_ERR_NOTFOUND,
                        "the label names more than one AES key: make it unique", k);
    k->key = found[0];
    return SKV_OK;
}

/* AES-256, sensitive, never extractable, allowed to encrypt and decrypt. */
static int check_attrs(struct skv_p11_kek *k, int *failed, struct skv_err *err)
{
    CK_ULONG len = 0;
    CK_BBOOL sens = CK_FALSE, extr = CK_TRUE, enc = CK_FALSE, dec = CK_FALSE;
    CK_ATTRIBUTE t[] = {{CKA_VALUE_LEN, &len, sizeof len}, {CKA_SENSITIVE, &sens, sizeof sens},
                        {CKA_EXTRACTABLE, &extr, sizeof extr}, {CKA_ENCRYPT, &enc, sizeof enc},
                        {CKA_DECRYPT, &dec, sizeof dec}};
    if (k->f->C_GetAttributeValue(k->s, k->key, t, 5) != CKR_OK)
        return key_fail(failed, SKV_CIPHER_KEK_FAIL_KEY, err, SKV_ERR_IO,
                        "cannot read its attributes", k);
    if (len != SKV_SODIUM_KEY_LEN)
        return key_fail(failed, SKV_CIPHER_KEK_FAIL_KEY, err, SKV_ERR_UNSUPPORTED,
                        "not an AES-256 key (CKA_VALUE_LEN must be 32)", k);
    if (!sens || extr)
        return key_fail(failed, SKV_CIPHER_KEK_FAIL_KEY, err, SKV_ERR_CONFIG,
                        "refused: the KEK must be CKA_SENSITIVE and not CKA_EXTRACTABLE "
                        "(generate it inside the token)", k);
    if (!enc || !dec)
        return key_fail(failed, SKV_CIPHER_KEK_FAIL_KEY, err, SKV_ERR_CONFIG,
                        "CKA_ENCRYPT and CKA_DECRYPT must both be true", k);
    return SKV_OK;
}

static int check_mech(struct skv_p11_kek *k, CK_MECHANISM_TYPE m, CK_FLAGS need,
                      const char *name, int *failed, struct skv_err *err)
{
    CK_MECHANISM_INFO mi;
    if (k->f->C_GetMechanismInfo(k->slot, m, &mi) == CKR_OK && (mi.flags & need) == need)
        return SKV_OK;
    *failed = SKV_CIPHER_KEK_FAIL_MECHANISM;
    return skv_err_set(err, SKV_ERR_UNSUPPORTED, "PKCS#11 token '%s' does not support %s "
                       "(needed to wrap DEKs and to fingerprint the KEK)", k->token, name);
}

/* kek_id: see the top of the file. */
static int fingerprint(struct skv_p11_kek *k, char *id, int *failed, struct skv_err *err)
{
    static const unsigned char personal[crypto_generichash_blake2b_PERSONALBYTES] =
        "sealkv-p11-kekid";
    CK_MECHANISM m = {CKM_AES_ECB, NULL, 0};
    unsigned char e[32], in[9 + 16], out[SKV_CIPHER_KEK_ID_LEN / 2];
    CK_ULONG elen = sizeof e;
    CK_RV rv = k->f->C_EncryptInit(k->s, &m, k->key);
    if (rv == CKR_OK)
        rv = k->f->C_Encrypt(k->s, (CK_BYTE_PTR)KCV_BLOCK, 16, e, &elen);
    if (rv != CKR_OK || elen != 16) {
        *failed = rv == CKR_KEY_FUNCTION_NOT_PERMITTED || rv == CKR_MECHANISM_INVALID ?
            SKV_CIPHER_KEK_FAIL_MECHANISM : SKV_CIPHER_KEK_FAIL_OTHER;
        return skv_err_set(err, SKV_ERR_UNSUPPORTED, "PKCS#11 key '%.64s': cannot compute "
                           "its id with CKM_AES_ECB: %s (0x%lx)", k->label,
                           skv_p11_rv_name(rv), (unsigned long)rv);
    }
    memcpy(in, "kek-id v1", 9);
    memcpy(in + 9, e, 16);
    crypto_generichash_blake2b_salt_personal(out, sizeof out, in, sizeof in, NULL, 0,
                                             NULL, personal);
    sodium_bin2hex(id, SKV_CIPHER_KEK_ID_LEN + 1, out, sizeof out);
    sodium_memzero(e, sizeof e);
    sodium_memzero(in, sizeof in);
    return SKV_OK;
}

int skv_p11_find_key(struct skv_p11_kek *k, const char *key_label, char *id, int *failed,
                     struct skv_err *err)
{
    int rc;
    if (strlen(key_label) == 0 || strlen(key_label) >= sizeof k->label) {
        *failed = SKV_CIPHER_KEK_FAIL_KEY;
        return skv_err_set(err, SKV_ERR_NOTFOUND, "PKCS#11 key label must be 1 to %zu "
                           "bytes", sizeof k->label - 1);
    }
    memcpy(k->label, key_label, strlen(key_label) + 1);
    if ((rc = check_mech(k, CKM_AES_GCM, CKF_ENCRYPT | CKF_DECRYPT, "CKM_AES_GCM", failed,
                         err)) != SKV_OK ||
        (rc = check_mech(k, CKM_AES_ECB, CKF_ENCRYPT, "CKM_AES_ECB", failed, err)) != SKV_OK ||
        (rc = find_object(k, key_label, failed, err)) != SKV_OK ||
        (rc = check_attrs(k, failed, err)) != SKV_OK)
        return rc;
    return fingerprint(k, id, failed, err);
}

static int ref_ok(const struct skv_cipher_kek_ref *ref, void **kek, char *id,
                  struct skv_err *err)
{
    if (!ref || !kek || !id ||
        !SKV_COVERS(ref, struct skv_cipher_kek_ref, pin_len))
        return skv_err_set(err, SKV_ERR_INVALID, "cipher-sodium: bad KEK reference");
    if (!ref->provider || strcmp(ref->provider, "pkcs11") != 0)
        return skv_err_set(err, SKV_ERR_UNSUPPORTED, "cipher-sodium: unknown key provider "
                           "'%.32s' (only pkcs11)", ref->provider ? ref->provider : "");
    if (!ref->module || !ref->token_label || !ref->key_label || (!ref->pin && ref->pin_len))
        return skv_err_set(err, SKV_ERR_INVALID, "cipher-sodium: incomplete PKCS#11 "
                           "KEK reference");
    return SKV_OK;
}

int skv_p11_kek_open(void *state, const struct skv_cipher_kek_ref *ref, void **kek,
                     char *id, int *failed, struct skv_err *err)
{
    struct skv_p11_kek *k;
    int dummy, rc;
    if (!state)
        return skv_err_set(err, SKV_ERR_INVALID, "cipher-sodium: state is NULL");
    if (!failed)
        failed = &dummy;
    *failed = SKV_CIPHER_KEK_FAIL_OTHER;
    if ((rc = ref_ok(ref, kek, id, err)) != SKV_OK)
        return rc;
    *kek = NULL;
    if (!(k = calloc(1, sizeof *k)))
        return skv_err_set(err, SKV_ERR_NOMEM, "cipher-sodium: out of memory");
    if (pthread_mutex_init(&k->mu, NULL) != 0) {
        free(k);
        return skv_err_set(err, SKV_ERR_NOMEM, "cipher-sodium: cannot create a mutex");
    }
    k->owner = state;
    if ((rc = skv_p11_connect(k, ref, failed, err)) == SKV_OK)
        rc = skv_p11_find_key(k, ref->key_label, id, failed, err);
    if (rc != SKV_OK) {
        skv_p11_kek_close(k);
        return rc;
    }
    *kek = k;
    return SKV_OK;
}
