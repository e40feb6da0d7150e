/* SPDX-License-Identifier: MIT */
/*
 * fsm.c — FSM apply: Phase-2 unwrap above the cutover, command dispatch
 * (payloads decoded by skv_cmd_decode, the same decoder the leader's
 * intake runs),
 * the data and the applied index in one storage batch, replay skipping
 * (entries at or below the applied index), the batch chain's marker step
 * in every batch (fsm_gap.h). A failure returns non-zero, which stops
 * C-Raft's apply loop without advancing last_applied (fail closed).
 *
 * Applies are batched per commit round: a KV entry's writes are staged
 * in f->pend and written, with the applied index and the chain step, by
 * skv_fsm_flush — at the end of the loop turn (the check handle), before
 * every FSM reader, before an encryption entry (which is written alone
 * and synced, as before), and when the batch grows past a bound. The
 * Raft log holds every staged entry durably, so a crash before the flush
 * loses nothing: restart re-applies from the durable applied index, as
 * after the loss of any unsynced FSM write (docs/DURABILITY.md).
 */
#include "fsm/fsm.h"
#include "fsm/fsm_gap.h"
#include "fsm/fsm_names.h"
#include "cmd/cmd_decode.h"
#include "util/bytes.h"
#include "util/errors.h"
#include "util/keys.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

/* A pending batch is written once it holds this many ops or bytes. */
#define SKV_FSM_PEND_MAX_OPS 4096u
#define SKV_FSM_PEND_MAX_BYTES (4u << 20)

const uint8_t skv_fsm_applied_key[8] = {SKV_PFX_FSM_META, 'a', 'p', 'p', 'l', 'i', 'e', 'd'};
const uint8_t skv_fsm_encidx_key[7] = {SKV_PFX_FSM_META, 'e', 'n', 'c', 'i', 'd', 'x'};

/* ---- batch builder -------------------------------------------------- */

static int batch_grow(struct skv_fsm_batch *b)
{
    size_t nc;
    void *a;
    if (b->n < b->cap)
        return 0;
    nc = b->cap ? b->cap * 2 : 8;
    if (!(a = realloc(b->ops, nc * sizeof *b->ops)))
        return -1;
    b->ops = a;
    b->cap = nc;
    return 0;
}

static int batch_add(struct skv_fsm_batch *b, int type, const void *k, size_t kl,
                     const void *v, size_t vl)
{
    struct skv_batch_op *o;
    uint8_t *mem;
    if (batch_grow(b) != 0)
        return -1;
    if (!(mem = malloc(kl + vl + 1)))
        return -1;
    memcpy(mem, k, kl);
    if (vl)
        memcpy(mem + kl, v, vl);
    o = &b->ops[b->n++];
    b->bytes += kl + vl;
    memset(o, 0, sizeof *o);
    o->type = type;
    o->key = mem;
    o->key_len = kl;
    o->val = type == SKV_BATCH_PUT ? mem + kl : NULL;
    o->val_len = type == SKV_BATCH_PUT ? vl : 0;
    return 0;
}

int skv_fsm_batch_put(struct skv_fsm_batch *b, const void *k, size_t kl,
                      const void *v, size_t vl)
{
    return batch_add(b, SKV_BATCH_PUT, k, kl, v, vl);
}

int skv_fsm_batch_del(struct skv_fsm_batch *b, const void *k, size_t kl)
{
    return batch_add(b, SKV_BATCH_DEL, k, kl, NULL, 0);
}

/* Move op `o` (of another batch) into b: b owns its memory from now on. */
static int batch_take(struct skv_fsm_batch *b, struct skv_batch_op *o)
{
    if (batch_grow(b) != 0)
        return -1;
    b->ops[b->n++] = *o;
    b->bytes += o->key_len + o->val_len;
    o->key = NULL;
    return 0;
}

void skv_fsm_batch_free(struct skv_fsm_batch *b)
{
    size_t i;
    for (i = 0; i < b->n; i++)
        free((void *)b->ops[i].key);
    free(b->ops);
    memset(b, 0, sizeof *b);
}

