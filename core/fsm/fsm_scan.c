/* SPDX-License-Identifier: MIT */
/*
 * fsm_scan.c — owns the ordered walk of the FSM's user keys (fsm_scan.h):
 * one storage iterator over SKV_PFX_FSM_DATA ‖ prefix, from the later of
 * the prefix and the key after `after`, each record opened by
 * skv_fsm_open_value exactly as a point read opens it. With key names
 * sealed the store has no order of names: fsm_names_scan.c. Also the
 * one-seek check whether any store key has a given one-byte prefix.
 */
#include "fsm/fsm_scan.h"
#include "fsm/fsm.h"
#include "fsm/fsm_names.h"
#include "cmd/command.h"
#include "node/node.h"
#include "util/keys.h"

#include <stdlib.h>
#include <string.h>

int skv_fsm_any_with_prefix(struct skv_fsm *f, uint8_t pfx, struct skv_err *err)
{
    struct skv_node *n = f->node;
    void *it = NULL;
    size_t kl = 0;
    int r = 0;
    if (n->st->iter_new(n->db, NULL, &it, err) != SKV_OK)
        return -1;
    n->st->iter_seek(it, &pfx, 1);
    if (n->st->iter_valid(it)) {
        const uint8_t *k = n->st->iter_key(it, &kl);
        r = kl > 0 && k[0] == pfx;
    } else if (n->st->iter_status(it, err) != SKV_OK) {
        r = -1;
    }
    n->st->iter_free(it);
    return r;
}

/* The first storage key of the walk: 0x10 ‖ max(prefix, after ‖ 0x00). */
static size_t start_key(const struct skv_fsm_scan *s, uint8_t *k)
{
    size_t n;
    k[0] = SKV_PFX_FSM_DATA;
    if (s->prefix_len)
        memcpy(k + 1, s->prefix, s->prefix_len);
    n = 1 + s->prefix_len;
    if (s->after_len) {
        size_t m = s->after_len < s->prefix_len ? s->after_len : s->prefix_len;
        int c = m ? memcmp(s->after, s->prefix, m) : 0;
        if (c > 0 || (c == 0 && s->after_len >= s->prefix_len)) {
            memcpy(k + 1, s->after, s->after_len);
            k[1 + s->after_len] = 0x00; /* the smallest key above `after` */
            n = 2 + s->after_len;
        }
    }
    return n;
}

static int in_range(const struct skv_fsm_scan *s, const uint8_t *k, size_t kl)
{
    return kl >= 1 + s->prefix_len && k[0] == SKV_PFX_FSM_DATA &&
           (s->prefix_len == 0 || memcmp(k + 1, s->prefix, s->prefix_len) == 0);
}

/* One record: open it (unless keys_only) and hand it to fn. */
static int visit(struct skv_fsm *f, const struct skv_fsm_scan *s, const uint8_t *k,
                 size_t kl, const uint8_t *rec, size_t rl, skv_fsm_scan_fn fn,
                 void *arg, struct skv_err *err)
{
    uint8_t *val = NULL;
    size_t vl = 0;
    struct skv_rev rev;
    int rc;
    if ((rc = skv_fsm_rev_load(f, k + 1, kl - 1, &rev, err)) != SKV_OK)
        return rc;
    if (!s->keys_only &&
        (rc = skv_fsm_open_value(f, k, kl, rec, rl, &val, &vl, err)) != SKV_OK)
        return rc;
    rc = fn(arg, k + 1, kl - 1, s->keys_only ? NULL : (val ? val : (const uint8_t *)""), vl,
            rev.mod);
    free(val);
    if (rc < 0)
        return skv_err_set(err, SKV_ERR_NOMEM, "listing: out of memory");
    return rc == 1 ? 1 : SKV_OK;
}

int skv_fsm_scan(struct skv_fsm *f, const struct skv_fsm_scan *s,
                 skv_fsm_scan_fn fn, void *arg, int *more, struct skv_err *err)
{
    struct skv_node *n = f->node;
    uint8_t start[SKV_MAX_KEY + 2];
    void *it = NULL;
    int rc = SKV_OK;
    *more = 0;
    if (s->prefix_len > SKV_MAX_KEY || s->after_len > SKV_MAX_KEY)
        return skv_err_set(err, SKV_ERR_INVALID, "prefix and after must be 0..%u bytes",
                           SKV_MAX_KEY);
    if (skv_fsm_installing(f))
        return skv_err_set(err, SKV_ERR_AGAIN, "a snapshot install is replacing the key space");
    if (skv_fsm_flush(f) != 0)
        return skv_err_set(err, SKV_ERR_IO, "the FSM could not write its applied entries");
    if (skv_fsm_names_on(f)) /* no order in the store: open, filter, sort */
        return skv_fsm_names_scan(f, s, fn, arg, more, err);
    if ((rc = n->st->iter_new(n->db, NULL, &it, err)) != SKV_OK)
        return rc;
    for (n->st->iter_seek(it, start, start_key(s, start)); n->st->iter_valid(it);
         n->st->iter_next(it)) {
        size_t kl, rl;
        const uint8_t *k = n->st->iter_key(it, &kl);
        const uint8_t *rec = n->st->iter_value(it, &rl);
        if (!in_range(s, k, kl))
            break;
        rc = visit(f, s, k, kl, rec, rl, fn, arg, err);
        if (rc == 1) {
            *more = 1;
            rc = SKV_OK;
            break;
        }
        if (rc != SKV_OK)
            break;
    }
    if (rc == SKV_OK)
        rc = n->st->iter_status(it, err);
    n->st->iter_free(it);
    return rc;
}
