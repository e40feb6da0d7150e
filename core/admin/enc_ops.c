/* SPDX-License-Identifier: MIT */
/*
 * enc_ops.c — enable-storage-envelope and enable-raft-envelope (enc_ops.h),
 * and the job helpers of enc_job.h (a running enable-storage-envelope is
 * counted in n->enc_jobs, enc_jobs.h); the writer registration and the
 * newcomer gate are in enc_regs.c.
 */
#include "admin/enc_ops.h"
#include "admin/enc_job.h"
#include "admin/enc_jobs.h"
#include "admin/admin_ops.h"
#include "admin/capability.h"
#include "cmd/enc_cmd.h"
#include "intake/propose.h"
#include "cmd/writers.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct skv_enc_job *skv_enc_job_new(struct skv_op *op)
{
    struct skv_enc_job *j = calloc(1, sizeof *j);
    if (!j)
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
    else
        j->op = op;
    return j;
}

void skv_enc_job_free(struct skv_enc_job *j)
{
    if (j->busy)
        (*j->busy)--;
    json_decref(j->summary);
    free(j);
}

static void reply_enabled(struct skv_op *op, uint64_t index, int was_active, json_t *summary)
{
    json_t *sum = summary ? json_incref(summary) : json_array();
    json_t *o = json_pack("{s:I,s:b,s:o}", "applied_index", (json_int_t)index,
                          "was_already_active", was_active, "capability_summary", sum);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s)
        skv_op_reply_json(op, 200, s);
    else
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
    free(s);
    json_decref(o);
}

void skv_enc_reply_result(struct skv_op *op, const struct skv_propose_result *r, const char *what)
{
    skv_op_reply_error(op, r->rc, r->status, r->error ? r->error : skv_error_name(SKV_ErrInternal),
                       r->retry_after_s, "%s: %s", what, r->message ? r->message : "failed");
}

static int precheck_enabled(struct skv_op *op)
{
    struct skv_node *n = op->node;
    if (n->enc.enabled && n->enc.ks)
        return 0;
    skv_op_fail(op, SKV_ErrEncryptionDisabled,
                "encryption.enabled is false (or no KEK) on the leader, node %llu",
                (unsigned long long)n->conf->node_id);
    return -1;
}

/* ---- Phase 1 ------------------------------------------------------- */

static void storage_flag_done(void *arg, const struct skv_propose_result *r)
{
    struct skv_enc_job *j = arg;
    if (r->rc == SKV_OK)
        reply_enabled(j->op, r->index, 0, j->summary);
    else if (r->error && strcmp(r->error, "AlreadyActive") == 0)
        reply_enabled(j->op, r->index, 1, j->summary);
    else
        skv_enc_reply_result(j->op, r, "enable-storage-envelope");
    skv_enc_job_free(j);
}

static void propose_storage_flag(struct skv_enc_job *j)
{
    void *p = NULL;
    size_t len = 0;
    if (skv_enc_encode_rotation(SKV_ROT_ENABLE_STORAGE, &p, &len) != 0) {
        skv_op_fail(j->op, SKV_ErrNoMemory, "out of memory");
        skv_enc_job_free(j);
        return;
    }
    skv_propose(j->op->node, SKV_SRC_ADMIN, p, len, storage_flag_done, j);
}

static void boot_done(void *arg, const struct skv_propose_result *r)
{
    struct skv_enc_job *j = arg;
    enum skv_error_id id;
    if (r->rc != SKV_OK && !(skv_error_from_name(r->error, &id) == 0 &&
                             id == SKV_ErrAlreadyBootstrapped)) {
        skv_enc_reply_result(j->op, r, "encryption bootstrap");
        skv_enc_job_free(j);
        return;
    }
    propose_storage_flag(j);
}

