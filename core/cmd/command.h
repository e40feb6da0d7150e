/* SPDX-License-Identifier: MIT */
/*
 * command.h — FSM command payloads (first byte = tag, DESIGN.md §5):
 *   0x00 KV op:  [0x00][op u8: 1 put, 2 del][klen u32 BE][key][value...]
 *   0x01 batch:  [0x01][count u32 BE] then count × [op u8][klen u32 BE][key]
 *                [vlen u32 BE][value]
 *   0x02 no-op: [0x02] (advances the applied index only)
 *   0x03..0x05 encryption-relevant entries (enc_cmd.h, writers.h).
 *   0x06 conditional KV op (compare-and-swap, decided by the FSM):
 *                [0x06][op u8: 1 put, 2 del][cond u8][prev u64 BE]
 *                [klen u32 BE][key][value...]
 *                cond 1: the key exists with mod index == prev;
 *                cond 2: the key is absent (put only; prev 0);
 *                cond 3: the key exists (prev 0).
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
    SKV_CMD_ENC_ROTATION = 0x05,
    SKV_CMD_KV_CAS = 0x06,
    SKV_CMD_TXN = 0x07            /* transaction: cmd/txn_cmd.h */
};
enum skv_kv_opcode { SKV_KV_PUT = 1, SKV_KV_DEL = 2 };

enum skv_kv_cond_kind { SKV_COND_MOD = 1, SKV_COND_ABSENT = 2, SKV_COND_PRESENT = 3 };

#define SKV_MAX_KEY 4096u
#define SKV_CMD_CAS_HDR 15u   /* bytes before the key in a 0x06 payload */

struct skv_kv_op {
    uint8_t op;
    const uint8_t *key;
    size_t key_len;
    const uint8_t *val;
    size_t val_len;
};

/* The condition of a 0x06 op. */
struct skv_kv_cond {
    uint8_t kind;            /* enum skv_kv_cond_kind */
    uint64_t prev;           /* SKV_COND_MOD: the expected mod index */
};

/* Encode a single KV op into a raft_malloc'd buffer. 0 or -1 (OOM). */
int skv_cmd_encode_kv(const struct skv_kv_op *op, void **out, size_t *len);

/* Decode a 0x00 payload. 0 or -1 with message. */
int skv_cmd_decode_kv(const uint8_t *p, size_t len, struct skv_kv_op *op,
                      char *err, size_t errlen);

/* Encode / decode a 0x06 conditional op (same ownership and errors as
 * the 0x00 codec; the decoder checks every length and field). */
int skv_cmd_encode_kv_cas(const struct skv_kv_op *op, const struct skv_kv_cond *cond,
                          void **out, size_t *len);
int skv_cmd_decode_kv_cas(const uint8_t *p, size_t len, struct skv_kv_op *op,
                          struct skv_kv_cond *cond, char *err, size_t errlen);

/* Iterate a 0x01 batch: *pos starts at 0; returns 1 with the next op, 0
 * at the end, -1 on a malformed batch. */
int skv_cmd_batch_next(const uint8_t *p, size_t len, size_t *pos,
                       uint32_t *remaining, struct skv_kv_op *op, char *err,
                       size_t errlen);

#endif
