/* SPDX-License-Identifier: MIT */
/*
 * fsm_enc.c — the encryption side of FSM apply: writer registrations
 * (0x03), the bootstrap (0x04), the Phase-1 / Phase-2 flags, DEK
 * rotation, retire and seal-key-names (0x05), the storage envelope of values, and the Phase-2 unwrap
 * of entries above the cutover. The sidecar is stored durably before the
 * FSM batch that advances the applied index past the entry (fsm.c commits
 * that batch).
 * Every failure that is not a deterministic refusal halts the node.
 */
#include "fsm/fsm.h"
#include "util/bytes.h"
#include "cmd/cmd_decode.h"
#include "crypto/envelope.h"
#include "cmd/writers.h"
#include "util/errors.h"

#include <stdlib.h>
#include <string.h>

#define ULL(x) ((unsigned long long)(x))

static int need_keystore(struct skv_fsm *f, uint64_t index, const char *what)
{
    if (f->node->enc.ks)
        return 0;
    skv_node_halt(f->node, "%s: entry %llu is %s but encryption is not enabled on this node "
                  "(encryption.enabled, kek_file)", skv_error_name(SKV_ErrEncryptionDisabled),
                  ULL(index), what);
    return RAFT_INVALID;
}

const char *skv_fsm_enc_kind(const uint8_t *p, size_t len)
{
    if (len == 0)
        return "none";
    switch (p[0]) {
    case SKV_CMD_WRITER_REG: return "registration";
    case SKV_CMD_ENC_BOOTSTRAP: return "bootstrap";
    case SKV_CMD_ENC_ROTATION:
        if (len > 1 && p[1] == SKV_ROT_ROTATE_DEK)
            return "rotate-dek";
        if (len > 1 && p[1] == SKV_ROT_RETIRE)
            return "retire";
        if (len > 1 && p[1] == SKV_ROT_SEAL_NAMES)
            return "seal-names";
        return len > 1 && p[1] == SKV_ROT_ENABLE_RAFT ? "raft-flag" : "storage-flag";
    default: return "none";
    }
}

static int store_sidecar(struct skv_fsm *f, uint64_t index, struct skv_sidecar *next,
                         const char *kind)
{
    struct skv_err e = {0, ""};
    int rc;
    /* the KV entries applied before this one reach the store first: a
     * crash after the sidecar must not replay them under its new state
     * (a new storage key, the storage flag) */
    if ((rc = skv_fsm_flush(f)) != 0)
        return rc;
    next->raft_applied_index = index;
    skv_enc_crash_point(kind, "before-sidecar");
    if (skv_enc_commit_sidecar(&f->node->enc, next, &e) != SKV_OK) {
        skv_node_halt(f->node, "sidecar: cannot record entry %llu durably: %s", ULL(index), e.msg);
        return RAFT_IOERR;
    }
    skv_enc_crash_point(kind, "after-sidecar");
    return 0;
}

/* Check registrations and stage their registry puts into the batch. */
static int stage_regs(struct skv_fsm *f, uint64_t index, const struct skv_writer_reg *r,
                      size_t n, struct skv_fsm_batch *b, const char **reject)
{
    struct skv_node *nd = f->node;
    struct skv_writers_stage st = {NULL, 0, NULL};
    struct skv_err e = {0, ""};
    size_t i;
    int rc = skv_writers_check_and_stage(nd->st, nd->db, r, n, &st, reject, &e);
    if (rc != SKV_OK) {
        if (*reject) {
            skv_node_log(nd, SKV_LOG_WARN, "entry %llu: registration refused: %s",
                         ULL(index), e.msg);
            return 0;
        }
        skv_node_halt(nd, "writer registry at entry %llu: %s", ULL(index), e.msg);
        return RAFT_IOERR;
    }
    if (st.n_ops < n)
        skv_node_log(nd, SKV_LOG_INFO, "entry %llu: %zu of %zu registrations need no write "
                     "(already registered at that epoch: a retried registration)",
                     ULL(index), n - st.n_ops, n);
    for (i = 0; i < st.n_ops; i++)
        if (skv_fsm_batch_put(b, st.ops[i].key, st.ops[i].key_len, st.ops[i].val,
                              st.ops[i].val_len)) {
            skv_writers_stage_free(&st);
            return RAFT_NOMEM;
        }
    skv_writers_stage_free(&st);
    return 0;
}

/* This process's epoch for a key: the one it registers and seals under
 * (0 when the key is not in its sidecar). */
