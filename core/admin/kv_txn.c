/* SPDX-License-Identifier: MIT */
/*
 * kv_txn.c — the "kv.txn" op (POST /v1/txn): the JSON request
 * (txn_json.h) encoded as one 0x07 entry (cmd/txn_cmd.h) and proposed on
 * the leader (a follower forwards the op, never the entry: the answer
 * carries results); the FSM's outcome (fsm_txn.c) becomes the answer
 *   {"succeeded":bool,"index":I,"results":[{"op":"put"},{"op":"delete"},
 *    {"op":"get","key":K,"found":bool[,"value":V,"mod_index":M,
 *     "create_index":C]}]}
 * (one result per op of the branch that ran, in order; gets read the
 * state before the transaction).
 */
#include "admin/admin_ops.h"
#include "cmd/command.h"
#include "cmd/txn_cmd.h"
#include "admin/txn_json.h"
#include "intake/propose.h"
#include "util/b64.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct txn_req {
    struct skv_op *op;
    struct skv_txn_json x;
};

static void req_free(struct txn_req *r)
{
    skv_txn_json_free(&r->x);
    free(r);
}

static int put_b64(json_t *o, const char *name, const uint8_t *p, size_t n)
{
    struct skv_buf b = {NULL, 0, 0};
    int rc = skv_buf_append_b64(&b, p, n) != 0
                 ? -1
                 : json_object_set_new(o, name, json_stringn((const char *)b.p, b.len));
    skv_buf_free(&b);
    return rc;
}

/* One result object for op `o` of the branch that ran. */
static json_t *result_of(const struct skv_txn_op *o, const struct skv_txn_result *res, size_t *g)
{
    const struct skv_txn_get *get;
    json_t *e = json_pack("{s:s}", "op", o->op == SKV_TXN_PUT ? "put"
                                         : o->op == SKV_TXN_DEL ? "delete" : "get");
    if (!e || o->op != SKV_TXN_GET)
        return e;
    if (*g >= res->n_gets) {
        json_decref(e);
        return NULL;
    }
    get = &res->gets[(*g)++];
    if (put_b64(e, "key", o->key, o->key_len) ||
        json_object_set_new(e, "found", json_boolean(get->found)) ||
        (get->found && (put_b64(e, "value", get->val ? get->val : (const uint8_t *)"", get->val_len) ||
                        json_object_set_new(e, "mod_index", json_integer((json_int_t)get->mod)) ||
                        json_object_set_new(e, "create_index",
                                            json_integer((json_int_t)get->create))))) {
        json_decref(e);
        return NULL;
    }
    return e;
}

static void proposed(void *arg, const struct skv_propose_result *pr)
{
    struct txn_req *r = arg;
    struct skv_op *op = r->op;
    const struct skv_txn_result *res = pr->txn;
    json_t *out, *results;
    size_t i, g = 0, first, n;
    if (pr->rc != SKV_OK) {
        skv_op_reply_error(op, pr->rc, pr->status,
                           pr->error ? pr->error : skv_error_name(SKV_ErrInternal),
                           pr->retry_after_s, "kv.txn: %s", pr->message ? pr->message : "failed");
        req_free(r);
        return;
    }
    if (!res) { /* applied, yet no outcome: a leader change raced the apply */
        skv_op_fail(op, SKV_ErrLeadershipLost,
                    "kv.txn: applied at index %llu, but this node lost the outcome",
                    (unsigned long long)pr->index);
        req_free(r);
        return;
    }
    first = res->succeeded ? 0 : r->x.t.n_success;
    n = res->succeeded ? r->x.t.n_success : r->x.t.n_failure;
    results = json_array();
    for (i = 0; results && i < n; i++)
        if (json_array_append_new(results, result_of(&r->x.t.ops[first + i], res, &g)) != 0) {
            json_decref(results);
            results = NULL;
        }
    out = results ? json_pack("{s:b,s:I,s:o}", "succeeded", res->succeeded, "index",
                              (json_int_t)pr->index, "results", results)
                  : NULL;
    skv_op_reply_object(op, out);
    req_free(r);
}

void skv_op_kv_txn(struct skv_op *op)
{
    struct txn_req *r = calloc(1, sizeof *r);
    const char *why = NULL;
    void *payload = NULL;
    size_t len = 0;
    if (!r) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    r->op = op;
    if (skv_txn_json_parse(op->json, &r->x, &why) != 0) {
        req_free(r);
        skv_op_fail(op, SKV_ErrBadRequest, "kv.txn: %s", why);
        return;
    }
    if (skv_txn_encode(&r->x.t, &payload, &len) != 0) {
        req_free(r);
        skv_op_fail(op, SKV_ErrTooBig, "kv.txn: the transaction exceeds %u bytes encoded",
                    SKV_TXN_MAX_BYTES);
        return;
    }
    skv_propose(op->node, SKV_SRC_USER, payload, len, proposed, r);
}
