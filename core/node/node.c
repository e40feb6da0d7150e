/* SPDX-License-Identifier: MIT */
/*
 * node.c — node lifecycle: open (plugins, storage, raft, transport, admin
 * in that order), run the loop, orderly shutdown on signal or halt, close;
 * the per-feature modules' init, tick and fail_all, one list each.
 */
#include "build-config.h"
#include "node/node.h"
#include "admin/capability.h"
#include "admin/enc_jobs.h"
#include "admin/enc_ops.h"
#include "admin/reads.h"
#include "fsm/fsm.h"
#include "fsm/fsm_gap.h"
#include "fsm/snap_iter.h"
#include "util/log.h"
#include "util/path.h"
#include "intake/op.h"
#include "intake/propose.h"
#include "node/preflight.h"
#include "raftio/raft_io.h"
#include "node/reload.h"
#include "node/store_init.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SKV_TICK_MS 50
/* a halted node is out of Raft at once (skv_raftio_silence) and answers
 * status "halted" this long, then exits 3 */
#define SKV_HALT_GRACE_MS 2000

void skv_node_log(struct skv_node *n, int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    skv_logv(level, n->conf ? n->conf->log_level : 1, "node", fmt, ap);
    va_end(ap);
}

static void raftio_log(void *arg, int level, const char *msg)
{
    skv_node_log(arg, level, "raft_io: %s", msg);
}

static void raftio_fatal(void *arg, const char *msg)
{
    skv_node_halt(arg, "raft log write failed (nothing more is acknowledged): %s", msg);
}

void skv_node_halt(struct skv_node *n, const char *fmt, ...)
{
    va_list ap;
    if (n->run_state == SKV_RUN_HALTED)
        return;
    va_start(ap, fmt);
    vsnprintf(n->halt_reason, sizeof n->halt_reason, fmt, ap);
    va_end(ap);
    n->run_state = SKV_RUN_HALTED;
    n->exit_code = 3;
    n->halted_at = uv_now(&n->loop);
    /* out of Raft at once (no vote, heartbeat or append leaves, nothing
     * received is seen); status keeps answering "halted" until exit */
    if (n->io_inited)
        skv_raftio_silence(&n->io);
    skv_node_log(n, SKV_LOG_ERROR, "HALTED: %s", n->halt_reason);
}

const char *skv_node_state_name(struct skv_node *n)
{
    if (n->run_state == SKV_RUN_HALTED)
        return "halted";
    switch (raft_state(&n->raft)) {
    case RAFT_LEADER: return "leader";
    case RAFT_FOLLOWER: return "follower";
    case RAFT_CANDIDATE: return "candidate";
    default: return "unavailable";
    }
}

int skv_node_send(struct skv_node *n, uint64_t peer, const char *address,
                  const void *frame, size_t len)
{
    struct skv_err e = {0, ""};
    struct skv_iov iov = {frame, len};
    int rc = n->tr->send(n->tr_state, peer, address, &iov, 1, &e);
    if (rc != SKV_OK)
        skv_node_log(n, SKV_LOG_DEBUG, "send to %llu failed: %s",
                     (unsigned long long)peer, e.msg);
    return rc;
}

static void on_wake(void *node) { skv_inbox_drain(node); }

static void on_signal(uv_signal_t *s, int signum)
{
    struct skv_node *n = s->data;
    skv_node_log(n, SKV_LOG_INFO, "signal %d: shutting down", signum);
    skv_node_shutdown(n, n->exit_code);
}

static void on_sighup(uv_signal_t *s, int signum)
{
    (void)signum;
    skv_reload_credentials(s->data);
}

static uint64_t node_now_ms(void *arg)
{
    struct skv_node *n = arg;
    return uv_now(&n->loop);
}

/* The per-feature modules (node.h's last block): init at open, tick,
 * fail at shutdown — each module once in each list. */
static void modules_init(struct skv_node *n)
{
    skv_intake_init(&n->intake, &n->raft, &n->enc, &n->metrics, n->conf->log_level,
                    node_now_ms, n, 5ull * n->conf->election_timeout_ms);
    skv_forward_init(n);
    skv_propose_init(n);
    skv_cap_init(n);
    skv_reads_init(&n->reads);
    skv_enc_jobs_init(&n->enc_jobs);
    skv_backups_init(&n->backups);
    if (skv_watch_init(&n->watch, &n->loop) != 0) /* no check handle: no waiting */
        skv_node_log(n, SKV_LOG_WARN, "watch: cannot initialise its handle; polls answer at once");
}

