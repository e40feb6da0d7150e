/* SPDX-License-Identifier: MIT */
/*
 * enc_ops.c — enable-storage-envelope, enable-raft-envelope, the newcomer
 * gate of members.add and the start-up writer registration (enc_ops.h).
 */
#include "admin/enc_ops.h"
#include "admin/admin_ops.h"
#include "admin/capability.h"
#include "cmd/enc_cmd.h"
#include "intake/propose.h"
#include "cmd/writers.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct enc_job {
    struct skv_op *op;
    json_t *summary;
    uint64_t member_id;
    void (*next)(struct skv_op *op);
    unsigned *busy;                /* node counter held while the job lives */
    struct raft_barrier barrier;   /* member gate: flush entries in flight */
};

static struct enc_job *job_new(struct skv_op *op)
{
    struct enc_job *j = calloc(1, sizeof *j);
    if (!j)
        skv_op_reply_error(op, SKV_ERR_NOMEM, 500, "ErrNoMemory", 0, "out of memory");
    else
        j->op = op;
    return j;
}

static void job_free(struct enc_job *j)
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
        skv_op_reply_error(op, SKV_ERR_NOMEM, 500, "ErrNoMemory", 0, "out of memory");
    free(s);
    json_decref(o);
}

static void reply_result(struct skv_op *op, const struct skv_propose_result *r, const char *what)
{
    skv_op_reply_error(op, r->rc, r->status, r->error ? r->error : "ErrInternal",
                       r->retry_after_s, "%s: %s", what, r->message ? r->message : "failed");
}

static int precheck_enabled(struct skv_op *op)
{
    struct skv_node *n = op->node;
    if (n->enc.enabled && n->enc.ks)
        return 0;
    skv_op_reply_error(op, SKV_ERR_UNSUPPORTED, 409, "ErrEncryptionDisabled", 0,
                       "encryption.enabled is false (or no KEK) on the leader, node %llu",
                       (unsigned long long)n->conf->node_id);
    return -1;
}

/* ---- Phase 1 ------------------------------------------------------- */

static void storage_flag_done(void *arg, const struct skv_propose_result *r)
{
    struct enc_job *j = arg;
    if (r->rc == SKV_OK)
        reply_enabled(j->op, r->index, 0, j->summary);
    else if (r->error && strcmp(r->error, "AlreadyActive") == 0)
        reply_enabled(j->op, r->index, 1, j->summary);
    else
        reply_result(j->op, r, "enable-storage-envelope");
    job_free(j);
}

static void propose_storage_flag(struct enc_job *j)
{
    void *p = NULL;
    size_t len = 0;
    if (skv_enc_encode_rotation(SKV_ROT_ENABLE_STORAGE, &p, &len) != 0) {
        skv_op_reply_error(j->op, SKV_ERR_NOMEM, 500, "ErrNoMemory", 0, "out of memory");
        job_free(j);
        return;
    }
    skv_propose(j->op->node, SKV_SRC_ADMIN, p, len, storage_flag_done, j);
}

