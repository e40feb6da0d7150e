/* SPDX-License-Identifier: MIT */
/*
 * fuzz_http_routes.c — libFuzzer target for admin-http's pure route
 * matcher and strict query parser (plugins/admin-http/http_routes.c,
 * http_query.c). Input: a method selector byte, then the raw
 * request-target (any bytes). Checks the invariants the handler relies
 * on: a match names an op and keeps its argument inside scratch; a
 * refusal is 400/404/405 with an error name and a NUL-terminated
 * printable message, and 405 carries an Allow list; only health paths
 * are open, /v1/health alone local; a 400 for a query parameter names
 * it. Seeds: tests/fuzz/corpus/http. Built and run by `make fuzz-smoke`
 * (tests/fuzz/smoke.sh), or:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iabi \
 *       -Iplugins/admin-http tests/fuzz/fuzz_http_routes.c \
 *       plugins/admin-http/http_routes.c plugins/admin-http/http_query.c \
 *       plugins/admin-http/http_reply.c -ljansson -lmicrohttpd \
 *       -o /tmp/fuzz_http_routes
 *   /tmp/fuzz_http_routes -max_total_time=30
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_routes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const methods[] = {"GET", "PUT", "POST", "DELETE",
                                      "PATCH", "HEAD", "", "get"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct skv_http_route r;
    const char *method;
    char *target, *scratch;
    size_t n, i;
    int st;

    if (size < 1)
        return 0;
    method = methods[data[0] % (sizeof methods / sizeof methods[0])];
    n = size - 1;
    target = malloc(n ? n : 1);          /* exact size: ASan sees overreads */
    scratch = malloc(n ? n : 1);
    if (!target || !scratch)
        abort();
    memcpy(target, data + 1, n);
    st = skv_http_route_match(method, target, n, scratch, n, &r);
    if (st != r.status)
        abort();
    if (r.rule < -1 || r.rule >= skv_http_route_count())
        abort();
    if (r.local && !r.open)
        abort();
    if (r.open && strncmp(skv_http_route_name(r.rule), "/v1/health", 10) != 0 &&
        strcmp(skv_http_route_name(r.rule), "/healthz") != 0 &&
        strcmp(skv_http_route_name(r.rule), "/readyz") != 0)
        abort();                         /* nothing else may skip auth */
    if (st == 0) {
        if (!r.op || r.error)
            abort();
        if (r.arg && (r.arg < scratch || r.arg + r.arg_len > scratch + n))
            abort();
        if (r.arg && r.arg_len == 0)
            abort();                     /* empty keys/ids are refused */
        if (r.body_arg && (r.body_arg < scratch || r.body_arg + r.body_arg_len > scratch + n ||
                           r.body_arg_len == 0))
            abort();                     /* kv.list's after: inside, never empty */
        if (r.json[0] && !memchr(r.json, 0, sizeof r.json))
            abort();
        if (r.cond && (strcmp(r.op, "kv.put") != 0 && strcmp(r.op, "kv.del") != 0))
            abort();                     /* CAS parameters on writes only */
        if (r.cond) {
            char cj[64];
            const char *j = skv_http_route_cond_json(&r, cj, sizeof cj);
            if (!j || j[0] != '{' || j[strlen(j) - 1] != '}')
                abort();
        }
    } else {
        if (st != 400 && st != 404 && st != 405)
            abort();
        if (!r.error || !r.message || r.op)
            abort();
        if (st == 405 && !r.allow)
            abort();
        for (i = 0; r.message[i]; i++)   /* NUL-terminated, printable */
            if ((unsigned char)r.message[i] < ' ' || (unsigned char)r.message[i] > '~')
                abort();
        if (strncmp(r.message, "unknown query parameter '", 25) == 0 &&
            !strchr(r.message + 25, '\''))
            abort();                     /* the name is quoted in full */
    }
    free(target);
    free(scratch);
    return 0;
}
