/* SPDX-License-Identifier: MIT */
/*
 * sidecar_json.c — the sidecar's JSON codec (jansson) and base64 of the
 * wrapped keys (libsodium). Pure: no files. Parsing is strict — unknown,
 * duplicate, missing or mistyped members are refused by name — and every
 * parsed sidecar then passes skv_sidecar_validate().
 */
#include "enc/sidecar.h"
#include "util/errors.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B64_VARIANT sodium_base64_VARIANT_ORIGINAL
#define B64_MAX sodium_base64_ENCODED_LEN(SKV_SIDECAR_WRAPPED_MAX, B64_VARIANT)
#define PATH_MAX_ 48

static const char *const top_members[] = {
    "version", "raft_applied_index", "storage_envelope_active",
    "raft_envelope_cutover_index", "active", "keys", "names", NULL};
static const char *const names_members[] = {"sealed_index", "key_id", NULL};
static const char *const active_members[] = {"storage", "raft", NULL};
static const char *const key_members[] = {
    "key_id", "purpose", "suite", "wrapped", "created", "local_epoch", "kek_id",
    "kek_provider", "retired_index", "dropped", NULL};

/* ---- parsing helpers ---------------------------------------------------- */

/* `obj` must be an object holding only members named in `allowed`. */
static int members_check(const json_t *obj, const char *const *allowed,
                         const char *path, struct skv_err *err)
{
    const char *name;
    json_t *v;
    if (!json_is_object(obj))
        return skv_err_set(err, SKV_ERR_INVALID, "%s: must be an object", path);
    json_object_foreach((json_t *)obj, name, v) {
        const char *const *a;
        for (a = allowed; *a && strcmp(*a, name) != 0; a++)
            ;
        if (!*a)
            return skv_err_set(err, SKV_ERR_INVALID, "%s%s%.64s: unknown member",
                               path, *path ? "." : "", name);
    }
    return SKV_OK;
}

static json_t *member(const json_t *obj, const char *name, const char *path,
                      struct skv_err *err)
{
    json_t *v = json_object_get(obj, name);
    if (!v)
        skv_err_set(err, SKV_ERR_INVALID, "%s%s%s: missing", path,
                    *path ? "." : "", name);
    return v;
}

/* Non-negative JSON integer <= max. */
static int get_uint(const json_t *obj, const char *name, const char *path,
                    uint64_t max, uint64_t *out, struct skv_err *err)
{
    json_t *v = member(obj, name, path, err);
    json_int_t i;
    if (!v)
        return SKV_ERR_INVALID;
    if (!json_is_integer(v))
        return skv_err_set(err, SKV_ERR_INVALID, "%s%s%s: must be an integer",
                           path, *path ? "." : "", name);
    i = json_integer_value(v);
    if (i < 0 || (uint64_t)i > max)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "%s%s%s: %lld is out of range (0..%llu)", path,
                           *path ? "." : "", name, (long long)i,
                           (unsigned long long)max);
    *out = (uint64_t)i;
    return SKV_OK;
}

static const char *get_str(const json_t *obj, const char *name,
                           const char *path, size_t *len, struct skv_err *err)
{
    json_t *v = member(obj, name, path, err);
    if (!v)
        return NULL;
    if (!json_is_string(v)) {
        skv_err_set(err, SKV_ERR_INVALID, "%s.%s: must be a string", path, name);
        return NULL;
    }
    *len = json_string_length(v);
    return json_string_value(v);
}

/* ---- one key ------------------------------------------------------------ */

/* A key's string members, each checked and stored by its setter, in the
 * order of key_strings (the order their refusals are reported in). */
typedef int str_setter(const char *s, size_t len, const char *path,
                       struct skv_sidecar_key *out, struct skv_err *err);

static int set_purpose(const char *s, size_t len, const char *path,
                       struct skv_sidecar_key *out, struct skv_err *err)
{
    (void)len;
    if (strcmp(s, "storage") == 0)
        out->purpose = SKV_PURPOSE_STORAGE;
    else if (strcmp(s, "raft") == 0)
        out->purpose = SKV_PURPOSE_RAFT;
    else
        return skv_err_set(err, SKV_ERR_INVALID,
                           "%s.purpose: must be \"storage\" or \"raft\"", path);
    return SKV_OK;
}

