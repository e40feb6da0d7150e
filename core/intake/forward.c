/* SPDX-License-Identifier: MIT */
/*
 * forward.c — follower → leader forwarding of admin ops: each forwarded op
 * gets a request id and waits in n->ops_forwarded (leader_req.h: sent and
 * tracked, expired and failed like a forwarded proposal) until the
 * leader's ADMIN_RESP, its deadline or a leader change (outcome unknown),
 * or shutdown answers it; init/tick/fail_all for node.c.
 */
#include "intake/leader_req.h"
#include "intake/op.h"
#include "peer/peer_filter.h"
#include "peer/tracker.h"
#include "wire/wire.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static struct skv_slice sl(const void *p, size_t n)
{
    struct skv_slice s;
    s.p = p;
    s.len = p ? n : 0;
    return s;
}

/* A forwarded op the leader did not answer (leader_req.h). */
static void op_ended(struct skv_tracked *e, enum skv_error_id id)
{
    struct skv_op *op = skv_container_of(e, struct skv_op, fwd);
    if (id == SKV_ErrLeadershipLost)
        skv_op_fail(op, id,
                    "leader %llu lost leadership while handling '%s'; the outcome is unknown",
                    (unsigned long long)e->peer, op->op);
    else if (id == SKV_ErrTimeout)
        skv_op_fail(op, id, "leader did not answer '%s' in time; the outcome is unknown", op->op);
    else
        skv_op_fail(op, id, "node is shutting down");
}

void skv_forward_init(struct skv_node *n)
{
    skv_leader_reqs_init(&n->ops_forwarded, op_ended);
}

void skv_forward_to_leader(struct skv_op *op)
{
    struct skv_node *n = op->node;
    struct skv_fwd_admin m;
    struct skv_buf b = {NULL, 0, 0};
    struct skv_leader_dest to;
    int rc;

    if (skv_leader_reqs_target(n, &to) != 0) {
        skv_op_fail(op, SKV_ErrNoLeader, "no known leader to forward '%s' to", op->op);
        return;
    }
    memset(&m, 0, sizeof m);
    m.req_id = skv_tracker_next_id(&n->ops_forwarded.t);
    m.flags = op->flags;
    m.op = sl(op->op, strlen(op->op));
    m.arg = sl(op->arg, op->arg_len);
    m.body = sl(op->body, op->body_len);
    m.json = sl(op->json, op->json ? strlen(op->json) : 0);
    if (skv_wire_encode_admin(&b, n->conf->node_id, &m) != 0) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    rc = skv_leader_reqs_send(n, &n->ops_forwarded, &to, &op->fwd, m.req_id, &b);
    skv_buf_free(&b);
    if (rc != SKV_OK) {
        skv_op_fail(op, SKV_ErrLeaderUnreachable, "cannot queue '%s' for leader %llu", op->op,
                    (unsigned long long)to.id);
        return;
    }
    n->metrics.admin_ops_forwarded++;
}

int skv_forward_expects(struct skv_node *n, uint64_t peer, uint64_t req_id)
{
    return skv_tracker_expects(&n->ops_forwarded.t, peer, req_id);
}

/* A key read's answer carries the revision as JSON beside the body
 * (admin_ops.c): 1 with r->mod_index / create_index set, else 0. */
static int rev_json(const struct skv_op *op, const struct skv_fwd_admin_resp *m,
                    struct skv_admin_resp *r)
{
    json_t *o, *mi, *ci;
    int ok;
    if (strcmp(op->op, "kv.get") != 0 || m->rc != SKV_OK || m->error.len || !m->json.len ||
        !(o = json_loadb((const char *)m->json.p, m->json.len, JSON_REJECT_DUPLICATES, NULL)))
        return 0;
    mi = json_object_get(o, "mod_index");
    ci = json_object_get(o, "create_index");
    ok = json_is_integer(mi) && json_is_integer(ci) && json_integer_value(mi) >= 0 &&
         json_integer_value(ci) >= 0;
    if (ok) {
        r->mod_index = (uint64_t)json_integer_value(mi);
        r->create_index = (uint64_t)json_integer_value(ci);
    }
    json_decref(o);
    return ok;
}

/* The leader's answer as this node's reply to `op`. */
static void reply_resp(struct skv_op *op, const struct skv_fwd_admin_resp *m)
{
    struct skv_admin_resp r;
    char err[64], msg[512], *json = NULL;
    int is_read;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.rc = m->rc;
    r.status = m->status;
    r.retry_after_s = m->retry_after_s;
    if (m->error.len) {
        snprintf(err, sizeof err, "%.*s", (int)m->error.len, (const char *)m->error.p);
        r.error = err;
    }
    if (m->message.len) {
        snprintf(msg, sizeof msg, "%.*s", (int)m->message.len, (const char *)m->message.p);
        r.message = msg;
    }
    is_read = rev_json(op, m, &r);
    if (m->json.len && !is_read) {
        json = strndup((const char *)m->json.p, m->json.len);
        r.json = json;
    }
    if (is_read || m->body.len || (!m->json.len && !m->error.len && m->rc == SKV_OK)) {
        /* a raw body, possibly empty (an empty value is a value) */
        r.body = m->body.len ? (const void *)m->body.p : (const void *)"";
        r.body_len = m->body.len;
    }
    skv_op_reply(op, &r);
    free(json);
}

void skv_forward_on_resp(struct skv_node *n, uint64_t from, const void *resp)
{
    const struct skv_fwd_admin_resp *m = resp;
    struct skv_tracked *e = skv_tracker_find(&n->ops_forwarded.t, m->req_id);
    if (!e) {
        skv_node_log(n, 0, "late or unknown forwarded response %llu from %llu",
                     (unsigned long long)m->req_id, (unsigned long long)from);
        return;
    }
    skv_tracker_del(e);
    reply_resp(skv_container_of(e, struct skv_op, fwd), m);
}

/* Tick: forwarded ops whose deadline passed, or whose leader is no
 * longer the leader (no answer will come; fail fast instead of waiting). */
void skv_forward_tick(struct skv_node *n, uint64_t now_ms)
{
    skv_leader_reqs_tick(n, &n->ops_forwarded, now_ms);
}

void skv_forward_fail_all(struct skv_node *n)
{
    skv_leader_reqs_fail_all(&n->ops_forwarded);
}
