/* SPDX-License-Identifier: MIT */
/*
 * capability.c — owns the encryption capability probe (DESIGN.md §5
 * "Capability"; API and report format in capability.h):
 *
 *   - this node's report (skv_cap_report) and the two read-only ops
 *     encryption.capability and encryption.sidecar;
 *   - the answer to a CAP_REQ frame (skv_cap_on_req);
 *   - the leader's fan-out: one pending record per fan-out in the
 *     tracker n->caps_pending (peer/tracker.h), matched by req_id AND
 *     sender id (the record's probed peers), completed when
 *     every probed node answered, at its deadline (one election timeout,
 *     skv_cap_expire) or at shutdown (skv_cap_fail_all). The callback runs
 *     exactly once per fan-out.
 *
 * Nothing is cached: every fan-out asks every node again. A report that
 * arrives over the wire is untrusted: its size is bounded, every member is
 * type-checked, and strings are bounded and sanitised before they reach a
 * summary or a message. Loop thread only; no global state.
 */
#include "admin/capability.h"
#include "peer/peer_filter.h"
#include "peer/tracker.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sealkv/plugin.h>

#include "build-config.h"
#include "intake/op.h"

#define CAP_REPORT_MAX (64u * 1024u)  /* bytes of a peer's report we parse */
#define CAP_REASONS_MAX 8             /* reasons of one peer we quote */
#define CAP_REASON_MAX 200            /* bytes of one quoted reason */
#define CAP_SUITES_MAX 64             /* suites a report may list */
#define CAP_WHY_MAX 160
#define CAP_ROLE_EXTRA (-1)           /* an extra target, not in the config */

enum cap_peer_state {
    CAP_WAITING = 0,   /* probe sent, no answer yet */
    CAP_ANSWERED,      /* `report` holds a well-formed report */
    CAP_FAILED         /* `why` says what went wrong */
};

struct cap_peer {
    uint64_t id;
    char *address;     /* owned; NULL when unknown */
    int role;          /* RAFT_VOTER, RAFT_STANDBY or CAP_ROLE_EXTRA */
    int state;         /* enum cap_peer_state */
    json_t *report;    /* CAP_ANSWERED only */
    char why[CAP_WHY_MAX];
};

struct cap_fanout {
    struct skv_tracked track;  /* id, deadline: n->caps_pending while probing */
    unsigned timeout_ms;
    char *suite;               /* NULL: any */
    struct cap_peer *peers;    /* sorted by id */
    size_t n_peers, n_waiting;
    uint64_t sent_ms;          /* last (re)send of the probes */
    skv_cap_done_fn cb;
    void *arg;
};

/* A probe or its answer can be lost (a lossy link, a reconnect): the
 * probes still unanswered are sent again this often within the window. */
#define CAP_RESEND_MS 150

/* ---- small helpers ---------------------------------------------------- */

/* Growable string; `oom` sticks once an allocation failed. */
struct cap_sb {
    char *p;
    size_t len, cap;
    int oom;
};

static void sb_printf(struct cap_sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_printf(struct cap_sb *b, const char *fmt, ...)
{
    va_list ap;
    int need;
    if (b->oom)
        return;
    va_start(ap, fmt);
    need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0) {
        b->oom = 1;
        return;
    }
    if (b->len + (size_t)need + 1 > b->cap) {
        size_t cap = (b->len + (size_t)need + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)need;
}

/* Copy a (valid UTF-8) string into out: control bytes become '?', the
 * copy is cut at a character boundary and marked "..." when too long. */
static void sanitize(const char *in, char *out, size_t outlen)
{
    size_t i = 0, o = 0;
    if (outlen < 4) {
        if (outlen)
            out[0] = 0;
        return;
    }
    while (in[i]) {
        unsigned char c = (unsigned char)in[i];
        size_t seq = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        size_t k;
        if (o + seq + 4 > outlen) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c < 0x20 || c == 0x7F) {
            out[o++] = '?';
            i++;
            continue;
        }
        for (k = 0; k < seq && in[i]; k++)
            out[o++] = in[i++];
    }
    out[o] = 0;
}

static const char *role_name(int role)
{
    switch (role) {
    case RAFT_VOTER: return "voter";
    case RAFT_STANDBY: return "standby";
    case RAFT_SPARE: return "spare";
    case CAP_ROLE_EXTRA: return "extra";
    default: return "unknown";
    }
}

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

