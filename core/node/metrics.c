/* SPDX-License-Identifier: MIT */
/*
 * metrics.c — the counters of metrics.h and their Prometheus text
 * exposition (format 0.0.4, names checked by promtool in make check):
 * build info, raft state, indexes and leader changes, proposals by
 * source and outcome, forwarding, the Phase-2 cutover state, decrypt failures by
 * reason, values sealed / entries wrapped per DEK, the sidecar's applied
 * index, the raft log's fsync counts and the refusals at the peer
 * boundary (dropped frames, refused proposals and ops). Every series is prefixed
 * "sealkv_"; labels carry key ids at most, never key material.
 */
#include "node/metrics.h"

#include "build-config.h"
#include "fsm/fsm.h"
#include "peer/peer_filter.h"
#include "intake/propose.h"
#include "raftio/raft_io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ULL(x) ((unsigned long long)(x))

void skv_metrics_proposal(struct skv_metrics *m, int source, enum skv_proposal_outcome outcome)
{
    if ((unsigned)outcome < SKV_PROPOSAL_OUTCOMES_)
        m->proposals[source == SKV_SRC_ADMIN][outcome]++;
}

void skv_metrics_dek(struct skv_metrics *m, struct skv_metrics_dek *t, uint32_t key_id)
{
    size_t i;
    for (i = 0; i < SKV_METRICS_MAX_DEKS; i++)
        if (t[i].key_id == key_id || t[i].key_id == 0) {
            t[i].key_id = key_id;
            t[i].count++;
            return;
        }
    m->dek_overflow++;
}

void skv_metrics_decrypt_failure(struct skv_metrics *m, int why)
{
    if (why > 0 && why < SKV_ENC_WHY_COUNT_)
        m->decrypt_failures[why]++;
}

/* ---- text: printed to an open_memstream() ----------------------------- */

/* # HELP and # TYPE lines of one metric family. */
static void family(FILE *b, const char *name, const char *type, const char *help)
{
    fprintf(b, "# HELP sealkv_%s %s\n# TYPE sealkv_%s %s\n", name, help, name, type);
}

/* A family with one unlabelled sample. */
static void single(FILE *b, const char *name, const char *type, const char *help,
                   uint64_t v)
{
    family(b, name, type, help);
    fprintf(b, "sealkv_%s %llu\n", name, ULL(v));
}

/* One label of a grid: its name and its values. */
struct label {
    const char *name;
    const char *const *v;
    int n;
};

/* A counter family over two labels: one sample per pair of values,
 * counts[i * b.n + j] for a's i-th and b's j-th value (a [a.n][b.n]
 * array of the metrics, row by row). */
static void grid(FILE *f, const char *name, const char *help, struct label a,
                 struct label b, const uint64_t *counts)
{
    int i, j;
    family(f, name, "counter", help);
    for (i = 0; i < a.n; i++)
        for (j = 0; j < b.n; j++)
            fprintf(f, "sealkv_%s{%s=\"%s\",%s=\"%s\"} %llu\n", name, a.name, a.v[i],
                    b.name, b.v[j], ULL(counts[i * b.n + j]));
}
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))
/* grid() over the 2-D counter array `arr`, whose shape must be the labels'. */
#define GRID(f, name, help, la, va, lb, vb, arr)                                          \
    do {                                                                                   \
        _Static_assert(sizeof(arr) == NELEM(va) * NELEM(vb) * sizeof(uint64_t),           \
                       name ": counters and label values differ in shape");               \
        grid(f, name, help, (struct label){la, va, NELEM(va)},                             \
             (struct label){lb, vb, NELEM(vb)}, &(arr)[0][0]);                            \
    } while (0)

/* ---- sections --------------------------------------------------------- */

