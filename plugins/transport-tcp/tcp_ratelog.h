/* SPDX-License-Identifier: MIT */
/*
 * tcp_ratelog.h — rate limit for log lines about refused peers: at most
 * one line per remote host per TCP_RATELOG_MS, the next one saying how
 * many were suppressed meanwhile, so one bad peer cannot flood the log.
 * A small fixed table; the least recently logged host makes room.
 */
#ifndef SKV_TCP_RATELOG_H
#define SKV_TCP_RATELOG_H

#include <pthread.h>
#include <stdint.h>

#define TCP_RATELOG_MS 10000
#define TCP_RATELOG_SLOTS 64
#define TCP_RATELOG_KEY 64

struct tcp_ratelog_slot {
    char key[TCP_RATELOG_KEY];
    int64_t last_ms;
    unsigned suppressed;
};

struct tcp_ratelog {
    pthread_mutex_t lock;
    struct tcp_ratelog_slot slot[TCP_RATELOG_SLOTS];
};

int tcp_ratelog_init(struct tcp_ratelog *r);
void tcp_ratelog_destroy(struct tcp_ratelog *r);

/* 1 if a line about remote `addr` ("host:port"; the port is ignored) may
 * be logged at `now_ms`; then *suppressed is the number of lines dropped
 * for that host since the previous one. 0: drop this line. */
int tcp_ratelog_allow(struct tcp_ratelog *r, const char *addr, int64_t now_ms,
                      unsigned *suppressed);

#endif
