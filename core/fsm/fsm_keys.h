/* SPDX-License-Identifier: MIT */
/*
 * fsm_keys.h — the FSM's set of existing keys (docs/PERFORMANCE.md,
 * "Growth"): a fingerprint multiset (util/fpset.h) of every key that has
 * a value, in the store or staged this round, so a put of a new key and
 * a delete of an absent one learn "absent" without reading the store.
 * Each read that misses makes LevelDB charge a table "seek" and run
 * read-triggered compactions; before this set, every new-key put missed
 * twice (its revision record, then its value) and compaction output grew
 * threefold.
 *
 * The set is exact only when every value has a revision record (keys
 * written before revisions have none, and the set is built from the
 * revision records). The store says so with a node-local marker
 * (SKV_PFX_FSM_META ‖ "revsall", never in a snapshot), written when the
 * FSM starts on an empty key space and by each snapshot restore that
 * found a revision record for every value; a restore that did not
 * deletes it. Without the marker, or with key names sealed (the store
 * holds hashes, not names), or after the set ran out of memory, the set
 * is off and lookups read the store as before.
 *
 * Lifecycle: built at start (a scan of the revision records), replaced
 * by a restore (built by the restore's own walk, on its thread, adopted
 * on the loop), kept by the apply path (fsm_rev.c). Loop thread only,
 * except a struct skv_keys_build, owned by the restore that fills it.
 */
#ifndef SKV_FSM_KEYS_H
#define SKV_FSM_KEYS_H

#include "util/fpset.h"

#include <stddef.h>
#include <stdint.h>

struct skv_fsm_keys {
    struct skv_fpset set;
    int on;                   /* the set holds every existing key */
};

/* A key space being restored: its revision records' fingerprints and
 * the counts that say whether the set is exact. */
struct skv_keys_build {
    struct skv_fpset set;
    uint64_t values, revs, named;
    int nomem;
};

struct skv_fsm;
struct skv_fsm_batch;

/* At FSM start (the store open, its applied index loaded): the marker
 * (written if the key space is empty), then the set from the revision
 * records. 0, or -1 with err (a store error). */
int skv_fsm_keys_load(struct skv_fsm *f, char *err, size_t errlen);
void skv_fsm_keys_free(struct skv_fsm *f);
/* Turn the set off until the next start or restore (logged once). */
void skv_fsm_keys_off(struct skv_fsm *f, const char *why);

/* 1: the key certainly has no value (store and round); 0: ask the store. */
int skv_fsm_keys_absent(struct skv_fsm *f, const uint8_t *key, size_t len);
/* 1: the set is in use (a delete must learn whether its key existed). */
int skv_fsm_keys_in_use(struct skv_fsm *f);
/* A staged write moved the key from existed to exists (0/1 each). */
void skv_fsm_keys_note(struct skv_fsm *f, const uint8_t *key, size_t len, int existed,
                       int exists);

/* Restores: init, one call per record written into the new key space,
 * the marker's op for the restore's final batch (0, or -1 out of
 * memory), adoption on the loop once the key space is durable. */
void skv_keys_build_init(struct skv_keys_build *kb);
void skv_keys_build_rec(struct skv_keys_build *kb, const uint8_t *key, size_t kl);
int skv_keys_build_mark(const struct skv_keys_build *kb, struct skv_fsm_batch *b);
void skv_fsm_keys_adopt(struct skv_fsm *f, struct skv_keys_build *kb);
void skv_keys_build_free(struct skv_keys_build *kb);

extern const uint8_t skv_fsm_revsall_key[8];

#endif /* SKV_FSM_KEYS_H */
