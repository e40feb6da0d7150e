/* SPDX-License-Identifier: MIT */
/*
 * purge.c — the steps erase-cleartext and the retire job share
 * (purge.h): the re-seal walk over the FSM values (both layouts: under
 * the cleartext name, then under the sealed name's hash, fsm_names.h),
 * then "log above X,
 * older storage views gone, store compacted". Loop thread only (the
 * compaction itself on a worker).
 */
#include "admin/purge.h"
#include "cmd/command.h"
#include "crypto/envelope.h"
#include "fsm/fsm.h"
#include "intake/propose.h"
#include "util/keys.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 256

void skv_reseal_init(struct skv_reseal *r, uint32_t key_id)
{
    memset(r, 0, sizeof *r);
    r->key_id = key_id;
    r->next_key[0] = SKV_PFX_FSM_DATA;
    r->next_len = 1;
}

/* Whether the stored record `v` is one the walk re-seals. */
static int wanted(const struct skv_reseal *r, const uint8_t *v, size_t vl)
{
    struct skv_envelope_hdr h;
    if (vl < 1)
        return 0;
    if (r->key_id == 0)
        return (v[0] & SKV_VAL_STATE_MASK) == SKV_VAL_CLEAR;
    if ((v[0] & SKV_VAL_STATE_MASK) != SKV_VAL_SEALED)
        return 0;
    memset(&h, 0, sizeof h);
    return skv_envelope_parse(v + 1, vl - 1, &h, NULL) == SKV_OK && h.key_id == r->key_id;
}

/* The record of `v` sealed with the active storage key into *rec. */
static int reseal_one(struct skv_node *n, struct skv_reseal *r, const uint8_t *k, size_t kl,
                      const uint8_t *v, size_t vl, uint8_t **rec, size_t *rl)
{
    struct skv_err err = {0, ""};
    uint8_t *pt = NULL;
    size_t pl = 0;
    int rc;
    if (r->key_id == 0)
        return skv_fsm_seal_value(&n->fsm, 0, k, kl, v + 1, vl - 1, rec, rl);
    if (skv_fsm_open_value(&n->fsm, k, kl, v, vl, &pt, &pl, &err) != SKV_OK) {
        snprintf(r->msg, sizeof r->msg, "a value under key %u does not open: %s",
                 (unsigned)r->key_id, err.msg);
        return -1;
    }
    rc = skv_fsm_seal_value(&n->fsm, 0, k, kl, pt, pl, rec, rl);
    if (pt)
        sodium_memzero(pt, pl);
    free(pt);
    return rc;
}

int skv_reseal_chunk(struct skv_node *n, struct skv_reseal *r)
{
    struct skv_fsm_batch b = {NULL, 0, 0, 0};
    struct skv_err err = {0, ""};
    void *it = NULL;
    int count = 0, more = 0, rc = SKV_OK;
    if (skv_fsm_installing(&n->fsm))
        return 1;   /* the key space is being replaced: wait */
    if (r->installs != n->fsm.installs) {   /* replaced since the walk began: again */
        r->installs = n->fsm.installs;
        r->next_key[0] = SKV_PFX_FSM_DATA;
        r->next_len = 1;
    }
    if (skv_fsm_flush(&n->fsm) != 0) { /* the walk must see every applied value */
        snprintf(r->msg, sizeof r->msg, "the FSM could not write its applied entries");
        return -1;
    }
    if (n->st->iter_new(n->db, NULL, &it, &err) != SKV_OK) {
        snprintf(r->msg, sizeof r->msg, "storage: %s", err.msg);
        return -1;
    }
    for (n->st->iter_seek(it, r->next_key, r->next_len); n->st->iter_valid(it);
         n->st->iter_next(it)) {
        size_t kl, vl, rl = 0;
        const uint8_t *k = n->st->iter_key(it, &kl), *v = n->st->iter_value(it, &vl);
        uint8_t *rec = NULL;
        if (kl == 0 || (k[0] != SKV_PFX_FSM_DATA && k[0] != SKV_PFX_NAMED_DATA)) {
            if (kl > 0 && k[0] < SKV_PFX_NAMED_DATA) { /* on to the sealed-names layout */
                r->next_key[0] = SKV_PFX_NAMED_DATA;
                r->next_len = 1;
                more = 1;
            }
            break;
        }
        if (count++ == CHUNK) {
            if (kl > sizeof r->next_key) {   /* never written by this build */
                snprintf(r->msg, sizeof r->msg, "a stored key of %zu bytes is too long", kl);
                rc = -1;
                break;
            }
            memcpy(r->next_key, k, kl);
            r->next_len = kl;
            more = 1;
            break;
        }
        if (!wanted(r, v, vl))
            continue;
        if (reseal_one(n, r, k, kl, v, vl, &rec, &rl) != 0 ||
            skv_fsm_batch_put(&b, k, kl, rec, rl) != 0) {
            free(rec);
            if (!r->msg[0])
                snprintf(r->msg, sizeof r->msg, "cannot re-seal a value");
            rc = -1;
            break;
        }
        free(rec);
        r->resealed++;
    }
    n->st->iter_free(it);
    if (rc == SKV_OK && b.n && (rc = n->st->write(n->db, b.ops, b.n, 1, &err)) != SKV_OK)
        snprintf(r->msg, sizeof r->msg, "storage write: %s", err.msg);
    skv_fsm_batch_free(&b);
    return rc != SKV_OK ? -1 : more;
}

