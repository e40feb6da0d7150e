/* SPDX-License-Identifier: MIT */
/*
 * fsm_keys.c — the FSM's set of existing keys (fsm_keys.h): the marker,
 * the start-up scan, the restore's build and its adoption, and the
 * lookups and updates of the apply path.
 */
#include "fsm/fsm_keys.h"
#include "fsm/fsm.h"
#include "fsm/fsm_names.h"
#include "fsm/fsm_scan.h"
#include "util/keys.h"

#include <stdio.h>
#include <string.h>

const uint8_t skv_fsm_revsall_key[8] = {SKV_PFX_FSM_META, 'r', 'e', 'v', 's', 'a', 'l', 'l'};

/* The FSM prefixes whose records make a key exist (or describe it). */
static const uint8_t key_prefixes[] = {SKV_PFX_FSM_DATA, SKV_PFX_FSM_REV, SKV_PFX_NAMED_DATA,
                                       SKV_PFX_NAMED_REV};

void skv_fsm_keys_free(struct skv_fsm *f)
{
    skv_fpset_free(&f->keys.set);
    f->keys.on = 0;
}

void skv_fsm_keys_off(struct skv_fsm *f, const char *why)
{
    if (f->keys.on)
        skv_node_log(f->node, SKV_LOG_WARN, "fsm: key set off until the next start or snapshot "
                     "restore (%s): puts and deletes read the store", why);
    skv_fsm_keys_free(f);
}

/* Walk the keys under pfx: fn(arg, key without the prefix) for each,
 * until fn returns 1 (enough). 0, or -1 with err (a store error, or
 * fn's -1: out of memory). */
static int walk(struct skv_fsm *f, uint8_t pfx, int (*fn)(void *, const uint8_t *, size_t),
                void *arg, char *err, size_t errlen)
{
    struct skv_node *n = f->node;
    struct skv_err e = {0, ""};
    void *it = NULL;
    int rc = 0;
    if (n->st->iter_new(n->db, NULL, &it, &e) != SKV_OK) {
        snprintf(err, errlen, "fsm: key set: %s", e.msg);
        return -1;
    }
    for (n->st->iter_seek(it, &pfx, 1); n->st->iter_valid(it); n->st->iter_next(it)) {
        size_t kl;
        const uint8_t *k = n->st->iter_key(it, &kl);
        int r;
        if (kl == 0 || k[0] != pfx || (r = fn(arg, k + 1, kl - 1)) > 0)
            break;
        if (r < 0) {
            snprintf(err, errlen, "fsm: key set: out of memory");
            rc = -1;
            break;
        }
    }
    if (rc == 0 && n->st->iter_status(it, &e) != SKV_OK) {
        snprintf(err, errlen, "fsm: key set: %s", e.msg);
        rc = -1;
    }
    n->st->iter_free(it);
    return rc;
}

static int add_one(void *arg, const uint8_t *k, size_t kl)
{
    struct skv_fpset *s = arg;
    return skv_fpset_add(s, skv_fpset_fp(s, k, kl)) != 0 ? -1 : 0;
}

/* 1 marker present, 0 absent, -1 store error. */
static int marked(struct skv_fsm *f, char *err, size_t errlen)
{
    struct skv_node *n = f->node;
    struct skv_err e = {0, ""};
    void *v = NULL;
    size_t vl = 0;
    int rc = n->st->get(n->db, NULL, skv_fsm_revsall_key, sizeof skv_fsm_revsall_key, &v, &vl, &e);
    if (rc == SKV_OK)
        n->st->free_buf(n->db, v);
    if (rc != SKV_OK && rc != SKV_ERR_NOTFOUND)
        snprintf(err, errlen, "fsm: key set marker: %s", e.msg);
    return rc == SKV_OK ? 1 : rc == SKV_ERR_NOTFOUND ? 0 : -1;
}