static void raft_section(FILE *b, struct skv_node *n)
{
    static const char *const states[] = {"follower", "candidate", "leader", "halted",
                                         "unavailable"};
    const char *cur = skv_node_state_name(n);
    size_t i;
    family(b, "raft_state", "gauge", "1 for the node's current state");
    for (i = 0; i < sizeof states / sizeof states[0]; i++)
        fprintf(b, "sealkv_raft_state{state=\"%s\"} %d\n", states[i], strcmp(cur, states[i]) == 0);
    single(b, "raft_term", "gauge", "current raft term", n->raft.current_term);
    single(b, "raft_commit_index", "gauge", "raft commit index", n->raft.commit_index);
    single(b, "raft_applied_index", "gauge", "raft last applied index", raft_last_applied(&n->raft));
    single(b, "raft_last_index", "gauge", "index of the last log entry", raft_last_index(&n->raft));
    single(b, "fsm_applied_index", "gauge", "durable FSM applied index", n->fsm.flushed);
    single(b, "raft_leader_changes_total", "counter",
           "times this node saw a new leader (another id or term), the first included",
           n->leaders.changes);
}

/* Always 1; the labels say what runs. */
static void build_section(FILE *b)
{
    family(b, "build_info", "gauge", "build of this sealkvd: version and plugin ABI");
    fprintf(b, "sealkv_build_info{version=\"%s\",abi=\"%d.%d\"} 1\n", PACKAGE_VERSION,
            SKV_ABI_MAJOR, SKV_ABI_MINOR);
}

static void proposal_section(FILE *b, const struct skv_metrics *m)
{
    static const char *const src[2] = {"user", "admin"};
    static const char *const out[SKV_PROPOSAL_OUTCOMES_] = {"ok", "refused", "rejected",
                                                           "unknown"};
    GRID(b, "proposals_total", "proposals this node handled as leader, by source and outcome",
         "source", src, "outcome", out, m->proposals);
    family(b, "forwarded_total", "counter", "requests this node forwarded to the leader");
    fprintf(b, "sealkv_forwarded_total{kind=\"proposal\"} %llu\n", ULL(m->proposals_forwarded));
    fprintf(b, "sealkv_forwarded_total{kind=\"admin_op\"} %llu\n", ULL(m->admin_ops_forwarded));
}

static void cutover_section(FILE *b, struct skv_node *n)
{
    const struct skv_enc *enc = &n->enc;
    single(b, "encryption_enabled", "gauge", "1 if encryption.enabled", enc->enabled != 0);
    single(b, "storage_envelope_active", "gauge", "1 once Phase 1 is active",
           enc->sc.storage_envelope_active != 0);
    single(b, "raft_envelope_cutover_index", "gauge", "Phase-2 cutover index N (0: none)",
           skv_enc_cutover(enc));
    single(b, "raft_envelope_wrap", "gauge", "1 while wrap-on-propose is on",
           atomic_load(&((struct skv_enc *)enc)->wrap) != 0);
    single(b, "cutover_step", "gauge", "cutover barrier step (0 idle, 1..6)",
           (uint64_t)n->intake.cut.step);
    family(b, "cutover_last_intake_pause_seconds", "gauge",
           "time user intake was closed during the last cutover");
    fprintf(b, "sealkv_cutover_last_intake_pause_seconds %.3f\n",
            (double)n->intake.cut.last_pause_ms / 1000.0);
    single(b, "cutovers_total", "counter", "cutover barriers completed by this process",
           n->intake.cut.runs);
    single(b, "sidecar_raft_applied_index", "gauge",
           "last encryption entry recorded in the sidecar", enc->sc.raft_applied_index);
}

/* Always shown (0 included): the reasons an envelope or DEK fails to open. */
static int always_reason(int why)
{
    return why == SKV_ENC_ENVELOPE_INTEGRITY || why == SKV_ENC_UNKNOWN_KEY_ID ||
           why == SKV_ENC_DEK_UNWRAP;
}

static void dek_rows(FILE *b, const char *name, const struct skv_metrics_dek *t)
{
    size_t i;
    for (i = 0; i < SKV_METRICS_MAX_DEKS && t[i].key_id; i++)
        fprintf(b, "sealkv_%s{key_id=\"%u\"} %llu\n", name, (unsigned)t[i].key_id, ULL(t[i].count));
}

