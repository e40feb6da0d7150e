/*
 * <sealkv/cipher.h> — cipher plugin ops: AEAD suites by name, prepared
 * keys, seal/open, CSPRNG.
 *
 * Suite names: "aes-256-gcm", "chacha20-poly1305" (IETF, 12-byte nonce).
 * A suite the plugin knows but cannot run on this machine (e.g. AES-GCM
 * without AES-NI in libsodium) is listed with available = 0 and key_new()
 * fails with SKV_ERR_UNSUPPORTED: never faked.
 *
 * Integrity: open() returns SKV_ERR_INTEGRITY when the tag does not verify
 * (wrong key, tampered ciphertext, tag, nonce or AAD). That code is never
 * remapped by anyone.
 *
 * Threads: all calls are safe from any thread. A key handle may be used
 * concurrently by several threads (seal/open don't mutate it).
 * Key bytes handed to key_new() are copied into protected memory; the
 * plugin wipes them in key_free() and fini().
 */
#ifndef SEALKV_CIPHER_H
#define SEALKV_CIPHER_H

#include <sealkv/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

struct skv_cipher_suite {
    uint32_t struct_size;
    const char *name;    /* static string owned by the plugin */
    uint32_t key_len;    /* bytes */
    uint32_t nonce_len;  /* bytes */
    uint32_t tag_len;    /* bytes */
    int available;       /* 0: known but not runnable here */
};

struct skv_cipher_ops {
    uint32_t struct_size;

    /* Number of suites the plugin knows. */
    unsigned (*suite_count)(void *state);

    /* Describe suite `i` (0 <= i < suite_count). The caller sets
     * out->struct_size; the plugin fills what fits. */
    int (*suite_get)(void *state, unsigned i, struct skv_cipher_suite *out);

    /* Prepare a key (precomputes the key schedule). `key` is copied;
     * the caller may wipe it right after. Errors: SKV_ERR_NOTFOUND unknown
     * suite, SKV_ERR_UNSUPPORTED unavailable suite, SKV_ERR_INVALID wrong
     * key length. */
    int (*key_new)(void *state, const char *suite, const uint8_t *key,
                   size_t key_len, void **key_handle, struct skv_err *err);

    /* Wipe and free. NULL is a no-op. */
    void (*key_free)(void *key_handle);

    /* Encrypt `pt` (pt_len bytes) into `out`, which has room for
     * pt_len + tag_len bytes: ciphertext then tag. `out` may equal `pt`.
     * nonce_len must equal the suite's. */
    int (*seal)(void *key_handle, const uint8_t *nonce, size_t nonce_len,
                const uint8_t *aad, size_t aad_len, const uint8_t *pt,
                size_t pt_len, uint8_t *out, struct skv_err *err);

    /* Decrypt `ct` (ciphertext then tag, ct_len >= tag_len) into `out`,
     * which has room for ct_len - tag_len bytes. `out` may equal `ct`.
     * SKV_ERR_INTEGRITY on authentication failure (out is then zeroed). */
    int (*open)(void *key_handle, const uint8_t *nonce, size_t nonce_len,
                const uint8_t *aad, size_t aad_len, const uint8_t *ct,
                size_t ct_len, uint8_t *out, struct skv_err *err);

    /* Fill `buf` with `len` bytes from a CSPRNG. */
    int (*random)(void *state, void *buf, size_t len, struct skv_err *err);
};

#ifdef __cplusplus
}
#endif
#endif /* SEALKV_CIPHER_H */
