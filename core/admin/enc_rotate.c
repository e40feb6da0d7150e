/* SPDX-License-Identifier: MIT */
/*
 * enc_rotate.c — "encryption.rotate-dek" on the leader (enc_ops.h): a new
 * DEK for one purpose, generated here (plugin CSPRNG into sodium_malloc
 * memory, wrapped under the KEK at once), committed as the 0x05/1 entry
 * with a writer registration of every member under the new key id. The
 * FSM makes it the purpose's active key at that entry on every replica
 * (fsm_enc.c); old key ids keep opening old data. docs/NONCES.md
 * "Rotation" has the argument. Automatic rotation is enc_rotate_auto.c.
 * Loop thread only.
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
#include <time.h>

struct rot_job {
    struct skv_op *op;
    int purpose;
    uint32_t old_id, new_id;
};

static void rot_free(struct skv_node *n, struct rot_job *j)
{
    n->enc_jobs.rotations--;
    free(j);
}

static void reply_rotated(struct skv_op *op, uint64_t index, int purpose, uint32_t old_id,
                          uint32_t new_id, int was)
{
    skv_op_reply_object(op, json_pack("{s:I,s:s,s:I,s:I,s:b}", "applied_index",
                                      (json_int_t)index, "purpose", skv_purpose_name(purpose),
                                      "key_id", (json_int_t)new_id, "previous_key_id",
                                      (json_int_t)old_id, "was_already_rotated", was));
}

/* {"purpose":"storage"|"raft", "if_active":KEY_ID}, both optional (the
 * default purpose is storage). if_active: rotate only while KEY_ID is
 * still the purpose's active key (automatic rotation: a request that
 * arrives after another rotation is answered was_already_rotated). */
static int parse_body(struct skv_op *op, int *purpose, uint32_t *if_active)
{
    const char *k, *why = NULL;
    json_error_t je;
    json_t *o, *v;
    *purpose = SKV_PURPOSE_STORAGE;
    *if_active = 0;
    if (!op->json || !op->json[0])
        return 0;
    o = json_loads(op->json, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        skv_op_fail(op, SKV_ErrBadRequest, "rotate-dek: the body must be a JSON object");
        return -1;
    }
    json_object_foreach(o, k, v) {
        if (strcmp(k, "purpose") == 0 && json_is_string(v) &&
            (!strcmp(json_string_value(v), "storage") || !strcmp(json_string_value(v), "raft")))
            *purpose = strcmp(json_string_value(v), "raft") ? SKV_PURPOSE_STORAGE : SKV_PURPOSE_RAFT;
        else if (strcmp(k, "if_active") == 0 && json_is_integer(v) && json_integer_value(v) > 0 &&
                 json_integer_value(v) <= (json_int_t)UINT32_MAX)
            *if_active = (uint32_t)json_integer_value(v);
        else
            why = strcmp(k, "purpose") == 0 ? "purpose must be \"storage\" or \"raft\""
                  : strcmp(k, "if_active") == 0 ? "if_active must be a key id (1..2^32-1)"
                  : "unknown member (allowed: purpose, if_active)";
        if (why)
            break;
    }
    json_decref(o);
    if (!why)
        return 0;
    skv_op_fail(op, SKV_ErrBadRequest, "rotate-dek: %s", why);
    return -1;
}

/* Registrations at epoch 1 under `id` for every member of the current
 * configuration (voters, standbys, spares): a new key's first epoch. */
static int config_regs(struct skv_node *n, uint32_t id, struct skv_writer_reg **out,
                       size_t *n_out)
{
    const struct raft_configuration *c = &n->raft.configuration;
    struct skv_writer_reg *r = calloc(c->n ? c->n : 1, sizeof *r);
    unsigned i;
    if (!r)
        return -1;
    for (i = 0; i < c->n; i++) {
        r[i].key_id = id;
        r[i].node_id = c->servers[i].id;
        r[i].local_epoch = 1;
    }
    *out = r;
    *n_out = c->n;
    return 0;
}

static void rot_done(void *arg, const struct skv_propose_result *r)
{
    struct rot_job *j = arg;
    struct skv_node *n = j->op->node;
    if (r->rc == SKV_OK)
        reply_rotated(j->op, r->index, j->purpose, j->old_id, j->new_id, 0);
    else
        skv_op_reply_error(j->op, r->rc, r->status,
                           r->error ? r->error : skv_error_name(SKV_ErrInternal),
                           r->retry_after_s, "rotate-dek: %s", r->message ? r->message : "failed");
    rot_free(n, j);
}

