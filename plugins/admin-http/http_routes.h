/* SPDX-License-Identifier: MIT */
/*
 * http_routes.h — the pure route table of admin-http: (method, raw
 * request-target) → core admin op, argument, flags and body kind, or the
 * HTTP error (400/404/405) to answer. No I/O, no allocation, no MHD: the
 * fuzz target drives it directly.
 */
#ifndef SKV_HTTP_ROUTES_H
#define SKV_HTTP_ROUTES_H

#include <stddef.h>
#include <stdint.h>

/* What the route does with the request body. */
enum skv_http_body_kind {
    SKV_HTTP_BODY_NONE = 0,     /* ignored (still size-limited) */
    SKV_HTTP_BODY_RAW,          /* req.body: raw bytes, may be empty */
    SKV_HTTP_BODY_JSON,         /* req.json: required JSON object */
    SKV_HTTP_BODY_JSON_OPT      /* req.json: JSON object if non-empty */
};

struct skv_http_route {
    int status;              /* 0 matched; else 400, 404 or 405 */
    const char *op;          /* core op name (static) when matched */
    const char *arg;         /* decoded argument inside scratch, or NULL */
    size_t arg_len;
    uint32_t flags;          /* SKV_ADMIN_F_* */
    enum skv_http_body_kind body;
    const char *error;       /* error name when status != 0 (static) */
    const char *message;     /* human-readable reason (static) */
    const char *allow;       /* methods allowed on the path (static) */
};

/*
 * Match `method` (NUL-terminated, case-sensitive) and the raw, still
 * percent-encoded request-target `target` of `target_len` bytes (path and
 * optional "?query"; may contain any byte). Decoded text is written to
 * `scratch`, which must hold at least `target_len` bytes; `out->arg`
 * points into it. Returns out->status.
 */
int skv_http_route_match(const char *method, const char *target,
                         size_t target_len, char *scratch,
                         size_t scratch_len, struct skv_http_route *out);

#endif /* SKV_HTTP_ROUTES_H */
