/* SPDX-License-Identifier: MIT */
/*
 * names_job.c — this node's LOCAL names job (issue 13 item 4, fsm_names.h):
 * once key names are sealed, move every record still stored under its
 * cleartext name to the sealed layout, a chunk of 256 records per loop
 * turn (fsm_names_move.c: each chunk one synced batch, serialised with
 * apply), until none remains. Started by the enc_jobs tick whenever
 * names are sealed and the store still holds such a record: after the
 * seal-key-names entry, at start-up (a restart mid-way resumes: what is
 * left is what the store holds, there is no separate progress record to
 * disagree with it), after a restore that brought some. Retried 5 s
 * after a failure, and stopped (retried 5 s later) while a snapshot
 * install replaces the key space (fsm_install.c). erase-cleartext
 * refuses until it is done (ErrNamesMigrationIncomplete). Crash points
 * names-job:after-chunk (a chunk written) and names-job:before-done (the
 * last chunk written, not yet reported). With encryption.seal_key_names: true, the leader
 * also submits encryption.seal-key-names itself (an internal admin op,
 * like automatic rotation) once both phases are on, checked every second,
 * retried 5 s after a refusal (a capability gate that fails, another
 * change running). Loop thread only.
 */
#include "admin/enc_jobs.h"
#include "intake/op.h"
#include "fsm/fsm.h"
#include "fsm/fsm_names.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_MS 5000

struct skv_names_job {
    struct skv_node *n;
    uv_timer_t timer;
    uint64_t started_ms;
    struct skv_names_move mv;
};

static void job_free(uv_handle_t *h)
{
    free(h->data);
}

static void job_end(struct skv_names_job *j, const char *why)
{
    struct skv_node *n = j->n;
    uv_timer_stop(&j->timer);
    if (why) {
        skv_node_log(n, SKV_LOG_WARN, "names job stopped after %llu records: %s%s",
                     (unsigned long long)j->mv.moved, why,
                     n->stopping ? "" : " (retried in 5 s)");
        n->enc_jobs.names_next_ms = uv_now(&n->loop) + RETRY_MS;
    } else {
        skv_node_log(n, SKV_LOG_INFO, "names job done: %llu records moved to the sealed-names "
                     "layout, %llu orphan revision records dropped, in %llu ms",
                     (unsigned long long)j->mv.moved, (unsigned long long)j->mv.dropped,
                     (unsigned long long)(uv_now(&n->loop) - j->started_ms));
    }
    n->enc_jobs.names = NULL;
    uv_close((uv_handle_t *)&j->timer, job_free);
}

static void job_step(uv_timer_t *t)
{
    struct skv_names_job *j = t->data;
    struct skv_node *n = j->n;
    uint64_t before = j->mv.moved;
    int r;
    if (n->stopping || n->run_state == SKV_RUN_HALTED) {
        job_end(j, "node is stopping or halted");
        return;
    }
    if (skv_fsm_installing(&n->fsm)) {   /* the key space is being replaced */
        job_end(j, "a snapshot install replaces the key space");
        return;
    }
    r = skv_names_move_chunk(&n->fsm, &j->mv);
    n->enc_jobs.names_moved += j->mv.moved - before;
    if (r < 0) {
        job_end(j, j->mv.msg);
        return;
    }
    if (r == 1) {
        skv_enc_crash_point("names-job", "after-chunk");
        return;
    }
    skv_enc_crash_point("names-job", "before-done");
    job_end(j, NULL);
}

#define AUTO_CHECK_MS 1000u

static void auto_done(void *arg, const struct skv_admin_resp *r)
{
    struct skv_node *n = arg;
    n->enc_jobs.names_auto_inflight = 0;
    if (r->status == 200) {
        skv_node_log(n, SKV_LOG_INFO, "encryption.seal_key_names: %s", r->json ? r->json : "done");
        return;
    }
    n->enc_jobs.names_auto_next_ms = uv_now(&n->loop) + RETRY_MS;
    skv_node_log(n, SKV_LOG_WARN, "encryption.seal_key_names: not sealed yet: %s: %s; retrying "
                 "in %u s", r->error ? r->error : "?", r->message ? r->message : "",
                 RETRY_MS / 1000);
}

/* encryption.seal_key_names: true: the leader asks once both phases are on. */
static void auto_tick(struct skv_node *n, uint64_t now_ms)
{
    struct skv_enc_jobs *j = &n->enc_jobs;
    struct skv_admin_req rq;
    struct skv_op *op;
    if (!n->conf->enc_seal_key_names || !n->enc.ks || skv_enc_names_sealed(&n->enc) ||
        j->names_auto_inflight || now_ms < j->names_auto_next_ms || j->closed || n->stopping ||
        n->run_state == SKV_RUN_HALTED || raft_state(&n->raft) != RAFT_LEADER ||
        !n->enc.sc.storage_envelope_active || skv_enc_cutover(&n->enc) == 0)
        return;
    j->names_auto_next_ms = now_ms + AUTO_CHECK_MS;
    memset(&rq, 0, sizeof rq);
    rq.struct_size = sizeof rq;
    rq.op = "encryption.seal-key-names";
    if (!(op = skv_op_new(n, &rq)))
        return;
    op->done = auto_done;
    op->done_arg = n;
    j->names_auto_inflight = 1;
    skv_node_log(n, SKV_LOG_INFO, "encryption.seal_key_names: both phases are on: sealing "
                 "key names");
    skv_op_dispatch(op);
}

/* Test hook (--enable-fault-injection): $SEALKV_TEST_NAMES_HOLD set keeps
 * the job from starting, so a test sees a node with records of both
 * layouts for as long as it likes. */
static int held(void)
{
#ifdef SKV_TEST_HOOKS
    return getenv("SEALKV_TEST_NAMES_HOLD") != NULL;
#else
    return 0;
#endif
}

void skv_enc_names_tick(struct skv_node *n, uint64_t now_ms)
{
    struct skv_names_job *j;
    auto_tick(n, now_ms);
    if (held() || n->enc_jobs.names || n->enc_jobs.closed || n->stopping || !n->enc.ks ||
        n->run_state == SKV_RUN_HALTED || now_ms < n->enc_jobs.names_next_ms ||
        skv_fsm_installing(&n->fsm) || !skv_fsm_names_on(&n->fsm) ||
        !skv_fsm_names_old(&n->fsm) ||
        !(j = calloc(1, sizeof *j)))
        return;
    j->n = n;
    j->started_ms = now_ms;
    skv_names_move_init(&j->mv);
    uv_timer_init(&n->loop, &j->timer);
    j->timer.data = j;
    n->enc_jobs.names = j;
    skv_node_log(n, SKV_LOG_INFO, "names job started: records stored under their cleartext "
                 "name move to the sealed-names layout");
    uv_timer_start(&j->timer, job_step, 0, 1);
}

json_t *skv_enc_names_json(struct skv_node *n)
{
    const struct skv_sidecar *sc = &n->enc.sc;
    int on = skv_enc_names_sealed(&n->enc);
    const char *state = !on ? "off" : n->enc_jobs.names ? "running"
                      : n->fsm.names_old == 0 ? "done" : "pending";
    json_t *o = json_pack("{s:b,s:I,s:I,s:s,s:I}", "sealed", on, "sealed_index",
                          (json_int_t)sc->names_index, "name_key_id",
                          (json_int_t)sc->names_key_id, "migration", state,
                          "records_moved", (json_int_t)n->enc_jobs.names_moved);
    return o ? o : json_null();
}