static uint32_t own_epoch(const struct skv_fsm *f, uint32_t key_id)
{
    const struct skv_sidecar_key *k = skv_sidecar_find(&f->node->enc.sc, key_id);
    return k ? k->local_epoch : 0;
}

/* A refused registration of this node halts it only when it concerns
 * this process: the refused epoch is at or above the one this process
 * uses (an older epoch is a stale entry of an earlier process, e.g. one
 * replayed after a restart, and says nothing about this one). The
 * refusal itself is the same on every replica; this is only our own
 * reaction to it. */
static int own_refusal(struct skv_fsm *f, uint64_t index, const struct skv_writer_reg *r,
                       size_t n, const char *reject)
{
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t own;
        if (r[i].node_id != f->node->conf->node_id)
            continue;
        own = own_epoch(f, r[i].key_id);
        if (own != 0 && r[i].local_epoch < own) {
            skv_node_log(f->node, SKV_LOG_WARN, "entry %llu: a registration of an earlier "
                         "process (key %u, epoch %u; this process uses %u) was refused: "
                         "nothing to do", ULL(index), (unsigned)r[i].key_id,
                         (unsigned)r[i].local_epoch, (unsigned)own);
            continue;
        }
        skv_node_halt(f->node, "%s: this node's registration for key %u at epoch %u "
                      "was refused at entry %llu: it must not encrypt under that key",
                      reject, (unsigned)r[i].key_id, (unsigned)r[i].local_epoch, ULL(index));
        return RAFT_INVALID;
    }
    return 0;
}

static int apply_reg(struct skv_fsm *f, uint64_t index, const struct skv_writer_reg *r,
                     size_t n, struct skv_fsm_batch *b, const char **reject)
{
    struct skv_sidecar next;
    int rc;
    if ((rc = need_keystore(f, index, "a writer registration")) == 0 &&
        (rc = stage_regs(f, index, r, n, b, reject)) == 0 && *reject) {
        rc = own_refusal(f, index, r, n, *reject);
    } else if (rc == 0 && index > f->node->enc.sc.raft_applied_index) {
        next = f->node->enc.sc;
        rc = store_sidecar(f, index, &next, "registration");
    }
    return rc;
}

void skv_fsm_enc_key_wrapping(struct skv_node *n, struct skv_sidecar_key *k)
{
    const struct skv_dek *d = skv_keystore_get(n->enc.ks, k->key_id);
    if (!d)
        return;
    memcpy(k->wrapped, d->wrapped, SKV_DEK_WRAPPED_LEN);
    k->wrapped_len = SKV_DEK_WRAPPED_LEN;
    snprintf(k->kek_id, sizeof k->kek_id, "%s", d->kek_id);
    snprintf(k->kek_provider, sizeof k->kek_provider, "%s",
             skv_keystore_kek_provider(n->enc.ks, d->kek_id));
}

/* Add a key learned from a bootstrap or rotate-dek entry to `next`, with
 * this node's epoch from the entry's registrations (1 if it has none:
 * a member that joined while the entry was in flight; its start-up
 * registers it). */
static int add_key(struct skv_fsm *f, struct skv_sidecar *next, uint32_t id, int purpose,
                   const char *suite, const uint8_t *wrapped, uint64_t created_ms,
                   const struct skv_writer_reg *regs, size_t n_regs)
{
    struct skv_sidecar_key k;
    struct skv_err e = {0, ""};
    size_t i;
    memset(&k, 0, sizeof k);
    k.key_id = id;
    k.purpose = (uint32_t)purpose;
    snprintf(k.suite, sizeof k.suite, "%s", suite);
    memcpy(k.wrapped, wrapped, SKV_DEK_WRAPPED_LEN);
    k.wrapped_len = SKV_DEK_WRAPPED_LEN;
    skv_fsm_enc_key_wrapping(f->node, &k);
    k.created_ms = created_ms;
    k.local_epoch = 1;
    for (i = 0; i < n_regs; i++)
        if (regs[i].key_id == id && regs[i].node_id == f->node->conf->node_id)
            k.local_epoch = regs[i].local_epoch;
    if (skv_sidecar_add_key(next, &k, &e) != SKV_OK) {
        skv_node_halt(f->node, "sidecar: %s", e.msg);
        return RAFT_INVALID;
    }
    return 0;
}

