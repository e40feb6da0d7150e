/* SPDX-License-Identifier: MIT */
/*
 * admin_ops.c — the op dispatcher: decides where an op runs (here, or on
 * the leader via forwarding), refuses ops while halted or stopping, and
 * implements the KV ops. Membership, status and encryption ops live in
 * their own files.
 */
#include "admin/admin_ops.h"
#include "admin/capability.h"
#include "admin/enc_ops.h"
#include "admin/erase.h"
#include "admin/backup.h"
#include "admin/watch.h"
#include "cmd/command.h"
#include "fsm/fsm.h"
#include "node/metrics.h"
#include "intake/op.h"
#include "intake/propose.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum where { ANY_NODE, ON_LEADER, ON_LEADER_READY };

struct op_def {
    const char *name;
    int where;
    void (*fn)(struct skv_op *op);
    int while_halted;            /* answered while halted too */
};

static void reply_raft_error(struct skv_op *op, int status, const char *what)
{
    switch (status) {
    case RAFT_NOTLEADER:
        skv_op_fail(op, SKV_ErrNotLeader, "%s: this node is no longer the leader", what);
        break;
    case RAFT_LEADERSHIPLOST:
        skv_op_fail(op, SKV_ErrLeadershipLost, "%s: leadership lost before commit; the outcome is unknown", what);
        break;
    case RAFT_SHUTDOWN:
        skv_op_fail(op, SKV_ErrShuttingDown, "%s: node is shutting down; the outcome is unknown", what);
        break;
    default:
        skv_op_fail(op, SKV_ErrInternal, "%s: %s", what, raft_strerror(status));
    }
}

void skv_reply_raft_error(struct skv_op *op, int status, const char *what)
{
    reply_raft_error(op, status, what);
}

static void kv_proposed(void *arg, const struct skv_propose_result *r)
{
    struct skv_op *op = arg;
    char json[64];
    if (r->rc != SKV_OK && r->error &&
        strcmp(r->error, skv_error_name(SKV_ErrCompareFailed)) == 0) {
        /* the FSM refused the compare; r->index is the current mod index */
        snprintf(json, sizeof json, "{\"mod_index\":%llu}", (unsigned long long)r->index);
        skv_op_fail_json(op, SKV_ErrCompareFailed, json,
                          "%s: the compare failed: the key's mod index is %llu%s", op->op,
                          (unsigned long long)r->index, r->index ? "" : " (absent or unknown)");
        return;
    }
    if (r->rc != SKV_OK) {
        skv_op_reply_error(op, r->rc, r->status, r->error ? r->error : skv_error_name(SKV_ErrInternal),
                           r->retry_after_s, "%s: %s", op->op, r->message ? r->message : "failed");
        return;
    }
    snprintf(json, sizeof json, "{\"index\":%llu}", (unsigned long long)r->index);
    skv_op_reply_json(op, 200, json);
}

static int check_key(struct skv_op *op)
{
    if (op->arg_len == 0 || op->arg_len > SKV_MAX_KEY) {
        skv_op_fail(op, SKV_ErrBadKey, "key length must be 1..%u bytes, got %zu", SKV_MAX_KEY, op->arg_len);
        return -1;
    }
    return 0;
}

static void op_kv_write(struct skv_op *op, uint8_t opcode)
{
    struct skv_kv_op kv;
    struct skv_kv_cond cond;
    void *payload;
    size_t len;
    int has_cond;
    if (check_key(op) || (has_cond = skv_kv_cond_parse(op, opcode, &cond)) < 0)
        return;
    kv.op = opcode;
    kv.key = op->arg;
    kv.key_len = op->arg_len;
    kv.val = op->body;
    kv.val_len = op->body_len;
    if ((has_cond ? skv_cmd_encode_kv_cas(&kv, &cond, &payload, &len)
                  : skv_cmd_encode_kv(&kv, &payload, &len)) != 0) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    skv_propose(op->node, SKV_SRC_USER, payload, len, kv_proposed, op);
}

static void op_kv_put(struct skv_op *op) { op_kv_write(op, SKV_KV_PUT); }
static void op_kv_del(struct skv_op *op) { op_kv_write(op, SKV_KV_DEL); }

/* 200 with `body` as it is (the caller still owns it); a key's read
 * also carries its revision, in the struct and, for a follower that
 * forwarded the read, as JSON beside the body (forward.c). */
static void reply_body_rev(struct skv_op *op, const void *body, size_t len,
                           const struct skv_rev *rev)
{
    struct skv_admin_resp r;
    char json[80];
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.status = 200;
    r.body = body;
    r.body_len = len;
    if (rev) {
        r.mod_index = rev->mod;
        r.create_index = rev->create;
        snprintf(json, sizeof json, "{\"mod_index\":%llu,\"create_index\":%llu}",
                 (unsigned long long)rev->mod, (unsigned long long)rev->create);
        r.json = json;
    }
    skv_op_reply(op, &r);
}

static void reply_body(struct skv_op *op, const void *body, size_t len)
{
    reply_body_rev(op, body, len, NULL);
}

int skv_op_refuse_installing(struct skv_op *op)
{
    if (!skv_fsm_installing(&op->node->fsm))
        return 0;
    skv_op_fail(op, SKV_ErrSnapshotInstalling, "this node is installing a snapshot from the "
                "leader (its key space is being replaced); retry later");
    return 1;
}

