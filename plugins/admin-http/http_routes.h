/* SPDX-License-Identifier: MIT */
/*
 * http_routes.h — the pure route table of admin-http: (method, raw
 * request-target) → core admin op, argument, flags and body kind, or the
 * HTTP error (400/404/405) to answer; which routes are open without
 * credentials (health) and which the plugin answers itself; the accepted
 * query parameters of each route (http_query.h). No I/O, no allocation,
 * no MHD: the fuzz target drives it directly.
 */
#ifndef SKV_HTTP_ROUTES_H
#define SKV_HTTP_ROUTES_H

#include <stddef.h>
#include <stdint.h>

/* The longest key (the core's SKV_MAX_KEY); a longer prefix or after is
 * refused here already. */
#define SKV_HTTP_MAX_KEY 4096u

/* What the route does with the request body. */
enum skv_http_body_kind {
    SKV_HTTP_BODY_NONE = 0,     /* ignored (still size-limited) */
    SKV_HTTP_BODY_RAW,          /* req.body: raw bytes, may be empty */
    SKV_HTTP_BODY_JSON,         /* req.json: required JSON object */
    SKV_HTTP_BODY_JSON_OPT      /* req.json: JSON object if non-empty */
};

/* A compare-and-swap condition (?prev_index=N, ?prev_exist=true|false),
 * passed to the core as the op's JSON parameters. */
enum skv_http_cond {
    SKV_HTTP_COND_NONE = 0,
    SKV_HTTP_COND_INDEX,     /* the key's mod index is prev_index */
    SKV_HTTP_COND_ABSENT,    /* prev_exist=false: create only */
    SKV_HTTP_COND_PRESENT    /* prev_exist=true: replace only */
};

struct skv_http_route {
    int status;              /* 0 matched; else 400, 404 or 405 */
    int rule;                /* index of the matched path, -1: none */
    int open;                /* path needs no credentials (health) */
    int local;               /* answered by the plugin, not the core */
    const char *op;          /* core op name (static) when matched */
    const char *arg;         /* decoded argument inside scratch, or NULL */
    size_t arg_len;
    const char *body_arg;    /* kv.list's `after`: sent as the request body */
    size_t body_arg_len;
    uint32_t limit;          /* kv.list: 0 = the core's default */
    int keys_only;           /* kv.list */
    int stream;              /* GET /v1/watch: a 200 starts a stream (http_watch.h) */
    uint64_t from_index;     /* watch */
    int has_from;
    uint64_t offset;         /* GET /v1/snapshot/{id}?offset=N */
    char json[64];           /* request JSON built from the query, or "" */
    uint32_t flags;          /* SKV_ADMIN_F_* */
    enum skv_http_body_kind body;
    const char *error;       /* error name when status != 0 (static) */
    const char *message;     /* human-readable reason (static or msgbuf) */
    const char *allow;       /* methods allowed on the path (static) */
    int cond;                /* PUT/DELETE /v1/kv: enum skv_http_cond */
    uint64_t prev_index;     /* SKV_HTTP_COND_INDEX: ?prev_index=N */
    char msgbuf[320];        /* a message naming a query parameter */
};

/*
 * Match `method` (NUL-terminated, case-sensitive) and the raw, still
 * percent-encoded request-target `target` of `target_len` bytes (path and
 * optional "?query"; may contain any byte). Decoded text is written to
 * `scratch`, which must hold at least `target_len` bytes; `out->arg`
 * points into it. out->rule, ->open and ->allow are set as soon as the
 * path matches, also when the method or the query is refused. Returns
 * out->status.
 */
int skv_http_route_match(const char *method, const char *target,
                         size_t target_len, char *scratch,
                         size_t scratch_len, struct skv_http_route *out);

/* The core op's JSON parameters of a route's condition into buf (room
 * for 64 bytes): NULL when the route has none. */
const char *skv_http_route_cond_json(const struct skv_http_route *r, char *buf,
                                     size_t len);
/* The number of route paths and the template of path i (e.g.
 * "/v1/kv/{key}"), for per-route metrics; NULL when out of range. */
int skv_http_route_count(void);
const char *skv_http_route_name(int i);

#endif /* SKV_HTTP_ROUTES_H */
