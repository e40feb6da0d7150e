/* SPDX-License-Identifier: MIT */
/*
 * enc_names.c — "encryption.seal-key-names" on the leader (enc_ops.h,
 * issue 13 item 4): refused unless both phases are on (the raft log
 * carries names too: only the raft envelope hides them there) and no
 * other encryption change runs; then the capability gate with the
 * seal-key-names feature (every member, voters and standbys, must run a
 * build that reads the sealed layout), then the 0x05/6 entry naming the
 * active storage key, whose DEK the name key derives from. Every replica
 * switches at that entry (fsm_enc.c); each node's names job
 * (names_job.c) then moves its older records. One-way, like the phases.
 * Loop thread only.
 */
#include "admin/enc_ops.h"
#include "admin/enc_jobs.h"
#include "admin/admin_ops.h"
#include "admin/capability.h"
#include "cmd/enc_cmd.h"
#include "intake/propose.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct names_op {
    struct skv_op *op;
    uint32_t key_id;
    json_t *summary;
};

static void names_free(struct skv_node *n, struct names_op *j)
{
    n->enc_jobs.rotations--;
    json_decref(j->summary);
    free(j);
}

static void reply_sealed(struct skv_op *op, uint64_t index, uint32_t key_id, int was,
                         json_t *summary)
{
    skv_op_reply_object(op, json_pack("{s:I,s:I,s:b,s:o}", "applied_index", (json_int_t)index,
                                      "name_key_id", (json_int_t)key_id, "was_already_active",
                                      was, "capability_summary",
                                      summary ? json_incref(summary) : json_array()));
}

static void names_done(void *arg, const struct skv_propose_result *r)
{
    struct names_op *j = arg;
    struct skv_node *n = j->op->node;
    if (r->rc == SKV_OK)
        reply_sealed(j->op, r->index, j->key_id, 0, j->summary);
    else if (r->error && strcmp(r->error, "AlreadyActive") == 0)
        reply_sealed(j->op, n->enc.sc.names_index, n->enc.sc.names_key_id, 1, j->summary);
    else
        skv_op_reply_error(j->op, r->rc, r->status,
                           r->error ? r->error : skv_error_name(SKV_ErrInternal),
                           r->retry_after_s, "seal-key-names: %s",
                           r->message ? r->message : "failed");
    names_free(n, j);
}

static void names_cap_done(struct skv_node *n, void *arg, int ok, json_t *summary,
                           const char *message)
{
    struct names_op *j = arg;
    void *p = NULL;
    size_t len = 0;
    j->summary = json_incref(summary);
    if (!ok)
        skv_op_fail(j->op, SKV_ErrCapabilityCheckFailed, "%s",
                    message ? message : "capability check failed");
    else if (raft_state(&n->raft) != RAFT_LEADER)
        skv_op_fail(j->op, SKV_ErrLeadershipLost, "leadership lost during the capability check");
    else if ((j->key_id = n->enc.sc.active_storage) == 0 ||
             skv_enc_encode_seal_names(j->key_id, &p, &len) != 0)
        skv_op_fail(j->op, SKV_ErrNoMemory, "out of memory");
    else {
        skv_node_log(n, SKV_LOG_INFO, "proposing seal-key-names (name key from storage key %u)",
                     (unsigned)j->key_id);
        skv_propose(n, SKV_SRC_ADMIN, p, len, names_done, j);
        return;
    }
    names_free(n, j);
}

/* The refusals that need no proposal; 0 when the switch may go on. */
static int precheck(struct skv_op *op)
{
    struct skv_node *n = op->node;
    const struct skv_sidecar *sc = &n->enc.sc;
    if (!n->enc.enabled || !n->enc.ks)
        skv_op_fail(op, SKV_ErrEncryptionDisabled, "encryption.enabled is false (or no KEK) "
                    "on the leader, node %llu", (unsigned long long)n->conf->node_id);
    else if (!skv_enc_bootstrapped(&n->enc))
        skv_op_fail(op, SKV_ErrEncryptionNotBootstrapped,
                    "no DEK yet: run enable-storage-envelope and enable-raft-envelope first");
    else if (!sc->storage_envelope_active || sc->raft_envelope_cutover_index == 0)
        skv_op_fail(op, SKV_ErrEncryptionPhaseInactive, "seal-key-names needs Phase 1 and "
                    "Phase 2 active (the values and the raft log carry names too): run "
                    "enable-storage-envelope and enable-raft-envelope first");
    else
        return skv_enc_change_busy(op);
    return -1;
}

void skv_op_enc_seal_names(struct skv_op *op)
{
    struct skv_node *n = op->node;
    const struct skv_sidecar_key *k;
    struct names_op *j;
    if (precheck(op) != 0)
        return;
    if (skv_enc_names_sealed(&n->enc)) {
        reply_sealed(op, n->enc.sc.names_index, n->enc.sc.names_key_id, 1, NULL);
        return;
    }
    if (!(j = calloc(1, sizeof *j))) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    j->op = op;
    n->enc_jobs.rotations++; /* rotate-dek and retire wait for it (skv_enc_change_busy) */
    k = skv_sidecar_find(&n->enc.sc, n->enc.sc.active_storage);
    skv_cap_fanout_feature(n, k ? k->suite : n->enc.suite, SKV_FEATURE_SEAL_KEY_NAMES,
                           names_cap_done, j);
}
