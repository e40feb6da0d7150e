/* SPDX-License-Identifier: MIT */
/*
 * intake.c — the leader's proposal intake (see intake.h): propose_local
 * (decode check, readiness, cutover gate, wrap-on-propose, raft_apply),
 * the answers it gives, and the intake's init/tick/fail_all. Readiness
 * itself is intake_ready.c.
 */
#include "intake/intake.h"
#include "cmd/cmd_decode.h"
#include "util/log.h"

#include <sealkv/plugin.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct applying {
    struct raft_apply apply;
    struct skv_intake *in;
    skv_propose_cb cb;
    void *arg;
    int source;                 /* enum skv_source (metrics) */
};

void skv_intake_init(struct skv_intake *in, struct raft *raft, struct skv_enc *enc,
                     struct skv_metrics *metrics, int log_level,
                     uint64_t (*now_ms)(void *host), void *host, uint64_t cut_timeout_ms)
{
    memset(in, 0, sizeof *in);
    in->raft = raft;
    in->enc = enc;
    in->metrics = metrics;
    in->log_level = log_level;
    skv_cutover_init(&in->cut, raft, enc, now_ms, host, cut_timeout_ms);
}

void skv_intake_tick(struct skv_intake *in)
{
    skv_cutover_poll(&in->cut);
    skv_intake_ready_tick(in);
}

void skv_intake_fail_all(struct skv_intake *in, const char *error, const char *message)
{
    in->closed = 1;
    skv_cutover_abort(&in->cut, error, message);
}

void skv_intake_finish(skv_propose_cb cb, void *arg, int rc, const char *error,
                       const char *message, uint64_t index)
{
    struct skv_propose_result r;
    memset(&r, 0, sizeof r);
    r.rc = rc;
    r.error = error;
    r.message = message;
    r.index = index;
    skv_error_http(error, &r.status, &r.retry_after_s);
    cb(arg, &r);
}

void skv_intake_fail(skv_propose_cb cb, void *arg, enum skv_error_id id, const char *message)
{
    skv_intake_finish(cb, arg, skv_error_rc(id), skv_error_name(id), message, 0);
}

void skv_intake_finish_raft(skv_propose_cb cb, void *arg, int status)
{
    switch (status) {
    case RAFT_NOTLEADER:
        skv_intake_fail(cb, arg, SKV_ErrNotLeader, "this node is not the leader");
        break;
    case RAFT_LEADERSHIPLOST:
        skv_intake_fail(cb, arg, SKV_ErrLeadershipLost,
                        "leadership lost before commit; the outcome is unknown");
        break;
    case RAFT_SHUTDOWN:
    case RAFT_CANCELED:
        skv_intake_fail(cb, arg, SKV_ErrShuttingDown,
                        "node is shutting down; the outcome is unknown");
        break;
    default:
        skv_intake_fail(cb, arg, SKV_ErrInternal, raft_strerror(status));
    }
}

/* An accepted entry failed: C-Raft may already have sent it, so the
 * outcome is unknown whatever the status (a failed log write halts this
 * node; another may still commit the entry). */
static void finish_accepted(skv_propose_cb cb, void *arg, int status)
{
    char msg[160];
    if (status == RAFT_LEADERSHIPLOST || status == RAFT_SHUTDOWN || status == RAFT_CANCELED) {
        skv_intake_finish_raft(cb, arg, status);
        return;
    }
    snprintf(msg, sizeof msg, "the leader failed after it accepted the entry (%s): the outcome "
             "is unknown", raft_strerror(status));
    skv_intake_fail(cb, arg, SKV_ErrShuttingDown, msg);
}

static void applied(struct raft_apply *req, int status, void *result)
{
    struct applying *p = req->data;
    const struct skv_apply_refusal *rf = result;
    skv_metrics_proposal(p->in->metrics, p->source,
                         status != 0            ? SKV_PROPOSAL_UNKNOWN
                         : rf && rf->error      ? SKV_PROPOSAL_REJECTED
                                                : SKV_PROPOSAL_OK);
    if (status == 0 && rf && !rf->error) { /* a transaction: applied, with its outcome */
        struct skv_propose_result r;
        memset(&r, 0, sizeof r);
        r.rc = SKV_OK;
        r.status = 200;
        r.index = req->index;
        r.txn = rf->txn;
        p->cb(p->arg, &r);
    } else if (status == 0 && rf) { /* deterministically refused by every replica's FSM */
        int cmp = strcmp(rf->error, skv_error_name(SKV_ErrCompareFailed)) == 0;
        /* a failed compare answers the key's current mod index instead of
         * the entry's (skv_propose_result.index) */
        skv_intake_finish(p->cb, p->arg, SKV_ERR_INVALID, rf->error,
                          cmp ? "the compare failed: the key's mod index is not the "
                                "expected one" : "refused by the state machine",
                          cmp ? rf->mod_index : req->index);
    }
    else if (status == 0)
        skv_intake_finish(p->cb, p->arg, SKV_OK, NULL, NULL, req->index);
    else
        finish_accepted(p->cb, p->arg, status);
    free(p);
}

