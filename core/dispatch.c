/*
 * dispatch.c — inbound frame routing (see dispatch.h).
 */
#include "dispatch.h"
#include "capability.h"
#include "op.h"
#include "propose.h"
#include "raft_io.h"
#include "wire.h"

#include <stdlib.h>
#include <string.h>

/* A follower forwarded an admin op: run it here, answer over the wire. */
static void on_admin_req(struct skv_node *n, uint64_t from,
                         const struct skv_fwd_admin *m)
{
    struct skv_admin_req req;
    struct skv_op *op;
    char opname[64];
    if (m->op.len == 0 || m->op.len >= sizeof opname) {
        skv_node_log(n, 2, "forwarded op from %llu has a bad name: dropped",
                     (unsigned long long)from);
        return;
    }
    memcpy(opname, m->op.p, m->op.len);
    opname[m->op.len] = 0;
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

void skv_dispatch_frame(struct skv_node *n, uint64_t from, const void *data,
                        size_t len)
{
    struct skv_frame f;
    char err[200];
    if (skv_wire_decode(data, len, &f, err, sizeof err) != 0) {
        skv_node_log(n, 2, "dropped a bad frame (%zu bytes) from node %llu: %s",
                     len, (unsigned long long)from, err);
        return;
    }
    if (from != 0 && f.from_id != from) {
        skv_node_log(n, 2, "frame claims sender %llu but came from %llu: dropped",
                     (unsigned long long)f.from_id, (unsigned long long)from);
        if (f.type == SKV_FRAME_RAFT)
            skv_wire_raft_message_free(&f.u.raft);
        return;
    }
    switch (f.type) {
    case SKV_FRAME_RAFT:
        if (f.raft_from.len) {
            /* remember where the sender listens: a joining node has no
             * configuration to look it up in yet */
            char addr[SKV_WIRE_MAX_ADDRESS + 1];
            memcpy(addr, f.raft_from.p, f.raft_from.len);
            addr[f.raft_from.len] = 0;
            skv_raftio_set_peer_address(&n->io, f.from_id, addr);
        }
        skv_raftio_recv(&n->io, &f.u.raft);
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
    default:
        skv_node_log(n, 1, "frame type %u from %llu not handled by this version",
                     f.type, (unsigned long long)f.from_id);
        break;
    }
}
