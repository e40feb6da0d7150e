/* SPDX-License-Identifier: MIT */
/*
 * cap_fanout.c — the leader's capability fan-out (capability.h): probe
 * every member of the configuration plus the extra targets (the local
 * node in-process, the others by CAP_REQ frame), one record per fan-out
 * in the tracker n->caps_pending (peer/tracker.h), matched by req_id AND
 * sender id (the record's probed peers); unanswered probes are resent
 * every CAP_RESEND_MS; the record completes (cap_verdict.c) when every
 * probed node answered, at its deadline (one election timeout,
 * skv_cap_tick) or at shutdown (skv_cap_fail_all). Nothing is cached.
 * Loop thread only.
 */
#include "admin/cap_fanout.h"
#include "peer/peer_filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void skv_cap_init(struct skv_node *n)
{
    /* ids start from the wall clock so a late answer meant for an earlier
     * process of this node cannot match a fresh fan-out */
    struct timespec ts;
    uint64_t ms = 1;
    if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
        ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    skv_tracker_init(&n->caps_pending, ms << 20);
}

static struct cap_peer *peer_find(struct cap_fanout *f, uint64_t id)
{
    size_t i;
    for (i = 0; i < f->n_peers; i++)
        if (f->peers[i].id == id)
            return &f->peers[i];
    return NULL;
}

static int peer_add(struct cap_fanout *f, uint64_t id, const char *address, int role)
{
    struct cap_peer *p = &f->peers[f->n_peers];
    memset(p, 0, sizeof *p);
    p->id = id;
    p->role = role;
    if (address && address[0]) {
        p->address = strdup(address);
        if (!p->address)
            return -1;
    }
    f->n_peers++;
    return 0;
}

