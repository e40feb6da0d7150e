/* SPDX-License-Identifier: MIT */
/*
 * erase.c — "encryption.erase-cleartext" (DESIGN.md §5 "Cleartext history
 * is erased, provably"): on THIS node, once Phase 1 and Phase 2 are both
 * active,
 *   1. re-seal every FSM value still stored in cleartext (written before
 *      Phase 1) with the storage DEK — in chunks on the loop thread, so
 *      each chunk is serialised with FSM apply;
 *   2. compact the Raft log below the cutover: take a snapshot right away
 *      (threshold 1, trailing 1, then a no-op entry 0x02 to trigger it) and
 *      wait until no stored log entry at or below N remains;
 *   3. drop the FSM's snapshot views (fsm/snap_view.h: a view taken before
 *      step 2 still sees the deleted entries, so compaction would keep
 *      them) and wait until none taken before is alive, then physically
 *      compact the store on a worker thread so the overwritten and
 *      deleted cleartext bytes leave the disk.
 * Answers {"resealed_values":N,"log_first_index":I,"cutover_index":N,
 * "storage_compacted":bool}; `sealkv verify --strict` then proves the
 * data dir holds no cleartext entry or value. Loop thread only.
 */
#include "admin/erase.h"
#include "cmd/command.h"
#include "crypto/envelope.h"
#include "fsm/fsm.h"
#include "util/keys.h"
#include "intake/propose.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 256
#define ERASE_TIMEOUT_MS 30000

struct erase {
    struct skv_op *op;
    uv_timer_t timer;
    uv_work_t work;
    int phase;                  /* 1 reseal, 2 log, 3 storage, 4 done */
    int views_dropped;          /* step 3 waits for older views to go */
    uint8_t next_key[SKV_MAX_KEY + 2];
    size_t next_len;
    uint64_t resealed, first_index, deadline, noop_at, views_mark;
    unsigned threshold, trailing;
    int compact_rc;
    char msg[400];
};

static void erase_step(uv_timer_t *t);

static void erase_free(uv_handle_t *h)
{
    free(h->data);
}

static void finish(struct erase *e, int ok)
{
    struct skv_node *n = e->op->node;
    char *s;
    json_t *o;
    if (e->phase >= 2) { /* put the snapshot settings back */
        raft_set_snapshot_threshold(&n->raft, e->threshold);
        raft_set_snapshot_trailing(&n->raft, e->trailing);
    }
    if (!n->admin_started && !e->op->fwd_from) {
        skv_op_free(e->op); /* shutting down: the admin plugin is gone */
    } else if (!ok) {
        skv_op_fail(e->op, SKV_ErrEraseIncomplete, "%s", e->msg);
    } else {
        o = json_pack("{s:I,s:I,s:I,s:b}", "resealed_values", (json_int_t)e->resealed,
                      "log_first_index", (json_int_t)e->first_index, "cutover_index",
                      (json_int_t)skv_enc_cutover(&n->enc), "storage_compacted",
                      e->compact_rc == SKV_OK);
        s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (s)
            skv_op_reply_json(e->op, 200, s);
        else
            skv_op_fail(e->op, SKV_ErrNoMemory, "out of memory");
        free(s);
    }
    uv_close((uv_handle_t *)&e->timer, erase_free);
}

