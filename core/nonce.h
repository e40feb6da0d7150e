/*
 * nonce.h — deterministic envelope nonces, never random:
 *
 *   node_id16 (BE) ‖ local_epoch16 (BE) ‖ write_count64 (BE)   = 12 bytes
 *
 * Uniqueness per DEK rests on three legs: the writer registry gives each
 * member a distinct node_id16; local_epoch is bumped and persisted on every
 * process start before any encryption (so a restart never reuses a
 * counter); and the counter below never repeats or wraps within a
 * process. One generator per (DEK, process).
 */
#ifndef SKV_NONCE_H
#define SKV_NONCE_H

#include <stdatomic.h>
#include <stdint.h>

#include "enc_err.h"

#define SKV_NONCE_LEN 12
#define SKV_LOCAL_EPOCH_MAX 0xFFFFu   /* the value itself is "exhausted" */

/* node_id16: XOR-fold of the four 16-bit words of the 64-bit node id,
 * (id >> 48) ^ (id >> 32) ^ (id >> 16) ^ id, truncated to 16 bits. Small
 * ids map to themselves (id < 65536 → id). Different node ids can fold
 * to the same value: the writer registry refuses such a second member
 * for a DEK, so two writers never share a node_id16. */
uint16_t skv_node_id16(uint64_t node_id);

struct skv_nonce_gen {
    uint16_t node_id16;
    uint16_t epoch;
    uint64_t limit;             /* counters handed out are < limit */
    _Atomic uint64_t next;      /* next write_count */
};

/* Start a generator at write_count 0. `epoch` is the local epoch already
 * bumped and persisted for this process: 0xFFFF is refused
 * (ErrLocalEpochExhausted, SKV_ERR_FULL: rotate the DEK), above 0xFFFF
 * is ErrLocalEpochOutOfRange (SKV_ERR_INVALID). */
int skv_nonce_gen_init(struct skv_nonce_gen *g, uint16_t node_id16,
                       uint32_t epoch, struct skv_enc_err *e);

/* Same with a counter range [start, limit) (tests; limit 0 = the default
 * UINT64_MAX, so the counter can never wrap). */
int skv_nonce_gen_init_range(struct skv_nonce_gen *g, uint16_t node_id16,
                             uint32_t epoch, uint64_t start, uint64_t limit,
                             struct skv_enc_err *e);

/* Next nonce into out[12]. Any thread (lock-free). Once the counter
 * reaches the limit every call fails with SKV_ERR_FULL,
 * ErrWriteCounterExhausted ("write counter exhausted: rotate the DEK"),
 * and the counter stays put. */
int skv_nonce_next(struct skv_nonce_gen *g, uint8_t out[SKV_NONCE_LEN],
                   struct skv_enc_err *e);

/* Decode a nonce's three fields (any may be NULL). */
void skv_nonce_parse(const uint8_t in[SKV_NONCE_LEN], uint16_t *node_id16,
                     uint16_t *epoch, uint64_t *count);

/* Validate a local epoch received over the wire (writer registration):
 * above 0xFFFF → SKV_ERR_INVALID, ErrLocalEpochOutOfRange. */
int skv_local_epoch_check(uint64_t epoch, struct skv_enc_err *e);

#endif /* SKV_NONCE_H */