static void modules_tick(struct skv_node *n, uint64_t now)
{
    skv_forward_tick(n, now);
    skv_propose_tick(n, now);
    skv_cap_tick(n, now);
    skv_intake_tick(&n->intake);
    skv_enc_jobs_tick(n, now);
    skv_watch_tick(n, now);
    skv_backups_tick(n, now);
}

static void modules_fail_all(struct skv_node *n)
{
    skv_forward_fail_all(n);
    skv_propose_fail_all(n);
    skv_cap_fail_all(n);
    skv_intake_fail_all(&n->intake, skv_error_name(SKV_ErrShuttingDown), "node is shutting down");
    skv_reads_fail_all(n);
    skv_enc_jobs_fail_all(n);
    skv_watch_fail_all(n);
    skv_backups_fail_all(n);
}

static void on_tick(uv_timer_t *t)
{
    struct skv_node *n = t->data;
    uint64_t now = uv_now(&n->loop);
    if (n->run_state == SKV_RUN_HALTED) {
        if (now - n->halted_at >= SKV_HALT_GRACE_MS)
            skv_node_shutdown(n, n->exit_code);
        return;
    }
    skv_leader_watch_observe(&n->leaders, &n->raft);
    modules_tick(n, now);
}

/* The store's identity mark (store_init.h): checked, or written once. */
static int open_mark(struct skv_node *n, int is_new, char *err, size_t errlen)
{
    struct skv_ls ls = {n->st, n->db};
    char hex[2 * SKV_IDENT_LEN + 1];
    int created;
    if (skv_store_mark(&ls, n->conf->data_dir, n->conf->node_id, is_new,
                       n->conf->init_store, &n->ident, &created, err, errlen) != 0)
        return -1;
    skv_ident_hex(n->ident.id, hex);
    if (created)
        skv_node_log(n, SKV_LOG_INFO, "%s: node %llu, store identity %s",
                     created == 2 ? "store predates identity marks, marked now"
                                  : "initialised a new store",
                     (unsigned long long)n->conf->node_id, hex);
    else
        skv_node_log(n, SKV_LOG_DEBUG, "store identity %s", hex);
    return 0;
}

