/* SPDX-License-Identifier: MIT */
/*
 * metrics.h — the node's counters for GET /metrics (Prometheus text
 * format 0.0.4, op "metrics"). One struct skv_metrics lives in struct
 * skv_node; every counter is bumped on the loop thread (proposal
 * outcomes, forwarding, FSM seal/open/unwrap, wrap-on-propose), so plain
 * integers suffice. Gauges (raft state, indexes, cutover, sidecar, the
 * raft_io adapter's fsync counts) are read from the node when rendering.
 * Only key ids ever appear in labels — never key material. The op is
 * answered while halted too (that is when decrypt failures matter).
 */
#ifndef SKV_METRICS_H
#define SKV_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/enc_err.h"

#define SKV_METRICS_MAX_DEKS 16   /* key ids tracked per purpose */

/* Count of operations done under one DEK. */
struct skv_metrics_dek {
    uint32_t key_id;   /* 0: free slot */
    uint64_t count;
};

/* What became of a proposal on the leader (label "outcome"). */
enum skv_proposal_outcome {
    SKV_PROPOSAL_OK = 0,      /* committed and applied */
    SKV_PROPOSAL_REFUSED,     /* answered before raft_apply: nothing entered the log */
    SKV_PROPOSAL_REJECTED,    /* committed, refused by the FSM on every replica */
    SKV_PROPOSAL_UNKNOWN,     /* raft failed it after raft_apply (leadership lost,
                                 shutdown): it may or may not commit */
    SKV_PROPOSAL_OUTCOMES_
};

struct skv_metrics {
    uint64_t proposals[2][SKV_PROPOSAL_OUTCOMES_]; /* [enum skv_source][outcome] (leader side) */
    uint64_t proposals_forwarded;    /* proposals this node sent to the leader */
    uint64_t admin_ops_forwarded;    /* admin ops this node sent to the leader */
    uint64_t decrypt_failures[SKV_ENC_WHY_COUNT_]; /* by enum skv_enc_why */
    struct skv_metrics_dek sealed[SKV_METRICS_MAX_DEKS];  /* values sealed (storage DEK) */
    struct skv_metrics_dek wrapped[SKV_METRICS_MAX_DEKS]; /* entries wrapped (raft DEK) */
    uint64_t dek_overflow;           /* counts for key ids beyond the table */
    uint64_t frames_dropped[12];     /* peer frames, by enum skv_drop_reason (dispatch.c) */
    uint64_t proposals_refused[2][2]; /* before raft_apply: [0 local, 1 peer][0 malformed, 1 not_allowed] */
    uint64_t peer_ops_refused;       /* forwarded admin ops refused (not forwardable) */
    uint64_t cred_reloads[2][3];     /* SIGHUP: [enum skv_reload_plugin][enum skv_reload_outcome] */
};

/* One proposal outcome; source is enum skv_source (clamped). */
void skv_metrics_proposal(struct skv_metrics *m, int source, enum skv_proposal_outcome outcome);
/* One operation under DEK key_id in table t (sealed or wrapped). */
void skv_metrics_dek(struct skv_metrics *m, struct skv_metrics_dek *t, uint32_t key_id);
/* One failed decrypt / unwrap, by enum skv_enc_why. */
void skv_metrics_decrypt_failure(struct skv_metrics *m, int why);

struct skv_node;
/* The whole exposition as a malloc'd NUL-terminated text; 0 or -1 (OOM).
 * The "metrics" admin op (admin_ops.c) replies with it. */
int skv_metrics_render(struct skv_node *n, char **out, size_t *len);

#endif /* SKV_METRICS_H */
