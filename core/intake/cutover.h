/* SPDX-License-Identifier: MIT */
/*
 * cutover.h — the Phase-2 cutover barrier on the leader (DESIGN.md §5
 * "Phase 2", the seed's Stage 6E) and the intake gate it drives.
 *
 *   step 1  close intake for source=user (ErrEnvelopeCutoverInProgress,
 *           retryable); source=admin passes
 *   step 2  drain: every entry accepted before step 1 is committed AND
 *           applied (last_applied >= the log's last index at step 1)
 *   step 3  propose the cutover entry (0x05 / enable-raft-envelope)
 *           unwrapped through the raw admin path; from here until the
 *           wrap flag is on, every proposal (any source) is held back
 *   step 4  wait for the local apply of that entry (it durably records
 *           cutover = N in the sidecar and sets the wrap flag)
 *   step 5  wrap-on-propose on (idempotent; never reset)
 *   step 6  reopen intake, answer the operator
 *
 * A timeout or leadership loss before step 3 reopens intake and reports
 * an error. After step 3 intake reopens only once the entry applied (wrap
 * on) or leadership is lost (the node then stops accepting anyway; a new
 * leader's readiness barrier makes its cutover state final first).
 * Engine-agnostic: it talks to a struct raft and the node's skv_enc only
 * through the callbacks below, so the raft_fixture simulation drives the
 * very same code. Loop thread only.
 */
#ifndef SKV_CUTOVER_H
#define SKV_CUTOVER_H

#include <raft.h>
#include <stdint.h>

#include "enc/enc.h"

enum skv_cut_step {
    SKV_CUT_IDLE = 0,
    SKV_CUT_CLOSE = 1,
    SKV_CUT_DRAIN = 2,
    SKV_CUT_PROPOSE = 3,
    SKV_CUT_WAIT_APPLY = 4,
    SKV_CUT_WRAP = 5,
    SKV_CUT_REOPEN = 6
};

struct skv_cutover;
struct skv_cut_deferred;

/* Outcome: rc SKV_OK with the cutover index, or an error name/message. */
typedef void (*skv_cut_done_fn)(void *arg, int rc, const char *error,
                                const char *message, uint64_t index);

struct skv_cutover {
    struct raft *raft;
    struct skv_enc *enc;
    uint64_t (*now_ms)(void *host);
    void *host;
    uint64_t timeout_ms;        /* bound for steps 1-2 (and 4, reported) */

    int step;                   /* enum skv_cut_step; IDLE when not running */
    int intake_closed;          /* user proposals refused */
    int hold_all;               /* steps 3-4: every proposal refused */
    uint64_t term;              /* leader term the barrier runs in */
    uint64_t drain_target;
    uint64_t applied_hint;      /* highest index the FSM reported applied */
    uint64_t index;             /* N once proposed */
    uint64_t deadline_ms;
    uint64_t closed_at_ms;
    uint64_t last_pause_ms;     /* intake closed → reopened, last run */
    uint64_t runs;              /* completed cutovers (this process) */
    struct raft_apply req;
    int req_inflight;
    skv_cut_done_fn done;
    void *done_arg;
    struct skv_cut_deferred *deferred; /* run when the barrier ends */
    /* test seam: called on entering each step (may be NULL) */
    void (*on_step)(void *host, int step);
};

void skv_cutover_init(struct skv_cutover *c, struct raft *r, struct skv_enc *enc,
                      uint64_t (*now_ms)(void *), void *host, uint64_t timeout_ms);

/* Start steps 1.. (prechecks are the caller's). SKV_OK, SKV_ERR_AGAIN
 * when one is already running / not leader, SKV_ERR_INVALID when this
 * node already cut over (never proposes a second cutover entry). */
int skv_cutover_begin(struct skv_cutover *c, skv_cut_done_fn done, void *arg);

/* Re-evaluate on each tick and on leadership change. */
void skv_cutover_poll(struct skv_cutover *c);

/* The FSM applied `index` (called from inside fsm->apply, where C-Raft's
 * last_applied is still index - 1): the drain's end is noticed in the
 * apply that reaches the target, not on the next tick. Then polls. */
void skv_cutover_applied(struct skv_cutover *c, uint64_t index);

/* Fail a running barrier (shutdown). */
void skv_cutover_abort(struct skv_cutover *c, const char *error, const char *message);

/* The gate: 0 when `source` (enum skv_source) may propose now, else the
 * stable error name to answer with. */
const char *skv_cutover_gate(const struct skv_cutover *c, int source);

/* Run fn(arg) when the running barrier ends (intake reopened; any outcome,
 * also abort), right after the operator's answer. The propose path uses it
 * to send a refused user proposal its ErrEnvelopeCutoverInProgress when
 * intake reopens rather than at once: a client that retries at once would
 * otherwise spin on the leader while it drains, and slow the drain (and so
 * the pause) down. Returns 0, or -1 (nothing running, out of memory): then
 * the caller answers now. */
int skv_cutover_defer(struct skv_cutover *c, void (*fn)(void *arg), void *arg);

const char *skv_cut_step_name(int step);

#endif /* SKV_CUTOVER_H */
