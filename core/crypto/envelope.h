/* SPDX-License-Identifier: MIT */
/*
 * envelope.h — the on-disk / in-log form of an encrypted value or Raft
 * payload (both purposes). New seals are always v2; v1 still opens.
 *
 *   v2: [0x02][flags u8][key_id u32 BE][salt 16][nonce 12][ciphertext][tag 16]
 *   v1: [0x01][flags u8][key_id u32 BE]         [nonce 12][ciphertext][tag 16]
 *
 * v2 AEAD key: the subkey BLAKE2b-256(key = DEK, salt, personal =
 * "sealkv-env-v2", in = purpose ‖ key_id BE) (keystore.h). The salt is
 * drawn at random once per process and DEK, so a process seals under a
 * subkey no other process ever used; the deterministic nonce
 * (core/nonce.h) keeps nonces unique within it. Why that makes
 * (key, nonce) unique whatever happens to a node's local state:
 * docs/NONCES.md. v1 AEAD key: the DEK itself.
 *
 * AAD: raft    = 'R' ‖ version ‖ key_id (BE) [‖ salt, v2]
 *      storage = 'S' ‖ version ‖ key_id (BE) [‖ salt, v2] ‖ storage key bytes
 * (the storage AAD binds a value to its location: moved under another
 * key it no longer opens; the salt is authenticated twice — through the
 * subkey and the AAD). Flags: none defined, so the byte is 0 and any set
 * bit is refused. AEAD through the keystore's cipher plugin.
 *
 * Open errors (each with its enum skv_enc_why / stable name):
 *   shorter than the version's minimum (v1 34, v2 50; 34 when the
 *   version byte is missing)       SKV_ERR_CORRUPT   ErrEnvelopeTooShort
 *   version byte not 1 or 2        SKV_ERR_CORRUPT   ErrEnvelopeVersion
 *   unknown flag bits              SKV_ERR_CORRUPT   ErrEnvelopeFlags
 *   key_id not held                SKV_ERR_NOTFOUND  ErrUnknownKeyID (names key_id)
 *   key of other purpose           SKV_ERR_CORRUPT   ErrEnvelopePurposeMismatch
 *   tag mismatch (also any altered salt) SKV_ERR_INTEGRITY ErrEnvelopeIntegrity
 * Threads: any thread (the keystore, its subkey cache and the plugin are
 * thread-safe).
 */
#ifndef SKV_ENVELOPE_H
#define SKV_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/enc_err.h"
#include "crypto/keystore.h"

#define SKV_ENVELOPE_V1 0x01
#define SKV_ENVELOPE_V2 0x02
#define SKV_ENVELOPE_NONCE_LEN 12
#define SKV_ENVELOPE_TAG_LEN 16
#define SKV_ENVELOPE_SALT_LEN SKV_SALT_LEN                                    /* 16 */
#define SKV_ENVELOPE_V1_HEADER_LEN (1 + 1 + 4 + SKV_ENVELOPE_NONCE_LEN)       /* 18 */
#define SKV_ENVELOPE_V2_HEADER_LEN (SKV_ENVELOPE_V1_HEADER_LEN + SKV_ENVELOPE_SALT_LEN) /* 34 */
#define SKV_ENVELOPE_V1_OVERHEAD (SKV_ENVELOPE_V1_HEADER_LEN + SKV_ENVELOPE_TAG_LEN)    /* 34 */
#define SKV_ENVELOPE_V2_OVERHEAD (SKV_ENVELOPE_V2_HEADER_LEN + SKV_ENVELOPE_TAG_LEN)    /* 50 */
/* What a seal writes (always v2): header length and bytes added. */
#define SKV_ENVELOPE_HEADER_LEN SKV_ENVELOPE_V2_HEADER_LEN
#define SKV_ENVELOPE_OVERHEAD SKV_ENVELOPE_V2_OVERHEAD
/* The shortest envelope of any version (an empty v1). */
#define SKV_ENVELOPE_MIN_LEN SKV_ENVELOPE_V1_OVERHEAD
#define SKV_ENVELOPE_FLAGS_KNOWN 0x00u   /* no flag bits defined */

/* The fixed header of an envelope (pointers into the input). */
struct skv_envelope_hdr {
    uint8_t version;        /* 1 or 2 */
    uint8_t flags;
    uint32_t key_id;
    const uint8_t *salt;    /* SKV_ENVELOPE_SALT_LEN bytes; NULL for v1 */
    const uint8_t *nonce;   /* SKV_ENVELOPE_NONCE_LEN bytes */
    size_t header_len;      /* 18 (v1) or 34 (v2): ciphertext starts here */
    size_t overhead;        /* 34 (v1) or 50 (v2) */
};

/* Bytes a seal adds to its plaintext: 50 (v2). */
size_t skv_envelope_overhead(void);

/* Check length, version and flags and decode the header, without any
 * key (for logging the key_id of a failure, tools, `sealkv verify`). */
int skv_envelope_parse(const uint8_t *in, size_t len, struct skv_envelope_hdr *h,
                       struct skv_enc_err *e);

/* Seal `pt` as a v2 envelope under DEK `key_id` (which must have
 * `purpose`) with this process's salt for that DEK, into `out`, which has
 * room for pt_len + SKV_ENVELOPE_OVERHEAD bytes. `skey` / `skey_len`: the
 * storage key for purpose storage (may be empty); must be NULL/0 for
 * raft. `pt` may be NULL when pt_len is 0; it must not overlap `out`
 * except exactly at out + SKV_ENVELOPE_HEADER_LEN (in place). */
int skv_envelope_seal(struct skv_keystore *ks, int purpose, uint32_t key_id,
                      const uint8_t nonce[SKV_ENVELOPE_NONCE_LEN],
                      const uint8_t *skey, size_t skey_len,
                      const uint8_t *pt, size_t pt_len, uint8_t *out,
                      struct skv_enc_err *e);

/* Same with an explicit salt (the subkey comes from the cache). ONLY for
 * tests, fuzzers and tools that must reproduce an envelope: a node seals
 * with skv_envelope_seal, never with a salt another process used. */
int skv_envelope_seal_salted(struct skv_keystore *ks, int purpose, uint32_t key_id,
                             const uint8_t salt[SKV_ENVELOPE_SALT_LEN],
                             const uint8_t nonce[SKV_ENVELOPE_NONCE_LEN],
                             const uint8_t *skey, size_t skey_len,
                             const uint8_t *pt, size_t pt_len, uint8_t *out,
                             struct skv_enc_err *e);

/* Open a v1 or v2 envelope for `purpose` (`skey` as for seal). On success
 * *pt is malloc'd (never NULL, even for an empty plaintext; free()) and
 * *pt_len its length; on failure *pt is NULL. */
int skv_envelope_open(struct skv_keystore *ks, int purpose,
                      const uint8_t *skey, size_t skey_len,
                      const uint8_t *in, size_t len, uint8_t **pt,
                      size_t *pt_len, struct skv_enc_err *e);

#endif /* SKV_ENVELOPE_H */
