/* SPDX-License-Identifier: MIT */
/*
 * fsm_rev.c — per-key revisions (fsm_rev.h): the record codec, the
 * table of the revisions staged in the current commit round, and the
 * lookup (round first, then the store) that puts and compares use.
 */
#include "fsm/fsm_rev.h"
#include "fsm/fsm.h"
#include "fsm/fsm_names.h"
#include "cmd/command.h"
#include "util/bytes.h"
#include "util/keys.h"

#include <stdlib.h>
#include <string.h>

void skv_rev_encode(uint8_t rec[SKV_REV_REC_LEN], uint64_t mod, uint64_t create)
{
    rec[0] = SKV_REV_REC_VERSION;
    skv_put_be64(rec + 1, mod);
    skv_put_be64(rec + 9, create);
}

int skv_rev_decode(const uint8_t *rec, size_t len, uint64_t *mod, uint64_t *create)
{
    if (len != SKV_REV_REC_LEN || rec[0] != SKV_REV_REC_VERSION)
        return -1;
    *mod = skv_get_be64(rec + 1);
    *create = skv_get_be64(rec + 9);
    return 0;
}

/* ---- the round's table ---------------------------------------------- */

static uint64_t key_hash(const uint8_t *k, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= k[i];
        h *= 1099511628211ull;
    }
    return h;
}

void skv_fsm_revs_reset(struct skv_fsm_revs *t)
{
    size_t i;
    for (i = 0; i < t->cap; i++)
        free(t->tab[i].key);
    free(t->tab);
    memset(t, 0, sizeof *t);
}

/* The slot holding key, or the free slot where it would go. */
static struct skv_rev_ent *slot(const struct skv_fsm_revs *t, const uint8_t *k, size_t n,
                                uint64_t h)
{
    size_t i = (size_t)h & (t->cap - 1);
    for (;; i = (i + 1) & (t->cap - 1)) {
        struct skv_rev_ent *e = &t->tab[i];
        if (!e->key || (e->hash == h && e->key_len == n && memcmp(e->key, k, n) == 0))
            return e;
    }
}

static int grow(struct skv_fsm_revs *t)
{
    struct skv_fsm_revs nt;
    size_t i;
    if (t->cap && (t->n + 1) * 2 <= t->cap)
        return 0;
    nt.cap = t->cap ? t->cap * 2 : 64;
    nt.n = t->n;
    if (!(nt.tab = calloc(nt.cap, sizeof *nt.tab)))
        return -1;
    for (i = 0; i < t->cap; i++)
        if (t->tab[i].key)
            *slot(&nt, t->tab[i].key, t->tab[i].key_len, t->tab[i].hash) = t->tab[i];
    free(t->tab);
    *t = nt;
    return 0;
}

static const struct skv_rev *revs_find(const struct skv_fsm_revs *t, const uint8_t *k,
                                       size_t n)
{
    const struct skv_rev_ent *e;
    if (!t->cap)
        return NULL;
    e = slot(t, k, n, key_hash(k, n));
    return e->key ? &e->rev : NULL;
}

static int revs_set(struct skv_fsm_revs *t, const uint8_t *k, size_t n,
                    const struct skv_rev *r)
{
    uint64_t h = key_hash(k, n);
    struct skv_rev_ent *e;
    if (grow(t) != 0)
        return -1;
    e = slot(t, k, n, h);
    if (!e->key) {
        if (!(e->key = malloc(n)))
            return -1;
        memcpy(e->key, k, n);
        e->key_len = n;
        e->hash = h;
        t->n++;
    }
    e->rev = *r;
    return 0;
}

/* ---- lookups ---------------------------------------------------------- */

static size_t pfx_key(uint8_t *buf, uint8_t pfx, const uint8_t *key, size_t len)
{
    buf[0] = pfx;
    memcpy(buf + 1, key, len);
    return len + 1;
}

/* 1 found (value in *v, free with free_buf), 0 absent, -1 error. */
static int st_get(struct skv_fsm *f, uint8_t pfx, const uint8_t *key, size_t len, void **v,
                  size_t *vl, struct skv_err *e)
{
    struct skv_node *n = f->node;
    uint8_t kbuf[SKV_MAX_KEY + 1];
    int rc = n->st->get(n->db, NULL, kbuf, pfx_key(kbuf, pfx, key, len), v, vl, e);
    return rc == SKV_OK ? 1 : rc == SKV_ERR_NOTFOUND ? 0 : -1;
}

/* The record of `key` in its layout (fsm_names.h): with names sealed
 * under named_pfx ‖ H(key), and under old_pfx ‖ key while old records
 * remain; else under old_pfx ‖ key. 1 found, 0 absent, -1 error. */
static int layout_get(struct skv_fsm *f, uint8_t old_pfx, uint8_t named_pfx,
                      const uint8_t *key, size_t len, void **v, size_t *vl, struct skv_err *e)
{
    struct skv_node *n = f->node;
    uint8_t nk[SKV_NAMED_KEY_LEN];
    int rc;
    if (skv_fsm_names_on(f)) {
        if (skv_fsm_names_key(f, named_pfx, key, len, nk, e) != SKV_OK)
            return -1;
        rc = n->st->get(n->db, NULL, nk, sizeof nk, v, vl, e);
        if (rc != SKV_ERR_NOTFOUND || !skv_fsm_names_old(f))
            return rc == SKV_OK ? 1 : rc == SKV_ERR_NOTFOUND ? 0 : -1;
    }
    return st_get(f, old_pfx, key, len, v, vl, e);
}

