/* SPDX-License-Identifier: MIT */
/*
 * fsm_names.h — the FSM's layout of user keys once key names are sealed
 * (issue 13 item 4; crypto/names.h has the hash and the record, docs/
 * SECURITY.md "Key names" the argument, docs/PERFORMANCE.md the cost).
 *
 * Off (the default): a value lives under SKV_PFX_FSM_DATA ‖ user key, its
 * revision under SKV_PFX_FSM_REV ‖ user key (fsm.h, fsm_rev.h).
 * On (the sidecar's names.sealed_index != 0, from that entry on, on every
 * replica): under SKV_PFX_NAMED_DATA ‖ H(key) and SKV_PFX_NAMED_REV ‖
 * H(key), the value record's sealed plaintext carrying the name.
 *
 * Records written before the switch stay in the first layout until this
 * node's names job (admin/names_job.c) moves them; meanwhile a read looks
 * in the sealed layout, then the old one; a write goes to the sealed
 * layout and deletes the old record; a delete deletes both. Whether any
 * old record remains is the store's own state (one seek; no flag that
 * could disagree with it), looked at after start, a restore or the
 * switch, and set to "none" by the job when its walk ends. Once none
 * remains no write names an old key again (not even a delete: its
 * tombstone would carry the name). Loop thread only.
 */
#ifndef SKV_FSM_NAMES_H
#define SKV_FSM_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include <sealkv/plugin.h>

#include "crypto/names.h"
#include "fsm/fsm_scan.h"

struct skv_fsm;
struct skv_fsm_batch;
struct skv_kv_op;

/* 1 when key names are sealed on this node. */
int skv_fsm_names_on(struct skv_fsm *f);
/* Names sealed and records of the cleartext-name layout may remain: 1;
 * else 0. A store error counts as "may remain". */
int skv_fsm_names_old(struct skv_fsm *f);

/* The sealed-layout store key of user key `name` under prefix pfx
 * (SKV_PFX_NAMED_DATA or SKV_PFX_NAMED_REV). SKV_OK or an error. */
int skv_fsm_names_key(struct skv_fsm *f, uint8_t pfx, const uint8_t *name, size_t len,
                      uint8_t out[SKV_NAMED_KEY_LEN], struct skv_err *err);

/* Apply: stage the value side of a put/delete in the sealed layout
 * (revisions: fsm_rev.c). 0, or a RAFT_* error (halted unless NOMEM). */
int skv_fsm_names_stage(struct skv_fsm *f, uint64_t index, const struct skv_kv_op *op,
                        struct skv_fsm_batch *b);

/* Open the named record `rec` stored under `skey`: *pt is the malloc'd
 * plaintext (free it), name and val point into it. SKV_OK, or an error
 * (SKV_ERR_CORRUPT for a malformed plaintext). */
int skv_fsm_names_open(struct skv_fsm *f, const uint8_t *skey, size_t skl, const uint8_t *rec,
                       size_t rl, uint8_t **pt, size_t *ptl, const uint8_t **name, size_t *nl,
                       const uint8_t **val, size_t *vl, struct skv_err *err);

/* Point read in the sealed layout only: SKV_OK with a malloc'd value,
 * SKV_ERR_NOTFOUND, or an error (a record holding another name is
 * SKV_ERR_CORRUPT). The caller falls back to the old layout. */
int skv_fsm_names_get(struct skv_fsm *f, const uint8_t *key, size_t kl, uint8_t **val,
                      size_t *vl, struct skv_err *err);

/* Listing with names sealed (fsm_names_scan.c): every record of both
 * layouts opened, filtered by prefix and `after`, sorted, handed to fn in
 * order — the same contract as skv_fsm_scan (fsm_scan.h), at the cost of
 * opening every record (docs/PERFORMANCE.md "Sealed key names"). */
int skv_fsm_names_scan(struct skv_fsm *f, const struct skv_fsm_scan *s, skv_fsm_scan_fn fn,
                       void *arg, int *more, struct skv_err *err);

/* The names job's walk (fsm_names_move.c): moves records of the old
 * layout to the sealed one, a bounded chunk per call, each chunk one
 * synced storage batch serialised with apply (the FSM is flushed first). */
struct skv_names_move {
    uint8_t next_key[4096 + 2];  /* SKV_MAX_KEY + 2: where the next chunk starts */
    size_t next_len;
    uint64_t moved;              /* values moved */
    uint64_t dropped;            /* old records dropped (a revision without value) */
    char msg[300];
};
void skv_names_move_init(struct skv_names_move *m);
/* 1 more to do, 0 done (no old record remains; the FSM knows it), -1
 * error (m->msg). */
int skv_names_move_chunk(struct skv_fsm *f, struct skv_names_move *m);

#endif /* SKV_FSM_NAMES_H */
