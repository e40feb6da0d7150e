/* SPDX-License-Identifier: MIT */
/*
 * http_routes.c — owns the URL + method → admin op mapping (DESIGN.md §6).
 * Fixed path segments are matched on the raw target, so an encoded '/'
 * (%2F) can never change which route matches; only the variable part (a
 * key or a member id) and query values are percent-decoded, strictly.
 */
#include "http_routes.h"
#include "http_errors.h"

#include <string.h>

#include <sealkv/plugin.h>

enum shape {
    SHAPE_EXACT,       /* path == prefix */
    SHAPE_KEY,         /* prefix "/" key-rest (any bytes, '/' allowed) */
    SHAPE_ID,          /* prefix "/" id */
    SHAPE_ID_PROMOTE   /* prefix "/" id "/promote" */
};

struct method_op {
    const char *method;
    const char *op;
    enum skv_http_body_kind body;
};

struct rule {
    const char *path;
    enum shape shape;
    const char *allow;
    struct method_op m[3];
};

static const struct rule rules[] = {
    {"/v1/status", SHAPE_EXACT, "GET",
     {{"GET", "status", SKV_HTTP_BODY_NONE}}},
    {"/metrics", SHAPE_EXACT, "GET",
     {{"GET", "metrics", SKV_HTTP_BODY_NONE}}},
    {"/v1/kv", SHAPE_KEY, "GET, PUT, DELETE",
     {{"GET", "kv.get", SKV_HTTP_BODY_NONE},
      {"PUT", "kv.put", SKV_HTTP_BODY_RAW},
      {"DELETE", "kv.del", SKV_HTTP_BODY_NONE}}},
    {"/v1/encryption/capability", SHAPE_EXACT, "GET",
     {{"GET", "encryption.capability", SKV_HTTP_BODY_NONE}}},
    {"/v1/encryption/sidecar", SHAPE_EXACT, "GET",
     {{"GET", "encryption.sidecar", SKV_HTTP_BODY_NONE}}},
    {"/v1/encryption/enable-storage-envelope", SHAPE_EXACT, "POST",
     {{"POST", "encryption.enable-storage-envelope", SKV_HTTP_BODY_JSON_OPT}}},
    {"/v1/encryption/enable-raft-envelope", SHAPE_EXACT, "POST",
     {{"POST", "encryption.enable-raft-envelope", SKV_HTTP_BODY_JSON_OPT}}},
    {"/v1/encryption/rotate-dek", SHAPE_EXACT, "POST",
     {{"POST", "encryption.rotate-dek", SKV_HTTP_BODY_JSON_OPT}}},
    {"/v1/encryption/erase-cleartext", SHAPE_EXACT, "POST",
     {{"POST", "encryption.erase-cleartext", SKV_HTTP_BODY_JSON_OPT}}},
    {"/v1/cluster/members", SHAPE_EXACT, "GET, POST",
     {{"GET", "members.list", SKV_HTTP_BODY_NONE},
      {"POST", "members.add", SKV_HTTP_BODY_JSON}}},
    {"/v1/cluster/members", SHAPE_ID, "DELETE",
     {{"DELETE", "members.remove", SKV_HTTP_BODY_NONE}}},
    {"/v1/cluster/members", SHAPE_ID_PROMOTE, "POST",
     {{"POST", "members.promote", SKV_HTTP_BODY_NONE}}},
};
#define N_RULES (sizeof rules / sizeof rules[0])

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

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Strict percent-decoding of in[0..n) into out (room for n bytes).
 * Returns the decoded length, or -1 on a malformed escape. */
static long pct_decode(const char *in, size_t n, char *out, int plus_space)
{
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= n)
                return -1;
            hi = hexval((unsigned char)in[i + 1]);
            lo = hexval((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_space) {
            out[o++] = ' ';
        } else {
            out[o++] = (char)c;
        }
    }
    return (long)o;
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
    long len = pct_decode(var, var_len, dst, 0);
    if (len < 0)
        return bad_request(out, "malformed percent-encoding in path");
    if (r->shape == SHAPE_KEY && len == 0)
        return bad_request(out, "empty key: expected /v1/kv/{key}");
    if ((r->shape == SHAPE_ID || r->shape == SHAPE_ID_PROMOTE) &&
        !valid_id(dst, (size_t)len))
        return bad_request(out, "member id must be a positive decimal integer");
    out->arg = dst;
    out->arg_len = (size_t)len;
    return 0;
}

/* Scan the query for "consistency": only "local" is accepted. Each pair
 * decodes into scratch at its own raw offset (decoded <= raw). */
static int take_consistency(const char *target, size_t qoff, size_t n,
                            char *scratch, struct skv_http_route *out)
{
    size_t i = qoff;
    int seen = 0;
    while (i <= n) {
        const char *amp = memchr(target + i, '&', n - i);
        size_t end = amp ? (size_t)(amp - target) : n;
        const char *eq = memchr(target + i, '=', end - i);
        size_t nend = eq ? (size_t)(eq - target) : end;
        long nl = pct_decode(target + i, nend - i, scratch + i, 1);
        if (nl < 0)
            return bad_request(out, "malformed percent-encoding in query");
        if (nl == (long)(sizeof "consistency" - 1) &&
            memcmp(scratch + i, "consistency", (size_t)nl) == 0) {
            long vl = eq ? pct_decode(eq + 1, end - nend - 1,
                                      scratch + nend + 1, 1) : 0;
            if (seen++)
                return bad_request(out, "repeated consistency parameter");
            if (vl != 5 || memcmp(scratch + nend + 1, "local", 5) != 0)
                return bad_request(out, "consistency must be 'local' when given");
            out->flags |= SKV_ADMIN_F_LOCAL_READ;
        }
        if (!amp)
            break;
        i = end + 1;
    }
    return 0;
}

int skv_http_route_match(const char *method, const char *target,
                         size_t target_len, char *scratch,
                         size_t scratch_len, struct skv_http_route *out)
{
    const char *q;
    size_t plen, i, k;

    memset(out, 0, sizeof *out);
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
        out->allow = r->allow;
        for (k = 0; k < 3 && r->m[k].method; k++)
            if (strcmp(method, r->m[k].method) == 0)
                break;
        if (k == 3 || !r->m[k].method)
            return fail(out, SKV_HTTP_ErrMethodNotAllowed,
                        "method not allowed on this path");
        out->op = r->m[k].op;
        out->body = r->m[k].body;
        if (r->shape != SHAPE_EXACT &&
            take_var(r, var, var_len, scratch + (size_t)(var - target), out))
            return out->status;
        if (q && strcmp(out->op, "kv.get") == 0 &&
            take_consistency(target, plen + 1, target_len, scratch, out))
            return out->status;
        return 0;
    }
    return fail(out, SKV_HTTP_ErrNotFound, "no such endpoint");
}
