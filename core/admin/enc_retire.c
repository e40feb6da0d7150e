/* SPDX-License-Identifier: MIT */
/*
 * enc_retire.c — "encryption.retire" on the leader (enc_ops.h): checks
 * that the key may be retired (known, not a purpose's active key, not
 * retired yet, no rotation, cutover or membership gate running) and
 * proposes the 0x05/3 retire entry. Every replica marks the key retired
 * at that entry (fsm_enc.c); each node's local retire job
 * (enc_retire_job.c) then removes every reference to it and drops its
 * DEK. docs/NONCES.md "Retire" has the argument. Loop thread only.
 */
#include "admin/enc_ops.h"
#include "admin/enc_jobs.h"
#include "admin/admin_ops.h"
#include "cmd/enc_cmd.h"
#include "intake/cutover.h"
#include "intake/propose.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct retire_job {
    struct skv_op *op;
    uint32_t key_id;
    int purpose;
};

/* {"key_id":K}, K in 1..2^32-1; 0 or -1 after replying. */
static int parse_body(struct skv_op *op, uint32_t *key_id)
{
    const char *k, *why = "the body must be {\"key_id\":K}";
    json_error_t je;
    json_t *o, *v;
    *key_id = 0;
    o = op->json && op->json[0] ? json_loads(op->json, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (json_is_object(o)) {
        why = NULL;
        json_object_foreach(o, k, v) {
            if (strcmp(k, "key_id") == 0 && json_is_integer(v) && json_integer_value(v) > 0 &&
                json_integer_value(v) <= (json_int_t)UINT32_MAX)
                *key_id = (uint32_t)json_integer_value(v);
            else
                why = strcmp(k, "key_id") == 0 ? "key_id must be a key id (1..2^32-1)"
                      : "unknown member (allowed: key_id)";
            if (why)
                break;
        }
        if (!why && *key_id == 0)
            why = "key_id is missing";
    }
    json_decref(o);
    if (!why)
        return 0;
    skv_op_fail(op, SKV_ErrBadRequest, "retire: %s", why);
    return -1;
}

/* The refusals that need no proposal; 0 when the retire may go on. */
static int precheck(struct skv_op *op, uint32_t id)
{
    struct skv_node *n = op->node;
    const struct skv_sidecar_key *k = skv_sidecar_find(&n->enc.sc, id);
    if (!n->enc.enabled || !n->enc.ks)
        skv_op_fail(op, SKV_ErrEncryptionDisabled, "encryption.enabled is false (or no KEK) "
                    "on the leader, node %llu", (unsigned long long)n->conf->node_id);
    else if (!skv_enc_bootstrapped(&n->enc))
        skv_op_fail(op, SKV_ErrEncryptionNotBootstrapped, "no DEK exists yet");
    else if (!k)
        skv_op_fail(op, SKV_ErrDEKNotFound, "retire: key %u is not one of this cluster's "
                    "keys (sealkv encryption status lists them)", (unsigned)id);
    else if (id == n->enc.sc.active_storage || id == n->enc.sc.active_raft)
        skv_op_fail(op, SKV_ErrKeyActive, "retire: key %u is the active %s key; rotate it "
                    "first (sealkv encryption rotate-dek --purpose %s)", (unsigned)id,
                    skv_purpose_name((int)k->purpose), skv_purpose_name((int)k->purpose));
    else if (skv_enc_names_sealed(&n->enc) && id == n->enc.sc.names_key_id)
        skv_op_fail(op, SKV_ErrKeyActive, "retire: key names are sealed with a name key "
                    "derived from storage key %u: it stays as long as they are", (unsigned)id);
    else if (k->retired_index != 0)
        skv_op_fail(op, SKV_ErrKeyAlreadyRetired, "retire: key %u was retired at entry %llu%s",
                    (unsigned)id, (unsigned long long)k->retired_index,
                    k->dropped ? " and is dropped" : "");
    else
        return skv_enc_change_busy(op);
    return -1;
}

static void retire_done(void *arg, const struct skv_propose_result *r)
{
    struct retire_job *j = arg;
    struct skv_node *n = j->op->node;
    if (r->rc == SKV_OK)
        skv_op_reply_object(j->op, json_pack("{s:I,s:I,s:s}", "applied_index",
                                             (json_int_t)r->index, "key_id",
                                             (json_int_t)j->key_id, "purpose",
                                             skv_purpose_name(j->purpose)));
    else
        skv_op_reply_error(j->op, r->rc, r->status,
                           r->error ? r->error : skv_error_name(SKV_ErrInternal),
                           r->retry_after_s, "retire: %s", r->message ? r->message : "failed");
    n->enc_jobs.rotations--;
    free(j);
}

void skv_op_enc_retire(struct skv_op *op)
{
    struct skv_node *n = op->node;
    struct retire_job *j;
    void *p = NULL;
    size_t len = 0;
    uint32_t id;
    if (parse_body(op, &id) != 0 || precheck(op, id) != 0)
        return;
    if (!(j = calloc(1, sizeof *j)) || skv_enc_encode_retire(id, &p, &len) != 0) {
        free(j);
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    j->op = op;
    j->key_id = id;
    j->purpose = (int)skv_sidecar_find(&n->enc.sc, id)->purpose;
    n->enc_jobs.rotations++;
    skv_node_log(n, SKV_LOG_INFO, "proposing retire of %s key %u", skv_purpose_name(j->purpose),
                 (unsigned)id);
    skv_propose(n, SKV_SRC_ADMIN, p, len, retire_done, j);
}
