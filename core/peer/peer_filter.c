/* SPDX-License-Identifier: MIT */
/*
 * peer_filter.c — skv_peer_admit and friends (see peer_filter.h): who may
 * send this node which frame. Pure functions over a view of the node, so
 * the rules are unit-tested without a cluster.
 */
#include "peer/peer_filter.h"

#include <stdio.h>

const char *skv_drop_reason_name(int reason)
{
    switch (reason) {
    case SKV_DROP_MALFORMED: return "malformed";
    case SKV_DROP_SENDER_MISMATCH: return "sender_mismatch";
    case SKV_DROP_NOT_MEMBER: return "not_member";
    case SKV_DROP_UNEXPECTED_TYPE: return "unexpected_type";
    case SKV_DROP_LATE_ANSWER: return "late_answer";
    case SKV_DROP_SECOND_LEADER: return "second_leader";
    case SKV_DROP_STORE_CHANGED: return "store_identity_changed";
    case SKV_DROP_INBOX_FULL: return "inbox_full";
    default: return "none";
    }
}

const char *skv_frame_type_name(unsigned type)
{
    static const char *const names[] = {"type_0", "raft", "propose_req",
                                        "propose_resp", "admin_req",
                                        "admin_resp", "cap_req", "cap_resp",
                                        "reserved_8", "reserved_9", "snap_chunk"};
    return type < sizeof names / sizeof names[0] ? names[type] : "type_other";
}

static int is_member(const struct raft_configuration *c, uint64_t id)
{
    for (unsigned i = 0; c && i < c->n; i++)
        if (c->servers[i].id == id)
            return 1;
    return 0;
}

static uint64_t resp_req_id(const struct skv_frame *f)
{
    switch (f->type) {
    case SKV_FRAME_PROPOSE_RESP: return f->u.propose_resp.req_id;
    case SKV_FRAME_ADMIN_RESP: return f->u.admin_resp.req_id;
    default: return f->u.ctl.req_id;
    }
}

static int is_response(unsigned type)
{
    return type == SKV_FRAME_PROPOSE_RESP || type == SKV_FRAME_ADMIN_RESP ||
           type == SKV_FRAME_CAP_RESP;
}

/* The term of a message only a leader sends, or 0 for other messages. */
static uint64_t leader_msg_term(const struct skv_frame *f)
{
    if (f->type == SKV_FRAME_SNAP_CHUNK)
        return f->u.chunk.term;
    if (f->type != SKV_FRAME_RAFT)
        return 0;
    switch (f->u.raft.type) {
    case RAFT_IO_APPEND_ENTRIES: return f->u.raft.append_entries.term;
    case RAFT_IO_INSTALL_SNAPSHOT: return f->u.raft.install_snapshot.term;
    case RAFT_IO_TIMEOUT_NOW: return f->u.raft.timeout_now.term;
    default: return 0;
    }
}

int skv_peer_admit(const struct skv_peer_view *v, uint64_t from,
                   const struct skv_frame *f, const char **detail)
{
    *detail = "";
    if (from == 0 || f->from_id != from || from == v->self_id) {
        *detail = from == 0 ? "the transport did not identify the sender"
                  : from == v->self_id ? "frame claims to come from this node"
                                       : "frame's sender id differs from the peer's";
        return SKV_DROP_SENDER_MISMATCH;
    }
    if (is_response(f->type)) {
        if (v->expects && v->expects(v->arg, f->type, from, resp_req_id(f)))
            return SKV_DROP_NONE;
        *detail = "answer to no request this node sent to that peer";
        return is_member(v->conf, from) ? SKV_DROP_LATE_ANSWER : SKV_DROP_UNEXPECTED_TYPE;
    }
    if (!v->conf || v->conf->n == 0) {
        if (f->type == SKV_FRAME_RAFT || f->type == SKV_FRAME_CAP_REQ ||
            f->type == SKV_FRAME_SNAP_CHUNK)
            return SKV_DROP_NONE; /* waiting to be added: see the header */
        *detail = "request to a node without a configuration";
        return SKV_DROP_UNEXPECTED_TYPE;
    }
    if (!is_member(v->conf, from)) {
        *detail = "sender is not in the raft configuration";
        return SKV_DROP_NOT_MEMBER;
    }
    if (v->leader_id != 0 && v->leader_id != from && v->term != 0 &&
        leader_msg_term(f) == v->term) {
        *detail = "leader message in the current term from a node that is not its leader";
        return SKV_DROP_SECOND_LEADER;
    }
    return SKV_DROP_NONE;
}

int skv_peer_may_announce(const struct skv_peer_view *v, uint64_t from)
{
    return from != 0 && from != v->self_id && !is_member(v->conf, from);
}
