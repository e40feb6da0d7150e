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
 *
 * Key provider (since 1.3, optional). A plugin may keep a key-encryption
 * key (KEK) outside the host — in an HSM through PKCS#11 — and wrap and
 * unwrap the host's data keys (DEKs) with it, so the KEK's bytes never
 * reach the host's memory. The host opens such a KEK by reference
 * (kek_open with a struct skv_cipher_kek_ref), then hands it DEKs to wrap
 * and wrapped DEKs to unwrap. The wrapped form is the host's, as for a
 * file KEK: [nonce 12][ciphertext 32][tag 16], AES-256-GCM, the nonce
 * drawn by the host with random() (a fresh random nonce per wrap), the
 * AAD the host's. A plugin without the four kek_* members has no
 * provider; the host then refuses a configured provider KEK at start
 * with ErrKEKProviderUnsupported and keeps using file KEKs.
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

/* Key provider (since 1.3): the length of a provider KEK's id, in
 * lowercase hex characters without the NUL (the same as a file KEK's). */
#define SKV_CIPHER_KEK_ID_LEN 32 /* since 1.3 */

/* Key provider (since 1.3): which step of kek_open() failed, so the host
 * can name the error precisely (ErrPKCS11ModuleMissing, ...). */
#define SKV_CIPHER_KEK_FAIL_OTHER 0     /* since 1.3: anything else */
#define SKV_CIPHER_KEK_FAIL_MODULE 1    /* since 1.3: library missing or unusable */
#define SKV_CIPHER_KEK_FAIL_TOKEN 2     /* since 1.3: no token with that label */
#define SKV_CIPHER_KEK_FAIL_PIN 3       /* since 1.3: PIN refused (wrong, locked) */
#define SKV_CIPHER_KEK_FAIL_KEY 4       /* since 1.3: no usable key with that label */
#define SKV_CIPHER_KEK_FAIL_MECHANISM 5 /* since 1.3: the token lacks AES-GCM/-ECB */

/* Key provider (since 1.3): where a provider KEK is. Filled by the host,
 * read by the plugin during kek_open() only (every pointer is owned by
 * the host and valid until kek_open returns; the plugin copies what it
 * keeps and never keeps the PIN). */
struct skv_cipher_kek_ref {          /* since 1.3 */
    uint32_t struct_size;            /* sizeof, set by the host */
    const char *provider;            /* "pkcs11" (the only one so far) */
    const char *module;              /* path of the PKCS#11 module (.so) */
    const char *token_label;         /* the token's CKA label, <= 32 bytes */
    const char *key_label;           /* the secret key's CKA_LABEL */
    const uint8_t *pin;              /* user PIN bytes (not NUL-terminated), */
    size_t pin_len;                  /*   in the host's protected memory */
};

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

    /* ---- since 1.3: key provider (optional; all four or none) ---- */

    /* Open the KEK that `ref` names: load the provider (e.g. dlopen the
     * PKCS#11 module), log in with ref->pin, find the key, check that it
     * can wrap, and write its public id — SKV_CIPHER_KEK_ID_LEN lowercase
     * hex characters and a NUL, a fingerprint computed inside the
     * provider that names this key without revealing it — into `id`.
     * Loop thread, at start-up only; it may block for the provider's
     * login. On failure *failed (may be NULL) is one of
     * SKV_CIPHER_KEK_FAIL_*, err says which module/token/key, never the
     * PIN. Errors: SKV_ERR_INVALID (a NULL argument, a ref whose
     * struct_size does not cover pin_len), SKV_ERR_NOTFOUND (module,
     * token, key), SKV_ERR_UNSUPPORTED (provider name, mechanism),
     * SKV_ERR_CONFIG (PIN), SKV_ERR_IO (anything else). */
    int (*kek_open)(void *state, const struct skv_cipher_kek_ref *ref,
                    void **kek, char *id, int *failed,
                    struct skv_err *err); /* since 1.3 */

    /* Seal the DEK `dek` (dek_len bytes, 32) under the KEK with AES-256-GCM
     * and the host's `nonce` (12 bytes) and `aad`, inside the provider,
     * into `out` (dek_len + 16 bytes: ciphertext then tag). Any thread,
     * concurrently (the plugin serialises what the provider needs); may
     * block for a round trip to the provider. */
    int (*kek_wrap)(void *kek, const uint8_t *nonce, size_t nonce_len,
                    const uint8_t *aad, size_t aad_len, const uint8_t *dek,
                    size_t dek_len, uint8_t *out,
                    struct skv_err *err); /* since 1.3 */

    /* Open `wrapped` (ciphertext then tag, wrapped_len >= 16) into
     * `dek_out` (wrapped_len - 16 bytes, the host's protected memory).
     * SKV_ERR_INTEGRITY when the tag does not verify (another KEK, other
     * AAD, altered bytes; dek_out is then zeroed): the host tries its
     * next KEK. Threads and blocking as kek_wrap. */
    int (*kek_unwrap)(void *kek, const uint8_t *nonce, size_t nonce_len,
                      const uint8_t *aad, size_t aad_len, const uint8_t *wrapped,
                      size_t wrapped_len, uint8_t *dek_out,
                      struct skv_err *err); /* since 1.3 */

    /* Log out, close and free the KEK handle; NULL is a no-op. Called
     * once, on the loop thread, after every kek_wrap/kek_unwrap on it
     * returned, and before fini(). */
    void (*kek_close)(void *kek); /* since 1.3 */
};

#ifdef __cplusplus
}
#endif
#endif /* SEALKV_CIPHER_H */
