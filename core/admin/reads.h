/* SPDX-License-Identifier: MIT */
/*
 * reads.h — the linearizable reads' state (reads.c), owned by reads.c and
 * embedded in struct skv_node: reads waiting for the next barrier, reads
 * the barrier in flight covers. Init at open; no tick (the barrier's
 * callback drives them); fail_all at shutdown. Enqueueing a read is
 * skv_read_enqueue (intake/op.h).
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

struct skv_node;

void skv_reads_init(struct skv_reads *r);
/* Shutdown: fail the reads still waiting; those the barrier in flight
 * covers are answered by its callback (raft_close fires it). */
void skv_reads_fail_all(struct skv_node *n);

#endif /* SKV_READS_H */
