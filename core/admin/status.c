/* SPDX-License-Identifier: MIT */
/*
 * status.c — the "status" op: node id, state, leader, term, indexes,
 * members with roles, the encryption block (with every key's id,
 * purpose, age and use counts) and the transport block.
 */
#include "admin/admin_ops.h"
#include "admin/enc_jobs.h"
#include "node/reload.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

json_t *skv_members_json(struct skv_node *n);

/* What the running transport guarantees (reload.c). */
static json_t *transport_json(struct skv_node *n)
{
    uint32_t sec = skv_transport_security(n);
    return json_pack("{s:b,s:b}", "authenticated", (sec & SKV_TRANSPORT_SEC_AUTHENTICATED) != 0,
                     "encrypted", (sec & SKV_TRANSPORT_SEC_ENCRYPTED) != 0);
}

/* Operations this process did under key_id (metrics table t). */
static json_int_t dek_count(const struct skv_metrics_dek *t, uint32_t key_id)
{
    size_t i;
    for (i = 0; i < SKV_METRICS_MAX_DEKS; i++)
        if (t[i].key_id == key_id)
            return (json_int_t)t[i].count;
    return 0;
}

/* "active", "in-use" (an older key still opening old data), "retired"
 * (its retire job has not dropped it yet) or "dropped" (a tombstone). */
static const char *key_state(const struct skv_sidecar *sc, const struct skv_sidecar_key *k)
{
    if (k->dropped)
        return "dropped";
    if (k->retired_index)
        return "retired";
    return k->key_id == sc->active_storage || k->key_id == sc->active_raft ? "active" : "in-use";
}

/* Every key of the sidecar: id, purpose, active, created (unix ms) and
 * age, this node's local epoch, and this process's use counts (values
 * sealed under a storage key, entries wrapped under a raft key). */
static json_t *keys_json(struct skv_node *n)
{
    const struct skv_sidecar *sc = &n->enc.sc;
    uint64_t now = (uint64_t)time(NULL) * 1000u;
    json_t *a = json_array();
    size_t i;
    for (i = 0; a && i < sc->n_keys; i++) {
        const struct skv_sidecar_key *k = &sc->keys[i];
        int storage = k->purpose == SKV_PURPOSE_STORAGE;
        json_array_append_new(a, json_pack(
            "{s:I,s:s,s:b,s:I,s:I,s:I,s:I}", "key_id", (json_int_t)k->key_id,
            "purpose", skv_purpose_name((int)k->purpose), "active",
            k->key_id == (storage ? sc->active_storage : sc->active_raft),
            "created_ms", (json_int_t)k->created_ms, "age_s",
            (json_int_t)(now > k->created_ms ? (now - k->created_ms) / 1000u : 0),
            "local_epoch", (json_int_t)k->local_epoch, storage ? "values_sealed" : "entries_wrapped",
            dek_count(storage ? n->metrics.sealed : n->metrics.wrapped, k->key_id)));
        if (k->kek_id[0])
            json_object_set_new(json_array_get(a, i), "kek_id", json_string(k->kek_id));
        if (k->kek_id[0])   /* issue 13 item 5: where that KEK is */
            json_object_set_new(json_array_get(a, i), "kek_provider",
                                json_string(k->kek_provider[0] ? k->kek_provider : "file"));
        json_object_set_new(json_array_get(a, i), "state", json_string(key_state(sc, k)));
        if (k->retired_index)
            json_object_set_new(json_array_get(a, i), "retired_index",
                                json_integer((json_int_t)k->retired_index));
    }
    return a;
}

/* "pkcs11" when the current KEK is in an HSM, else "file". */
static const char *current_provider(struct skv_node *n)
{
    const char *p;
    if (!n->enc.ks)
        return "none";
    p = skv_keystore_kek_provider(n->enc.ks, skv_keystore_kek_id(n->enc.ks));
    return p[0] ? p : "file";
}

/* KEK rotation: the KEK new wraps use, every KEK this node holds, and the
 * distinct KEK ids its sidecar's DEKs are wrapped under (more than one:
 * a rewrap is unfinished; run rewrap-kek again). */
