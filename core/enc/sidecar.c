/* SPDX-License-Identifier: MIT */
/*
 * sidecar.c — the typed sidecar: invariants, lookups and the start-time
 * local_epoch bump. No I/O here (sidecar_file.c), no JSON
 * (sidecar_json.c). Field names in messages are the JSON member names.
 */
#include "enc/sidecar.h"
#include "util/errors.h"

#include <string.h>

void skv_sidecar_init(struct skv_sidecar *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->version = SKV_SIDECAR_VERSION;
}

const char *skv_key_purpose_name(uint32_t purpose)
{
    switch (purpose) {
    case SKV_PURPOSE_STORAGE: return "storage";
    case SKV_PURPOSE_RAFT: return "raft";
    default: return NULL;
    }
}

const struct skv_sidecar_key *skv_sidecar_find(const struct skv_sidecar *sc,
                                               uint32_t key_id)
{
    size_t i;
    for (i = 0; i < sc->n_keys && i < SKV_SIDECAR_MAX_ENTRIES; i++)
        if (sc->keys[i].key_id == key_id)
            return &sc->keys[i];
    return NULL;
}

/* Suite names are short identifiers: [A-Za-z0-9._-]+. */
static int suite_ok(const char *s)
{
    size_t i, n = strnlen(s, SKV_SIDECAR_SUITE_MAX);
    if (n == 0 || n == SKV_SIDECAR_SUITE_MAX)
        return 0;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

int skv_sidecar_kek_id_ok(const char *s)
{
    size_t i, n = strnlen(s, SKV_SIDECAR_KEK_ID_LEN + 1);
    if (n == 0)
        return 1;
    if (n != SKV_SIDECAR_KEK_ID_LEN)
        return 0;
    for (i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

void skv_sidecar_forget_kek_ids(struct skv_sidecar *sc)
{
    size_t i;
    for (i = 0; i < sc->n_keys && i < SKV_SIDECAR_MAX_ENTRIES; i++) {
        sc->keys[i].kek_id[0] = '\0';
        sc->keys[i].kek_provider[0] = '\0';
    }
}

/* One key on its own (uniqueness is checked by the caller). */
static int key_check(const struct skv_sidecar_key *k, size_t i,
                     struct skv_err *err)
{
    if (k->key_id == 0)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "keys[%zu].key_id: 0 is reserved (\"none\")", i);
    if (!skv_key_purpose_name(k->purpose))
        return skv_err_set(err, SKV_ERR_INVALID,
                           "keys[%zu].purpose: must be \"storage\" or \"raft\"", i);
    if (!suite_ok(k->suite))
        return skv_err_set(err, SKV_ERR_INVALID,
                           "keys[%zu].suite: must be 1..%d characters of "
                           "[A-Za-z0-9._-]", i, SKV_SIDECAR_SUITE_MAX - 1);
    if (k->dropped != 0 && k->dropped != 1)
        return skv_err_set(err, SKV_ERR_INVALID, "keys[%zu].dropped: must be 0 or 1", i);
    if (k->dropped && (k->wrapped_len != 0 || k->retired_index == 0))
        return skv_err_set(err, SKV_ERR_INVALID, "keys[%zu]: a dropped key has no wrapped "
                           "DEK and a non-zero retired_index", i);
    if (!k->dropped && (k->wrapped_len == 0 || k->wrapped_len > SKV_SIDECAR_WRAPPED_MAX))
        return skv_err_set(err, SKV_ERR_INVALID,
                           "keys[%zu].wrapped: %zu bytes (want 1..%d)", i,
                           k->wrapped_len, SKV_SIDECAR_WRAPPED_MAX);
    if (k->retired_index > INT64_MAX)
        return skv_err_set(err, SKV_ERR_INVALID, "keys[%zu].retired_index: above 2^63-1", i);
    if (k->local_epoch > SKV_LOCAL_EPOCH_MAX)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "%s: keys[%zu].local_epoch %u exceeds 0xFFFF",
                           skv_error_name(SKV_ErrLocalEpochOutOfRange), i,
                           (unsigned)k->local_epoch);
    if (k->created_ms > INT64_MAX)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "keys[%zu].created: above 2^63-1", i);
    if (!skv_sidecar_kek_id_ok(k->kek_id))
        return skv_err_set(err, SKV_ERR_INVALID,
                           "keys[%zu].kek_id: must be %d lowercase hex characters", i,
                           SKV_SIDECAR_KEK_ID_LEN);
    if (k->kek_provider[0] && (strcmp(k->kek_provider, "pkcs11") != 0 || !k->kek_id[0]))
        return skv_err_set(err, SKV_ERR_INVALID,
                           "keys[%zu].kek_provider: must be \"pkcs11\", with a kek_id", i);
    return SKV_OK;
}

