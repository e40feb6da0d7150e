/* SPDX-License-Identifier: MIT */
/*
 * cutover.c — the Phase-2 cutover barrier and intake gate (cutover.h).
 */
#include "intake/cutover.h"
#include "cmd/enc_cmd.h"
#include "intake/propose.h"
#include "util/errors.h"

#include <stdlib.h>
#include <string.h>

static const char *const step_names[] = {"idle", "close-intake", "drain", "propose",
                                         "wait-apply", "set-wrap", "reopen"};

const char *skv_cut_step_name(int step)
{
    return step >= 0 && step <= SKV_CUT_REOPEN ? step_names[step] : "unknown";
}

void skv_cutover_init(struct skv_cutover *c, struct raft *r, struct skv_enc *enc,
                      uint64_t (*now_ms)(void *), void *host, uint64_t timeout_ms)
{
    memset(c, 0, sizeof *c);
    c->raft = r;
    c->enc = enc;
    c->now_ms = now_ms;
    c->host = host;
    c->timeout_ms = timeout_ms;
}

#ifdef SKV_TEST_HOOKS
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Test hook (only with -DSKV_TEST_HOOKS, i.e. configure
 * --enable-fault-injection): if $SEALKV_TEST_STOP_AT_STEP equals the step
 * number (enum skv_cut_step, 1..6), the process stops itself (SIGSTOP) on
 * entering that step, so a test sees it stopped there (state T) and can
 * SIGKILL it. With $SEALKV_TEST_STOP_ONCE_FILE set, only the process that
 * manages to create that file stops: the cutover retried on the next
 * leader runs through. */
