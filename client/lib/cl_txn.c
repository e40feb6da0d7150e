/* SPDX-License-Identifier: MIT */
/*
 * cl_txn.c — owns the transaction calls: the C description
 * (skv_client_txn: compares, success and failure ops) encoded as the
 * POST /v1/txn JSON (keys and values in base64), the JSON form as given
 * (skv_client_txn_json), and the outcome parsed into
 * skv_client_txn_result. The server checks the bounds (64 compares, 128
 * ops, key sizes) and answers 400/413 naming the problem.
 */
#include "lib/cl_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void skv_client_txn_result_clear(struct skv_client_txn_result *r)
{
    size_t i;
    if (!r)
        return;
    for (i = 0; i < r->n_results; i++)
        skv_client_kv_clear(&r->results[i].kv);
    free(r->results);
    free(r->raw);
    memset(r, 0, sizeof *r);
}

/* A JSON base64 string of the bytes (a new reference), or NULL. */
static json_t *b64j(const void *p, size_t n)
{
    char *s = skv_cl_b64(p, n);
    json_t *j = s ? json_string(s) : NULL;
    free(s);
    return j;
}

static json_t *cmp_json(const struct skv_client_cmp *m)
{
    json_t *o = json_object();
    int rc = !o || !m->key || m->key_len == 0 ||
             json_object_set_new(o, "key", b64j(m->key, m->key_len)) != 0;
    if (!rc && m->kind == SKV_CLIENT_CMP_MOD_INDEX)
        rc = m->mod_index > (uint64_t)INT64_MAX ||
             json_object_set_new(o, "mod_index", json_integer((json_int_t)m->mod_index)) != 0;
    else if (!rc && m->kind == SKV_CLIENT_CMP_VALUE)
        rc = (!m->value && m->value_len) ||
             json_object_set_new(o, "value", b64j(m->value, m->value_len)) != 0;
    else if (!rc && m->kind == SKV_CLIENT_CMP_EXISTS)
        rc = json_object_set_new(o, "exists", json_boolean(m->exists)) != 0;
    else
        rc = 1;
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *op_json(const struct skv_client_op *op)
{
    static const char *const names[] = {NULL, "put", "delete", "get"};
    json_t *o = json_object();
    int rc = !o || op->kind < SKV_CLIENT_OP_PUT || op->kind > SKV_CLIENT_OP_GET || !op->key ||
             op->key_len == 0 ||
             json_object_set_new(o, "op", json_string(names[op->kind])) != 0 ||
             json_object_set_new(o, "key", b64j(op->key, op->key_len)) != 0;
    if (!rc && op->kind == SKV_CLIENT_OP_PUT)
        rc = (!op->value && op->value_len) ||
             json_object_set_new(o, "value", b64j(op->value, op->value_len)) != 0;
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Append n items built by one of the above to a new array under name. */
static int add_list(json_t *req, const char *name, const void *items, size_t size, size_t n,
                    json_t *(*build)(const void *))
{
    json_t *a = json_array();
    size_t i;
    if (!a || json_object_set_new(req, name, a) != 0)
        return -1;
    for (i = 0; i < n; i++)
        if (json_array_append_new(a, build((const char *)items + i * size)) != 0)
            return -1;
    return 0;
}

static json_t *build_cmp(const void *p)
{
    return cmp_json(p);
}

static json_t *build_op(const void *p)
{
    return op_json(p);
}

/* The request's JSON, malloc'd; NULL when t is malformed or out of memory. */
static char *txn_body(const struct skv_client_txn *t)
{
    json_t *req = json_object();
    char *s = NULL;
    if (req && (t->compare || !t->n_compare) && (t->success || !t->n_success) &&
        (t->failure || !t->n_failure) &&
        add_list(req, "compare", t->compare, sizeof *t->compare, t->n_compare, build_cmp) == 0 &&
        add_list(req, "success", t->success, sizeof *t->success, t->n_success, build_op) == 0 &&
        add_list(req, "failure", t->failure, sizeof *t->failure, t->n_failure, build_op) == 0)
        s = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    return s;
}

enum skv_client_code skv_client_txn_json(struct skv_client *c, const char *json, size_t len,
                                         struct skv_client_txn_result *out,
                                         struct skv_client_error *err)
{
    struct skv_cl_req rq = {.method = "POST", .path = "/v1/txn",
                            .content_type = "application/json"};
    struct skv_cl_resp r;
    enum skv_client_code rc;
    if (out)
        memset(out, 0, sizeof *out);
    if (!c || !out || (!json && len))
        return skv_cl_err(err, SKV_CLIENT_USAGE, "a transaction needs a client, a body and "
                          "a result");
    rq.body = json ? json : "";
    rq.body_len = len;
    rc = skv_cl_call(c, &rq, &r, 0, err);
    if (rc == SKV_CLIENT_OK && skv_cl_parse_txn(r.body ? r.body : "", r.len, out) != 0) {
        skv_client_txn_result_clear(out);
        rc = skv_cl_err(err, SKV_CLIENT_REFUSED,
                        "unexpected answer (HTTP %ld): not a transaction's outcome", r.status);
    }
    if (rc == SKV_CLIENT_OK) {
        out->raw = r.body ? r.body : strdup("");
        out->raw_len = r.body ? r.len : 0;
        r.body = NULL;
        if (!out->raw) {
            skv_client_txn_result_clear(out);
            rc = skv_cl_err(err, SKV_CLIENT_LOCAL, "out of memory");
        }
    }
    skv_cl_resp_free(&r);
    return rc;
}

enum skv_client_code skv_client_txn(struct skv_client *c, const struct skv_client_txn *t,
                                    struct skv_client_txn_result *out,
                                    struct skv_client_error *err)
{
    enum skv_client_code rc;
    char *body;
    if (out)
        memset(out, 0, sizeof *out);
    if (!t)
        return skv_cl_err(err, SKV_CLIENT_USAGE, "no transaction given");
    if (!(body = txn_body(t)))
        return skv_cl_err(err, SKV_CLIENT_USAGE, "a compare or op without a key, of an "
                          "unknown kind, or a mod_index above 2^63-1 (or out of memory)");
    rc = skv_client_txn_json(c, body, strlen(body), out, err);
    free(body);
    return rc;
}
