/* SPDX-License-Identifier: MIT */
/*
 * nonce.h — deterministic envelope nonces, never random:
 *
 *   node_id16 (BE) ‖ local_epoch16 (BE) ‖ write_count64 (BE)   = 12 bytes
 *
 * What is unique per what (docs/NONCES.md): the AEAD key of an envelope
 * v2 is a subkey derived from the DEK and a 16-byte salt drawn at random
 * by each process for each DEK (core/keystore.h), so uniqueness ACROSS
 * processes rests on the salt alone — whatever happens to a node's local
 * state (an empty disk under the same id, an older backup, a reverted VM
 * all restart the counter and may repeat an epoch). This generator gives
 * uniqueness WITHIN a process: one generator per (DEK, process), and its
 * counter never repeats or wraps. The node16/epoch prefix and the writer
 * registry (distinct node_id16 per DEK, strictly increasing epochs) stay
 * as defence in depth and for diagnostics; they no longer carry
 * uniqueness alone (they did for envelope v1, and failed on rollback).
 */
#ifndef SKV_NONCE_H
#define SKV_NONCE_H

#include <stdatomic.h>
#include <stdint.h>

#include "crypto/enc_err.h"

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
 * (ErrLocalEpochExhausted, SKV_ERR_FULL; the message names the remedy:
 * rotate-dek, which automatic rotation runs long before), above 0xFFFF is ErrLocalEpochOutOfRange
 * (SKV_ERR_INVALID). */
int skv_nonce_gen_init(struct skv_nonce_gen *g, uint16_t node_id16,
                       uint32_t epoch, struct skv_enc_err *e);

/* Same with a counter range [start, limit) (tests; limit 0 = the default
 * UINT64_MAX, so the counter can never wrap). */
int skv_nonce_gen_init_range(struct skv_nonce_gen *g, uint16_t node_id16,
                             uint32_t epoch, uint64_t start, uint64_t limit,
                             struct skv_enc_err *e);

/* Next nonce into out[12]. Any thread (lock-free). Once the counter
 * reaches the limit every call fails with SKV_ERR_FULL,
 * ErrWriteCounterExhausted (2^64 seals in one process: restart the node —
 * a new process seals under a fresh salt and subkey — or rotate the DEK,
 * which automatic rotation does after 2^48), and the counter stays put. */
int skv_nonce_next(struct skv_nonce_gen *g, uint8_t out[SKV_NONCE_LEN],
                   struct skv_enc_err *e);

/* Decode a nonce's three fields (any may be NULL). */
void skv_nonce_parse(const uint8_t in[SKV_NONCE_LEN], uint16_t *node_id16,
                     uint16_t *epoch, uint64_t *count);

/* Validate a local epoch received over the wire (writer registration):
 * above 0xFFFF → SKV_ERR_INVALID, ErrLocalEpochOutOfRange. */
int skv_local_epoch_check(uint64_t epoch, struct skv_enc_err *e);

#endif /* SKV_NONCE_H */
