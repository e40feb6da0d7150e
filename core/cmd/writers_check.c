/* SPDX-License-Identifier: MIT */
/*
 * writers_check.c — apply-time rules of the writer registry: check a
 * batch of registrations against the stored registry (and against the
 * earlier entries of the same batch) and stage the puts. All or nothing.
 */
#include "cmd/writers.h"

#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"
#include "util/errors.h"

/* What a slot holds right now: from this batch, else from the store. */
struct slot {
    int held;            /* 0: free */
    uint64_t node_id;
    uint32_t epoch;
    size_t staged;       /* index in out->recs, or SIZE_MAX */
};

/* The rules that need no lookup. Returns the error name or NULL. */
static const char *fields_check(const struct skv_writer_reg *r, size_t i,
                                struct skv_err *err)
{
    if (r->key_id == 0 || r->node_id == 0) {
        skv_err_set(err, SKV_ERR_INVALID,
                    "%s: entry %zu: %s is 0", skv_error_name(SKV_ErrInvalidRegistration), i,
                    r->key_id == 0 ? "key_id" : "node_id");
        return skv_error_name(SKV_ErrInvalidRegistration);
    }
    if (r->local_epoch > 0xFFFFu) {
        skv_err_set(err, SKV_ERR_INVALID,
                    "%s: entry %zu: node %llu key_id %u local_epoch %u exceeds 0xFFFF",
                    skv_error_name(SKV_ErrLocalEpochOutOfRange), i,
                    (unsigned long long)r->node_id, (unsigned)r->key_id,
                    (unsigned)r->local_epoch);
        return skv_error_name(SKV_ErrLocalEpochOutOfRange);
    }
    if (r->local_epoch == 0xFFFFu) {
        skv_err_set(err, SKV_ERR_INVALID,
                    "%s: entry %zu: node %llu key_id %u local_epoch is 0xFFFF; "
                    "rotate the key (sealkv encryption rotate-dek)", skv_error_name(SKV_ErrLocalEpochExhausted), i,
                    (unsigned long long)r->node_id, (unsigned)r->key_id);
        return skv_error_name(SKV_ErrLocalEpochExhausted);
    }
    return NULL;
}

/* The rules against the slot's current holder. Sets *same when the slot
 * already holds this node at exactly this epoch: a retried registration
 * (its first attempt's outcome was unknown), accepted with nothing to
 * write — the registry guards rollbacks, and an equal epoch is none. */
static const char *slot_check(const struct skv_writer_reg *r, size_t i,
                              const struct slot *s, int *same, struct skv_err *err)
{
    *same = 0;
    if (!s->held)
        return NULL;
    if (s->node_id != r->node_id) {
        skv_err_set(err, SKV_ERR_INVALID,
                    "%s: entry %zu: node %llu and registered node %llu share "
                    "node_id16 0x%04x under key_id %u",
                    skv_error_name(SKV_ErrNodeIDCollision), i, (unsigned long long)r->node_id,
                    (unsigned long long)s->node_id,
                    (unsigned)skv_node_id16(r->node_id),
                    (unsigned)r->key_id);
        return skv_error_name(SKV_ErrNodeIDCollision);
    }
    if (r->local_epoch == s->epoch) {
        *same = 1;
        return NULL;
    }
    if (r->local_epoch < s->epoch) {
        skv_err_set(err, SKV_ERR_INVALID,
                    "%s: entry %zu: node %llu key_id %u local_epoch %u is below "
                    "the registered %u", skv_error_name(SKV_ErrLocalEpochRollback), i,
                    (unsigned long long)r->node_id, (unsigned)r->key_id,
                    (unsigned)r->local_epoch, (unsigned)s->epoch);
        return skv_error_name(SKV_ErrLocalEpochRollback);
    }
    return NULL;
}

