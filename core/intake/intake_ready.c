/* SPDX-License-Identifier: MIT */
/*
 * ready.c — leader readiness: a new leader accepts no user proposal and
 * serves no linearizable read until a barrier of its own term has
 * applied (its log is then final up to its term's first entry).
 */
#include "intake/op.h"

static void ready_done(struct raft_barrier *req, int status)
{
    struct skv_node *n = req->data;
    n->ready_barrier_inflight = 0;
    if (status == 0 && raft_state(&n->raft) == RAFT_LEADER &&
        n->raft.current_term == n->ready_pending_term) {
        n->ready_term = n->ready_pending_term;
        skv_node_log(n, 1, "leader ready for term %llu", (unsigned long long)n->ready_term);
    }
}

void skv_ready_tick(struct skv_node *n)
{
    int rv;
    if (raft_state(&n->raft) != RAFT_LEADER || n->ready_barrier_inflight ||
        n->ready_term == n->raft.current_term || n->stopping)
        return;
    n->ready_barrier.data = n;
    n->ready_pending_term = n->raft.current_term;
    n->ready_barrier_inflight = 1;
    rv = raft_barrier(&n->raft, &n->ready_barrier, ready_done);
    if (rv != 0)
        n->ready_barrier_inflight = 0;
}

int skv_leader_ready(struct skv_node *n)
{
    if (raft_state(&n->raft) != RAFT_LEADER)
        return 0;
    if (n->ready_term != n->raft.current_term) {
        skv_ready_tick(n); /* start it now rather than at the next tick */
        return 0;
    }
    return 1;
}
