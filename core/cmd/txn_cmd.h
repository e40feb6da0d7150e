/* SPDX-License-Identifier: MIT */
/*
 * txn_cmd.h — the transaction command 0x07 (POST /v1/txn): compares and
 * two branches of ops, applied as one Raft entry. Layout (integers
 * big-endian):
 *   [0x07][version u8 = 1][n_cmp u16][n_success u16][n_failure u16]
 *   n_cmp × compare:  [kind u8][klen u32][key] then
 *                     kind 1 mod_index: [u64]   (0: written before
 *                                                revisions, or absent)
 *                     kind 2 value:     [vlen u32][value]
 *                     kind 3 exists:    [u8 0|1]
 *   (n_success + n_failure) × op: [op u8: 1 put, 2 delete, 3 get]
 *                     [klen u32][key] then, for put, [vlen u32][value]
 * Checked by the decoder (so never proposed when malformed): version,
 * kinds and opcodes, every length, key 1..SKV_MAX_KEY, at most
 * SKV_TXN_MAX_CMPS compares and SKV_TXN_MAX_OPS ops, no trailing bytes,
 * and no key written twice within one branch. Slices point into the
 * payload; the arrays are malloc'd (skv_txn_free).
 */
#ifndef SKV_TXN_CMD_H
#define SKV_TXN_CMD_H

#include <stddef.h>
#include <stdint.h>

#define SKV_CMD_TXN_VERSION 1
#define SKV_TXN_MAX_CMPS 64u
#define SKV_TXN_MAX_OPS 128u              /* both branches together */
#define SKV_TXN_MAX_BYTES (4u * 1024u * 1024u) /* a whole payload */

enum skv_txn_cmp_kind { SKV_TXN_CMP_MOD = 1, SKV_TXN_CMP_VALUE = 2, SKV_TXN_CMP_EXISTS = 3 };
enum skv_txn_opcode { SKV_TXN_PUT = 1, SKV_TXN_DEL = 2, SKV_TXN_GET = 3 };

struct skv_txn_cmp {
    uint8_t kind;
    const uint8_t *key;
    size_t key_len;
    uint64_t mod;            /* kind mod_index */
    const uint8_t *val;      /* kind value */
    size_t val_len;
    int exists;              /* kind exists */
};

struct skv_txn_op {
    uint8_t op;
    const uint8_t *key;
    size_t key_len;
    const uint8_t *val;      /* put */
    size_t val_len;
};

struct skv_txn {
    struct skv_txn_cmp *cmps;
    size_t n_cmps;
    struct skv_txn_op *ops;  /* success branch first, then failure */
    size_t n_success, n_failure;
};

/* Encode into a raft_malloc'd buffer: 0, -1 when out of memory or when
 * the transaction breaks a bound (the decoder's rules). */
int skv_txn_encode(const struct skv_txn *t, void **out, size_t *len);
/* Decode a 0x07 payload: 0, or -1 with a message. */
int skv_txn_decode(const uint8_t *p, size_t len, struct skv_txn *t, char *err,
                   size_t errlen);
void skv_txn_free(struct skv_txn *t);

#endif /* SKV_TXN_CMD_H */
