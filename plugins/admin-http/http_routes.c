/* SPDX-License-Identifier: MIT */
/*
 * http_routes.c — owns the URL + method → admin op mapping (DESIGN.md §6).
 * Fixed path segments are matched on the raw target, so an encoded '/'
 * (%2F) can never change which route matches; only the variable part (a
 * key or a member id) and the query are percent-decoded, strictly. Each
 * method of a path lists the query parameters it accepts (anything else
 * is a 400 naming the parameter, http_query.c); the health paths are
 * marked open (no credentials) and /v1/health local (the plugin answers).
 */
#include "http_routes.h"
#include "http_errors.h"
#include "http_query.h"

#include <stdio.h>
#include <string.h>

#include <sealkv/plugin.h>

enum shape {
    SHAPE_EXACT,       /* path == prefix */
    SHAPE_KEY,         /* prefix "/" key-rest (any bytes, '/' allowed) */
    SHAPE_ID,          /* prefix "/" id */
    SHAPE_ID_PROMOTE   /* prefix "/" id "/promote" */
};

/* ---- query parameters (http_query.h) ---------------------------------- */

/* consistency=local: a local read on any node (default: linearizable) */
static const char *take_consistency(const char *v, size_t len, int has_value,
                                    struct skv_http_route *out)
{
    if (!has_value || len != 5 || memcmp(v, "local", 5) != 0)
        return "must be 'local' when given";
    out->flags |= SKV_ADMIN_F_LOCAL_READ;
    return NULL;
}

/* max_lag=N: readiness bound, 0..10^12 entries, passed as the argument */
static const char *take_max_lag(const char *v, size_t len, int has_value,
                                struct skv_http_route *out)
{
    size_t i;
    if (!has_value || len == 0 || len > 13)
        return "must be a decimal number of entries, 0..1000000000000";
    for (i = 0; i < len; i++)
        if (v[i] < '0' || v[i] > '9')
            return "must be a decimal number of entries, 0..1000000000000";
    if (len == 13 && memcmp(v, "1000000000000", 13) > 0)
        return "must be a decimal number of entries, 0..1000000000000";
    out->arg = v;
    out->arg_len = len;
    return NULL;
}

/* prefix=P: the listed keys start with P (any bytes; empty: every key) */
static const char *take_prefix(const char *v, size_t len, int has_value,
                               struct skv_http_route *out)
{
    if (!has_value)
        len = 0;             /* a bare "prefix": v may point past the target */
    if (len > SKV_HTTP_MAX_KEY)
        return "must be at most 4096 bytes";
    out->arg = len ? v : NULL; /* empty: every key (an argument is never empty) */
    out->arg_len = len;
    return NULL;
}

/* after=K: list the keys after K (exclusive), to page */
static const char *take_after(const char *v, size_t len, int has_value,
                              struct skv_http_route *out)
{
    if (!has_value || len == 0 || len > SKV_HTTP_MAX_KEY)
        return "must be a key of 1..4096 bytes";
    out->body_arg = v;
    out->body_arg_len = len;
    return NULL;
}

/* limit=L: 1..10000 entries */
static const char *take_limit(const char *v, size_t len, int has_value,
                              struct skv_http_route *out)
{
    uint32_t l = 0;
    size_t i;
    if (!has_value || len == 0 || len > 5)
        return "must be a decimal number, 1..10000";
    for (i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return "must be a decimal number, 1..10000";
        l = l * 10 + (uint32_t)(v[i] - '0');
    }
    if (l < 1 || l > 10000)
        return "must be a decimal number, 1..10000";
    out->limit = l;
    return NULL;
}

/* keys_only, keys_only=true or keys_only=false */
static const char *take_keys_only(const char *v, size_t len, int has_value,
                                  struct skv_http_route *out)
{
    if (!has_value || (len == 4 && memcmp(v, "true", 4) == 0))
        out->keys_only = 1;
    else if (len == 5 && memcmp(v, "false", 5) == 0)
        out->keys_only = 0;
    else
        return "must be 'true' or 'false'";
    return NULL;
}

