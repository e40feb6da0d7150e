/* SPDX-License-Identifier: MIT */
/*
 * cipher_sodium.h — private declarations shared by the files of the
 * libsodium cipher plugin: the instance, the suite table, prepared keys
 * and the ops each file implements. Nothing here is exported (the plugin
 * is built with -fvisibility=hidden; only sealkv_plugin_v1 is public).
 */
#ifndef SKV_CIPHER_SODIUM_H
#define SKV_CIPHER_SODIUM_H

#include <pthread.h>
#include <sealkv/cipher.h>
#include <sodium.h>

/* Every suite we run has these sizes (envelope v1 needs 12-byte nonces). */
#define SKV_SODIUM_KEY_LEN 32u
#define SKV_SODIUM_NONCE_LEN 12u
#define SKV_SODIUM_TAG_LEN 16u

enum skv_sodium_alg { SKV_SODIUM_AES256GCM = 0, SKV_SODIUM_CHACHA20POLY1305 = 1 };

/* One entry of the static, read-only suite table. */
struct skv_sodium_suite {
    const char *name;
    enum skv_sodium_alg alg;
    uint32_t key_len, nonce_len, tag_len;
    size_t max_pt;   /* libsodium's message size limit for the suite */
};

struct skv_p11_module;   /* p11.h */

/* Plugin instance (holds no secret). */
struct skv_sodium {
    int aes_available;             /* crypto_aead_aes256gcm_is_available() */
    const char *preferred_suite;   /* static name from the suite table */
    /* p11_open.c: the PKCS#11 modules the open provider KEKs use, one
     * entry per module path, reference counted (a module is initialised
     * and finalised once per process, whatever number of KEKs use it). */
    pthread_mutex_t p11_mu;
    struct skv_p11_module *p11_mods;
};

/*
 * A prepared key: one sodium_malloc block (guard pages, mlocked, wiped by
 * sodium_free), read-only after key_new. The AES state must be 16-byte
 * aligned; sodium_malloc places the block so that it ends at a page
 * boundary, so a size that is a multiple of 16 keeps that alignment (the
 * struct's size is, because of the aligned member; key_new verifies).
 */
struct skv_sodium_key {
    crypto_aead_aes256gcm_state aes;        /* AES-GCM only */
    unsigned char key[SKV_SODIUM_KEY_LEN];  /* ChaCha20-Poly1305 only */
    const struct skv_sodium_suite *suite;
};

/* suites.c */
unsigned skv_sodium_suite_count(void *state);
int skv_sodium_suite_get(void *state, unsigned i,
                         struct skv_cipher_suite *out);
const struct skv_sodium_suite *skv_sodium_suite_find(const char *name);
int skv_sodium_suite_available(const struct skv_sodium *s,
                               const struct skv_sodium_suite *suite);
/* "aes-256-gcm, chacha20-poly1305" for messages. */
const char *skv_sodium_suite_names(void);

/* keys.c */
int skv_sodium_key_new(void *state, const char *suite, const uint8_t *key,
                       size_t key_len, void **key_handle,
                       struct skv_err *err);
void skv_sodium_key_free(void *key_handle);

/* aead.c */
int skv_sodium_seal(void *key_handle, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *aad, size_t aad_len, const uint8_t *pt,
                    size_t pt_len, uint8_t *out, struct skv_err *err);
int skv_sodium_open(void *key_handle, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *aad, size_t aad_len, const uint8_t *ct,
                    size_t ct_len, uint8_t *out, struct skv_err *err);

#endif /* SKV_CIPHER_SODIUM_H */
