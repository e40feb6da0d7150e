/* SPDX-License-Identifier: MIT */
/*
 * <sealkv/cipher.h> — cipher plugin ops: AEAD suites by name, prepared
 * keys, seal/open, CSPRNG. Everything below is a rule the core relies on;
 * a plugin that follows them loads, one that does not is refused at load
 * time (so `sealkvd --check-config` refuses it too).
 *
 * Suites. A plugin lists any number of suites (suite_count/suite_get) with
 * their sizes, but the core uses only a suite with exactly
 * SKV_CIPHER_KEY_LEN (32) byte keys, SKV_CIPHER_NONCE_LEN (12) byte nonces
 * and SKV_CIPHER_TAG_LEN (16) byte tags: its envelopes, key wrapping and
 * nonce layout have these sizes fixed. Reference names:
 * "aes-256-gcm", "chacha20-poly1305" (IETF, 12-byte nonce). A suite with
 * other sizes (e.g. XChaCha20-Poly1305's 24-byte nonce) may be listed but
 * cannot be selected.
 *
 * Which suite runs. The core reads the plugin's option `suite` (plugins:
 * cipher: options: suite: NAME) itself; the plugin must read it as well
 * (host->opt_string, "suite") or the host refuses the option as unknown.
 * With `suite` set, that suite is used; the loader refuses the plugin if
 * the plugin does not list it or lists it with sizes other than 32/12/16.
 * Without it, the core picks the first available of "aes-256-gcm",
 * "chacha20-poly1305" that has those sizes, and the loader refuses a
 * plugin that offers neither. The selection is made once, at start.
 *
 * Availability. A suite the plugin knows but cannot run on this machine
 * (e.g. AES-GCM without AES-NI in libsodium) is listed with available = 0
 * and key_new() fails with SKV_ERR_UNSUPPORTED: never faked.
 *
 * Nonces. The core owns them: it builds every nonce (a per-node, per-key,
 * per-process-epoch counter layout, see docs/NONCES.md), never repeats one
 * under a key and passes it to seal()/open(). A plugin never generates,
 * stores, caches or checks nonces for uniqueness; it only checks that
 * nonce_len is the suite's. random() is used for keys and salts, not
 * nonces.
 *
 * Integrity: open() returns SKV_ERR_INTEGRITY when the tag does not verify
 * (wrong key, tampered ciphertext, tag, nonce or AAD). That code is never
 * remapped by anyone; the core halts on it.
 *
 * Threads: init/fini on the loop thread; every op (suite_count, suite_get,
 * key_new, key_free, seal, open, random) may be called from any thread,
 * concurrently, without locks held by the core. A key handle may be used
 * concurrently by several threads (seal/open don't mutate it); key_free()
 * is called once, after every use of that handle has returned. No op may
 * block for long or call back into the host.
 * Key bytes handed to key_new() are copied into protected memory; the
 * plugin wipes them in key_free() and fini().
 */
#ifndef SEALKV_CIPHER_H
#define SEALKV_CIPHER_H

#include <sealkv/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The only sizes the core accepts for the selected suite (bytes). Fixed
 * for the whole major: changing them is an ABI break (docs/ABI.md). The
 * macros are new in 1.1; the sizes they name were already the only ones
 * 1.0 accepted. */
#define SKV_CIPHER_KEY_LEN 32   /* since 1.1 */
#define SKV_CIPHER_NONCE_LEN 12 /* since 1.1 */
#define SKV_CIPHER_TAG_LEN 16   /* since 1.1 */

/* The option the core reads from the cipher plugin's options. */
#define SKV_CIPHER_OPT_SUITE "suite" /* since 1.1 */

struct skv_cipher_suite {
    uint32_t struct_size;
    const char *name;    /* static string owned by the plugin */
    uint32_t key_len;    /* bytes; the core selects only 32 */
    uint32_t nonce_len;  /* bytes; the core selects only 12 */
    uint32_t tag_len;    /* bytes; the core selects only 16 */
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
     * nonce_len must equal the suite's (SKV_ERR_INVALID otherwise); the
     * nonce comes from the core, which never repeats it under a key. */
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
