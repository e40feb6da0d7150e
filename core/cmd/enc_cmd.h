/* SPDX-License-Identifier: MIT */
/*
 * enc_cmd.h — payload codec of the encryption FSM commands (DESIGN.md §5;
 * all integers big-endian):
 *
 *   0x04 bootstrap: [0x04][ver=1][suite_len u8][suite]
 *                   [storage key_id u32][wrapped 60][raft key_id u32][wrapped 60]
 *                   [created_ms u64][a whole 0x03 registration payload]
 *   0x05 rotation family: [0x05][sub u8]
 *        sub 4 enable-storage-envelope, sub 5 enable-raft-envelope (no body);
 *        sub 1 rotate-dek: [0x05][0x01][ver=1][purpose u8][suite_len u8][suite]
 *                  [key_id u32][wrapped 60][created_ms u64]
 *                  [a whole 0x03 registration payload, every entry for key_id]
 *        sub 3 retire: [0x05][0x03][ver=1][key_id u32] (docs/NONCES.md "Retire");
 *        sub 6 seal-key-names: [0x05][0x06][ver=1][key_id u32]: the storage
 *                  key the name key derives from (crypto/names.h);
 *        2 rewrap is reserved and refused by this build's FSM.
 * Encoders return raft_malloc'd buffers (the proposal path owns them).
 */
#ifndef SKV_ENC_CMD_H
#define SKV_ENC_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/keystore.h"
#include "cmd/writers.h"

enum skv_rot_sub {
    SKV_ROT_ROTATE_DEK = 1,
    SKV_ROT_REWRAP = 2,
    SKV_ROT_RETIRE = 3,
    SKV_ROT_ENABLE_STORAGE = 4,
    SKV_ROT_ENABLE_RAFT = 5,
    SKV_ROT_SEAL_NAMES = 6
};

struct skv_enc_bootstrap {
    char suite[SKV_SUITE_NAME_MAX];
    uint32_t storage_id, raft_id;
    uint8_t storage_wrapped[SKV_DEK_WRAPPED_LEN], raft_wrapped[SKV_DEK_WRAPPED_LEN];
    uint64_t created_ms;
    struct skv_writer_reg *regs;   /* decode: malloc'd (free()) */
    size_t n_regs;
};

int skv_enc_encode_bootstrap(const struct skv_enc_bootstrap *b, void **out,
                             size_t *len);
/* SKV_OK or SKV_ERR_INVALID with a message (exact lengths, suite name). */
int skv_enc_decode_bootstrap(const uint8_t *p, size_t len,
                             struct skv_enc_bootstrap *b, struct skv_err *err);

/* rotate-dek (docs/NONCES.md "Rotation"): a new DEK for one purpose,
 * generated on the leader, with the writer registrations of every member
 * under it. */
struct skv_enc_rotate {
    uint8_t purpose;                       /* enum skv_key_purpose */
    char suite[SKV_SUITE_NAME_MAX];
    uint32_t key_id;                       /* != 0 */
    uint8_t wrapped[SKV_DEK_WRAPPED_LEN];
    uint64_t created_ms;
    struct skv_writer_reg *regs;           /* decode: malloc'd (free()) */
    size_t n_regs;
};

int skv_enc_encode_rotate(const struct skv_enc_rotate *r, void **out, size_t *len);
/* The whole 0x05/1 payload. SKV_OK or SKV_ERR_INVALID with a message
 * (version, purpose, suite, key id, lengths, a registration for another
 * key id); r->regs is NULL after a failure. */
int skv_enc_decode_rotate(const uint8_t *p, size_t len, struct skv_enc_rotate *r,
                          struct skv_err *err);

/* retire (docs/NONCES.md "Retire"): key_id may no longer be referenced;
 * every replica marks it retired at the entry's index. */
int skv_enc_encode_retire(uint32_t key_id, void **out, size_t *len);
/* The whole 0x05/3 payload, exactly 7 bytes. SKV_OK or SKV_ERR_INVALID
 * with a message (version, key id 0, length). */
int skv_enc_decode_retire(const uint8_t *p, size_t len, uint32_t *key_id,
                          struct skv_err *err);

/* seal-key-names (docs/SECURITY.md "Key names"): from this entry on,
 * user keys are stored under the keyed hash of the name key derived from
 * storage key key_id. Same 7-byte shape as retire. */
int skv_enc_encode_seal_names(uint32_t key_id, void **out, size_t *len);
int skv_enc_decode_seal_names(const uint8_t *p, size_t len, uint32_t *key_id,
                              struct skv_err *err);

int skv_enc_encode_rotation(uint8_t sub, void **out, size_t *len);
/* SKV_OK with *sub, or SKV_ERR_INVALID. Only rotate-dek, retire and
 * seal-key-names carry a body (decode them with skv_enc_decode_rotate /
 * _retire / _seal_names); the others
 * are exactly 2 bytes. */
int skv_enc_decode_rotation(const uint8_t *p, size_t len, uint8_t *sub,
                            struct skv_err *err);

#endif
