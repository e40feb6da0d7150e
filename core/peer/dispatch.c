/* SPDX-License-Identifier: MIT */
/*
 * dispatch.c — inbound frame routing (see dispatch.h): decode, admit
 * (peer_filter.h), route; refusals counted in the node's metrics and
 * logged rate-limited (one line per sender and reason per 10 s).
 */
#include "peer/dispatch.h"
#include "admin/capability.h"
#include "intake/op.h"
#include "peer/peer_filter.h"
#include "peer/peer_policy.h"
#include "intake/propose.h"
#include "raftio/raft_io.h"
#include "wire/wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void skv_dispatch_note(struct skv_node *n, uint64_t from, const char *what,
                       const char *reason, unsigned kind, const char *fmt, ...)
{
    uint64_t suppressed = 0;
    int shared = 0;
    char detail[300];
    va_list ap;
    if (!skv_ratelimit_allow(&n->peer_log, from, kind, uv_now(&n->loop), &suppressed,
                             &shared))
        return;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (suppressed == 0) {
        skv_node_log(n, SKV_LOG_WARN, "%s: reason=%s from=%llu: %s", what, reason,
                     (unsigned long long)from, detail);
        return;
    }
    skv_node_log(n, SKV_LOG_WARN, "%s: reason=%s from=%llu: %s (%llu similar line(s)%s "
                 "suppressed in the last %u s)", what, reason, (unsigned long long)from,
                 detail, (unsigned long long)suppressed, shared ? " of any peer" : "",
                 SKV_RATELIMIT_DEFAULT_MS / 1000);
}

static void drop(struct skv_node *n, uint64_t from, int reason, unsigned type,
                 const char *detail)
{
    n->metrics.frames_dropped[reason]++;
    if (reason == SKV_DROP_LATE_ANSWER) {
        skv_node_log(n, SKV_LOG_DEBUG, "late or duplicate %s from %llu ignored",
                     skv_frame_type_name(type), (unsigned long long)from);
        return;
    }
    skv_dispatch_note(n, from, "peer frame dropped", skv_drop_reason_name(reason),
                      (unsigned)reason, "type=%s: %s", skv_frame_type_name(type), detail);
}

/* Answer a forwarded admin op this node will not run: 400 ErrBadRequest. */
static void refuse_admin(struct skv_node *n, uint64_t from, uint64_t req_id,
                         const char *why)
{
    struct skv_admin_req req;
    struct skv_op *op;
    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.op = "?";
    n->metrics.peer_ops_refused++;
    skv_dispatch_note(n, from, "peer request refused", "not_allowed", SKV_PEER_LOG_OP,
                      "admin op: %s", why);
    if (!(op = skv_op_new(n, &req)))
        return;
    op->fwd_from = from;
    op->fwd_req_id = req_id;
    skv_op_fail(op, SKV_ErrBadRequest, "forwarded admin op refused: %s", why);
}

/* A follower forwarded an admin op: run it here, answer over the wire. */
static void on_admin_req(struct skv_node *n, uint64_t from,
                         const struct skv_fwd_admin *m)
{
    struct skv_admin_req req;
    struct skv_op *op;
    char opname[64], why[160];
    if (m->op.len == 0 || m->op.len >= sizeof opname || memchr(m->op.p, 0, m->op.len)) {
        refuse_admin(n, from, m->req_id, "bad op name");
        return;
    }
    memcpy(opname, m->op.p, m->op.len);
    opname[m->op.len] = 0;
    if (skv_peer_op_allowed(opname, m->flags, why, sizeof why) != 0) {
        refuse_admin(n, from, m->req_id, why);
        return;
    }
    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.op = opname;
    req.arg = (const char *)m->arg.p;
    req.arg_len = m->arg.len;
    req.body = m->body.p;
    req.body_len = m->body.len;
    req.flags = m->flags;
    if (m->json.len) {
        char *j = strndup((const char *)m->json.p, m->json.len);
        if (!j)
            return;
        req.json = j;
        op = skv_op_new(n, &req);
        free(j);
    } else {
        op = skv_op_new(n, &req);
    }
    if (!op)
        return;
    op->fwd_from = from;
    op->fwd_req_id = m->req_id;
    skv_op_dispatch(op);
}