/* An active slot is 0 or names a key of that purpose. */
static int active_check(const struct skv_sidecar *sc, uint32_t id,
                        uint32_t purpose, struct skv_err *err)
{
    const char *name = skv_key_purpose_name(purpose);
    const struct skv_sidecar_key *k;
    if (id == 0)
        return SKV_OK;
    if (!(k = skv_sidecar_find(sc, id)))
        return skv_err_set(err, SKV_ERR_INVALID,
                           "active.%s: key_id %u is not in keys", name,
                           (unsigned)id);
    if (k->purpose != purpose)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "active.%s: key_id %u has purpose \"%s\"", name,
                           (unsigned)id, skv_key_purpose_name(k->purpose));
    if (k->retired_index != 0)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "active.%s: key_id %u is retired", name, (unsigned)id);
    return SKV_OK;
}

static int keys_check(const struct skv_sidecar *sc, struct skv_err *err)
{
    size_t i, j;
    int rc;
    if (sc->n_keys > SKV_SIDECAR_MAX_ENTRIES)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "keys: %zu entries (at most %d, tombstones included)",
                           sc->n_keys, SKV_SIDECAR_MAX_ENTRIES);
    if (skv_sidecar_live_keys(sc) > SKV_SIDECAR_MAX_KEYS)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "keys: %zu keys (at most %d)", skv_sidecar_live_keys(sc),
                           SKV_SIDECAR_MAX_KEYS);
    for (i = 0; i < sc->n_keys; i++) {
        if ((rc = key_check(&sc->keys[i], i, err)) != SKV_OK)
            return rc;
        for (j = 0; j < i; j++)
            if (sc->keys[j].key_id == sc->keys[i].key_id)
                return skv_err_set(err, SKV_ERR_INVALID,
                                   "keys[%zu].key_id: %u duplicates keys[%zu]",
                                   i, (unsigned)sc->keys[i].key_id, j);
    }
    return SKV_OK;
}

/* Sealed names (sidecar.h "names"): both fields or neither; the key a
 * live storage key that is not retired; Phase 1 on. */
static int names_check(const struct skv_sidecar *sc, struct skv_err *err)
{
    const struct skv_sidecar_key *k = skv_sidecar_find(sc, sc->names_key_id);
    if (sc->names_index == 0 && sc->names_key_id == 0)
        return SKV_OK;
    if (sc->names_index == 0 || sc->names_index > INT64_MAX)
        return skv_err_set(err, SKV_ERR_INVALID, "names.sealed_index: must be 1..2^63-1");
    if (!k || k->purpose != SKV_PURPOSE_STORAGE || k->dropped || k->retired_index != 0)
        return skv_err_set(err, SKV_ERR_INVALID, "names.key_id: %u is not a live storage key "
                           "that is not retired", (unsigned)sc->names_key_id);
    if (!sc->storage_envelope_active)
        return skv_err_set(err, SKV_ERR_INVALID, "names: sealed without the storage envelope");
    return SKV_OK;
}

int skv_sidecar_validate(const struct skv_sidecar *sc, struct skv_err *err)
{
    int rc;
    if (sc->version != SKV_SIDECAR_VERSION)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "version: %u is not supported (want %d)",
                           (unsigned)sc->version, SKV_SIDECAR_VERSION);
    if (sc->storage_envelope_active != 0 && sc->storage_envelope_active != 1)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "storage_envelope_active: must be 0 or 1");
    if (sc->raft_applied_index > INT64_MAX ||
        sc->raft_envelope_cutover_index > INT64_MAX)
        return skv_err_set(err, SKV_ERR_INVALID, "%s: above 2^63-1",
                           sc->raft_applied_index > INT64_MAX
                               ? "raft_applied_index" : "raft_envelope_cutover_index");
    if ((rc = keys_check(sc, err)) != SKV_OK ||
        (rc = active_check(sc, sc->active_storage, SKV_PURPOSE_STORAGE, err)) != SKV_OK ||
        (rc = active_check(sc, sc->active_raft, SKV_PURPOSE_RAFT, err)) != SKV_OK)
        return rc;
    if (sc->raft_envelope_cutover_index != 0 && sc->active_raft == 0)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "raft_envelope_cutover_index: %llu but active.raft "
                           "is 0 (no raft key)",
                           (unsigned long long)sc->raft_envelope_cutover_index);
    if (sc->storage_envelope_active && sc->active_storage == 0)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "storage_envelope_active: true but active.storage "
                           "is 0 (no storage key)");
    return names_check(sc, err);
}

