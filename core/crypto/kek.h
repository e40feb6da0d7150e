/* SPDX-License-Identifier: MIT */
/*
 * kek.h — the key-encryption key: 32 bytes loaded from a key file (a
 * regular file, not a symlink, owned by the effective user, mode exactly
 * 0600 or 0400) or, for tests, from $SEALKV_KEK_BASE64 (unset right after
 * reading). The bytes live only in sodium_malloc memory (read-only once
 * loaded), are never logged, and are wiped by skv_kek_free().
 *
 * KEK id (issue 13, KEK rotation): a public fingerprint that names a KEK
 * without revealing it: the first 16 bytes of keyed BLAKE2b
 *   BLAKE2b-128(key = KEK, personal = "sealkv-kek-id" 0^3, in = "kek-id v1")
 * in lowercase hex (32 characters). The sidecar records it per wrapped
 * DEK; status and logs may show it. Computed once at load.
 *
 * Provider KEK (issue 13 item 5): a KEK the cipher plugin keeps outside
 * this process (an HSM through PKCS#11, encryption.kek_pkcs11). It has no
 * bytes here (skv_kek_bytes is NULL): wrap and unwrap go to the plugin's
 * kek_wrap/kek_unwrap with its handle, and its id is the fingerprint the
 * plugin computed inside the token. kek_provider.c opens one.
 */
#ifndef SKV_KEK_H
#define SKV_KEK_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/enc_err.h"

#include <sealkv/cipher.h>

#define SKV_KEK_LEN 32
#define SKV_KEK_ENV "SEALKV_KEK_BASE64"
#define SKV_KEK_ID_BYTES 16
#define SKV_KEK_ID_HEX (2 * SKV_KEK_ID_BYTES)  /* characters, without the NUL */

struct skv_kek;   /* opaque */

/* Load the key file at `path`. Refusals (each message names the path):
 * missing (ErrKEKFileMissing), symlink/directory/other non-regular file
 * (ErrKEKFileNotRegular; symlinks are refused with O_NOFOLLOW, no
 * following), mode other than 0600/0400 (ErrKEKFilePermissions, "has mode
 * 0644: must be 0600 or 0400"), owner other than the effective user
 * (ErrKEKFileOwner), size other than 32 bytes (ErrKEKInvalid, "must hold
 * exactly 32 bytes, found N"), I/O errors (ErrKEKFileUnreadable). */
int skv_kek_load_file(const char *path, struct skv_kek **out,
                      struct skv_enc_err *e);

/* Load from $SEALKV_KEK_BASE64: standard base64 (padding required,
 * whitespace ignored) of exactly 32 bytes. The variable is wiped in place
 * and unset whether or not it decodes (so it must not be a string literal
 * handed to putenv). Not thread-safe (it edits the environment): call at
 * startup. ErrKEKMissing when unset, ErrKEKInvalid when malformed. */
int skv_kek_load_env(struct skv_kek **out, struct skv_enc_err *e);

/* From raw bytes (tests, fuzzers, tools). `len` must be 32. The caller
 * still owns and wipes `key`. */
int skv_kek_from_bytes(const uint8_t *key, size_t len, struct skv_kek **out,
                       struct skv_enc_err *e);

/* The 32 key bytes (read-only protected memory). For the keystore's
 * wrap/unwrap only; never log or copy them. */
const uint8_t *skv_kek_bytes(const struct skv_kek *k);

/* The KEK id: SKV_KEK_ID_HEX lowercase hex characters, NUL-terminated,
 * valid as long as `k` ("" for NULL). */
const char *skv_kek_id(const struct skv_kek *k);

/* A provider KEK around the plugin's open handle `h` (ownership passes,
 * closed with ops->kek_close even on failure) with its `id` (32 lowercase
 * hex characters) and provider name ("pkcs11"). */
int skv_kek_from_provider(const struct skv_cipher_ops *ops, void *h, const char *id,
                          const char *provider, struct skv_kek **out,
                          struct skv_enc_err *e);

/* "file" for a KEK whose bytes we hold, else the provider's name. */
const char *skv_kek_provider(const struct skv_kek *k);

/* The plugin's ops and handle of a provider KEK; NULL for a file KEK. */
const struct skv_cipher_ops *skv_kek_ops(const struct skv_kek *k);
void *skv_kek_handle(const struct skv_kek *k);

/* Where a PKCS#11 KEK is (encryption.kek_pkcs11); every member set. */
struct skv_kek_pkcs11_ref {
    const char *module, *token_label, *key_label, *pin_file;
};

/* kek_provider.c: read the PIN file (the KEK file's checks: a regular
 * file, no symlink, mode 0600/0400, ours; 1..256 bytes, one trailing
 * newline dropped) into sodium_malloc memory, open the key through the
 * cipher plugin's key provider, wipe the PIN. Refusals:
 * ErrKEKProviderUnsupported (the plugin has none), the ErrKEKFile* names
 * for the PIN file, ErrPKCS11ModuleMissing / TokenNotFound /
 * PinIncorrect / KeyNotFound / MechanismUnsupported / Failed. `what`
 * (e.g. "encryption.kek_pkcs11") starts every message. */
int skv_kek_open_pkcs11(const struct skv_cipher_ops *ops, void *cstate,
                        const struct skv_kek_pkcs11_ref *ref, const char *what,
                        struct skv_kek **out, struct skv_enc_err *e);

/* Wipe and free (a provider KEK: its handle closed). NULL is a no-op. */
void skv_kek_free(struct skv_kek *k);

#endif /* SKV_KEK_H */
