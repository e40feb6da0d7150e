/* SPDX-License-Identifier: MIT */
/*
 * writers.h — the Raft-replicated writer registry (DESIGN.md §5, FSM
 * command tag 0x03). It guarantees that, per DEK, no two members share a
 * node_id16 (the nonce prefix) and that a member's local_epoch never
 * goes back, so no (DEK, nonce) pair is ever issued twice by two
 * processes that both used the registry.
 *
 * Stored in the storage plugin:
 *   key   = SKV_PFX_WRITERS ‖ key_id u32 BE ‖ node_id16 u16 BE   (7 bytes)
 *   value = full node_id u64 BE ‖ local_epoch u32 BE            (12 bytes)
 * 0x03 payload (all big-endian):
 *   [0x03][count u32] then count × [key_id u32][node_id u64][epoch u32]
 *
 * Rules for each registration, applied in order (later entries of the same
 * batch see the earlier ones):
 *   key_id 0 or node_id 0           → ErrInvalidRegistration
 *   epoch > 0xFFFF                  → ErrLocalEpochOutOfRange
 *   epoch == 0xFFFF                 → ErrLocalEpochExhausted
 *   slot held by another full id    → ErrNodeIDCollision
 *   same id, epoch <  registered    → ErrLocalEpochRollback
 *   same id, epoch == registered    → accepted, nothing to write: a
 *                                     retried registration (the first
 *                                     attempt's outcome was unknown and
 *                                     it committed after all)
 *   otherwise                       → insert / raise the epoch
 * A new process never re-registers an epoch it did not bump itself: the
 * start-up check (enc_ops.c) refuses when the local registry holds this
 * node at or above the freshly bumped epoch.
 * One rejected registration rejects the whole batch (no ops).
 *
 * Pure functions over a storage ops table + db handle; the FSM writes the
 * staged ops in the same batch as its applied index.
 */
#ifndef SKV_WRITERS_H
#define SKV_WRITERS_H

#include <stddef.h>
#include <stdint.h>

#include <sealkv/storage.h>

#include "crypto/nonce.h" /* skv_node_id16(): the slot of a full node id */

#define SKV_WRITERS_KEY_LEN 7
#define SKV_WRITERS_VAL_LEN 12
#define SKV_WRITERS_ENTRY_LEN 16      /* one registration in a 0x03 payload */
#define SKV_WRITERS_MAX_BATCH 4096u   /* registrations per 0x03 entry */

struct skv_writer_reg {
    uint32_t key_id;       /* DEK the node will write under, != 0 */
    uint64_t node_id;      /* full node id, != 0 */
    uint32_t local_epoch;  /* the node's (just bumped) epoch for that DEK */
};

/* Ops to add to the FSM's write batch; ops[i] point into recs. */
struct skv_writers_stage {
    struct skv_batch_op *ops;
    size_t n_ops;
    struct skv_writers_rec {
        uint8_t key[SKV_WRITERS_KEY_LEN];
        uint8_t val[SKV_WRITERS_VAL_LEN];
    } *recs;
};

/* The 0x03 payload for n (1..SKV_WRITERS_MAX_BATCH) registrations, in a
 * raft_malloc'd buffer (the proposal path owns it). SKV_OK,
 * SKV_ERR_INVALID (n out of range) or SKV_ERR_NOMEM. */
int skv_writers_encode_reg(const struct skv_writer_reg *e, size_t n,
                           void **payload, size_t *len);

/* Decode a 0x03 payload: exact length, count 1..SKV_WRITERS_MAX_BATCH.
 * *out is malloc'd (free()). SKV_OK, SKV_ERR_INVALID with a message, or
 * SKV_ERR_NOMEM. Field values are checked by check_and_stage. */
int skv_writers_decode_reg(const uint8_t *p, size_t len,
                           struct skv_writer_reg **out, size_t *n,
                           struct skv_err *err);

/* Registry key for (key_id, node_id16). */
void skv_writers_key(uint32_t key_id, uint16_t node_id16,
                     uint8_t out[SKV_WRITERS_KEY_LEN]);

/* Look up one slot. SKV_OK with *node_id / *epoch, SKV_ERR_NOTFOUND, or a
 * storage error / SKV_ERR_CORRUPT (malformed stored record). */
int skv_writers_get(const struct skv_storage_ops *st, void *db,
                    uint32_t key_id, uint16_t node_id16, uint64_t *node_id,
                    uint32_t *epoch, struct skv_err *err);

/* Check n registrations against the stored registry (and each other) and
 * stage the puts. On SKV_OK `out` holds the ops (free with
 * skv_writers_stage_free). A rule violation returns SKV_ERR_INVALID with
 * *reject set to the stable error name (deterministic: the entry is
 * refused on every replica; nothing to write). Any other error (reject
 * stays NULL) is local — storage failure or corrupt record — and the FSM
 * must halt rather than diverge. `out` is empty on every error. */
int skv_writers_check_and_stage(const struct skv_storage_ops *st, void *db,
                                const struct skv_writer_reg *e, size_t n,
                                struct skv_writers_stage *out,
                                const char **reject, struct skv_err *err);

void skv_writers_stage_free(struct skv_writers_stage *s);

#endif /* SKV_WRITERS_H */
