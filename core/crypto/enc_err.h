/* SPDX-License-Identifier: MIT */
/*
 * enc_err.h — errors of the encryption layer (kek, keystore, envelope,
 * nonce): an enum skv_rc plus a message like everywhere else, and a
 * `why` naming the precise failure so the admin layer can answer with a
 * stable error name (ErrKEKFilePermissions, ... from util/errors.def). Messages never hold
 * key bytes.
 */
#ifndef SKV_ENC_ERR_H
#define SKV_ENC_ERR_H

#include <sealkv/plugin.h>

/* Which failure; skv_enc_errname() maps each to its stable name. */
enum skv_enc_why {
    SKV_ENC_OK = 0,
    SKV_ENC_INVALID_ARGUMENT,      /* caller bug: NULL, bad purpose... */
    SKV_ENC_NOMEM,
    SKV_ENC_CIPHER,                /* the cipher plugin failed (not INTEGRITY) */
    SKV_ENC_KEK_MISSING,           /* SEALKV_KEK_BASE64 not set */
    SKV_ENC_KEK_FILE_MISSING,      /* no such file */
    SKV_ENC_KEK_FILE_NOT_REGULAR,  /* directory, symlink, device, fifo */
    SKV_ENC_KEK_FILE_PERMISSIONS,  /* mode other than 0600/0400 */
    SKV_ENC_KEK_FILE_OWNER,        /* not owned by the effective user */
    SKV_ENC_KEK_FILE_UNREADABLE,   /* open/stat/read failed */
    SKV_ENC_KEK_INVALID,           /* wrong length, bad base64 */
    SKV_ENC_KEK_NOT_GIVEN,         /* a KEK id this node does not hold */
    SKV_ENC_DEK_INVALID,           /* bad key_id/purpose/suite/wrapped length */
    SKV_ENC_DEK_UNWRAP,            /* INTEGRITY: wrong KEK, purpose, key_id, tamper */
    SKV_ENC_DEK_CONFLICT,          /* key_id already holds different bytes */
    SKV_ENC_SUITE_UNSUPPORTED,     /* suite unknown, unavailable or not 32/12/16 */
    SKV_ENC_UNKNOWN_KEY_ID,        /* envelope names a key_id we don't hold */
    SKV_ENC_ENVELOPE_TOO_SHORT,
    SKV_ENC_ENVELOPE_VERSION,
    SKV_ENC_ENVELOPE_FLAGS,
    SKV_ENC_ENVELOPE_PURPOSE,      /* key_id belongs to the other purpose */
    SKV_ENC_ENVELOPE_INTEGRITY,    /* INTEGRITY: tag mismatch */
    SKV_ENC_ENVELOPE_TOO_BIG,      /* output buffer too small / size overflow */
    SKV_ENC_WRITE_COUNTER_EXHAUSTED,
    SKV_ENC_LOCAL_EPOCH_EXHAUSTED,
    SKV_ENC_LOCAL_EPOCH_OUT_OF_RANGE,
    /* a KEK in an HSM (kek_provider.c, <sealkv/cipher.h> "Key provider") */
    SKV_ENC_KEK_PROVIDER_UNSUPPORTED, /* the cipher plugin has no key provider */
    SKV_ENC_PKCS11_MODULE,         /* module missing or not a PKCS#11 module */
    SKV_ENC_PKCS11_TOKEN,          /* no token with that label */
    SKV_ENC_PKCS11_PIN,            /* PIN refused (wrong, locked) */
    SKV_ENC_PKCS11_KEY,            /* key missing, ambiguous, extractable, not AES-256 */
    SKV_ENC_PKCS11_MECHANISM,      /* token lacks CKM_AES_GCM / CKM_AES_ECB */
    SKV_ENC_PKCS11,                /* any other PKCS#11 failure */
    SKV_ENC_WHY_COUNT_
};

struct skv_enc_err {
    struct skv_err err;   /* code (== the call's return) and message */
    int why;              /* enum skv_enc_why */
};

/* Stable catalogue name of `why` (ErrKEKFilePermissions); NULL for
 * SKV_ENC_OK, ErrInternal for an unknown value. Static strings. */
const char *skv_enc_errname(int why);

/* Fill `e` (may be NULL) and return `code`. */
int skv_enc_fail(struct skv_enc_err *e, int code, int why, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reset `e` (may be NULL) to success. */
void skv_enc_err_clear(struct skv_enc_err *e);

#endif /* SKV_ENC_ERR_H */
