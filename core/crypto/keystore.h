/* SPDX-License-Identifier: MIT */
/*
 * keystore.h — the KEK plus the table of data-encryption keys (DEKs) by
 * key_id, with DEK wrap/unwrap under the KEK. All AEAD goes through the
 * cipher plugin (struct skv_cipher_ops).
 *
 * Wrapped DEK (60 bytes): [nonce 12][ciphertext 32][tag 16], sealed with
 * the KEK under the DEK's own suite (so a node that can use the DEK can
 * also unwrap it), random nonce from the plugin CSPRNG (KEK wraps are
 * rare), AAD = 'K' ‖ purpose u8 ‖ key_id u32 BE. Unwrapping under a wrong
 * KEK, purpose or key_id, or of altered bytes, fails with
 * SKV_ERR_INTEGRITY (ErrDEKUnwrapFailed), never remapped.
 *
 * Raw DEK bytes exist only in sodium_malloc memory and only until the
 * plugin's key_new() has copied them. DEKs are generated on the leader
 * (skv_keystore_new_dek) and reach every replica through Raft
 * (skv_keystore_add_wrapped) — never generated locally per node.
 *
 * Envelope v2 subkeys (keystore_sub.c, docs/NONCES.md): when a DEK enters
 * the keystore it gets this process's random 16-byte salt (plugin CSPRNG)
 * and its seal subkey
 *   BLAKE2b-256(key = DEK, salt = salt, personal = "sealkv-env-v2"‖0⁰³,
 *               in = purpose u8 ‖ key_id u32 BE)
 * (libsodium crypto_generichash_blake2b_salt_personal: keyed BLAKE2b is a
 * PRF, the crypto_kdf construction). Every v2 envelope this process seals
 * under that DEK uses the subkey, so (subkey, nonce) pairs never repeat
 * across processes whatever happened to the local state. Subkeys for
 * other salts (envelopes sealed by other processes) are derived on demand
 * from a re-unwrap of the DEK and kept in a bounded LRU cache. Raw
 * subkey bytes, like DEK bytes, exist only briefly in sodium_malloc memory.
 *
 * KEK ring (kek_ring.c, issue 13 KEK rotation): the keystore holds the
 * node's current KEK (encryption.kek_file) and the KEKs it still accepts
 * (encryption.previous_kek_files, or the old one after a rewrap in this
 * process). New wraps use the current KEK; an unwrap tries the current
 * one first, then the others (the AEAD tag tells which is right). Each
 * DEK remembers the id of the KEK that opened its wrapped bytes.
 *
 * Threads: skv_keystore_get / add_wrapped / new_dek / wrap / unwrap and
 * the subkey calls are safe from any thread. Entries are never removed before
 * skv_keystore_free (skv_keystore_forget only hides one), so a pointer from skv_keystore_get stays valid until
 * then. Free the keystore before unloading the cipher plugin.
 */
#ifndef SKV_KEYSTORE_H
#define SKV_KEYSTORE_H

#include <sealkv/cipher.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/purpose.h"

#include "crypto/enc_err.h"
#include "crypto/kek.h"

#define SKV_DEK_LEN 32
#define SKV_DEK_NONCE_LEN 12
#define SKV_DEK_TAG_LEN 16
#define SKV_DEK_WRAPPED_LEN (SKV_DEK_NONCE_LEN + SKV_DEK_LEN + SKV_DEK_TAG_LEN)
#define SKV_SUITE_NAME_MAX 32   /* including the NUL */
#define SKV_SALT_LEN 16          /* envelope v2 per-process salt */
#define SKV_SUBKEY_CACHE_MAX 64  /* (key_id, salt) subkeys kept per keystore */
#define SKV_KEK_RING_MAX 8       /* KEKs held: current + accepted */


/* "storage", "raft" or "unknown". */
const char *skv_purpose_name(int purpose);

