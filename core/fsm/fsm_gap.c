/* SPDX-License-Identifier: MIT */
/*
 * fsm_gap.c — the FSM batch chain's markers (fsm_gap.h): key layout, the
 * per-batch step, the reset used by restore / repair / seed, and the scan
 * that start-up and `sealkv verify` judge a store by.
 */
#include "fsm/fsm_gap.h"
#include "util/bytes.h"
#include "util/keys.h"

#include <stdio.h>
#include <string.h>

#define ULL(x) ((unsigned long long)(x))

static const uint8_t mark_pfx[5] = {SKV_PFX_FSM_META, 'm', 'a', 'r', 'k'};
const uint8_t skv_fsm_gapto_key[6] = {SKV_PFX_FSM_META, 'g', 'a', 'p', 't', 'o'};

void skv_fsm_mark_key(uint8_t key[SKV_FSM_MARK_KEY_LEN], uint64_t index)
{
    memcpy(key, mark_pfx, sizeof mark_pfx);
    skv_put_be64(key + sizeof mark_pfx, index);
}

static int is_mark(const uint8_t *k, size_t kl, uint64_t *index)
{
    if (kl != SKV_FSM_MARK_KEY_LEN || memcmp(k, mark_pfx, sizeof mark_pfx) != 0)
        return 0;
    *index = skv_get_be64(k + sizeof mark_pfx);
    return 1;
}

int skv_fsm_gap_stage(struct skv_fsm_batch *b, uint64_t prev, uint64_t index)
{
    uint8_t k[SKV_FSM_MARK_KEY_LEN];
    static const uint8_t none = 0;
    skv_fsm_mark_key(k, prev);
    if (skv_fsm_batch_del(b, k, sizeof k))
        return -1;
    skv_fsm_mark_key(k, index);
    return skv_fsm_batch_put(b, k, sizeof k, &none, 0);
}

/* Call fn for every stored marker; 0, -1 (err) or fn's non-zero. */
static int each_mark(const struct skv_storage_ops *st, void *db, void *view,
                     int (*fn)(void *arg, uint64_t index), void *arg, char *err,
                     size_t errlen)
{
    struct skv_err e = {0, ""};
    void *it = NULL;
    int rc = 0;
    if (st->iter_new(db, view, &it, &e) != SKV_OK) {
        snprintf(err, errlen, "fsm markers: %s", e.msg);
        return -1;
    }
    for (st->iter_seek(it, mark_pfx, sizeof mark_pfx); rc == 0 && st->iter_valid(it);
         st->iter_next(it)) {
        size_t kl;
        const uint8_t *k = st->iter_key(it, &kl);
        uint64_t index;
        if (kl < sizeof mark_pfx || memcmp(k, mark_pfx, sizeof mark_pfx) != 0)
            break;
        if (is_mark(k, kl, &index))
            rc = fn(arg, index);
    }
    if (rc == 0 && st->iter_status(it, &e) != SKV_OK) {
        snprintf(err, errlen, "fsm markers: %s", e.msg);
        rc = -1;
    }
    st->iter_free(it);
    return rc;
}

static int stage_del(void *arg, uint64_t index)
{
    uint8_t k[SKV_FSM_MARK_KEY_LEN];
    skv_fsm_mark_key(k, index);
    return skv_fsm_batch_del(arg, k, sizeof k) ? 1 : 0;
}

int skv_fsm_gap_stage_reset(const struct skv_storage_ops *st, void *db,
                            struct skv_fsm_batch *b, uint64_t index, char *err,
                            size_t errlen)
{
    uint8_t k[SKV_FSM_MARK_KEY_LEN];
    static const uint8_t none = 0;
    int rc = each_mark(st, db, NULL, stage_del, b, err, errlen);
    if (rc > 0)
        snprintf(err, errlen, "fsm markers: out of memory");
    skv_fsm_mark_key(k, index);
    if (rc == 0 && skv_fsm_batch_put(b, k, sizeof k, &none, 0)) {
        snprintf(err, errlen, "fsm markers: out of memory");
        rc = 1;
    }
    return rc == 0 ? 0 : -1;
}

static int tally(void *arg, uint64_t index)
{
    struct skv_fsm_gap *g = arg;
    g->n_marks++;
    if (index == g->applied) {
        g->applied_marked = 1;
    } else if (index > g->applied) {
        g->n_above++;
    } else {
        if (g->n_stale++ == 0)
            g->first_stale = index;   /* ascending key order */
        g->last_stale = index;
    }
    return 0;
}

static int load_horizon(const struct skv_storage_ops *st, void *db, void *view,
                        uint64_t *out, char *err, size_t errlen)
{
    struct skv_err e = {0, ""};
    void *v = NULL;
    size_t vl = 0;
    int rc = st->get(db, view, skv_fsm_gapto_key, sizeof skv_fsm_gapto_key, &v, &vl, &e);
    *out = 0;
    if (rc == SKV_ERR_NOTFOUND)
        return 0;
    if (rc != SKV_OK || vl != 8) {
        snprintf(err, errlen, "fsm: cannot read the repair horizon: %s",
                 rc != SKV_OK ? e.msg : "bad length");
        st->free_buf(db, v);
        return -1;
    }
    *out = skv_get_be64(v);
    st->free_buf(db, v);
    return 0;
}

int skv_fsm_gap_scan(const struct skv_storage_ops *st, void *db, void *view,
                     uint64_t applied, struct skv_fsm_gap *g, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    g->applied = applied;
    if (each_mark(st, db, view, tally, g, err, errlen) != 0)
        return -1;
    return load_horizon(st, db, view, &g->horizon, err, errlen);
}

int skv_fsm_gap_verdict(const struct skv_fsm_gap *g)
{
    if (g->n_marks == 0)
        return SKV_GAP_UNMARKED;
    if (g->n_stale || g->n_above || !g->applied_marked)
        return SKV_GAP_FOUND;
    return SKV_GAP_CLEAN;
}

void skv_fsm_gap_describe(const struct skv_fsm_gap *g, char *out, size_t outlen)
{
    if (skv_fsm_gap_verdict(g) != SKV_GAP_FOUND)
        snprintf(out, outlen, "no lost FSM batch (applied index %llu)", ULL(g->applied));
    else if (g->n_above)
        snprintf(out, outlen, "%llu FSM marker(s) above the applied index %llu: the FSM meta "
                 "is inconsistent", ULL(g->n_above), ULL(g->applied));
    else
        snprintf(out, outlen, "the FSM applied index is %llu but %llu FSM batch(es) were lost, "
                 "the first one right after entry %llu (stale markers %llu..%llu)%s",
                 ULL(g->applied), ULL(g->n_stale), ULL(g->first_stale), ULL(g->first_stale),
                 ULL(g->last_stale), g->applied_marked ? "" : "; no marker at the applied "
                 "index (a release without markers ran on this store?)");
}
