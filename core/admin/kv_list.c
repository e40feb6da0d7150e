/* SPDX-License-Identifier: MIT */
/*
 * kv_list.c — the "kv.list" op (GET /v1/kv?prefix=P&after=K&limit=L
 * [&keys_only=true][&consistency=local]): its parameters (arg = prefix,
 * body = after, json = {"limit":L,"keys_only":bool}), the reply built
 * from an FSM scan (fsm_scan.h) — {"kvs":[{"key":b64,"value":b64,
 * "mod_index":N}],
 * "more":bool}, keys and values in standard base64 — bounded by the
 * limit and by SKV_LIST_MAX_BYTES of keys and values. Linearizable reads
 * go through the read barrier (reads.c) like kv.get.
 */
#include "admin/admin_ops.h"
#include "cmd/command.h"
#include "fsm/fsm_scan.h"
#include "node/node.h"
#include "util/buf.h"
#include "util/b64.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

struct list_out {
    struct skv_buf json;
    uint32_t limit, n;
    size_t bytes;
};

#define PUT(b, s) skv_buf_append((b), (s), sizeof(s) - 1)

/* One entry, or 1 (stop: the range has more) once the limit or the byte
 * bound is reached; the first entry is always taken. */
static int add_entry(void *arg, const uint8_t *key, size_t kl, const uint8_t *val,
                     size_t vl, uint64_t mod_index)
{
    struct list_out *o = arg;
    struct skv_buf *b = &o->json;
    char num[40];
    if (o->n == o->limit || (o->n > 0 && o->bytes + kl + vl > SKV_LIST_MAX_BYTES))
        return 1;
    if ((o->n && PUT(b, ",")) || PUT(b, "{\"key\":\"") || skv_buf_append_b64(b, key, kl) ||
        PUT(b, "\""))
        return -1;
    if (val && (PUT(b, ",\"value\":\"") || skv_buf_append_b64(b, val, vl) || PUT(b, "\"")))
        return -1;
    snprintf(num, sizeof num, ",\"mod_index\":%llu}", (unsigned long long)mod_index);
    if (skv_buf_append(b, num, strlen(num)))
        return -1;
    o->n++;
    o->bytes += kl + vl;
    return 0;
}

/* The parameters from the op; -1 after replying 400. */
static int list_params(struct skv_op *op, struct skv_fsm_scan *s, uint32_t *limit)
{
    json_t *j = NULL, *v;
    json_error_t je;
    memset(s, 0, sizeof *s);
    *limit = SKV_LIST_DEFAULT_LIMIT;
    if (op->arg_len > SKV_MAX_KEY || op->body_len > SKV_MAX_KEY) {
        skv_op_fail(op, SKV_ErrBadRequest, "prefix and after must be at most %u bytes",
                    SKV_MAX_KEY);
        return -1;
    }
    s->prefix = op->arg;
    s->prefix_len = op->arg_len;
    s->after = op->body;
    s->after_len = op->body_len;
    if (op->json && !(j = json_loads(op->json, JSON_REJECT_DUPLICATES, &je))) {
        skv_op_fail(op, SKV_ErrBadRequest, "list parameters: %s", je.text);
        return -1;
    }
    if (j && (v = json_object_get(j, "limit"))) {
        json_int_t l = json_is_integer(v) ? json_integer_value(v) : 0;
        if (l < 1 || l > SKV_LIST_MAX_LIMIT) {
            json_decref(j);
            skv_op_fail(op, SKV_ErrBadRequest, "limit must be 1..%u", SKV_LIST_MAX_LIMIT);
            return -1;
        }
        *limit = (uint32_t)l;
    }
    if (j && (v = json_object_get(j, "keys_only")))
        s->keys_only = json_is_true(v);
    json_decref(j);
    return 0;
}

void skv_kv_list_local(struct skv_op *op)
{
    struct skv_fsm_scan s;
    struct list_out o;
    struct skv_err e = {0, ""};
    int more = 0, rc;
    memset(&o, 0, sizeof o);
    if (list_params(op, &s, &o.limit) != 0 || skv_op_refuse_installing(op))
        return;
    if (PUT(&o.json, "{\"kvs\":[")) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    rc = skv_fsm_scan(&op->node->fsm, &s, add_entry, &o, &more, &e);
    if (rc == SKV_OK && (PUT(&o.json, "],\"more\":") ||
                         (more ? PUT(&o.json, "true}") : PUT(&o.json, "false}")) ||
                         skv_buf_append(&o.json, "", 1)))
        rc = skv_err_set(&e, SKV_ERR_NOMEM, "out of memory");
    if (rc == SKV_ERR_NOMEM)
        skv_op_fail(op, SKV_ErrNoMemory, "%s", e.msg);
    else if (rc != SKV_OK)
        skv_op_fail(op, SKV_ErrStorage, "listing: %s", e.msg);
    else
        skv_op_reply_json(op, 200, (const char *)o.json.p);
    skv_buf_free(&o.json);
}

void skv_op_kv_list(struct skv_op *op)
{
    struct skv_fsm_scan s;
    uint32_t limit;
    if (list_params(op, &s, &limit) != 0) /* refuse before the barrier */
        return;
    if (op->flags & SKV_ADMIN_F_LOCAL_READ)
        skv_kv_list_local(op);
    else
        skv_read_enqueue(op);
}