static const char *config_address(struct skv_node *n, uint64_t id)
{
    const struct raft_configuration *c = &n->raft.configuration;
    unsigned i;
    for (i = 0; i < c->n; i++)
        if (c->servers[i].id == id)
            return c->servers[i].address;
    return NULL;
}

/* ---- this node's report ----------------------------------------------- */

/* Available suites of the loaded cipher plugin (new array, NULL on OOM). */
static json_t *local_suites(struct skv_node *n)
{
    json_t *a = json_array();
    unsigned i, cnt;
    if (!a || !n->ci || !n->ci->suite_count || !n->ci->suite_get)
        return a;
    cnt = n->ci->suite_count(n->ci_state);
    for (i = 0; i < cnt && i < CAP_SUITES_MAX; i++) {
        struct skv_cipher_suite s;
        json_t *v;
        memset(&s, 0, sizeof s);
        s.struct_size = sizeof s;
        if (n->ci->suite_get(n->ci_state, i, &s) != SKV_OK || !s.name ||
            !skv_enc_suite_available(n->ci, n->ci_state, s.name))
            continue;
        v = json_string(s.name);
        if (!v)
            continue;   /* not UTF-8: not a name anybody can ask for */
        if (json_array_append_new(a, v) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* Append why this node is not capable; returns the number appended or -1
 * on OOM. */
static int local_reasons(struct skv_node *n, json_t *reasons, size_t n_suites)
{
    const char *r[4];
    int k = 0, i;
    if (!n->enc.enabled)
        r[k++] = "encryption not enabled";
    else if (!n->enc.ks)
        r[k++] = "no KEK loaded";
    if (!n->ci)
        r[k++] = "cipher plugin not loaded";
    else if (n_suites == 0)
        r[k++] = "cipher plugin has no usable suite";
    if (n->run_state == SKV_RUN_HALTED)
        r[k++] = "node is halted";
    for (i = 0; i < k; i++)
        if (json_array_append_new(reasons, json_string(r[i])) != 0)
            return -1;
    return k;
}

static uint32_t local_epoch(const struct skv_enc *enc)
{
    uint32_t e = 0;
    size_t i;
    for (i = 0; i < enc->sc.n_keys && i < SKV_SIDECAR_MAX_KEYS; i++)
        if (enc->sc.keys[i].local_epoch > e)
            e = enc->sc.keys[i].local_epoch;
    return e;
}

static const char *cipher_name(struct skv_node *n)
{
    const struct skv_plugin *d = n->plugins.cipher ? skv_plugin_desc(n->plugins.cipher) : NULL;
    if (d && d->name)
        return d->name;
    return n->conf->cipher.name;
}

/* New reference; NULL only on OOM. */
json_t *skv_cap_report(struct skv_node *n)
{
    json_t *suites = local_suites(n), *reasons = json_array();
    int k;
    if (!suites || !reasons) {
        json_decref(suites);
        json_decref(reasons);
        return NULL;
    }
    k = local_reasons(n, reasons, json_array_size(suites));
    if (k < 0) {
        json_decref(suites);
        json_decref(reasons);
        return NULL;
    }
    return json_pack("{s:I,s:I,s:b,s:o,s:b,s:b,s:s?,s:o,s:i,s:i,s:s,s:b,s:I,s:b}",
                     "id", (json_int_t)n->conf->node_id,
                     "node_id16", (json_int_t)n->enc.node16,
                     "capable", k == 0,
                     "reasons", reasons,
                     "encryption_enabled", n->enc.enabled != 0,
                     "kek_loaded", n->enc.ks != NULL,
                     "cipher_plugin", cipher_name(n),
                     "suites", suites,
                     "abi_major", SKV_ABI_MAJOR, "abi_minor", SKV_ABI_MINOR,
                     "build", PACKAGE_VERSION,
                     "sidecar_present", n->enc.sc_present != 0,
                     "local_epoch", (json_int_t)local_epoch(&n->enc),
                     "bootstrapped", skv_enc_bootstrapped(&n->enc));
}

/* ---- a peer's report: validation and verdict -------------------------- */

static int is_suite_name(const json_t *v)
{
    const char *s;
    size_t i, len;
    if (!json_is_string(v))
        return 0;
    s = json_string_value(v);
    len = json_string_length(v);
    if (len == 0 || len >= SKV_SIDECAR_SUITE_MAX)
        return 0;
    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7F)
            return 0;
    return 1;
}

static int is_string_array(const json_t *a, size_t max, int suites)
{
    size_t i;
    if (!json_is_array(a) || json_array_size(a) > max)
        return 0;
    for (i = 0; i < json_array_size(a); i++) {
        const json_t *v = json_array_get(a, i);
        if (suites ? !is_suite_name(v) : !json_is_string(v))
            return 0;
    }
    return 1;
}

/* 0 if `r` has every documented member with its type; else -1 with the
 * offending member named in why. */
static int report_check(const json_t *r, uint64_t id, char *why, size_t wlen)
{
    static const char *const bools[] = {"capable", "encryption_enabled", "kek_loaded",
                                        "sidecar_present", "bootstrapped"};
    static const char *const ints[] = {"id", "node_id16", "abi_major", "abi_minor",
                                       "local_epoch"};
    size_t i;
    const json_t *v;
    for (i = 0; i < sizeof bools / sizeof bools[0]; i++)
        if (!json_is_boolean(json_object_get(r, bools[i]))) {
            snprintf(why, wlen, "malformed capability report ('%s' missing or not a boolean)",
                     bools[i]);
            return -1;
        }
    for (i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        v = json_object_get(r, ints[i]);
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            snprintf(why, wlen, "malformed capability report ('%s' missing or not a "
                     "non-negative integer)", ints[i]);
            return -1;
        }
    }
    if (!json_is_string(json_object_get(r, "build")) ||
        !json_is_string(json_object_get(r, "cipher_plugin"))) {
        snprintf(why, wlen, "malformed capability report ('build' or 'cipher_plugin' "
                 "missing or not a string)");
        return -1;
    }
    if (!is_string_array(json_object_get(r, "reasons"), 64, 0) ||
        !is_string_array(json_object_get(r, "suites"), CAP_SUITES_MAX, 1)) {
        snprintf(why, wlen, "malformed capability report ('reasons' or 'suites' missing "
                 "or not a list of names)");
        return -1;
    }
    if ((uint64_t)json_integer_value(json_object_get(r, "id")) != id) {
        snprintf(why, wlen, "malformed capability report (it names node %lld)",
                 (long long)json_integer_value(json_object_get(r, "id")));
        return -1;
    }
    if (json_integer_value(json_object_get(r, "local_epoch")) > (json_int_t)SKV_LOCAL_EPOCH_MAX) {
        snprintf(why, wlen, SKV_ERRNAME_EPOCH_RANGE ": local_epoch %lld above %u",
                 (long long)json_integer_value(json_object_get(r, "local_epoch")),
                 SKV_LOCAL_EPOCH_MAX);
        return -1;
    }
    return 0;
}

/* Parse a peer's CAP_RESP json into p (CAP_ANSWERED or CAP_FAILED). */
static void peer_take_report(struct cap_peer *p, const struct skv_ctl_simple *m)
{
    json_error_t je;
    json_t *r;
    if (m->rc != SKV_OK) {
        p->state = CAP_FAILED;
        snprintf(p->why, sizeof p->why, "probe failed on the node (rc %d)", (int)m->rc);
        return;
    }
    if (m->json.len == 0 || m->json.len > CAP_REPORT_MAX) {
        p->state = CAP_FAILED;
        snprintf(p->why, sizeof p->why, "malformed capability report (%s)",
                 m->json.len ? "too large" : "empty");
        return;
    }
    r = json_loadb((const char *)m->json.p, m->json.len, JSON_REJECT_DUPLICATES, &je);
    if (!r || !json_is_object(r)) {
        json_decref(r);
        p->state = CAP_FAILED;
        snprintf(p->why, sizeof p->why, "malformed capability report (not a JSON object)");
        return;
    }
    if (report_check(r, p->id, p->why, sizeof p->why) != 0) {
        json_decref(r);
        p->state = CAP_FAILED;
        return;
    }
    p->report = r;
    p->state = CAP_ANSWERED;
}

static int has_suite(const json_t *suites, const char *suite)
{
    size_t i;
    for (i = 0; i < json_array_size(suites); i++)
        if (strcmp(json_string_value(json_array_get(suites, i)), suite) == 0)
            return 1;
    return 0;
}

/* The peer's own reasons, quoted and bounded. */
static void quote_reasons(const json_t *reasons, char *out, size_t outlen)
{
    struct cap_sb b = {NULL, 0, 0, 0};
    size_t i, n = json_array_size(reasons);
    for (i = 0; i < n && i < CAP_REASONS_MAX; i++) {
        char one[CAP_REASON_MAX];
        sanitize(json_string_value(json_array_get(reasons, i)), one, sizeof one);
        sb_printf(&b, "%s%s", i ? ", " : "", one);
    }
    if (n > CAP_REASONS_MAX)
        sb_printf(&b, ", ...");
    if (b.oom || b.len == 0)
        snprintf(out, outlen, "not capable%s", b.oom ? "" : " (no reason given)");
    else
        sanitize(b.p, out, outlen);
    free(b.p);
}

/* 1 if capable for `suite`; else 0 with the reason in out. */
static int verdict(const struct cap_fanout *f, const struct cap_peer *p,
                   const char *unanswered, char *out, size_t outlen)
{
    const json_t *r = p->report;
    json_int_t major, minor;
    char build[64];
    if (p->state == CAP_WAITING) {
        if (unanswered)
            snprintf(out, outlen, "%s", unanswered);
        else
            snprintf(out, outlen, "unreachable (no answer within %u ms)", f->timeout_ms);
        return 0;
    }
    if (p->state == CAP_FAILED) {
        snprintf(out, outlen, "%s", p->why);
        return 0;
    }
    major = json_integer_value(json_object_get(r, "abi_major"));
    minor = json_integer_value(json_object_get(r, "abi_minor"));
    sanitize(json_string_value(json_object_get(r, "build")), build, sizeof build);
    if (major != SKV_ABI_MAJOR) {
        snprintf(out, outlen, "ABI/build too %s: plugin ABI %lld.%lld, build %s "
                 "(this node: ABI %d.%d, build %s)", major < SKV_ABI_MAJOR ? "old" : "new",
                 (long long)major, (long long)minor, build, SKV_ABI_MAJOR, SKV_ABI_MINOR,
                 PACKAGE_VERSION);
        return 0;
    }
    if (!json_is_true(json_object_get(r, "capable"))) {
        quote_reasons(json_object_get(r, "reasons"), out, outlen);
        return 0;
    }
    if (f->suite && !has_suite(json_object_get(r, "suites"), f->suite)) {
        snprintf(out, outlen, "does not support suite %s", f->suite);
        return 0;
    }
    if (!f->suite && json_array_size(json_object_get(r, "suites")) == 0) {
        snprintf(out, outlen, "does not support any suite");
        return 0;
    }
    return 1;
}

/* One summary row (NULL on OOM). */
static json_t *summary_row(const struct cap_peer *p, int capable, const char *reason)
{
    json_t *suites = json_array(), *epoch = json_null();
    char addr[SKV_WIRE_MAX_ADDRESS + 4];
    if (p->report) {
        const json_t *s = json_object_get(p->report, "suites");
        size_t i;
        for (i = 0; suites && i < json_array_size(s); i++)
            if (json_array_append(suites, json_array_get(s, i)) != 0) {
                json_decref(suites);
                suites = NULL;
            }
        json_decref(epoch);
        epoch = json_integer(json_integer_value(json_object_get(p->report, "local_epoch")));
    }
    if (!suites || !epoch) {
        json_decref(suites);
        json_decref(epoch);
        return NULL;
    }
    if (p->address)
        sanitize(p->address, addr, sizeof addr);
    return json_pack("{s:I,s:s?,s:s,s:b,s:s?,s:o,s:o}", "id", (json_int_t)p->id,
                     "address", p->address ? addr : NULL, "role", role_name(p->role),
                     "capable", capable, "reason", capable ? NULL : reason,
                     "local_epoch", epoch, "suites", suites);
}

/* ---- fan-out lifecycle ------------------------------------------------ */

static void fanout_free(struct cap_fanout *f)
{
    size_t i;
    for (i = 0; i < f->n_peers; i++) {
        free(f->peers[i].address);
        json_decref(f->peers[i].report);
    }
    free(f->peers);
    free(f->suite);
    free(f);
}

/* Judge every peer, call the callback once, free f (already unlinked).
 * `unanswered`: reason for peers still waiting (NULL: the timeout). */
static void fanout_complete(struct skv_node *n, struct cap_fanout *f, const char *unanswered)
{
    struct cap_sb msg = {NULL, 0, 0, 0};
    json_t *summary = json_array();
    size_t i, bad = 0;
    int ok;
    for (i = 0; i < f->n_peers; i++) {
        const struct cap_peer *p = &f->peers[i];
        char reason[600];
        json_t *row;
        int capable = verdict(f, p, unanswered, reason, sizeof reason);
        row = summary_row(p, capable, reason);
        if (!row || json_array_append_new(summary, row) != 0)
            msg.oom = 1;
        if (capable)
            continue;
        sb_printf(&msg, "%snode %llu (%s): %s", bad++ ? "; " : "ErrCapabilityCheckFailed: ",
                  (unsigned long long)p->id, p->address ? p->address : "no address", reason);
    }
    if (f->n_peers == 0)
        sb_printf(&msg, "ErrCapabilityCheckFailed: no nodes to probe");
    ok = bad == 0 && f->n_peers > 0 && !msg.oom && summary && !unanswered;
    if (unanswered && !msg.oom) {
        msg.len = 0;
        sb_printf(&msg, "ErrCapabilityCheckFailed: %s", unanswered);
    }
    if (ok) {
        msg.len = 0;
        sb_printf(&msg, "capability check passed: %zu node%s capable%s%s", f->n_peers,
                  f->n_peers == 1 ? "" : "s", f->suite ? " of suite " : "",
                  f->suite ? f->suite : "");
    }
    if (!ok)
        skv_node_log(n, SKV_LOG_WARN, "capability check %llu: %s", (unsigned long long)f->track.id,
                     msg.oom ? "out of memory" : msg.p);
    f->cb(n, f->arg, ok && !msg.oom, summary,
          msg.oom ? "ErrCapabilityCheckFailed: out of memory" : msg.p);
    json_decref(summary);
    free(msg.p);
    fanout_free(f);
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

void skv_cap_fanout(struct skv_node *n, const char *suite,
                    const struct skv_cap_target *extra, size_t n_extra,
                    skv_cap_done_fn cb, void *arg)
{
    struct cap_fanout *f = calloc(1, sizeof *f);
    if (!f || (suite && !(f->suite = strdup(suite))) ||
        peers_collect(n, f, extra, n_extra) != 0) {
        json_t *empty = json_array();
        if (f)
            fanout_free(f);
        cb(n, arg, 0, empty, "ErrCapabilityCheckFailed: out of memory");
        json_decref(empty);
        return;
    }
    f->cb = cb;
    f->arg = arg;
    f->track.id = skv_tracker_next_id(&n->caps_pending);
    f->timeout_ms = n->conf->election_timeout_ms;
    if (n->stopping) {
        fanout_complete(n, f, "node is shutting down");
        return;
    }
    probe_all(n, f);
    f->sent_ms = uv_now(&n->loop);
    skv_node_log(n, SKV_LOG_DEBUG, "capability check %llu: probing %zu node(s), %zu by frame",
                 (unsigned long long)f->track.id, f->n_peers, f->n_waiting);
    if (f->n_waiting == 0) {
        fanout_complete(n, f, NULL);
        return;
    }
    skv_tracker_add(&n->caps_pending, &f->track, f->track.id, 0, 0, uv_now(&n->loop),
                    f->timeout_ms);
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
    peer_take_report(p, m);
    f->n_waiting--;
    if (f->n_waiting == 0) {
        skv_tracker_del(&f->track);
        fanout_complete(n, f, NULL);
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

void skv_cap_expire(struct skv_node *n, uint64_t now_ms)
{
    struct skv_list *r;
    struct skv_tracked *e;
    enum skv_track_end end;
    for (r = n->caps_pending.live.next; r != &n->caps_pending.live; r = r->next) {
        struct cap_fanout *f = skv_container_of(r, struct cap_fanout, track.link);
        if (f->track.deadline_ms > now_ms && now_ms - f->sent_ms >= CAP_RESEND_MS)
            resend_waiting(n, f, now_ms);
    }
    /* one at a time: the callback may start another fan-out (its
     * deadline lies in the future) */
    while ((e = skv_tracker_take_due(&n->caps_pending, now_ms, 0, &end)))
        fanout_complete(n, skv_container_of(e, struct cap_fanout, track), NULL);
}

void skv_cap_fail_all(struct skv_node *n)
{
    /* n->stopping is set: a callback cannot queue a new fan-out */
    struct skv_tracked *e;
    while ((e = skv_tracker_pop(&n->caps_pending)))
        fanout_complete(n, skv_container_of(e, struct cap_fanout, track),
                        "node is shutting down");
}

/* ---- answering a probe ------------------------------------------------ */

/* Where to send the answer: the configured address of `from` when it is
 * a member (no frame may redirect traffic for a member), else the
 * request's reply_to (a node waiting to be added knows no one yet). 0, or
 * -1 with the problem in why. */
static int reply_address(struct skv_node *n, uint64_t from, const struct skv_ctl_simple *m,
                         char *out, size_t outlen, char *why, size_t wlen)
{
    json_error_t je;
    json_t *o = NULL, *v = NULL;
    const char *cfg = config_address(n, from);
    if (cfg && strlen(cfg) < outlen) {
        snprintf(out, outlen, "%s", cfg);
        return 0;
    }
    if (m->json.len) {
        o = json_loadb((const char *)m->json.p, m->json.len, JSON_REJECT_DUPLICATES, &je);
        if (!o || !json_is_object(o)) {
            json_decref(o);
            snprintf(why, wlen, "request is not a JSON object");
            return -1;
        }
        v = json_object_get(o, "reply_to");
    }
    if (v) {
        const char *s = json_is_string(v) ? json_string_value(v) : NULL;
        size_t i, len = s ? json_string_length(v) : 0;
        int bad = !s || len == 0 || len >= outlen || len > SKV_WIRE_MAX_ADDRESS;
        for (i = 0; !bad && i < len; i++)
            bad = (unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7F;
        if (!bad)
            memcpy(out, s, len + 1);
        json_decref(o);
        if (bad)
            snprintf(why, wlen, "'reply_to' is not a host:port string");
        return bad ? -1 : 0;
    }
    json_decref(o);
    snprintf(why, wlen, "no 'reply_to' and the sender is not in the configuration");
    return -1;
}

void skv_cap_on_req(struct skv_node *n, uint64_t from, const struct skv_ctl_simple *m)
{
    char addr[SKV_WIRE_MAX_ADDRESS + 1], why[128];
    struct skv_buf b = {NULL, 0, 0};
    struct skv_ctl_simple r;
    json_t *rep;
    char *s;
    if (from == 0 || reply_address(n, from, m, addr, sizeof addr, why, sizeof why) != 0) {
        skv_node_log(n, SKV_LOG_WARN, "malformed capability probe %llu from %llu dropped: %s",
                     (unsigned long long)m->req_id, (unsigned long long)from,
                     from == 0 ? "no sender id" : why);
        return;
    }
    rep = skv_cap_report(n);
    s = rep ? json_dumps(rep, JSON_COMPACT) : NULL;
    json_decref(rep);
    memset(&r, 0, sizeof r);
    r.req_id = m->req_id;
    r.rc = s ? SKV_OK : SKV_ERR_NOMEM;
    r.json.p = (const uint8_t *)s;
    r.json.len = s ? strlen(s) : 0;
    if (skv_wire_encode_ctl(&b, n->conf->node_id, SKV_FRAME_CAP_RESP, &r) != 0)
        skv_node_log(n, SKV_LOG_WARN, "capability answer %llu to %llu: cannot encode",
                     (unsigned long long)m->req_id, (unsigned long long)from);
    else
        (void)skv_node_send(n, from, addr, b.p, b.len);   /* logs on failure */
    skv_buf_free(&b);
    free(s);
}

/* ---- ops -------------------------------------------------------------- */

static void reply_object(struct skv_op *op, json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s) {
        skv_op_reply_error(op, SKV_ERR_NOMEM, 500, "ErrNoMemory", 0, "out of memory");
        return;
    }
    skv_op_reply_json(op, 200, s);
    free(s);
}

void skv_op_enc_capability(struct skv_op *op)
{
    reply_object(op, skv_cap_report(op->node));
}

void skv_op_enc_sidecar(struct skv_op *op)
{
    struct skv_node *n = op->node;
    json_t *sc = json_null();
    if (n->enc.sc_present) {
        struct skv_err e = {0, ""};
        json_error_t je;
        char *txt = NULL;
        size_t len = 0;
        json_decref(sc);
        if (skv_sidecar_to_json(&n->enc.sc, &txt, &len, &e) != SKV_OK) {
            skv_op_reply_error(op, e.code ? e.code : SKV_ERR_INTERNAL, 500, "ErrSidecarInvalid",
                               0, "cannot serialise the sidecar: %s", e.msg);
            return;
        }
        sc = json_loadb(txt, len, 0, &je);
        free(txt);
        if (!sc) {
            skv_op_reply_error(op, SKV_ERR_INTERNAL, 500, "ErrInternal", 0,
                               "sidecar JSON does not parse back: %s", je.text);
            return;
        }
    }
    reply_object(op, json_pack("{s:b,s:o}", "present", n->enc.sc_present != 0, "sidecar", sc));
}
