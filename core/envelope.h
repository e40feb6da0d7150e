/*
 * envelope.h — Envelope v1, the on-disk / in-log form of an encrypted
 * value or Raft payload (both purposes):
 *
 *   [0x01 version][flags u8][key_id u32 BE][nonce 12][ciphertext][tag 16]
 *
 * AAD: raft    = 'R' ‖ version ‖ key_id (BE)
 *      storage = 'S' ‖ version ‖ key_id (BE) ‖ storage key bytes
 * (the storage AAD binds a value to its location: moved under another
 * key it no longer opens). Flags: none defined in v1, so the byte is 0 and
 * any set bit is refused. The nonce comes from the caller (core/nonce.h:
 * deterministic, never random). AEAD through the keystore's cipher plugin.
 *
 * Open errors (each with its enum skv_enc_why / stable name):
 *   shorter than 34 bytes  SKV_ERR_CORRUPT   ErrEnvelopeTooShort
 *   version byte != 1      SKV_ERR_CORRUPT   ErrEnvelopeVersion
 *   unknown flag bits      SKV_ERR_CORRUPT   ErrEnvelopeFlags
 *   key_id not held        SKV_ERR_NOTFOUND  ErrUnknownKeyID (names key_id)
 *   key of other purpose   SKV_ERR_CORRUPT   ErrEnvelopePurposeMismatch
 *   tag mismatch           SKV_ERR_INTEGRITY ErrEnvelopeIntegrity
 * Threads: any thread (the keystore and plugin are thread-safe).
 */
#ifndef SKV_ENVELOPE_H
#define SKV_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "enc_err.h"
#include "keystore.h"

#define SKV_ENVELOPE_V1 0x01
#define SKV_ENVELOPE_NONCE_LEN 12
#define SKV_ENVELOPE_TAG_LEN 16
#define SKV_ENVELOPE_HEADER_LEN (1 + 1 + 4 + SKV_ENVELOPE_NONCE_LEN)   /* 18 */
#define SKV_ENVELOPE_OVERHEAD (SKV_ENVELOPE_HEADER_LEN + SKV_ENVELOPE_TAG_LEN)  /* 34 */
#define SKV_ENVELOPE_FLAGS_KNOWN 0x00u   /* no flag bits defined in v1 */

/* The fixed header of an envelope (nonce points into the input). */
struct skv_envelope_hdr {
    uint8_t version;
    uint8_t flags;
    uint32_t key_id;
    const uint8_t *nonce;   /* SKV_ENVELOPE_NONCE_LEN bytes */
};

/* Bytes an envelope adds to its plaintext: 34. */
size_t skv_envelope_overhead(void);

/* Check length, version and flags and decode the header, without any
 * key (for logging the key_id of a failure, tools, `sealkv verify`). */
int skv_envelope_parse(const uint8_t *in, size_t len, struct skv_envelope_hdr *h,
                       struct skv_enc_err *e);

/* Seal `pt` under DEK `key_id` (which must have `purpose`) into `out`,
 * which has room for pt_len + skv_envelope_overhead() bytes. `skey` /
 * `skey_len`: the storage key for purpose storage (may be empty); must be
 * NULL/0 for raft. `pt` may be NULL when pt_len is 0; it must not overlap
 * `out` except exactly at out + SKV_ENVELOPE_HEADER_LEN (in place). */
int skv_envelope_seal(struct skv_keystore *ks, int purpose, uint32_t key_id,
                      const uint8_t nonce[SKV_ENVELOPE_NONCE_LEN],
                      const uint8_t *skey, size_t skey_len,
                      const uint8_t *pt, size_t pt_len, uint8_t *out,
                      struct skv_enc_err *e);

/* Same into a malloc'd buffer (*out, *out_len = pt_len + 34; free()). */
int skv_envelope_seal_alloc(struct skv_keystore *ks, int purpose, uint32_t key_id,
                            const uint8_t nonce[SKV_ENVELOPE_NONCE_LEN],
                            const uint8_t *skey, size_t skey_len,
                            const uint8_t *pt, size_t pt_len, uint8_t **out,
                            size_t *out_len, struct skv_enc_err *e);

/* Open an envelope for `purpose` (`skey` as for seal). On success *pt is
 * malloc'd (never NULL, even for an empty plaintext; free()) and *pt_len
 * its length; on failure *pt is NULL. */
int skv_envelope_open(struct skv_keystore *ks, int purpose,
                      const uint8_t *skey, size_t skey_len,
                      const uint8_t *in, size_t len, uint8_t **pt,
                      size_t *pt_len, struct skv_enc_err *e);

#endif /* SKV_ENVELOPE_H */
