/* SPDX-License-Identifier: MIT */
/*
 * fsm_gap_start.c — start-up judgement of the FSM batch chain
 * (fsm_gap.h): seed a store without markers, pass a clean one, repair a
 * gap by rewinding the applied index when raft can re-apply the lost
 * entries from the local log, refuse (ErrFsmGap, with the remedy)
 * otherwise. Runs once, after skv_fsm_init and before raft starts.
 */
#include "fsm/fsm_gap.h"
#include "util/bytes.h"
#include "util/errors.h"
#include "util/keys.h"
#include "util/log.h"
#include "raftio/raft_ls_codec.h"

#include <stdio.h>
#include <string.h>

#define ULL(x) ((unsigned long long)(x))

#define GAP_REMEDY                                                          \
    "replace this node's store as for a lost disk (sealkvd(8) REPLACING A " \
    "DISK: 'sealkv members remove ID', move the data_dir aside, start with " \
    "--init, 'sealkv members add ID ADDR'; docs/DURABILITY.md)"

/* One synced batch: markers = {applied}, the applied index, the horizon
 * (deleted when 0). */
static int write_reset(struct skv_fsm *f, uint64_t applied, uint64_t horizon, char *err,
                       size_t errlen)
{
    struct skv_node *n = f->node;
    struct skv_fsm_batch b = {NULL, 0, 0, 0};
    struct skv_err e = {0, ""};
    uint8_t ibuf[8], hbuf[8];
    int rc = -1;
    skv_put_be64(ibuf, applied);
    skv_put_be64(hbuf, horizon);
    if (skv_fsm_gap_stage_reset(n->st, n->db, &b, applied, err, errlen) != 0)
        goto out;
    if (skv_fsm_batch_put(&b, skv_fsm_applied_key, sizeof skv_fsm_applied_key, ibuf, 8) ||
        (horizon ? skv_fsm_batch_put(&b, skv_fsm_gapto_key, sizeof skv_fsm_gapto_key, hbuf, 8)
                 : skv_fsm_batch_del(&b, skv_fsm_gapto_key, sizeof skv_fsm_gapto_key))) {
        snprintf(err, errlen, "fsm markers: out of memory");
        goto out;
    }
    if (n->st->write(n->db, b.ops, b.n, 1, &e) != SKV_OK) {
        snprintf(err, errlen, "fsm markers: storage write failed: %s", e.msg);
        goto out;
    }
    rc = 0;
out:
    skv_fsm_batch_free(&b);
    return rc;
}

/* 1 if the stored raft log holds every entry in [from, to], 0 if not,
 * -1 on a storage error. */
static int log_holds(struct skv_node *n, uint64_t from, uint64_t to, char *err,
                     size_t errlen)
{
    struct skv_err e = {0, ""};
    uint8_t key[SKV_LS_LOG_KEY_LEN];
    uint64_t want = from;
    void *it = NULL;
    int rc;
    if (from > to)
        return 1;
    if (n->st->iter_new(n->db, NULL, &it, &e) != SKV_OK) {
        snprintf(err, errlen, "raft log: %s", e.msg);
        return -1;
    }
    skv_ls_log_key(key, from);
    for (n->st->iter_seek(it, key, sizeof key); want <= to && n->st->iter_valid(it);
         n->st->iter_next(it)) {
        size_t kl;
        const void *k = n->st->iter_key(it, &kl);
        raft_index idx;
        if (!skv_ls_log_key_index(k, kl, &idx) || idx != want)
            break;
        want++;
    }
    rc = n->st->iter_status(it, &e) == SKV_OK ? (want > to) : -1;
    if (rc < 0)
        snprintf(err, errlen, "raft log: %s", e.msg);
    n->st->iter_free(it);
    return rc;
}

static int refuse(struct skv_fsm *f, const char *what, const char *why, char *err,
                  size_t errlen)
{
    snprintf(err, errlen, "%s: node %llu: %s; cannot repair: %s. Refusing to start "
             "with entries missing from the state machine; " GAP_REMEDY,
             skv_error_name(SKV_ErrFsmGap), ULL(f->node->conf->node_id), what, why);
    return -1;
}

/* Rewind to j = the last entry before the first lost batch, when every
 * entry raft will re-apply is in the local log and none of them is an
 * encryption entry. */
static int repair(struct skv_fsm *f, const struct skv_fsm_gap *g, char *err, size_t errlen)
{
    uint64_t j = g->first_stale, a = f->applied, snap_cut, snap_idx, from;
    char what[400], why[200];
    int holds;
    skv_fsm_gap_describe(g, what, sizeof what);
    if (g->n_above || !g->n_stale)
        return refuse(f, what, "the markers are inconsistent", err, errlen);
    if (f->encidx > j) {
        snprintf(why, sizeof why, "encryption entry %llu is among the entries to re-apply",
                 ULL(f->encidx));
        return refuse(f, what, why, err, errlen);
    }
    skv_fsm_snapshot_meta(f->node, &snap_cut, &snap_idx);
    if (snap_idx > j && skv_fsm_snapshot_is_local(f->node)) {
        snprintf(why, sizeof why, "the lost batches lie below the local snapshot at %llu, "
                 "which holds no key space", ULL(snap_idx));
        return refuse(f, what, why, err, errlen);
    }
    from = (snap_idx > j ? snap_idx : j) + 1;
    if ((holds = log_holds(f->node, from, a, err, errlen)) < 0)
        return -1;
    if (!holds) {
        snprintf(why, sizeof why, "the local raft log no longer holds every entry %llu..%llu",
                 ULL(from), ULL(a));
        return refuse(f, what, why, err, errlen);
    }
    if (write_reset(f, j, a, err, errlen) != 0)
        return -1;
    skv_node_log(f->node, SKV_LOG_WARN, "fsm: %s: repaired: applied index rewound to %llu, "
                 "raft re-applies %llu..%llu from the local log%s", what, ULL(j), ULL(from),
                 ULL(a), snap_idx > j ? " after restoring the local snapshot" : "");
    f->applied = f->flushed = j;
    f->gap_until = a;
    skv_history_reset(&f->history, j);
    return 0;
}

int skv_fsm_gap_start(struct skv_fsm *f, char *err, size_t errlen)
{
    struct skv_node *n = f->node;
    struct skv_fsm_gap g;
    if (skv_fsm_gap_scan(n->st, n->db, NULL, f->applied, &g, err, errlen) != 0)
        return -1;
    switch (skv_fsm_gap_verdict(&g)) {
    case SKV_GAP_UNMARKED: /* a new store, or one written before markers */
        if (write_reset(f, f->applied, 0, err, errlen) != 0)
            return -1;
        skv_node_log(n, SKV_LOG_INFO, "fsm: batch chain started at applied index %llu",
                     ULL(f->applied));
        return 0;
    case SKV_GAP_CLEAN:
        f->gap_until = g.horizon > f->applied ? g.horizon : 0;
        return 0;
    default:
        return repair(f, &g, err, errlen);
    }
}
