/* SPDX-License-Identifier: MIT */
/*
 * http_query.h — strict query strings for admin-http's routes: every
 * route names the parameters it accepts; an unknown name, a repeated
 * one, malformed percent-encoding or a value the parameter's checker
 * refuses is a 400 ErrBadRequest whose message names the parameter.
 * Pure: no I/O, no allocation (decoded text goes to the caller's
 * scratch), driven by the route fuzz target.
 */
#ifndef SKV_HTTP_QUERY_H
#define SKV_HTTP_QUERY_H

#include <stddef.h>

struct skv_http_route;

/* One accepted parameter: its name and a checker that applies the
 * decoded value to the route (flags, argument). has_value is 0 for a
 * bare "name" without '='. Returns NULL if the value is fine, else why
 * not (static text, e.g. "must be 'local'"). */
struct skv_http_param {
    const char *name;
    const char *(*take)(const char *value, size_t len, int has_value,
                        struct skv_http_route *out);
};

/*
 * Parse the raw query target[qoff..n) (after the '?') against `accepted`
 * (NULL-terminated list, or NULL: the route takes none). `what` names the
 * route in messages ("GET /v1/kv/{key}"). Each name and value is decoded
 * into scratch at its own raw offset (scratch indexes like target).
 * Empty pairs ("a=1&&b=2", a trailing '&' or a bare '?') are ignored.
 * Returns 0, or 400 with out's error and message set.
 */
int skv_http_query_parse(const char *target, size_t qoff, size_t n,
                         char *scratch,
                         const struct skv_http_param *const *accepted,
                         const char *what, struct skv_http_route *out);

/* Strict percent-decoding of in[0..n) into out (room for n bytes), '+'
 * as a space when plus_space. The decoded length, or -1 on a malformed
 * escape. */
long skv_http_pct_decode(const char *in, size_t n, char *out, int plus_space);

#endif /* SKV_HTTP_QUERY_H */