/* One DEK of the table (read-only for users of the keystore). */
struct skv_dek {
    uint32_t key_id;                     /* non-zero */
    int purpose;                         /* enum skv_key_purpose */
    char suite[SKV_SUITE_NAME_MAX];      /* e.g. "aes-256-gcm" */
    void *handle;                        /* plugin key handle (keystore owns) */
    uint8_t wrapped[SKV_DEK_WRAPPED_LEN];
    uint8_t salt[SKV_SALT_LEN];          /* this process's v2 salt for the DEK */
    void *seal_handle;                   /* plugin handle of the subkey for `salt` */
    char kek_id[SKV_KEK_ID_HEX + 1];     /* the KEK that opened `wrapped` */
    _Atomic int forgotten;               /* skv_keystore_forget: get() no longer finds it */
};

struct skv_subkey;   /* a cached (key_id, salt) subkey, reference counted */

struct skv_keystore;   /* opaque */

/* Create a keystore over a loaded cipher plugin (`ops`, `cstate`: its ops
 * table and instance state). Takes ownership of `kek` even on failure. */
int skv_keystore_new(const struct skv_cipher_ops *ops, void *cstate,
                     struct skv_kek *kek, struct skv_keystore **out,
                     struct skv_enc_err *e);

/* Free every plugin key handle, wipe the table and the KEK. NULL: no-op. */
void skv_keystore_free(struct skv_keystore *ks);

const struct skv_cipher_ops *skv_keystore_ops(const struct skv_keystore *ks);

/* Wrap the SKV_DEK_LEN bytes at `dek` under the current KEK into `wrapped`. */
int skv_keystore_wrap(struct skv_keystore *ks, int purpose, uint32_t key_id,
                      const char *suite, const uint8_t *dek,
                      uint8_t wrapped[SKV_DEK_WRAPPED_LEN],
                      struct skv_enc_err *e);

/* Unwrap into `dek_out` (SKV_DEK_LEN bytes; give it sodium_malloc memory
 * and wipe it) under any KEK held, the current one first. `dek_out` is
 * zeroed on failure. */
int skv_keystore_unwrap(struct skv_keystore *ks, int purpose, uint32_t key_id,
                        const char *suite, const uint8_t *wrapped,
                        size_t wrapped_len, uint8_t *dek_out,
                        struct skv_enc_err *e);

/* Unwrap and prepare a DEK (plugin key_new), then add it to the table.
 * Adding the same key_id again with identical purpose, suite and DEK
 * (the same wrapped bytes, or other bytes that unwrap to the same DEK: a
 * node that rewrapped under another KEK) is a no-op success (an entry
 * replayed after restart); with anything different it is ErrDEKConflict.
 * key_id 0 is refused. */
int skv_keystore_add_wrapped(struct skv_keystore *ks, uint32_t key_id,
                             int purpose, const char *suite,
                             const uint8_t *wrapped, size_t wrapped_len,
                             struct skv_enc_err *e);

/* Retire (docs/NONCES.md "Retire"): from now on skv_keystore_get does
 * not find key_id (nothing opens or seals under it; an envelope naming it
 * is ErrUnknownKeyID) and its cached subkeys are dropped. The entry and
 * its plugin handles stay until skv_keystore_free (pointers from
 * skv_keystore_get stay valid: another thread may still be using one).
 * A later skv_keystore_add_wrapped of the same DEK (a snapshot that still
 * carries it) makes it findable again. SKV_ERR_NOTFOUND if not held. */
int skv_keystore_forget(struct skv_keystore *ks, uint32_t key_id);

/* The DEK with `key_id`, or NULL. */
const struct skv_dek *skv_keystore_get(struct skv_keystore *ks, uint32_t key_id);

/* Number of DEKs held. */
size_t skv_keystore_count(struct skv_keystore *ks);

/* Leader side: 32 fresh bytes and a random non-zero key_id not used by
 * this keystore, both from the plugin CSPRNG; returns the wrapped form
 * for the bootstrap/rotation proposal. Does NOT add the DEK: the apply
 * of that proposal does (skv_keystore_add_wrapped) on every replica. */