/* ---- durable meta --------------------------------------------------- */

static int load_u64(struct skv_fsm *f, const uint8_t *key, size_t kl, uint64_t *out,
                    char *err, size_t errlen)
{
    struct skv_node *n = f->node;
    struct skv_err e = {0, ""};
    void *v = NULL;
    size_t vl = 0;
    int rc = n->st->get(n->db, NULL, key, kl, &v, &vl, &e);
    if (rc == SKV_ERR_NOTFOUND) {
        *out = 0;
        return 0;
    }
    if (rc != SKV_OK || vl != 8) {
        snprintf(err, errlen, "fsm: cannot read %.*s: %s", (int)kl - 1, (const char *)key + 1,
                 rc != SKV_OK ? e.msg : "bad length");
        n->st->free_buf(n->db, v);
        return -1;
    }
    *out = skv_get_be64(v);
    n->st->free_buf(n->db, v);
    return 0;
}

/* Build "prefix ‖ key" into buf (caller provides SKV_MAX_KEY + 1). */
static size_t data_key(uint8_t *buf, const uint8_t *key, size_t len)
{
    buf[0] = SKV_PFX_FSM_DATA;
    memcpy(buf + 1, key, len);
    return len + 1;
}

/* ---- commands ------------------------------------------------------- */

static int stage_kv(struct skv_fsm *f, uint64_t index, const struct skv_kv_op *op,
                    struct skv_fsm_batch *b)
{
    uint8_t kbuf[SKV_MAX_KEY + 1], *rec = NULL;
    size_t kl = data_key(kbuf, op->key, op->key_len), rl = 0;
    int rc;
    if ((rc = skv_fsm_rev_stage(f, index, op->key, op->key_len, op->op == SKV_KV_DEL, b)) != 0)
        return rc;
    if (skv_fsm_names_on(f))
        return skv_fsm_names_stage(f, index, op, b);
    if (op->op == SKV_KV_DEL)
        return skv_fsm_batch_del(b, kbuf, kl) ? RAFT_NOMEM : 0;
    rc = skv_fsm_seal_value(f, index, kbuf, kl, op->val, op->val_len, &rec, &rl);
    if (rc != 0)
        return rc;
    rc = skv_fsm_batch_put(b, kbuf, kl, rec, rl) ? RAFT_NOMEM : 0;
    free(rec);
    return rc;
}

int skv_fsm_stage_kv(struct skv_fsm *f, uint64_t index, const struct skv_kv_op *op,
                     struct skv_fsm_batch *b)
{
    return stage_kv(f, index, op, b);
}

/* The batch was validated by skv_cmd_decode: the walk cannot fail. */
static int stage_batch(struct skv_fsm *f, uint64_t index, const uint8_t *p, size_t len,
                       struct skv_fsm_batch *b)
{
    size_t pos = 0;
    uint32_t remaining = 0;
    struct skv_kv_op op;
    char msg[200];
    int r, rc;
    while ((r = skv_cmd_batch_next(p, len, &pos, &remaining, &op, msg, sizeof msg)) == 1)
        if ((rc = stage_kv(f, index, &op, b)) != 0)
            return rc;
    return r == 0 ? 0 : RAFT_MALFORMED;
}

/* A conditional op (0x06): staged if its condition holds on the state
 * as of the previous entry (the round's staged writes included), else
 * refused with ErrCompareFailed and the key's current mod index: the
 * same verdict on every replica. */
static int stage_cas(struct skv_fsm *f, uint64_t index, const struct skv_cmd *c,
                     struct skv_fsm_batch *b, const char **reject)
{
    struct skv_rev cur;
    int rc, holds;
    if ((rc = skv_fsm_rev_current(f, c->kv.key, c->kv.key_len, &cur)) != 0)
        return rc;
    holds = c->cond.kind == SKV_COND_ABSENT    ? !cur.exists
            : c->cond.kind == SKV_COND_PRESENT ? cur.exists
                                               : cur.exists && cur.mod == c->cond.prev;
    if (holds)
        return stage_kv(f, index, &c->kv, b);
    f->refusal.mod_index = cur.exists ? cur.mod : 0;
    *reject = skv_error_name(SKV_ErrCompareFailed);
    return 0;
}