int skv_fsm_rev_load(struct skv_fsm *f, const uint8_t *key, size_t key_len,
                     struct skv_rev *out, struct skv_err *err)
{
    struct skv_node *n = f->node;
    void *v = NULL;
    size_t vl = 0;
    int r;
    memset(out, 0, sizeof *out);
    if (key_len == 0 || key_len > SKV_MAX_KEY)
        return skv_err_set(err, SKV_ERR_INVALID, "key length must be 1..%u", SKV_MAX_KEY);
    if ((r = layout_get(f, SKV_PFX_FSM_REV, SKV_PFX_NAMED_REV, key, key_len, &v, &vl, err)) < 0)
        return err->code ? err->code : SKV_ERR_IO;
    if (r == 1) {
        int bad = skv_rev_decode(v, vl, &out->mod, &out->create);
        n->st->free_buf(n->db, v);
        if (bad)
            return skv_err_set(err, SKV_ERR_CORRUPT, "malformed revision record (%zu bytes)", vl);
        out->exists = 1;
    }
    return SKV_OK;
}

int skv_fsm_rev_current(struct skv_fsm *f, const uint8_t *key, size_t key_len,
                        struct skv_rev *out)
{
    struct skv_node *n = f->node;
    const struct skv_rev *staged = revs_find(&f->revs, key, key_len);
    struct skv_err e = {0, ""};
    void *v = NULL;
    size_t vl = 0;
    int r;
    if (staged) {
        *out = *staged;
        return 0;
    }
    if (skv_fsm_keys_absent(f, key, key_len)) { /* no read: fsm_keys.h */
        memset(out, 0, sizeof *out);
        return 0;
    }
    if (skv_fsm_rev_load(f, key, key_len, out, &e) != SKV_OK) {
        skv_node_halt(n, "fsm: cannot read a revision record: %s", e.msg);
        return RAFT_IOERR;
    }
    if (out->exists)
        return 0;
    /* no record: a key written before revisions, or no key at all */
    if ((r = layout_get(f, SKV_PFX_FSM_DATA, SKV_PFX_NAMED_DATA, key, key_len, &v, &vl, &e)) < 0) {
        skv_node_halt(n, "fsm: cannot read a value: %s", e.msg);
        return RAFT_IOERR;
    }
    if (r == 1)
        n->st->free_buf(n->db, v);
    out->exists = r;
    return 0;
}

/* The store key of key's revision record for a write into kbuf: the
 * sealed layout's with names sealed (*old_too: the old record is deleted
 * as well while old records remain), else the old one. 0 or -1. */
static int rev_write_key(struct skv_fsm *f, uint64_t index, const uint8_t *key, size_t key_len,
                         uint8_t *kbuf, size_t *kl, int *old_too)
{
    struct skv_err e = {0, ""};
    *old_too = 0;
    if (!skv_fsm_names_on(f)) {
        *kl = pfx_key(kbuf, SKV_PFX_FSM_REV, key, key_len);
        return 0;
    }
    if (skv_fsm_names_key(f, SKV_PFX_NAMED_REV, key, key_len, kbuf, &e) != SKV_OK) {
        skv_node_halt(f->node, "fsm: entry %llu: %s", (unsigned long long)index, e.msg);
        return -1;
    }
    *kl = SKV_NAMED_KEY_LEN;
    *old_too = skv_fsm_names_old(f);
    return 0;
}

int skv_fsm_rev_stage(struct skv_fsm *f, uint64_t index, const uint8_t *key, size_t key_len,
                      int del, struct skv_fsm_batch *b)
{
    uint8_t kbuf[SKV_MAX_KEY + 1], okey[SKV_MAX_KEY + 1], rec[SKV_REV_REC_LEN];
    size_t kl = 0;
    struct skv_rev cur = {0, 0, 0}, next = {0, 0, 0};
    int rc, old_too;
    if (rev_write_key(f, index, key, key_len, kbuf, &kl, &old_too) != 0)
        return RAFT_INVALID;
    if (old_too && skv_fsm_batch_del(b, okey, pfx_key(okey, SKV_PFX_FSM_REV, key, key_len)))
        return RAFT_NOMEM;
    if (!del || skv_fsm_keys_in_use(f)) { /* a delete: did it remove a key? */
        if ((rc = skv_fsm_rev_current(f, key, key_len, &cur)) != 0)
            return rc;
    }
    if (!del) {
        next.exists = 1;
        next.mod = index;
        next.create = cur.exists ? cur.create : index;
        skv_rev_encode(rec, next.mod, next.create);
    }
    if ((del ? skv_fsm_batch_del(b, kbuf, kl) : skv_fsm_batch_put(b, kbuf, kl, rec, sizeof rec)) ||
        revs_set(&f->revs, key, key_len, &next)) {
        skv_node_halt(f->node, "fsm: out of memory at index %llu", (unsigned long long)index);
        return RAFT_NOMEM;
    }
    skv_fsm_keys_note(f, key, key_len, cur.exists, next.exists);
    return 0;
}
