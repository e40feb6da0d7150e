/* SPDX-License-Identifier: MIT */
/*
 * admin_ops.h — op handlers shared between admin_ops.c, members.c,
 * status.c and reads.c.
 */
#ifndef SKV_ADMIN_OPS_H
#define SKV_ADMIN_OPS_H

#include "intake/op.h"

void skv_op_status(struct skv_op *op);
void skv_op_members_list(struct skv_op *op);
void skv_op_members_add(struct skv_op *op);
void skv_op_members_promote(struct skv_op *op);
void skv_op_members_remove(struct skv_op *op);

/* 1 after refusing op with ErrSnapshotInstalling (retryable) while this
 * node replaces its key space from an installed snapshot
 * (fsm/fsm_install.c), else 0: every reader of the local key space asks
 * first (local and linearizable reads, listing, watch, backup open). */
int skv_op_refuse_installing(struct skv_op *op);

/* Read a key from the local FSM and reply (404 if absent). */
void skv_kv_read_local(struct skv_op *op);
/* What a linearizable read (reads.c) runs once its barrier applied:
 * skv_kv_read_local or skv_kv_list_local, by the op's name. */
void skv_op_read_local(struct skv_op *op);

/* kv_list.c: "kv.list" — arg = prefix, body = after, json =
 * {"limit":1..SKV_LIST_MAX_LIMIT,"keys_only":bool}, both optional. At
 * most SKV_LIST_MAX_BYTES of keys and values per answer (at least one
 * entry); "more":true says the range goes on after the last key. */
#define SKV_LIST_DEFAULT_LIMIT 1000u
#define SKV_LIST_MAX_LIMIT 10000u
#define SKV_LIST_MAX_BYTES (4u * 1024u * 1024u)
void skv_op_kv_list(struct skv_op *op);
/* kv_txn.c: "kv.txn" (POST /v1/txn), on the leader. */
void skv_op_kv_txn(struct skv_op *op);
void skv_kv_list_local(struct skv_op *op);
/* 200 with the compact JSON of `o` (consumed; NULL counts as out of
 * memory, so a failed json_pack chain can be passed straight in). */
struct json_t;
void skv_op_reply_object(struct skv_op *op, struct json_t *o);
/* The "metrics" admin op: reply body = skv_metrics_render's text (200). */
void skv_op_metrics(struct skv_op *op);

/* The probe ops (health.c): "health" (GET /healthz) and "ready" (GET
 * /readyz; arg: max_lag in decimal, optional). */
void skv_op_health(struct skv_op *op);
void skv_op_ready(struct skv_op *op);

/* The condition of a kv.put / kv.del (kv_cond.c): op->json with
 * "prev_index" (integer) or "prev_exist" (boolean; put only). 1 with *c,
 * 0 when there is none, -1 after answering 400 ErrBadRequest. */
struct skv_kv_cond;
int skv_kv_cond_parse(struct skv_op *op, uint8_t opcode, struct skv_kv_cond *c);

/* Reply with the error matching a raft status code. */
void skv_reply_raft_error(struct skv_op *op, int status, const char *what);

#endif
