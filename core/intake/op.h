/* SPDX-License-Identifier: MIT */
/*
 * op.h — one in-flight admin operation (from the local admin plugin or
 * forwarded by a follower), its reply paths and the op dispatcher.
 */
#ifndef SKV_OP_H
#define SKV_OP_H

#include "node/node.h"
#include "util/errors.h"

#define SKV_WIRE_MAX_ADDR_OP 1025

struct skv_op {
    struct skv_node *node;
    struct skv_list link;        /* inbox or reads list */
    char *op;
    uint8_t *arg;
    size_t arg_len;
    uint8_t *body;
    size_t body_len;
    char *json;
    uint32_t flags;

    /* Reply path: either the local admin plugin... */
    skv_admin_done_fn done;
    void *done_arg;
    /* ...or a follower that forwarded it to us (fwd_from != 0). */
    uint64_t fwd_from;
    uint64_t fwd_req_id;

    struct skv_tracked fwd;      /* while forwarded to the leader (forward.c) */

    union {                      /* raft request in flight for this op */
        struct raft_apply apply;
        struct raft_change change;
    } rq;
    uint64_t member_id;          /* members.add: follow-up assign */
    int member_role;
    int member_err;              /* members.add: the failed assign being rolled back */
    char member_address[SKV_WIRE_MAX_ADDR_OP];
};

/* Allocate an op copying the request. NULL on OOM. */
struct skv_op *skv_op_new(struct skv_node *n, const struct skv_admin_req *req);
void skv_op_free(struct skv_op *op);

/* Answer and free the op. */
void skv_op_reply(struct skv_op *op, const struct skv_admin_resp *resp);
void skv_op_reply_json(struct skv_op *op, int status, const char *json);
void skv_op_reply_error(struct skv_op *op, int rc, int status,
                        const char *error, int retry_after_s,
                        const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Answer with catalogue error `id` (util/errors.def): rc, status and
 * Retry-After derive from it. */
void skv_op_fail(struct skv_op *op, enum skv_error_id id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* As skv_op_fail, with `json` (an object's members, or NULL) merged into
 * the error reply (e.g. ErrCompareFailed's "mod_index"). */
void skv_op_fail_json(struct skv_op *op, enum skv_error_id id, const char *json,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* As skv_op_fail with an explicit status: only for ErrMembership, whose
 * status is the refused raft change's (see errors.def). */
void skv_op_fail_status(struct skv_op *op, enum skv_error_id id, int status,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Run an op on the loop thread (admin_ops.c). */
void skv_op_dispatch(struct skv_op *op);

/* Forwarding to the leader (forward.c; the state is n->ops_forwarded,
 * leader_req.h): init at open, tick, fail_all at shutdown. */
void skv_forward_init(struct skv_node *n);
void skv_forward_to_leader(struct skv_op *op);
void skv_forward_on_resp(struct skv_node *n, uint64_t from,
                         const void *resp /* skv_fwd_admin_resp */);
void skv_forward_tick(struct skv_node *n, uint64_t now_ms);
void skv_forward_fail_all(struct skv_node *n);

/* Linearizable reads (reads.c; init and fail_all: admin/reads.h). */
void skv_read_enqueue(struct skv_op *op);

/* Leader readiness (intake_ready.c): 1 if this node is leader and a
 * barrier of its own term has applied. */
static inline int skv_leader_ready(struct skv_node *n)
{
    return skv_intake_ready(&n->intake);
}

#endif
