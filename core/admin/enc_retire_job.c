/* SPDX-License-Identifier: MIT */
/*
 * enc_retire_job.c — this node's LOCAL retire job (docs/NONCES.md
 * "Retire"): for a key the FSM marked retired at entry R (fsm_enc.c)
 * whose DEK this node still holds, on the loop thread in bounded steps:
 *   1. re-seal every FSM value sealed under it with the active storage
 *      key (purge.h's walk; a raft key seals no value: skipped);
 *   2. make the log start above X = max(R, the applied index when step 1
 *      ended): every raft envelope under the key is below R, and the
 *      stored snapshot is then newer than the re-seal; drop the storage
 *      views taken before (snapshot and backup views) and wait for them
 *      (purge.h, shared with erase-cleartext);
 *   3. if no snapshot brought state in meanwhile (it could carry values
 *      under the key: start over), store the sidecar crash-durably
 *      without the key's wrapped DEK but with a tombstone (key id,
 *      purpose, retired_index, dropped) and hide the DEK in the keystore;
 *   4. take one more snapshot (the stored one's encryption record then
 *      no longer carries the wrapped DEK) and compact the store
 *      physically (best effort: the key is already gone).
 * Started by the enc_jobs tick for any retired, not dropped key — after
 * the entry's apply, at start-up, after a snapshot that brought a DEK
 * back — one at a time; retried 5 s after a failure. Crash points
 * retire-job:after-reseal|before-drop|after-drop. Loop thread only.
 */
#include "admin/enc_jobs.h"
#include "admin/purge.h"
#include "fsm/fsm.h"

#include <jansson.h>
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define STEP_TIMEOUT_MS 60000
#define RETRY_MS 5000

enum { J_RESEAL = 1, J_PURGE, J_DROP, J_REFRESH, J_COMPACT, J_DONE };

static const char *const phase_names[] = {"", "reseal", "compact-log", "drop", "snapshot",
                                          "compact-store", "done"};

struct skv_retire_job {
    struct skv_node *n;
    uv_timer_t timer;
    uint32_t key_id;
    int purpose, phase;
    uint64_t retired_index, adopts, started_ms;
    struct skv_reseal reseal;
    struct skv_purge purge;
};

static void job_free(uv_handle_t *h)
{
    free(h->data);
}

/* End the job; a failure is retried later (the key stays retired). */
static void job_end(struct skv_retire_job *j, const char *why)
{
    struct skv_node *n = j->n;
    skv_purge_end(&j->purge);
    uv_timer_stop(&j->timer);
    if (why) {
        skv_node_log(n, SKV_LOG_WARN, "retire job for key %u stopped in step %s: %s%s",
                     (unsigned)j->key_id, phase_names[j->phase], why,
                     n->stopping ? "" : " (retried in 5 s)");
        n->enc_jobs.retire_next_ms = uv_now(&n->loop) + RETRY_MS;
    }
    n->enc_jobs.retire = NULL;
    uv_close((uv_handle_t *)&j->timer, job_free);
}

static void start_purge(struct skv_retire_job *j, uint64_t above)
{
    skv_purge_begin(&j->purge, j->n, above, STEP_TIMEOUT_MS);
    uv_timer_set_repeat(&j->timer, 50);
}

/* Step 3: the sidecar without the DEK, a tombstone in its place. */
static int drop_key(struct skv_retire_job *j)
{
    struct skv_node *n = j->n;
    struct skv_err e = {0, ""};
    struct skv_sidecar *next = malloc(sizeof *next);
    size_t i;
    if (!next)
        return -1;
    *next = n->enc.sc;
    for (i = 0; i < next->n_keys; i++) {
        struct skv_sidecar_key *k = &next->keys[i];
        if (k->key_id != j->key_id)
            continue;
        sodium_memzero(k->wrapped, sizeof k->wrapped);
        k->wrapped_len = 0;
        k->kek_id[0] = '\0';
        k->kek_provider[0] = '\0';
        k->dropped = 1;
    }
    skv_enc_crash_point("retire-job", "before-drop");
    if (skv_enc_commit_sidecar(&n->enc, next, &e) != SKV_OK) {
        free(next);
        skv_node_log(n, SKV_LOG_WARN, "retire job: the sidecar without key %u: %s",
                     (unsigned)j->key_id, e.msg);
        return -1;
    }
    free(next);
    skv_enc_crash_point("retire-job", "after-drop");
    (void)skv_keystore_forget(n->enc.ks, j->key_id);
    n->enc_jobs.retire_runs++;
    skv_node_log(n, SKV_LOG_INFO, "retired %s key %u dropped: no value, log entry or "
                 "snapshot of this node references it (%llu values re-sealed)",
                 skv_purpose_name(j->purpose), (unsigned)j->key_id,
                 (unsigned long long)j->reseal.resealed);
    return 0;
}

