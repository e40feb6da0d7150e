/* SPDX-License-Identifier: MIT */
/*
 * inbox.c — the only doors from plugin threads into the loop thread:
 * frames delivered by the transport and admin requests from the admin
 * plugin are copied into mutex-protected lists and the loop is woken
 * through its eventfd (wake.h). The loop drains both lists in arrival
 * order, at most SKV_INBOX_DRAIN_BYTES of frames per turn.
 */
#include "node/node.h"
#include "intake/op.h"
#include "peer/dispatch.h"
#include "peer/peer_filter.h"

#include <stdlib.h>
#include <string.h>

struct skv_inbox_frame {
    struct skv_list link;
    uint64_t from;
    size_t len;
    uint8_t data[];
};

/* Called with inbox_mu held after queueing: unlock, and ring the loop's
 * bell unless it rang since the last drain. The write happens after the
 * unlock; the eventfd lives until every producer has stopped. */
static void ring_unlock(struct skv_node *n)
{
    int ring = !n->inbox_rung;
    n->inbox_rung = 1;
    pthread_mutex_unlock(&n->inbox_mu);
    if (ring)
        skv_wake_ring(&n->inbox_wake);
}

void skv_inbox_deliver(void *node, uint64_t from, const void *data, size_t len)
{
    struct skv_node *n = node;
    struct skv_inbox_frame *f = malloc(sizeof *f + len);
    if (!f)
        return;
    f->from = from;
    f->len = len;
    memcpy(f->data, data, len);
    pthread_mutex_lock(&n->inbox_mu);
    if (n->inbox_closed) {
        pthread_mutex_unlock(&n->inbox_mu);
        free(f);
        return;
    }
    if (len > n->inbox_max_bytes - n->inbox_bytes) {   /* inbox_bytes <= max */
        n->inbox_full_drops++;
        n->inbox_full_from = from;
        ring_unlock(n);   /* the loop counts and logs the drop */
        free(f);
        return;
    }
    n->inbox_bytes += len;
    skv_list_add_tail(&n->inbox_frames, &f->link);
    ring_unlock(n);
}

int skv_inbox_admin_call(void *node, const struct skv_admin_req *req,
                         skv_admin_done_fn done, void *done_arg)
{
    struct skv_node *n = node;
    struct skv_op *op;
    if (!req || !req->op || !done)
        return SKV_ERR_INVALID;
    op = skv_op_new(n, req);
    if (!op)
        return SKV_ERR_NOMEM;
    op->done = done;
    op->done_arg = done_arg;
    pthread_mutex_lock(&n->inbox_mu);
    if (n->inbox_closed) {
        pthread_mutex_unlock(&n->inbox_mu);
        skv_op_free(op);
        return SKV_ERR_CLOSED;
    }
    skv_list_add_tail(&n->inbox_admin, &op->link);
    ring_unlock(n);
    return SKV_OK;
}

static void note_full(struct skv_node *n, uint64_t drops, uint64_t from)
{
    n->metrics.frames_dropped[SKV_DROP_INBOX_FULL] += drops;
    skv_dispatch_note(n, from, "peer frame dropped", skv_drop_reason_name(SKV_DROP_INBOX_FULL),
                      SKV_DROP_INBOX_FULL, "%llu frame(s) refused: the inbox (%zu bytes) was full "
                      "while the loop lagged", (unsigned long long)drops, n->inbox_max_bytes);
}

/* Frames handled per drain: a loop turn that takes in a burst of 4 MiB
 * snapshot chunks (each decoded, checksummed and written to the spool
 * file) stalled everything else the loop serves for 100-400 ms; the rest
 * waits for the next turn (the bell rung again), in order. At least one
 * frame per drain, whatever its size. */
#define SKV_INBOX_DRAIN_BYTES (8u << 20)

/* inbox_mu held: move the oldest frames, up to SKV_INBOX_DRAIN_BYTES (at
 * least one), from the inbox to `out`; 1 when some stay queued. */
static int take_frames(struct skv_node *n, struct skv_list *out)
{
    size_t bytes = 0;
    while (!skv_list_empty(&n->inbox_frames)) {
        struct skv_inbox_frame *f =
            skv_container_of(n->inbox_frames.next, struct skv_inbox_frame, link);
        if (bytes && bytes + f->len > SKV_INBOX_DRAIN_BYTES)
            return 1;
        bytes += f->len;
        n->inbox_bytes -= f->len;
        skv_list_del(&f->link);
        skv_list_add_tail(out, &f->link);
    }
    return 0;
}

/* Move both lists out under the lock (frames up to a budget), then
 * process without it. */
void skv_inbox_drain(struct skv_node *n)
{
    struct skv_list frames, admin;
    uint64_t drops, drop_from;
    int more;
    skv_list_init(&frames);
    skv_list_init(&admin);
    pthread_mutex_lock(&n->inbox_mu);
    drops = n->inbox_full_drops;
    drop_from = n->inbox_full_from;
    n->inbox_full_drops = 0;
    more = take_frames(n, &frames);
    n->inbox_rung = more;   /* the bell was reset before this drain (wake.c) */
    if (!skv_list_empty(&n->inbox_admin)) {
        admin = n->inbox_admin;
        admin.next->prev = &admin;
        admin.prev->next = &admin;
        skv_list_init(&n->inbox_admin);
    }
    pthread_mutex_unlock(&n->inbox_mu);
    if (more)
        skv_wake_ring(&n->inbox_wake);   /* the next turn takes the rest */
    if (drops)
        note_full(n, drops, drop_from);
    while (!skv_list_empty(&frames)) {
        struct skv_inbox_frame *f = skv_container_of(frames.next, struct skv_inbox_frame, link);
        skv_list_del(&f->link);
        if (n->run_state == SKV_RUN_SERVING)
            skv_dispatch_frame(n, f->from, f->data, f->len);
        free(f);
    }
    while (!skv_list_empty(&admin)) {
        struct skv_op *op = skv_container_of(admin.next, struct skv_op, link);
        skv_list_del(&op->link);
        skv_op_dispatch(op);
    }
}

/* Refuse new input and answer everything queued with ErrShuttingDown. */
void skv_inbox_close(struct skv_node *n)
{
    int left;
    pthread_mutex_lock(&n->inbox_mu);
    n->inbox_closed = 1;
    pthread_mutex_unlock(&n->inbox_mu);
    do {   /* a drain takes a budget of frames: until none is left */
        skv_inbox_drain(n);
        pthread_mutex_lock(&n->inbox_mu);
        left = !skv_list_empty(&n->inbox_frames);
        pthread_mutex_unlock(&n->inbox_mu);
    } while (left);
}