/* One chunk of re-sealing: 1 more to do, 0 done, -1 error (e->msg). */
static int reseal_chunk(struct erase *e)
{
    struct skv_node *n = e->op->node;
    struct skv_fsm_batch b = {NULL, 0, 0, 0};
    struct skv_err err = {0, ""};
    void *it = NULL;
    int count = 0, more = 0, rc;
    if (skv_fsm_flush(&n->fsm) != 0) { /* the walk must see every applied value */
        snprintf(e->msg, sizeof e->msg, "the FSM could not write its applied entries");
        return -1;
    }
    if (n->st->iter_new(n->db, NULL, &it, &err) != SKV_OK) {
        snprintf(e->msg, sizeof e->msg, "storage: %s", err.msg);
        return -1;
    }
    for (n->st->iter_seek(it, e->next_key, e->next_len); n->st->iter_valid(it);
         n->st->iter_next(it)) {
        size_t kl, vl, rl = 0;
        const uint8_t *k = n->st->iter_key(it, &kl), *v = n->st->iter_value(it, &vl);
        uint8_t *rec = NULL;
        if (kl == 0 || k[0] != SKV_PFX_FSM_DATA)
            break;
        if (count++ == CHUNK) {
            memcpy(e->next_key, k, kl);
            e->next_len = kl;
            more = 1;
            break;
        }
        if (vl < 1 || (v[0] & SKV_VAL_STATE_MASK) != SKV_VAL_CLEAR)
            continue;
        if (skv_fsm_seal_value(&n->fsm, 0, k, kl, v + 1, vl - 1, &rec, &rl) != 0 ||
            skv_fsm_batch_put(&b, k, kl, rec, rl) != 0) {
            free(rec);
            snprintf(e->msg, sizeof e->msg, "cannot re-seal a value");
            n->st->iter_free(it);
            skv_fsm_batch_free(&b);
            return -1;
        }
        free(rec);
        e->resealed++;
    }
    n->st->iter_free(it);
    rc = b.n ? n->st->write(n->db, b.ops, b.n, 1, &err) : SKV_OK;
    skv_fsm_batch_free(&b);
    if (rc != SKV_OK) {
        snprintf(e->msg, sizeof e->msg, "storage write: %s", err.msg);
        return -1;
    }
    return more;
}

/* Index of the first stored log entry (0 if none). */
static uint64_t first_log_index(struct skv_node *n)
{
    struct skv_err err = {0, ""};
    uint8_t pfx = SKV_PFX_RAFT_LOG;
    uint64_t idx = 0;
    void *it = NULL;
    size_t kl;
    if (n->st->iter_new(n->db, NULL, &it, &err) != SKV_OK)
        return 0;
    n->st->iter_seek(it, &pfx, 1);
    if (n->st->iter_valid(it)) {
        const uint8_t *k = n->st->iter_key(it, &kl);
        if (kl == 9 && k[0] == SKV_PFX_RAFT_LOG)
            for (size_t i = 1; i < 9; i++)
                idx = idx << 8 | k[i];
    }
    n->st->iter_free(it);
    return idx;
}

static void noop_done(void *arg, const struct skv_propose_result *r)
{
    (void)arg;
    (void)r; /* progress is observed in the store; erase_step retries */
}

static void propose_noop(struct erase *e)
{
    struct skv_node *n = e->op->node;
    uint8_t *p = raft_malloc(1);
    if (!p)
        return;
    p[0] = SKV_CMD_NOOP;
    e->noop_at = uv_now(&n->loop);
    skv_propose(n, SKV_SRC_ADMIN, p, 1, noop_done, e);
}

static void compact_work(uv_work_t *w)
{
    struct erase *e = w->data;
    struct skv_node *n = e->op->node;
    struct skv_err err = {0, ""};
    e->compact_rc = n->st->compact(n->db, NULL, 0, NULL, 0, &err);
    if (e->compact_rc != SKV_OK)
        snprintf(e->msg, sizeof e->msg, "storage compaction: %s", err.msg);
}

static void compact_done(uv_work_t *w, int status)
{
    struct erase *e = w->data;
    e->phase = 4;
    finish(e, status == 0 && e->compact_rc == SKV_OK);
}

static void start_compaction(struct erase *e)
{
    struct skv_node *n = e->op->node;
    e->phase = 3;
    uv_timer_stop(&e->timer);
    if (!SKV_HAS(n->st, struct skv_storage_ops, compact)) {
        e->compact_rc = SKV_ERR_UNSUPPORTED;
        snprintf(e->msg, sizeof e->msg, "the storage plugin cannot compact physically");
        finish(e, 0);
        return;
    }
    e->work.data = e;
    uv_queue_work(&n->loop, &e->work, compact_work, compact_done);
}