uint64_t skv_purge_first_log_index(struct skv_node *n)
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
    (void)r; /* progress is observed in the store; skv_purge_step retries */
}

static void propose_noop(struct skv_purge *p)
{
    uint8_t *b = raft_malloc(1);
    p->noop_at = uv_now(&p->n->loop);
    if (!b)
        return;
    b[0] = SKV_CMD_NOOP;
    skv_propose(p->n, SKV_SRC_ADMIN, b, 1, noop_done, NULL);
}

void skv_purge_begin(struct skv_purge *p, struct skv_node *n, uint64_t above,
                     uint64_t timeout_ms)
{
    memset(p, 0, sizeof *p);
    p->n = n;
    p->above = above;
    /* put back the configured cadence afterwards, not what is set now
     * (the FSM may be forcing one snapshot itself) */
    p->threshold = n->conf->snapshot_threshold;
    p->trailing = n->conf->snapshot_trailing;
    raft_set_snapshot_threshold(&n->raft, 1);
    raft_set_snapshot_trailing(&n->raft, 1);
    p->forcing = 1;
    p->deadline = uv_now(&n->loop) + timeout_ms;
    propose_noop(p);
}

void skv_purge_end(struct skv_purge *p)
{
    if (!p->forcing)
        return;
    raft_set_snapshot_threshold(&p->n->raft, p->threshold);
    raft_set_snapshot_trailing(&p->n->raft, p->trailing);
    p->forcing = 0;
}

static int views_step(struct skv_purge *p, uint64_t now)
{
    struct skv_node *n = p->n;
    if (!p->views_dropped) {
        skv_purge_end(p);
        p->views_mark = skv_snap_views_drop(&n->fsm.views);
        p->views_dropped = 1;
    } else if (n->fsm.views.cur && n->fsm.views.cur->seq < p->views_mark) {
        /* a snapshot being stored at the drop became current since: drop
         * it too. A view taken after the mark sees the purged state and
         * stays: dropping it again and again would starve snapshot sends
         * to followers while an old view (a long backup) is waited for */
        (void)skv_snap_views_drop(&n->fsm.views);
    }
    if (!skv_snap_views_alive_before(&n->fsm.views, p->views_mark))
        return 0;
    if (now < p->deadline)
        return 1;
    snprintf(p->msg, sizeof p->msg, "a storage view still holds the purged data (a snapshot "
             "being sent or a backup being read?) past the deadline");
    return -1;
}

int skv_purge_step(struct skv_purge *p)
{
    struct skv_node *n = p->n;
    uint64_t now = uv_now(&n->loop);
    uint64_t first = p->views_dropped ? p->first_index : skv_purge_first_log_index(n);
    if (first == 0 || first > p->above) {
        p->first_index = first;
        return views_step(p, now);
    }
    if (now >= p->deadline) {
        snprintf(p->msg, sizeof p->msg, "the log still holds entry %llu <= %llu (no snapshot "
                 "in time: is there a leader?)", (unsigned long long)first,
                 (unsigned long long)p->above);
        skv_purge_end(p);
        return -1;
    }
    if (now - p->noop_at >= 1000)
        propose_noop(p); /* triggers the snapshot at its apply */
    return 1;
}

static void compact_work(uv_work_t *w)
{
    struct skv_purge *p = w->data;
    struct skv_err err = {0, ""};
    p->compact_rc = p->n->st->compact(p->n->db, NULL, 0, NULL, 0, &err);
    if (p->compact_rc != SKV_OK)
        snprintf(p->msg, sizeof p->msg, "storage compaction: %s", err.msg);
}

static void compact_done(uv_work_t *w, int status)
{
    struct skv_purge *p = w->data;
    p->compacted(p, status == 0 && p->compact_rc == SKV_OK);
}

int skv_purge_compact(struct skv_purge *p, void (*done)(struct skv_purge *p, int ok))
{
    struct skv_node *n = p->n;
    if (!SKV_HAS(n->st, struct skv_storage_ops, compact)) {
        p->compact_rc = SKV_ERR_UNSUPPORTED;
        snprintf(p->msg, sizeof p->msg, "the storage plugin cannot compact physically");
        return -1;
    }
    p->compacted = done;
    p->work.data = p;
    if (uv_queue_work(&n->loop, &p->work, compact_work, compact_done) != 0) {
        p->compact_rc = SKV_ERR_INTERNAL;
        snprintf(p->msg, sizeof p->msg, "cannot queue the storage compaction");
        return -1;
    }
    return 0;
}