/* Registrations at epoch 1 for every probed node under both new DEKs. */
static int boot_regs(json_t *summary, uint32_t sid, uint32_t rid, struct skv_writer_reg **out,
                     size_t *n_out)
{
    size_t i, n = json_array_size(summary), k = 0;
    struct skv_writer_reg *r = calloc(n * 2 + 1, sizeof *r);
    if (!r)
        return -1;
    for (i = 0; i < n; i++) {
        json_int_t id = json_integer_value(json_object_get(json_array_get(summary, i), "id"));
        if (id <= 0)
            continue;
        r[k].key_id = sid, r[k].node_id = (uint64_t)id, r[k++].local_epoch = 1;
        r[k].key_id = rid, r[k].node_id = (uint64_t)id, r[k++].local_epoch = 1;
    }
    *out = r;
    *n_out = k;
    return 0;
}

static void propose_bootstrap(struct skv_enc_job *j)
{
    struct skv_node *n = j->op->node;
    struct skv_enc_bootstrap b;
    struct skv_enc_err ee;
    void *p = NULL;
    size_t len = 0;
    memset(&b, 0, sizeof b);
    memset(&ee, 0, sizeof ee);
    snprintf(b.suite, sizeof b.suite, "%s", n->enc.suite);
    b.created_ms = (uint64_t)time(NULL) * 1000u;
    if (skv_keystore_new_dek(n->enc.ks, SKV_PURPOSE_STORAGE, b.suite, &b.storage_id,
                             b.storage_wrapped, &ee) != SKV_OK ||
        skv_keystore_new_dek(n->enc.ks, SKV_PURPOSE_RAFT, b.suite, &b.raft_id,
                             b.raft_wrapped, &ee) != SKV_OK ||
        b.storage_id == b.raft_id) {
        skv_op_reply_error(j->op, SKV_ERR_INTERNAL, 500, skv_enc_errname(ee.why), 0,
                           "cannot generate the DEKs: %s", ee.err.msg);
        skv_enc_job_free(j);
        return;
    }
    if (boot_regs(j->summary, b.storage_id, b.raft_id, &b.regs, &b.n_regs) != 0 ||
        skv_enc_encode_bootstrap(&b, &p, &len) != 0) {
        free(b.regs);
        skv_op_fail(j->op, SKV_ErrNoMemory, "out of memory");
        skv_enc_job_free(j);
        return;
    }
    free(b.regs);
    skv_node_log(n, SKV_LOG_INFO, "proposing the encryption bootstrap (storage key %u, raft "
                 "key %u, %s)", (unsigned)b.storage_id, (unsigned)b.raft_id, b.suite);
    skv_propose(n, SKV_SRC_ADMIN, p, len, boot_done, j);
}

/* Common end of a phase's capability fan-out: keeps the summary for the
 * answer; a failed gate or a lost leadership answers the operator and
 * frees the job. Returns 1 when the phase may go on. */
static int cap_passed(struct skv_node *n, struct skv_enc_job *j, int ok, json_t *summary,
                      const char *message)
{
    j->summary = json_incref(summary);
    if (!ok)
        skv_op_fail(j->op, SKV_ErrCapabilityCheckFailed,
                    "%s", message ? message : "capability check failed");
    else if (raft_state(&n->raft) != RAFT_LEADER)
        skv_op_fail(j->op, SKV_ErrLeadershipLost,
                    "leadership lost during the capability check");
    else
        return 1;
    skv_enc_job_free(j);
    return 0;
}

static void storage_cap_done(struct skv_node *n, void *arg, int ok, json_t *summary,
                             const char *message)
{
    struct skv_enc_job *j = arg;
    if (!cap_passed(n, j, ok, summary, message))
        return;
    if (skv_enc_bootstrapped(&n->enc)) {
        propose_storage_flag(j);
    } else {
        propose_bootstrap(j);
    }
}

