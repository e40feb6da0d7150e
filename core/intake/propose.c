/* SPDX-License-Identifier: MIT */
/*
 * propose.c — skv_propose (see propose.h): on the leader the intake
 * (intake.c), from a follower forwarding to the leader; both sides of a
 * forwarded proposal (the follower's wait in n->props_forwarded,
 * leader_req.h, with its init/tick/fail_all); skv_error_http, the
 * catalogue's status for a name received as data.
 */
#include "intake/propose.h"
#include "intake/leader_req.h"
#include "cmd/cmd_decode.h"
#include "peer/dispatch.h"
#include "intake/op.h"
#include "peer/peer_policy.h"
#include "peer/tracker.h"
#include "wire/wire.h"
#include "util/errors.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

struct prop {
    struct skv_tracked track;   /* in n->props_forwarded (leader_req.h) */
    skv_propose_cb cb;
    void *arg;
};

/* Status and Retry-After of a name received as data (a proposal's result,
 * the wire): the catalogue's (util/errors.def), 500 for an unknown name. */
void skv_error_http(const char *error, int *status, int *retry)
{
    skv_error_name_http(error, status, retry);
}

/* Answer `cb` with catalogue error `id` (rc, status, retry derive). */
static void finish(skv_propose_cb cb, void *arg, enum skv_error_id id, const char *message)
{
    skv_intake_fail(cb, arg, id, message);
}

/* A payload the leader would refuse from this node is not forwarded: an
 * entry only a leader builds (bootstrap, phase flags, a newcomer's
 * registration) means this node lost leadership meanwhile. 1 if answered
 * (payload freed). */
static int refuse_forward(struct skv_node *n, int source, void *payload, size_t len,
                          skv_propose_cb cb, void *arg)
{
    int ok = skv_peer_may_forward(n->conf->node_id, (uint32_t)source, payload, len);
    if (ok == 1)
        return 0;
    raft_free(payload);
    if (ok < 0)
        finish(cb, arg, SKV_ErrBadRequest, "malformed proposal");
    else
        finish(cb, arg, SKV_ErrLeadershipLost,
               "this node lost leadership while building a leader-only entry; retry");
    return 1;
}

static void forward(struct skv_node *n, int source, void *payload, size_t len,
                    skv_propose_cb cb, void *arg)
{
    struct skv_fwd_propose m;
    struct skv_buf b = {NULL, 0, 0};
    struct skv_leader_dest to;
    struct prop *p;

    if (skv_leader_reqs_target(n, &to) != 0) {
        raft_free(payload);
        finish(cb, arg, SKV_ErrNoLeader, "no known leader");
        return;
    }
    if (refuse_forward(n, source, payload, len, cb, arg))
        return;
    memset(&m, 0, sizeof m);
    m.req_id = skv_tracker_next_id(&n->props_forwarded.t);
    m.source = (uint32_t)source;
    m.payload.p = payload;
    m.payload.len = len;
    p = calloc(1, sizeof *p);
    if (!p || skv_wire_encode_propose(&b, n->conf->node_id, &m) != 0 ||
        skv_leader_reqs_send(n, &n->props_forwarded, &to, &p->track, m.req_id, &b) != SKV_OK) {
        free(p);
        skv_buf_free(&b);
        raft_free(payload);
        finish(cb, arg, SKV_ErrLeaderUnreachable, "cannot queue the proposal for the leader");
        return;
    }
    skv_buf_free(&b);
    raft_free(payload);
    p->cb = cb;
    p->arg = arg;
    n->metrics.proposals_forwarded++;
}

void skv_propose(struct skv_node *n, int source, void *payload, size_t len,
                 skv_propose_cb cb, void *arg)
{
    if (n->stopping || n->run_state == SKV_RUN_HALTED) {
        raft_free(payload);
        finish(cb, arg, n->stopping ? SKV_ErrShuttingDown : SKV_ErrHalted,
               n->stopping ? "node is shutting down" : n->halt_reason);
        return;
    }
    if (raft_state(&n->raft) == RAFT_LEADER)
        (void)skv_intake_propose(&n->intake, source, payload, len, cb, arg);
    else
        forward(n, source, payload, len, cb, arg);
}

/* ---- leader side of a forwarded proposal ----------------------------- */

struct remote {
    struct skv_node *node;
    uint64_t from, req_id;
};

static const char *peer_address(struct skv_node *n, uint64_t id)
{
    unsigned i;
    for (i = 0; i < n->raft.configuration.n; i++)
        if (n->raft.configuration.servers[i].id == id)
            return n->raft.configuration.servers[i].address;
    return NULL;
}