static void boot_done(void *arg, const struct skv_propose_result *r)
{
    struct enc_job *j = arg;
    if (r->rc != SKV_OK && !(r->error && strcmp(r->error, "ErrAlreadyBootstrapped") == 0)) {
        reply_result(j->op, r, "encryption bootstrap");
        job_free(j);
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

static void propose_bootstrap(struct enc_job *j)
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
        job_free(j);
        return;
    }
    if (boot_regs(j->summary, b.storage_id, b.raft_id, &b.regs, &b.n_regs) != 0 ||
        skv_enc_encode_bootstrap(&b, &p, &len) != 0) {
        free(b.regs);
        skv_op_reply_error(j->op, SKV_ERR_NOMEM, 500, "ErrNoMemory", 0, "out of memory");
        job_free(j);
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
static int cap_passed(struct skv_node *n, struct enc_job *j, int ok, json_t *summary,
                      const char *message)
{
    j->summary = json_incref(summary);
    if (!ok)
        skv_op_reply_error(j->op, SKV_ERR_UNSUPPORTED, 412, "ErrCapabilityCheckFailed", 0,
                           "%s", message ? message : "capability check failed");
    else if (raft_state(&n->raft) != RAFT_LEADER)
        skv_op_reply_error(j->op, SKV_ERR_AGAIN, 503, "ErrLeadershipLost", 1,
                           "leadership lost during the capability check");
    else
        return 1;
    job_free(j);
    return 0;
}

static void storage_cap_done(struct skv_node *n, void *arg, int ok, json_t *summary,
                             const char *message)
{
    struct enc_job *j = arg;
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
    struct enc_job *j;
    if (precheck_enabled(op))
        return;
    if (n->enc.sc.storage_envelope_active) {
        reply_enabled(op, n->enc.sc.raft_applied_index, 1, NULL);
        return;
    }
    if (n->member_gate_jobs > 0) {   /* its newcomer is not in the fan-out yet */
        skv_op_reply_error(op, SKV_ERR_AGAIN, 503, "ErrMembershipChangeInProgress", 1,
                           "a members.add/promote is passing the encryption gate; retry");
        return;
    }
    if (!(j = job_new(op)))
        return;
    j->busy = &n->phase1_jobs;
    n->phase1_jobs++;
    skv_cap_fanout(n, n->enc.suite, NULL, 0, storage_cap_done, j);
}

/* ---- Phase 2 ------------------------------------------------------- */

static void cut_done(void *arg, int rc, const char *error, const char *message, uint64_t index)
{
    struct enc_job *j = arg;
    if (rc == SKV_OK) {
        skv_node_log(j->op->node, SKV_LOG_INFO, "raft envelope cutover at index %llu; "
                     "intake was closed %llu ms", (unsigned long long)index,
                     (unsigned long long)j->op->node->intake.cut.last_pause_ms);
        reply_enabled(j->op, index, 0, j->summary);
    } else {
        int status, retry;
        skv_error_http(error, &status, &retry);
        skv_op_reply_error(j->op, rc, status, error ? error : "ErrInternal", retry,
                           "enable-raft-envelope: %s", message ? message : "failed");
    }
    job_free(j);
}

static void raft_cap_done(struct skv_node *n, void *arg, int ok, json_t *summary,
                          const char *message)
{
    struct enc_job *j = arg;
    if (!cap_passed(n, j, ok, summary, message))
        return;
    if (skv_enc_cutover(&n->enc) != 0) {
        reply_enabled(j->op, skv_enc_cutover(&n->enc), 1, j->summary);
        job_free(j);
    } else if (raft_state(&n->raft) != RAFT_LEADER) {
        skv_op_reply_error(j->op, SKV_ERR_AGAIN, 503, "ErrLeadershipLost", 1,
                           "this node lost leadership during the capability check; retry");
        job_free(j);
    } else if (!skv_leader_ready(n)) {
        skv_op_reply_error(j->op, SKV_ERR_AGAIN, 503, "ErrLeaderNotReady", 1,
                           "new leader has not applied a barrier of its term yet; retry");
        job_free(j);
    } else if (skv_cutover_begin(&n->intake.cut, cut_done, j) != SKV_OK) {
        skv_op_reply_error(j->op, SKV_ERR_AGAIN, 503, "ErrEnvelopeCutoverInProgress", 1,
                           "another cutover is running (step %s)", skv_cut_step_name(n->intake.cut.step));
        job_free(j);
    }
}

void skv_op_enc_enable_raft(struct skv_op *op)
{
    struct skv_node *n = op->node;
    const struct skv_sidecar_key *k;
    struct enc_job *j;
    if (precheck_enabled(op))
        return;
    if (!skv_enc_bootstrapped(&n->enc)) {
        skv_op_reply_error(op, SKV_ERR_INVALID, 409, "ErrEncryptionNotBootstrapped", 0,
                           "no raft DEK yet: run enable-storage-envelope first");
        return;
    }
    if (skv_enc_cutover(&n->enc) != 0) {
        reply_enabled(op, skv_enc_cutover(&n->enc), 1, NULL);
        return;
    }
    if (n->intake.cut.step != SKV_CUT_IDLE) {
        skv_op_reply_error(op, SKV_ERR_AGAIN, 503, "ErrEnvelopeCutoverInProgress", 1,
                           "a cutover is already running (step %s)",
                           skv_cut_step_name(n->intake.cut.step));
        return;
    }
    k = skv_sidecar_find(&n->enc.sc, n->enc.sc.active_raft);
    if (!(j = job_new(op)))
        return;
    skv_cap_fanout(n, k ? k->suite : n->enc.suite, NULL, 0, raft_cap_done, j);
}

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
        snprintf(err, errlen, "ErrLocalEpochRollback: the writer registry holds node %llu at a "
                 "higher local epoch than %s/encryption/keys.json (restored from a backup?); "
                 "refusing to reuse nonces", (unsigned long long)n->conf->node_id,
                 n->conf->data_dir);
        return -1;
    }
    if (rollback < 0) {
        snprintf(err, errlen, "writer registry: %s", e.msg);
        return -1;
    }
    n->enc_reg_state = 1;
    return 0;
}