/* from_index=N: watch the changes after index N (decimal, < 2^63) */
static const char *take_from_index(const char *v, size_t len, int has_value,
                                   struct skv_http_route *out)
{
    uint64_t n = 0;
    size_t i;
    if (!has_value || len == 0 || len > 19)
        return "must be a decimal index, 0..9223372036854775807";
    for (i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return "must be a decimal index, 0..9223372036854775807";
        n = n * 10 + (uint64_t)(v[i] - '0'); /* 19 digits cannot wrap */
    }
    if (n > INT64_MAX)
        return "must be a decimal index, 0..9223372036854775807";
    out->from_index = n;
    out->has_from = 1;
    return NULL;
}

/* offset=N: a backup's byte offset (decimal, < 2^63) */
static const char *take_offset(const char *v, size_t len, int has_value,
                               struct skv_http_route *out)
{
    static const char *const msg = "must be a decimal byte offset, 0..9223372036854775807";
    uint64_t n = 0;
    size_t i;
    if (!has_value || len == 0 || len > 19)
        return msg;
    for (i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return msg;
        n = n * 10 + (uint64_t)(v[i] - '0'); /* 19 digits cannot wrap */
    }
    if (n > INT64_MAX)
        return msg;
    out->offset = n;
    return NULL;
}

/* prev_index=N: compare-and-swap on the mod index, 0..2^62 */
static const char *take_prev_index(const char *v, size_t len, int has_value,
                                   struct skv_http_route *out)
{
    static const char *const msg = "must be a decimal index, 0..4611686018427387904";
    uint64_t n = 0;
    size_t i;
    if (out->cond != SKV_HTTP_COND_NONE)
        return "excludes prev_exist";
    if (!has_value || len == 0 || len > 19)
        return msg;
    for (i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return msg;
        n = n * 10 + (uint64_t)(v[i] - '0');
    }
    if (n > (1ull << 62))
        return msg;
    out->cond = SKV_HTTP_COND_INDEX;
    out->prev_index = n;
    return NULL;
}

/* prev_exist=true|false: replace only / create only */
static const char *take_prev_exist(const char *v, size_t len, int has_value,
                                   struct skv_http_route *out)
{
    if (out->cond != SKV_HTTP_COND_NONE)
        return "excludes prev_index";
    if (has_value && len == 4 && memcmp(v, "true", 4) == 0)
        out->cond = SKV_HTTP_COND_PRESENT;
    else if (has_value && len == 5 && memcmp(v, "false", 5) == 0)
        out->cond = SKV_HTTP_COND_ABSENT;
    else
        return "must be 'true' or 'false'";
    return NULL;
}

const char *skv_http_route_cond_json(const struct skv_http_route *r, char *buf, size_t len)
{
    switch (r->cond) {
    case SKV_HTTP_COND_INDEX:
        snprintf(buf, len, "{\"prev_index\":%llu}", (unsigned long long)r->prev_index);
        return buf;
    case SKV_HTTP_COND_ABSENT:
        snprintf(buf, len, "{\"prev_exist\":false}");
        return buf;
    case SKV_HTTP_COND_PRESENT:
        snprintf(buf, len, "{\"prev_exist\":true}");
        return buf;
    default:
        return NULL;
    }
}

static const struct skv_http_param P_CONSISTENCY = {"consistency", take_consistency};
static const struct skv_http_param P_PREFIX = {"prefix", take_prefix};
static const struct skv_http_param P_AFTER = {"after", take_after};
static const struct skv_http_param P_LIMIT = {"limit", take_limit};
static const struct skv_http_param P_KEYS_ONLY = {"keys_only", take_keys_only};
static const struct skv_http_param P_FROM_INDEX = {"from_index", take_from_index};
static const struct skv_http_param *const Q_WATCH[] = {&P_PREFIX, &P_FROM_INDEX, NULL};
static const struct skv_http_param *const Q_KV_LIST[] = {
    &P_PREFIX, &P_AFTER, &P_LIMIT, &P_KEYS_ONLY, &P_CONSISTENCY, NULL};
static const struct skv_http_param P_PREV_INDEX = {"prev_index", take_prev_index};
static const struct skv_http_param P_PREV_EXIST = {"prev_exist", take_prev_exist};
static const struct skv_http_param *const Q_KV_PUT[] = {&P_PREV_INDEX, &P_PREV_EXIST, NULL};
static const struct skv_http_param *const Q_KV_DEL[] = {&P_PREV_INDEX, NULL};
static const struct skv_http_param P_MAX_LAG = {"max_lag", take_max_lag};
static const struct skv_http_param *const Q_KV_GET[] = {&P_CONSISTENCY, NULL};
static const struct skv_http_param *const Q_READY[] = {&P_MAX_LAG, NULL};
static const struct skv_http_param P_OFFSET = {"offset", take_offset};
static const struct skv_http_param *const Q_SNAP_READ[] = {&P_OFFSET, NULL};