static json_t *kek_json(struct skv_node *n)
{
    const struct skv_sidecar *sc = &n->enc.sc;
    json_t *held = json_array(), *used = json_array(), *o;
    size_t i, j;
    for (i = 0; held && i < skv_keystore_kek_count(n->enc.ks); i++)
        json_array_append_new(held, json_string(skv_keystore_kek_id_at(n->enc.ks, i)));
    for (i = 0; used && i < sc->n_keys; i++) {
        if (sc->keys[i].dropped)
            continue;   /* a tombstone is wrapped under no KEK */
        for (j = 0; j < i && (sc->keys[j].dropped ||
                              strcmp(sc->keys[j].kek_id, sc->keys[i].kek_id) != 0); j++)
            ;
        if (j == i)
            json_array_append_new(used, sc->keys[i].kek_id[0] ? json_string(sc->keys[i].kek_id)
                                                              : json_null());
    }
    o = json_pack("{s:o,s:o,s:o,s:s}", "current_id", n->enc.ks ? json_string(
                  skv_keystore_kek_id(n->enc.ks)) : json_null(), "held_ids",
                  held ? held : json_null(), "ids_in_use", used ? used : json_null(),
                  "current_provider", current_provider(n));
    return o ? o : json_null();
}

static json_t *encryption_json(struct skv_node *n)
{
    const struct skv_enc *enc = &n->enc;
    const struct skv_sidecar_key *k = skv_sidecar_find(&enc->sc, enc->sc.active_raft);
    json_t *suite = k ? json_string(k->suite) : enc->suite[0] ? json_string(enc->suite) : json_null();
    return json_pack("{s:b,s:b,s:b,s:I,s:b,s:{s:I,s:I},s:o,s:s,s:I,s:I,s:o,s:o,s:o,s:o}",
                     "enabled", enc->enabled, "bootstrapped", skv_enc_bootstrapped(enc),
                     "storage_envelope_active", enc->sc.storage_envelope_active,
                     "raft_envelope_cutover_index", (json_int_t)skv_enc_cutover(enc),
                     "wrap_on_propose", atomic_load(&((struct skv_enc *)enc)->wrap) != 0,
                     "active_key_ids", "storage", (json_int_t)enc->sc.active_storage,
                     "raft", (json_int_t)enc->sc.active_raft, "suite", suite,
                     "cutover_step", skv_cut_step_name(n->intake.cut.step),
                     "last_intake_pause_ms", (json_int_t)n->intake.cut.last_pause_ms,
                     "cutovers_run", (json_int_t)n->intake.cut.runs, "keys", keys_json(n),
                     "kek", kek_json(n), "retire_job", skv_enc_retire_json(n),
                     "key_names", skv_enc_names_json(n));
}

/* An unsigned value: a JSON integer up to INT64_MAX, a (non-negative)
 * real above it, never a negative number (a term persisted before the
 * wire bounds could be 2^64-1). */
static json_t *u64_json(uint64_t v)
{
    return v <= (uint64_t)INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
}

void skv_op_status(struct skv_op *op)
{
    struct skv_node *n = op->node;
    raft_id lid = 0;
    const char *laddr = NULL;
    json_t *o;
    raft_leader(&n->raft, &lid, &laddr);
    o = json_pack("{s:I,s:s,s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "id",
                  (json_int_t)n->conf->node_id, "state", skv_node_state_name(n),
                  "leader_id", (json_int_t)lid, "term", (json_int_t)0,
                  "last_index", (json_int_t)raft_last_index(&n->raft), "applied_index",
                  (json_int_t)raft_last_applied(&n->raft), "commit_index",
                  (json_int_t)n->raft.commit_index, "members", skv_members_json(n),
                  "encryption", encryption_json(n));
    if (o)
        json_object_set_new(o, "transport", transport_json(n));
    if (o)
        json_object_set_new(o, "term", u64_json(n->raft.current_term));
    if (o)   /* the local snapshot's index: the log holds what follows it */
        json_object_set_new(o, "snapshot_index", u64_json(n->raft.log.snapshot.last_index));

    if (o && n->run_state == SKV_RUN_HALTED)
        json_object_set_new(o, "halt_reason", json_string(n->halt_reason));
    skv_op_reply_object(op, o);
}
