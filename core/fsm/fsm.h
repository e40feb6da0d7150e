/* SPDX-License-Identifier: MIT */
/*
 * fsm.h — the replicated state machine: durable KV in the storage plugin
 * (SKV_PFX_FSM_DATA), the applied index written in the same batch
 * (SKV_PFX_FSM_META "applied"), replay skipping, snapshot and restore,
 * and the encryption commands (fsm_enc.c).
 *
 * Per-key revisions (mod / create index) live beside the values, under
 * SKV_PFX_FSM_REV, written in the same batch (fsm_rev.h).
 *
 * Stored value record: [hdr u8][bytes]; hdr bits 0-1 = encryption state,
 * an out-of-band discriminator (never guessed from the value bytes):
 *   0 cleartext, 1 storage envelope, v1 or v2 (envelope.h); 2, 3 reserved.
 * Other header bits are reserved 0.
 *
 * Apply order for every entry (fsm.c): the index comes from the engine
 * (raft_last_applied + 1); entries at or below the applied index (durable
 * or pending) are skipped; an entry above the Phase-2 cutover index is unwrapped
 * (raft envelope) before dispatch, at or below it is not (strict >); any
 * failure halts without advancing the applied index.
 */
#ifndef SKV_FSM_H
#define SKV_FSM_H

#include "node/node.h"

#define SKV_SNAP_MAGIC1 "SKVSNAP1"
#define SKV_SNAP_MAGIC2 "SKVSNAP2"

#define SKV_VAL_CLEAR 0
#define SKV_VAL_SEALED 1
#define SKV_VAL_STATE_MASK 0x03

int skv_fsm_batch_put(struct skv_fsm_batch *b, const void *k, size_t kl,
                      const void *v, size_t vl);
int skv_fsm_batch_del(struct skv_fsm_batch *b, const void *k, size_t kl);
void skv_fsm_batch_free(struct skv_fsm_batch *b);

int skv_fsm_init(struct skv_fsm *f, struct skv_node *n, char *err,
                 size_t errlen);

/* Write the applied entries still pending (fsm.c: applies are batched
 * per commit round) with the applied index. Every reader of the FSM's
 * key space calls it first; the loop's check handle calls it at the end
 * of every turn. 0, or a RAFT_* error after halting (nothing is written
 * once halted). Loop thread. */
int skv_fsm_flush(struct skv_fsm *f);

/* Write what is pending and close the flush handle (raft is closed:
 * nothing is applied any more). Loop thread. */
void skv_fsm_stop(struct skv_fsm *f);

/* Local read of a user key. Returns SKV_OK with a malloc'd value,
 * SKV_ERR_NOTFOUND, or another error (message in err). `rev` (may be
 * NULL) gets the key's revision (fsm_rev.h; mod/create 0: written before
 * revisions). */
int skv_fsm_get(struct skv_fsm *f, const uint8_t *key, size_t key_len,
                uint8_t **val, size_t *val_len, struct skv_rev *rev,
                struct skv_err *err);

/* Snapshot/restore (fsm_snapshot.c). Taking a snapshot is C-Raft's
 * fsm version 3 without snapshot_async: snapshot (loop: the LOCAL
 * snapshot — header and encryption record — and a storage view,
 * snap_view.h), snapshot_finalize (loop: the view becomes current once
 * stored; frees the buffer). */
int skv_fsm_snapshot(struct raft_fsm *rf, struct raft_buffer *bufs[],
                     unsigned *n_bufs);
int skv_fsm_snapshot_finalize(struct raft_fsm *rf, struct raft_buffer *bufs[],
                              unsigned *n_bufs);
/* Ask for a snapshot at the next apply (a send found no view for the
 * stored local snapshot, e.g. after a restart). Loop thread. */
void skv_fsm_want_snapshot(struct skv_fsm *f);
/* Release the snapshot views (before the store closes). */
void skv_fsm_close(struct skv_fsm *f);

/* fsm.c: stage a KV put/delete (its revision included) into b. */
struct skv_kv_op;
int skv_fsm_stage_kv(struct skv_fsm *f, uint64_t index, const struct skv_kv_op *op,
                     struct skv_fsm_batch *b);
/* fsm_txn.c: apply a 0x07 transaction (see there); 0 or a RAFT_* error
 * after halting. f->txn_res holds its outcome until the next one. */
