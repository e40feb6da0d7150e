/* SPDX-License-Identifier: MIT */
/*
 * watch.c — owns the "watch.poll" op and its waiters (watch.h): parse the
 * parameters, answer from the FSM's history at once or park the op until
 * a matching change is applied (checked once per loop turn) or its wait
 * ends (tick), and fail the parked ones at shutdown.
 */
#include "admin/watch.h"
#include "admin/admin_ops.h"
#include "cmd/command.h"
#include "fsm/fsm_history.h"
#include "node/node.h"
#include "util/buf.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct skv_watch_wait {
    struct skv_list link;
    struct skv_op *op;
    uint64_t from;
    uint64_t deadline;          /* loop time, ms */
};

#define WAIT(l) skv_container_of((l), struct skv_watch_wait, link)

static void on_check(uv_check_t *h);

int skv_watch_init(struct skv_watch *w, uv_loop_t *loop)
{
    memset(w, 0, sizeof *w);
    skv_list_init(&w->waiting);
    if (uv_check_init(loop, &w->check) != 0)
        return -1;
    w->check.data = w;
    w->check_on = 1;
    return 0;
}

/* Answer `op`: 200 with the events after `from`, or 410. */
static void answer(struct skv_op *op, uint64_t from)
{
    const struct skv_fsm_history *h = &op->node->fsm.history;
    struct skv_buf b = {0};
    uint64_t covered = 0;
    char head[48];
    long n;
    int len = snprintf(head, sizeof head, "{\"events\":[");
    if (skv_buf_append(&b, head, (size_t)len) != 0) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    n = skv_history_collect(h, from, op->arg, op->arg_len, SKV_WATCH_MAX_EVENTS,
                            SKV_WATCH_MAX_BYTES, &b, &covered);
    if (n == -1) {
        skv_op_fail(op, SKV_ErrCompacted,
                    "the changes after index %llu are no longer kept on this node; the "
                    "oldest from_index it can serve is %llu (read the current state, then "
                    "watch from its index)",
                    (unsigned long long)from, (unsigned long long)(h->first_index - 1));
    } else {
        len = snprintf(head, sizeof head, "],\"index\":%llu}", (unsigned long long)covered);
        if (n < 0 || skv_buf_append(&b, head, (size_t)len + 1) != 0)
            skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        else
            skv_op_reply_json(op, 200, (const char *)b.p);
    }
    skv_buf_free(&b);
}

/* Parameters; -1 after replying 400. */
static int poll_params(struct skv_op *op, uint64_t *from, uint64_t *wait_ms)
{
    json_t *j = NULL, *v;
    json_error_t je;
    *from = 0;
    *wait_ms = 0;
    if (op->arg_len > SKV_MAX_KEY) {
        skv_op_fail(op, SKV_ErrBadRequest, "prefix must be at most %u bytes", SKV_MAX_KEY);
        return -1;
    }
    if (op->json && !(j = json_loads(op->json, JSON_REJECT_DUPLICATES, &je))) {
        skv_op_fail(op, SKV_ErrBadRequest, "watch parameters: %s", je.text);
        return -1;
    }
    if (j && (v = json_object_get(j, "from_index"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            json_decref(j);
            skv_op_fail(op, SKV_ErrBadRequest, "from_index must be an index, 0..2^63-1");
            return -1;
        }
        *from = (uint64_t)json_integer_value(v);
    }
    if (j && (v = json_object_get(j, "wait_ms"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > SKV_WATCH_MAX_WAIT_MS) {
            json_decref(j);
            skv_op_fail(op, SKV_ErrBadRequest, "wait_ms must be 0..%u", SKV_WATCH_MAX_WAIT_MS);
            return -1;
        }
        *wait_ms = (uint64_t)json_integer_value(v);
    }
    if (!j || !json_object_get(j, "from_index")) /* absent: from now on */
        *from = op->node->fsm.history.last_index;
    json_decref(j);
    return 0;
}

/* Answer at once when there is something to say (events, or 410). */
static int ready(const struct skv_fsm_history *h, const struct skv_op *op, uint64_t from)
{
    return from + 1 < h->first_index || skv_history_has(h, from, op->arg, op->arg_len);
}

void skv_op_watch_poll(struct skv_op *op)
{
    struct skv_node *n = op->node;
    struct skv_watch *w = &n->watch;
    struct skv_watch_wait *ww;
    uint64_t from, wait_ms;
    if (poll_params(op, &from, &wait_ms) != 0 || skv_op_refuse_installing(op))
        return;
    if (wait_ms == 0 || !w->check_on || ready(&n->fsm.history, op, from)) {
        answer(op, from);
        return;
    }
    if (!(ww = calloc(1, sizeof *ww))) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    ww->op = op;
    ww->from = from;
    ww->deadline = uv_now(&n->loop) + wait_ms;
    skv_list_add_tail(&w->waiting, &ww->link);
    uv_check_start(&w->check, on_check);
}

static void finish(struct skv_watch *w, struct skv_watch_wait *ww)
{
    skv_list_del(&ww->link);
    answer(ww->op, ww->from);
    free(ww);
    if (skv_list_empty(&w->waiting))
        uv_check_stop(&w->check);
}

/* End of a loop turn: answer the waiters a newly applied change concerns. */
static void on_check(uv_check_t *h)
{
    struct skv_watch *w = h->data;
    struct skv_node *n = skv_container_of(w, struct skv_node, watch);
    const struct skv_fsm_history *hist = &n->fsm.history;
    struct skv_list *l, *next;
    if (hist->changes == w->seen)
        return;
    w->seen = hist->changes;
    for (l = w->waiting.next; l != &w->waiting; l = next) {
        next = l->next;
        if (ready(hist, WAIT(l)->op, WAIT(l)->from))
            finish(w, WAIT(l));
    }
}

void skv_watch_tick(struct skv_node *n, uint64_t now_ms)
{
    struct skv_watch *w = &n->watch;
    struct skv_list *l, *next;
    for (l = w->waiting.next; l != &w->waiting; l = next) {
        next = l->next;
        if (WAIT(l)->deadline <= now_ms)
            finish(w, WAIT(l)); /* nothing matched: the index moved on */
    }
}

void skv_watch_fail_all(struct skv_node *n)
{
    struct skv_watch *w = &n->watch;
    while (!skv_list_empty(&w->waiting)) {
        struct skv_watch_wait *ww = WAIT(w->waiting.next);
        skv_list_del(&ww->link);
        skv_op_fail(ww->op, SKV_ErrShuttingDown, "node is shutting down");
        free(ww);
    }
    if (w->check_on) {
        w->check_on = 0;
        uv_close((uv_handle_t *)&w->check, NULL);
    }
}
