/* SPDX-License-Identifier: MIT */
/*
 * enc_job.h — internal to core/admin/enc_*.c: one asynchronous encryption
 * job (an op waiting on proposals, capability probes or a barrier) and
 * the helpers enc_ops.c and enc_regs.c share.
 */
#ifndef SKV_ENC_JOB_H
#define SKV_ENC_JOB_H

#include "intake/op.h"
#include "intake/propose.h"

#include <jansson.h>
#include <raft.h>

struct skv_enc_job {
    struct skv_op *op;
    json_t *summary;
    uint64_t member_id;
    void (*next)(struct skv_op *op);
    unsigned *busy;                /* a count of n->enc_jobs held while the job lives */
    struct raft_barrier barrier;   /* member gate: flush entries in flight */
};

/* A zeroed job for op; NULL after replying ErrNoMemory to op. */
struct skv_enc_job *skv_enc_job_new(struct skv_op *op);
/* Release the job's busy counter and summary, then the job. */
void skv_enc_job_free(struct skv_enc_job *j);
/* Reply to op with a failed proposal's error, prefixed with `what`. */
void skv_enc_reply_result(struct skv_op *op, const struct skv_propose_result *r, const char *what);

#endif /* SKV_ENC_JOB_H */
