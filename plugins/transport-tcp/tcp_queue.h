/* SPDX-License-Identifier: MIT */
/*
 * tcp_queue.h — a peer's bounded FIFO of outgoing frames. Each queued
 * frame is already in wire form (length header + payload) so the writer
 * sends it with one write. Not thread-safe: the peer's lock guards it.
 */
#ifndef SKV_TCP_QUEUE_H
#define SKV_TCP_QUEUE_H

#include <sealkv/transport.h>
#include <stddef.h>
#include <stdint.h>

struct tcp_qframe {
    struct tcp_qframe *next;
    size_t payload_len;
    size_t wire_len;          /* TCP_FRAME_HDR_LEN + payload_len */
    unsigned char wire[];
};

struct tcp_queue {
    struct tcp_qframe *head, *tail;
    size_t frames;
    uint64_t bytes;           /* payload bytes queued */
};

/* Copy the concatenation of iov[0..n) (`total` bytes) into a new frame;
 * NULL when out of memory. */
struct tcp_qframe *tcp_qframe_new(const struct skv_iov *iov, unsigned n,
                                  size_t total);

/* Append `f` unless that would exceed a bound: SKV_OK (the queue owns f)
 * or SKV_ERR_FULL (the caller still owns f). */
int tcp_queue_push(struct tcp_queue *q, struct tcp_qframe *f,
                   size_t max_frames, uint64_t max_bytes);

/* Oldest frame (the caller frees it with free()), or NULL. */
struct tcp_qframe *tcp_queue_pop(struct tcp_queue *q);

/* Free every queued frame. */
void tcp_queue_clear(struct tcp_queue *q);

#endif
