/* SPDX-License-Identifier: MIT */
/*
 * health.c — the probe ops behind GET /healthz ("health": the loop
 * answers, so the process serves) and GET /readyz ("ready": this node
 * knows a leader, is not installing a snapshot, a leader has applied a
 * barrier of its own term, and the applied index is within max_lag
 * entries of the commit index the leader advertised; else 503
 * ErrNotReady with a "reason"). Both answer
 * while halted (ready then says so). They reveal no key, value or
 * secret: state, leader id and indexes, like /v1/status's first lines.
 */
#include "admin/admin_ops.h"
#include "fsm/fsm.h"
#include "intake/intake.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SKV_READY_MAX_LAG_DEFAULT 1000   /* entries: a batch or two in flight */

void skv_op_health(struct skv_op *op)
{
    skv_op_reply_json(op, 200, "{\"status\":\"ok\"}");
}

/* max_lag from the op's argument (decimal, checked by the plugin; any
 * other bytes are refused again here). */
static int max_lag_of(const struct skv_op *op, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;
    *out = SKV_READY_MAX_LAG_DEFAULT;
    if (op->arg_len == 0)
        return 0;
    if (op->arg_len > 13)
        return -1;
    for (i = 0; i < op->arg_len; i++) {
        if (op->arg[i] < '0' || op->arg[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(op->arg[i] - '0');
    }
    *out = v;
    return 0;
}

struct readiness {
    const char *reason;          /* NULL: ready */
    char message[160];
    uint64_t leader, applied, commit;
};

static void judge(struct skv_node *n, uint64_t max_lag, struct readiness *r)
{
    const char *addr = NULL;
    raft_id lid = 0;
    raft_leader(&n->raft, &lid, &addr);
    r->leader = lid;
    r->applied = raft_last_applied(&n->raft);
    r->commit = skv_leader_watch_commit(&n->leaders, &n->raft);
    r->reason = NULL;
    if (n->run_state == SKV_RUN_HALTED) {
        r->reason = "halted";
        /* not the reason: it may name files; /v1/status has it */
        snprintf(r->message, sizeof r->message,
                 "node halted; it exits shortly (the reason: /v1/status, the log)");
    } else if (n->stopping || n->run_state != SKV_RUN_SERVING) {
        r->reason = n->stopping ? "stopping" : "starting";
        snprintf(r->message, sizeof r->message, "node is %s", r->reason);
    } else if (skv_fsm_installing(&n->fsm)) {
        r->reason = "installing";   /* the key space is being replaced */
        snprintf(r->message, sizeof r->message,
                 "a snapshot from the leader is being installed; reads are refused until it is done");
    } else if (lid == 0) {
        r->reason = "no_leader";
        snprintf(r->message, sizeof r->message, "no known leader");
    } else if (lid == n->conf->node_id && !skv_intake_ready(&n->intake)) {
        r->reason = "leader_not_ready";
        snprintf(r->message, sizeof r->message,
                 "this leader has not applied a barrier of its term yet");
    } else if (r->commit > r->applied && r->commit - r->applied > max_lag) {
        r->reason = "applying";
        snprintf(r->message, sizeof r->message,
                 "applied index %llu is %llu entries behind the commit index %llu (max_lag %llu)",
                 (unsigned long long)r->applied, (unsigned long long)(r->commit - r->applied),
                 (unsigned long long)r->commit, (unsigned long long)max_lag);
    }
}

/* {"status":"ready"|"reason":R, leader_id, applied_index, commit_index} */
static char *ready_json(const struct readiness *r)
{
    json_t *o = json_pack("{s:s,s:I,s:I,s:I}", r->reason ? "reason" : "status",
                          r->reason ? r->reason : "ready", "leader_id", (json_int_t)r->leader,
                          "applied_index", (json_int_t)r->applied, "commit_index",
                          (json_int_t)r->commit);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

void skv_op_ready(struct skv_op *op)
{
    struct skv_admin_resp resp;
    struct readiness r;
    uint64_t max_lag;
    char *json;
    if (max_lag_of(op, &max_lag) != 0) {
        skv_op_fail(op, SKV_ErrBadRequest, "max_lag must be a decimal number of entries");
        return;
    }
    judge(op->node, max_lag, &r);
    if (!(json = ready_json(&r))) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    if (!r.reason) {
        skv_op_reply_json(op, 200, json);
        free(json);
        return;
    }
    memset(&resp, 0, sizeof resp);
    resp.struct_size = sizeof resp;
    resp.rc = skv_error_rc(SKV_ErrNotReady);
    resp.status = skv_error_status(SKV_ErrNotReady);
    resp.retry_after_s = skv_error_retry_after(SKV_ErrNotReady);
    resp.error = skv_error_name(SKV_ErrNotReady);
    resp.message = r.message;
    resp.json = json;        /* the plugin adds its fields beside error/message */
    skv_op_reply(op, &resp);
    free(json);
}