/* ---- the table --------------------------------------------------------- */

struct method_op {
    const char *method;
    const char *op;
    enum skv_http_body_kind body;
    const struct skv_http_param *const *query; /* NULL: no parameter */
};

enum { AUTH = 0, OPEN = 1, OPEN_LOCAL = 3 };  /* bit 0 open, bit 1 local */

struct rule {
    const char *path;
    const char *name;        /* template, for messages and metrics */
    enum shape shape;
    int access;
    const char *allow;
    struct method_op m[3];
};

static const struct rule rules[] = {
    {"/v1/status", "/v1/status", SHAPE_EXACT, AUTH, "GET",
     {{"GET", "status", SKV_HTTP_BODY_NONE, NULL}}},
    {"/metrics", "/metrics", SHAPE_EXACT, AUTH, "GET",
     {{"GET", "metrics", SKV_HTTP_BODY_NONE, NULL}}},
    {"/v1/kv", "/v1/kv", SHAPE_EXACT, AUTH, "GET",
     {{"GET", "kv.list", SKV_HTTP_BODY_NONE, Q_KV_LIST}}},
    {"/v1/kv", "/v1/kv/{key}", SHAPE_KEY, AUTH, "GET, PUT, DELETE",
     {{"GET", "kv.get", SKV_HTTP_BODY_NONE, Q_KV_GET},
      {"PUT", "kv.put", SKV_HTTP_BODY_RAW, Q_KV_PUT},
      {"DELETE", "kv.del", SKV_HTTP_BODY_NONE, Q_KV_DEL}}},
    {"/v1/watch", "/v1/watch", SHAPE_EXACT, AUTH, "GET",
     {{"GET", "watch.poll", SKV_HTTP_BODY_NONE, Q_WATCH}}},
    {"/v1/txn", "/v1/txn", SHAPE_EXACT, AUTH, "POST",
     {{"POST", "kv.txn", SKV_HTTP_BODY_JSON, NULL}}},
    {"/v1/encryption/capability", "/v1/encryption/capability", SHAPE_EXACT, AUTH, "GET",
     {{"GET", "encryption.capability", SKV_HTTP_BODY_NONE, NULL}}},
    {"/v1/encryption/sidecar", "/v1/encryption/sidecar", SHAPE_EXACT, AUTH, "GET",
     {{"GET", "encryption.sidecar", SKV_HTTP_BODY_NONE, NULL}}},
    {"/v1/encryption/enable-storage-envelope", "/v1/encryption/enable-storage-envelope",
     SHAPE_EXACT, AUTH, "POST",
     {{"POST", "encryption.enable-storage-envelope", SKV_HTTP_BODY_JSON_OPT, NULL}}},
    {"/v1/encryption/enable-raft-envelope", "/v1/encryption/enable-raft-envelope",
     SHAPE_EXACT, AUTH, "POST",
     {{"POST", "encryption.enable-raft-envelope", SKV_HTTP_BODY_JSON_OPT, NULL}}},
    {"/v1/encryption/rotate-dek", "/v1/encryption/rotate-dek", SHAPE_EXACT, AUTH, "POST",
     {{"POST", "encryption.rotate-dek", SKV_HTTP_BODY_JSON_OPT, NULL}}},
    {"/v1/encryption/retire", "/v1/encryption/retire", SHAPE_EXACT, AUTH, "POST",
     {{"POST", "encryption.retire", SKV_HTTP_BODY_JSON, NULL}}},
    {"/v1/encryption/seal-key-names", "/v1/encryption/seal-key-names", SHAPE_EXACT, AUTH,
     "POST", {{"POST", "encryption.seal-key-names", SKV_HTTP_BODY_JSON_OPT, NULL}}},
    {"/v1/encryption/rewrap-kek", "/v1/encryption/rewrap-kek", SHAPE_EXACT, AUTH, "POST",
     {{"POST", "encryption.rewrap-kek", SKV_HTTP_BODY_JSON, NULL}}},
    {"/v1/encryption/erase-cleartext", "/v1/encryption/erase-cleartext", SHAPE_EXACT,
     AUTH, "POST",
     {{"POST", "encryption.erase-cleartext", SKV_HTTP_BODY_JSON_OPT, NULL}}},
    {"/v1/cluster/members", "/v1/cluster/members", SHAPE_EXACT, AUTH, "GET, POST",
     {{"GET", "members.list", SKV_HTTP_BODY_NONE, NULL},
      {"POST", "members.add", SKV_HTTP_BODY_JSON, NULL}}},
    /* backups (admin/backup.h in the core): open, read by offset, close */
    {"/v1/snapshot", "/v1/snapshot", SHAPE_EXACT, AUTH, "POST",
     {{"POST", "snapshot.open", SKV_HTTP_BODY_JSON_OPT, NULL}}},
    {"/v1/snapshot", "/v1/snapshot/{id}", SHAPE_ID, AUTH, "GET, DELETE",
     {{"GET", "snapshot.read", SKV_HTTP_BODY_NONE, Q_SNAP_READ},
      {"DELETE", "snapshot.close", SKV_HTTP_BODY_NONE, NULL}}},
    {"/v1/cluster/members", "/v1/cluster/members/{id}", SHAPE_ID, AUTH, "DELETE",
     {{"DELETE", "members.remove", SKV_HTTP_BODY_NONE, NULL}}},
    {"/v1/cluster/members", "/v1/cluster/members/{id}/promote", SHAPE_ID_PROMOTE, AUTH,
     "POST", {{"POST", "members.promote", SKV_HTTP_BODY_NONE, NULL}}},
    /* health: open by design (docs/SECURITY.md); /v1/health never asks
     * the core, /healthz and /readyz are answered by the node's loop */
    {"/v1/health", "/v1/health", SHAPE_EXACT, OPEN_LOCAL, "GET, HEAD",
     {{"GET", "health", SKV_HTTP_BODY_NONE, NULL}}},
    {"/healthz", "/healthz", SHAPE_EXACT, OPEN, "GET, HEAD",
     {{"GET", "health", SKV_HTTP_BODY_NONE, NULL}}},
    {"/readyz", "/readyz", SHAPE_EXACT, OPEN, "GET, HEAD",
     {{"GET", "ready", SKV_HTTP_BODY_NONE, Q_READY}}},
};
#define N_RULES (sizeof rules / sizeof rules[0])

