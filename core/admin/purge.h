/* SPDX-License-Identifier: MIT */
/*
 * purge.h — the node-local "forget everything at or below index X" steps
 * shared by erase-cleartext (erase.c, X = the cutover) and the retire job
 * (enc_retire_job.c, X = past the last entry and value under the retired
 * key): on THIS node,
 *   1. make the Raft log start above X: a snapshot right away (threshold
 *      1, trailing 1, then a no-op entry 0x02 to trigger it, again every
 *      second) until no stored log entry at or below X remains;
 *   2. put the configured snapshot cadence back, drop the FSM's storage
 *      views (fsm/snap_view.h: snapshot and backup views taken before
 *      still see what step 1 and the caller deleted or overwrote) and wait
 *      until none taken before is alive;
 *   3. (caller's choice) compact the store physically on a worker thread
 *      so the deleted and overwritten bytes leave the disk.
 * Before step 1 both re-seal FSM values with the active storage key
 * (skv_reseal_chunk): erase the cleartext ones, retire those under the
 * retired key — in chunks on the loop thread, each serialised with FSM
 * apply (the FSM is flushed first; apply never runs inside a chunk).
 * The owner drives steps 1-2 from its own timer (skv_purge_step every
 * few tens of ms) and owns the struct. Loop thread only.
 */
#ifndef SKV_PURGE_H
#define SKV_PURGE_H

#include "node/node.h"
#include "cmd/command.h"

#include <stdint.h>
#include <uv.h>

struct skv_purge {
    struct skv_node *n;
    uint64_t above;             /* no log entry <= above may remain */
    uint64_t deadline, noop_at, views_mark, first_index;
    unsigned threshold, trailing;
    int forcing;                /* snapshot settings lowered (step 1) */
    int views_dropped;          /* step 2 waits for older views to go */
    uv_work_t work;
    int compact_rc;
    void (*compacted)(struct skv_purge *p, int ok);
    char msg[300];
};

/* Re-sealing: which values, and where the walk is. */
struct skv_reseal {
    uint32_t key_id;            /* 0: cleartext values; else sealed under it */
    uint8_t next_key[SKV_MAX_KEY + 2];
    size_t next_len;
    uint64_t resealed;
    uint64_t installs;          /* the FSM's installs count when the walk (re)started */
    char msg[300];
};
/* Start a walk over every FSM value. */
void skv_reseal_init(struct skv_reseal *r, uint32_t key_id);
/* One chunk: 1 more to do, 0 done (the walk reached the end), -1 error
 * (r->msg). A value that does not open is an error: nothing is skipped.
 * While a snapshot install replaces the key space (fsm/fsm_install.c)
 * a chunk writes nothing and returns 1; after one, the walk starts over
 * (the key space it walked is gone). */
int skv_reseal_chunk(struct skv_node *n, struct skv_reseal *r);

/* Start step 1 for `above`, failing after timeout_ms. */
void skv_purge_begin(struct skv_purge *p, struct skv_node *n, uint64_t above,
                     uint64_t timeout_ms);
/* One step: 1 keep calling, 0 steps 1-2 done, -1 failed (p->msg). */
int skv_purge_step(struct skv_purge *p);
/* Put the snapshot cadence back if step 1 lowered it (idempotent). */
void skv_purge_end(struct skv_purge *p);
/* Step 3: compaction on a worker thread, then done(p, ok) on the loop
 * (p->msg says why not ok). -1 (p->msg) if the storage plugin cannot
 * compact physically; done is not called then. */
int skv_purge_compact(struct skv_purge *p, void (*done)(struct skv_purge *p, int ok));
/* Index of the first stored log entry (0 if none). */
uint64_t skv_purge_first_log_index(struct skv_node *n);

#endif
