/* SPDX-License-Identifier: MIT */
/*
 * fsm_names_move.c — the names job's walk (fsm_names.h): each record of
 * the cleartext-name layout (SKV_PFX_FSM_DATA ‖ name, its revision under
 * SKV_PFX_FSM_REV ‖ name) is opened and written again in the sealed
 * layout, and the old records deleted, in one synced batch per chunk;
 * then any old revision record left without its value is deleted. Each
 * chunk runs on the loop thread after a flush of the FSM (apply never
 * runs inside it). A record already present in the sealed layout is
 * newer (a write after the switch deletes the old one in its batch, so
 * both cannot normally exist): the old one is only deleted.
 */
#include "fsm/fsm_names.h"
#include "fsm/fsm.h"
#include "cmd/command.h"
#include "util/keys.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 256

void skv_names_move_init(struct skv_names_move *m)
{
    memset(m, 0, sizeof *m);
    m->next_key[0] = SKV_PFX_FSM_DATA;
    m->next_len = 1;
}

/* 1 if the store holds key k, 0 if not, -1 error. */
static int exists(struct skv_fsm *f, const uint8_t *k, size_t kl)
{
    struct skv_node *n = f->node;
    struct skv_err e = {0, ""};
    void *v = NULL;
    size_t vl = 0;
    int rc = n->st->get(n->db, NULL, k, kl, &v, &vl, &e);
    if (rc == SKV_OK)
        n->st->free_buf(n->db, v);
    return rc == SKV_OK ? 1 : rc == SKV_ERR_NOTFOUND ? 0 : -1;
}

/* The revision record of old key `k` (0x10 ‖ name) moves to rk. */
static int move_rev(struct skv_fsm *f, const uint8_t *k, size_t kl, const uint8_t *rk,
                    struct skv_fsm_batch *b, struct skv_names_move *m)
{
    struct skv_node *n = f->node;
    struct skv_err e = {0, ""};
    uint8_t ok[SKV_MAX_KEY + 1];
    void *v = NULL;
    size_t vl = 0;
    int rc, bad;
    memcpy(ok, k, kl);
    ok[0] = SKV_PFX_FSM_REV;
    rc = n->st->get(n->db, NULL, ok, kl, &v, &vl, &e);
    if (rc == SKV_ERR_NOTFOUND)
        return 0;
    if (rc != SKV_OK) {
        snprintf(m->msg, sizeof m->msg, "storage: %s", e.msg);
        return -1;
    }
    bad = skv_fsm_batch_put(b, rk, SKV_NAMED_KEY_LEN, v, vl) || skv_fsm_batch_del(b, ok, kl);
    n->st->free_buf(n->db, v);
    return bad ? -1 : 0;
}

/* One old value record: sealed layout in, old records out. */
static int move_one(struct skv_fsm *f, const uint8_t *k, size_t kl, const uint8_t *rec,
                    size_t rl, struct skv_fsm_batch *b, struct skv_names_move *m)
{
    struct skv_err e = {0, ""};
    uint8_t dk[SKV_NAMED_KEY_LEN], rk[SKV_NAMED_KEY_LEN], *val = NULL;
    struct skv_kv_op op;
    size_t vl = 0;
    int have, rc;
    if (kl < 2 || kl > SKV_MAX_KEY + 1 ||
        skv_fsm_names_key(f, SKV_PFX_NAMED_DATA, k + 1, kl - 1, dk, &e) != SKV_OK ||
        skv_fsm_names_key(f, SKV_PFX_NAMED_REV, k + 1, kl - 1, rk, &e) != SKV_OK) {
        snprintf(m->msg, sizeof m->msg, "an old record of %zu bytes: %s", kl, e.msg);
        return -1;
    }
    if ((have = exists(f, dk, sizeof dk)) < 0)
        return -1;
    if (skv_fsm_batch_del(b, k, kl))
        return -1;
    if (have)
        return 0; /* a newer write is already there; its revision too */
    if (skv_fsm_open_value(f, k, kl, rec, rl, &val, &vl, &e) != SKV_OK) {
        snprintf(m->msg, sizeof m->msg, "an old record does not open: %s", e.msg);
        return -1;
    }
    op.op = SKV_KV_PUT;
    op.key = k + 1;
    op.key_len = kl - 1;
    op.val = val;
    op.val_len = vl;
    rc = skv_fsm_names_stage(f, 0, &op, b) != 0 || move_rev(f, k, kl, rk, b, m) != 0 ? -1 : 0;
    if (val)
        sodium_memzero(val, vl);
    free(val);
    if (rc == 0)
        m->moved++;
    return rc;
}

/* Walk from m->next_key over old records of prefix pfx into b: 1 more
 * (the cursor moved), 0 this prefix is done, -1 error. */
static int walk(struct skv_fsm *f, struct skv_names_move *m, uint8_t pfx,
                struct skv_fsm_batch *b)
{
    struct skv_node *n = f->node;
    struct skv_err e = {0, ""};
    void *it = NULL;
    int count = 0, r = 0;
    if (n->st->iter_new(n->db, NULL, &it, &e) != SKV_OK) {
        snprintf(m->msg, sizeof m->msg, "storage: %s", e.msg);
        return -1;
    }
    for (n->st->iter_seek(it, m->next_key, m->next_len); r == 0 && n->st->iter_valid(it);
         n->st->iter_next(it)) {
        size_t kl, rl;
        const uint8_t *k = n->st->iter_key(it, &kl), *rec = n->st->iter_value(it, &rl);
        if (kl == 0 || k[0] != pfx)
            break;
        if (count++ == CHUNK && kl <= sizeof m->next_key) {
            memcpy(m->next_key, k, kl);
            m->next_len = kl;
            r = 1;
        } else if (pfx == SKV_PFX_FSM_DATA) {
            r = move_one(f, k, kl, rec, rl, b, m) ? -1 : 0;
        } else {
            r = skv_fsm_batch_del(b, k, kl) ? -1 : 0; /* a revision left without its value */
            m->dropped += r == 0;
        }
    }
    if (r == 0 && n->st->iter_status(it, &e) != SKV_OK) {
        snprintf(m->msg, sizeof m->msg, "storage: %s", e.msg);
        r = -1;
    }
    n->st->iter_free(it);
    if (r < 0 && !m->msg[0])
        snprintf(m->msg, sizeof m->msg, "out of memory");
    return r;
}

int skv_names_move_chunk(struct skv_fsm *f, struct skv_names_move *m)
{
    struct skv_node *n = f->node;
    struct skv_fsm_batch b = {NULL, 0, 0, 0};
    struct skv_err e = {0, ""};
    uint8_t pfx = m->next_key[0];
    int r;
    if (!skv_fsm_names_on(f)) {
        snprintf(m->msg, sizeof m->msg, "key names are not sealed");
        return -1;
    }
    if (skv_fsm_flush(f) != 0) { /* the walk must see every applied write */
        snprintf(m->msg, sizeof m->msg, "the FSM could not write its applied entries");
        return -1;
    }
    r = walk(f, m, pfx, &b);
    if (r >= 0 && b.n && n->st->write(n->db, b.ops, b.n, 1, &e) != SKV_OK) {
        snprintf(m->msg, sizeof m->msg, "storage write: %s", e.msg);
        r = -1;
    }
    skv_fsm_batch_free(&b);
    if (r != 0)
        return r;
    if (pfx == SKV_PFX_FSM_DATA) { /* values done: the revisions left alone next */
        m->next_key[0] = SKV_PFX_FSM_REV;
        m->next_len = 1;
        return 1;
    }
    f->names_old = 0;
    return 0;
}