size_t skv_sidecar_live_keys(const struct skv_sidecar *sc)
{
    size_t i, n = 0;
    for (i = 0; i < sc->n_keys && i < SKV_SIDECAR_MAX_ENTRIES; i++)
        n += !sc->keys[i].dropped;
    return n;
}

int skv_sidecar_full(const struct skv_sidecar *sc)
{
    return sc->n_keys >= SKV_SIDECAR_MAX_ENTRIES ||
           skv_sidecar_live_keys(sc) >= SKV_SIDECAR_MAX_KEYS;
}

int skv_sidecar_add_key(struct skv_sidecar *sc,
                        const struct skv_sidecar_key *k, struct skv_err *err)
{
    int rc;
    if (sc->n_keys >= SKV_SIDECAR_MAX_ENTRIES ||
        (!k->dropped && skv_sidecar_live_keys(sc) >= SKV_SIDECAR_MAX_KEYS))
        return skv_err_set(err, SKV_ERR_FULL,
                           "keys: already %d keys or %d entries (retire one first)",
                           SKV_SIDECAR_MAX_KEYS, SKV_SIDECAR_MAX_ENTRIES);
    if ((rc = key_check(k, sc->n_keys, err)) != SKV_OK)
        return rc;
    if (skv_sidecar_find(sc, k->key_id))
        return skv_err_set(err, SKV_ERR_INVALID,
                           "keys[%zu].key_id: %u is already present",
                           sc->n_keys, (unsigned)k->key_id);
    sc->keys[sc->n_keys++] = *k;
    return SKV_OK;
}

static int key_active(const struct skv_sidecar *sc, const struct skv_sidecar_key *k)
{
    return k->key_id == sc->active_storage || k->key_id == sc->active_raft;
}

int skv_sidecar_bump_epochs(struct skv_sidecar *sc, struct skv_err *err)
{
    size_t i;
    if (sc->n_keys > SKV_SIDECAR_MAX_ENTRIES)
        return skv_err_set(err, SKV_ERR_INVALID, "keys: too many keys");
    for (i = 0; i < sc->n_keys; i++) {
        const struct skv_sidecar_key *k = &sc->keys[i];
        const char *pn = skv_key_purpose_name(k->purpose);
        if (k->local_epoch > SKV_LOCAL_EPOCH_MAX)
            return skv_err_set(err, SKV_ERR_INVALID,
                               "%s: key_id %u local_epoch %u exceeds 0xFFFF",
                               skv_error_name(SKV_ErrLocalEpochOutOfRange),
                               (unsigned)k->key_id, (unsigned)k->local_epoch);
        if (key_active(sc, k) && k->local_epoch + 1 >= SKV_LOCAL_EPOCH_MAX)
            return skv_err_set(err, SKV_ERR_FULL,
                               "%s: key_id %u (%s) local_epoch %u would reach 0xFFFF: "
                               "rotate-dek --purpose %s on the running cluster "
                               "(automatic at 0x%X), then replace this node's store "
                               "(sealkvd(8), REPLACING A DISK); docs/NONCES.md",
                               skv_error_name(SKV_ErrLocalEpochExhausted), (unsigned)k->key_id,
                               pn ? pn : "?", (unsigned)k->local_epoch, pn ? pn : "storage",
                               SKV_ROTATE_EPOCH_AT);
    }
    for (i = 0; i < sc->n_keys; i++)   /* a retired-from-use key never seals again */
        if (key_active(sc, &sc->keys[i]))
            sc->keys[i].local_epoch++;
    return SKV_OK;
}