/* Build and propose the entry; replies on failure. */
static void propose_rotate(struct rot_job *j)
{
    struct skv_node *n = j->op->node;
    const struct skv_sidecar_key *k = skv_sidecar_find(&n->enc.sc, j->old_id);
    struct skv_enc_rotate rt;
    struct skv_enc_err ee;
    void *p = NULL;
    size_t len = 0;
    int tries, rc = SKV_ERR_INTERNAL;
    memset(&rt, 0, sizeof rt);
    memset(&ee, 0, sizeof ee);
    rt.purpose = (uint8_t)j->purpose;
    snprintf(rt.suite, sizeof rt.suite, "%s", k ? k->suite : n->enc.suite);
    rt.created_ms = (uint64_t)time(NULL) * 1000u;
    /* a retired key's tombstone keeps its id out of use (NONCES.md "Retire") */
    for (tries = 0; tries < 8 && (tries == 0 || skv_sidecar_find(&n->enc.sc, rt.key_id)); tries++)
        rc = skv_keystore_new_dek(n->enc.ks, j->purpose, rt.suite, &rt.key_id, rt.wrapped, &ee);
    if (rc != SKV_OK || skv_sidecar_find(&n->enc.sc, rt.key_id)) {
        skv_op_reply_error(j->op, SKV_ERR_INTERNAL, 500, skv_enc_errname(ee.why), 0,
                           "rotate-dek: cannot generate the DEK: %s", ee.err.msg);
        rot_free(n, j);
        return;
    }
    if (config_regs(n, rt.key_id, &rt.regs, &rt.n_regs) != 0 ||
        skv_enc_encode_rotate(&rt, &p, &len) != 0) {
        free(rt.regs);
        skv_op_fail(j->op, SKV_ErrNoMemory, "out of memory");
        rot_free(n, j);
        return;
    }
    free(rt.regs);
    j->new_id = rt.key_id;
    skv_node_log(n, SKV_LOG_INFO, "proposing rotate-dek: %s key %u -> %u (%s)",
                 skv_purpose_name(j->purpose), (unsigned)j->old_id, (unsigned)rt.key_id, rt.suite);
    skv_propose(n, SKV_SRC_ADMIN, p, len, rot_done, j);
}

/* The refusals that need no proposal; 0 when the rotation may go on. */
int skv_enc_change_busy(struct skv_op *op)
{
    struct skv_node *n = op->node;
    if (n->enc_jobs.rotations > 0)
        skv_op_fail(op, SKV_ErrKeyRotationInProgress, "a rotate-dek or retire is running; retry");
    else if (n->enc_jobs.member_gates > 0 || n->enc_jobs.phase1 > 0)
        skv_op_fail(op, SKV_ErrMembershipChangeInProgress,
                    "a membership change or enable-storage-envelope is running; retry");
    else if (n->intake.cut.step != SKV_CUT_IDLE)
        skv_op_fail(op, SKV_ErrEnvelopeCutoverInProgress, "the raft envelope cutover is "
                    "running (step %s); retry", skv_cut_step_name(n->intake.cut.step));
    else
        return 0;
    return -1;
}

static int precheck(struct skv_op *op)
{
    struct skv_node *n = op->node;
    if (!n->enc.enabled || !n->enc.ks)
        skv_op_fail(op, SKV_ErrEncryptionDisabled, "encryption.enabled is false (or no KEK) "
                    "on the leader, node %llu", (unsigned long long)n->conf->node_id);
    else if (!skv_enc_bootstrapped(&n->enc))
        skv_op_fail(op, SKV_ErrEncryptionNotBootstrapped,
                    "no DEK to rotate yet: run enable-storage-envelope first");
    else if (skv_enc_change_busy(op) != 0)
        return -1;
    else if (skv_sidecar_full(&n->enc.sc))
        skv_op_fail(op, SKV_ErrTooManyKeys, "the sidecar holds %zu keys with a DEK (limit %d) "
                    "and %zu entries with the retired keys' tombstones (limit %d); retire "
                    "old keys (sealkv encryption retire KEY_ID)", skv_sidecar_live_keys(&n->enc.sc),
                    SKV_SIDECAR_MAX_KEYS, n->enc.sc.n_keys, SKV_SIDECAR_MAX_ENTRIES);
    else
        return 0;
    return -1;
}

void skv_op_enc_rotate_dek(struct skv_op *op)
{
    struct skv_node *n = op->node;
    struct rot_job *j;
    uint32_t if_active, active;
    int purpose;
    if (parse_body(op, &purpose, &if_active) != 0 || precheck(op) != 0)
        return;
    active = purpose == SKV_PURPOSE_STORAGE ? n->enc.sc.active_storage : n->enc.sc.active_raft;
    if (if_active != 0 && if_active != active) {
        reply_rotated(op, n->enc.sc.raft_applied_index, purpose, if_active, active, 1);
        return;
    }
    if (!(j = calloc(1, sizeof *j))) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    j->op = op;
    j->purpose = purpose;
    j->old_id = active;
    n->enc_jobs.rotations++;
    propose_rotate(j);
}
