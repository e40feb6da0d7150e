/* SPDX-License-Identifier: MIT */
/*
 * wake.h — waking the loop thread from other threads (the inbox's door
 * bell): an eventfd the loop polls, written at most once per drain.
 *
 * Why not uv_async_t: libuv 1.44 (Debian 12) makes the woken loop spin
 * (`pause`, then sched_yield) until the sending thread has returned from
 * its eventfd write and marked the handle done. On two cores the woken
 * loop thread often preempts the sender on the sender's core, so the
 * loop burns its time slice waiting for a thread that cannot run: a
 * profile of a node under PUT c8 load showed 19 % of the loop thread's
 * samples in that spin (docs/PERFORMANCE.md "Loop wake-ups"). Here the
 * loop only reads the eventfd; nothing waits for the writer.
 *
 * Rules: skv_wake_ring may be called from any thread, at any time between
 * skv_wake_init and skv_wake_free; the callback runs on the loop thread.
 * The caller coalesces (rings only when its queue went from "drained" to
 * "not drained"); the callback is called after the eventfd was reset, so
 * a ring that races with a drain is never lost.
 */
#ifndef SKV_WAKE_H
#define SKV_WAKE_H

#include <uv.h>

struct skv_wake {
    uv_poll_t poll;
    int fd;              /* eventfd, -1 before init / after free */
    int polling;         /* the poll handle is initialised (closed by skv_wake_close) */
    void (*cb)(void *arg);
    void *arg;
};

/* 0, or -1 (eventfd or uv_poll_init failed; nothing to free). */
int skv_wake_init(struct skv_wake *w, uv_loop_t *loop, void (*cb)(void *), void *arg);
/* Any thread. Async-signal-unsafe parts: none (one write(2)). */
void skv_wake_ring(struct skv_wake *w);
/* Loop thread: stop polling (uv_close); rings after this are harmless. */
void skv_wake_close(struct skv_wake *w);
/* After every thread that may ring has stopped: close the eventfd. */
void skv_wake_free(struct skv_wake *w);

#endif
