/* SPDX-License-Identifier: MIT */
/*
 * fsm_snap_enc.c — dump and adopt the encryption record of an FSM
 * snapshot (fsm_snap_enc.h).
 */
#include "fsm/fsm_snap_enc.h"
#include "util/bytes.h"
#include "util/errors.h"
#include "util/keys.h"
#include "cmd/writers.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t enc_key[4] = {SKV_PFX_ENC_SNAP, 'e', 'n', 'c'};

int skv_fsm_snap_enc_dump(struct skv_fsm *f, struct skv_buf *b)
{
    struct skv_enc *enc = &f->node->enc;
    struct skv_err e = {0, ""};
    struct skv_sidecar *copy;
    char *json = NULL;
    size_t jl = 0;
    uint8_t *v;
    int rc;
    if (enc->sc.n_keys == 0)
        return 0;
    /* the KEK ids name this node's KEKs: not for other nodes (sidecar.h) */
    if (!(copy = malloc(sizeof *copy)))
        return -1;
    *copy = enc->sc;
    skv_sidecar_forget_kek_ids(copy);
    rc = skv_sidecar_to_json(copy, &json, &jl, &e);
    free(copy);
    if (rc != SKV_OK)
        return -1;
    if (!(v = malloc(8 + jl))) {
        free(json);
        return -1;
    }
    skv_put_be64(v, enc->fsm_encidx);
    memcpy(v + 8, json, jl);
    rc = skv_sbuf_record(b, enc_key, sizeof enc_key, v, 8 + jl);
    free(v);
    free(json);
    return rc;
}

/* This node's registered epoch for key_id among the snapshot's records. */
static uint32_t self_epoch(struct skv_fsm *f, const uint8_t *p, size_t len, size_t off,
                           uint32_t key_id)
{
    uint8_t want[SKV_WRITERS_KEY_LEN];
    struct skv_snap_rec r;
    size_t pos = off;
    skv_writers_key(key_id, skv_node_id16(f->node->conf->node_id), want);
    while (skv_snap_next(p, len, &pos, &r) == 1)
        if (r.key_len == sizeof want && memcmp(r.key, want, sizeof want) == 0 &&
            r.val_len == SKV_WRITERS_VAL_LEN && skv_get_be64(r.val) == f->node->conf->node_id)
            return skv_get_be32(r.val + 8);
    return 1;
}

/* A key the snapshot carries that this node does not hold (or holds
 * only as a retired key's tombstone: a sender that had not dropped it
 * yet, docs/NONCES.md "Retire"): its DEK into the keystore. */
static int adopt_dek(struct skv_fsm *f, struct skv_sidecar_key *k)
{
    struct skv_enc_err ee;
    memset(&ee, 0, sizeof ee);
    if (skv_keystore_add_wrapped(f->node->enc.ks, k->key_id, (int)k->purpose, k->suite,
                                 k->wrapped, k->wrapped_len, &ee) != SKV_OK) {
        skv_node_halt(f->node, "%s: snapshot key %u: %s", skv_enc_errname(ee.why),
                      (unsigned)k->key_id, ee.err.msg);
        return RAFT_INVALID;
    }
    skv_fsm_enc_key_wrapping(f->node, k);
    return 0;
}

/* A key both know: the retire state moves forward only (retired, then
 * dropped; a tombstone here and the DEK in the snapshot: the snapshot may
 * hold values under it, so the DEK comes back, still retired, and the
 * retire job runs again). */
static int merge_known(struct skv_fsm *f, struct skv_sidecar_key *mine,
                       const struct skv_sidecar_key *snap)
{
    struct skv_sidecar_key k;
    int rc;
    if (mine->retired_index == 0 && snap->retired_index != 0)
        mine->retired_index = snap->retired_index;
    if (!mine->dropped || snap->dropped)
        return 0;
    k = *snap;
    if ((rc = adopt_dek(f, &k)) != 0)
        return rc;
    memcpy(mine->wrapped, k.wrapped, sizeof mine->wrapped);
    mine->wrapped_len = k.wrapped_len;
    memcpy(mine->kek_id, k.kek_id, sizeof mine->kek_id);
    memcpy(mine->kek_provider, k.kek_provider, sizeof mine->kek_provider);
    mine->dropped = 0;
    skv_node_log(f->node, SKV_LOG_INFO, "the snapshot brings back retired key %u's DEK (its "
                 "sender has not dropped it yet): this node's retire job runs again",
                 (unsigned)mine->key_id);
    return 0;
}