/* Fill *s for `key`: a staged record wins over the store. */
static int slot_find(const struct skv_storage_ops *st, void *db,
                     const struct skv_writers_stage *out,
                     const struct skv_writer_reg *r, uint16_t nid16,
                     const uint8_t key[SKV_WRITERS_KEY_LEN], struct slot *s,
                     struct skv_err *err)
{
    size_t j;
    int rc;
    memset(s, 0, sizeof *s);
    s->staged = SIZE_MAX;
    for (j = 0; j < out->n_ops; j++)
        if (memcmp(out->recs[j].key, key, SKV_WRITERS_KEY_LEN) == 0) {
            s->held = 1;
            s->staged = j;
            s->node_id = skv_get_be64(out->recs[j].val);
            s->epoch = skv_get_be32(out->recs[j].val + 8);
            return SKV_OK;
        }
    rc = skv_writers_get(st, db, r->key_id, nid16, &s->node_id, &s->epoch, err);
    if (rc == SKV_ERR_NOTFOUND)
        return SKV_OK;
    s->held = rc == SKV_OK;
    return rc;
}

/* Stage one accepted registration (new record, or raise a staged one). */
static void stage_put(struct skv_writers_stage *out, const struct slot *s,
                      const struct skv_writer_reg *r,
                      const uint8_t key[SKV_WRITERS_KEY_LEN])
{
    size_t j = s->staged;
    if (j == SIZE_MAX) {
        j = out->n_ops++;
        memcpy(out->recs[j].key, key, SKV_WRITERS_KEY_LEN);
        out->ops[j].type = SKV_BATCH_PUT;
        out->ops[j].reserved = 0;
        out->ops[j].key = out->recs[j].key;
        out->ops[j].key_len = SKV_WRITERS_KEY_LEN;
        out->ops[j].val = out->recs[j].val;
        out->ops[j].val_len = SKV_WRITERS_VAL_LEN;
    }
    skv_put_be64(out->recs[j].val, r->node_id);
    skv_put_be32(out->recs[j].val + 8, r->local_epoch);
}

void skv_writers_stage_free(struct skv_writers_stage *s)
{
    if (!s)
        return;
    free(s->ops);
    free(s->recs);
    memset(s, 0, sizeof *s);
}

/* One registration: check it, then stage it. */
static int check_one(const struct skv_storage_ops *st, void *db,
                     const struct skv_writer_reg *r, size_t i,
                     struct skv_writers_stage *out, const char **reject,
                     struct skv_err *err)
{
    uint16_t nid16 = skv_node_id16(r->node_id);
    uint8_t key[SKV_WRITERS_KEY_LEN];
    struct slot s;
    int rc, same;
    if ((*reject = fields_check(r, i, err)))
        return SKV_ERR_INVALID;
    skv_writers_key(r->key_id, nid16, key);
    if ((rc = slot_find(st, db, out, r, nid16, key, &s, err)) != SKV_OK)
        return rc;
    if ((*reject = slot_check(r, i, &s, &same, err)))
        return SKV_ERR_INVALID;
    if (!same)
        stage_put(out, &s, r, key);
    return SKV_OK;
}

int skv_writers_check_and_stage(const struct skv_storage_ops *st, void *db,
                                const struct skv_writer_reg *e, size_t n,
                                struct skv_writers_stage *out,
                                const char **reject, struct skv_err *err)
{
    size_t i;
    int rc = SKV_OK;
    memset(out, 0, sizeof *out);
    *reject = NULL;
    if (n == 0 || n > SKV_WRITERS_MAX_BATCH) {
        *reject = skv_error_name(SKV_ErrInvalidRegistration);
        return skv_err_set(err, SKV_ERR_INVALID,
                           "%s: %zu entries (want 1..%u)",
                           skv_error_name(SKV_ErrInvalidRegistration), n,
                           SKV_WRITERS_MAX_BATCH);
    }
    out->ops = calloc(n, sizeof *out->ops);
    out->recs = calloc(n, sizeof *out->recs);
    if (!out->ops || !out->recs)
        rc = skv_err_set(err, SKV_ERR_NOMEM, "writer registry: out of memory");
    for (i = 0; rc == SKV_OK && i < n; i++)
        rc = check_one(st, db, &e[i], i, out, reject, err);
    if (rc != SKV_OK)
        skv_writers_stage_free(out);
    return rc;
}
