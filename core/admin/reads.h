/* SPDX-License-Identifier: MIT */
/*
 * reads.h — the linearizable reads' state (reads.c), owned by reads.c and
 * embedded in struct skv_node: reads waiting for the next barrier, reads
 * the barrier in flight covers. Init at open; no tick (the barrier's
 * callback drives them); skv_reads_fail_all (intake/op.h) at shutdown.
 */
#ifndef SKV_READS_H
#define SKV_READS_H

#include <raft.h>

#include "util/list.h"

struct skv_reads {
    struct skv_list waiting;    /* struct skv_op, for the next barrier */
    struct skv_list inflight;   /* covered by `barrier` */
    int barrier_inflight;
    struct raft_barrier barrier;
};

void skv_reads_init(struct skv_reads *r);

#endif /* SKV_READS_H */
