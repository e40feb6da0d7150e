/* SPDX-License-Identifier: MIT */
/*
 * tracker.c — requests awaiting a peer's answer (see tracker.h): ids,
 * look-up by id, the expiry rule (deadline, or the leader changed), the
 * owners' expiry and fail-all loops. Engine-independent; loop thread only.
 */
#include "peer/tracker.h"

void skv_tracker_init(struct skv_tracker *t, uint64_t last_id)
{
    skv_list_init(&t->live);
    t->last_id = last_id;
}

uint64_t skv_tracker_next_id(struct skv_tracker *t)
{
    return ++t->last_id;
}

void skv_tracker_add(struct skv_tracker *t, struct skv_tracked *e, uint64_t id,
                     uint64_t peer, int leader_bound, uint64_t now_ms, uint64_t timeout_ms)
{
    e->id = id;
    e->peer = peer;
    e->leader_bound = leader_bound;
    e->sent_ms = now_ms;
    e->deadline_ms = now_ms + timeout_ms;
    skv_list_add_tail(&t->live, &e->link);
}

struct skv_tracked *skv_tracker_find(struct skv_tracker *t, uint64_t id)
{
    struct skv_list *it;
    for (it = t->live.next; it != &t->live; it = it->next) {
        struct skv_tracked *e = skv_container_of(it, struct skv_tracked, link);
        if (e->id == id)
            return e;
    }
    return NULL;
}

int skv_tracker_expects(struct skv_tracker *t, uint64_t peer, uint64_t id)
{
    const struct skv_tracked *e = skv_tracker_find(t, id);
    return e && e->peer == peer;
}

void skv_tracker_del(struct skv_tracked *e)
{
    skv_list_del(&e->link);
}

/* Why `e` ends at now_ms, or 0 while it still waits. */
static int due(const struct skv_tracked *e, uint64_t now_ms, uint64_t leader)
{
    if (e->leader_bound && leader != e->peer &&
        now_ms > e->sent_ms + SKV_TRACK_LEADER_GRACE_MS)
        return SKV_TRACK_LEADER_CHANGED;
    return e->deadline_ms <= now_ms ? SKV_TRACK_TIMEOUT : 0;
}

struct skv_tracked *skv_tracker_take_due(struct skv_tracker *t, uint64_t now_ms,
                                         uint64_t leader, enum skv_track_end *end)
{
    struct skv_list *it;
    for (it = t->live.next; it != &t->live; it = it->next) {
        struct skv_tracked *e = skv_container_of(it, struct skv_tracked, link);
        int why = due(e, now_ms, leader);
        if (why) {
            skv_list_del(&e->link);
            *end = (enum skv_track_end)why;
            return e;
        }
    }
    return NULL;
}

struct skv_tracked *skv_tracker_pop(struct skv_tracker *t)
{
    struct skv_tracked *e;
    if (skv_list_empty(&t->live))
        return NULL;
    e = skv_container_of(t->live.next, struct skv_tracked, link);
    skv_list_del(&e->link);
    return e;
}

void skv_tracker_expire(struct skv_tracker *t, uint64_t now_ms, uint64_t leader,
                        skv_tracker_end_fn end, void *arg)
{
    struct skv_tracked *e;
    enum skv_track_end why;
    while ((e = skv_tracker_take_due(t, now_ms, leader, &why)))
        end(e, why, arg);
}

void skv_tracker_fail_all(struct skv_tracker *t, skv_tracker_end_fn end, void *arg)
{
    struct skv_tracked *e;
    while ((e = skv_tracker_pop(t)))
        end(e, SKV_TRACK_SHUTDOWN, arg);
}
