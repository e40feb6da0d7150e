/* SPDX-License-Identifier: MIT */
/*
 * ratelimit.c — skv_ratelimit_allow (see ratelimit.h).
 */
#include "util/ratelimit.h"

#include <stddef.h>

static uint64_t window(const struct skv_ratelimit *rl)
{
    return rl->window_ms ? rl->window_ms : SKV_RATELIMIT_DEFAULT_MS;
}

static int expired(const struct skv_ratelimit *rl, const struct skv_ratelimit_slot *s,
                   uint64_t now_ms)
{
    return now_ms - s->since_ms >= window(rl) || now_ms < s->since_ms;
}

/* The slot of (key, kind); else a free or reusable one (expired with
 * nothing withheld, then any expired); else the kind's overflow slot. */
static struct skv_ratelimit_slot *find(struct skv_ratelimit *rl, uint64_t key,
                                       unsigned kind, uint64_t now_ms)
{
    struct skv_ratelimit_slot *free_s = NULL, *stale = NULL, *quiet = NULL;
    struct skv_ratelimit_slot *over = NULL;
    size_t i;
    for (i = 0; i < SKV_RATELIMIT_SLOTS; i++) {
        struct skv_ratelimit_slot *s = &rl->slot[i];
        if (!s->used) {
            free_s = free_s ? free_s : s;
            continue;
        }
        if (s->kind == kind && s->overflow)
            over = s;
        else if (s->kind == kind && s->key == key)
            return s;
        if (!s->overflow && expired(rl, s, now_ms)) {
            stale = stale ? stale : s;
            if (!s->suppressed && !quiet)
                quiet = s;
        }
    }
    if (free_s || quiet || stale) {
        struct skv_ratelimit_slot *s = free_s ? free_s : quiet ? quiet : stale;
        *s = (struct skv_ratelimit_slot){key, kind, 1, 0, 0, 0};
        s->since_ms = now_ms - window(rl); /* first line goes through */
        return s;
    }
    if (over)
        return over;
    /* every slot busy and none is this kind's overflow: take the first
     * non-overflow slot of the table for it (its count is dropped) */
    for (i = 0; i < SKV_RATELIMIT_SLOTS && rl->slot[i].overflow; i++)
        ;
    if (i == SKV_RATELIMIT_SLOTS)
        return NULL;
    rl->slot[i] = (struct skv_ratelimit_slot){key, kind, 1, 1, 0, 0};
    rl->slot[i].since_ms = now_ms - window(rl);
    return &rl->slot[i];
}

int skv_ratelimit_allow(struct skv_ratelimit *rl, uint64_t key, unsigned kind,
                        uint64_t now_ms, uint64_t *suppressed, int *shared)
{
    struct skv_ratelimit_slot *s = find(rl, key, kind, now_ms);
    *suppressed = 0;
    *shared = s ? s->overflow : 1;
    if (!s)
        return 0;
    if (!expired(rl, s, now_ms)) {
        s->suppressed++;
        return 0;
    }
    *suppressed = s->suppressed;
    s->suppressed = 0;
    s->since_ms = now_ms;
    return 1;
}