/* Decode one (unwrapped) payload with the shared decoder (the leader ran
 * the same one before raft_apply, so a failure here is local corruption)
 * and stage its effect into the batch. */
static int dispatch(struct skv_fsm *f, uint64_t index, const uint8_t *p, size_t len,
                    struct skv_fsm_batch *b, const char **reject)
{
    struct skv_cmd c;
    char msg[200];
    int rc;
    if (skv_cmd_decode(p, len, &c, msg, sizeof msg) != 0) {
        if (f->node->run_state != SKV_RUN_HALTED)
            skv_node_halt(f->node, "fsm: cannot apply entry %llu: %s",
                          (unsigned long long)index, msg);
        return RAFT_MALFORMED;
    }
    switch (c.tag) {
    case SKV_CMD_KV:
        rc = stage_kv(f, index, &c.kv, b);
        break;
    case SKV_CMD_KV_BATCH:
        rc = stage_batch(f, index, p, len, b);
        break;
    case SKV_CMD_KV_CAS:
        rc = stage_cas(f, index, &c, b, reject);
        break;
    case SKV_CMD_TXN:
        rc = skv_fsm_apply_txn(f, index, &c.txn, b);
        if (rc == 0)
            f->refusal.txn = &f->txn_res; /* applied, with an outcome */
        break;
    case SKV_CMD_NOOP:
        rc = 0;
        break;
    default: /* 0x03..0x05 (0x06 above) */
        rc = skv_fsm_apply_enc(f, index, &c, b, reject);
        break;
    }
    skv_cmd_free(&c);
    return rc;
}

/* The meta of the batch advancing the durable applied index from
 * f->flushed to `index`: the index, encidx for an encryption entry, the
 * chain step (marker index in, marker of the previous batch out), the
 * repair horizon once reached. */
static int stage_meta(struct skv_fsm *f, uint64_t index, struct skv_fsm_batch *b, int enc_entry)
{
    uint8_t ibuf[8];
    skv_put_be64(ibuf, index);
    return skv_fsm_batch_put(b, skv_fsm_applied_key, sizeof skv_fsm_applied_key, ibuf, 8) ||
           (enc_entry && skv_fsm_batch_put(b, skv_fsm_encidx_key, sizeof skv_fsm_encidx_key,
                                           ibuf, 8)) ||
           skv_fsm_gap_stage(b, f->flushed, index) ||
           (f->gap_until && index >= f->gap_until &&
            skv_fsm_batch_del(b, skv_fsm_gapto_key, sizeof skv_fsm_gapto_key))
               ? -1 : 0;
}

/* Write batch b, which advances the durable applied index to `index`
 * (synced for an encryption entry). 0, or a RAFT_* error after halting. */
static int write_batch(struct skv_fsm *f, uint64_t index, struct skv_fsm_batch *b, int enc_entry)
{
    struct skv_node *n = f->node;
    struct skv_err e = {0, ""};
    if (stage_meta(f, index, b, enc_entry)) {
        skv_node_halt(n, "fsm: out of memory at index %llu", (unsigned long long)index);
        return RAFT_NOMEM;
    }
    if (n->st->write(n->db, b->ops, b->n, enc_entry, &e) != SKV_OK) {
        skv_node_halt(n, "fsm: storage write failed at index %llu: %s",
                      (unsigned long long)index, e.msg);
        return RAFT_IOERR;
    }
    f->flushed = f->applied = index;
    if (f->gap_until && index >= f->gap_until)
        f->gap_until = 0;
    return 0;
}

int skv_fsm_flush(struct skv_fsm *f)
{
    int rc;
    if (f->applied == f->flushed)
        return 0;
    skv_fsm_revs_reset(&f->revs); /* in the store from now on (or halted) */
    if (f->node->run_state == SKV_RUN_HALTED)
        return RAFT_SHUTDOWN; /* nothing is written after a halt: restart re-applies */
    rc = write_batch(f, f->applied, &f->pend, 0);
    skv_fsm_batch_free(&f->pend);
    return rc;
}