/* An empty key space gets the marker: 1 written, 0 not empty, -1 error. */
static int mark_if_empty(struct skv_fsm *f, char *err, size_t errlen)
{
    struct skv_node *n = f->node;
    struct skv_err e = {0, ""};
    struct skv_batch_op op;
    static const uint8_t one = 1;
    int any = 0;
    size_t i;
    for (i = 0; i < sizeof key_prefixes && !any; i++)
        if ((any = skv_fsm_any_with_prefix(f, key_prefixes[i], &e)) < 0) {
            snprintf(err, errlen, "fsm: key set: %s", e.msg);
            return -1;
        }
    if (any)
        return 0;
    memset(&op, 0, sizeof op);
    op.type = SKV_BATCH_PUT;
    op.key = skv_fsm_revsall_key;
    op.key_len = sizeof skv_fsm_revsall_key;
    op.val = &one;
    op.val_len = 1;
    if (n->st->write(n->db, &op, 1, 0, &e) != SKV_OK) {
        snprintf(err, errlen, "fsm: key set marker: %s", e.msg);
        return -1;
    }
    return 1;
}

int skv_fsm_keys_load(struct skv_fsm *f, char *err, size_t errlen)
{
    int m;
    skv_fpset_init(&f->keys.set);
    f->keys.on = 0;
    if ((m = marked(f, err, errlen)) == 0)
        m = mark_if_empty(f, err, errlen);
    if (m < 0)
        return -1;
    if (m == 0) {
        skv_node_log(f->node, SKV_LOG_INFO, "fsm: the store may hold keys written before "
                     "revisions: no key set; puts read the store (a snapshot restore sets it)");
        return 0;
    }
    if (walk(f, SKV_PFX_FSM_REV, add_one, &f->keys.set, err, errlen) != 0) {
        skv_fsm_keys_free(f);
        return -1;
    }
    f->keys.on = 1;
    return 0;
}

int skv_fsm_keys_in_use(struct skv_fsm *f)
{
    return f->keys.on && !skv_fsm_names_on(f);
}

int skv_fsm_keys_absent(struct skv_fsm *f, const uint8_t *key, size_t len)
{
    return skv_fsm_keys_in_use(f) &&
           !skv_fpset_has(&f->keys.set, skv_fpset_fp(&f->keys.set, key, len));
}

void skv_fsm_keys_note(struct skv_fsm *f, const uint8_t *key, size_t len, int existed, int exists)
{
    uint64_t fp;
    if (!skv_fsm_keys_in_use(f) || !existed == !exists)
        return;
    fp = skv_fpset_fp(&f->keys.set, key, len);
    if (exists && skv_fpset_add(&f->keys.set, fp) != 0)
        skv_fsm_keys_off(f, "out of memory");
    else if (!exists && !skv_fpset_del(&f->keys.set, fp))
        skv_fsm_keys_off(f, "a deleted key was not in the set");
}

/* ---- restores --------------------------------------------------------- */

void skv_keys_build_init(struct skv_keys_build *kb)
{
    memset(kb, 0, sizeof *kb);
    skv_fpset_init(&kb->set);
}

void skv_keys_build_free(struct skv_keys_build *kb)
{
    skv_fpset_free(&kb->set);
}

void skv_keys_build_rec(struct skv_keys_build *kb, const uint8_t *key, size_t kl)
{
    if (kl == 0)
        return;
    switch (key[0]) {
    case SKV_PFX_FSM_DATA:
        kb->values++;
        break;
    case SKV_PFX_FSM_REV:
        kb->revs++;
        if (!kb->nomem && add_one(&kb->set, key + 1, kl - 1) != 0)
            kb->nomem = 1;
        break;
    case SKV_PFX_NAMED_DATA:
    case SKV_PFX_NAMED_REV:
        kb->named++;
        break;
    default:
        break;
    }
}

/* Exact: a revision record for every value (every revision record has a
 * value: a delete removes both), none of the sealed-name layout. */
static int build_exact(const struct skv_keys_build *kb)
{
    return kb->values == kb->revs && kb->named == 0;
}

int skv_keys_build_mark(const struct skv_keys_build *kb, struct skv_fsm_batch *b)
{
    static const uint8_t one = 1;
    if (build_exact(kb))
        return skv_fsm_batch_put(b, skv_fsm_revsall_key, sizeof skv_fsm_revsall_key, &one, 1);
    return skv_fsm_batch_del(b, skv_fsm_revsall_key, sizeof skv_fsm_revsall_key);
}

void skv_fsm_keys_adopt(struct skv_fsm *f, struct skv_keys_build *kb)
{
    skv_fsm_keys_free(f);
    f->keys.set = kb->set;
    f->keys.on = build_exact(kb) && !kb->nomem;
    skv_fpset_init(&kb->set); /* the FSM owns the table now */
    if (!f->keys.on)
        skv_fsm_keys_free(f);
}