static int peer_cmp(const void *a, const void *b)
{
    const struct cap_peer *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* every member of the current configuration (voters, standbys and spares:
 * a spare can be promoted later, so it must be capable and registered
 * too), then the extras not already in it; sorted by id. */
static int peers_collect(struct skv_node *n, struct cap_fanout *f,
                         const struct skv_cap_target *extra, size_t n_extra)
{
    const struct raft_configuration *c = &n->raft.configuration;
    size_t i, max = (size_t)c->n + n_extra;
    f->peers = calloc(max ? max : 1, sizeof *f->peers);
    if (!f->peers)
        return -1;
    for (i = 0; i < c->n; i++)
        if (peer_add(f, c->servers[i].id, c->servers[i].address, c->servers[i].role) != 0)
            return -1;
    for (i = 0; i < n_extra; i++) {
        if (peer_find(f, extra[i].id))
            continue;
        if (peer_add(f, extra[i].id, extra[i].address, CAP_ROLE_EXTRA) != 0)
            return -1;
    }
    qsort(f->peers, f->n_peers, sizeof *f->peers, peer_cmp);
    return 0;
}

/* The CAP_REQ frame of this fan-out (0, or -1 on OOM). */
static int encode_req(struct skv_node *n, uint64_t req_id, struct skv_buf *b)
{
    struct skv_ctl_simple m;
    json_t *o = json_pack("{s:s}", "reply_to", n->conf->node_address);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    int rc;
    json_decref(o);
    if (!s)
        return -1;
    memset(&m, 0, sizeof m);
    m.req_id = req_id;
    m.rc = SKV_OK;
    m.json.p = (const uint8_t *)s;
    m.json.len = strlen(s);
    rc = skv_wire_encode_ctl(b, n->conf->node_id, SKV_FRAME_CAP_REQ, &m);
    free(s);
    return rc;
}

/* Probe every peer: the local node in-process, the others by frame. */
static void probe_all(struct skv_node *n, struct cap_fanout *f)
{
    struct skv_buf b = {NULL, 0, 0};
    int encoded = encode_req(n, f->track.id, &b) == 0;
    size_t i;
    for (i = 0; i < f->n_peers; i++) {
        struct cap_peer *p = &f->peers[i];
        if (p->id == n->conf->node_id) {
            p->report = skv_cap_report(n);
            p->state = p->report ? CAP_ANSWERED : CAP_FAILED;
            if (!p->report)
                snprintf(p->why, sizeof p->why, "out of memory building the report");
        } else if (p->id == 0 || !p->address) {
            p->state = CAP_FAILED;
            snprintf(p->why, sizeof p->why, "no address to probe");
        } else if (!encoded) {
            p->state = CAP_FAILED;
            snprintf(p->why, sizeof p->why, "out of memory encoding the probe");
        } else if (skv_node_send(n, p->id, p->address, b.p, b.len) != SKV_OK) {
            p->state = CAP_FAILED;
            snprintf(p->why, sizeof p->why, "unreachable (cannot send the probe)");
        } else {
            f->n_waiting++;
        }
    }
    skv_buf_free(&b);
}

/* How long a probe waits for its answer: an election timeout, and at
 * least this. A node that was down (a rejoin, a restart) is redialled
 * only when the transport's reconnect backoff runs out (transport-tcp:
 * up to reconnect_max_ms, 2 s by default), so it may read the probe that
 * late although it already answers its admin API; a shorter wait refused
 * such a `members add` as unreachable. */
#define SKV_CAP_MIN_WAIT_MS 3000u

static void fanout_start(struct skv_node *n, const char *suite, const char *kek_id,
                         const char *feature, const struct skv_cap_target *extra,
                         size_t n_extra, skv_cap_done_fn cb, void *arg)
{
    struct cap_fanout *f = calloc(1, sizeof *f);
    if (!f || (suite && !(f->suite = strdup(suite))) ||
        (kek_id && !(f->kek_id = strdup(kek_id))) ||
        (feature && !(f->feature = strdup(feature))) ||
        peers_collect(n, f, extra, n_extra) != 0) {
        json_t *empty = json_array();
        char oom[96];
        if (f)
            skv_cap_fanout_free(f);
        cb(n, arg, 0, empty, skv_cap_oom_message(oom, sizeof oom));
        json_decref(empty);
        return;
    }
    f->cb = cb;
    f->arg = arg;
    f->track.id = skv_tracker_next_id(&n->caps_pending);
    f->timeout_ms = n->conf->election_timeout_ms > SKV_CAP_MIN_WAIT_MS
                        ? n->conf->election_timeout_ms : SKV_CAP_MIN_WAIT_MS;
    if (n->stopping) {
        skv_cap_complete(n, f, "node is shutting down");
        return;
    }
    probe_all(n, f);
    f->sent_ms = uv_now(&n->loop);
    skv_node_log(n, SKV_LOG_DEBUG, "capability check %llu: probing %zu node(s), %zu by frame",
                 (unsigned long long)f->track.id, f->n_peers, f->n_waiting);
    if (f->n_waiting == 0) {
        skv_cap_complete(n, f, NULL);
        return;
    }
    skv_tracker_add(&n->caps_pending, &f->track, f->track.id, 0, 0, uv_now(&n->loop),
                    f->timeout_ms);
}

void skv_cap_fanout(struct skv_node *n, const char *suite,
                    const struct skv_cap_target *extra, size_t n_extra,
                    skv_cap_done_fn cb, void *arg)
{
    fanout_start(n, suite, NULL, NULL, extra, n_extra, cb, arg);
}

void skv_cap_fanout_kek(struct skv_node *n, const char *kek_id, skv_cap_done_fn cb,
                        void *arg)
{
    fanout_start(n, NULL, kek_id, NULL, NULL, 0, cb, arg);
}

void skv_cap_fanout_feature(struct skv_node *n, const char *suite, const char *feature,
                            skv_cap_done_fn cb, void *arg)
{
    fanout_start(n, suite, NULL, feature, NULL, 0, cb, arg);
}

void skv_cap_fanout_ex(struct skv_node *n, const char *suite, const char *feature,
                       const struct skv_cap_target *extra, size_t n_extra,
                       skv_cap_done_fn cb, void *arg)
{
    fanout_start(n, suite, NULL, feature, extra, n_extra, cb, arg);
}

static struct cap_fanout *fanout_find(struct skv_node *n, uint64_t req_id)
{
    struct skv_tracked *e = skv_tracker_find(&n->caps_pending, req_id);
    return e ? skv_container_of(e, struct cap_fanout, track) : NULL;
}

int skv_cap_expects(struct skv_node *n, uint64_t peer, uint64_t req_id)
{
    struct cap_fanout *f = fanout_find(n, req_id);
    struct cap_peer *p = f ? peer_find(f, peer) : NULL;
    return p && p->state == CAP_WAITING;
}

void skv_cap_on_resp(struct skv_node *n, uint64_t from, const struct skv_ctl_simple *m)
{
    struct cap_fanout *f = fanout_find(n, m->req_id);
    struct cap_peer *p = f ? peer_find(f, from) : NULL;
    if (!p || p->state != CAP_WAITING) {
        skv_node_log(n, SKV_LOG_DEBUG, "capability answer %llu from %llu: %s, ignored",
                     (unsigned long long)m->req_id, (unsigned long long)from,
                     !f ? "unknown or finished check" : !p ? "node not probed by it"
                                                          : "duplicate");
        return;
    }
    skv_cap_take_report(p, m);
    f->n_waiting--;
    if (f->n_waiting == 0) {
        skv_tracker_del(&f->track);
        skv_cap_complete(n, f, NULL);
    }
}

/* Send the probe again to every peer that has not answered yet. */
static void resend_waiting(struct skv_node *n, struct cap_fanout *f, uint64_t now_ms)
{
    struct skv_buf b = {NULL, 0, 0};
    size_t i;
    f->sent_ms = now_ms;
    if (encode_req(n, f->track.id, &b) != 0)
        return;
    for (i = 0; i < f->n_peers; i++)
        if (f->peers[i].state == CAP_WAITING)
            skv_node_send(n, f->peers[i].id, f->peers[i].address, b.p, b.len);
    skv_buf_free(&b);
}

/* A fan-out the tracker ended: its deadline passed, or shutdown. */
static void fanout_ended(struct skv_tracked *e, enum skv_track_end why, void *arg)
{
    skv_cap_complete(arg, skv_container_of(e, struct cap_fanout, track),
                     why == SKV_TRACK_SHUTDOWN ? "node is shutting down" : NULL);
}

void skv_cap_tick(struct skv_node *n, uint64_t now_ms)
{
    struct skv_list *r;
    for (r = n->caps_pending.live.next; r != &n->caps_pending.live; r = r->next) {
        struct cap_fanout *f = skv_container_of(r, struct cap_fanout, track.link);
        if (f->track.deadline_ms > now_ms && now_ms - f->sent_ms >= CAP_RESEND_MS)
            resend_waiting(n, f, now_ms);
    }
    /* one at a time: the callback may start another fan-out (its
     * deadline lies in the future) */
    skv_tracker_expire(&n->caps_pending, now_ms, 0, fanout_ended, n);
}

void skv_cap_fail_all(struct skv_node *n)
{
    /* n->stopping is set: a callback cannot queue a new fan-out */
    skv_tracker_fail_all(&n->caps_pending, fanout_ended, n);
}