static int expects(void *arg, unsigned type, uint64_t peer, uint64_t req_id)
{
    struct skv_node *n = arg;
    switch (type) {
    case SKV_FRAME_PROPOSE_RESP: return skv_propose_expects(n, peer, req_id);
    case SKV_FRAME_ADMIN_RESP: return skv_forward_expects(n, peer, req_id);
    case SKV_FRAME_CAP_RESP: return skv_cap_expects(n, peer, req_id);
    default: return 0;
    }
}

static void on_raft(struct skv_node *n, const struct skv_peer_view *v,
                    struct skv_frame *f)
{
    if (f->raft_from.len && skv_peer_may_announce(v, f->from_id)) {
        /* a joining node learns where the leader listens */
        char addr[SKV_WIRE_MAX_ADDRESS + 1];
        memcpy(addr, f->raft_from.p, f->raft_from.len);
        addr[f->raft_from.len] = 0;
        skv_raftio_set_peer_address(&n->io, f->from_id, addr);
    }
    if (f->u.raft.type == RAFT_IO_APPEND_ENTRIES)   /* for GET /readyz */
        skv_leader_watch_append(&n->leaders, f->u.raft.append_entries.term,
                                f->u.raft.append_entries.leader_commit);
    skv_raftio_recv(&n->io, &f->u.raft);
    skv_leader_watch_observe(&n->leaders, &n->raft);
}

void skv_dispatch_frame(struct skv_node *n, uint64_t from, const void *data,
                        size_t len)
{
    struct skv_peer_view v = {n->conf->node_id, &n->raft.configuration, expects, n,
                              n->raft.current_term, 0};
    const char *leader_addr = NULL;
    raft_id leader = 0;
    raft_leader(&n->raft, &leader, &leader_addr);
    v.leader_id = leader;
    struct skv_frame f;
    const char *detail = "";
    char err[320];
    int reason;
    if (skv_wire_decode(data, len, &f, err, sizeof err) != 0) {
        drop(n, from, SKV_DROP_MALFORMED, len > 3 ? ((const uint8_t *)data)[3] : 0, err);
        return;
    }
    if ((reason = skv_peer_admit(&v, from, &f, &detail)) == SKV_DROP_NONE &&
        skv_peer_ident_admit(n, from, &f, err, sizeof err) != 0) {
        reason = SKV_DROP_STORE_CHANGED;
        detail = err;
    }
    if (reason != SKV_DROP_NONE) {
        drop(n, from, reason, f.type, detail);
        if (f.type == SKV_FRAME_RAFT)
            skv_wire_raft_message_free(&f.u.raft);
        return;
    }
    switch (f.type) {
    case SKV_FRAME_RAFT:
        on_raft(n, &v, &f);
        break;
    case SKV_FRAME_ADMIN_REQ:
        on_admin_req(n, f.from_id, &f.u.admin);
        break;
    case SKV_FRAME_PROPOSE_REQ:
        skv_propose_on_req(n, f.from_id, &f.u.propose);
        break;
    case SKV_FRAME_PROPOSE_RESP:
        skv_propose_on_resp(n, f.from_id, &f.u.propose_resp);
        break;
    case SKV_FRAME_ADMIN_RESP:
        skv_forward_on_resp(n, f.from_id, &f.u.admin_resp);
        break;
    case SKV_FRAME_CAP_REQ:
        skv_cap_on_req(n, f.from_id, &f.u.ctl);
        break;
    case SKV_FRAME_CAP_RESP:
        skv_cap_on_resp(n, f.from_id, &f.u.ctl);
        break;
    case SKV_FRAME_SNAP_CHUNK: /* a slice of a snapshot too big for one frame */
        skv_raftio_recv_chunk(&n->io, f.from_id, &f.u.chunk);
        break;
    default: /* the decoder accepts no other type */
        drop(n, from, SKV_DROP_UNEXPECTED_TYPE, f.type, "not handled by this version");
        break;
    }
}
