/* SPDX-License-Identifier: MIT */
/*
 * fsm_txn.c — owns the apply of a transaction (0x07, cmd/txn_cmd.h): the
 * compares evaluated on the state as of the previous entry, the branch
 * they choose, its gets read from that same state, its puts and deletes
 * staged into the entry's batch (one atomic write with the applied
 * index, like any entry), and the outcome kept in f->txn_res for the
 * proposer. Deterministic: every replica takes the same branch; only the
 * leader, whose proposer waits for them, reads the gets' values.
 */
#include "fsm/fsm.h"
#include "fsm/fsm_rev.h"
#include "cmd/command.h"
#include "cmd/txn_cmd.h"

#include <stdlib.h>
#include <string.h>

static void result_reset(struct skv_txn_result *r)
{
    for (size_t i = 0; i < r->n_gets; i++)
        free(r->gets[i].val);
    free(r->gets);
    memset(r, 0, sizeof *r);
}

void skv_fsm_txn_free(struct skv_fsm *f)
{
    result_reset(&f->txn_res);
}

/* The key's stored value and revision as of the previous entry (the
 * round so far is written first). 0 (found or not), or a RAFT_* error
 * after halting the node. */
static int read_key(struct skv_fsm *f, uint64_t index, const uint8_t *key, size_t kl,
                    struct skv_txn_get *g)
{
    struct skv_err e = {0, ""};
    struct skv_rev rev;
    int rc;
    memset(g, 0, sizeof *g);
    rc = skv_fsm_get(f, key, kl, &g->val, &g->val_len, &rev, &e);
    if (rc == SKV_ERR_NOTFOUND)
        return 0;
    if (rc != SKV_OK) {
        skv_node_halt(f->node, "fsm: transaction at entry %llu cannot read a key: %s",
                      (unsigned long long)index, e.msg);
        return RAFT_IOERR;
    }
    g->found = 1;
    g->mod = rev.mod;
    g->create = rev.create;
    return 0;
}

static int cmp_holds(struct skv_fsm *f, uint64_t index, const struct skv_txn_cmp *c, int *holds)
{
    struct skv_rev cur;
    struct skv_txn_get g;
    int rc;
    if (c->kind != SKV_TXN_CMP_VALUE) {
        if ((rc = skv_fsm_rev_current(f, c->key, c->key_len, &cur)) != 0)
            return rc;
        *holds = c->kind == SKV_TXN_CMP_EXISTS ? cur.exists == c->exists
                                               : cur.exists && cur.mod == c->mod;
        return 0;
    }
    if ((rc = read_key(f, index, c->key, c->key_len, &g)) != 0)
        return rc;
    *holds = g.found && g.val_len == c->val_len &&
             (c->val_len == 0 || memcmp(g.val, c->val, c->val_len) == 0);
    free(g.val);
    return 0;
}

/* The gets of ops[0..n) into f->txn_res (leader only). */
static int read_gets(struct skv_fsm *f, uint64_t index, const struct skv_txn_op *ops, size_t n)
{
    struct skv_txn_result *r = &f->txn_res;
    size_t i, k = 0;
    int rc;
    for (i = 0; i < n; i++)
        k += ops[i].op == SKV_TXN_GET;
    if (k && !(r->gets = calloc(k, sizeof *r->gets))) {
        skv_node_halt(f->node, "fsm: transaction at entry %llu: out of memory",
                      (unsigned long long)index);
        return RAFT_NOMEM;
    }
    for (i = 0; i < n; i++)
        if (ops[i].op == SKV_TXN_GET &&
            (rc = read_key(f, index, ops[i].key, ops[i].key_len, &r->gets[r->n_gets++])) != 0)
            return rc;
    return 0;
}

int skv_fsm_apply_txn(struct skv_fsm *f, uint64_t index, const struct skv_txn *t,
                      struct skv_fsm_batch *b)
{
    const struct skv_txn_op *ops;
    size_t i, n;
    int rc, holds = 1;
    result_reset(&f->txn_res);
    for (i = 0; i < t->n_cmps && holds; i++)
        if ((rc = cmp_holds(f, index, &t->cmps[i], &holds)) != 0)
            return rc;
    f->txn_res.succeeded = holds;
    n = holds ? t->n_success : t->n_failure;
    if (n == 0)
        return 0; /* nothing to do (t->ops may be NULL) */
    ops = holds ? t->ops : t->ops + t->n_success;
    if (raft_state(f->raft) == RAFT_LEADER && (rc = read_gets(f, index, ops, n)) != 0)
        return rc;
    for (i = 0; i < n; i++) {
        struct skv_kv_op kv = {ops[i].op == SKV_TXN_PUT ? SKV_KV_PUT : SKV_KV_DEL, ops[i].key,
                               ops[i].key_len, ops[i].val, ops[i].val_len};
        if (ops[i].op != SKV_TXN_GET && (rc = skv_fsm_stage_kv(f, index, &kv, b)) != 0)
            return rc;
    }
    return 0;
}