int skv_keystore_new_dek(struct skv_keystore *ks, int purpose,
                         const char *suite, uint32_t *key_id,
                         uint8_t wrapped[SKV_DEK_WRAPPED_LEN],
                         struct skv_enc_err *e);

/* ---- KEK ring (kek_ring.c) ------------------------------------------- */

/* Hold one more KEK (takes ownership, even on failure). A KEK whose id is
 * already held is freed and SKV_OK. It only unwraps until
 * skv_keystore_use_kek makes it current. SKV_ERR_FULL past
 * SKV_KEK_RING_MAX. Loop thread (one writer). */
int skv_keystore_add_kek(struct skv_keystore *ks, struct skv_kek *kek,
                         struct skv_enc_err *e);
/* Make the held KEK with this id the one new wraps use. SKV_ERR_NOTFOUND. */
int skv_keystore_use_kek(struct skv_keystore *ks, const char *kek_id,
                         struct skv_enc_err *e);
/* The current KEK's id ("" without a keystore). */
const char *skv_keystore_kek_id(struct skv_keystore *ks);
/* KEKs held, and the id of the i-th (NULL past the end). */
size_t skv_keystore_kek_count(struct skv_keystore *ks);
const char *skv_keystore_kek_id_at(struct skv_keystore *ks, size_t i);
/* 1 if a KEK with this id is held. */
int skv_keystore_has_kek(struct skv_keystore *ks, const char *kek_id);
/* The provider of the held KEK `kek_id` as the sidecar records it
 * ("pkcs11"), "" for a file KEK or a KEK not held. */
const char *skv_keystore_kek_provider(struct skv_keystore *ks, const char *kek_id);

/* Unwrap `in` under any KEK held and wrap the DEK again under the held
 * KEK `to_kek_id` into `out` (fresh random nonce). The raw DEK lives only
 * in sodium_malloc memory, wiped. SKV_ERR_NOTFOUND (ErrKEKNotGiven) if
 * `to_kek_id` is not held; unwrap errors as skv_keystore_unwrap. */
int skv_keystore_rewrap(struct skv_keystore *ks, const char *to_kek_id, int purpose,
                        uint32_t key_id, const char *suite, const uint8_t *in,
                        size_t in_len, uint8_t out[SKV_DEK_WRAPPED_LEN],
                        struct skv_enc_err *e);

/* Derive the v2 subkey of DEK `d` for `salt` into `out` (SKV_DEK_LEN
 * bytes; give it sodium_malloc memory and wipe it): re-unwraps the DEK
 * under the KEK, so the raw DEK is never kept. Tools and tests; the
 * envelope uses skv_keystore_subkey_get. */
int skv_keystore_subkey_raw(struct skv_keystore *ks, const struct skv_dek *d,
                            const uint8_t salt[SKV_SALT_LEN], uint8_t *out,
                            struct skv_enc_err *e);

/* The plugin handle of DEK `d`'s subkey for `salt` into *handle. For the
 * DEK's own salt it is d->seal_handle and *ref is NULL; otherwise from
 * the cache (derived on a miss, the least recently used entry evicted
 * when full) with *ref holding a reference: pass it to
 * skv_keystore_subkey_put once the handle is no longer used. */
int skv_keystore_subkey_get(struct skv_keystore *ks, const struct skv_dek *d,
                            const uint8_t salt[SKV_SALT_LEN], void **handle,
                            struct skv_subkey **ref, struct skv_enc_err *e);

/* Drop a reference from skv_keystore_subkey_get (NULL: no-op). */
void skv_keystore_subkey_put(struct skv_keystore *ks, struct skv_subkey *ref);

/* Subkeys in the cache now (tests). */
size_t skv_keystore_subkey_cached(struct skv_keystore *ks);

#endif /* SKV_KEYSTORE_H */