void skv_kv_read_local(struct skv_op *op)
{
    struct skv_err e = {0, ""};
    struct skv_rev rev;
    uint8_t *val = NULL;
    size_t len = 0;
    int rc;
    if (check_key(op) || skv_op_refuse_installing(op))
        return;
    rc = skv_fsm_get(&op->node->fsm, op->arg, op->arg_len, &val, &len, &rev, &e);
    if (rc == SKV_ERR_NOTFOUND) {
        skv_op_fail(op, SKV_ErrKeyNotFound, "key not found");
        return;
    }
    if (rc != SKV_OK) {
        skv_op_fail(op, SKV_ErrStorage, "%s", e.msg);
        return;
    }
    reply_body_rev(op, val, len, &rev);
    free(val);
}

void skv_op_reply_object(struct skv_op *op, json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    skv_op_reply_json(op, 200, s);
    free(s);
}

void skv_op_metrics(struct skv_op *op)
{
    char *text = NULL;
    size_t len = 0;
    if (skv_metrics_render(op->node, &text, &len) != 0) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    reply_body(op, text, len);
    free(text);
}

static void op_kv_get(struct skv_op *op)
{
    if (op->flags & SKV_ADMIN_F_LOCAL_READ)
        skv_kv_read_local(op);
    else
        skv_read_enqueue(op);
}

void skv_op_read_local(struct skv_op *op)
{
    if (strcmp(op->op, "kv.list") == 0)
        skv_kv_list_local(op);
    else
        skv_kv_read_local(op);
}

static const struct op_def ops[] = {
    {"status", ANY_NODE, skv_op_status, 1},
    {"health", ANY_NODE, skv_op_health, 1},
    {"ready", ANY_NODE, skv_op_ready, 1},
    {"kv.get", ON_LEADER_READY, op_kv_get, 0},
    {"kv.list", ON_LEADER_READY, skv_op_kv_list, 0},
    {"watch.poll", ANY_NODE, skv_op_watch_poll, 0}, /* this node's own history */
    {"kv.txn", ON_LEADER, skv_op_kv_txn, 0}, /* forwarded as an op: the answer has results */
    {"kv.put", ANY_NODE, op_kv_put, 0},   /* skv_propose forwards */
    {"kv.del", ANY_NODE, op_kv_del, 0},
    {"members.list", ANY_NODE, skv_op_members_list, 0},
    /* ready: the encryption gate must see every earlier term's entries */
    {"members.add", ON_LEADER_READY, skv_op_members_add, 0},
    {"members.promote", ON_LEADER_READY, skv_op_members_promote, 0},
    {"members.remove", ON_LEADER, skv_op_members_remove, 0},
    {"encryption.capability", ANY_NODE, skv_op_enc_capability, 0},
    {"encryption.sidecar", ANY_NODE, skv_op_enc_sidecar, 0},
    {"encryption.enable-storage-envelope", ON_LEADER_READY, skv_op_enc_enable_storage, 0},
    {"encryption.enable-raft-envelope", ON_LEADER_READY, skv_op_enc_enable_raft, 0},
    {"encryption.rotate-dek", ON_LEADER_READY, skv_op_enc_rotate_dek, 0},
    {"encryption.retire", ON_LEADER_READY, skv_op_enc_retire, 0},
    {"encryption.seal-key-names", ON_LEADER_READY, skv_op_enc_seal_names, 0},
    /* local: each node wraps the DEKs under its own KEK (never forwarded) */
    {"encryption.rewrap-kek", ANY_NODE, skv_op_enc_rewrap_kek, 0},
    {"encryption.erase-cleartext", ANY_NODE, skv_op_enc_erase_cleartext, 0},
    {"metrics", ANY_NODE, skv_op_metrics, 1},
    /* backups: this node's own applied state (admin/backup.c) */
    {"snapshot.open", ANY_NODE, skv_op_snapshot_open, 0},
    {"snapshot.read", ANY_NODE, skv_op_snapshot_read, 0},
    {"snapshot.close", ANY_NODE, skv_op_snapshot_close, 0},
};

static int where_for(const struct op_def *d, const struct skv_op *op)
{
    if ((d->fn == op_kv_get || d->fn == skv_op_kv_list) &&
        (op->flags & SKV_ADMIN_F_LOCAL_READ))
        return ANY_NODE;
    return d->where;
}

void skv_op_dispatch(struct skv_op *op)
{
    struct skv_node *n = op->node;
    const struct op_def *d = NULL;
    size_t i;
    int where;

    for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(ops[i].name, op->op) == 0)
            d = &ops[i];
    if (!d) {
        skv_op_fail(op, SKV_ErrUnknownOp, "unknown op '%s'", op->op);
        return;
    }
    if (n->stopping) {
        skv_op_fail(op, SKV_ErrShuttingDown, "node is shutting down");
        return;
    }
    if (n->run_state == SKV_RUN_HALTED && !d->while_halted) {
        skv_op_fail(op, SKV_ErrHalted, "node halted: %s", n->halt_reason);
        return;
    }
    where = where_for(d, op);
    if (where != ANY_NODE && raft_state(&n->raft) != RAFT_LEADER) {
        if (op->fwd_from)
            skv_op_fail(op, SKV_ErrNotLeader, "node %llu is not the leader", (unsigned long long)n->conf->node_id);
        else
            skv_forward_to_leader(op);
        return;
    }
    if (where == ON_LEADER_READY && !skv_leader_ready(n)) {
        skv_op_fail(op, SKV_ErrLeaderNotReady, "new leader has not applied a barrier of its term yet");
        return;
    }
    d->fn(op);
}
