/* SPDX-License-Identifier: MIT */
/*
 * command.h — FSM command payloads (first byte = tag, DESIGN.md §5):
 *   0x00 KV op:  [0x00][op u8: 1 put, 2 del][klen u32 BE][key][value...]
 *   0x01 batch:  [0x01][count u32 BE] then count × [op u8][klen u32 BE][key]
 *                [vlen u32 BE][value]
 *   0x02 no-op: [0x02] (advances the applied index only)
 *   0x03..0x05 encryption-relevant entries (enc_cmd.h, writers.h).
 * Decoding checks every length; slices point into the input.
 */
#ifndef SKV_COMMAND_H
#define SKV_COMMAND_H

#include <stddef.h>
#include <stdint.h>

enum skv_cmd_tag {
    SKV_CMD_KV = 0x00,
    SKV_CMD_KV_BATCH = 0x01,
    SKV_CMD_NOOP = 0x02,          /* [0x02]: applies nothing (erase.c uses it
                                     to trigger a snapshot) */
    SKV_CMD_WRITER_REG = 0x03,
    SKV_CMD_ENC_BOOTSTRAP = 0x04,
    SKV_CMD_ENC_ROTATION = 0x05
};
enum skv_kv_opcode { SKV_KV_PUT = 1, SKV_KV_DEL = 2 };

#define SKV_MAX_KEY 4096u

struct skv_kv_op {
    uint8_t op;
    const uint8_t *key;
    size_t key_len;
    const uint8_t *val;
    size_t val_len;
};

/* Encode a single KV op into a raft_malloc'd buffer. 0 or -1 (OOM). */
int skv_cmd_encode_kv(const struct skv_kv_op *op, void **out, size_t *len);

/* Decode a 0x00 payload. 0 or -1 with message. */
int skv_cmd_decode_kv(const uint8_t *p, size_t len, struct skv_kv_op *op,
                      char *err, size_t errlen);

/* Iterate a 0x01 batch: *pos starts at 0; returns 1 with the next op, 0
 * at the end, -1 on a malformed batch. */
int skv_cmd_batch_next(const uint8_t *p, size_t len, size_t *pos,
                       uint32_t *remaining, struct skv_kv_op *op, char *err,
                       size_t errlen);

#endif
