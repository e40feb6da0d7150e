/* SPDX-License-Identifier: MIT */
/*
 * enc_regs.c — writer registrations (enc_ops.h): the start-up rollback
 * check, this node's registration at its current epoch (the state in
 * n->enc_jobs with its init/tick/fail_all, enc_jobs.h), and the newcomer
 * gate of members.add (probe, then register it as a writer).
 */
#include "admin/enc_ops.h"
#include "admin/enc_job.h"
#include "admin/enc_jobs.h"
#include "admin/admin_ops.h"
#include "admin/capability.h"
#include "cmd/enc_cmd.h"
#include "cmd/writers.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- writer registrations ------------------------------------------ */

/* Registrations this node still needs for its active keys (0..2). Sets
 * *rollback when the registry already holds this node at or above its
 * current epoch: at start-up, right after the in-memory bump, "at" is a
 * rollback too (that epoch's counters were used by an earlier process);
 * at run time "at" just means registered. */
static size_t needed_regs(struct skv_node *n, struct skv_writer_reg out[2], int *rollback,
                          struct skv_err *err)
{
    uint32_t ids[2] = {n->enc.sc.active_storage, n->enc.sc.active_raft};
    size_t i, k = 0;
    *rollback = 0;
    for (i = 0; i < 2; i++) {
        const struct skv_sidecar_key *key = skv_sidecar_find(&n->enc.sc, ids[i]);
        uint64_t holder = 0;
        uint32_t epoch = 0;
        int rc;
        if (!key)
            continue;
        rc = skv_writers_get(n->st, n->db, ids[i], n->enc.node16, &holder, &epoch, err);
        if (rc == SKV_OK && holder == n->conf->node_id && epoch >= key->local_epoch)
            *rollback = 1; /* at start-up (fresh epoch) this means reuse */
        if (rc == SKV_OK && holder == n->conf->node_id && epoch == key->local_epoch)
            continue; /* registered at this epoch (run time) */
        if (rc != SKV_OK && rc != SKV_ERR_NOTFOUND)
            *rollback = -1;
        out[k].key_id = ids[i];
        out[k].node_id = n->conf->node_id;
        out[k++].local_epoch = key->local_epoch;
    }
    return k;
}

int skv_enc_registry_check(struct skv_node *n, char *err, size_t errlen)
{
    struct skv_writer_reg r[2];
    struct skv_err e = {0, ""};
    int rollback;
    if (!n->enc.ks || !skv_enc_bootstrapped(&n->enc))
        return 0;
    needed_regs(n, r, &rollback, &e); /* epochs were just bumped in memory */
    if (rollback > 0) {
        snprintf(err, errlen, "%s: the writer registry holds node %llu at a "
                 "higher local epoch than %s/encryption/keys.json (restored from a backup?); "
                 "refusing to reuse nonces", skv_error_name(SKV_ErrLocalEpochRollback),
                 (unsigned long long)n->conf->node_id, n->conf->data_dir);
        return -1;
    }
    if (rollback < 0) {
        snprintf(err, errlen, "writer registry: %s", e.msg);
        return -1;
    }
    n->enc_jobs.reg_state = SKV_ENC_REG_DUE;
    return 0;
}

void skv_enc_jobs_init(struct skv_enc_jobs *j)
{
    j->reg_state = SKV_ENC_REG_DONE;
    j->reg_next_ms = 0;
    j->closed = 0;
    j->phase1 = 0;
    j->member_gates = 0;
    j->rotations = 0;
    j->rot_auto_inflight = 0;
    j->rot_next_ms = 0;
}

static void reg_done(void *arg, const struct skv_propose_result *r)
{
    struct skv_node *n = arg;
    if (r->rc == SKV_OK) {
        n->enc_jobs.reg_state = SKV_ENC_REG_DONE;
        skv_node_log(n, SKV_LOG_INFO, "writer registration applied at index %llu",
                     (unsigned long long)r->index);
        return;
    }
    n->enc_jobs.reg_state = SKV_ENC_REG_DUE; /* retry (a refusal halts this node in apply) */
    n->enc_jobs.reg_next_ms = uv_now(&n->loop) + 500;
}

void skv_enc_jobs_tick(struct skv_node *n, uint64_t now_ms)
{
    struct skv_enc_jobs *j = &n->enc_jobs;
    struct skv_writer_reg r[2];
    struct skv_err e = {0, ""};
    raft_id lid = 0;
    const char *laddr = NULL;
    void *p = NULL;
    size_t k, len = 0;
    int rollback;
    skv_enc_rotate_tick(n, now_ms);
    skv_enc_retire_tick(n, now_ms);
    skv_enc_names_tick(n, now_ms);
    if (j->reg_state != SKV_ENC_REG_DUE || now_ms < j->reg_next_ms || j->closed || n->stopping)
        return;
    raft_leader(&n->raft, &lid, &laddr);
    if (lid == 0)
        return;
    k = needed_regs(n, r, &rollback, &e);
    if (k == 0) {
        j->reg_state = SKV_ENC_REG_DONE;
        return;
    }
    if (skv_writers_encode_reg(r, k, &p, &len) != SKV_OK)
        return;
    j->reg_state = SKV_ENC_REG_INFLIGHT;
    skv_propose(n, SKV_SRC_ADMIN, p, len, reg_done, n);
}

