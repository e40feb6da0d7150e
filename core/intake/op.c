/* SPDX-License-Identifier: MIT */
/*
 * op.c — allocation of admin ops and their two reply paths: the local
 * admin plugin's done callback, or an ADMIN_RESP frame to the follower
 * that forwarded the op.
 */
#include "intake/op.h"
#include "wire/wire.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void *dup_bytes(const void *p, size_t n)
{
    void *d = malloc(n ? n : 1);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

struct skv_op *skv_op_new(struct skv_node *n, const struct skv_admin_req *req)
{
    struct skv_op *op = calloc(1, sizeof *op);
    if (!op)
        return NULL;
    op->node = n;
    skv_list_init(&op->link);
    op->op = strdup(req->op ? req->op : "");
    op->arg = dup_bytes(req->arg, req->arg ? req->arg_len : 0);
    op->arg_len = req->arg ? req->arg_len : 0;
    op->body = dup_bytes(req->body, req->body ? req->body_len : 0);
    op->body_len = req->body ? req->body_len : 0;
    op->json = req->json ? strdup(req->json) : NULL;
    op->flags = req->flags;
    if (!op->op || !op->arg || !op->body || (req->json && !op->json)) {
        skv_op_free(op);
        return NULL;
    }
    return op;
}

void skv_op_free(struct skv_op *op)
{
    if (!op)
        return;
    free(op->op);
    free(op->arg);
    free(op->body);
    free(op->json);
    free(op);
}

static struct skv_slice sl(const void *p, size_t n)
{
    struct skv_slice s;
    s.p = p;
    s.len = p ? n : 0;
    return s;
}

static void reply_wire(struct skv_op *op, const struct skv_admin_resp *r)
{
    struct skv_node *n = op->node;
    struct skv_fwd_admin_resp m;
    struct skv_buf b = {NULL, 0, 0};
    const char *addr = NULL;
    unsigned i;

    for (i = 0; i < n->raft.configuration.n; i++)
        if (n->raft.configuration.servers[i].id == op->fwd_from)
            addr = n->raft.configuration.servers[i].address;
    if (!addr) {
        skv_node_log(n, 2, "cannot answer forwarded op %s: node %llu unknown",
                     op->op, (unsigned long long)op->fwd_from);
        return;
    }
    memset(&m, 0, sizeof m);
    m.req_id = op->fwd_req_id;
    m.rc = r->rc;
    m.status = r->status;
    m.retry_after_s = r->retry_after_s;
    m.error = sl(r->error, r->error ? strlen(r->error) : 0);
    m.message = sl(r->message, r->message ? strlen(r->message) : 0);
    m.json = sl(r->json, r->json ? strlen(r->json) : 0);
    m.body = sl(r->body, r->body_len);
    if (skv_wire_encode_admin_resp(&b, n->conf->node_id, &m) == 0)
        skv_node_send(n, op->fwd_from, addr, b.p, b.len);
    skv_buf_free(&b);
}

void skv_op_reply(struct skv_op *op, const struct skv_admin_resp *resp)
{
    if (op->fwd_from)
        reply_wire(op, resp);
    else if (op->done)
        op->done(op->done_arg, resp);
    skv_op_free(op);
}

void skv_op_reply_json(struct skv_op *op, int status, const char *json)
{
    struct skv_admin_resp r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.rc = SKV_OK;
    r.status = status;
    r.json = json;
    skv_op_reply(op, &r);
}

/* An error answer: the catalogue fields, the message, optional extra JSON. */
static void reply_err(struct skv_op *op, int rc, int status, const char *error,
                      int retry_after_s, const char *msg, const char *json)
{
    struct skv_admin_resp r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.rc = rc ? rc : SKV_ERR_INTERNAL;
    r.status = status;
    r.error = error;
    r.message = msg;
    r.retry_after_s = retry_after_s;
    r.json = json;
    skv_op_reply(op, &r);
}

/* Every error answer: the message formatted once, then reply_err. */
static void reply_verr(struct skv_op *op, int rc, int status, const char *error,
                       int retry_after_s, const char *json, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    reply_err(op, rc, status, error, retry_after_s, msg, json);
}

void skv_op_reply_error(struct skv_op *op, int rc, int status,
                        const char *error, int retry_after_s,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_verr(op, rc, status, error, retry_after_s, NULL, fmt, ap);
    va_end(ap);
}

static void op_vfail(struct skv_op *op, enum skv_error_id id, int status, const char *json,
                     const char *fmt, va_list ap)
{
    reply_verr(op, skv_error_rc(id), status, skv_error_name(id), skv_error_retry_after(id),
               json, fmt, ap);
}

void skv_op_fail(struct skv_op *op, enum skv_error_id id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    op_vfail(op, id, skv_error_status(id), NULL, fmt, ap);
    va_end(ap);
}

void skv_op_fail_status(struct skv_op *op, enum skv_error_id id, int status,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    op_vfail(op, id, status, NULL, fmt, ap);
    va_end(ap);
}

void skv_op_fail_json(struct skv_op *op, enum skv_error_id id, const char *json,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    op_vfail(op, id, skv_error_status(id), json, fmt, ap);
    va_end(ap);
}
