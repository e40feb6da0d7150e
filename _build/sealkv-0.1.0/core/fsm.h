/*
 * fsm.h — the replicated state machine: durable KV in the storage plugin
 * (SKV_PFX_FSM_DATA), the applied index written in the same batch
 * (SKV_PFX_FSM_META "applied"), replay skipping, snapshot and restore.
 *
 * Stored value record: [hdr u8][bytes]; hdr bits 0-1 = encryption state
 * (0 cleartext; Phase 1 adds envelope states), other bits reserved 0.
 */
#ifndef SKV_FSM_H
#define SKV_FSM_H

#include "node.h"

#define SKV_SNAP_MAGIC1 "SKVSNAP1"

int skv_fsm_init(struct skv_fsm *f, struct skv_node *n, char *err,
                 size_t errlen);

/* Local read of a user key. Returns SKV_OK with a malloc'd value,
 * SKV_ERR_NOTFOUND, or another error (message in err). */
int skv_fsm_get(struct skv_fsm *f, const uint8_t *key, size_t key_len,
                uint8_t **val, size_t *val_len, struct skv_err *err);

/* Snapshot/restore (fsm_snapshot.c). */
int skv_fsm_snapshot(struct raft_fsm *rf, struct raft_buffer *bufs[],
                     unsigned *n_bufs);
int skv_fsm_restore(struct raft_fsm *rf, struct raft_buffer *buf);

/* The key under which the applied index lives. */
extern const uint8_t skv_fsm_applied_key[8];

#endif
