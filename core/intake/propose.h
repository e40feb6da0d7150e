/* SPDX-License-Identifier: MIT */
/*
 * propose.h — the one proposal path. Every FSM payload enters the log
 * through skv_propose() with a source tag: `user` (client KV writes) or
 * `admin` (membership-independent control entries: encryption bootstrap,
 * registrations, phase flags). On the leader it checks readiness (no user
 * proposal before a barrier of the leader's own term applied) and the
 * intake gate (a later phase closes it for user proposals only), then
 * raft_apply()s. On a follower it forwards the payload to the leader
 * (PROPOSE_REQ with a request id, deadline, fail-fast on leader change).
 */
#ifndef SKV_PROPOSE_H
#define SKV_PROPOSE_H

#include "intake/intake.h"
#include "node/node.h"

/* Propose `payload` (raft_malloc'd; ownership always taken). `cb` is
 * called exactly once, possibly before this returns. Loop thread. */
void skv_propose(struct skv_node *n, int source, void *payload, size_t len,
                 skv_propose_cb cb, void *arg);

/* Leader side of a forwarded proposal; follower side of the answer:
 * n->props_forwarded (leader_req.h; init at open, tick, fail_all at
 * shutdown). */
void skv_propose_init(struct skv_node *n);
void skv_propose_on_req(struct skv_node *n, uint64_t from, const void *req);
void skv_propose_on_resp(struct skv_node *n, uint64_t from, const void *resp);
void skv_propose_tick(struct skv_node *n, uint64_t now_ms);
void skv_propose_fail_all(struct skv_node *n);

/* skv_error_http (status and retry hint for a stable error name) is
 * declared in intake.h and defined in propose.c. */

#endif