static void crypto_section(FILE *b, const struct skv_metrics *m)
{
    int why;
    family(b, "decrypt_failures_total", "counter",
           "values, entries or DEKs that failed to open, by reason");
    for (why = 1; why < SKV_ENC_WHY_COUNT_; why++)
        if (m->decrypt_failures[why] || always_reason(why))
            fprintf(b, "sealkv_decrypt_failures_total{reason=\"%s\"} %llu\n", skv_enc_errname(why),
                ULL(m->decrypt_failures[why]));
    family(b, "values_sealed_total", "counter", "values sealed, per storage DEK");
    dek_rows(b, "values_sealed_total", m->sealed);
    family(b, "entries_wrapped_total", "counter", "log entries wrapped, per raft DEK");
    dek_rows(b, "entries_wrapped_total", m->wrapped);
}

static void reload_section(FILE *b, const struct skv_metrics *m)
{
    static const char *const pl[2] = {"transport", "admin"};
    static const char *const out[3] = {"ok", "error", "unsupported"};
    GRID(b, "credential_reloads_total", "credential reloads (SIGHUP), by plugin and outcome",
         "plugin", pl, "outcome", out, m->cred_reloads);
}

_Static_assert(SKV_DROP_COUNT_ <= sizeof ((struct skv_metrics *)0)->frames_dropped /
                   sizeof(uint64_t), "frames_dropped too small");

/* Refusals at the trust boundary (dispatch.c, propose.c). Every series
 * is shown, zeros included, so alerts need no absent() guard. */
static void peer_section(FILE *b, const struct skv_metrics *m)
{
    static const char *const origin[2] = {"local", "peer"};
    static const char *const why[2] = {"malformed", "not_allowed"};
    int r;
    family(b, "transport_frames_dropped_total", "counter",
           "inbound peer frames dropped before any handler, by reason");
    for (r = SKV_DROP_NONE + 1; r < SKV_DROP_COUNT_; r++)
        fprintf(b, "sealkv_transport_frames_dropped_total{reason=\"%s\"} %llu\n",
            skv_drop_reason_name(r), ULL(m->frames_dropped[r]));
    GRID(b, "proposals_refused_total",
         "proposals refused before raft_apply (400 ErrBadRequest), by origin and reason",
         "origin", origin, "reason", why, m->proposals_refused);
    single(b, "peer_admin_ops_refused_total", "counter",
           "admin ops forwarded by a peer that a follower never forwards (refused)",
           m->peer_ops_refused);
}

static void storage_section(FILE *b, struct skv_node *n)
{
    struct skv_raftio_stats s;
    skv_raftio_stats(&n->io, &s);
    single(b, "storage_fsyncs_total", "counter",
           "synced raft log batches (append, truncate, snapshot)", s.syncs);
    single(b, "storage_append_fsyncs_total", "counter", "synced append batches", s.append_syncs);
    single(b, "storage_appended_entries_total", "counter", "log entries appended", s.entries);
    family(b, "storage_appends_per_fsync", "gauge", "mean entries per append batch");
    fprintf(b, "sealkv_storage_appends_per_fsync %.3f\n",
        s.append_syncs ? (double)s.entries / (double)s.append_syncs : 0.0);
}

/* The FSM's key set (fsm_keys.h): in use, and the keys it holds. */
static void key_set_section(FILE *b, struct skv_node *n)
{
    int on = skv_fsm_keys_in_use(&n->fsm);
    single(b, "fsm_key_set_on", "gauge",
           "1: puts and deletes learn from the in-memory key set that a key is new, "
           "without a store read (docs/PERFORMANCE.md)", (uint64_t)on);
    single(b, "fsm_key_set_keys", "gauge", "keys in the key set (0 while it is off)",
           on ? (uint64_t)n->fsm.keys.set.n : 0);
}

int skv_metrics_render(struct skv_node *n, char **out, size_t *len)
{
    char *p = NULL;
    size_t sz = 0;
    FILE *b = open_memstream(&p, &sz);
    int bad;
    if (!b)
        return -1;
    build_section(b);
    raft_section(b, n);
    proposal_section(b, &n->metrics);
    cutover_section(b, n);
    crypto_section(b, &n->metrics);
    storage_section(b, n);
    key_set_section(b, n);
    skv_loop_stall_render(&n->stall, b);
    peer_section(b, &n->metrics);
    reload_section(b, &n->metrics);
    bad = ferror(b);
    if (fclose(b) != 0 || bad) {
        free(p);
        return -1;
    }
    *out = p;
    *len = sz;
    return 0;
}