static int open_plugins(struct skv_node *n, char *err, size_t errlen)
{
    struct skv_err e = {0, ""};
    char path[4200];
    int is_new = 0;
    n->hooks.node = n;
    n->hooks.deliver = skv_inbox_deliver;
    n->hooks.admin_call = skv_inbox_admin_call;
    n->hooks.node_id = n->conf->node_id;
    n->hooks.log_level = n->conf->log_level;
    if (skv_plugin_set_load(&n->plugins, n->conf, &n->hooks, &e) != SKV_OK) {
        snprintf(err, errlen, "%s", e.msg);
        return -1;
    }
    n->st = skv_plugin_ops(n->plugins.storage);
    n->tr = skv_plugin_ops(n->plugins.transport);
    n->ci = skv_plugin_ops(n->plugins.cipher);
    n->ad = skv_plugin_ops(n->plugins.admin);
    n->tr_state = skv_plugin_state(n->plugins.transport);
    n->ci_state = skv_plugin_state(n->plugins.cipher);
    n->ad_state = skv_plugin_state(n->plugins.admin);
    /* data_dir usable, KEK, sidecar and DEK unwrap before anything
     * touches the data dir (the order of skv_preflight) */
    if (skv_preflight_data_dir(n->conf->data_dir, err, errlen) != 0 ||
        skv_enc_load(&n->enc, n->conf, n->ci, n->ci_state, err, errlen) != 0)
        return -1;
    if (skv_store_precheck(n->conf->data_dir, n->conf->node_id, n->conf->init_store,
                           &is_new, err, errlen) != 0 ||
        skv_path_mkdir(n->conf->data_dir, err, errlen) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/store", n->conf->data_dir);
    if (n->st->open(skv_plugin_state(n->plugins.storage), path, &n->db, &e) != SKV_OK) {
        snprintf(err, errlen, "%s", e.msg);
        return -1;
    }
    return open_mark(n, is_new, err, errlen);
}

static int open_loop(struct skv_node *n)
{
    if (uv_loop_init(&n->loop) != 0)
        return -1;
    n->loop_inited = 1;
    if (skv_loop_stall_init(&n->stall, &n->loop) != 0)
        skv_node_log(n, SKV_LOG_WARN, "the loop's busy time cannot be measured (metrics 0)");
    pthread_mutex_init(&n->inbox_mu, NULL);
    skv_list_init(&n->inbox_frames);
    skv_list_init(&n->inbox_admin);
    n->inbox_max_bytes = SKV_INBOX_MAX_BYTES;
    modules_init(n);
    if (skv_wake_init(&n->inbox_wake, &n->loop, on_wake, n) != 0)
        return -1;
    uv_timer_init(&n->loop, &n->tick);
    n->tick.data = n;
    uv_signal_init(&n->loop, &n->sigterm);
    uv_signal_init(&n->loop, &n->sigint);
    uv_signal_init(&n->loop, &n->sighup);
    n->sigterm.data = n->sigint.data = n->sighup.data = n;
    /* from now on SIGHUP never kills the process (its default action);
     * it is handled once the loop runs, i.e. after open */
    uv_signal_start(&n->sighup, on_sighup, SIGHUP);
    return 0;
}

static int bootstrap_if_empty(struct skv_node *n, char *err, size_t errlen)
{
    struct raft_configuration c;
    size_t i;
    int rv;
    if (n->conf->n_bootstrap == 0)
        return 0;
    raft_configuration_init(&c);
    for (i = 0; i < n->conf->n_bootstrap; i++) {
        rv = raft_configuration_add(&c, n->conf->bootstrap[i].id,
                                    n->conf->bootstrap[i].address, RAFT_VOTER);
        if (rv != 0) {
            raft_configuration_close(&c);
            snprintf(err, errlen, "bootstrap configuration: %s", raft_strerror(rv));
            return -1;
        }
    }
    rv = raft_bootstrap(&n->raft, &c);
    raft_configuration_close(&c);
    if (rv != 0 && rv != RAFT_CANTBOOTSTRAP) {
        snprintf(err, errlen, "bootstrap: %s: %s", raft_strerror(rv),
                 n->io.errmsg[0] ? n->io.errmsg : raft_errmsg(&n->raft));
        return -1;
    }
    if (rv == 0)
        skv_node_log(n, SKV_LOG_INFO, "bootstrapped a %zu-voter cluster", n->conf->n_bootstrap);
    return 0;
}

/* Sending a snapshot to a follower (raft_io.h snap_*): the stored local
 * snapshot is expanded from the FSM's storage view (fsm/snap_view.h). */
static void *snap_pin(void *arg)
{
    struct skv_node *n = arg;
    return skv_snap_views_pin(&n->fsm.views);
}

static int snap_expand(void *arg, void *handle, const struct raft_buffer *data,
                       struct raft_buffer *full, char *errmsg, size_t errlen)
{
    struct skv_node *n = arg;   /* worker: only the storage handle is used */
    return skv_snap_expand(n->st, n->db, handle, data, full, errmsg, errlen);
}

/* ... or streamed from that view, chunk by chunk (fsm/snap_iter.h) */
static int snap_open(void *arg, void *handle, const struct raft_buffer *data, void **iter,
                     char *errmsg, size_t errlen)
{
    struct skv_node *n = arg;   /* worker */
    struct skv_snap_iter *it = NULL;
    int rc = skv_snap_iter_open(n->st, n->db, handle, data->base, data->len, &it, errmsg,
                                errlen);
    *iter = it;
    return rc;
}

static int snap_next(void *iter, uint8_t *buf, size_t cap, size_t *len, int *last, char *errmsg,
                     size_t errlen)
{
    int rc = skv_snap_iter_next(iter, buf, cap, len, errmsg, errlen);
    if (rc == 0 && (*last = skv_snap_iter_at_end(iter, errmsg, errlen)) < 0)
        rc = RAFT_IOERR;
    return rc;
}

static void snap_close(void *iter)
{
    skv_snap_iter_close(iter);
}

/* A big snapshot received into the spool file: the reference C-Raft gets. */
static int spool_ref(void *arg, const uint8_t *head, size_t head_len,
                     const struct skv_spool_meta *m, struct raft_buffer *ref, char *errmsg,
                     size_t errlen)
{
    (void)arg;
    return skv_fsm_spool_ref(head, head_len, m, ref, errmsg, errlen);
}

/* ... and its key space replaced off the loop before C-Raft's restore
 * (fsm/fsm_install.c). */
static int spool_install(void *arg, const struct raft_buffer *data,
                         void (*done)(void *ctx, int status), void *ctx)
{
    struct skv_node *n = arg;
    return skv_fsm_install_start(&n->fsm, data, done, ctx);
}

static void spool_cancel(void *arg)
{
    struct skv_node *n = arg;
    skv_fsm_install_cancel(&n->fsm);
}

static void snap_barrier_cb(struct raft_barrier *req, int status)
{
    struct skv_node *n = req->data;
    (void)status;
    n->fsm.views.barrier_pending = 0;
    free(req);
}

static void snap_unpin(void *arg, void *handle, int status)
{
    struct skv_node *n = arg;
    struct raft_barrier *b;
    skv_snap_views_unpin(&n->fsm.views, handle);
    if (status != RAFT_BUSY || n->stopping)
        return;
    /* no view for the stored snapshot (after a restart): take a fresh
     * one at the next apply, and make sure there is an entry to apply */
    skv_fsm_want_snapshot(&n->fsm);
    if (raft_state(&n->raft) != RAFT_LEADER || n->fsm.views.barrier_pending ||
        !(b = calloc(1, sizeof *b)))
        return;
    b->data = n;
    if (raft_barrier(&n->raft, b, snap_barrier_cb) == 0)
        n->fsm.views.barrier_pending = 1;
    else
        free(b);
}

static int open_raft(struct skv_node *n, char *err, size_t errlen)
{
    struct skv_raftio_env env;
    int rv;
    memset(&env, 0, sizeof env);
    env.loop = &n->loop;
    env.st = n->st;
    env.db = n->db;
    env.tr = n->tr;
    env.tr_state = n->tr_state;
    env.self_id = n->conf->node_id;
    env.log = raftio_log;
    env.log_arg = n;
    env.fatal = raftio_fatal;
    env.store_ident = n->ident.id;
    env.conf_seen = skv_peer_ident_conf_seen;
    env.snap_pin = snap_pin;
    env.snap_expand = snap_expand;
    env.snap_unpin = snap_unpin;
    env.snap_open = snap_open;
    env.snap_next = snap_next;
    env.snap_close = snap_close;
    env.spool_dir = n->conf->data_dir;
    env.spool_ref = spool_ref;
    env.spool_install = spool_install;
#ifdef SKV_RAFT_INSTALL_DISCARD_LEAK
    env.install_discard_leak = 1;   /* configure: C-Raft < 0.17.1 */
#endif
    env.spool_cancel = spool_cancel;
    env.crash_point = skv_enc_crash_point;
    env.snap_arg = n;
    if (skv_raftio_init(&n->io, &env, err, errlen) != 0)
        return -1;
    n->fsm.local_snapshots = 1;   /* our io expands them for followers */
    n->io_inited = 1;
    rv = raft_init(&n->raft, &n->io, &n->fsm.raft_fsm, n->conf->node_id, n->conf->node_address);
    if (rv != 0) {
        snprintf(err, errlen, "raft_init: %s", raft_strerror(rv));
        return -1;
    }
    n->raft_inited = 1;
    raft_set_election_timeout(&n->raft, n->conf->election_timeout_ms);
    raft_set_heartbeat_timeout(&n->raft, n->conf->heartbeat_timeout_ms);
    raft_set_snapshot_threshold(&n->raft, n->conf->snapshot_threshold);
    raft_set_snapshot_trailing(&n->raft, n->conf->snapshot_trailing);
    raft_set_pre_vote(&n->raft, true);
    return bootstrap_if_empty(n, err, errlen);
}

int skv_node_open_state(struct skv_node *n, struct skv_config *conf, char *err,
                        size_t errlen)
{
    struct skv_enc_boot_meta m;
    memset(n, 0, sizeof *n);
    n->conf = conf;
    n->run_state = SKV_RUN_STARTING;
    if (open_loop(n) != 0) {
        snprintf(err, errlen, "cannot initialise the event loop");
        return -1;
    }
    if (open_plugins(n, err, errlen) != 0 || skv_fsm_init(&n->fsm, n, err, errlen) != 0 ||
        skv_fsm_gap_start(&n->fsm, err, errlen) != 0)
        return -1;
    m.fsm_encidx = n->fsm.encidx;
    m.fsm_applied = n->fsm.applied;
    skv_fsm_snapshot_meta(n, &m.snap_cutover, &m.snap_index);
    if (skv_enc_start(&n->enc, &m, err, errlen) != 0 ||
        skv_enc_registry_check(n, err, errlen) != 0 || skv_enc_persist(&n->enc, err, errlen) != 0)
        return -1;
    return 0;
}

int skv_node_open(struct skv_node *n, struct skv_config *conf, char *err, size_t errlen)
{
    struct skv_err e = {0, ""};
    int rv;
    if (skv_node_open_state(n, conf, err, errlen) != 0 || open_raft(n, err, errlen) != 0)
        return -1;
    if (n->tr->start(n->tr_state, conf->node_address, &e) != SKV_OK) {
        snprintf(err, errlen, "transport: %s", e.msg);
        return -1;
    }
    n->transport_started = 1;
    skv_transport_security_warn(n);
    n->run_state = SKV_RUN_SERVING;
    rv = raft_start(&n->raft);
    if (rv != 0) {
        snprintf(err, errlen, "raft_start: %s: %s", raft_strerror(rv),
                 raft_errmsg(&n->raft)[0] ? raft_errmsg(&n->raft) : n->io.errmsg);
        return -1;
    }
    n->raft_started = 1;
    /* raft_start restored the stored snapshot: a spool file left is
     * unneeded (one committed but never referenced, by a crash) */
    skv_spool_remove(conf->data_dir, 1);
    if (n->ad->start(n->ad_state, &e) != SKV_OK) {
        snprintf(err, errlen, "admin: %s", e.msg);
        return -1;
    }
    n->admin_started = 1;
    uv_timer_start(&n->tick, on_tick, SKV_TICK_MS, SKV_TICK_MS);
    uv_signal_start(&n->sigterm, on_signal, SIGTERM);
    uv_signal_start(&n->sigint, on_signal, SIGINT);
    skv_node_log(n, SKV_LOG_INFO, "node %llu serving raft on %s",
                 (unsigned long long)conf->node_id, conf->node_address);
    return 0;
}

static void close_handles(struct skv_node *n)
{
    skv_fsm_stop(&n->fsm);   /* raft is closed: write the pending applies */
    skv_wake_close(&n->inbox_wake);
    uv_close((uv_handle_t *)&n->tick, NULL);
    uv_close((uv_handle_t *)&n->sigterm, NULL);
    uv_close((uv_handle_t *)&n->sigint, NULL);
    uv_close((uv_handle_t *)&n->sighup, NULL);
    skv_loop_stall_close(&n->stall);
}

static void on_raft_closed(struct raft *r)
{
    struct skv_node *n = r->data;
    n->raft_started = 0;
    n->raft_inited = 0;
    if (n->admin_started) {
        n->ad->stop(n->ad_state);
        n->admin_started = 0;
    }
    close_handles(n);
}

void skv_node_shutdown(struct skv_node *n, int exit_code)
{
    if (n->stopping)
        return;
    n->stopping = 1;
    n->exit_code = exit_code;
    if (n->run_state != SKV_RUN_HALTED)
        n->run_state = SKV_RUN_STOPPING;
    skv_inbox_close(n);
    modules_fail_all(n);
    uv_timer_stop(&n->tick);
    n->raft.data = n;
    if (n->raft_inited) {
        raft_close(&n->raft, on_raft_closed);
    } else {
        on_raft_closed(&n->raft);
    }
}

int skv_node_run(struct skv_node *n)
{
    uv_run(&n->loop, UV_RUN_DEFAULT);
    return n->exit_code;
}

/* Release everything; safe after a partial skv_node_open. */
void skv_node_close(struct skv_node *n)
{
    if (n->loop_inited && !n->stopping) {
        /* open failed half-way: stop what was started, drain the loop */
        skv_node_shutdown(n, n->exit_code);
        uv_run(&n->loop, UV_RUN_DEFAULT);
    }
    if (n->transport_started) {
        n->tr->stop(n->tr_state);
        n->transport_started = 0;
    }
    if (n->io_inited)
        skv_raftio_destroy(&n->io);
    if (n->db) {
        skv_fsm_close(&n->fsm);   /* its storage views */
        n->st->close(n->db);
        n->db = NULL;
    }
    skv_enc_close(&n->enc);   /* before the cipher plugin goes */
    skv_plugin_set_unload(&n->plugins);
    if (n->loop_inited) {
        uv_run(&n->loop, UV_RUN_DEFAULT);
        uv_loop_close(&n->loop);
        skv_wake_free(&n->inbox_wake);   /* every producer has stopped */
        pthread_mutex_destroy(&n->inbox_mu);
    }
}