static void test_stop_at(int step)
{
    const char *at = getenv("SEALKV_TEST_STOP_AT_STEP");
    const char *once = getenv("SEALKV_TEST_STOP_ONCE_FILE");
    char *end;
    long want;
    int fd;
    if (!at || !*at)
        return;
    want = strtol(at, &end, 10);
    if (*end || want != step)
        return;
    if (once && *once) {
        fd = open(once, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            return;
        close(fd);
    }
    fprintf(stderr, "test hook: SIGSTOP at cutover step %d (%s)\n", step,
            skv_cut_step_name(step));
    fflush(stderr);
    raise(SIGSTOP);
}
#endif

static void enter(struct skv_cutover *c, int step)
{
    c->step = step;
    if (c->on_step)
        c->on_step(c->host, step);
#ifdef SKV_TEST_HOOKS
    test_stop_at(step);
#endif
}

struct skv_cut_deferred {
    struct skv_cut_deferred *next;
    void (*fn)(void *arg);
    void *arg;
};

int skv_cutover_defer(struct skv_cutover *c, void (*fn)(void *arg), void *arg)
{
    struct skv_cut_deferred *d;
    if (c->step == SKV_CUT_IDLE || !(d = malloc(sizeof *d)))
        return -1;
    d->fn = fn;
    d->arg = arg;
    d->next = c->deferred;
    c->deferred = d;
    return 0;
}

static void finish(struct skv_cutover *c, int rc, const char *error, const char *message)
{
    skv_cut_done_fn done = c->done;
    void *arg = c->done_arg;
    uint64_t index = c->index;
    struct skv_cut_deferred *d = c->deferred;
    if (c->intake_closed)
        c->last_pause_ms = c->now_ms(c->host) - c->closed_at_ms;
    c->intake_closed = 0;
    c->hold_all = 0;
    c->step = SKV_CUT_IDLE;
    c->done = NULL;
    c->deferred = NULL;
    if (rc == 0)
        c->runs++;
    if (done)
        done(arg, rc, error, message, index);
    while (d) { /* intake is open again: refused clients may retry now */
        struct skv_cut_deferred *next = d->next;
        d->fn(d->arg);
        free(d);
        d = next;
    }
}

/* finish with catalogue error `id` (its rc and name). */
static void fail(struct skv_cutover *c, enum skv_error_id id, const char *message)
{
    finish(c, skv_error_rc(id), skv_error_name(id), message);
}

static int still_leader(const struct skv_cutover *c)
{
    return raft_state(c->raft) == RAFT_LEADER && c->raft->current_term == c->term;
}

static void proposed_cb(struct raft_apply *req, int status, void *result)
{
    struct skv_cutover *c = req->data;
    c->req_inflight = 0;
    if (status != 0) {
        /* leadership lost (or shutdown): the entry may still commit under
         * the next leader, whose readiness barrier settles it */
        fail(c, SKV_ErrLeadershipLost,
             "leadership lost after the cutover entry was proposed; retry on the new "
               "leader, which reports the one cutover index");
        return;
    }
    if (skv_enc_cutover(c->enc) != c->index && skv_enc_cutover(c->enc) != 0) {
        /* another cutover entry applied first: that one is the boundary */
        c->index = skv_enc_cutover(c->enc);
        atomic_store(&c->enc->wrap, 1);
        finish(c, SKV_OK, NULL, NULL);
        return;
    }
    if (skv_enc_cutover(c->enc) == 0) {
        const struct skv_apply_refusal *rf = result;
        finish(c, SKV_ERR_INVALID, rf ? rf->error : skv_error_name(SKV_ErrInternal),
               "the state machine refused the cutover entry");
        return;
    }
    skv_cutover_poll(c);
}

static void propose_entry(struct skv_cutover *c)
{
    struct raft_buffer buf;
    void *p = NULL;
    size_t len = 0;
    int rv;
    enter(c, SKV_CUT_PROPOSE);
    if (skv_enc_cutover(c->enc) != 0) { /* applied meanwhile: that is the boundary */
        c->index = skv_enc_cutover(c->enc);
        atomic_store(&c->enc->wrap, 1);
        finish(c, SKV_OK, NULL, NULL);
        return;
    }
    c->hold_all = 1; /* nothing may land between N and the wrap flag */
    if (skv_enc_encode_rotation(SKV_ROT_ENABLE_RAFT, &p, &len) != 0) {
        fail(c, SKV_ErrNoMemory, "out of memory");
        return;
    }
    buf.base = p;
    buf.len = len;
    c->req.data = c;
    rv = raft_apply(c->raft, &c->req, &buf, 1, proposed_cb); /* raw: never wrapped */
    if (rv != 0) {
        raft_free(p);
        fail(c, SKV_ErrNotLeader, raft_strerror(rv));
        return;
    }
    c->req_inflight = 1;
    c->index = c->req.index;
    enter(c, SKV_CUT_WAIT_APPLY);
    c->deadline_ms = c->now_ms(c->host) + c->timeout_ms;
}

int skv_cutover_begin(struct skv_cutover *c, skv_cut_done_fn done, void *arg)
{
    if (c->step != SKV_CUT_IDLE || raft_state(c->raft) != RAFT_LEADER)
        return SKV_ERR_AGAIN;
    if (skv_enc_cutover(c->enc) != 0 || atomic_load(&c->enc->wrap))
        return SKV_ERR_INVALID; /* already cut over: a second raw entry would halt everyone */
    c->done = done;
    c->done_arg = arg;
    c->term = c->raft->current_term;
    c->index = 0;
    enter(c, SKV_CUT_CLOSE);
    c->intake_closed = 1;
    c->closed_at_ms = c->now_ms(c->host);
    c->deadline_ms = c->closed_at_ms + c->timeout_ms;
    /* every accepted entry is in the leader's log by now */
    c->drain_target = raft_last_index(c->raft);
    enter(c, SKV_CUT_DRAIN);
    skv_cutover_poll(c);
    return SKV_OK;
}

/* What this node has applied: C-Raft's count, or the index the FSM is
 * applying right now (C-Raft advances last_applied after apply returns). */
static uint64_t applied_index(const struct skv_cutover *c)
{
    uint64_t la = raft_last_applied(c->raft);
    return c->applied_hint > la ? c->applied_hint : la;
}

void skv_cutover_applied(struct skv_cutover *c, uint64_t index)
{
    if (index > c->applied_hint)
        c->applied_hint = index;
    skv_cutover_poll(c);
}

void skv_cutover_poll(struct skv_cutover *c)
{
    uint64_t now;
    switch (c->step) {
    case SKV_CUT_DRAIN:
        now = c->now_ms(c->host);
        if (!still_leader(c))
            fail(c, SKV_ErrLeadershipLost,
                 "leadership lost while draining; nothing was proposed");
        else if (applied_index(c) >= c->drain_target)
            propose_entry(c);
        else if (now >= c->deadline_ms)
            fail(c, SKV_ErrTimeout,
                 "in-flight proposals did not apply in time; intake reopened, nothing proposed");
        return;
    case SKV_CUT_WAIT_APPLY:
        if (skv_enc_cutover(c->enc) != c->index || c->req_inflight)
            return; /* the apply callback, or a leadership loss, moves us on */
        enter(c, SKV_CUT_WRAP);
        atomic_store(&c->enc->wrap, 1);
        enter(c, SKV_CUT_REOPEN);
        finish(c, SKV_OK, NULL, NULL);
        return;
    default:
        return;
    }
}

void skv_cutover_abort(struct skv_cutover *c, const char *error, const char *message)
{
    if (c->step != SKV_CUT_IDLE)
        finish(c, SKV_ERR_CLOSED, error, message);
}

const char *skv_cutover_gate(const struct skv_cutover *c, int source)
{
    if (c->hold_all || (c->intake_closed && source == SKV_SRC_USER))
        return skv_error_name(SKV_ErrEnvelopeCutoverInProgress);
    return NULL;
}
