/* SPDX-License-Identifier: MIT */
/*
 * tcp_queue.c — the bounded per-peer frame FIFO (count and byte limits).
 */
#include "tcp_queue.h"
#include "tcp_frame.h"

#include <stdlib.h>
#include <string.h>

struct tcp_qframe *tcp_qframe_new(const struct skv_iov *iov, unsigned n,
                                  size_t total)
{
    struct tcp_qframe *f = malloc(sizeof *f + TCP_FRAME_HDR_LEN + total);
    size_t off = TCP_FRAME_HDR_LEN;
    unsigned i;
    if (!f)
        return NULL;
    f->next = NULL;
    f->payload_len = total;
    f->wire_len = TCP_FRAME_HDR_LEN + total;
    tcp_frame_put_u32(f->wire, (uint32_t)total);
    for (i = 0; i < n; i++) {
        if (iov[i].len)
            memcpy(f->wire + off, iov[i].base, iov[i].len);
        off += iov[i].len;
    }
    return f;
}

int tcp_queue_push(struct tcp_queue *q, struct tcp_qframe *f,
                   size_t max_frames, uint64_t max_bytes)
{
    if (q->frames >= max_frames || q->bytes + f->payload_len > max_bytes)
        return SKV_ERR_FULL;
    f->next = NULL;
    if (q->tail)
        q->tail->next = f;
    else
        q->head = f;
    q->tail = f;
    q->frames++;
    q->bytes += f->payload_len;
    return SKV_OK;
}

struct tcp_qframe *tcp_queue_pop(struct tcp_queue *q)
{
    struct tcp_qframe *f = q->head;
    if (!f)
        return NULL;
    q->head = f->next;
    if (!q->head)
        q->tail = NULL;
    q->frames--;
    q->bytes -= f->payload_len;
    f->next = NULL;
    return f;
}

void tcp_queue_clear(struct tcp_queue *q)
{
    struct tcp_qframe *f;
    while ((f = tcp_queue_pop(q)))
        free(f);
}
