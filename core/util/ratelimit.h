/* SPDX-License-Identifier: MIT */
/*
 * ratelimit.h — a small log-line rate limiter: at most one line per
 * (key, kind) per window, with the number of lines withheld in between.
 * A fixed table (no allocation); when every slot is busy, all other keys
 * of a kind share one overflow slot, so a flood of distinct senders still
 * yields at most one extra line per kind and window. The state is owned
 * by its user (the node holds one for peer frames); a zeroed struct is
 * ready to use with the default window. Not thread-safe (loop thread).
 */
#ifndef SKV_RATELIMIT_H
#define SKV_RATELIMIT_H

#include <stdint.h>

#define SKV_RATELIMIT_SLOTS 32
#define SKV_RATELIMIT_DEFAULT_MS 10000u

struct skv_ratelimit_slot {
    uint64_t key;
    unsigned kind;
    int used, overflow;
    uint64_t since_ms;      /* when its last line was let through */
    uint64_t suppressed;    /* lines withheld since then */
};

struct skv_ratelimit {
    uint64_t window_ms;     /* 0: SKV_RATELIMIT_DEFAULT_MS */
    struct skv_ratelimit_slot slot[SKV_RATELIMIT_SLOTS];
};

/* 1: emit the line now (*suppressed = lines withheld for this key and
 * kind since the previous one; *shared = 1 when the count covers other
 * keys too); 0: withhold it (counted). */
int skv_ratelimit_allow(struct skv_ratelimit *rl, uint64_t key, unsigned kind,
                        uint64_t now_ms, uint64_t *suppressed, int *shared);

#endif /* SKV_RATELIMIT_H */
