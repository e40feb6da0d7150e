/* SPDX-License-Identifier: MIT */
/*
 * members.c — membership ops on the leader: list (with each member's
 * match index and lag when this node leads), add (as voter or
 * standby: raft_add then raft_assign, rolled back if the assign fails),
 * promote to voter, remove (never the last voter). Requests are checked
 * (member_check.c) before anything is proposed.
 */
#include "admin/admin_ops.h"
#include "admin/enc_ops.h"
#include "admin/member_check.h"
#include "intake/propose.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *skv_members_json(struct skv_node *n);
json_t *skv_members_json(struct skv_node *n)
{
    json_t *a = json_array();
    unsigned i;
    for (i = 0; a && i < n->raft.configuration.n; i++) {
        const struct raft_server *s = &n->raft.configuration.servers[i];
        json_array_append_new(a, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)s->id,
                                           "address", s->address,
                                           "role", skv_member_role_name(s->role)));
    }
    return a;
}

/* On the leader: each member's match index (its own: the last entry
 * stored) and lag (entries it lacks of the leader's log); null on a
 * follower, which does not know them. progress[] follows the
 * configuration's order (C-Raft 0.15). */
static void add_progress(struct skv_node *n, json_t *members)
{
    int leader = raft_state(&n->raft) == RAFT_LEADER && n->raft.leader_state.progress;
    uint64_t last = raft_last_index(&n->raft);
    size_t i;
    for (i = 0; i < json_array_size(members) && i < n->raft.configuration.n; i++) {
        json_t *m = json_array_get(members, i);
        uint64_t match = 0;
        if (leader)
            match = n->raft.configuration.servers[i].id == n->conf->node_id
                        ? n->raft.last_stored
                        : n->raft.leader_state.progress[i].match_index;
        json_object_set_new(m, "match_index", leader ? json_integer((json_int_t)match) : json_null());
        json_object_set_new(m, "lag", leader ? json_integer((json_int_t)(last > match ? last - match : 0))
                                             : json_null());
    }
}

/* Reply with catalogue error `id`: status and retry hint from
 * util/errors.def; for ErrMembership `status` (and a retry hint for
 * RAFT_CANTCHANGE, a change already in progress) instead. */
