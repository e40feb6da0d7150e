/* SPDX-License-Identifier: MIT */
/*
 * loop_stall.h — how long the loop thread is busy per turn: the wall time
 * between two consecutive entries into libuv's poll minus the time the
 * poll itself waited (uv_metrics_idle_time, UV_METRICS_IDLE_TIME). A turn
 * that runs long — a big restore, a slow storage write, a long walk — is
 * a stall of everything the loop serves (raft heartbeats and answers,
 * admin calls, forwarding, metrics). Exposed as the gauge
 * sealkv_loop_turn_max_seconds (the longest turn since start) and the
 * histogram sealkv_loop_turn_seconds. No extra wake-ups: one prepare
 * handle. Loop thread only.
 */
#ifndef SKV_LOOP_STALL_H
#define SKV_LOOP_STALL_H

#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#define SKV_LOOP_STALL_BUCKETS 9

struct skv_loop_stall {
    uv_prepare_t prep;
    int on;                  /* prep initialised (closed by skv_loop_stall_close) */
    uint64_t last_ns;        /* uv_hrtime at the last prepare; 0: none yet */
    uint64_t last_idle_ns;   /* uv_metrics_idle_time then */
    uint64_t max_ns;         /* longest turn seen */
    uint64_t sum_ns, count;
    uint64_t le[SKV_LOOP_STALL_BUCKETS]; /* turns <= the bucket's bound (cumulative) */
};

/* Before the loop first runs: configure idle-time metrics and start the
 * prepare handle. 0, or -1 (the loop cannot measure: metrics stay 0). */
int skv_loop_stall_init(struct skv_loop_stall *s, uv_loop_t *loop);
void skv_loop_stall_close(struct skv_loop_stall *s);
/* The gauge and the histogram, in Prometheus text. */
void skv_loop_stall_render(const struct skv_loop_stall *s, FILE *out);

#endif