void skv_op_enc_enable_storage(struct skv_op *op)
{
    struct skv_node *n = op->node;
    struct skv_enc_job *j;
    if (precheck_enabled(op))
        return;
    if (n->enc.sc.storage_envelope_active) {
        reply_enabled(op, n->enc.sc.raft_applied_index, 1, NULL);
        return;
    }
    if (n->enc_jobs.member_gates > 0) {   /* its newcomer is not in the fan-out yet */
        skv_op_fail(op, SKV_ErrMembershipChangeInProgress,
                    "a members.add/promote is passing the encryption gate; retry");
        return;
    }
    if (!(j = skv_enc_job_new(op)))
        return;
    j->busy = &n->enc_jobs.phase1;
    n->enc_jobs.phase1++;
    skv_cap_fanout(n, n->enc.suite, NULL, 0, storage_cap_done, j);
}

/* ---- Phase 2 ------------------------------------------------------- */

static void cut_done(void *arg, int rc, const char *error, const char *message, uint64_t index)
{
    struct skv_enc_job *j = arg;
    if (rc == SKV_OK) {
        skv_node_log(j->op->node, SKV_LOG_INFO, "raft envelope cutover at index %llu; "
                     "intake was closed %llu ms", (unsigned long long)index,
                     (unsigned long long)j->op->node->intake.cut.last_pause_ms);
        reply_enabled(j->op, index, 0, j->summary);
    } else {
        int status, retry;
        skv_error_name_http(error, &status, &retry);
        skv_op_reply_error(j->op, rc, status, error ? error : skv_error_name(SKV_ErrInternal),
                           retry, "enable-raft-envelope: %s", message ? message : "failed");
    }
    skv_enc_job_free(j);
}

static void raft_cap_done(struct skv_node *n, void *arg, int ok, json_t *summary,
                          const char *message)
{
    struct skv_enc_job *j = arg;
    if (!cap_passed(n, j, ok, summary, message))
        return;
    if (skv_enc_cutover(&n->enc) != 0) {
        reply_enabled(j->op, skv_enc_cutover(&n->enc), 1, j->summary);
        skv_enc_job_free(j);
    } else if (raft_state(&n->raft) != RAFT_LEADER) {
        skv_op_fail(j->op, SKV_ErrLeadershipLost,
                    "this node lost leadership during the capability check; retry");
        skv_enc_job_free(j);
    } else if (!skv_leader_ready(n)) {
        skv_op_fail(j->op, SKV_ErrLeaderNotReady,
                    "new leader has not applied a barrier of its term yet; retry");
        skv_enc_job_free(j);
    } else if (skv_cutover_begin(&n->intake.cut, cut_done, j) != SKV_OK) {
        skv_op_fail(j->op, SKV_ErrEnvelopeCutoverInProgress,
                    "another cutover is running (step %s)", skv_cut_step_name(n->intake.cut.step));
        skv_enc_job_free(j);
    }
}

void skv_op_enc_enable_raft(struct skv_op *op)
{
    struct skv_node *n = op->node;
    const struct skv_sidecar_key *k;
    struct skv_enc_job *j;
    if (precheck_enabled(op))
        return;
    if (!skv_enc_bootstrapped(&n->enc)) {
        skv_op_fail(op, SKV_ErrEncryptionNotBootstrapped,
                    "no raft DEK yet: run enable-storage-envelope first");
        return;
    }
    if (skv_enc_cutover(&n->enc) != 0) {
        reply_enabled(op, skv_enc_cutover(&n->enc), 1, NULL);
        return;
    }
    if (n->intake.cut.step != SKV_CUT_IDLE) {
        skv_op_fail(op, SKV_ErrEnvelopeCutoverInProgress,
                    "a cutover is already running (step %s)",
                    skv_cut_step_name(n->intake.cut.step));
        return;
    }
    k = skv_sidecar_find(&n->enc.sc, n->enc.sc.active_raft);
    if (!(j = skv_enc_job_new(op)))
        return;
    skv_cap_fanout(n, k ? k->suite : n->enc.suite, NULL, 0, raft_cap_done, j);
}
