/* SPDX-License-Identifier: MIT */
/*
 * tcp_io.c — poll-interruptible reads and writes on non-blocking sockets,
 * the wake fd that interrupts them, and the monotonic clock.
 */
#include "tcp_io.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void tcp_io_block_sigpipe(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
}

int64_t tcp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tcp_wake_new(void)
{
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

void tcp_wake_fire(int wake_fd)
{
    uint64_t one = 1;
    ssize_t r;
    do
        r = write(wake_fd, &one, sizeof one);
    while (r < 0 && errno == EINTR);
    /* EAGAIN means the counter is saturated: it is readable anyway. */
}

void tcp_wake_drain(int wake_fd)
{
    uint64_t v;
    ssize_t r;
    do
        r = read(wake_fd, &v, sizeof v);
    while (r < 0 && errno == EINTR);
}

static int poll_timeout(int64_t deadline_ms)
{
    int64_t left;
    if (deadline_ms < 0)
        return -1;
    left = deadline_ms - tcp_now_ms();
    if (left <= 0)
        return 0;
    return left > 60000 ? 60000 : (int)left;
}

int tcp_io_woken(int wake_fd)
{
    struct pollfd p = {.fd = wake_fd, .events = POLLIN};
    return poll(&p, 1, 0) > 0 && p.revents != 0;
}

int tcp_io_wait(int fd, short events, int wake_fd, int64_t deadline_ms)
{
    for (;;) {
        struct pollfd p[2] = {{.fd = wake_fd, .events = POLLIN},
                              {.fd = fd, .events = events}};
        int n = poll(p, 2, poll_timeout(deadline_ms));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return TCP_IO_ERR;
        }
        if (p[0].revents)
            return TCP_IO_WOKEN;
        if (p[1].revents)
            return TCP_IO_OK;
        if (deadline_ms >= 0 && tcp_now_ms() >= deadline_ms)
            return TCP_IO_TIMEOUT;
    }
}

int tcp_io_read_full(int fd, void *buf, size_t len, int wake_fd,
                     int64_t deadline_ms)
{
    size_t got = 0;
    while (got < len) {
        /* Wait first, even when data is pending: a steady sender must
         * not keep a reader from noticing shutdown. */
        int rc = tcp_io_wait(fd, POLLIN, wake_fd, deadline_ms);
        ssize_t r;
        if (rc != TCP_IO_OK)
            return rc;
        r = recv(fd, (char *)buf + got, len - got, 0);
        if (r > 0) {
            got += (size_t)r;
            continue;
        }
        if (r == 0)
            return got ? TCP_IO_SHORT : TCP_IO_EOF;
        if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            return TCP_IO_ERR;
    }
    return TCP_IO_OK;
}

int tcp_io_write_all(int fd, const void *buf, size_t len, int wake_fd)
{
    size_t done = 0;
    while (done < len) {
        ssize_t r = send(fd, (const char *)buf + done, len - done,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r > 0) {
            done += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return TCP_IO_ERR;
        r = tcp_io_wait(fd, POLLOUT, wake_fd, -1);
        if (r != TCP_IO_OK)
            return (int)r;
    }
    return TCP_IO_OK;
}

int tcp_io_peer_gone(int fd)
{
    char c;
    ssize_t r = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r < 0)
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    return 1; /* EOF, or bytes on a send-only connection */
}

const char *tcp_io_reason(int rc, int saved_errno)
{
    switch (rc) {
    case TCP_IO_OK: return "ok";
    case TCP_IO_EOF: return "connection closed by peer";
    case TCP_IO_SHORT: return "connection closed mid-message";
    case TCP_IO_ERR: return strerror(saved_errno);
    case TCP_IO_WOKEN: return "transport shutting down";
    case TCP_IO_TIMEOUT: return "timed out";
    case TCP_IO_TLS: return "TLS failure";
    default: return "unknown";
    }
}