int skv_http_route_count(void)
{
    return (int)N_RULES;
}

const char *skv_http_route_name(int i)
{
    return i >= 0 && i < (int)N_RULES ? rules[i].name : NULL;
}

static int fail(struct skv_http_route *out, enum skv_http_err id,
                const char *message)
{
    const struct skv_http_err_info *e = skv_http_err_info(id);
    out->status = (int)e->status;
    out->op = NULL;
    out->arg = NULL;
    out->arg_len = 0;
    out->error = e->name;
    out->message = message;
    return out->status;
}

static int bad_request(struct skv_http_route *out, const char *message)
{
    return fail(out, SKV_HTTP_ErrBadRequest, message);
}

/* Does raw path p[0..n) match rule r? Sets *var and *var_len to the raw
 * variable part (key or id) for the non-exact shapes. */
static int path_matches(const struct rule *r, const char *p, size_t n,
                        const char **var, size_t *var_len)
{
    size_t plen = strlen(r->path);
    const char *rest, *slash;
    size_t rlen;

    if (n < plen || memcmp(p, r->path, plen) != 0)
        return 0;
    if (r->shape == SHAPE_EXACT)
        return n == plen;
    if (n == plen) {          /* "/v1/kv" with no key at all */
        *var = p + plen;
        *var_len = 0;
        return r->shape == SHAPE_KEY;
    }
    if (p[plen] != '/')
        return 0;
    rest = p + plen + 1;
    rlen = n - plen - 1;
    if (r->shape == SHAPE_KEY) {
        *var = rest;
        *var_len = rlen;
        return 1;
    }
    slash = memchr(rest, '/', rlen);
    *var = rest;
    if (r->shape == SHAPE_ID) {
        *var_len = rlen;
        return slash == NULL;
    }
    if (!slash)
        return 0;
    *var_len = (size_t)(slash - rest);
    return rlen - *var_len == sizeof "/promote" - 1 &&
           memcmp(slash, "/promote", sizeof "/promote" - 1) == 0;
}