static void reply_err(struct skv_op *op, int rc, enum skv_error_id id, int status,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void reply_err(struct skv_op *op, int rc, enum skv_error_id id, int status,
                      const char *fmt, ...)
{
    char msg[400];
    int st, retry;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    st = skv_error_status(id);
    retry = skv_error_retry_after(id);
    if (id == SKV_ErrMembership) {
        st = status; /* the refused raft change's own status (errors.def) */
        retry = rc == SKV_ERR_AGAIN;
    }
    skv_op_reply_error(op, rc, st, skv_error_name(id), retry, "%s", msg);
}

/* skv_rc of a refused raft change: retryable if another is in flight. */
static int change_rc(int rv)
{
    return rv == RAFT_CANTCHANGE ? SKV_ERR_AGAIN : SKV_ERR_INVALID;
}

static void reply_json_obj(struct skv_op *op, json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (!s)
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
    else
        skv_op_reply_json(op, 200, s);
    free(s);
    json_decref(o);
}

void skv_op_members_list(struct skv_op *op)
{
    struct skv_node *n = op->node;
    raft_id lid = 0;
    const char *laddr = NULL;
    json_t *members = skv_members_json(n);
    raft_leader(&n->raft, &lid, &laddr);
    if (members)
        add_progress(n, members);
    reply_json_obj(op, json_pack("{s:o,s:I,s:I}", "members", members, "leader_id", (json_int_t)lid,
                                 "last_index", (json_int_t)raft_last_index(&n->raft)));
}

static void change_done(struct raft_change *req, int status)
{
    struct skv_op *op = req->data;
    if (status != 0) {
        skv_reply_raft_error(op, status, op->op);
        return;
    }
    reply_json_obj(op, json_pack("{s:I,s:s}", "id", (json_int_t)op->member_id,
                                 "role", skv_member_role_name(op->member_role)));
}

/* A raft change status for which the outcome on the cluster is unknown
 * (we lost leadership or are stopping): nothing can be rolled back. */
static int outcome_unknown(int status)
{
    return status == RAFT_NOTLEADER || status == RAFT_LEADERSHIPLOST || status == RAFT_SHUTDOWN;
}

/* Name and status for a failed assign of a role. */
static void assign_failure(int rv, enum skv_error_id *id, int *status)
{
    *id = rv == RAFT_NOCONNECTION ? SKV_ErrMemberUnreachable : SKV_ErrMembership;
    *status = rv == RAFT_BADROLE || rv == RAFT_NOTFOUND ? 400 : 503;
}

/* ---- add: spare, then role; on a failed role, remove the spare ------ */

static void rolled_back(struct raft_change *req, int status)
{
    struct skv_op *op = req->data;
    enum skv_error_id id;
    int st;
    assign_failure(op->member_err, &id, &st);
    if (status != 0) {
        reply_err(op, SKV_ERR_INVALID, SKV_ErrMembership, 500,
                  "add %llu: %s failed (%s), and removing the half-added spare failed too "
                  "(%s): remove it with `sealkv members remove %llu`",
                  (unsigned long long)op->member_id, skv_member_role_name(op->member_role),
                  raft_strerror(op->member_err), raft_strerror(status),
                  (unsigned long long)op->member_id);
        return;
    }
    reply_err(op, SKV_ERR_INVALID, id, st,
              "add %llu: assigning role %s failed: %s%s%s%s; "
              "the member was removed again, nothing changed",
              (unsigned long long)op->member_id, skv_member_role_name(op->member_role),
              raft_strerror(op->member_err),
              op->member_err == RAFT_NOCONNECTION ? " (is a node listening on " : "",
              op->member_err == RAFT_NOCONNECTION ? op->member_address : "",
              op->member_err == RAFT_NOCONNECTION ? "?)" : "");
}

static void roll_back(struct skv_op *op, int why)
{
    int rv;
    skv_node_log(op->node, SKV_LOG_WARN, "add %llu (%s): assigning %s failed: %s; removing it",
                 (unsigned long long)op->member_id, op->member_address,
                 skv_member_role_name(op->member_role), raft_strerror(why));
    op->member_err = why;
    op->rq.change.data = op;
    rv = raft_remove(&op->node->raft, &op->rq.change, op->member_id, rolled_back);
    if (rv != 0)
        rolled_back(&op->rq.change, rv);
}

static void assigned(struct raft_change *req, int status)
{
    struct skv_op *op = req->data;
    if (status != 0 && !outcome_unknown(status)) {
        roll_back(op, status);
        return;
    }
    change_done(req, status);
}

static void added(struct raft_change *req, int status)
{
    struct skv_op *op = req->data;
    int rv;
    if (status != 0) {
        skv_reply_raft_error(op, status, op->op);
        return;
    }
    op->rq.change.data = op;
    rv = raft_assign(&op->node->raft, &op->rq.change, op->member_id, op->member_role, assigned);
    if (rv != 0)
        roll_back(op, rv);
}

static void add_now(struct skv_op *op)
{
    int rv;
    op->rq.change.data = op;
    rv = raft_add(&op->node->raft, &op->rq.change, op->member_id, op->member_address, added);
    if (rv != 0)
        reply_err(op, change_rc(rv), SKV_ErrMembership,
                  rv == RAFT_DUPLICATEID || rv == RAFT_DUPLICATEADDRESS ? 409 : 503,
                  "add %llu: %s", (unsigned long long)op->member_id, raft_strerror(rv));
}

void skv_op_members_add(struct skv_op *op)
{
    const struct raft_configuration *c = &op->node->raft.configuration;
    const struct raft_server *s;
    struct skv_member_req rq;
    char why[200];
    if (skv_member_parse_add(op->json, &rq, op->member_address, sizeof op->member_address,
                             why, sizeof why) != 0) {
        reply_err(op, SKV_ERR_INVALID, SKV_ErrBadRequest, 400, "members.add: %s", why);
        return;
    }
    if ((s = skv_member_find(c, rq.id)) != NULL) {
        reply_err(op, SKV_ERR_INVALID, SKV_ErrBadRequest, 400,
                  "members.add: id: node %llu is already a member (%s, %s)",
                  (unsigned long long)rq.id, skv_member_role_name(s->role), s->address);
        return;
    }
    if ((s = skv_member_find_addr(c, rq.address)) != NULL) {
        reply_err(op, SKV_ERR_INVALID, SKV_ErrBadRequest, 400,
                  "members.add: address: %s is already used by node %llu", rq.address,
                  (unsigned long long)s->id);
        return;
    }
    op->member_id = rq.id;
    op->member_role = rq.role;
    /* once encryption is bootstrapped the newcomer must be capable and
     * registered as a writer before it is added */
    skv_enc_member_gate(op, op->member_id, op->member_address, add_now);
}

/* ---- promote, remove ------------------------------------------------ */

static void promoted(struct raft_change *req, int status)
{
    struct skv_op *op = req->data;
    enum skv_error_id id;
    int st;
    if (status == 0 || outcome_unknown(status)) {
        change_done(req, status);
        return;
    }
    assign_failure(status, &id, &st);
    reply_err(op, SKV_ERR_INVALID, id, st, "promote %llu: %s; its role is unchanged",
              (unsigned long long)op->member_id, raft_strerror(status));
}

static void promote_now(struct skv_op *op)
{
    enum skv_error_id id;
    int rv, st;
    op->rq.change.data = op;
    rv = raft_assign(&op->node->raft, &op->rq.change, op->member_id, RAFT_VOTER, promoted);
    if (rv != 0) {
        assign_failure(rv, &id, &st);
        reply_err(op, change_rc(rv), id, st, "promote %llu: %s",
                  (unsigned long long)op->member_id, raft_strerror(rv));
    }
}

void skv_op_members_promote(struct skv_op *op)
{
    const struct raft_server *s;
    if (skv_member_parse_id(op->arg, op->arg_len, &op->member_id) != 0) {
        reply_err(op, SKV_ERR_INVALID, SKV_ErrBadRequest, 400,
                  "members.promote: id: expected a decimal integer in 1..2^64-1");
        return;
    }
    s = skv_member_find(&op->node->raft.configuration, op->member_id);
    if (!s || s->role == RAFT_VOTER) {
        reply_err(op, SKV_ERR_INVALID, s ? SKV_ErrBadRequest : SKV_ErrMembership, s ? 400 : 404,
                  "members.promote: id: node %llu %s", (unsigned long long)op->member_id,
                  s ? "is already a voter" : "is not a member");
        return;
    }
    op->member_role = RAFT_VOTER;
    snprintf(op->member_address, sizeof op->member_address, "%s", s->address);
    /* like members.add: once encryption is bootstrapped the member must be
     * capable and registered before it votes (a spare may never have been
     * probed) */
    skv_enc_member_gate(op, op->member_id, op->member_address, promote_now);
}

void skv_op_members_remove(struct skv_op *op)
{
    const struct raft_configuration *c = &op->node->raft.configuration;
    const struct raft_server *s;
    int rv;
    if (skv_member_parse_id(op->arg, op->arg_len, &op->member_id) != 0) {
        reply_err(op, SKV_ERR_INVALID, SKV_ErrBadRequest, 400,
                  "members.remove: id: expected a decimal integer in 1..2^64-1");
        return;
    }
    s = skv_member_find(c, op->member_id);
    if (s && s->role == RAFT_VOTER && skv_member_voters(c) <= 1) {
        reply_err(op, SKV_ERR_INVALID, SKV_ErrLastVoter, 409,
                  "remove %llu: it is the last voter; a cluster without voters has no "
                  "leader and accepts nothing (add and promote another voter first)",
                  (unsigned long long)op->member_id);
        return;
    }
    op->member_role = -1;
    op->rq.change.data = op;
    rv = raft_remove(&op->node->raft, &op->rq.change, op->member_id, change_done);
    if (rv != 0)
        reply_err(op, change_rc(rv), SKV_ErrMembership, rv == RAFT_BADID ? 404 : 503,
                  "remove %llu: %s", (unsigned long long)op->member_id,
                  rv == RAFT_BADID ? "not a member" : raft_strerror(rv));
}