static int unwrap_boot_keys(struct skv_fsm *f, uint64_t index, const struct skv_enc_bootstrap *bt)
{
    struct skv_enc_err ee;
    memset(&ee, 0, sizeof ee);
    if (skv_keystore_add_wrapped(f->node->enc.ks, bt->storage_id, SKV_PURPOSE_STORAGE, bt->suite,
                                 bt->storage_wrapped, SKV_DEK_WRAPPED_LEN, &ee) == SKV_OK &&
        skv_keystore_add_wrapped(f->node->enc.ks, bt->raft_id, SKV_PURPOSE_RAFT, bt->suite,
                                 bt->raft_wrapped, SKV_DEK_WRAPPED_LEN, &ee) == SKV_OK)
        return 0;
    skv_metrics_decrypt_failure(&f->node->metrics, ee.why);
    skv_node_halt(f->node, "%s: bootstrap entry %llu: %s", skv_enc_errname(ee.why), ULL(index),
                  ee.err.msg);
    return RAFT_INVALID;
}

static int apply_boot(struct skv_fsm *f, uint64_t index, const struct skv_enc_bootstrap *bt,
                      struct skv_fsm_batch *b, const char **reject)
{
    struct skv_enc *enc = &f->node->enc;
    struct skv_sidecar next;
    int rc, replay = index <= enc->sc.raft_applied_index;
    if ((rc = need_keystore(f, index, "the encryption bootstrap")) != 0)
        return rc;
    if (!replay && skv_enc_bootstrapped(enc)) {
        *reject = skv_error_name(SKV_ErrAlreadyBootstrapped);
        return 0;
    }
    if ((rc = stage_regs(f, index, bt->regs, bt->n_regs, b, reject)) != 0 || *reject)
        return rc;
    if ((rc = unwrap_boot_keys(f, index, bt)) != 0 || replay)
        return rc;
    next = enc->sc;
    if ((rc = add_key(f, &next, bt->storage_id, SKV_PURPOSE_STORAGE, bt->suite,
                      bt->storage_wrapped, bt->created_ms, bt->regs, bt->n_regs)) ||
        (rc = add_key(f, &next, bt->raft_id, SKV_PURPOSE_RAFT, bt->suite, bt->raft_wrapped,
                      bt->created_ms, bt->regs, bt->n_regs)))
        return rc;
    next.active_storage = bt->storage_id;
    next.active_raft = bt->raft_id;
    rc = store_sidecar(f, index, &next, "bootstrap");
    if (rc == 0)
        skv_node_log(f->node, SKV_LOG_INFO, "encryption bootstrapped at entry %llu: storage key %u, "
                     "raft key %u (%s)", ULL(index), (unsigned)bt->storage_id,
                     (unsigned)bt->raft_id, bt->suite);
    return rc;
}

/* sub is enable-storage-envelope or enable-raft-envelope (the decoder
 * refuses the rest). */
static int apply_rot(struct skv_fsm *f, uint64_t index, uint8_t sub, const char **reject)
{
    struct skv_enc *enc = &f->node->enc;
    struct skv_sidecar next;
    int rc;
    if ((rc = need_keystore(f, index, "an encryption phase entry")) != 0)
        return rc;
    if (index <= enc->sc.raft_applied_index)
        return 0; /* replay: the sidecar already holds its effect */
    if (!skv_enc_bootstrapped(enc)) {
        *reject = skv_error_name(SKV_ErrEncryptionNotBootstrapped);
        return 0;
    }
    next = enc->sc;
    if (sub == SKV_ROT_ENABLE_STORAGE) {
        if (next.storage_envelope_active) {
            *reject = "AlreadyActive";
            return 0;
        }
        next.storage_envelope_active = 1;
    } else {
        if (next.raft_envelope_cutover_index != 0) {
            *reject = "AlreadyActive";
            return 0;
        }
        next.raft_envelope_cutover_index = index;
    }
    if ((rc = store_sidecar(f, index, &next, sub == SKV_ROT_ENABLE_RAFT ? "raft-flag" : "storage-flag")) != 0)
        return rc;
    if (sub == SKV_ROT_ENABLE_RAFT)
        atomic_store(&enc->wrap, 1); /* every replica: a follower that later leads wraps */
    skv_node_log(f->node, SKV_LOG_INFO, "%s active from entry %llu",
                 sub == SKV_ROT_ENABLE_RAFT ? "raft envelope (cutover)" : "storage envelope",
                 ULL(index));
    return 0;
}

