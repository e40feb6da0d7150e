/* SPDX-License-Identifier: MIT */
/*
 * watch.h — the "watch.poll" op behind GET /v1/watch (the admin-http
 * plugin streams by polling): the changes after `from_index` under a
 * prefix, from this node's own applied history (fsm_history.h), answered
 * at once when there are any, else held until one is applied or `wait_ms`
 * passes. Owned by watch.c and embedded in struct skv_node: the waiting
 * polls and the check handle that answers them at the end of each loop
 * turn; init at open, tick (deadlines), fail_all at shutdown.
 *
 * Op: arg = prefix (0..SKV_MAX_KEY bytes), json = {"from_index":N,
 * "wait_ms":0..30000}. Answer 200 {"index":I,"events":[{"index","type":
 * "put"|"delete","key":b64,"value":b64}]}: every matching event with
 * from_index < index <= I, whole indexes, at most SKV_WATCH_MAX_EVENTS
 * (about SKV_WATCH_MAX_BYTES); resume from I. 410 ErrCompacted when
 * events after from_index are no longer kept.
 */
#ifndef SKV_WATCH_H
#define SKV_WATCH_H

#include <stdint.h>
#include <uv.h>

#include "util/list.h"

#define SKV_WATCH_MAX_EVENTS 1000u
#define SKV_WATCH_MAX_BYTES (4u * 1024u * 1024u)
#define SKV_WATCH_MAX_WAIT_MS 30000u

struct skv_watch {
    struct skv_list waiting;    /* struct skv_watch_wait */
    uv_check_t check;           /* answers waiters after each loop turn */
    int check_on;
    uint64_t seen;              /* history.changes when last looked */
};

struct skv_node;
struct skv_op;

int skv_watch_init(struct skv_watch *w, uv_loop_t *loop);
void skv_watch_tick(struct skv_node *n, uint64_t now_ms);
void skv_watch_fail_all(struct skv_node *n);
void skv_op_watch_poll(struct skv_op *op);

#endif /* SKV_WATCH_H */
