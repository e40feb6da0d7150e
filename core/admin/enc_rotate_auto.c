/* SPDX-License-Identifier: MIT */
/*
 * enc_rotate_auto.c — automatic DEK rotation (enc_jobs.h
 * skv_enc_rotate_tick). Every node checks, once a second, its own use of
 * each purpose's active key: its local epoch under it (bumped at every
 * start) reaching SKV_ROTATE_EPOCH_AT, or its nonce counter under it in
 * this process reaching SKV_ROTATE_COUNT_AT; the leader also checks the
 * key's age against encryption.rotate_after. Then it submits
 * encryption.rotate-dek with if_active = that key as an internal admin op
 * (forwarded to the leader like an operator's), so a request that crosses
 * another rotation changes nothing. Both limits sit far below exhaustion
 * (0xFFFF, 2^64): docs/NONCES.md "Rotation". Loop thread only.
 */
#include "admin/enc_ops.h"
#include "admin/enc_jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK_MS 1000u     /* between two checks */
#define RETRY_MS 5000u     /* after a refused or failed request */

/* The limits; with test hooks compiled in, $SEALKV_TEST_ROTATE_EPOCH_AT /
 * $SEALKV_TEST_ROTATE_COUNT_AT lower them so tests can reach them. */
static uint64_t limit(const char *env, uint64_t dflt)
{
#ifdef SKV_TEST_HOOKS
    const char *s = getenv(env);
    char *end = NULL;
    unsigned long long v = s ? strtoull(s, &end, 10) : 0;
    if (s && *s && end && !*end && v > 0)
        return v;
#endif
    (void)env;
    return dflt;
}

static void auto_done(void *arg, const struct skv_admin_resp *r)
{
    struct skv_node *n = arg;
    n->enc_jobs.rot_auto_inflight = 0;
    if (r->status == 200) {   /* next check after this node applied it too */
        n->enc_jobs.rot_next_ms = uv_now(&n->loop) + CHECK_MS;
        skv_node_log(n, SKV_LOG_INFO, "automatic rotation: %s", r->json ? r->json : "done");
        return;
    }
    n->enc_jobs.rot_next_ms = uv_now(&n->loop) + RETRY_MS;
    skv_node_log(n, SKV_LOG_WARN, "automatic rotation not done: %s: %s; retrying in %u s",
                 r->error ? r->error : "?", r->message ? r->message : "", RETRY_MS / 1000);
}

/* Why the active key `id` of `purpose` must go now, or NULL. */
static const char *reason(struct skv_node *n, int purpose, uint32_t id, char *buf, size_t len)
{
    const struct skv_sidecar_key *k = skv_sidecar_find(&n->enc.sc, id);
    const struct skv_enc *enc = &n->enc;
    const struct skv_nonce_gen *g = purpose == SKV_PURPOSE_STORAGE ? &enc->gen_storage : &enc->gen_raft;
    uint32_t gid = purpose == SKV_PURPOSE_STORAGE ? enc->gen_storage_id : enc->gen_raft_id;
    uint64_t after = n->conf->enc_rotate_after_ms, now = (uint64_t)time(NULL) * 1000u, used;
    if (!k)
        return NULL;
    if (k->local_epoch >= limit("SEALKV_TEST_ROTATE_EPOCH_AT", SKV_ROTATE_EPOCH_AT)) {
        snprintf(buf, len, "this node's local epoch under it is %u", (unsigned)k->local_epoch);
        return buf;
    }
    used = gid == id ? atomic_load(&((struct skv_nonce_gen *)g)->next) : 0;
    if (used >= limit("SEALKV_TEST_ROTATE_COUNT_AT", SKV_ROTATE_COUNT_AT)) {
        snprintf(buf, len, "this process sealed %llu times under it", (unsigned long long)used);
        return buf;
    }
    if (after && raft_state(&n->raft) == RAFT_LEADER && now >= k->created_ms + after &&
        (purpose == SKV_PURPOSE_STORAGE || skv_enc_cutover(enc) != 0)) {
        snprintf(buf, len, "it is %llu s old (encryption.rotate_after %llu s)",
                 (unsigned long long)((now - k->created_ms) / 1000u),
                 (unsigned long long)(after / 1000u));
        return buf;
    }
    return NULL;
}

static void request(struct skv_node *n, int purpose, uint32_t id, const char *why)
{
    struct skv_admin_req rq;
    struct skv_op *op;
    char json[80];
    snprintf(json, sizeof json, "{\"purpose\":\"%s\",\"if_active\":%u}",
             skv_purpose_name(purpose), (unsigned)id);
    memset(&rq, 0, sizeof rq);
    rq.struct_size = sizeof rq;
    rq.op = "encryption.rotate-dek";
    rq.json = json;
    if (!(op = skv_op_new(n, &rq)))
        return;
    op->done = auto_done;
    op->done_arg = n;
    n->enc_jobs.rot_auto_inflight = 1;
    skv_node_log(n, SKV_LOG_INFO, "automatic rotation of the %s key %u: %s",
                 skv_purpose_name(purpose), (unsigned)id, why);
    skv_op_dispatch(op);
}

void skv_enc_rotate_tick(struct skv_node *n, uint64_t now_ms)
{
    struct skv_enc_jobs *j = &n->enc_jobs;
    uint32_t ids[2] = {n->enc.sc.active_storage, n->enc.sc.active_raft};
    int purposes[2] = {SKV_PURPOSE_STORAGE, SKV_PURPOSE_RAFT}, i;
    char buf[120];
    const char *why;
    raft_id lid = 0;
    const char *laddr = NULL;
    if (!n->enc.ks || !skv_enc_bootstrapped(&n->enc) || j->closed || n->stopping ||
        j->rot_auto_inflight || now_ms < j->rot_next_ms || n->run_state == SKV_RUN_HALTED)
        return;
    j->rot_next_ms = now_ms + CHECK_MS;
    raft_leader(&n->raft, &lid, &laddr);
    if (lid == 0)
        return;
    for (i = 0; i < 2; i++)
        if ((why = reason(n, purposes[i], ids[i], buf, sizeof buf))) {
            request(n, purposes[i], ids[i], why);
            return;
        }
}
