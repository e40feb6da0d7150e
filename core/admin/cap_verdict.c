/* SPDX-License-Identifier: MIT */
/*
 * cap_verdict.c — the capability fan-out's judgement (cap_fanout.h): a
 * peer's CAP_RESP report is untrusted — its size is bounded, every member
 * is type-checked, strings are bounded and sanitised before they reach a
 * summary or a message; each probed node's verdict (capable, suite,
 * answered in time); the fan-out's completion: summary, message, the
 * callback exactly once, the record freed. Loop thread only.
 */
#include "admin/cap_fanout.h"
#include "util/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sealkv/plugin.h>

#include "build-config.h"

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
    if (json_object_get(r, "kek_ids") && /* optional: older builds lack it */
        !is_string_array(json_object_get(r, "kek_ids"), CAP_KEK_IDS_MAX, 0)) {
        snprintf(why, wlen, "malformed capability report ('kek_ids' not a list of ids)");
        return -1;
    }
    if (json_object_get(r, "features") && /* optional: older builds lack it */
        !is_string_array(json_object_get(r, "features"), CAP_FEATURES_MAX, 0)) {
        snprintf(why, wlen, "malformed capability report ('features' not a list of names)");
        return -1;
    }
    if ((uint64_t)json_integer_value(json_object_get(r, "id")) != id) {
        snprintf(why, wlen, "malformed capability report (it names node %lld)",
                 (long long)json_integer_value(json_object_get(r, "id")));
        return -1;
    }
    if (json_integer_value(json_object_get(r, "local_epoch")) > (json_int_t)SKV_LOCAL_EPOCH_MAX) {
        snprintf(why, wlen, "%s: local_epoch %lld above %u",
                 skv_error_name(SKV_ErrLocalEpochOutOfRange),
                 (long long)json_integer_value(json_object_get(r, "local_epoch")),
                 SKV_LOCAL_EPOCH_MAX);
        return -1;
    }
    return 0;
}

/* Parse a peer's CAP_RESP json into p (CAP_ANSWERED or CAP_FAILED). */
void skv_cap_take_report(struct cap_peer *p, const struct skv_ctl_simple *m)
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

/* An optional list of strings (report_check bounded it) holding s. */
static int has_string(const json_t *a, const char *s)
{
    size_t i;
    for (i = 0; i < json_array_size(a); i++)
        if (strcmp(json_string_value(json_array_get(a, i)), s) == 0)
            return 1;
    return 0;
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
    if (f->kek_id && !has_string(json_object_get(r, "kek_ids"), f->kek_id)) {
        snprintf(out, outlen, "does not hold KEK id %s (list the new KEK in its "
                 "encryption.previous_kek_files and restart it first)", f->kek_id);
        return 0;
    }
    if (f->feature && !has_string(json_object_get(r, "features"), f->feature)) {
        snprintf(out, outlen, "does not support %s (an older build: upgrade it first)",
                 f->feature);
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

/* ---- completion ------------------------------------------------------- */

const char *skv_cap_oom_message(char *buf, size_t len)
{
    snprintf(buf, len, "%s: out of memory", skv_error_name(SKV_ErrCapabilityCheckFailed));
    return buf;
}

void skv_cap_fanout_free(struct cap_fanout *f)
{
    size_t i;
    for (i = 0; i < f->n_peers; i++) {
        free(f->peers[i].address);
        json_decref(f->peers[i].report);
    }
    free(f->peers);
    free(f->suite);
    free(f->kek_id);
    free(f->feature);
    free(f);
}

/* Judge every peer, call the callback once, free f (already unlinked).
 * `unanswered`: reason for peers still waiting (NULL: the timeout). */
void skv_cap_complete(struct skv_node *n, struct cap_fanout *f, const char *unanswered)
{
    struct cap_sb msg = {NULL, 0, 0, 0};
    json_t *summary = json_array();
    const char *failed = skv_error_name(SKV_ErrCapabilityCheckFailed);
    char oom[96];
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
        sb_printf(&msg, "%s%snode %llu (%s): %s", bad ? "; " : failed, bad ? "" : ": ",
                  (unsigned long long)p->id, p->address ? p->address : "no address", reason);
        bad++;
    }
    if (f->n_peers == 0)
        sb_printf(&msg, "%s: no nodes to probe", failed);
    ok = bad == 0 && f->n_peers > 0 && !msg.oom && summary && !unanswered;
    if (unanswered && !msg.oom) {
        msg.len = 0;
        sb_printf(&msg, "%s: %s", failed, unanswered);
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
          msg.oom ? skv_cap_oom_message(oom, sizeof oom) : msg.p);
    json_decref(summary);
    free(msg.p);
    skv_cap_fanout_free(f);
}