static void reg_done(void *arg, const struct skv_propose_result *r)
{
    struct skv_node *n = arg;
    if (r->rc == SKV_OK) {
        n->enc_reg_state = 0;
        skv_node_log(n, SKV_LOG_INFO, "writer registration applied at index %llu",
                     (unsigned long long)r->index);
        return;
    }
    n->enc_reg_state = 1; /* retry (a refusal halts this node in apply) */
    n->enc_reg_next_ms = uv_now(&n->loop) + 500;
}

void skv_enc_register_tick(struct skv_node *n, uint64_t now_ms)
{
    struct skv_writer_reg r[2];
    struct skv_err e = {0, ""};
    raft_id lid = 0;
    const char *laddr = NULL;
    void *p = NULL;
    size_t k, len = 0;
    int rollback;
    if (n->enc_reg_state != 1 || now_ms < n->enc_reg_next_ms || n->stopping)
        return;
    raft_leader(&n->raft, &lid, &laddr);
    if (lid == 0)
        return;
    k = needed_regs(n, r, &rollback, &e);
    if (k == 0) {
        n->enc_reg_state = 0;
        return;
    }
    if (skv_writers_encode_reg(r, k, &p, &len) != SKV_OK)
        return;
    n->enc_reg_state = 2;
    skv_propose(n, SKV_SRC_ADMIN, p, len, reg_done, n);
}

/* ---- newcomers ------------------------------------------------------ */

static void member_reg_done(void *arg, const struct skv_propose_result *r)
{
    struct enc_job *j = arg;
    if (r->rc != SKV_OK)
        reply_result(j->op, r, "registering the new member as a writer");
    else
        j->next(j->op);
    job_free(j);
}

static void member_cap_done(struct skv_node *n, void *arg, int ok, json_t *summary,
                            const char *message)
{
    struct enc_job *j = arg;
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
        skv_op_reply_error(j->op, SKV_ERR_UNSUPPORTED, 412, "ErrPeerNotEncryptionCapable", 0,
                           "node %llu cannot join an encrypted cluster: %s",
                           (unsigned long long)j->member_id, message ? message : "not capable");
        job_free(j);
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
        job_free(j);
        return;
    }
    if (skv_writers_encode_reg(r, k, &p, &len) != SKV_OK) {
        skv_op_reply_error(j->op, SKV_ERR_NOMEM, 500, "ErrNoMemory", 0, "out of memory");
        job_free(j);
        return;
    }
    skv_propose(n, SKV_SRC_ADMIN, p, len, member_reg_done, j);
}

static void member_probe(struct enc_job *j)
{
    struct skv_node *n = j->op->node;
    struct skv_cap_target t = {j->member_id, j->op->member_address};
    const struct skv_sidecar_key *k = skv_sidecar_find(&n->enc.sc, n->enc.sc.active_raft);
    skv_cap_fanout(n, k ? k->suite : n->enc.suite, &t, 1, member_cap_done, j);
}

/* Every entry proposed before the gate is now applied: the local sidecar
 * says whether the cluster is bootstrapped (an encryption bootstrap that
 * was in flight has landed). */
static void member_barrier_done(struct raft_barrier *req, int status)
{
    struct enc_job *j = req->data;
    struct skv_op *op = j->op;
    if (status != 0) {
        skv_reply_raft_error(op, status, "membership gate barrier");
        job_free(j);
    } else if (skv_enc_bootstrapped(&op->node->enc)) {
        member_probe(j);
    } else {
        void (*next)(struct skv_op *) = j->next;
        job_free(j);
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
    struct enc_job *j;
    int rv;
    (void)address;   /* op->member_address */
    if (n->phase1_jobs > 0) {
        skv_op_reply_error(op, SKV_ERR_AGAIN, 503, "ErrEncryptionBootstrapInProgress", 1,
                           "enable-storage-envelope is running; retry the membership change");
        return;
    }
    if (!(j = job_new(op)))
        return;
    j->member_id = id;
    j->next = next;
    j->busy = &n->member_gate_jobs;
    n->member_gate_jobs++;
    if (skv_enc_bootstrapped(&n->enc)) {
        member_probe(j);
        return;
    }
    j->barrier.data = j;
    if ((rv = raft_barrier(&n->raft, &j->barrier, member_barrier_done)) != 0) {
        skv_reply_raft_error(op, rv, "membership gate barrier");
        job_free(j);
    }
}