/* A KV entry joins the pending batch (written by skv_fsm_flush); an
 * encryption entry flushes what is pending, then is written alone. */
static int commit(struct skv_fsm *f, uint64_t index, struct skv_fsm_batch *b, int enc_entry)
{
    size_t i;
    int rc;
    if (enc_entry) {
        if ((rc = skv_fsm_flush(f)) != 0 || (rc = write_batch(f, index, b, 1)) != 0)
            return rc;
        f->node->enc.fsm_encidx = index;
        return 0;
    }
    for (i = 0; i < b->n; i++) /* move the ops: the pending batch owns them now */
        if (batch_take(&f->pend, &b->ops[i])) {
            skv_node_halt(f->node, "fsm: out of memory at index %llu", (unsigned long long)index);
            return RAFT_NOMEM;
        }
    f->applied = index;
    if (f->pend.n >= SKV_FSM_PEND_MAX_OPS || f->pend.bytes >= SKV_FSM_PEND_MAX_BYTES)
        return skv_fsm_flush(f);
    return 0;
}

/* An encryption entry (0x03..0x05): written alone and synced. */
static int enc_tag(const uint8_t *p, size_t len)
{
    return len > 0 && (p[0] == SKV_CMD_WRITER_REG || p[0] == SKV_CMD_ENC_BOOTSTRAP ||
                       p[0] == SKV_CMD_ENC_ROTATION);
}

/* An entry failed half staged: what the round staged before it is
 * written first (pending), so the table can be emptied safely. */
static void drop_revs(struct skv_fsm *f)
{
    skv_fsm_keys_off(f, "an entry failed half staged"); /* it may hold the entry's keys */
    (void)skv_fsm_flush(f); /* halted already, as a rule: then nothing is written */
    skv_fsm_revs_reset(&f->revs);
}

static void crash_after_fsm(const uint8_t *p, size_t len)
{
    const char *kind = skv_fsm_enc_kind(p, len);
    if (strcmp(kind, "none") != 0)
        skv_enc_crash_point(kind, "after-fsm");
}

static int fsm_apply(struct raft_fsm *rf, const struct raft_buffer *buf, void **result)
{
    struct skv_fsm *f = rf->data;
    struct skv_node *n = f->node;
    uint64_t index = raft_last_applied(f->raft) + 1, cut = skv_enc_cutover(&n->enc);
    struct skv_fsm_batch b = {NULL, 0, 0, 0};
    const uint8_t *p = buf->base;
    uint8_t *pt = NULL;
    size_t len = buf->len;
    const char *reject = NULL;
    int rc;

    *result = NULL;
    if (n->run_state == SKV_RUN_HALTED)
        return RAFT_SHUTDOWN;
    if (index <= f->applied)
        return 0; /* replay of an entry already in the FSM (or pending) */
    if (cut != 0 && index > cut) { /* strict: the entry at the cutover is cleartext */
        skv_enc_crash_point("wrapped", "before-apply"); /* committed, in the log, unapplied */
        if ((rc = skv_fsm_unwrap(f, index, p, len, &pt, &len)) != 0)
            return rc;
        p = pt;
    }
    f->refusal.mod_index = 0;
    f->refusal.txn = NULL;
    rc = dispatch(f, index, p, len, &b, &reject);
    if (rc == 0)
        rc = commit(f, index, &b, enc_tag(p, len) && !reject);
    else
        drop_revs(f); /* the entry's staged revisions are void */
    if (rc == 0 && !reject)
        crash_after_fsm(p, len);
    if (rc == 0 && reject) {
        f->refusal.error = reject;
        *result = &f->refusal;
    } else if (rc == 0 && f->refusal.txn) {
        f->refusal.error = NULL;
        *result = &f->refusal; /* the proposer reads the outcome (intake.c) */
    }
    if (rc == 0) /* a refused entry changes nothing: no event */
        skv_history_applied_txn(&f->history, index, reject ? NULL : p, reject ? 0 : len,
                                f->refusal.txn ? f->txn_res.succeeded : -1);
    skv_fsm_batch_free(&b);
    free(pt);
    if (rc == 0)
        skv_cutover_applied(&n->intake.cut, index); /* drain / wait-apply progress */
    return rc;
}