/* A member id: 1..20 decimal digits, > 0, fits in a u64. */
static int valid_id(const char *s, size_t n)
{
    uint64_t v = 0;
    size_t i;
    if (n == 0 || n > 20)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9')
            return 0;
        d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    return v > 0;
}

/* Decode and check the variable part into scratch + off. */
static int take_var(const struct rule *r, const char *var, size_t var_len,
                    char *dst, struct skv_http_route *out)
{
    long len = skv_http_pct_decode(var, var_len, dst, 0);
    if (len < 0)
        return bad_request(out, "malformed percent-encoding in path");
    if (r->shape == SHAPE_KEY && len == 0)
        return bad_request(out, "empty key: expected /v1/kv/{key}");
    if ((r->shape == SHAPE_ID || r->shape == SHAPE_ID_PROMOTE) &&
        !valid_id(dst, (size_t)len))
        return bad_request(out, strncmp(r->path, "/v1/snapshot", 12) == 0
                                    ? "backup id must be a positive decimal integer"
                                    : "member id must be a positive decimal integer");
    out->arg = dst;
    out->arg_len = (size_t)len;
    return 0;
}

/* The matched method of rule r: path variable, then the query. */
static int take_request(const struct rule *r, const struct method_op *m,
                        const char *target, size_t target_len, size_t plen,
                        const char *var, size_t var_len, char *scratch,
                        struct skv_http_route *out)
{
    char what[96];
    out->op = m->op;
    out->body = m->body;
    if (r->shape != SHAPE_EXACT &&
        take_var(r, var, var_len, scratch + (size_t)(var - target), out))
        return out->status;
    if (plen < target_len) {
        snprintf(what, sizeof what, "%s %s", m->method, r->name);
        if (skv_http_query_parse(target, plen + 1, target_len, scratch, m->query,
                                 what, out))
            return out->status;
    }
    if (m->query == Q_WATCH) { /* the first poll answers at once (watch.h) */
        out->stream = 1;
        if (out->has_from)
            snprintf(out->json, sizeof out->json, "{\"from_index\":%llu,\"wait_ms\":0}",
                     (unsigned long long)out->from_index);
        else
            snprintf(out->json, sizeof out->json, "{\"wait_ms\":0}");
    }
    if (m->query == Q_SNAP_READ) /* what the core's snapshot.read reads */
        snprintf(out->json, sizeof out->json, "{\"offset\":%llu}",
                 (unsigned long long)out->offset);
    if (m->query == Q_KV_LIST) /* what the core's kv.list reads (kv_list.c) */
        snprintf(out->json, sizeof out->json, "{\"limit\":%u,\"keys_only\":%s}",
                 out->limit ? out->limit : 1000u, out->keys_only ? "true" : "false");
    return 0;
}

int skv_http_route_match(const char *method, const char *target,
                         size_t target_len, char *scratch,
                         size_t scratch_len, struct skv_http_route *out)
{
    const char *q;
    size_t plen, i, k;

    memset(out, 0, sizeof *out);
    out->rule = -1;
    if (!method)
        method = "";
    if (!target || scratch_len < target_len || (target_len && !scratch))
        return bad_request(out, "malformed request target");
    q = memchr(target, '?', target_len);
    plen = q ? (size_t)(q - target) : target_len;
    for (i = 0; i < N_RULES; i++) {
        const struct rule *r = &rules[i];
        const char *var = NULL;
        size_t var_len = 0;
        if (!path_matches(r, target, plen, &var, &var_len))
            continue;
        out->rule = (int)i;
        out->open = (r->access & OPEN) != 0;
        out->local = (r->access & OPEN_LOCAL) == OPEN_LOCAL;
        out->allow = r->allow;
        /* HEAD on the open probes is their GET (libmicrohttpd sends no
         * body for HEAD): load balancers and curl -I probe that way */
        if (out->open && strcmp(method, "HEAD") == 0)
            method = "GET";
        for (k = 0; k < 3 && r->m[k].method; k++)
            if (strcmp(method, r->m[k].method) == 0)
                break;
        if (k == 3 || !r->m[k].method)
            return fail(out, SKV_HTTP_ErrMethodNotAllowed,
                        "method not allowed on this path");
        return take_request(r, &r->m[k], target, target_len, plen, var,
                            var_len, scratch, out);
    }
    return fail(out, SKV_HTTP_ErrNotFound, "no such endpoint");
}
