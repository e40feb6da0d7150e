/* SPDX-License-Identifier: MIT */
/*
 * tcp_ratelog.c — the per-host log rate limit (tcp_ratelog.h).
 */
#include "tcp_ratelog.h"

#include <stdio.h>
#include <string.h>

int tcp_ratelog_init(struct tcp_ratelog *r)
{
    memset(r->slot, 0, sizeof r->slot);
    return pthread_mutex_init(&r->lock, NULL) == 0 ? 0 : -1;
}

void tcp_ratelog_destroy(struct tcp_ratelog *r)
{
    pthread_mutex_destroy(&r->lock);
}

/* "1.2.3.4:5" -> "1.2.3.4", "[::1]:5" -> "[::1]". */
static void host_of(const char *addr, char key[TCP_RATELOG_KEY])
{
    const char *colon = strrchr(addr, ':');
    size_t n = colon ? (size_t)(colon - addr) : strlen(addr);
    if (n >= TCP_RATELOG_KEY)
        n = TCP_RATELOG_KEY - 1;
    memcpy(key, addr, n);
    key[n] = '\0';
}

static struct tcp_ratelog_slot *find(struct tcp_ratelog *r, const char *key)
{
    struct tcp_ratelog_slot *oldest = &r->slot[0];
    unsigned i;
    for (i = 0; i < TCP_RATELOG_SLOTS; i++) {
        struct tcp_ratelog_slot *s = &r->slot[i];
        if (s->key[0] && strcmp(s->key, key) == 0)
            return s;
        if (!s->key[0] || (oldest->key[0] && s->last_ms < oldest->last_ms))
            oldest = s;
    }
    snprintf(oldest->key, sizeof oldest->key, "%s", key);
    oldest->last_ms = INT64_MIN;
    oldest->suppressed = 0;
    return oldest;
}

int tcp_ratelog_allow(struct tcp_ratelog *r, const char *addr, int64_t now_ms,
                      unsigned *suppressed)
{
    char key[TCP_RATELOG_KEY];
    struct tcp_ratelog_slot *s;
    int ok;
    host_of(addr, key);
    pthread_mutex_lock(&r->lock);
    s = find(r, key);
    ok = s->last_ms == INT64_MIN || now_ms - s->last_ms >= TCP_RATELOG_MS;
    if (ok) {
        *suppressed = s->suppressed;
        s->suppressed = 0;
        s->last_ms = now_ms;
    } else {
        s->suppressed++;
    }
    pthread_mutex_unlock(&r->lock);
    return ok;
}
