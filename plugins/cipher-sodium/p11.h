/* SPDX-License-Identifier: MIT */
/*
 * p11.h — private: the PKCS#11 key provider of the cipher-sodium plugin
 * (<sealkv/cipher.h> "Key provider", since 1.3). A provider KEK is an
 * AES-256 secret key inside a token: the module is dlopen'ed when the
 * host opens the KEK (never otherwise), the key is found by label, must
 * be sensitive and non-extractable, and DEKs are sealed and opened with
 * CKM_AES_GCM inside the token. The KEK's id is a fingerprint the token
 * computes (p11_key.c). Shared by p11_open.c (module, token, login),
 * p11_key.c (key, mechanisms, fingerprint) and p11_gcm.c (wrap, unwrap,
 * close).
 */
#ifndef SKV_P11_H
#define SKV_P11_H

#include <pthread.h>

#include <p11-kit/pkcs11.h>
#include <sealkv/cipher.h>

#include "cipher_sodium.h"

/* A loaded PKCS#11 module, shared by the KEKs of one plugin instance
 * that name the same path (struct skv_sodium.p11_mods, under p11_mu):
 * C_Initialize'd by the first, C_Finalize'd and dlclose'd by the last. */
struct skv_p11_module {
    char *path;
    void *dl;                    /* dlopen handle */
    CK_FUNCTION_LIST_PTR f;
    int finalize;                /* we initialised it (not someone else) */
    unsigned refs;
    struct skv_p11_module *next;
};

/* One open provider KEK: a logged-in session on the token and the key's
 * object handle. `mu` serialises the session (a PKCS#11 session runs one
 * operation at a time); the handle is otherwise read-only after open.
 * Closing its session logs the process out of the token only when it was
 * the token's last session (PKCS#11 login is per process and token). */
struct skv_p11_kek {
    struct skv_sodium *owner;    /* the instance whose module table holds `mod` */
    struct skv_p11_module *mod;
    CK_FUNCTION_LIST_PTR f;      /* mod->f */
    CK_SLOT_ID slot;
    CK_SESSION_HANDLE s;
    int session_open;
    CK_OBJECT_HANDLE key;
    pthread_mutex_t mu;
    char token[33], label[65];   /* for messages (no secret) */
};

/* p11_open.c: a message for a CK_RV ("CKR_PIN_INCORRECT" or "CKR 0x..."). */
const char *skv_p11_rv_name(CK_RV rv);
/* p11_open.c: load the module, initialise it, find the token by label,
 * open a session and log in with the PIN. *failed as in kek_open. */
int skv_p11_connect(struct skv_p11_kek *k, const struct skv_cipher_kek_ref *ref,
                    int *failed, struct skv_err *err);
/* p11_open.c: close the session, release the module (the last user
 * finalizes and dlcloses it). */
void skv_p11_disconnect(struct skv_p11_kek *k);

/* p11_key.c: find ref->key_label, check it (AES-256, sensitive, not
 * extractable, encrypt/decrypt) and the token's mechanisms, and write the
 * id (SKV_CIPHER_KEK_ID_LEN hex + NUL). */
int skv_p11_find_key(struct skv_p11_kek *k, const char *key_label, char *id,
                     int *failed, struct skv_err *err);

/* The ops table members (p11_gcm.c, p11_key.c). */
int skv_p11_kek_open(void *state, const struct skv_cipher_kek_ref *ref, void **kek,
                     char *id, int *failed, struct skv_err *err);
int skv_p11_kek_wrap(void *kek, const uint8_t *nonce, size_t nonce_len,
                     const uint8_t *aad, size_t aad_len, const uint8_t *dek,
                     size_t dek_len, uint8_t *out, struct skv_err *err);
int skv_p11_kek_unwrap(void *kek, const uint8_t *nonce, size_t nonce_len,
                       const uint8_t *aad, size_t aad_len, const uint8_t *wrapped,
                       size_t wrapped_len, uint8_t *dek_out, struct skv_err *err);
void skv_p11_kek_close(void *kek);

#endif /* SKV_P11_H */
