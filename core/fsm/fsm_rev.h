/* SPDX-License-Identifier: MIT */
/*
 * fsm_rev.h — per-key revisions (docs/DURABILITY.md, "Revisions"): the
 * record under SKV_PFX_FSM_REV ‖ user key, written in the same storage
 * batch as the value it describes,
 *     [version u8 = 1][mod_index u64 BE][create_index u64 BE]   (17 bytes)
 * mod_index: the Raft index of the write that produced the value;
 * create_index: the index of the write that created the key (a put on an
 * absent key; a delete removes the record, so a later put creates anew).
 * A key written before revisions existed has a value and no record: it
 * reads as mod 0 / create 0 ("unknown"); a put keeps its create 0.
 *
 * Applies are batched per commit round (fsm.c): a write staged earlier
 * in the round is not in the store yet, so the revisions staged this
 * round are also kept in a table (struct skv_fsm_revs, one per FSM,
 * emptied when the round is written) that lookups consult first.
 * Loop thread only.
 */
#ifndef SKV_FSM_REV_H
#define SKV_FSM_REV_H

#include <stddef.h>
#include <stdint.h>

#define SKV_REV_REC_LEN 17
#define SKV_REV_REC_VERSION 1

struct skv_rev {
    int exists;              /* the key has a value */
    uint64_t mod;            /* 0: unknown (written before revisions) */
    uint64_t create;         /* 0: unknown */
};

struct skv_rev_ent {
    uint8_t *key;            /* malloc'd copy of the user key; NULL: free slot */
    size_t key_len;
    uint64_t hash;
    struct skv_rev rev;
};

/* The revisions staged in the current round (open addressing). */
struct skv_fsm_revs {
    struct skv_rev_ent *tab;
    size_t cap, n;           /* cap: 0 or a power of two */
};

struct skv_fsm;
struct skv_fsm_batch;
struct skv_err;

/* Forget the staged revisions (the round was written, or abandoned). */
void skv_fsm_revs_reset(struct skv_fsm_revs *t);

/* The key's revision as of the last staged write: the round's table,
 * else the store. 0, or a RAFT_* error after halting the node. */
int skv_fsm_rev_current(struct skv_fsm *f, const uint8_t *key, size_t key_len,
                        struct skv_rev *out);

/* Stage the revision effect of a put (del = 0) or delete (del = 1) of
 * `key` applied at `index` into batch b and the round's table. 0, or a
 * RAFT_* error after halting the node. */
int skv_fsm_rev_stage(struct skv_fsm *f, uint64_t index, const uint8_t *key,
                      size_t key_len, int del, struct skv_fsm_batch *b);

/* The stored revision record of a key (readers, after a flush): 0 with
 * *out (zeroes when there is no record), or an skv_rc with a message. */
int skv_fsm_rev_load(struct skv_fsm *f, const uint8_t *key, size_t key_len,
                     struct skv_rev *out, struct skv_err *err);

/* Record codec: encode into rec[SKV_REV_REC_LEN]; decode 0 or -1. */
void skv_rev_encode(uint8_t rec[SKV_REV_REC_LEN], uint64_t mod, uint64_t create);
int skv_rev_decode(const uint8_t *rec, size_t len, uint64_t *mod, uint64_t *create);

#endif /* SKV_FSM_REV_H */
