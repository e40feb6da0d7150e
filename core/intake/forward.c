/* SPDX-License-Identifier: MIT */
/*
 * forward.c — follower → leader forwarding of admin ops: each forwarded op
 * gets a request id, waits in n->ops_forwarded, and is answered by the
 * leader's ADMIN_RESP, by a timeout (outcome unknown), or at shutdown.
 */
#include "intake/op.h"
#include "peer/peer_filter.h"
#include "wire/wire.h"

#include <stdlib.h>
#include <string.h>

static struct skv_slice sl(const void *p, size_t n)
{
    struct skv_slice s;
    s.p = p;
    s.len = p ? n : 0;
    return s;
}

void skv_forward_to_leader(struct skv_op *op)
{
    struct skv_node *n = op->node;
    struct skv_fwd_admin m;
    struct skv_buf b = {NULL, 0, 0};
    raft_id lid = 0;
    const char *laddr = NULL;

    raft_leader(&n->raft, &lid, &laddr);
    if (lid == 0 || !laddr || lid == n->conf->node_id) {
        skv_op_reply_error(op, SKV_ERR_AGAIN, 503, "ErrNoLeader", 1,
                           "no known leader to forward '%s' to", op->op);
        return;
    }
    op->req_id = ++n->next_req_id;
    memset(&m, 0, sizeof m);
    m.req_id = op->req_id;
    m.flags = op->flags;
    m.op = sl(op->op, strlen(op->op));
    m.arg = sl(op->arg, op->arg_len);
    m.body = sl(op->body, op->body_len);
    m.json = sl(op->json, op->json ? strlen(op->json) : 0);
    if (skv_wire_encode_admin(&b, n->conf->node_id, &m) != 0) {
        skv_op_reply_error(op, SKV_ERR_NOMEM, 500, "ErrNoMemory", 0, "out of memory");
        return;
    }
    if (skv_node_send(n, lid, laddr, b.p, b.len) != SKV_OK) {
        skv_buf_free(&b);
        skv_op_reply_error(op, SKV_ERR_AGAIN, 503, "ErrLeaderUnreachable", 1,
                           "cannot queue '%s' for leader %llu", op->op, (unsigned long long)lid);
        return;
    }
    skv_buf_free(&b);
    op->deadline_ms = uv_now(&n->loop) + SKV_FORWARD_TIMEOUT_MS;
    op->fwd_leader = lid;
    n->metrics.admin_ops_forwarded++;
    skv_list_add_tail(&n->ops_forwarded, &op->link);
}

int skv_forward_expects(struct skv_node *n, uint64_t peer, uint64_t req_id)
{
    struct skv_list *it;
    for (it = n->ops_forwarded.next; it != &n->ops_forwarded; it = it->next) {
        const struct skv_op *op = skv_container_of(it, struct skv_op, link);
        if (op->req_id == req_id)
            return op->fwd_leader == peer;
    }
    return 0;
}

void skv_forward_on_resp(struct skv_node *n, uint64_t from, const void *resp)
{
    const struct skv_fwd_admin_resp *m = resp;
    struct skv_list *it;
    for (it = n->ops_forwarded.next; it != &n->ops_forwarded; it = it->next) {
        struct skv_op *op = skv_container_of(it, struct skv_op, link);
        struct skv_admin_resp r;
        char err[64], msg[512], *json = NULL;
        if (op->req_id != m->req_id)
            continue;
        skv_list_del(&op->link);
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
        if (m->json.len) {
            json = strndup((const char *)m->json.p, m->json.len);
            r.json = json;
        }
        if (m->body.len || (!m->json.len && !m->error.len && m->rc == SKV_OK)) {
            /* a raw body, possibly empty (an empty value is a value) */
            r.body = m->body.len ? (const void *)m->body.p : (const void *)"";
            r.body_len = m->body.len;
        }
        skv_op_reply(op, &r);
        free(json);
        return;
    }
    skv_node_log(n, 0, "late or unknown forwarded response %llu from %llu",
                 (unsigned long long)m->req_id, (unsigned long long)from);
}

/* Answer forwarded ops whose deadline passed, or whose leader is no
 * longer the leader (no answer will come; fail fast instead of waiting). */
void skv_forward_expire(struct skv_node *n, uint64_t now_ms)
{
    struct skv_list *it = n->ops_forwarded.next;
    raft_id lid = 0;
    const char *laddr = NULL;
    raft_leader(&n->raft, &lid, &laddr);
    while (it != &n->ops_forwarded) {
        struct skv_op *op = skv_container_of(it, struct skv_op, link);
        it = it->next;
        if (lid != op->fwd_leader && now_ms + SKV_FORWARD_TIMEOUT_MS > op->deadline_ms + 500) {
            skv_list_del(&op->link);
            skv_op_reply_error(op, SKV_ERR_AGAIN, 503, "ErrLeadershipLost", 1,
                               "leader %llu lost leadership while handling '%s'; the outcome is unknown",
                               (unsigned long long)op->fwd_leader, op->op);
            continue;
        }
        if (op->deadline_ms > now_ms)
            continue;
        skv_list_del(&op->link);
        skv_op_reply_error(op, SKV_ERR_AGAIN, 504, "ErrTimeout", 1,
                           "leader did not answer '%s' in time; the outcome is unknown", op->op);
    }
}

void skv_forward_fail_all(struct skv_node *n, const char *why)
{
    while (!skv_list_empty(&n->ops_forwarded)) {
        struct skv_op *op = skv_container_of(n->ops_forwarded.next, struct skv_op, link);
        skv_list_del(&op->link);
        skv_op_reply_error(op, SKV_ERR_CLOSED, 503, "ErrShuttingDown", 1, "%s", why);
    }
}