static void compacted(struct skv_purge *p, int ok)
{
    struct skv_retire_job *j = (struct skv_retire_job *)((char *)p - offsetof(struct skv_retire_job, purge));
    if (!ok)
        skv_node_log(j->n, SKV_LOG_WARN, "retire job: key %u dropped; %s", (unsigned)j->key_id,
                     p->msg);
    j->phase = J_DONE;
    job_end(j, NULL);
}

static void reseal_step(struct skv_retire_job *j)
{
    int r = j->purpose == SKV_PURPOSE_STORAGE ? skv_reseal_chunk(j->n, &j->reseal) : 0;
    if (r < 0) {
        job_end(j, j->reseal.msg);
    } else if (r == 0) {
        skv_enc_crash_point("retire-job", "after-reseal");
        j->phase = J_PURGE;
        start_purge(j, j->retired_index > j->n->fsm.applied ? j->retired_index
                                                             : j->n->fsm.applied);
    }
}

/* Step 3, once nothing of this node needs the key; 0 when stored. */
static void drop_step(struct skv_retire_job *j)
{
    struct skv_node *n = j->n;
    if (n->enc.snap_adopts != j->adopts) { /* a snapshot came in: start over */
        j->adopts = n->enc.snap_adopts;
        skv_reseal_init(&j->reseal, j->key_id);
        j->phase = J_RESEAL;
        uv_timer_set_repeat(&j->timer, 1);
        return;
    }
    if (n->enc_jobs.rewraps > 0)
        return; /* a KEK rewrap stores the sidecar too: wait for it */
    if (drop_key(j) != 0) {
        job_end(j, "cannot store the sidecar");
        return;
    }
    j->phase = J_REFRESH;
    start_purge(j, n->fsm.applied);
}

static void after_purge(struct skv_retire_job *j)
{
    if (j->phase == J_PURGE) {
        skv_purge_end(&j->purge);
        j->phase = J_DROP;
        drop_step(j);
        return;
    }
    j->phase = J_COMPACT;
    uv_timer_stop(&j->timer);
    if (skv_purge_compact(&j->purge, compacted) != 0)
        compacted(&j->purge, 0);
}

static void job_step(uv_timer_t *t)
{
    struct skv_retire_job *j = t->data;
    struct skv_node *n = j->n;
    int r;
    if (n->stopping || n->run_state == SKV_RUN_HALTED) {
        job_end(j, "node is stopping or halted");
        return;
    }
    if (j->phase == J_RESEAL) {
        reseal_step(j);
        return;
    }
    if (j->phase == J_DROP) {
        drop_step(j);
        return;
    }
    if ((r = skv_purge_step(&j->purge)) == 1)
        return;
    if (r < 0 && j->phase == J_PURGE)
        job_end(j, j->purge.msg);
    else if (r < 0)   /* the key is dropped: the rest is best effort */
        compacted(&j->purge, 0);
    else
        after_purge(j);
}

/* A retired key this node still holds the DEK of, or NULL. */
static const struct skv_sidecar_key *pending_key(const struct skv_sidecar *sc)
{
    size_t i;
    for (i = 0; i < sc->n_keys; i++)
        if (sc->keys[i].retired_index != 0 && !sc->keys[i].dropped)
            return &sc->keys[i];
    return NULL;
}

void skv_enc_retire_tick(struct skv_node *n, uint64_t now_ms)
{
    const struct skv_sidecar_key *k;
    struct skv_retire_job *j;
    if (n->enc_jobs.retire || n->enc_jobs.closed || n->stopping || !n->enc.ks ||
        n->run_state == SKV_RUN_HALTED || now_ms < n->enc_jobs.retire_next_ms ||
        !(k = pending_key(&n->enc.sc)) || !(j = calloc(1, sizeof *j)))
        return;
    j->n = n;
    j->key_id = k->key_id;
    j->purpose = (int)k->purpose;
    j->retired_index = k->retired_index;
    j->adopts = n->enc.snap_adopts;
    j->started_ms = now_ms;
    j->phase = J_RESEAL;
    skv_reseal_init(&j->reseal, k->key_id);
    uv_timer_init(&n->loop, &j->timer);
    j->timer.data = j;
    n->enc_jobs.retire = j;
    skv_node_log(n, SKV_LOG_INFO, "retire job started for %s key %u (retired at entry %llu)",
                 skv_purpose_name(j->purpose), (unsigned)j->key_id,
                 (unsigned long long)j->retired_index);
    uv_timer_start(&j->timer, job_step, 0, 1);
}

json_t *skv_enc_retire_json(struct skv_node *n)
{
    const struct skv_retire_job *j = n->enc_jobs.retire;
    json_t *o;
    if (!j)
        return json_null();
    o = json_pack("{s:I,s:s,s:I,s:I}", "key_id", (json_int_t)j->key_id, "step",
                  phase_names[j->phase], "values_resealed", (json_int_t)j->reseal.resealed,
                  "running_ms", (json_int_t)(uv_now(&n->loop) - j->started_ms));
    return o ? o : json_null();
}