int skv_fsm_get(struct skv_fsm *f, const uint8_t *key, size_t key_len,
                uint8_t **val, size_t *val_len, struct skv_rev *rev,
                struct skv_err *err)
{
    struct skv_node *n = f->node;
    uint8_t kbuf[SKV_MAX_KEY + 1];
    size_t kl;
    void *v = NULL;
    size_t vl = 0;
    int rc;
    if (key_len == 0 || key_len > SKV_MAX_KEY)
        return skv_err_set(err, SKV_ERR_INVALID, "key length must be 1..%u", SKV_MAX_KEY);
    if (skv_fsm_installing(f))
        return skv_err_set(err, SKV_ERR_AGAIN, "a snapshot install is replacing the key space");
    if (skv_fsm_flush(f) != 0)
        return skv_err_set(err, SKV_ERR_IO, "the FSM could not write its applied entries");
    rc = skv_fsm_names_on(f) ? skv_fsm_names_get(f, key, key_len, val, val_len, err)
                             : SKV_ERR_NOTFOUND;
    if (rc == SKV_ERR_NOTFOUND && (!skv_fsm_names_on(f) || skv_fsm_names_old(f))) {
        kl = data_key(kbuf, key, key_len);
        rc = n->st->get(n->db, NULL, kbuf, kl, &v, &vl, err);
        if (rc != SKV_OK)
            return rc;
        rc = skv_fsm_open_value(f, kbuf, kl, v, vl, val, val_len, err);
        n->st->free_buf(n->db, v);
    }
    if (rc == SKV_OK && rev && (rc = skv_fsm_rev_load(f, key, key_len, rev, err)) != SKV_OK) {
        free(*val);
        *val = NULL;
    }
    if (rev)
        rev->exists = rc == SKV_OK;
    return rc;
}

static void on_flush_check(uv_check_t *h)
{
    skv_fsm_flush(h->data);
}

void skv_fsm_stop(struct skv_fsm *f)
{
    skv_fsm_flush(f);
    skv_history_free(&f->history);
    if (f->flush_check_on) {
        f->flush_check_on = 0;
        uv_close((uv_handle_t *)&f->flush_check, NULL);
    }
}

int skv_fsm_init(struct skv_fsm *f, struct skv_node *n, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->node = n;
    f->names_old = -1;
    f->raft = &n->raft;
    f->raft_fsm.version = 3;
    f->raft_fsm.data = f;
    f->raft_fsm.apply = fsm_apply;
    f->raft_fsm.snapshot = skv_fsm_snapshot;
    f->raft_fsm.snapshot_finalize = skv_fsm_snapshot_finalize;
    f->raft_fsm.snapshot_async = NULL; /* a local snapshot is cheap: on the loop */
    f->raft_fsm.restore = skv_fsm_restore;
    skv_snap_views_init(&f->views, n->st, n->db);
    if (load_u64(f, skv_fsm_applied_key, sizeof skv_fsm_applied_key, &f->applied, err, errlen) ||
        load_u64(f, skv_fsm_encidx_key, sizeof skv_fsm_encidx_key, &f->encidx, err, errlen) ||
        skv_fsm_keys_load(f, err, errlen))
        return -1;
    f->flushed = f->applied;
    skv_history_init(&f->history);
    skv_history_reset(&f->history, f->applied);
    if (uv_check_init(&n->loop, &f->flush_check) != 0) {
        snprintf(err, errlen, "fsm: cannot initialise the flush handle");
        return -1;
    }
    f->flush_check.data = f;
    f->flush_check_on = 1;
    uv_check_start(&f->flush_check, on_flush_check);
    return 0;
}
