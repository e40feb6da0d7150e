/* SPDX-License-Identifier: MIT */
/*
 * fsm_snap_enc.h — the encryption state inside an FSM snapshot: one record
 * with key SKV_PFX_ENC_SNAP "enc" and value [encidx u64 BE][sidecar JSON]
 * (the wrapped DEKs, active ids, Phase-1 flag and cutover; never a raw
 * key). Written whenever encryption is bootstrapped; a restoring node
 * adopts it (sidecar first) so a fresh follower can unwrap what follows.
 */
#ifndef SKV_FSM_SNAP_ENC_H
#define SKV_FSM_SNAP_ENC_H

#include "fsm/fsm.h"
#include "fsm/snap_hdr.h"
#include "fsm/snap_reader.h"
#include "util/buf.h"

/* Appends to a snapshot buffer: a struct skv_buf grown with raft_realloc
 * (its memory goes to C-Raft). 0 or -1 (out of memory). */
int skv_sbuf_put(struct skv_buf *b, const void *d, size_t n);
int skv_sbuf_record(struct skv_buf *b, const void *k, size_t kl, const void *v, size_t vl);

/* Next record from *pos: 1 with r, 0 at the end, -1 if malformed. */
int skv_snap_next(const uint8_t *p, size_t len, size_t *pos, struct skv_snap_rec *r);

int skv_fsm_snap_enc_dump(struct skv_fsm *f, struct skv_buf *b);
/* Adopt the record: 0 with *encidx, or a RAFT_* error after halting. */
int skv_fsm_snap_enc_adopt(struct skv_fsm *f, const struct skv_snap_hdr *h,
                           const uint8_t *p, size_t len,
                           const struct skv_snap_rec *rec, uint64_t *encidx);

#endif
