/* SPDX-License-Identifier: MIT */
/*
 * fsm_gap.h — the FSM batch chain (docs/DURABILITY.md "Unsynced FSM
 * writes"): detects an FSM batch lost from the unsynced WAL tail while a
 * later one survived.
 *
 * Every FSM batch that advances the applied index from P to I also puts
 * marker I and deletes marker P, atomically with its effects. Restore,
 * repair and the seed of a store that has no marker yet replace every
 * marker by marker(applied) in one synced batch. So a store in which no
 * batch was lost holds exactly one marker, at the applied index; a marker
 * J below it means the batch right after J (the one that deleted J) was
 * lost. Keys: SKV_PFX_FSM_META "mark" u64 BE, and "gapto" (u64 BE: the
 * repair horizon, see skv_fsm_gap_start).
 */
#ifndef SKV_FSM_GAP_H
#define SKV_FSM_GAP_H

#include <stddef.h>
#include <stdint.h>

#include <sealkv/storage.h>

#include "fsm/fsm.h"

#define SKV_FSM_MARK_KEY_LEN 13u

extern const uint8_t skv_fsm_gapto_key[6];

void skv_fsm_mark_key(uint8_t key[SKV_FSM_MARK_KEY_LEN], uint64_t index);

/* Stage the chain step of the batch moving applied from prev to index. */
int skv_fsm_gap_stage(struct skv_fsm_batch *b, uint64_t prev, uint64_t index);

/* Stage: delete every stored marker, put marker(index). 0 or -1 (err). */
int skv_fsm_gap_stage_reset(const struct skv_storage_ops *st, void *db,
                            struct skv_fsm_batch *b, uint64_t index,
                            char *err, size_t errlen);

/* What the markers of a store say about its applied index. */
struct skv_fsm_gap {
    uint64_t applied;       /* the FSM applied index checked against */
    uint64_t n_marks;       /* markers stored */
    int applied_marked;     /* one of them is at applied */
    uint64_t n_stale;       /* markers below applied: each = a lost batch */
    uint64_t first_stale;   /* smallest of them (valid when n_stale) */
    uint64_t last_stale;    /* largest of them (valid when n_stale) */
    uint64_t n_above;       /* markers above applied (cannot happen) */
    uint64_t horizon;       /* stored repair horizon, 0 when none */
};

enum { SKV_GAP_CLEAN = 0, SKV_GAP_UNMARKED = 1, SKV_GAP_FOUND = 2 };

/* Read every marker (from `view`, NULL = latest). 0 or -1 (err). */
int skv_fsm_gap_scan(const struct skv_storage_ops *st, void *db, void *view,
                     uint64_t applied, struct skv_fsm_gap *g, char *err,
                     size_t errlen);

/* SKV_GAP_CLEAN, SKV_GAP_UNMARKED (a store from before markers) or
 * SKV_GAP_FOUND. */
int skv_fsm_gap_verdict(const struct skv_fsm_gap *g);

/* One line naming the lost batches (for logs, errors and verify). */
void skv_fsm_gap_describe(const struct skv_fsm_gap *g, char *out, size_t outlen);

/* fsm_gap_start.c — start-up, after skv_fsm_init and before raft starts:
 * seed a store without markers; on a gap, repair when it can (rewind the
 * applied index to just before the first lost batch so raft re-applies
 * from there, the local log holding every entry to re-apply and no
 * encryption entry among them), else refuse with the remedy. 0 or -1
 * with the message in err. */
int skv_fsm_gap_start(struct skv_fsm *f, char *err, size_t errlen);

#endif
