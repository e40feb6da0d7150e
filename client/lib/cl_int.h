/* SPDX-License-Identifier: MIT */
/*
 * cl_int.h — libsealkv-client's internals shared by its files: the
 * client handle, the one exchange every typed call goes through (answer
 * or error filled), error setters, key paths, base64, and the parsers of
 * the server's answers (pure functions of bytes: tests/fuzz/fuzz_client.c).
 * Nothing here is exported (the library exports ^skv_client_ only).
 */
#ifndef SKV_CL_INT_H
#define SKV_CL_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sealkv/client.h>

#include "lib/cl_http.h"

struct skv_client {
    char *ep_store;                        /* every endpoint, NUL-separated */
    const char *eps[SKV_CLIENT_MAX_ENDPOINTS];
    size_t n_eps;
    char *cacert, *cert, *key;             /* copies, or NULL */
    char *token;                           /* sodium_malloc'd, or NULL */
    struct skv_cl_http http;               /* pointing into the above */
};

/* Send rq (with failover and retries) and classify the outcome: OK on a
 * 2xx answer (*r holds it), else the error in err (when not NULL). A get
 * answered 404 without a name or with ErrKeyNotFound is NOT_FOUND when
 * is_get. *r must be freed with skv_cl_resp_free either way. */
enum skv_client_code skv_cl_call(struct skv_client *c, const struct skv_cl_req *rq,
                                 struct skv_cl_resp *r, int is_get,
                                 struct skv_client_error *err);

/* Reset err (when not NULL) to "ok". */
void skv_cl_err_ok(struct skv_client_error *err);
/* Set err to code with a printf-style detail; returns code. */
enum skv_client_code skv_cl_err(struct skv_client_error *err, enum skv_client_code code,
                                const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "/v1/kv/<encoded key><suffix>", malloc'd; NULL when out of memory. */
char *skv_cl_kv_path(const void *key, size_t len, const char *suffix);

/* Standard base64 (RFC 4648, padded) of the bytes: malloc'd string, or
 * NULL when out of memory. */
char *skv_cl_b64(const void *p, size_t n);
/* Decode a standard base64 string into a malloc'd buffer (+ NUL). 0, or
 * -1 (not base64, or out of memory). */
int skv_cl_unb64(const char *s, void **out, size_t *len);

/* Parsers of the server's answers (hostile bytes). Each fills *out (a
 * zeroed struct the caller clears) and returns 0, or -1 when the bytes
 * are not the answer expected. */
int skv_cl_parse_list(const char *body, size_t len, struct skv_client_list *out);
int skv_cl_parse_txn(const char *body, size_t len, struct skv_client_txn_result *out);
/* One index answer {"index":N}: 0 or -1. */
int skv_cl_parse_index(const char *body, size_t len, uint64_t *index);

/* One line of a watch stream, classified. */
enum skv_cl_line_kind {
    SKV_CL_LINE_EVENT = 1, /* ev filled (PUT or DELETE; key/value malloc'd in kv) */
    SKV_CL_LINE_PROGRESS,  /* ev->index */
    SKV_CL_LINE_ERROR,     /* *name, *message (malloc'd, may be NULL) */
    SKV_CL_LINE_OTHER      /* a JSON object of none of these: ignored */
};
struct skv_cl_line {
    enum skv_cl_line_kind kind;
    struct skv_client_event ev;
    struct skv_client_kv kv;   /* owns ev.key / ev.value */
    char *name, *message;
};
/* 0 with *out filled, or -1 when the line is not JSON or malformed.
 * skv_cl_line_clear frees it. */
int skv_cl_parse_line(const char *line, size_t len, struct skv_cl_line *out);
void skv_cl_line_clear(struct skv_cl_line *l);

#endif /* SKV_CL_INT_H */
