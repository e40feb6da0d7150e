/* SPDX-License-Identifier: MIT */
/*
 * tcp_io.h — poll-interruptible socket I/O for the tcp transport. Every
 * wait also watches a "wake" fd (an eventfd written once at shutdown and
 * never drained), so no plugin thread blocks past stop or forget.
 */
#ifndef SKV_TCP_IO_H
#define SKV_TCP_IO_H

#include <stddef.h>
#include <stdint.h>

enum tcp_io_rc {
    TCP_IO_OK = 0,
    TCP_IO_EOF,     /* peer closed before the first byte */
    TCP_IO_SHORT,   /* peer closed part-way through */
    TCP_IO_ERR,     /* socket error; errno says which */
    TCP_IO_WOKEN,   /* the wake fd fired: shutting down */
    TCP_IO_TIMEOUT, /* the deadline passed */
    TCP_IO_TLS      /* TLS failure (tcp_link.h keeps the reason) */
};

/* Block SIGPIPE in the calling (plugin) thread: TLS writes go through
 * write(2), which has no MSG_NOSIGNAL; a thread-directed SIGPIPE then
 * stays pending on this thread and EPIPE is returned instead. */
void tcp_io_block_sigpipe(void);

/* Monotonic clock in milliseconds. */
int64_t tcp_now_ms(void);

/* A new wake fd (eventfd, non-blocking, close-on-exec), or -1. */
int tcp_wake_new(void);
/* Make `wake_fd` readable for ever after. */
void tcp_wake_fire(int wake_fd);
/* Consume pending wake-ups (for eventfds used as counters). */
void tcp_wake_drain(int wake_fd);

/* 1 if the wake fd has fired (a poll with no wait). */
int tcp_io_woken(int wake_fd);

/* Wait until `fd` has `events` (POLLIN/POLLOUT) or an error, the wake fd
 * fires, or `deadline_ms` (monotonic; < 0 means none) passes. */
int tcp_io_wait(int fd, short events, int wake_fd, int64_t deadline_ms);

/* Read exactly `len` bytes from a non-blocking socket. */
int tcp_io_read_full(int fd, void *buf, size_t len, int wake_fd,
                     int64_t deadline_ms);

/* Write all `len` bytes to a non-blocking socket (MSG_NOSIGNAL). */
int tcp_io_write_all(int fd, const void *buf, size_t len, int wake_fd);

/* 1 if the remote end closed (or reset) a connection we only write to,
 * or sent bytes it never should; 0 if it still looks healthy. */
int tcp_io_peer_gone(int fd);

/* Human-readable reason for a tcp_io_rc (uses errno for TCP_IO_ERR). */
const char *tcp_io_reason(int rc, int saved_errno);

#endif