void skv_enc_jobs_fail_all(struct skv_node *n)
{
    n->enc_jobs.closed = 1;
}

/* ---- newcomers ------------------------------------------------------ */

static void member_reg_done(void *arg, const struct skv_propose_result *r)
{
    struct skv_enc_job *j = arg;
    if (r->rc != SKV_OK)
        skv_enc_reply_result(j->op, r, "registering the new member as a writer");
    else
        j->next(j->op);
    skv_enc_job_free(j);
}

static void member_cap_done(struct skv_node *n, void *arg, int ok, json_t *summary,
                            const char *message)
{
    struct skv_enc_job *j = arg;
    struct skv_writer_reg r[2];
    uint32_t ids[2] = {n->enc.sc.active_storage, n->enc.sc.active_raft};
    size_t i, k = 0;
    void *p = NULL;
    size_t len = 0;
    int capable = 0;
    (void)ok;
    (void)message;
    for (i = 0; i < json_array_size(summary); i++) {
        json_t *e = json_array_get(summary, i);
        if ((uint64_t)json_integer_value(json_object_get(e, "id")) == j->member_id)
            capable = json_is_true(json_object_get(e, "capable"));
    }
    if (!capable) {
        skv_op_fail(j->op, SKV_ErrPeerNotEncryptionCapable,
                    "node %llu cannot join an encrypted cluster: %s",
                    (unsigned long long)j->member_id, message ? message : "not capable");
        skv_enc_job_free(j);
        return;
    }
    for (i = 0; i < 2; i++) {
        uint64_t holder = 0;
        uint32_t epoch = 0;
        struct skv_err e = {0, ""};
        if (skv_writers_get(n->st, n->db, ids[i], skv_node_id16(j->member_id), &holder, &epoch,
                            &e) == SKV_OK && holder == j->member_id)
            continue; /* a returning member: its own start-up registers it */
        r[k].key_id = ids[i], r[k].node_id = j->member_id, r[k++].local_epoch = 1;
    }
    if (k == 0) {
        j->next(j->op);
        skv_enc_job_free(j);
        return;
    }
    if (skv_writers_encode_reg(r, k, &p, &len) != SKV_OK) {
        skv_op_fail(j->op, SKV_ErrNoMemory, "out of memory");
        skv_enc_job_free(j);
        return;
    }
    skv_propose(n, SKV_SRC_ADMIN, p, len, member_reg_done, j);
}

static void member_probe(struct skv_enc_job *j)
{
    struct skv_node *n = j->op->node;
    struct skv_cap_target t = {j->member_id, j->op->member_address};
    const struct skv_sidecar_key *k = skv_sidecar_find(&n->enc.sc, n->enc.sc.active_raft);
    /* with key names sealed a newcomer must read the sealed layout too */
    skv_cap_fanout_ex(n, k ? k->suite : n->enc.suite,
                      skv_enc_names_sealed(&n->enc) ? SKV_FEATURE_SEAL_KEY_NAMES : NULL, &t, 1,
                      member_cap_done, j);
}

/* Every entry proposed before the gate is now applied: the local sidecar
 * says whether the cluster is bootstrapped (an encryption bootstrap that
 * was in flight has landed). */
static void member_barrier_done(struct raft_barrier *req, int status)
{
    struct skv_enc_job *j = req->data;
    struct skv_op *op = j->op;
    if (status != 0) {
        skv_reply_raft_error(op, status, "membership gate barrier");
        skv_enc_job_free(j);
    } else if (skv_enc_bootstrapped(&op->node->enc)) {
        member_probe(j);
    } else {
        void (*next)(struct skv_op *) = j->next;
        skv_enc_job_free(j);
        next(op);
    }
}

/* The gate of members.add and members.promote (issue 12 item 4). It runs
 * on a ready leader (admin_ops.c), never beside an enable-storage-envelope
 * (each refuses while the other runs: a bootstrap proposed after the
 * gate's decision would miss the newcomer), and decides only after a
 * barrier, so a bootstrap entry still in flight counts. Bootstrapped:
 * probe the member and register it as a writer, or refuse. */
void skv_enc_member_gate(struct skv_op *op, uint64_t id, const char *address,
                         void (*next)(struct skv_op *op))
{
    struct skv_node *n = op->node;
    struct skv_enc_job *j;
    int rv;
    (void)address;   /* op->member_address */
    if (n->enc_jobs.phase1 > 0) {
        skv_op_fail(op, SKV_ErrEncryptionBootstrapInProgress,
                    "enable-storage-envelope is running; retry the membership change");
        return;
    }
    if (n->enc_jobs.rotations > 0) {   /* its registration would miss the new key */
        skv_op_fail(op, SKV_ErrKeyRotationInProgress,
                    "rotate-dek is running; retry the membership change");
        return;
    }
    if (!(j = skv_enc_job_new(op)))
        return;
    j->member_id = id;
    j->next = next;
    j->busy = &n->enc_jobs.member_gates;
    n->enc_jobs.member_gates++;
    if (skv_enc_bootstrapped(&n->enc)) {
        member_probe(j);
        return;
    }
    j->barrier.data = j;
    if ((rv = raft_barrier(&n->raft, &j->barrier, member_barrier_done)) != 0) {
        skv_reply_raft_error(op, rv, "membership gate barrier");
        skv_enc_job_free(j);
    }
}
