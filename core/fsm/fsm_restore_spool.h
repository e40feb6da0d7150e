/* SPDX-License-Identifier: MIT */
/*
 * fsm_restore_spool.h — the restore of a snapshot installed through the
 * spool file (fsm_restore_spool.c), in steps, so that it can run whole
 * on the loop (C-Raft's restore at start-up: nothing is served yet) or
 * with its long steps on a worker (fsm_install.c: an install while the
 * node serves). The steps, in order:
 *
 *   init    (loop)    the reference parsed; 1 when already restored
 *   check   (any)     the file: token, size, CRC over every byte, every
 *                     record; the records the adoption needs kept
 *   adopt   (loop)    crash point before-restore; the encryption state
 *                     adopted (sidecar first)
 *   write   (any)     the FSM key space deleted, then written, in batches
 *                     of at most 1 MiB that leave the applied index alone
 *                     (crash point mid-restore after the first), then one
 *                     synced batch moving the applied index, the
 *                     encryption index and the batch chain
 *   done    (loop)    the FSM's memory follows the store; crash point
 *                     after-restore; the file removed
 *
 * "any": touches only the storage handle, the spool file and the job
 * (never the node), returns -1 with job->err instead of halting, and
 * stops early with "cancelled" once *cancel is set.
 */
#ifndef SKV_FSM_RESTORE_SPOOL_H
#define SKV_FSM_RESTORE_SPOOL_H

#include <stdatomic.h>
#include <stdint.h>

#include "fsm/fsm.h"
#include "fsm/fsm_keys.h"
#include "fsm/snap_hdr.h"
#include "raftio/snap_spool.h"
#include "util/buf.h"

struct skv_spool_job {
    const struct skv_storage_ops *st;
    void *db;
    const char *dir;              /* the data_dir (the node's config, immutable) */
    uint64_t node_id;
    struct skv_snap_hdr ref_h;    /* the reference's header (v4) */
    struct skv_snap_hdr h;        /* the spooled snapshot's (v1/v2) */
    struct skv_spool_meta m;
    struct skv_spool_r r;
    uint32_t crc;
    struct skv_buf keep;          /* encryption + own writer records */
    int have_enc;
    uint64_t encidx;              /* set by adopt */
    const atomic_int *cancel;     /* may be NULL */
    unsigned pause_ms;            /* test hook: a pause after each key-space batch */
    struct skv_keys_build kb;     /* the new key space's key set (fsm_keys.h) */
    char err[300];
};

/* 0 ready, 1 already restored (nothing to do), RAFT_MALFORMED. */
int skv_spool_job_init(struct skv_spool_job *j, struct skv_fsm *f, const struct skv_snap_hdr *ref_h,
                       const uint8_t *p, size_t len);
int skv_spool_job_check(struct skv_spool_job *j);
/* 0, or a RAFT_* code (the node halted). */
int skv_spool_job_adopt(struct skv_spool_job *j, struct skv_fsm *f);
int skv_spool_job_write(struct skv_spool_job *j);
void skv_spool_job_done(struct skv_spool_job *j, struct skv_fsm *f);
void skv_spool_job_free(struct skv_spool_job *j);

#endif