/* A user proposal refused by the cutover gate gets its (retryable)
 * ErrEnvelopeCutoverInProgress when intake reopens, not at once: see
 * skv_cutover_defer. How long that takes: in steps 1-2 at most the
 * barrier's timeout (it then reopens intake); from step 3 on there is no
 * timeout — intake must not reopen while the cutover entry may still
 * commit — so the answer comes when that entry applies, when the leader
 * loses leadership (C-Raft fails the entry's request: a leader out of
 * touch with a majority steps down within an election timeout), or at
 * shutdown (skv_intake_fail_all). */
struct refusal {
    skv_propose_cb cb;
    void *arg;
};

static void answer_refusal(void *arg)
{
    struct refusal *r = arg;
    skv_intake_fail(r->cb, r->arg, SKV_ErrEnvelopeCutoverInProgress,
                    "the raft envelope cutover is in progress; retry shortly");
    free(r);
}

static int defer_refusal(struct skv_intake *in, skv_propose_cb cb, void *arg)
{
    struct refusal *r = malloc(sizeof *r);
    if (!r)
        return -1;
    r->cb = cb;
    r->arg = arg;
    if (skv_cutover_defer(&in->cut, answer_refusal, r) != 0) {
        free(r);
        return -1;
    }
    return 0;
}

/* Nothing malformed enters the log: the FSM's own decoder runs on every
 * payload before raft_apply. 0, or -1 after answering 400 ErrBadRequest. */
static int intake_check(struct skv_intake *in, int source, const void *payload,
                        size_t len, skv_propose_cb cb, void *arg)
{
    struct skv_cmd c;
    char why[200], msg[260];
    if (skv_cmd_decode(payload, len, &c, why, sizeof why) == 0) {
        skv_cmd_free(&c);
        return 0;
    }
    skv_metrics_proposal(in->metrics, source, SKV_PROPOSAL_REFUSED);
    in->metrics->proposals_refused[0][0]++;
    skv_log(SKV_LOG_WARN, in->log_level, "node",
            "proposal refused before raft_apply: %s", why);
    snprintf(msg, sizeof msg, "malformed proposal: %s", why);
    skv_intake_fail(cb, arg, SKV_ErrBadRequest, msg);
    return -1;
}

/* Readiness, gate, wrap: 0 to go on, else answered (payload freed). */
static int admit(struct skv_intake *in, int source, void **payload, size_t *len,
                 skv_propose_cb cb, void *arg)
{
    const char *gate, *error = NULL;
    char msg[400];
    if (!skv_intake_ready(in)) { /* any source: its cutover state must be final */
        skv_metrics_proposal(in->metrics, source, SKV_PROPOSAL_REFUSED);
        raft_free(*payload);
        skv_intake_fail(cb, arg, SKV_ErrLeaderNotReady,
                        "new leader has not applied a barrier of its term yet");
        return -1;
    }
    if ((gate = skv_cutover_gate(&in->cut, source)) != NULL) {
        skv_metrics_proposal(in->metrics, source, SKV_PROPOSAL_REFUSED);
        raft_free(*payload);
        if (source == SKV_SRC_USER && defer_refusal(in, cb, arg) == 0)
            return -1; /* answered when intake reopens */
        skv_intake_finish(cb, arg, SKV_ERR_AGAIN, gate,
                          "the raft envelope cutover is in progress; retry shortly", 0);
        return -1;
    }
    if (atomic_load(&in->enc->wrap) &&
        skv_enc_wrap(in->enc, payload, len, &error, msg, sizeof msg) != 0) {
        skv_metrics_proposal(in->metrics, source, SKV_PROPOSAL_REFUSED);
        raft_free(*payload);
        skv_intake_finish(cb, arg, SKV_ERR_INTERNAL, error, msg, 0);
        return -1;
    }
    if (atomic_load(&in->enc->wrap))
        skv_metrics_dek(in->metrics, in->metrics->wrapped, in->enc->gen_raft_id);
    return 0;
}

uint64_t skv_intake_propose(struct skv_intake *in, int source, void *payload, size_t len,
                            skv_propose_cb cb, void *arg)
{
    struct raft_buffer buf;
    struct applying *p;
    int rv;
    if (intake_check(in, source, payload, len, cb, arg) != 0) {
        raft_free(payload);
        return 0;
    }
    if (admit(in, source, &payload, &len, cb, arg) != 0)
        return 0;
    buf.base = payload;
    buf.len = len;
    if (!(p = calloc(1, sizeof *p))) {
        skv_metrics_proposal(in->metrics, source, SKV_PROPOSAL_REFUSED);
        raft_free(payload);
        skv_intake_fail(cb, arg, SKV_ErrNoMemory, "out of memory");
        return 0;
    }
    p->in = in;
    p->cb = cb;
    p->arg = arg;
    p->source = source;
    p->apply.data = p;
    rv = raft_apply(in->raft, &p->apply, &buf, 1, applied);
    if (rv != 0) {
        skv_metrics_proposal(in->metrics, source, SKV_PROPOSAL_REFUSED);
        raft_free(payload);
        free(p);
        skv_intake_finish_raft(cb, arg, rv);
        return 0;
    }
    return p->apply.index;
}
