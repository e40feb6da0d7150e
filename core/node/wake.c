/* SPDX-License-Identifier: MIT */
/*
 * wake.c — the loop's door bell for other threads (wake.h): an eventfd
 * polled by the loop; the loop resets it, then calls the owner back.
 */
#include "node/wake.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

static void on_readable(uv_poll_t *p, int status, int events)
{
    struct skv_wake *w = p->data;
    uint64_t v;
    (void)events;
    /* reset first: a ring after this read wakes the loop again, so the
     * drain below can never miss an item whose ring it consumed */
    while (read(w->fd, &v, sizeof v) < 0 && errno == EINTR)
        ;
    (void)status;   /* even on a poll error: drain, nothing stays queued */
    w->cb(w->arg);
}

int skv_wake_init(struct skv_wake *w, uv_loop_t *loop, void (*cb)(void *), void *arg)
{
    w->polling = 0;
    w->cb = cb;
    w->arg = arg;
    w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->fd < 0)
        return -1;
    if (uv_poll_init(loop, &w->poll, w->fd) != 0) {
        close(w->fd);
        w->fd = -1;
        return -1;
    }
    w->polling = 1;
    w->poll.data = w;
    if (uv_poll_start(&w->poll, UV_READABLE, on_readable) != 0) {
        uv_close((uv_handle_t *)&w->poll, NULL);
        w->polling = 0;
        return -1;
    }
    return 0;
}

void skv_wake_ring(struct skv_wake *w)
{
    uint64_t one = 1;
    /* EAGAIN only if the counter is near 2^64: already readable then */
    while (write(w->fd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

void skv_wake_close(struct skv_wake *w)
{
    if (w->polling) {
        uv_close((uv_handle_t *)&w->poll, NULL);
        w->polling = 0;
    }
}

void skv_wake_free(struct skv_wake *w)
{
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
}
