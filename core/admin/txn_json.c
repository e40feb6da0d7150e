/* SPDX-License-Identifier: MIT */
/*
 * txn_json.c — owns the JSON form of a transaction (txn_json.h): the
 * request body of POST /v1/txn checked strictly and turned into a
 * struct skv_txn (keys and values decoded from base64). Pure: no node,
 * no I/O; the fuzz target fuzz_txn drives it.
 */
#include "admin/txn_json.h"
#include "cmd/command.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void skv_txn_json_free(struct skv_txn_json *r)
{
    for (size_t i = 0; i < r->n_bufs; i++)
        free(r->bufs[i]);
    free(r->bufs);
    free(r->t.cmps);
    free(r->t.ops);
    json_decref(r->branches[0]);
    json_decref(r->branches[1]);
    memset(r, 0, sizeof *r);
}

/* Decode the base64 string member `name` of o; 0, or -1 with *why. */
static int b64_member(struct skv_txn_json *r, json_t *o, const char *name, int is_key,
                      const uint8_t **out, size_t *out_len, const char **why)
{
    const char *s = json_string_value(json_object_get(o, name));
    size_t n = s ? strlen(s) : 0, bl = 0;
    uint8_t *b, **nb;
    if (!s)
        return *why = is_key ? "needs a base64 \"key\"" : "needs a base64 \"value\"", -1;
    if (!(b = malloc(n + 1)) || !(nb = realloc(r->bufs, (r->n_bufs + 1) * sizeof *nb))) {
        free(b);
        return *why = "out of memory", -1;
    }
    r->bufs = nb;
    r->bufs[r->n_bufs++] = b;
    if (sodium_base642bin(b, n + 1, s, n, NULL, &bl, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
        return *why = "has a value that is not standard base64", -1;
    if (is_key && (bl == 0 || bl > SKV_MAX_KEY))
        return *why = "has a key that is not 1..4096 bytes", -1;
    *out = b;
    *out_len = bl;
    return 0;
}

static int parse_cmp(struct skv_txn_json *r, json_t *o, struct skv_txn_cmp *c, const char **why)
{
    json_t *m = json_object_get(o, "mod_index"), *v = json_object_get(o, "value"),
           *e = json_object_get(o, "exists");
    if (!json_is_object(o) || !!m + !!v + !!e != 1 || json_object_size(o) != 2)
        return *why = "each compare is {\"key\"} and one of mod_index, value, exists", -1;
    if (b64_member(r, o, "key", 1, &c->key, &c->key_len, why))
        return -1;
    if (m) {
        json_int_t n = json_is_integer(m) ? json_integer_value(m) : -1;
        if (n < 0)
            return *why = "mod_index must be an index, 0..2^63-1", -1;
        c->kind = SKV_TXN_CMP_MOD;
        c->mod = (uint64_t)n;
        return 0;
    }
    if (e) {
        if (!json_is_boolean(e))
            return *why = "exists must be true or false", -1;
        c->kind = SKV_TXN_CMP_EXISTS;
        c->exists = json_is_true(e);
        return 0;
    }
    c->kind = SKV_TXN_CMP_VALUE;
    return b64_member(r, o, "value", 0, &c->val, &c->val_len, why);
}

static int parse_op(struct skv_txn_json *r, json_t *o, struct skv_txn_op *op, const char **why)
{
    const char *name = json_string_value(json_object_get(o, "op"));
    if (!json_is_object(o) || !name)
        return *why = "each op is an object with \"op\": put, delete or get", -1;
    op->op = strcmp(name, "put") == 0      ? SKV_TXN_PUT
             : strcmp(name, "delete") == 0 ? SKV_TXN_DEL
             : strcmp(name, "get") == 0    ? SKV_TXN_GET : 0;
    if (!op->op)
        return *why = "an op must be put, delete or get", -1;
    if (json_object_size(o) != (op->op == SKV_TXN_PUT ? 3u : 2u))
        return *why = "an op has unknown members (put: op, key, value; delete, get: op, key)", -1;
    if (b64_member(r, o, "key", 1, &op->key, &op->key_len, why))
        return -1;
    return op->op == SKV_TXN_PUT ? b64_member(r, o, "value", 0, &op->val, &op->val_len, why) : 0;
}

static int parse(struct skv_txn_json *r, json_t *j, const char **why)
{
    json_t *cmp = json_object_get(j, "compare"), *v;
    size_t i, n_ops, k = 0;
    r->branches[0] = json_incref(json_object_get(j, "success"));
    r->branches[1] = json_incref(json_object_get(j, "failure"));
    if (json_object_size(j) != (size_t)(!!cmp + !!r->branches[0] + !!r->branches[1]))
        return *why = "unknown member: a transaction has compare, success and failure", -1;
    if ((cmp && !json_is_array(cmp)) || (r->branches[0] && !json_is_array(r->branches[0])) ||
        (r->branches[1] && !json_is_array(r->branches[1])))
        return *why = "compare, success and failure must be arrays", -1;
    r->t.n_cmps = json_array_size(cmp);
    r->t.n_success = json_array_size(r->branches[0]);
    r->t.n_failure = json_array_size(r->branches[1]);
    n_ops = r->t.n_success + r->t.n_failure;
    if (r->t.n_cmps > SKV_TXN_MAX_CMPS || n_ops > SKV_TXN_MAX_OPS)
        return *why = "at most 64 compares and 128 ops", -1;
    if ((r->t.n_cmps && !(r->t.cmps = calloc(r->t.n_cmps, sizeof *r->t.cmps))) ||
        (n_ops && !(r->t.ops = calloc(n_ops, sizeof *r->t.ops))))
        return *why = "out of memory", -1;
    json_array_foreach(cmp, i, v) if (parse_cmp(r, v, &r->t.cmps[i], why)) return -1;
    for (int b = 0; b < 2; b++)
        json_array_foreach(r->branches[b], i, v) if (parse_op(r, v, &r->t.ops[k++], why)) return -1;
    return 0;
}

int skv_txn_json_parse(const char *text, struct skv_txn_json *r, const char **why)
{
    json_error_t je;
    json_t *j = text ? json_loads(text, JSON_REJECT_DUPLICATES, &je) : NULL;
    int rc;
    memset(r, 0, sizeof *r);
    if (!json_is_object(j)) {
        json_decref(j);
        *why = "the body must be a JSON object";
        return -1;
    }
    rc = parse(r, j, why);
    json_decref(j);
    if (rc != 0)
        skv_txn_json_free(r);
    return rc;
}
