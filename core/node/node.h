/* SPDX-License-Identifier: MIT */
/*
 * node.h — the node: owns every piece of process state (config, plugins,
 * storage handle, libuv loop, raft, FSM, queues of cross-thread work,
 * in-flight operations). There is no global mutable state outside it.
 *
 * Thread model: one loop thread runs libuv, C-Raft, the FSM and every
 * operation. Plugin threads reach it only through the inbox (inbox.c).
 */
#ifndef SKV_NODE_H
#define SKV_NODE_H

#include <pthread.h>
#include <raft.h>
#include <stdint.h>
#include <uv.h>

#include <sealkv/admin.h>
#include <sealkv/cipher.h>
#include <sealkv/storage.h>
#include <sealkv/transport.h>

#include "admin/enc_jobs.h"
#include "admin/reads.h"
#include "node/wake.h"
#include "admin/backup.h"
#include "admin/watch.h"
#include "fsm/fsm_batch.h"
#include "fsm/fsm_history.h"
#include "fsm/fsm_rev.h"
#include "fsm/fsm_keys.h"
#include "config/config.h"
#include "intake/intake.h"
#include "intake/leader_req.h"
#include "enc/enc.h"
#include "fsm/snap_view.h"
#include "node/leader_watch.h"
#include "node/loop_stall.h"
#include "node/metrics.h"
#include "plugin/plugin_set.h"
#include "util/ratelimit.h"
#include "peer/peer_ident.h"
#include "node/store_ident.h"
#include "peer/tracker.h"
#include "util/list.h"


/* Node states reported by /v1/status beyond raft's own. */
enum skv_node_run_state { SKV_RUN_STARTING = 0, SKV_RUN_SERVING, SKV_RUN_HALTED, SKV_RUN_STOPPING };

struct skv_op;
struct skv_fsm_install;

/* The FSM's view of the node (fsm.c). */
struct skv_fsm {
    struct raft_fsm raft_fsm;
    struct skv_node *node;
    struct raft *raft;         /* the engine whose entries we apply */
    uint64_t applied;          /* FSM applied index: durable or pending in `pend` */
    uint64_t flushed;          /* durable FSM applied index (cached) */
    struct skv_fsm_batch pend; /* writes of applied entries not yet written (fsm.c) */
    uv_check_t flush_check;    /* flushes `pend` at the end of each loop turn */
    int flush_check_on;        /* flush_check was initialised */
    uint64_t encidx;           /* durable: last encryption entry applied */
    uint64_t gap_until;        /* repair horizon: no snapshot below it (fsm_gap.h) */
    struct skv_snap_views views; /* views behind local snapshots (snap_view.h) */
    unsigned forced_threshold; /* 1 while a fresh snapshot was asked for (fsm_snapshot.c) */
    int local_snapshots;       /* the io expands local snapshots (node.c sets it) */
    struct skv_fsm_history history; /* recent changes, for watch (fsm_history.h) */
    struct skv_fsm_revs revs;  /* revisions staged in `pend` (fsm_rev.h) */
    struct skv_fsm_keys keys;  /* every existing key's fingerprint (fsm_keys.h) */
    struct skv_apply_refusal refusal; /* the last refused entry's answer (fsm.c) */
    struct skv_txn_result txn_res;    /* the last transaction's outcome (fsm_txn.c) */
    int names_old;             /* sealed names: records of the cleartext-name layout
                                  remain (1), none (0), not looked yet (-1) (fsm_names.c) */
    struct skv_fsm_install *install;  /* an install off the loop (fsm_install.c); NULL: none */
    uint64_t installs;         /* installs ended: a walk of the key space restarts */
};

struct skv_node {
    struct skv_config *conf;
    struct skv_plugin_set plugins;
    struct skv_host_hooks hooks;

    const struct skv_storage_ops *st;
    void *db;
    const struct skv_transport_ops *tr;
    void *tr_state;
    const struct skv_cipher_ops *ci;
    void *ci_state;
    const struct skv_admin_ops *ad;
    void *ad_state;
    int transport_started, admin_started;

    uv_loop_t loop;
    struct skv_wake inbox_wake;     /* rung by the inbox's producers (wake.h) */
    uv_timer_t tick;
    uv_signal_t sigterm, sigint, sighup;   /* sighup: credentials reload */

