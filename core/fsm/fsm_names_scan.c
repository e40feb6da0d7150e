/* SPDX-License-Identifier: MIT */
/*
 * fsm_names_scan.c — listing with key names sealed (fsm_names.h): the
 * store orders records by the hash of their name, so a listing opens
 * every record of the sealed layout (and, while the names job runs, the
 * old layout's records under the prefix), keeps those under the prefix
 * and after `after`, sorts them by name and hands them to fn in order.
 * Time and memory grow with the matching records (the whole store for
 * an empty prefix): docs/PERFORMANCE.md "Sealed key names".
 */
#include "fsm/fsm_names.h"
#include "fsm/fsm.h"
#include "cmd/command.h"
#include "util/keys.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct ent {
    uint8_t *name, *val;     /* malloc'd; val NULL with keys_only */
    size_t nl, vl;
    uint64_t mod;
};

struct ents {
    struct ent *e;
    size_t n, cap;
};

static void ents_free(struct ents *a)
{
    size_t i;
    for (i = 0; i < a->n; i++) {
        free(a->e[i].name);
        if (a->e[i].val)
            sodium_memzero(a->e[i].val, a->e[i].vl);
        free(a->e[i].val);
    }
    free(a->e);
}

static int cmp_name(const void *x, const void *y)
{
    const struct ent *a = x, *b = y;
    size_t m = a->nl < b->nl ? a->nl : b->nl;
    int c = memcmp(a->name, b->name, m);
    return c ? c : a->nl < b->nl ? -1 : a->nl > b->nl;
}

/* Whether `name` is under the prefix and strictly after `after`. */
static int wanted(const struct skv_fsm_scan *s, const uint8_t *name, size_t nl)
{
    struct ent a = {(uint8_t *)s->after, NULL, s->after_len, 0, 0},
               b = {(uint8_t *)name, NULL, nl, 0, 0};
    if (nl < s->prefix_len || (s->prefix_len && memcmp(name, s->prefix, s->prefix_len) != 0))
        return 0;
    return s->after_len == 0 || cmp_name(&b, &a) > 0;
}

static int add(struct ents *a, const struct skv_fsm_scan *s, const uint8_t *name, size_t nl,
               const uint8_t *val, size_t vl, uint64_t mod, struct skv_err *err)
{
    struct ent *x;
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 64;
        if (!(x = realloc(a->e, nc * sizeof *x)))
            return skv_err_set(err, SKV_ERR_NOMEM, "listing: out of memory");
        a->e = x;
        a->cap = nc;
    }
    x = &a->e[a->n];
    memset(x, 0, sizeof *x);
    if (!(x->name = malloc(nl)) || (!s->keys_only && !(x->val = malloc(vl + 1)))) {
        free(x->name);
        return skv_err_set(err, SKV_ERR_NOMEM, "listing: out of memory");
    }
    memcpy(x->name, name, nl);
    if (!s->keys_only && vl)
        memcpy(x->val, val, vl);
    x->nl = nl;
    x->vl = s->keys_only ? 0 : vl;
    x->mod = mod;
    a->n++;
    return SKV_OK;
}

/* The mod index of the revision record stored under key rk (0: none). */
static int load_mod(struct skv_fsm *f, const uint8_t *rk, size_t rkl, uint64_t *mod,
                    struct skv_err *err)
{
    struct skv_node *n = f->node;
    void *v = NULL;
    size_t vl = 0;
    uint64_t create;
    int rc = n->st->get(n->db, NULL, rk, rkl, &v, &vl, err);
    *mod = 0;
    if (rc == SKV_ERR_NOTFOUND)
        return SKV_OK;
    if (rc != SKV_OK)
        return rc;
    rc = skv_rev_decode(v, vl, mod, &create) == 0
             ? SKV_OK : skv_err_set(err, SKV_ERR_CORRUPT, "malformed revision record");
    n->st->free_buf(n->db, v);
    return rc;
}

