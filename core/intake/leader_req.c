/* SPDX-License-Identifier: MIT */
/*
 * leader_req.c — the steps a follower's requests to the leader share
 * (leader_req.h): the leader to send to, send and track, expiry and
 * fail-all mapped to the catalogue errors the owners answer with.
 */
#include "intake/leader_req.h"
#include "node/node.h"

void skv_leader_reqs_init(struct skv_leader_reqs *q, skv_leader_end_fn end)
{
    skv_tracker_init(&q->t, 0);
    q->end = end;
}

int skv_leader_reqs_target(struct skv_node *n, struct skv_leader_dest *to)
{
    raft_id id = 0;
    const char *address = NULL;
    raft_leader(&n->raft, &id, &address);
    to->id = id;
    to->address = address;
    return id == 0 || !address || id == n->conf->node_id ? -1 : 0;
}

int skv_leader_reqs_send(struct skv_node *n, struct skv_leader_reqs *q,
                         const struct skv_leader_dest *to, struct skv_tracked *e,
                         uint64_t req_id, const struct skv_buf *frame)
{
    int rc = skv_node_send(n, to->id, to->address, frame->p, frame->len);
    if (rc == SKV_OK)
        skv_tracker_add(&q->t, e, req_id, to->id, 1, uv_now(&n->loop), SKV_FORWARD_TIMEOUT_MS);
    return rc;
}

/* The tracker's end, as the catalogue error the owner answers with. */
static void ended(struct skv_tracked *e, enum skv_track_end why, void *arg)
{
    struct skv_leader_reqs *q = arg;
    switch (why) {
    case SKV_TRACK_LEADER_CHANGED: q->end(e, SKV_ErrLeadershipLost); break;
    case SKV_TRACK_TIMEOUT: q->end(e, SKV_ErrTimeout); break;
    default: q->end(e, SKV_ErrShuttingDown); break;
    }
}

void skv_leader_reqs_tick(struct skv_node *n, struct skv_leader_reqs *q, uint64_t now_ms)
{
    raft_id lid = 0;
    const char *laddr = NULL;
    raft_leader(&n->raft, &lid, &laddr);
    skv_tracker_expire(&q->t, now_ms, lid, ended, q);
}

void skv_leader_reqs_fail_all(struct skv_leader_reqs *q)
{
    skv_tracker_fail_all(&q->t, ended, q);
}
