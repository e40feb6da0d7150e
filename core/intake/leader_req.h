/* SPDX-License-Identifier: MIT */
/*
 * leader_req.h — requests a follower sends to the leader and waits on:
 * one struct skv_leader_reqs per kind, embedded in struct skv_node and
 * owned by its module (forwarded admin ops: forward.c; forwarded
 * proposals: propose.c). The steps both kinds share live here: the
 * leader to send to, send and track (deadline SKV_FORWARD_TIMEOUT_MS,
 * fail fast when the leader changes), and the tick's expiry and
 * shutdown's fail-all, each mapped to one catalogue error the owner's
 * `end` answers with. The owner encodes the frame and handles the
 * leader's answer (it finds the request in `t`). Loop thread only.
 */
#ifndef SKV_LEADER_REQ_H
#define SKV_LEADER_REQ_H

#include <stdint.h>

#include "peer/tracker.h"
#include "util/buf.h"
#include "util/errors.h"

/* How long a follower waits for the leader's answer. */
#define SKV_FORWARD_TIMEOUT_MS 10000

struct skv_node;

/* Answer `e` (untracked; the owner frees it), which ended without the
 * leader's answer: `id` is ErrLeadershipLost (the leader changed; the
 * outcome is unknown), ErrTimeout (the deadline passed; unknown too) or
 * ErrShuttingDown (shutdown). */
typedef void (*skv_leader_end_fn)(struct skv_tracked *e, enum skv_error_id id);

struct skv_leader_reqs {
    struct skv_tracker t;       /* the requests awaiting the leader's answer */
    skv_leader_end_fn end;
};

/* Where a request goes: the leader's id and address (raft's). */
struct skv_leader_dest {
    uint64_t id;
    const char *address;
};

void skv_leader_reqs_init(struct skv_leader_reqs *q, skv_leader_end_fn end);
/* The leader to send to: 0, or -1 when none is known or it is this node. */
int skv_leader_reqs_target(struct skv_node *n, struct skv_leader_dest *to);
/* Send `frame`, which carries request id `req_id`, to the leader; on
 * SKV_OK track `e` until the leader's answer, the deadline, a leader
 * change or shutdown. Otherwise the transport's error, nothing tracked. */
int skv_leader_reqs_send(struct skv_node *n, struct skv_leader_reqs *q,
                         const struct skv_leader_dest *to, struct skv_tracked *e,
                         uint64_t req_id, const struct skv_buf *frame);
/* Tick: end the requests whose deadline passed or whose leader changed. */
void skv_leader_reqs_tick(struct skv_node *n, struct skv_leader_reqs *q, uint64_t now_ms);
/* Shutdown: end every request with ErrShuttingDown. */
void skv_leader_reqs_fail_all(struct skv_leader_reqs *q);

#endif /* SKV_LEADER_REQ_H */
