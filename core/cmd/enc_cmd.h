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
 *        1 rotate-dek, 2 rewrap, 3 retire are reserved for key rotation and
 *        refused by this build's FSM.
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
    SKV_ROT_ENABLE_RAFT = 5
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

int skv_enc_encode_rotation(uint8_t sub, void **out, size_t *len);
/* SKV_OK with *sub, or SKV_ERR_INVALID. */
int skv_enc_decode_rotation(const uint8_t *p, size_t len, uint8_t *sub,
                            struct skv_err *err);

#endif
