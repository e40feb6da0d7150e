/* SPDX-License-Identifier: MIT */
/*
 * erase.c — "encryption.erase-cleartext" (DESIGN.md §5 "Cleartext history
 * is erased, provably"): on THIS node, once Phase 1 and Phase 2 are both
 * active,
 *   1. re-seal every FSM value still stored in cleartext (written before
 *      Phase 1) with the storage DEK — in chunks on the loop thread, so
 *      each chunk is serialised with FSM apply;
 *   2. compact the Raft log below the cutover and drop the storage views
 *      taken before (purge.h, shared with the retire job);
 *   3. physically compact the store on a worker thread so the overwritten
 *      and deleted cleartext bytes leave the disk.
 * Answers {"resealed_values":N,"log_first_index":I,"cutover_index":N,
 * "storage_compacted":bool}; with key names sealed it first refuses
 * (ErrNamesMigrationIncomplete) while this node's names job still has
 * records to move. `sealkv verify --strict` then proves the
 * data dir holds no cleartext entry or value. Loop thread only.
 */
#include "admin/erase.h"
#include "admin/admin_ops.h"
#include "admin/purge.h"
#include "cmd/command.h"
#include "crypto/envelope.h"
#include "fsm/fsm.h"
#include "fsm/fsm_names.h"
#include "util/keys.h"
#include "intake/propose.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define ERASE_TIMEOUT_MS 30000

struct erase {
    struct skv_op *op;
    uv_timer_t timer;
    struct skv_purge purge;     /* steps 2 and 3 (purge.h) */
    struct skv_reseal reseal;   /* step 1: the cleartext values */
    int phase;                  /* 1 reseal, 2 log and views, 3 storage, 4 done */
    char msg[400];
};

static void erase_step(uv_timer_t *t);

static void erase_free(uv_handle_t *h)
{
    free(h->data);
}

static void finish(struct erase *e, int ok)
{
    struct skv_node *n = e->op->node;
    char *s;
    json_t *o;
    skv_purge_end(&e->purge); /* put the snapshot settings back */
    if (!n->admin_started && !e->op->fwd_from) {
        skv_op_free(e->op); /* shutting down: the admin plugin is gone */
    } else if (!ok) {
        skv_op_fail(e->op, SKV_ErrEraseIncomplete, "%s", e->msg);
    } else {
        o = json_pack("{s:I,s:I,s:I,s:b}", "resealed_values", (json_int_t)e->reseal.resealed,
                      "log_first_index", (json_int_t)e->purge.first_index, "cutover_index",
                      (json_int_t)skv_enc_cutover(&n->enc), "storage_compacted",
                      e->purge.compact_rc == SKV_OK);
        s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (s)
            skv_op_reply_json(e->op, 200, s);
        else
            skv_op_fail(e->op, SKV_ErrNoMemory, "out of memory");
        free(s);
    }
    uv_close((uv_handle_t *)&e->timer, erase_free);
}

static void compacted(struct skv_purge *p, int ok)
{
    struct erase *e = (struct erase *)((char *)p - offsetof(struct erase, purge));
    e->phase = 4;
    if (!ok)
        snprintf(e->msg, sizeof e->msg, "%s", p->msg);
    finish(e, ok);
}

static void log_step(struct erase *e)
{
    int r = skv_purge_step(&e->purge);
    if (r == 1)
        return;
    uv_timer_stop(&e->timer);
    if (r == 0) {
        e->phase = 3;
        if (skv_purge_compact(&e->purge, compacted) == 0)
            return;
    }
    snprintf(e->msg, sizeof e->msg, "%s", e->purge.msg);
    finish(e, 0);
}

static void erase_step(uv_timer_t *t)
{
    struct erase *e = t->data;
    struct skv_node *n = e->op->node;
    int r;
    if (n->stopping || n->run_state == SKV_RUN_HALTED) {
        snprintf(e->msg, sizeof e->msg, "node is stopping or halted");
        uv_timer_stop(&e->timer);
        finish(e, 0);
        return;
    }
    if (e->phase == 1) {
        if ((r = skv_reseal_chunk(n, &e->reseal)) < 0) {
            snprintf(e->msg, sizeof e->msg, "%s", e->reseal.msg);
            uv_timer_stop(&e->timer);
            finish(e, 0);
        } else if (r == 0) {
            e->phase = 2;
            skv_purge_begin(&e->purge, n, skv_enc_cutover(&n->enc), ERASE_TIMEOUT_MS);
            uv_timer_start(&e->timer, erase_step, 50, 50);
        }
        return;
    }
    log_step(e);
}

void skv_op_enc_erase_cleartext(struct skv_op *op)
{
    struct skv_node *n = op->node;
    struct erase *e;
    if (!n->enc.ks || !n->enc.sc.storage_envelope_active || skv_enc_cutover(&n->enc) == 0) {
        skv_op_fail(op, SKV_ErrEncryptionPhaseInactive, "erase-cleartext needs Phase 1 and Phase 2 active on this node "
                           "(enable-storage-envelope, enable-raft-envelope)");
        return;
    }
    if (skv_op_refuse_installing(op))   /* the names check reads the key space */
        return;
    if (skv_fsm_names_on(&n->fsm) && skv_fsm_names_old(&n->fsm)) {
        skv_op_fail(op, SKV_ErrNamesMigrationIncomplete, "key names are sealed but this node "
                    "still moves records stored under their cleartext name (status: "
                    "encryption.key_names.migration); retry when it is done");
        return;
    }
    if (!(e = calloc(1, sizeof *e))) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    e->op = op;
    e->phase = 1;
    skv_reseal_init(&e->reseal, 0);
    uv_timer_init(&n->loop, &e->timer);
    e->timer.data = e;
    uv_timer_start(&e->timer, erase_step, 0, 1);
}