static int set_suite(const char *s, size_t len, const char *path,
                     struct skv_sidecar_key *out, struct skv_err *err)
{
    if (len == 0 || len >= SKV_SIDECAR_SUITE_MAX)
        return skv_err_set(err, SKV_ERR_INVALID, "%s.suite: must be 1..%d characters",
                           path, SKV_SIDECAR_SUITE_MAX - 1);
    memcpy(out->suite, s, len + 1);
    return SKV_OK;
}

/* base64 of the wrapped DEK */
static int set_wrapped(const char *s, size_t len, const char *path,
                       struct skv_sidecar_key *out, struct skv_err *err)
{
    if (len >= B64_MAX)
        return skv_err_set(err, SKV_ERR_INVALID, "%s.wrapped: longer than %d bytes", path,
                           SKV_SIDECAR_WRAPPED_MAX);
    if (sodium_base642bin(out->wrapped, sizeof out->wrapped, s, len, NULL,
                          &out->wrapped_len, NULL, B64_VARIANT) != 0)
        return skv_err_set(err, SKV_ERR_INVALID, "%s.wrapped: not valid base64", path);
    return SKV_OK; /* "" (a dropped key's) gives 0 bytes: validate decides */
}

static const struct {
    const char *name;
    str_setter *set;
} key_strings[] = {{"purpose", set_purpose}, {"suite", set_suite}, {"wrapped", set_wrapped}};

static int parse_strings(const json_t *k, const char *path, struct skv_sidecar_key *out,
                         struct skv_err *err)
{
    for (size_t i = 0; i < sizeof key_strings / sizeof key_strings[0]; i++) {
        size_t len;
        const char *s = get_str(k, key_strings[i].name, path, &len, err);
        int rc;
        if (!s)
            return SKV_ERR_INVALID;
        if ((rc = key_strings[i].set(s, len, path, out, err)) != SKV_OK)
            return rc;
    }
    return SKV_OK;
}

/* Optional (sidecar.h): SKV_SIDECAR_KEK_ID_LEN lowercase hex characters. */
static int parse_kek_id(const json_t *k, const char *path, struct skv_sidecar_key *out,
                        struct skv_err *err)
{
    json_t *v = json_object_get(k, "kek_id");
    const char *s;
    if (!v)
        return SKV_OK;
    s = json_is_string(v) ? json_string_value(v) : NULL;
    if (!s || json_string_length(v) != SKV_SIDECAR_KEK_ID_LEN || !skv_sidecar_kek_id_ok(s))
        return skv_err_set(err, SKV_ERR_INVALID,
                           "%s.kek_id: must be a string of %d lowercase hex characters",
                           path, SKV_SIDECAR_KEK_ID_LEN);
    memcpy(out->kek_id, s, SKV_SIDECAR_KEK_ID_LEN + 1);
    return SKV_OK;
}

/* Optional (sidecar.h): "pkcs11", and only next to a kek_id. */
static int parse_kek_provider(const json_t *k, const char *path,
                              struct skv_sidecar_key *out, struct skv_err *err)
{
    json_t *v = json_object_get(k, "kek_provider");
    if (!v)
        return SKV_OK;
    if (!json_is_string(v) || json_string_length(v) != 6 ||
        strcmp(json_string_value(v), "pkcs11") != 0 || !out->kek_id[0])
        return skv_err_set(err, SKV_ERR_INVALID,
                           "%s.kek_provider: must be \"pkcs11\", next to a kek_id", path);
    memcpy(out->kek_provider, "pkcs11", 7);
    return SKV_OK;
}

/* Optional (sidecar.h): "retired_index" >= 1, "dropped" a boolean. */
static int parse_retired(const json_t *k, const char *path, struct skv_sidecar_key *out,
                         struct skv_err *err)
{
    json_t *d = json_object_get(k, "dropped");
    int rc;
    if (json_object_get(k, "retired_index")) {
        if ((rc = get_uint(k, "retired_index", path, INT64_MAX, &out->retired_index, err)) != SKV_OK)
            return rc;
        if (out->retired_index == 0)
            return skv_err_set(err, SKV_ERR_INVALID, "%s.retired_index: must be >= 1 "
                               "(omit it for a key in use)", path);
    }
    if (d && !json_is_boolean(d))
        return skv_err_set(err, SKV_ERR_INVALID, "%s.dropped: must be true or false", path);
    out->dropped = d && json_is_true(d);
    return SKV_OK;
}

