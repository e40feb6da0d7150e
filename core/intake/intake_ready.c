/* SPDX-License-Identifier: MIT */
/*
 * intake_ready.c — leader readiness, part of the intake (intake.h): a new
 * leader accepts no proposal and serves no linearizable read until a
 * barrier of its own term has applied (its log is then final up to its
 * term's first entry, cutover state included).
 */
#include "intake/intake.h"
#include "util/log.h"

#include <sealkv/plugin.h>

static void ready_done(struct raft_barrier *req, int status)
{
    struct skv_intake *in = req->data;
    in->ready_inflight = 0;
    if (status == 0 && raft_state(in->raft) == RAFT_LEADER &&
        in->raft->current_term == in->ready_pending_term) {
        in->ready_term = in->ready_pending_term;
        skv_log(SKV_LOG_INFO, in->log_level, "node", "leader ready for term %llu",
                (unsigned long long)in->ready_term);
    }
}

void skv_intake_ready_tick(struct skv_intake *in)
{
    if (raft_state(in->raft) != RAFT_LEADER || in->ready_inflight ||
        in->ready_term == in->raft->current_term || in->closed)
        return;
    in->ready_req.data = in;
    in->ready_pending_term = in->raft->current_term;
    in->ready_inflight = 1;
    if (raft_barrier(in->raft, &in->ready_req, ready_done) != 0)
        in->ready_inflight = 0;
}

int skv_intake_ready(struct skv_intake *in)
{
    if (raft_state(in->raft) != RAFT_LEADER)
        return 0;
    if (in->ready_term != in->raft->current_term) {
        skv_intake_ready_tick(in); /* start it now rather than at the next tick */
        return 0;
    }
    return 1;
}
