/* SPDX-License-Identifier: MIT */
/*
 * host_table.h — what every host of plugins fills in a struct skv_host
 * the same way: the header fields, the two clocks and the function
 * table. Shared by the daemon (core/plugin/host_api.c) and
 * sealkv-plugin-check (abi/check/check_host.c), which builds against abi/
 * only; header-only, not installed.
 */
#ifndef SKV_HOST_TABLE_H
#define SKV_HOST_TABLE_H

#include <sealkv/plugin.h>

#include <string.h>
#include <time.h>

/* Milliseconds on clock `id` (0 if the clock cannot be read). */
static inline uint64_t skv_host_clock_ms(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline uint64_t skv_host_now_ms(void *ctx)
{
    (void)ctx;
    return skv_host_clock_ms(CLOCK_MONOTONIC);
}

static inline uint64_t skv_host_wall_ms(void *ctx)
{
    (void)ctx;
    return skv_host_clock_ms(CLOCK_REALTIME);
}

/* Zero *h and fill it for `ctx`: this ABI's struct_size and minor, the
 * clocks above and the host's own functions. */
static inline void skv_host_table_init(
    struct skv_host *h, void *ctx, void (*log)(void *, int, const char *, ...),
    int (*opt_string)(void *, const char *, const char *, const char **, struct skv_err *),
    int (*opt_int)(void *, const char *, int64_t, int64_t, int64_t, int64_t *,
                   struct skv_err *),
    int (*opt_bool)(void *, const char *, int, int *, struct skv_err *),
    void (*deliver)(void *, uint64_t, const void *, size_t),
    int (*admin_call)(void *, const struct skv_admin_req *, skv_admin_done_fn, void *),
    uint64_t (*node_id)(void *))
{
    memset(h, 0, sizeof *h);
    h->struct_size = sizeof *h;
    h->abi_minor = SKV_ABI_MINOR;
    h->ctx = ctx;
    h->log = log;
    h->opt_string = opt_string;
    h->opt_int = opt_int;
    h->opt_bool = opt_bool;
    h->now_ms = skv_host_now_ms;
    h->wall_ms = skv_host_wall_ms;
    h->deliver = deliver;
    h->admin_call = admin_call;
    h->node_id = node_id;
}

#endif /* SKV_HOST_TABLE_H */