    pthread_mutex_t inbox_mu;
    struct skv_list inbox_frames;   /* struct skv_inbox_frame */
    struct skv_list inbox_admin;    /* struct skv_op awaiting the loop */
    int inbox_closed;               /* admin_call refused once set */
    int inbox_rung;                 /* the bell rang since the last drain */
    size_t inbox_bytes;             /* frame bytes queued, at most inbox_max_bytes */
    size_t inbox_max_bytes;         /* SKV_INBOX_MAX_BYTES (tests lower it) */
    uint64_t inbox_full_drops;      /* frames refused since the last drain */
    uint64_t inbox_full_from;       /* the last refused frame's sender */

    struct raft raft;
    struct raft_io io;
    struct skv_fsm fsm;
    struct skv_ident ident;         /* this store's identity mark (store_init.h) */
    struct skv_peer_ident_cache peer_idents;   /* checked peers (peer_ident.c) */
    struct skv_enc enc;             /* keys, sidecar, phases (enc.h) */
    struct skv_metrics metrics;     /* counters for GET /metrics (metrics.h) */
    struct skv_loop_stall stall;    /* the loop's busy time per turn (loop_stall.h) */
    struct skv_leader_watch leaders; /* leaders seen, their commit (leader_watch.h) */
    struct skv_ratelimit peer_log;  /* refused peer frames: log lines (dispatch.c) */
    int raft_started, raft_closing;

    int loop_inited, io_inited, raft_inited, stopping;
    uint64_t halted_at;

    int run_state;                  /* enum skv_node_run_state */
    int exit_code;
    char halt_reason[256];

    /* Per-feature state, each owned by its module; node.c's open inits,
     * its tick ticks and its shutdown fails them, one call per module. */
    struct skv_intake intake;       /* readiness, cutover, propose_local (intake.h) */
    struct skv_leader_reqs ops_forwarded;   /* admin ops sent to the leader (intake/forward.c) */
    struct skv_leader_reqs props_forwarded; /* proposals sent to the leader (intake/propose.c) */
    struct skv_tracker caps_pending;        /* capability fan-outs (admin/cap_fanout.c) */
    struct skv_reads reads;         /* linearizable reads (admin/reads.c) */
    struct skv_watch watch;         /* parked watch polls (admin/watch.c) */
    struct skv_backups backups;     /* open backup sessions (admin/backup.c) */
    struct skv_enc_jobs enc_jobs;   /* writer registration, running enc jobs (admin/enc_regs.c) */
};

/* Lifecycle (node.c). */
int skv_node_open(struct skv_node *n, struct skv_config *conf, char *err,
                  size_t errlen);
int skv_node_run(struct skv_node *n);   /* returns process exit code */
/* The engine-independent part of open: loop, plugins, storage, FSM,
 * encryption start-up (refusals included). skv_node_open calls it first;
 * the raft_fixture simulation calls it alone and then points n->fsm.raft
 * and n->intake (skv_intake_init) at a fixture server. skv_node_close undoes it. */
int skv_node_open_state(struct skv_node *n, struct skv_config *conf, char *err,
                        size_t errlen);
void skv_node_close(struct skv_node *n);

/* Stop serving: used by signals and by the fail-closed halt. */
void skv_node_shutdown(struct skv_node *n, int exit_code);
void skv_node_halt(struct skv_node *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void skv_node_log(struct skv_node *n, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Raft role of this node as a string ("leader", ..., "halted"). */
const char *skv_node_state_name(struct skv_node *n);

/* Frame input from the transport (any thread; copies) — inbox.c. Frames
 * beyond SKV_INBOX_MAX_BYTES not yet drained by the loop are dropped and
 * counted (transport_frames_dropped_total{reason="inbox_full"}): a peer,
 * or a loop held up, cannot grow the node's memory without bound; Raft
 * and every peer request retry or time out. */
#define SKV_INBOX_MAX_BYTES ((size_t)256 << 20)
void skv_inbox_deliver(void *node, uint64_t from, const void *data,
                       size_t len);
int skv_inbox_admin_call(void *node, const struct skv_admin_req *req,
                         skv_admin_done_fn done, void *done_arg);
void skv_inbox_drain(struct skv_node *n);   /* loop thread */
void skv_inbox_close(struct skv_node *n);   /* fail everything queued */

/* Send one encoded frame to a peer; logs and drops on failure. */
int skv_node_send(struct skv_node *n, uint64_t peer_id, const char *address,
                  const void *frame, size_t len);

#endif /* SKV_NODE_H */