static int parse_key(const json_t *k, size_t i, struct skv_sidecar_key *out,
                     struct skv_err *err)
{
    char path[PATH_MAX_];
    uint64_t v;
    int rc;
    snprintf(path, sizeof path, "keys[%zu]", i);
    memset(out, 0, sizeof *out);
    if ((rc = members_check(k, key_members, path, err)) != SKV_OK)
        return rc;
    if ((rc = get_uint(k, "key_id", path, UINT32_MAX, &v, err)) != SKV_OK)
        return rc;
    out->key_id = (uint32_t)v;
    if ((rc = parse_strings(k, path, out, err)) != SKV_OK ||
        (rc = get_uint(k, "created", path, INT64_MAX, &out->created_ms, err)) != SKV_OK ||
        (rc = get_uint(k, "local_epoch", path, INT64_MAX, &v, err)) != SKV_OK)
        return rc;
    if (v > SKV_LOCAL_EPOCH_MAX)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "%s: %s.local_epoch %llu exceeds 0xFFFF",
                           skv_error_name(SKV_ErrLocalEpochOutOfRange), path,
                           (unsigned long long)v);
    out->local_epoch = (uint32_t)v;
    if ((rc = parse_retired(k, path, out, err)) != SKV_OK ||
        (rc = parse_kek_id(k, path, out, err)) != SKV_OK)
        return rc;
    return parse_kek_provider(k, path, out, err);
}

/* ---- the document ------------------------------------------------------- */

static int parse_active(const json_t *root, struct skv_sidecar *sc,
                        struct skv_err *err)
{
    json_t *a = member(root, "active", "", err);
    uint64_t v;
    int rc;
    if (!a)
        return SKV_ERR_INVALID;
    if ((rc = members_check(a, active_members, "active", err)) != SKV_OK ||
        (rc = get_uint(a, "storage", "active", UINT32_MAX, &v, err)) != SKV_OK)
        return rc;
    sc->active_storage = (uint32_t)v;
    if ((rc = get_uint(a, "raft", "active", UINT32_MAX, &v, err)) != SKV_OK)
        return rc;
    sc->active_raft = (uint32_t)v;
    return SKV_OK;
}

static int parse_keys(const json_t *root, struct skv_sidecar *sc,
                      struct skv_err *err)
{
    json_t *ks = member(root, "keys", "", err), *k;
    size_t i;
    int rc;
    if (!ks)
        return SKV_ERR_INVALID;
    if (!json_is_array(ks))
        return skv_err_set(err, SKV_ERR_INVALID, "keys: must be an array");
    if (json_array_size(ks) > SKV_SIDECAR_MAX_ENTRIES)
        return skv_err_set(err, SKV_ERR_INVALID, "keys: %zu entries (at most %d)",
                           json_array_size(ks), SKV_SIDECAR_MAX_ENTRIES);
    json_array_foreach(ks, i, k) {
        if ((rc = parse_key(k, i, &sc->keys[i], err)) != SKV_OK)
            return rc;
        sc->n_keys = i + 1;
    }
    return SKV_OK;
}

/* Optional "names" (sidecar.h): both members, both >= 1. */
static int parse_names(const json_t *root, struct skv_sidecar *sc, struct skv_err *err)
{
    const json_t *o = json_object_get(root, "names");
    uint64_t v;
    int rc;
    if (!o)
        return SKV_OK;
    if (!json_is_object(o))
        return skv_err_set(err, SKV_ERR_INVALID, "names: must be an object");
    if ((rc = members_check(o, names_members, "names", err)) != SKV_OK ||
        (rc = get_uint(o, "sealed_index", "names", INT64_MAX, &sc->names_index, err)) != SKV_OK ||
        (rc = get_uint(o, "key_id", "names", UINT32_MAX, &v, err)) != SKV_OK)
        return rc;
    sc->names_key_id = (uint32_t)v;
    if (sc->names_index == 0 || sc->names_key_id == 0)
        return skv_err_set(err, SKV_ERR_INVALID, "names: sealed_index and key_id must be >= 1");
    return SKV_OK;
}

static int parse_root(const json_t *root, struct skv_sidecar *sc,
                      struct skv_err *err)
{
    json_t *b;
    uint64_t v;
    int rc;
    if ((rc = members_check(root, top_members, "", err)) != SKV_OK ||
        (rc = get_uint(root, "version", "", UINT32_MAX, &v, err)) != SKV_OK)
        return rc;
    if (v != SKV_SIDECAR_VERSION)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "version: %llu is not supported (want %d)",
                           (unsigned long long)v, SKV_SIDECAR_VERSION);
    sc->version = (uint32_t)v;
    if ((rc = get_uint(root, "raft_applied_index", "", INT64_MAX,
                       &sc->raft_applied_index, err)) != SKV_OK ||
        (rc = get_uint(root, "raft_envelope_cutover_index", "", INT64_MAX,
                       &sc->raft_envelope_cutover_index, err)) != SKV_OK)
        return rc;
    if (!(b = member(root, "storage_envelope_active", "", err)))
        return SKV_ERR_INVALID;
    if (!json_is_boolean(b))
        return skv_err_set(err, SKV_ERR_INVALID,
                           "storage_envelope_active: must be true or false");
    sc->storage_envelope_active = json_is_true(b);
    if ((rc = parse_active(root, sc, err)) != SKV_OK ||
        (rc = parse_names(root, sc, err)) != SKV_OK)
        return rc;
    return parse_keys(root, sc, err);
}