/* Deterministic refusals of a rotate-dek entry (the same on every
 * replica: they read only replicated state), or NULL. */
static const char *rotate_refusal(const struct skv_enc *enc, const struct skv_enc_rotate *r)
{
    if (!skv_enc_bootstrapped(enc))
        return skv_error_name(SKV_ErrEncryptionNotBootstrapped);
    if (skv_sidecar_find(&enc->sc, r->key_id))
        return skv_error_name(SKV_ErrDEKConflict);
    if (skv_sidecar_full(&enc->sc))
        return skv_error_name(SKV_ErrTooManyKeys);
    return NULL;
}

/* rotate-dek (docs/NONCES.md "Rotation"): from this entry on the new key
 * is the purpose's active key on every replica; the sidecar records it
 * durably before the FSM batch moves the applied index. */
static int apply_rotate(struct skv_fsm *f, uint64_t index, const struct skv_enc_rotate *r,
                        struct skv_fsm_batch *b, const char **reject)
{
    struct skv_enc *enc = &f->node->enc;
    struct skv_enc_err ee;
    struct skv_sidecar next;
    uint32_t old;
    int rc, replay = index <= enc->sc.raft_applied_index;
    if ((rc = need_keystore(f, index, "a DEK rotation")) != 0)
        return rc;
    if (!replay && (*reject = rotate_refusal(enc, r)))
        return 0;
    if ((rc = stage_regs(f, index, r->regs, r->n_regs, b, reject)) != 0 || *reject)
        return rc;
    memset(&ee, 0, sizeof ee);
    if (skv_keystore_add_wrapped(enc->ks, r->key_id, r->purpose, r->suite, r->wrapped,
                                 SKV_DEK_WRAPPED_LEN, &ee) != SKV_OK) {
        skv_metrics_decrypt_failure(&f->node->metrics, ee.why);
        skv_node_halt(f->node, "%s: rotate-dek entry %llu: key %u: %s", skv_enc_errname(ee.why),
                      ULL(index), (unsigned)r->key_id, ee.err.msg);
        return RAFT_INVALID;
    }
    if (replay)
        return 0;
    next = enc->sc;
    if ((rc = add_key(f, &next, r->key_id, r->purpose, r->suite, r->wrapped, r->created_ms,
                      r->regs, r->n_regs)) != 0)
        return rc;
    old = r->purpose == SKV_PURPOSE_STORAGE ? next.active_storage : next.active_raft;
    if (r->purpose == SKV_PURPOSE_STORAGE)
        next.active_storage = r->key_id;
    else
        next.active_raft = r->key_id;
    if ((rc = store_sidecar(f, index, &next, "rotate-dek")) != 0)
        return rc;
    skv_node_log(f->node, SKV_LOG_INFO, "%s key rotated at entry %llu: %u -> %u (%s)",
                 skv_purpose_name(r->purpose), ULL(index), (unsigned)old,
                 (unsigned)r->key_id, r->suite);
    return 0;
}

/* Deterministic refusals of a retire entry (replicated state only). */
static const char *retire_refusal(const struct skv_enc *enc, uint32_t id)
{
    const struct skv_sidecar_key *k = skv_sidecar_find(&enc->sc, id);
    if (!skv_enc_bootstrapped(enc))
        return skv_error_name(SKV_ErrEncryptionNotBootstrapped);
    if (!k)
        return skv_error_name(SKV_ErrDEKNotFound);
    if (id == enc->sc.active_storage || id == enc->sc.active_raft ||
        (skv_enc_names_sealed(enc) && id == enc->sc.names_key_id))
        return skv_error_name(SKV_ErrKeyActive);
    if (k->retired_index != 0)
        return skv_error_name(SKV_ErrKeyAlreadyRetired);
    return NULL;
}

/* retire (docs/NONCES.md "Retire"): key `id` is marked retired at this
 * entry on every replica, durably before the FSM batch moves the applied
 * index; the node's local retire job (admin/enc_retire.c) then removes
 * every reference to it and drops its DEK. */