static void log_step(struct erase *e)
{
    struct skv_node *n = e->op->node;
    uint64_t now = uv_now(&n->loop), first = e->views_dropped ? e->first_index : first_log_index(n);
    if (first == 0 || first > skv_enc_cutover(&n->enc)) {
        e->first_index = first;
        if (!e->views_dropped) {
            raft_set_snapshot_threshold(&n->raft, e->threshold);
            raft_set_snapshot_trailing(&n->raft, e->trailing);
            e->views_mark = skv_snap_views_drop(&n->fsm.views);
            e->views_dropped = 1;
        } else {
            (void)skv_snap_views_drop(&n->fsm.views);   /* one stored since */
        }
        if (!skv_snap_views_alive_before(&n->fsm.views, e->views_mark))
            start_compaction(e);
        else if (now >= e->deadline) {
            snprintf(e->msg, sizeof e->msg, "a snapshot view still holds the erased entries "
                     "(a snapshot being sent for %d ms?)", ERASE_TIMEOUT_MS);
            uv_timer_stop(&e->timer);
            finish(e, 0);
        }
    } else if (now >= e->deadline) {
        snprintf(e->msg, sizeof e->msg, "the log still holds entry %llu <= cutover %llu "
                 "(no snapshot within %d ms: is there a leader?)", (unsigned long long)first,
                 (unsigned long long)skv_enc_cutover(&n->enc), ERASE_TIMEOUT_MS);
        uv_timer_stop(&e->timer);
        finish(e, 0);
    } else if (now - e->noop_at >= 1000) {
        propose_noop(e); /* triggers the snapshot at its apply */
    }
}

static void erase_step(uv_timer_t *t)
{
    struct erase *e = t->data;
    struct skv_node *n = e->op->node;
    int r;
    if (n->stopping || n->run_state == SKV_RUN_HALTED) {
        snprintf(e->msg, sizeof e->msg, "node is stopping or halted");
        uv_timer_stop(&e->timer);
        finish(e, 0);
        return;
    }
    if (e->phase == 1) {
        if ((r = reseal_chunk(e)) < 0) {
            uv_timer_stop(&e->timer);
            finish(e, 0);
        } else if (r == 0) {
            e->phase = 2;
            /* put back the configured cadence afterwards, not what is
             * set now (the FSM may be forcing one snapshot itself) */
            e->threshold = n->conf->snapshot_threshold;
            e->trailing = n->conf->snapshot_trailing;
            raft_set_snapshot_threshold(&n->raft, 1);
            raft_set_snapshot_trailing(&n->raft, 1);
            e->deadline = uv_now(&n->loop) + ERASE_TIMEOUT_MS;
            propose_noop(e);
            uv_timer_start(&e->timer, erase_step, 50, 50);
        }
        return;
    }
    log_step(e);
}

void skv_op_enc_erase_cleartext(struct skv_op *op)
{
    struct skv_node *n = op->node;
    struct erase *e;
    if (!n->enc.ks || !n->enc.sc.storage_envelope_active || skv_enc_cutover(&n->enc) == 0) {
        skv_op_fail(op, SKV_ErrEncryptionPhaseInactive, "erase-cleartext needs Phase 1 and Phase 2 active on this node "
                           "(enable-storage-envelope, enable-raft-envelope)");
        return;
    }
    if (!(e = calloc(1, sizeof *e))) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    e->op = op;
    e->phase = 1;
    e->next_key[0] = SKV_PFX_FSM_DATA;
    e->next_len = 1;
    uv_timer_init(&n->loop, &e->timer);
    e->timer.data = e;
    uv_timer_start(&e->timer, erase_step, 0, 1);
}