int skv_sidecar_from_json(const void *buf, size_t len, struct skv_sidecar *sc,
                          struct skv_err *err)
{
    json_error_t je;
    json_t *root;
    int rc;
    skv_sidecar_init(sc);
    if (len > SKV_SIDECAR_MAX_BYTES)
        return skv_err_set(err, SKV_ERR_TOOBIG, "%zu bytes (at most %u)", len,
                           SKV_SIDECAR_MAX_BYTES);
    root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return skv_err_set(err, SKV_ERR_INVALID, "line %d column %d: %s",
                           je.line, je.column, je.text);
    rc = parse_root(root, sc, err);
    json_decref(root);
    if (rc == SKV_OK)
        rc = skv_sidecar_validate(sc, err);
    if (rc != SKV_OK)
        skv_sidecar_init(sc);
    return rc;
}

/* ---- serialising -------------------------------------------------------- */

static json_t *key_to_json(const struct skv_sidecar_key *k)
{
    char b64[B64_MAX];
    json_t *o;
    sodium_bin2base64(b64, sizeof b64, k->wrapped, k->wrapped_len, B64_VARIANT);
    o = json_pack("{s:I, s:s, s:s, s:s, s:I, s:I}",
                  "key_id", (json_int_t)k->key_id,
                  "purpose", skv_key_purpose_name(k->purpose),
                  "suite", k->suite, "wrapped", b64,
                  "created", (json_int_t)k->created_ms,
                  "local_epoch", (json_int_t)k->local_epoch);
    if (o && ((k->kek_id[0] && json_object_set_new(o, "kek_id", json_string(k->kek_id)) != 0) ||
              (k->retired_index && json_object_set_new(o, "retired_index",
                                                       json_integer((json_int_t)k->retired_index)) != 0) ||
              (k->dropped && json_object_set_new(o, "dropped", json_true()) != 0))) {
        json_decref(o);
        return NULL;
    }
    if (o && k->kek_id[0] && k->kek_provider[0] &&
        json_object_set_new(o, "kek_provider", json_string(k->kek_provider)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *sidecar_to_json(const struct skv_sidecar *sc)
{
    json_t *keys = json_array(), *o;
    size_t i;
    if (!keys)
        return NULL;
    for (i = 0; i < sc->n_keys; i++)
        if (json_array_append_new(keys, key_to_json(&sc->keys[i])) != 0) {
            json_decref(keys);
            return NULL;
        }
    o = json_pack("{s:I, s:I, s:b, s:I, s:{s:I, s:I}, s:o}",
                     "version", (json_int_t)sc->version,
                     "raft_applied_index", (json_int_t)sc->raft_applied_index,
                     "storage_envelope_active", sc->storage_envelope_active,
                     "raft_envelope_cutover_index",
                     (json_int_t)sc->raft_envelope_cutover_index,
                     "active", "storage", (json_int_t)sc->active_storage,
                     "raft", (json_int_t)sc->active_raft, "keys", keys);
    if (o && sc->names_index &&
        json_object_set_new(o, "names", json_pack("{s:I,s:I}", "sealed_index",
                                                  (json_int_t)sc->names_index, "key_id",
                                                  (json_int_t)sc->names_key_id)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int skv_sidecar_to_json(const struct skv_sidecar *sc, char **out,
                        size_t *out_len, struct skv_err *err)
{
    json_t *root;
    int rc = skv_sidecar_validate(sc, err);
    if (rc != SKV_OK)
        return rc;
    if (!(root = sidecar_to_json(sc)))
        return skv_err_set(err, SKV_ERR_NOMEM, "sidecar: out of memory");
    *out = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    if (!*out)
        return skv_err_set(err, SKV_ERR_NOMEM, "sidecar: out of memory");
    if (out_len)
        *out_len = strlen(*out);
    return SKV_OK;
}