struct skv_txn;
int skv_fsm_apply_txn(struct skv_fsm *f, uint64_t index, const struct skv_txn *t,
                      struct skv_fsm_batch *b);
void skv_fsm_txn_free(struct skv_fsm *f);
/* Whether the stored snapshot is a local one (SKVSNAP3). */
int skv_fsm_snapshot_is_local(struct skv_node *n);
int skv_fsm_restore(struct raft_fsm *rf, struct raft_buffer *buf);
/* A big snapshot received into the spool file (raftio/snap_spool.h,
 * fsm_restore_spool.c): the reference C-Raft stores instead of its data
 * (env.spool_ref; head: the snapshot's first bytes; 0 or -1), and the
 * restore of such a reference in bounded memory (RAFT_* code; the caller
 * frees the reference on success). */
struct skv_spool_meta;
struct skv_snap_hdr;
int skv_fsm_spool_ref(const uint8_t *head, size_t head_len, const struct skv_spool_meta *m,
                      struct raft_buffer *ref, char *err, size_t errlen);
int skv_fsm_restore_spooled(struct skv_fsm *f, const struct skv_snap_hdr *ref_h,
                            const uint8_t *p, size_t len);

/* fsm_install.c: replace the key space from a stored spooled snapshot
 * reference (v4, `ref`) off the loop thread, before C-Raft hears that the
 * snapshot is stored: 0 started (done(arg, status) follows on the loop:
 * 0 restored, RAFT_CANCELED stopped by skv_fsm_install_cancel or a halt,
 * another RAFT_* code failed), 1 nothing to do here (not a reference, or
 * restored already: C-Raft's restore handles it), or a RAFT_* code. */
int skv_fsm_install_start(struct skv_fsm *f, const struct raft_buffer *ref,
                          void (*done)(void *arg, int status), void *arg);
/* Stop an install at its next batch (the io closes). */
void skv_fsm_install_cancel(struct skv_fsm *f);
/* 1 while an install replaces the key space: no reader may look at it. */
int skv_fsm_installing(const struct skv_fsm *f);

/* The newest local snapshot: the cutover its header records (0: none/v1)
 * and its index (0: no snapshot). */
void skv_fsm_snapshot_meta(struct skv_node *n, uint64_t *cutover, uint64_t *index);

/* fsm_enc.c: encryption commands (0x03..0x05, already decoded by
 * skv_cmd_decode) and value sealing. Each returns 0 or a
 * RAFT_* error after halting the node; *reject is set to a stable error
 * name when the entry is deterministically refused (a no-op on every
 * replica). */
struct skv_cmd;
int skv_fsm_apply_enc(struct skv_fsm *f, uint64_t index,
                      const struct skv_cmd *c, struct skv_fsm_batch *b,
                      const char **reject);
/* A key this node just learned (bootstrap, rotate-dek, snapshot): record
 * in `k` the wrapped bytes the keystore holds for it and the id of the
 * KEK that opened them (KEK rotation: the sidecar names its KEK). */
struct skv_sidecar_key;
void skv_fsm_enc_key_wrapping(struct skv_node *n, struct skv_sidecar_key *k);
/* "bootstrap", "storage-flag", "raft-flag", "registration" or "none"
 * (crash-point names of the test hooks). */
const char *skv_fsm_enc_kind(const uint8_t *p, size_t len);
/* Build the stored record for a put of `val` under storage key `skey`. */
int skv_fsm_seal_value(struct skv_fsm *f, uint64_t index, const uint8_t *skey,
                       size_t skl, const uint8_t *val, size_t vl,
                       uint8_t **rec, size_t *rec_len);
/* Open a stored record into a malloc'd value. */
int skv_fsm_open_value(struct skv_fsm *f, const uint8_t *skey, size_t skl,
                       const uint8_t *rec, size_t rl, uint8_t **val,
                       size_t *vl, struct skv_err *err);
/* Phase 2: unwrap an entry above the cutover. 0 with a malloc'd *pt, or a
 * RAFT_* error after halting (key_id and index logged). */
int skv_fsm_unwrap(struct skv_fsm *f, uint64_t index, const uint8_t *p,
                   size_t len, uint8_t **pt, size_t *pt_len);

/* The keys under which the applied index and encidx live. */
extern const uint8_t skv_fsm_applied_key[8];
extern const uint8_t skv_fsm_encidx_key[7];

#endif
