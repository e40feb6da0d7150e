/* SPDX-License-Identifier: MIT */
/*
 * tracker.h — requests this node sent to peers and still awaits answers
 * for: id allocation, the peer asked, the deadline, expiry (the deadline
 * passed, or — for a request sent to the leader — the leader changed),
 * fail-all. One instance per kind of request, owned by its module:
 * forwarded admin ops (forward.c), forwarded proposals (propose.c),
 * capability probes (cap_fanout.c); the peer filter's expects()
 * (dispatch.c) asks them whether an answer frame is awaited.
 * Engine-independent: the owner embeds struct skv_tracked in its request,
 * passes the current leader to the expiry scan and answers what the
 * tracker hands back (skv_tracker_expire / skv_tracker_fail_all call the
 * owner's end function for each). Loop thread only.
 */
#ifndef SKV_TRACKER_H
#define SKV_TRACKER_H

#include <stdint.h>

#include "util/list.h"

/* A leader-bound request older than this fails as soon as the leader
 * changes (no answer will come; fail fast instead of waiting). */
#define SKV_TRACK_LEADER_GRACE_MS 500

struct skv_tracked {
    struct skv_list link;       /* the tracker's list while tracked */
    uint64_t id;
    uint64_t peer;              /* the peer asked; 0: several (owner filters) */
    uint64_t sent_ms, deadline_ms;
    int leader_bound;           /* sent to the leader `peer` */
};

struct skv_tracker {
    struct skv_list live;       /* struct skv_tracked, oldest first */
    uint64_t last_id;
};

enum skv_track_end { SKV_TRACK_TIMEOUT = 1, SKV_TRACK_LEADER_CHANGED = 2, SKV_TRACK_SHUTDOWN = 3 };

/* The owner's answer to a request that ended unanswered (`e` is already
 * untracked; the owner frees it): why it ended, the owner's `arg`. */
typedef void (*skv_tracker_end_fn)(struct skv_tracked *e, enum skv_track_end why, void *arg);

/* Ids handed out start after `last_id`. */
void skv_tracker_init(struct skv_tracker *t, uint64_t last_id);
/* A fresh id (the frame carries it before the request is added). */
uint64_t skv_tracker_next_id(struct skv_tracker *t);
/* Track `e` under `id` until now_ms + timeout_ms. */
void skv_tracker_add(struct skv_tracker *t, struct skv_tracked *e, uint64_t id,
                     uint64_t peer, int leader_bound, uint64_t now_ms, uint64_t timeout_ms);
/* The tracked request `id`, or NULL. */
struct skv_tracked *skv_tracker_find(struct skv_tracker *t, uint64_t id);
/* 1 if request `id` is tracked and was sent to `peer`. */
int skv_tracker_expects(struct skv_tracker *t, uint64_t peer, uint64_t id);
/* Stop tracking `e` (answered). */
void skv_tracker_del(struct skv_tracked *e);
/* The oldest request that expired at now_ms (leader: the current leader,
 * 0 if none), untracked, with why it ended in *end; NULL if none. Call
 * until NULL: answering one may track new requests. */
struct skv_tracked *skv_tracker_take_due(struct skv_tracker *t, uint64_t now_ms,
                                         uint64_t leader, enum skv_track_end *end);
/* The oldest tracked request, untracked (fail-all); NULL if none. */
struct skv_tracked *skv_tracker_pop(struct skv_tracker *t);
/* The owners' tick: `end` every request due at now_ms (skv_tracker_take_due),
 * one at a time, so `end` may track new requests. */
void skv_tracker_expire(struct skv_tracker *t, uint64_t now_ms, uint64_t leader,
                        skv_tracker_end_fn end, void *arg);
/* The owners' shutdown: `end` every tracked request with SKV_TRACK_SHUTDOWN. */
void skv_tracker_fail_all(struct skv_tracker *t, skv_tracker_end_fn end, void *arg);

#endif /* SKV_TRACKER_H */