/* One record of the sealed layout (k: 0x15 ‖ hash). */
static int take_named(struct skv_fsm *f, const struct skv_fsm_scan *s, struct ents *a,
                      const uint8_t *k, size_t kl, const uint8_t *rec, size_t rl,
                      struct skv_err *err)
{
    uint8_t *pt = NULL, rk[SKV_NAMED_KEY_LEN];
    const uint8_t *name, *val;
    size_t ptl = 0, nl = 0, vl = 0;
    uint64_t mod = 0;
    int rc;
    if (kl != SKV_NAMED_KEY_LEN)
        return skv_err_set(err, SKV_ERR_CORRUPT, "a named record's key has %zu bytes", kl);
    rc = skv_fsm_names_open(f, k, kl, rec, rl, &pt, &ptl, &name, &nl, &val, &vl, err);
    if (rc == SKV_OK && wanted(s, name, nl)) {
        memcpy(rk, k, kl);
        rk[0] = SKV_PFX_NAMED_REV;
        if ((rc = load_mod(f, rk, sizeof rk, &mod, err)) == SKV_OK)
            rc = add(a, s, name, nl, val, vl, mod, err);
    }
    if (pt)
        sodium_memzero(pt, ptl);
    free(pt);
    return rc;
}

/* One record of the old layout (k: 0x10 ‖ name). */
static int take_old(struct skv_fsm *f, const struct skv_fsm_scan *s, struct ents *a,
                    const uint8_t *k, size_t kl, const uint8_t *rec, size_t rl,
                    struct skv_err *err)
{
    uint8_t rk[SKV_MAX_KEY + 1], *val = NULL;
    size_t vl = 0;
    uint64_t mod = 0;
    int rc;
    if (kl < 2 || kl > SKV_MAX_KEY + 1 || !wanted(s, k + 1, kl - 1))
        return SKV_OK;
    memcpy(rk, k, kl);
    rk[0] = SKV_PFX_FSM_REV;
    if ((rc = load_mod(f, rk, kl, &mod, err)) != SKV_OK ||
        (rc = skv_fsm_open_value(f, k, kl, rec, rl, &val, &vl, err)) != SKV_OK)
        return rc;
    rc = add(a, s, k + 1, kl - 1, val, vl, mod, err);
    if (val)
        sodium_memzero(val, vl);
    free(val);
    return rc;
}

/* Every record under store prefix pfx (the old layout: from pfx ‖ the
 * listing's prefix). */
static int collect(struct skv_fsm *f, const struct skv_fsm_scan *s, uint8_t pfx,
                   struct ents *a, struct skv_err *err)
{
    struct skv_node *n = f->node;
    uint8_t start[SKV_MAX_KEY + 1];
    size_t sl = 1;
    void *it = NULL;
    int rc;
    start[0] = pfx;
    if (pfx == SKV_PFX_FSM_DATA && s->prefix_len) {
        memcpy(start + 1, s->prefix, s->prefix_len);
        sl += s->prefix_len;
    }
    if ((rc = n->st->iter_new(n->db, NULL, &it, err)) != SKV_OK)
        return rc;
    for (n->st->iter_seek(it, start, sl); rc == SKV_OK && n->st->iter_valid(it);
         n->st->iter_next(it)) {
        size_t kl, rl;
        const uint8_t *k = n->st->iter_key(it, &kl), *rec = n->st->iter_value(it, &rl);
        if (kl < sl || memcmp(k, start, sl) != 0)
            break;
        rc = pfx == SKV_PFX_NAMED_DATA ? take_named(f, s, a, k, kl, rec, rl, err)
                                       : take_old(f, s, a, k, kl, rec, rl, err);
    }
    if (rc == SKV_OK)
        rc = n->st->iter_status(it, err);
    n->st->iter_free(it);
    return rc;
}

int skv_fsm_names_scan(struct skv_fsm *f, const struct skv_fsm_scan *s, skv_fsm_scan_fn fn,
                       void *arg, int *more, struct skv_err *err)
{
    struct ents a = {NULL, 0, 0};
    size_t i;
    int rc = collect(f, s, SKV_PFX_NAMED_DATA, &a, err);
    *more = 0;
    if (rc == SKV_OK && skv_fsm_names_old(f))
        rc = collect(f, s, SKV_PFX_FSM_DATA, &a, err);
    if (rc == SKV_OK && a.n > 1)
        qsort(a.e, a.n, sizeof *a.e, cmp_name);
    for (i = 0; rc == SKV_OK && i < a.n; i++) {
        int r = fn(arg, a.e[i].name, a.e[i].nl,
                   s->keys_only ? NULL : (a.e[i].val ? a.e[i].val : (const uint8_t *)""),
                   a.e[i].vl, a.e[i].mod);
        if (r < 0)
            rc = skv_err_set(err, SKV_ERR_NOMEM, "listing: out of memory");
        else if (r == 1) {
            *more = 1;
            break;
        }
    }
    ents_free(&a);
    return rc;
}
