/* SPDX-License-Identifier: MIT */
/*
 * fsm_names.c — sealed key names in the FSM (fsm_names.h): whether old
 * records remain, the store keys of a name, a put/delete staged in the
 * sealed layout, and the point read of a named record.
 */
#include "fsm/fsm_names.h"
#include "fsm/fsm.h"
#include "fsm/fsm_scan.h"
#include "cmd/command.h"
#include "util/keys.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(SKV_NAMES_NAME_MAX == SKV_MAX_KEY, "a name is a user key");

int skv_fsm_names_on(struct skv_fsm *f)
{
    return skv_enc_names_sealed(&f->node->enc);
}

int skv_fsm_names_old(struct skv_fsm *f)
{
    struct skv_err e = {0, ""};
    int a, b;
    if (!skv_fsm_names_on(f))
        return 0;
    if (f->names_old >= 0)
        return f->names_old;
    if ((a = skv_fsm_any_with_prefix(f, SKV_PFX_FSM_DATA, &e)) < 0 ||
        (b = skv_fsm_any_with_prefix(f, SKV_PFX_FSM_REV, &e)) < 0)
        return 1; /* unknown: look in both, delete in both */
    f->names_old = a || b;
    return f->names_old;
}

int skv_fsm_names_key(struct skv_fsm *f, uint8_t pfx, const uint8_t *name, size_t len,
                      uint8_t out[SKV_NAMED_KEY_LEN], struct skv_err *err)
{
    struct skv_enc_err ee;
    const uint8_t *nk;
    memset(&ee, 0, sizeof ee);
    if (len == 0 || len > SKV_MAX_KEY)
        return skv_err_set(err, SKV_ERR_INVALID, "key length must be 1..%u", SKV_MAX_KEY);
    if (!(nk = skv_enc_names_key(&f->node->enc, &ee)))
        return skv_err_set(err, ee.err.code ? ee.err.code : SKV_ERR_INTERNAL,
                           "the name key: %s", ee.err.msg);
    if (skv_names_store_key(nk, pfx, name, len, out) != 0)
        return skv_err_set(err, SKV_ERR_INTERNAL, "the name hash failed");
    return SKV_OK;
}

static int stage_value(struct skv_fsm *f, uint64_t index, const struct skv_kv_op *op,
                       const uint8_t dk[SKV_NAMED_KEY_LEN], struct skv_fsm_batch *b)
{
    uint8_t *pt = NULL, *rec = NULL;
    size_t pl = 0, rl = 0;
    int rc;
    if (skv_names_rec_encode(op->key, op->key_len, op->val, op->val_len, &pt, &pl) != 0)
        return RAFT_NOMEM;
    rc = skv_fsm_seal_value(f, index, dk, SKV_NAMED_KEY_LEN, pt, pl, &rec, &rl);
    if (rc == 0 && skv_fsm_batch_put(b, dk, SKV_NAMED_KEY_LEN, rec, rl) != 0)
        rc = RAFT_NOMEM;
    sodium_memzero(pt, pl);
    free(pt);
    free(rec);
    return rc;
}

int skv_fsm_names_stage(struct skv_fsm *f, uint64_t index, const struct skv_kv_op *op,
                        struct skv_fsm_batch *b)
{
    uint8_t dk[SKV_NAMED_KEY_LEN], old[SKV_MAX_KEY + 1];
    struct skv_err e = {0, ""};
    if (skv_fsm_names_key(f, SKV_PFX_NAMED_DATA, op->key, op->key_len, dk, &e) != SKV_OK) {
        skv_node_halt(f->node, "fsm: entry %llu: %s", (unsigned long long)index, e.msg);
        return RAFT_INVALID;
    }
    if (skv_fsm_names_old(f)) { /* the old record goes with any write */
        old[0] = SKV_PFX_FSM_DATA;
        memcpy(old + 1, op->key, op->key_len);
        if (skv_fsm_batch_del(b, old, op->key_len + 1) != 0)
            return RAFT_NOMEM;
    }
    if (op->op == SKV_KV_DEL)
        return skv_fsm_batch_del(b, dk, sizeof dk) ? RAFT_NOMEM : 0;
    return stage_value(f, index, op, dk, b);
}

int skv_fsm_names_open(struct skv_fsm *f, const uint8_t *skey, size_t skl, const uint8_t *rec,
                       size_t rl, uint8_t **pt, size_t *ptl, const uint8_t **name, size_t *nl,
                       const uint8_t **val, size_t *vl, struct skv_err *err)
{
    int rc;
    *pt = NULL;
    *ptl = 0;
    if (rl < 1 || (rec[0] & SKV_VAL_STATE_MASK) != SKV_VAL_SEALED)
        return skv_err_set(err, SKV_ERR_CORRUPT, "a named record is not sealed");
    if ((rc = skv_fsm_open_value(f, skey, skl, rec, rl, pt, ptl, err)) != SKV_OK)
        return rc;
    if (skv_names_rec_decode(*pt, *ptl, name, nl, val, vl) == 0)
        return SKV_OK;
    sodium_memzero(*pt, *ptl);
    free(*pt);
    *pt = NULL;
    return skv_err_set(err, SKV_ERR_CORRUPT, "a named record's plaintext is malformed");
}

static int copy_out(const uint8_t *v, size_t n, uint8_t **val, size_t *vl, struct skv_err *err)
{
    if (!(*val = malloc(n + 1)))
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    if (n)
        memcpy(*val, v, n);
    *vl = n;
    return SKV_OK;
}

int skv_fsm_names_get(struct skv_fsm *f, const uint8_t *key, size_t kl, uint8_t **val,
                      size_t *vl, struct skv_err *err)
{
    struct skv_node *n = f->node;
    uint8_t dk[SKV_NAMED_KEY_LEN], *pt = NULL;
    const uint8_t *name = NULL, *v = NULL;
    size_t nl = 0, l = 0, ptl = 0, rl = 0;
    void *rec = NULL;
    int rc;
    if ((rc = skv_fsm_names_key(f, SKV_PFX_NAMED_DATA, key, kl, dk, err)) != SKV_OK ||
        (rc = n->st->get(n->db, NULL, dk, sizeof dk, &rec, &rl, err)) != SKV_OK)
        return rc;
    rc = skv_fsm_names_open(f, dk, sizeof dk, rec, rl, &pt, &ptl, &name, &nl, &v, &l, err);
    n->st->free_buf(n->db, rec);
    if (rc == SKV_OK && (nl != kl || memcmp(name, key, kl) != 0))
        rc = skv_err_set(err, SKV_ERR_CORRUPT, "a named record holds another name");
    if (rc == SKV_OK)
        rc = copy_out(v, l, val, vl, err);
    if (pt)
        sodium_memzero(pt, ptl);
    free(pt);
    return rc;
}
