/* SPDX-License-Identifier: MIT */
/*
 * intake.h — the leader's proposal intake, engine-independent: a struct
 * raft handle, the Phase-2 cutover barrier and intake gate (cutover.h),
 * the node's encryption state (wrap-on-propose) and leader readiness (a
 * new leader accepts nothing until a barrier of its own term applied).
 * It owns propose_local: decode check → readiness → cutover gate → wrap
 * → raft_apply. It knows nothing of struct skv_node, so the raft_fixture
 * simulation (tests/sim) drives this very code over a fixture server.
 * Forwarding from a follower is propose.c's. Loop thread only.
 */
#ifndef SKV_INTAKE_H
#define SKV_INTAKE_H

#include <raft.h>
#include <stddef.h>
#include <stdint.h>

#include "enc/enc.h"
#include "intake/cutover.h"
#include "node/metrics.h"
#include "util/errors.h"

/* Who proposes: clients' KV writes, or control entries (bootstrap,
 * registrations, phase flags), which pass a closed intake gate. */
enum skv_source { SKV_SRC_USER = 0, SKV_SRC_ADMIN = 1 };

struct skv_propose_result {
    int rc;                 /* SKV_OK or an skv_rc */
    int status;             /* HTTP-like status for admin replies */
    const char *error;      /* stable error name, NULL on success */
    const char *message;
    int retry_after_s;
    uint64_t index;         /* log index on success; with ErrCompareFailed
                               the key's current mod index (0: absent) */
    const struct skv_txn_result *txn; /* a transaction's outcome (only
                               during the callback), or NULL */
};

/* What the FSM hands back through raft_apply's result when it refuses
 * an entry deterministically (NULL: applied). C-Raft calls the request's
 * callback right after the FSM's apply, so the struct (owned by the FSM,
 * overwritten by the next refusal) is read before it changes. */
struct skv_apply_refusal {
    const char *error;      /* stable error name (util/errors.def); NULL:
                               applied, and `txn` holds its outcome */
    uint64_t mod_index;     /* ErrCompareFailed: the key's current mod index */
    const struct skv_txn_result *txn; /* 0x07 applied: the FSM's answer */
};

/* A transaction's outcome (fsm_txn.c fills it on the node that applies
 * it as leader; owned by the FSM until its next transaction). */
struct skv_txn_get {
    int found;
    uint8_t *val;           /* malloc'd */
    size_t val_len;
    uint64_t mod, create;   /* revisions (0: unknown) */
};
struct skv_txn_result {
    int succeeded;          /* every compare held: the success branch ran */
    size_t n_gets;          /* the gets of the branch that ran, in order */
    struct skv_txn_get *gets;
};

typedef void (*skv_propose_cb)(void *arg, const struct skv_propose_result *r);

struct skv_intake {
    struct raft *raft;
    struct skv_enc *enc;
    struct skv_metrics *metrics;
    struct skv_cutover cut;        /* Phase-2 barrier + intake gate */
    int log_level;                 /* minimum level logged */
    int closed;                    /* fail_all ran: no new readiness barrier */

    /* readiness: a barrier of the leader's own term applied */
    uint64_t ready_term;
    uint64_t ready_pending_term;
    int ready_inflight;
    struct raft_barrier ready_req;
};

/* `raft`, `enc` and `metrics` outlive the intake; now_ms/host feed the
 * cutover's clock, cut_timeout_ms bounds its steps 1-2. */
void skv_intake_init(struct skv_intake *in, struct raft *raft, struct skv_enc *enc,
                     struct skv_metrics *metrics, int log_level,
                     uint64_t (*now_ms)(void *host), void *host, uint64_t cut_timeout_ms);

/* Every tick (and after every simulated step): cutover poll, readiness. */
void skv_intake_tick(struct skv_intake *in);

/* Shutdown: abort a running cutover (its deferred refusals are answered)
 * and start no new readiness barrier. */
void skv_intake_fail_all(struct skv_intake *in, const char *error, const char *message);

/* 1 if this node is leader and a barrier of its term has applied; else 0
 * (and the barrier is started now rather than at the next tick). */
int skv_intake_ready(struct skv_intake *in);
/* Start the readiness barrier of a new term if none runs (tick). */
void skv_intake_ready_tick(struct skv_intake *in);

/* The leader's intake (see top). Takes `payload` (raft_malloc'd). `cb` is
 * called exactly once: at once on a refusal, when the entry applies, or —
 * a user proposal refused by the cutover gate — when intake reopens.
 * Returns the log index the entry was handed to raft_apply at, or 0 when
 * it was refused (answered, or its answer deferred). */
uint64_t skv_intake_propose(struct skv_intake *in, int source, void *payload, size_t len,
                            skv_propose_cb cb, void *arg);

/* Answer `cb` with rc/error/message; status and retry derive from error. */
void skv_intake_finish(skv_propose_cb cb, void *arg, int rc, const char *error,
                       const char *message, uint64_t index);
/* Answer `cb` with catalogue error `id`: rc, name, status, retry derive. */
void skv_intake_fail(skv_propose_cb cb, void *arg, enum skv_error_id id, const char *message);
/* Answer `cb` for a C-Raft error code (RAFT_NOTLEADER, ...). */
void skv_intake_finish_raft(skv_propose_cb cb, void *arg, int raft_status);

/* Status and retry hint for a stable error name (propose.c). */
void skv_error_http(const char *error, int *status, int *retry_after_s);

#endif /* SKV_INTAKE_H */