static int apply_retire(struct skv_fsm *f, uint64_t index, uint32_t id, const char **reject)
{
    struct skv_enc *enc = &f->node->enc;
    struct skv_sidecar next;
    size_t i;
    int rc;
    if ((rc = need_keystore(f, index, "a key retire")) != 0)
        return rc;
    if (index <= enc->sc.raft_applied_index)
        return 0; /* replay: the sidecar already holds its effect */
    if ((*reject = retire_refusal(enc, id)))
        return 0;
    next = enc->sc;
    for (i = 0; i < next.n_keys; i++)
        if (next.keys[i].key_id == id)
            next.keys[i].retired_index = index;
    if ((rc = store_sidecar(f, index, &next, "retire")) != 0)
        return rc;
    skv_node_log(f->node, SKV_LOG_INFO, "key %u retired at entry %llu: this node's retire "
                 "job re-seals, compacts and then drops it", (unsigned)id, ULL(index));
    return 0;
}

/* Deterministic refusals of a seal-key-names entry (replicated state). */
static const char *names_refusal(const struct skv_enc *enc, uint32_t id)
{
    const struct skv_sidecar_key *k = skv_sidecar_find(&enc->sc, id);
    if (!skv_enc_bootstrapped(enc))
        return skv_error_name(SKV_ErrEncryptionNotBootstrapped);
    if (skv_enc_names_sealed(enc))
        return "AlreadyActive";
    if (!enc->sc.storage_envelope_active || enc->sc.raft_envelope_cutover_index == 0)
        return skv_error_name(SKV_ErrEncryptionPhaseInactive);
    if (!k || k->purpose != SKV_PURPOSE_STORAGE || k->dropped || k->retired_index != 0)
        return skv_error_name(SKV_ErrDEKNotFound);
    return NULL;
}

/* seal-key-names (docs/SECURITY.md "Key names"): from this entry on, on
 * every replica, user keys are stored under the keyed hash of their name
 * (fsm_names.h); the sidecar records it durably before the FSM batch
 * moves the applied index; this node's names job (admin/names_job.c)
 * then moves the records written before. */
static int apply_seal_names(struct skv_fsm *f, uint64_t index, uint32_t id, const char **reject)
{
    struct skv_enc *enc = &f->node->enc;
    struct skv_enc_err ee;
    struct skv_sidecar next;
    int rc;
    if ((rc = need_keystore(f, index, "seal-key-names")) != 0)
        return rc;
    if (index <= enc->sc.raft_applied_index)
        return 0; /* replay: the sidecar already holds its effect */
    if ((*reject = names_refusal(enc, id)))
        return 0;
    next = enc->sc;
    next.names_index = index;
    next.names_key_id = id;
    if ((rc = store_sidecar(f, index, &next, "seal-names")) != 0)
        return rc;
    memset(&ee, 0, sizeof ee);
    if (!skv_enc_names_key(enc, &ee)) {
        skv_node_halt(f->node, "%s: seal-key-names entry %llu: the name key of storage key "
                      "%u: %s", skv_enc_errname(ee.why), ULL(index), (unsigned)id, ee.err.msg);
        return RAFT_INVALID;
    }
    f->names_old = -1; /* the records written before: the names job moves them */
    skv_node_log(f->node, SKV_LOG_INFO, "key names sealed from entry %llu (name key from "
                 "storage key %u); this node's names job moves the older records",
                 ULL(index), (unsigned)id);
    return 0;
}

int skv_fsm_apply_enc(struct skv_fsm *f, uint64_t index, const struct skv_cmd *c,
                      struct skv_fsm_batch *b, const char **reject)
{
    switch (c->tag) {
    case SKV_CMD_WRITER_REG: return apply_reg(f, index, c->regs, c->n_regs, b, reject);
    case SKV_CMD_ENC_BOOTSTRAP: return apply_boot(f, index, &c->boot, b, reject);
    default:
        if (c->rot_sub == SKV_ROT_ROTATE_DEK)
            return apply_rotate(f, index, &c->rot, b, reject);
        if (c->rot_sub == SKV_ROT_RETIRE)
            return apply_retire(f, index, c->retire_id, reject);
        if (c->rot_sub == SKV_ROT_SEAL_NAMES)
            return apply_seal_names(f, index, c->retire_id, reject);
        return apply_rot(f, index, c->rot_sub, reject);
    }
}

/* ---- values --------------------------------------------------------- */

