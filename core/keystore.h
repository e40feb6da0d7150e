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
 * Threads: skv_keystore_get / add_wrapped / new_dek / wrap / unwrap are
 * safe from any thread. Entries are never removed before
 * skv_keystore_free, so a pointer from skv_keystore_get stays valid until
 * then. Free the keystore before unloading the cipher plugin.
 */
#ifndef SKV_KEYSTORE_H
#define SKV_KEYSTORE_H

#include <sealkv/cipher.h>
#include <stddef.h>
#include <stdint.h>

#include "purpose.h"

#include "enc_err.h"
#include "kek.h"

#define SKV_DEK_LEN 32
#define SKV_DEK_NONCE_LEN 12
#define SKV_DEK_TAG_LEN 16
#define SKV_DEK_WRAPPED_LEN (SKV_DEK_NONCE_LEN + SKV_DEK_LEN + SKV_DEK_TAG_LEN)
#define SKV_SUITE_NAME_MAX 32   /* including the NUL */


/* "storage", "raft" or "unknown". */
const char *skv_purpose_name(int purpose);

/* One DEK of the table (read-only for users of the keystore). */
struct skv_dek {
    uint32_t key_id;                     /* non-zero */
    int purpose;                         /* enum skv_key_purpose */
    char suite[SKV_SUITE_NAME_MAX];      /* e.g. "aes-256-gcm" */
    void *handle;                        /* plugin key handle (keystore owns) */
    uint8_t wrapped[SKV_DEK_WRAPPED_LEN];
};

struct skv_keystore;   /* opaque */

/* Create a keystore over a loaded cipher plugin (`ops`, `cstate`: its ops
 * table and instance state). Takes ownership of `kek` even on failure. */
int skv_keystore_new(const struct skv_cipher_ops *ops, void *cstate,
                     struct skv_kek *kek, struct skv_keystore **out,
                     struct skv_enc_err *e);

/* Free every plugin key handle, wipe the table and the KEK. NULL: no-op. */
void skv_keystore_free(struct skv_keystore *ks);

const struct skv_cipher_ops *skv_keystore_ops(const struct skv_keystore *ks);

/* Wrap the SKV_DEK_LEN bytes at `dek` under the KEK into `wrapped`. */
int skv_keystore_wrap(struct skv_keystore *ks, int purpose, uint32_t key_id,
                      const char *suite, const uint8_t *dek,
                      uint8_t wrapped[SKV_DEK_WRAPPED_LEN],
                      struct skv_enc_err *e);

/* Unwrap into `dek_out` (SKV_DEK_LEN bytes; give it sodium_malloc memory
 * and wipe it). `dek_out` is zeroed on failure. */
int skv_keystore_unwrap(struct skv_keystore *ks, int purpose, uint32_t key_id,
                        const char *suite, const uint8_t *wrapped,
                        size_t wrapped_len, uint8_t *dek_out,
                        struct skv_enc_err *e);

/* Unwrap and prepare a DEK (plugin key_new), then add it to the table.
 * Adding the same key_id again with identical purpose, suite and wrapped
 * bytes is a no-op success (an entry replayed after restart); with
 * anything different it is ErrDEKConflict. key_id 0 is refused. */
int skv_keystore_add_wrapped(struct skv_keystore *ks, uint32_t key_id,
                             int purpose, const char *suite,
                             const uint8_t *wrapped, size_t wrapped_len,
                             struct skv_enc_err *e);

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

#endif /* SKV_KEYSTORE_H */
