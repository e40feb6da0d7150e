/* SPDX-License-Identifier: MIT */
/*
 * cmd_decode.h — the one decoder of FSM payloads (command.h tags 0x00 to
 * 0x06). The FSM's apply (fsm.c, fsm_enc.c) applies exactly what this
 * returns, and the leader's intake (propose.c) runs the same function on
 * every payload before raft_apply: a payload it refuses never enters the
 * log, so an apply-time decode failure can only mean local corruption.
 *
 * Checked here (everything that does not depend on replicated state):
 *   0x00 KV op      opcode put/del, key 1..SKV_MAX_KEY, no value on delete
 *   0x01 KV batch   every op: opcode, key 1..SKV_MAX_KEY, lengths; no
 *                   trailing bytes
 *   0x02 no-op      exactly one byte
 *   0x03 writers    1..SKV_WRITERS_MAX_BATCH entries, exact length
 *   0x04 bootstrap  version 1, suite name, distinct non-zero key ids, a
 *                   whole 0x03 payload
 *   0x05 rotation   exactly [0x05][sub] with sub enable-storage-envelope
 *                   or enable-raft-envelope; or a whole rotate-dek body
 *                   (version 1, purpose, suite, key id != 0, a whole 0x03
 *                   payload whose entries are all for the new key id);
 *                   or a whole retire body (version 1, key id != 0,
 *                   exactly 7 bytes), or a seal-key-names body of the
 *                   same shape; rewrap (2) and sub-tags above 6 are
 *                   refused
 *   0x06 CAS op     opcode put/del, condition 1..3 (an index only with
 *                   1; no delete-if-absent), key 1..SKV_MAX_KEY, no value
 *                   on delete (whether the compare holds is decided at
 *                   apply, from the replicated state)
 *   anything else   refused (unknown tag, empty payload)
 * Field values that depend on the registry or the sidecar (collisions,
 * epoch rollbacks, already bootstrapped...) are deterministic refusals at
 * apply, not decode errors.
 */
#ifndef SKV_CMD_DECODE_H
#define SKV_CMD_DECODE_H

#include "cmd/command.h"
#include "cmd/enc_cmd.h"
#include "cmd/txn_cmd.h"

struct skv_cmd {
    uint8_t tag;                    /* enum skv_cmd_tag */
    struct skv_kv_op kv;            /* 0x00, 0x06; slices into the payload */
    struct skv_kv_cond cond;        /* 0x06 */
    uint32_t batch_count;           /* 0x01: walk with skv_cmd_batch_next */
    struct skv_writer_reg *regs;    /* 0x03: malloc'd */
    size_t n_regs;
    struct skv_enc_bootstrap boot;  /* 0x04: boot.regs malloc'd */
    uint8_t rot_sub;                /* 0x05: enum skv_rot_sub */
    struct skv_enc_rotate rot;      /* 0x05/rotate-dek: rot.regs malloc'd */
    uint32_t retire_id;             /* 0x05/retire, 0x05/seal-key-names: the key id */
    struct skv_txn txn;             /* 0x07: arrays malloc'd */
};

/* Decode any FSM payload into *c (zeroed first). 0, or -1 with a message
 * naming what is wrong; *c owns nothing after a failure. */
int skv_cmd_decode(const uint8_t *p, size_t len, struct skv_cmd *c,
                   char *err, size_t errlen);
/* Release what a successful decode allocated; idempotent. */
void skv_cmd_free(struct skv_cmd *c);

#endif /* SKV_CMD_DECODE_H */