int skv_fsm_seal_value(struct skv_fsm *f, uint64_t index, const uint8_t *skey, size_t skl,
                       const uint8_t *val, size_t vl, uint8_t **rec, size_t *rec_len)
{
    struct skv_enc *enc = &f->node->enc;
    uint8_t nonce[SKV_NONCE_LEN];
    struct skv_enc_err ee;
    if (!enc->sc.storage_envelope_active) {
        if (!(*rec = malloc(vl + 1)))
            return RAFT_NOMEM;
        (*rec)[0] = SKV_VAL_CLEAR;
        if (vl)
            memcpy(*rec + 1, val, vl);
        *rec_len = vl + 1;
        return 0;
    }
    memset(&ee, 0, sizeof ee);
    if (!enc->ks) {
        skv_node_halt(f->node, "%s: entry %llu needs the storage envelope",
                      skv_error_name(SKV_ErrEncryptionDisabled), ULL(index));
        return RAFT_INVALID;
    }
    if (!(*rec = malloc(1 + vl + SKV_ENVELOPE_OVERHEAD)))
        return RAFT_NOMEM;
    (*rec)[0] = SKV_VAL_SEALED;
    if (skv_nonce_next(&enc->gen_storage, nonce, &ee) != SKV_OK ||
        skv_envelope_seal(enc->ks, SKV_PURPOSE_STORAGE, enc->gen_storage_id, nonce, skey, skl,
                          val, vl, *rec + 1, &ee) != SKV_OK) {
        free(*rec);
        *rec = NULL;
        skv_node_halt(f->node, "%s: cannot seal the value of entry %llu: %s",
                      skv_enc_errname(ee.why), ULL(index), ee.err.msg);
        return RAFT_INVALID;
    }
    *rec_len = 1 + vl + SKV_ENVELOPE_OVERHEAD;
    skv_metrics_dek(&f->node->metrics, f->node->metrics.sealed, enc->gen_storage_id);
    return 0;
}

int skv_fsm_open_value(struct skv_fsm *f, const uint8_t *skey, size_t skl, const uint8_t *rec,
                       size_t rl, uint8_t **val, size_t *vl, struct skv_err *err)
{
    struct skv_enc *enc = &f->node->enc;
    struct skv_enc_err ee;
    if (rl < 1 || (rec[0] & ~SKV_VAL_STATE_MASK) != 0 || (rec[0] & SKV_VAL_STATE_MASK) > SKV_VAL_SEALED)
        return skv_err_set(err, SKV_ERR_CORRUPT, "stored value record has an unknown header");
    if ((rec[0] & SKV_VAL_STATE_MASK) == SKV_VAL_CLEAR) {
        if (!(*val = malloc(rl)))
            return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
        memcpy(*val, rec + 1, rl - 1);
        *vl = rl - 1;
        return SKV_OK;
    }
    if (!enc->ks)
        return skv_err_set(err, SKV_ERR_UNSUPPORTED, "value is sealed but encryption is disabled");
    memset(&ee, 0, sizeof ee);
    if (skv_envelope_open(enc->ks, SKV_PURPOSE_STORAGE, skey, skl, rec + 1, rl - 1, val, vl,
                          &ee) != SKV_OK) {
        skv_metrics_decrypt_failure(&f->node->metrics, ee.why);
        if (ee.err.code == SKV_ERR_INTEGRITY)
            skv_node_halt(f->node, "%s: a stored value failed authentication: %s",
                          skv_enc_errname(ee.why), ee.err.msg);
        return skv_err_set(err, ee.err.code, "%s: %s", skv_enc_errname(ee.why), ee.err.msg);
    }
    return SKV_OK;
}

int skv_fsm_unwrap(struct skv_fsm *f, uint64_t index, const uint8_t *p, size_t len,
                   uint8_t **pt, size_t *pt_len)
{
    struct skv_enc *enc = &f->node->enc;
    struct skv_envelope_hdr h;
    struct skv_enc_err ee;
    memset(&ee, 0, sizeof ee);
    memset(&h, 0, sizeof h);
    if (!enc->ks) {
        skv_node_halt(f->node, "%s: entry %llu is above the cutover",
                      skv_error_name(SKV_ErrEncryptionDisabled), ULL(index));
        return RAFT_INVALID;
    }
    if (skv_envelope_open(enc->ks, SKV_PURPOSE_RAFT, NULL, 0, p, len, pt, pt_len, &ee) == SKV_OK)
        return 0;
    skv_metrics_decrypt_failure(&f->node->metrics, ee.why);
    skv_envelope_parse(p, len, &h, NULL);
    skv_node_halt(f->node, "%s: entry %llu (above cutover %llu) does not unwrap: key_id %u: %s",
                  skv_enc_errname(ee.why), ULL(index), ULL(skv_enc_cutover(enc)),
                  (unsigned)h.key_id, ee.err.msg);
    return RAFT_INVALID;
}
