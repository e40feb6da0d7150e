/* SPDX-License-Identifier: MIT */
/*
 * enc_ops.h — the operator-facing encryption operations on the leader
 * (DESIGN.md §5 Phase 1 / Phase 2) and the writer-registration duties of
 * every node:
 *
 *   encryption.enable-storage-envelope  capability gate, implicit bootstrap
 *                                       (0x04), flag entry (0x05/4)
 *   encryption.enable-raft-envelope     prechecks, capability gate, the
 *                                       cutover barrier (cutover.h)
 *   encryption.rotate-dek               a new DEK for one purpose (0x05/1)
 *   encryption.retire                   an old DEK out of use (0x05/3)
 *   encryption.rewrap-kek               this node's DEKs under a new KEK
 *                                       (local, no entry: enc_rewrap.c)
 *   members.add after bootstrap         newcomer probe + registration first
 *   start-up                            local rollback check, then the new
 *                                       epoch's registration (0x03; state
 *                                       and tick: enc_jobs.h)
 * Answers: {"applied_index":N,"was_already_active":bool,
 *           "capability_summary":[...]}. Loop thread only.
 */
#ifndef SKV_ENC_OPS_H
#define SKV_ENC_OPS_H

#include "intake/op.h"

void skv_op_enc_enable_storage(struct skv_op *op);
void skv_op_enc_enable_raft(struct skv_op *op);
/* encryption.rotate-dek (enc_rotate.c): json optional {"purpose":
 * "storage"|"raft" (default storage), "if_active":KEY_ID}. Leader, ready.
 * Answer {applied_index, purpose, key_id, previous_key_id,
 * was_already_rotated}. */
void skv_op_enc_rotate_dek(struct skv_op *op);
/* encryption.retire (enc_retire.c): json {"key_id":K}. Leader, ready.
 * Answer {applied_index, key_id, purpose}; each node's retire job
 * (enc_retire_job.c) then drops the key (GET /v1/status shows it). */
void skv_op_enc_retire(struct skv_op *op);
/* encryption.seal-key-names (enc_names.c): no body. Leader, ready. Both
 * phases on, no other change running, every member's build supports it
 * (capability gate); then the 0x05/6 entry. {"applied_index",
 * "name_key_id","was_already_active","capability_summary"}. */
void skv_op_enc_seal_names(struct skv_op *op);
/* The refusals rotate-dek and retire share (enc_rotate.c): another
 * rotation or retire, a membership gate or enable-storage-envelope, the
 * cutover — each retryable. -1 after answering, 0 when none runs. */
int skv_enc_change_busy(struct skv_op *op);
/* encryption.rewrap-kek (enc_rewrap.c): json {"kek_file": ABS_PATH}. Any
 * node, runs locally. Answer {kek_id, previous_kek_id, keys_rewrapped,
 * keys, kek_file}. */
void skv_op_enc_rewrap_kek(struct skv_op *op);

/* Before raft_add of a newcomer once encryption is bootstrapped: probe it
 * (ErrPeerNotEncryptionCapable) and register it as a writer of every
 * active DEK; then call `next(op)`. Replies to op itself on failure. */
void skv_enc_member_gate(struct skv_op *op, uint64_t id, const char *address,
                         void (*next)(struct skv_op *op));

/* Start-up: refuse (ErrLocalEpochRollback) when the local registry holds
 * an epoch for this node at or above its freshly bumped one; otherwise,
 * once bootstrapped, make this node's registration at that epoch due
 * (n->enc_jobs; skv_enc_jobs_tick proposes it, admin/enc_jobs.h). */
int skv_enc_registry_check(struct skv_node *n, char *err, size_t errlen);

#endif