static int merge_keys(struct skv_fsm *f, struct skv_sidecar *next, const struct skv_sidecar *snap,
                      const uint8_t *p, size_t len, size_t off)
{
    struct skv_node *n = f->node;
    size_t i, j;
    int rc;
    for (i = 0; i < snap->n_keys; i++) {
        struct skv_sidecar_key k = snap->keys[i];
        struct skv_err e = {0, ""};
        for (j = 0; j < next->n_keys && next->keys[j].key_id != k.key_id; j++)
            ;
        if (j < next->n_keys) { /* known here: keep this node's own epoch */
            if ((rc = merge_known(f, &next->keys[j], &k)) != 0)
                return rc;
            continue;
        }
        if (!k.dropped && (rc = adopt_dek(f, &k)) != 0)
            return rc;
        k.local_epoch = self_epoch(f, p, len, off, k.key_id);
        if (skv_sidecar_add_key(next, &k, &e) != SKV_OK) {
            skv_node_halt(n, "sidecar: %s", e.msg);
            return RAFT_INVALID;
        }
    }
    return 0;
}

int skv_fsm_snap_enc_adopt(struct skv_fsm *f, const struct skv_snap_hdr *h, const uint8_t *p,
                           size_t len, const struct skv_snap_rec *rec, uint64_t *encidx)
{
    struct skv_node *n = f->node;
    struct skv_enc *enc = &n->enc;
    struct skv_sidecar snap, next;
    struct skv_err e = {0, ""};
    uint64_t cut = enc->sc.raft_envelope_cutover_index;
    int rc;
    if (rec->val_len < 8 || skv_sidecar_from_json(rec->val + 8, rec->val_len - 8, &snap, &e) != SKV_OK) {
        skv_node_halt(n, "fsm: snapshot at %llu: bad encryption record: %s",
                      (unsigned long long)h->applied, e.msg);
        return RAFT_MALFORMED;
    }
    *encidx = skv_get_be64(rec->val);
    if (!enc->ks) {
        skv_node_halt(n, "%s: the snapshot at %llu carries encryption state",
                      skv_error_name(SKV_ErrEncryptionDisabled), (unsigned long long)h->applied);
        return RAFT_INVALID;
    }
    if (snap.raft_envelope_cutover_index != h->cutover ||
        (cut != 0 && cut != h->cutover)) {
        skv_node_halt(n, "%s: snapshot at %llu has cutover %llu (header %llu), this node %llu",
                      skv_error_name(SKV_ErrEnvelopeCutoverDivergence),
                      (unsigned long long)h->applied,
                      (unsigned long long)snap.raft_envelope_cutover_index,
                      (unsigned long long)h->cutover, (unsigned long long)cut);
        return RAFT_INVALID;
    }
    next = enc->sc;
    if ((rc = merge_keys(f, &next, &snap, p, len, h->body_off)) != 0)
        return rc;
    next.active_storage = snap.active_storage;
    next.active_raft = snap.active_raft;
    next.storage_envelope_active = snap.storage_envelope_active;
    next.raft_envelope_cutover_index = h->cutover;
    if (snap.names_index != 0) { /* sealed key names: one-way, like the phases */
        next.names_index = snap.names_index;
        next.names_key_id = snap.names_key_id;
    }
    if (*encidx > next.raft_applied_index)
        next.raft_applied_index = *encidx;
    if (skv_enc_commit_sidecar(enc, &next, &e) != SKV_OK) {
        skv_node_halt(n, "sidecar: cannot adopt the snapshot's encryption state: %s", e.msg);
        return RAFT_IOERR;
    }
    if (h->cutover != 0)
        atomic_store(&enc->wrap, 1);
    enc->snap_adopts++;
    return 0;
}
