/* SPDX-License-Identifier: MIT */
/*
 * loop_stall.c — the loop thread's busy time per turn (loop_stall.h).
 */
#include "node/loop_stall.h"

#include <string.h>

/* Bucket upper bounds, seconds (Prometheus "le"). */
static const double bounds[SKV_LOOP_STALL_BUCKETS] = {0.001, 0.005, 0.01, 0.05, 0.1,
                                                      0.25,  0.5,   1.0,  5.0};

static void record(struct skv_loop_stall *s, uint64_t busy_ns)
{
    double sec = (double)busy_ns / 1e9;
    int i;
    if (busy_ns > s->max_ns)
        s->max_ns = busy_ns;
    s->sum_ns += busy_ns;
    s->count++;
    for (i = 0; i < SKV_LOOP_STALL_BUCKETS; i++)
        if (sec <= bounds[i])
            s->le[i]++;
}

/* Just before the poll: the turn that ends here was busy for the time
 * since the last prepare minus what the poll in between waited. */
static void on_prepare(uv_prepare_t *h)
{
    struct skv_loop_stall *s = h->data;
    uint64_t now = uv_hrtime(), idle = uv_metrics_idle_time(h->loop);
    if (s->last_ns) {
        uint64_t wall = now - s->last_ns, waited = idle - s->last_idle_ns;
        record(s, wall > waited ? wall - waited : 0);
    }
    s->last_ns = now;
    s->last_idle_ns = idle;
}

int skv_loop_stall_init(struct skv_loop_stall *s, uv_loop_t *loop)
{
    memset(s, 0, sizeof *s);
    if (uv_loop_configure(loop, UV_METRICS_IDLE_TIME) != 0 || uv_prepare_init(loop, &s->prep) != 0)
        return -1;
    s->prep.data = s;
    s->on = 1;
    uv_prepare_start(&s->prep, on_prepare);
    uv_unref((uv_handle_t *)&s->prep);   /* never keeps the loop alive */
    return 0;
}

void skv_loop_stall_close(struct skv_loop_stall *s)
{
    if (!s->on)
        return;
    s->on = 0;
    uv_close((uv_handle_t *)&s->prep, NULL);
}

void skv_loop_stall_render(const struct skv_loop_stall *s, FILE *b)
{
    int i;
    fprintf(b, "# HELP sealkv_loop_turn_max_seconds longest time the loop thread was busy in "
               "one turn since start\n# TYPE sealkv_loop_turn_max_seconds gauge\n"
               "sealkv_loop_turn_max_seconds %.6f\n", (double)s->max_ns / 1e9);
    fprintf(b, "# HELP sealkv_loop_turn_seconds time the loop thread was busy per turn\n"
               "# TYPE sealkv_loop_turn_seconds histogram\n");
    for (i = 0; i < SKV_LOOP_STALL_BUCKETS; i++)
        fprintf(b, "sealkv_loop_turn_seconds_bucket{le=\"%g\"} %llu\n", bounds[i],
                (unsigned long long)s->le[i]);
    fprintf(b, "sealkv_loop_turn_seconds_bucket{le=\"+Inf\"} %llu\n"
               "sealkv_loop_turn_seconds_sum %.6f\nsealkv_loop_turn_seconds_count %llu\n",
            (unsigned long long)s->count, (double)s->sum_ns / 1e9, (unsigned long long)s->count);
}