static void answer_remote(void *arg, const struct skv_propose_result *r)
{
    struct remote *rm = arg;
    struct skv_node *n = rm->node;
    struct skv_fwd_propose_resp m;
    struct skv_buf b = {NULL, 0, 0};
    const char *addr = peer_address(n, rm->from);
    raft_id lid = 0;
    const char *laddr = NULL;

    raft_leader(&n->raft, &lid, &laddr);
    memset(&m, 0, sizeof m);
    m.req_id = rm->req_id;
    m.rc = r->rc;
    m.index = r->index;
    m.leader_id = lid;
    m.error.p = (const uint8_t *)r->error;
    m.error.len = r->error ? strlen(r->error) : 0;
    m.message.p = (const uint8_t *)r->message;
    m.message.len = r->message ? strlen(r->message) : 0;
    if (addr && skv_wire_encode_propose_resp(&b, n->conf->node_id, &m) == 0)
        skv_node_send(n, rm->from, addr, b.p, b.len);
    else
        skv_node_log(n, SKV_LOG_WARN, "cannot answer proposal %llu of node %llu",
                     (unsigned long long)rm->req_id, (unsigned long long)rm->from);
    skv_buf_free(&b);
    free(rm);
}

/* Decode a forwarded payload and apply peer_policy.h. 0, or -1 after
 * answering 400 ErrBadRequest (counted, logged rate-limited). */
static int peer_check(struct skv_node *n, uint64_t from, const struct skv_fwd_propose *m,
                      struct remote *rm)
{
    struct skv_cmd c;
    char why[200], msg[260];
    int malformed = m->source > SKV_SRC_ADMIN;
    if (malformed)
        snprintf(why, sizeof why, "source %u", (unsigned)m->source);
    else if (skv_cmd_decode(m->payload.p, m->payload.len, &c, why, sizeof why) != 0)
        malformed = 1;
    else if (skv_peer_proposal_allowed(from, m->source, &c, why, sizeof why) == 0) {
        skv_cmd_free(&c);
        return 0;
    } else
        skv_cmd_free(&c);
    n->metrics.proposals_refused[1][!malformed]++;
    skv_dispatch_note(n, from, "peer request refused",
                      malformed ? "malformed" : "not_allowed", SKV_PEER_LOG_PROPOSAL,
                      "proposal %llu: %s", (unsigned long long)m->req_id, why);
    snprintf(msg, sizeof msg, "forwarded proposal refused: %s", why);
    finish(answer_remote, rm, SKV_ErrBadRequest, msg);
    return -1;
}

void skv_propose_on_req(struct skv_node *n, uint64_t from, const void *req)
{
    const struct skv_fwd_propose *m = req;
    struct remote *rm = calloc(1, sizeof *rm);
    void *payload;
    if (!rm)
        return;
    rm->node = n;
    rm->from = from;
    rm->req_id = m->req_id;
    if (peer_check(n, from, m, rm) != 0)
        return;
    if (raft_state(&n->raft) != RAFT_LEADER || n->stopping ||
        n->run_state == SKV_RUN_HALTED) {
        finish(answer_remote, rm, SKV_ErrNotLeader,
               "forwarded to a node that is not the leader (no second hop)");
        return;
    }
    if (!(payload = raft_malloc(m->payload.len))) {
        finish(answer_remote, rm, SKV_ErrNoMemory, "out of memory");
        return;
    }
    memcpy(payload, m->payload.p, m->payload.len);
    (void)skv_intake_propose(&n->intake, (int)m->source, payload, m->payload.len,
                             answer_remote, rm);
}

/* ---- follower side: answers, deadlines, shutdown -------------------- */

/* A forwarded proposal the leader did not answer (leader_req.h). */
static void prop_ended(struct skv_tracked *e, enum skv_error_id id)
{
    struct prop *p = skv_container_of(e, struct prop, track);
    finish(p->cb, p->arg, id,
           id == SKV_ErrLeadershipLost
               ? "the leader changed while the proposal was in flight; the outcome is unknown"
           : id == SKV_ErrTimeout ? "the leader did not answer in time; the outcome is unknown"
                                  : "node is shutting down; the outcome is unknown");
    free(p);
}

void skv_propose_init(struct skv_node *n)
{
    skv_leader_reqs_init(&n->props_forwarded, prop_ended);
}

int skv_propose_expects(struct skv_node *n, uint64_t peer, uint64_t req_id)
{
    return skv_tracker_expects(&n->props_forwarded.t, peer, req_id);
}

void skv_propose_on_resp(struct skv_node *n, uint64_t from, const void *resp)
{
    const struct skv_fwd_propose_resp *m = resp;
    struct skv_tracked *e = skv_tracker_find(&n->props_forwarded.t, m->req_id);
    struct prop *p;
    char err[64], msg[512];
    if (!e) {
        skv_node_log(n, SKV_LOG_DEBUG, "late proposal answer %llu from %llu",
                     (unsigned long long)m->req_id, (unsigned long long)from);
        return;
    }
    skv_tracker_del(e);
    p = skv_container_of(e, struct prop, track);
    snprintf(err, sizeof err, "%.*s", (int)m->error.len, (const char *)m->error.p);
    snprintf(msg, sizeof msg, "%.*s", (int)m->message.len, (const char *)m->message.p);
    skv_intake_finish(p->cb, p->arg, m->rc, m->error.len ? err : NULL,
                      m->message.len ? msg : NULL, m->index);
    free(p);
}

void skv_propose_tick(struct skv_node *n, uint64_t now_ms)
{
    skv_leader_reqs_tick(n, &n->props_forwarded, now_ms);
}

void skv_propose_fail_all(struct skv_node *n)
{
    skv_leader_reqs_fail_all(&n->props_forwarded);
}
