/* SPDX-License-Identifier: MIT */
/*
 * verify_out.c — `sealkv verify` as a command: argument parsing, the
 * human report and the --json document (jansson) of a struct
 * skv_verify_report. Counts, indexes and key ids only.
 */
#include "verify/verify.h"
#include "crypto/purpose.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define ULL(x) ((unsigned long long)(x))

enum { V_OK = 0, V_ANOMALY = 1, V_USAGE = 2 };

/* ---- human ---------------------------------------------------------- */

static void text_keys(FILE *f, const char *label, const struct skv_verify_keys *t)
{
    size_t i;
    if (!t->n)
        return;
    fprintf(f, "  %s:", label);
    for (i = 0; i < t->n; i++)
        fprintf(f, " %u=%llu", (unsigned)t->k[i].key_id, ULL(t->k[i].count));
    fputc('\n', f);
}

static void text_vals(FILE *f, const char *title, const struct skv_verify_vals *v)
{
    fprintf(f, "%s: %llu values: %llu cleartext, %llu sealed (%llu authenticated)%s\n", title,
            ULL(v->values), ULL(v->cleartext), ULL(v->sealed), ULL(v->authenticated),
            v->bad_header ? ", some with an unknown header" : "");
    text_keys(f, "sealed values per key id", &v->by_key);
}

static void text_log(FILE *f, const struct skv_verify_report *r)
{
    fprintf(f, "raft log: %llu entries (%llu..%llu), %llu FSM commands, %llu other, "
            "%llu damaged\n", ULL(r->log.entries), ULL(r->log.first), ULL(r->log.last),
            ULL(r->log.commands), ULL(r->log.other), ULL(r->log.corrupt));
    if (r->cutover)
        fprintf(f, "  at or below cutover %llu: %llu cleartext; above: %llu, %llu wrapped "
                "and authenticated\n", ULL(r->cutover), ULL(r->log.cleartext),
                ULL(r->log.above_cutover), ULL(r->log.authenticated));
    else
        fprintf(f, "  raft envelope not active: %llu cleartext commands\n", ULL(r->log.cleartext));
    text_keys(f, "wrapped entries per key id", &r->log.by_key);
}

static void text_snap(FILE *f, const struct skv_verify_report *r)
{
    if (!r->snap.present) {
        fputs("snapshot: none\n", f);
        return;
    }
    fprintf(f, "snapshot: index %llu, term %llu, header %s, cutover %llu, applied %llu\n",
            ULL(r->snap.index), ULL(r->snap.term),
            skv_verify_snap_header(r) ? skv_verify_snap_header(r) : "unreadable",
            ULL(r->snap.cutover), ULL(r->snap.applied));
    if (r->snap.version == 3)
        fputs("  snapshot: local (its key space is the store's, read at its index when a "
              "follower needs it)\n", f);
    if (r->snap.version == 4)
        fputs("  snapshot: installed from the leader through the spool file (restored from it "
              "at the next start if the FSM is behind it)\n", f);
    text_vals(f, "  snapshot", &r->snap.vals);
}

static const char *key_state(const struct skv_verify_key *k)
{
    return k->dropped ? "dropped" : k->retired_index ? "retired" : k->active ? "active" : "in-use";
}

static void text_key_states(FILE *f, const struct skv_verify_report *r)
{
    size_t i;
    if (r->n_keys)
        fputs("keys (id purpose state: values, log entries, snapshot records):\n", f);
    for (i = 0; i < r->n_keys; i++) {
        const struct skv_verify_key *k = &r->keys[i];
        fprintf(f, "  %u %s %s", (unsigned)k->key_id, k->purpose == SKV_PURPOSE_RAFT ? "raft" : "storage",
                key_state(k));
        if (k->retired_index)
            fprintf(f, " at %llu", ULL(k->retired_index));
        fprintf(f, ": %llu, %llu, %llu\n", ULL(k->values), ULL(k->log_entries),
                ULL(k->snap_records));
    }
}

static json_t *json_key_states(const struct skv_verify_report *r)
{
    json_t *a = json_array();
    size_t i;
    for (i = 0; a && i < r->n_keys; i++) {
        const struct skv_verify_key *k = &r->keys[i];
        json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I}", "key_id",
                                           (json_int_t)k->key_id, "purpose",
                                           k->purpose == SKV_PURPOSE_RAFT ? "raft" : "storage", "state",
                                           key_state(k), "retired_index",
                                           (json_int_t)k->retired_index, "values",
                                           (json_int_t)k->values, "log_entries",
                                           (json_int_t)k->log_entries, "snapshot_records",
                                           (json_int_t)k->snap_records));
    }
    return a;
}

int skv_verify_print_text(FILE *f, const struct skv_verify_report *r)
{
    size_t i;
    fprintf(f, "node %llu: encryption %s, sidecar %s, storage envelope %s, raft envelope "
            "cutover %llu, %zu DEKs (active storage %u, raft %u), sidecar applied %llu\n",
            ULL(r->node_id), r->enc_enabled ? "enabled" : "disabled",
            r->sidecar_present ? "present" : "absent", r->storage_envelope_active ? "on" : "off",
            ULL(r->cutover), r->n_deks, (unsigned)r->active_storage, (unsigned)r->active_raft,
            ULL(r->sidecar_applied));
    text_log(f, r);
    text_vals(f, "fsm", &r->fsm);
    fprintf(f, "  fsm applied index %llu; cleartext_values %llu\n", ULL(r->fsm_applied),
            ULL(r->fsm.cleartext));
    if (r->names_index)
        fprintf(f, "  key names sealed at entry %llu: %llu values under a sealed name, %llu "
                "values and %llu revision records under a cleartext name\n",
                ULL(r->names_index), ULL(r->names_sealed_values), ULL(r->names_old_values),
                ULL(r->names_old_revs));
    text_snap(f, r);
    text_key_states(f, r);
    for (i = 0; i < r->n_listed; i++) {
        fprintf(f, "ANOMALY %s in %s", r->listed[i].kind, r->listed[i].where);
        if (r->listed[i].key_id)
            fprintf(f, " (key id %u)", (unsigned)r->listed[i].key_id);
        fprintf(f, ": %s\n", r->listed[i].detail);
    }
    if (r->n_anomalies > r->n_listed)
        fprintf(f, "... and %llu more anomalies\n", ULL(r->n_anomalies - r->n_listed));
    fprintf(f, "verify: %s (%llu anomalies%s)\n", r->n_anomalies ? "FAILED" : "OK",
            ULL(r->n_anomalies), r->strict ? ", strict" : "");
    return ferror(f) ? -1 : 0;
}

/* ---- JSON ----------------------------------------------------------- */

static json_t *json_keys(const struct skv_verify_keys *t)
{
    json_t *o = json_object();
    char id[16];
    size_t i;
    for (i = 0; o && i < t->n; i++) {
        snprintf(id, sizeof id, "%u", (unsigned)t->k[i].key_id);
        json_object_set_new(o, id, json_integer((json_int_t)t->k[i].count));
    }
    return o;
}

static json_t *json_vals(const struct skv_verify_vals *v)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:o}", "values", (json_int_t)v->values,
                     "cleartext_values", (json_int_t)v->cleartext, "sealed_values",
                     (json_int_t)v->sealed, "sealed_authenticated", (json_int_t)v->authenticated,
                     "bad_header", (json_int_t)v->bad_header, "by_key_id", json_keys(&v->by_key));
}

static json_t *json_log(const struct skv_verify_report *r)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:o}", "entries",
                     (json_int_t)r->log.entries, "first_index", (json_int_t)r->log.first,
                     "last_index", (json_int_t)r->log.last, "commands",
                     (json_int_t)r->log.commands, "other", (json_int_t)r->log.other,
                     "damaged", (json_int_t)r->log.corrupt, "cleartext",
                     (json_int_t)r->log.cleartext, "above_cutover",
                     (json_int_t)r->log.above_cutover, "above_cutover_authenticated",
                     (json_int_t)r->log.authenticated, "all_above_cutover_authenticated",
                     r->log.above_cutover == r->log.authenticated, "by_key_id",
                     json_keys(&r->log.by_key));
}

static json_t *json_snap(const struct skv_verify_report *r)
{
    if (!r->snap.present)
        return json_pack("{s:b}", "present", 0);
    return json_pack("{s:b,s:I,s:I,s:s?,s:b,s:I,s:I,s:b,s:o}", "present", 1, "index",
                     (json_int_t)r->snap.index, "term", (json_int_t)r->snap.term, "header",
                     skv_verify_snap_header(r), "local", r->snap.version == 3, "cutover",
                     (json_int_t)r->snap.cutover, "applied", (json_int_t)r->snap.applied,
                     "matches_sidecar", skv_verify_snap_matches(r), "values",
                     json_vals(&r->snap.vals));
}

static json_t *json_anomalies(const struct skv_verify_report *r)
{
    json_t *a = json_array();
    size_t i;
    for (i = 0; a && i < r->n_listed; i++) {
        const struct skv_verify_anomaly *x = &r->listed[i];
        json_array_append_new(a, json_pack("{s:s,s:s,s:I,s:I,s:s}", "kind", x->kind, "where",
                                           x->where, "index", (json_int_t)x->index, "key_id",
                                           (json_int_t)x->key_id, "message", x->detail));
    }
    return a;
}

static json_t *json_sidecar(const struct skv_verify_report *r)
{
    return json_pack("{s:b,s:I,s:b,s:I,s:{s:I,s:I},s:I}", "present", r->sidecar_present,
                     "raft_applied_index", (json_int_t)r->sidecar_applied,
                     "storage_envelope_active", r->storage_envelope_active,
                     "raft_envelope_cutover_index", (json_int_t)r->cutover, "active", "storage",
                     (json_int_t)r->active_storage, "raft", (json_int_t)r->active_raft, "keys",
                     (json_int_t)r->n_deks);
}

int skv_verify_print_json(FILE *f, const struct skv_verify_report *r)
{
    json_t *o = json_pack("{s:I,s:b,s:b,s:o,s:o,s:o,s:I,s:I,s:o,s:I,s:o,s:b}", "node_id",
                          (json_int_t)r->node_id, "strict", r->strict, "encryption_enabled",
                          r->enc_enabled, "sidecar", json_sidecar(r), "raft_log", json_log(r),
                          "fsm", json_vals(&r->fsm), "fsm_applied_index",
                          (json_int_t)r->fsm_applied, "cleartext_values",
                          (json_int_t)r->fsm.cleartext, "snapshot", json_snap(r),
                          "anomaly_count", (json_int_t)r->n_anomalies, "anomalies",
                          json_anomalies(r), "ok", r->n_anomalies == 0);
    if (o)
        json_object_set_new(o, "keys", json_key_states(r));
    if (o)
        json_object_set_new(o, "key_names", json_pack("{s:b,s:I,s:I,s:I,s:I}", "sealed",
                            r->names_index != 0, "sealed_index", (json_int_t)r->names_index,
                            "sealed_values", (json_int_t)r->names_sealed_values,
                            "cleartext_name_values", (json_int_t)r->names_old_values,
                            "cleartext_name_revisions", (json_int_t)r->names_old_revs));
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    int rc = s && fprintf(f, "%s\n", s) >= 0 && !ferror(f) ? 0 : -1;
    free(s);
    json_decref(o);
    return rc;
}

/* ---- the command ---------------------------------------------------- */

static void verify_usage(FILE *f)
{
    fputs("usage: sealkv verify --config FILE [--json] [--strict]\n"
          "Offline check of a stopped node's data dir (needs its KEK): raft log entries at or\n"
          "below the cutover are cleartext, every entry above it is a raft envelope that\n"
          "authenticates; every sealed value opens; the snapshot header matches the sidecar.\n"
          "  --json    one JSON document on stdout\n"
          "  --strict  any cleartext value or cleartext KV log entry is an anomaly too\n"
          "Exit status: 0 clean, 1 anomalies found, 2 usage or open error.\n", f);
}

static int verify_usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "sealkv verify: %s%s%s\nTry 'sealkv verify --help'.\n", what,
            arg ? " " : "", arg ? arg : "");
    return V_USAGE;
}

/* Arguments after "verify". 0, -1 for --help, or V_USAGE. */
static int parse(int argc, char **argv, const char **config, int *json, int *strict)
{
    int i;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            *json = 1;
        else if (strcmp(argv[i], "--strict") == 0)
            *strict = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return -1;
        else if (strncmp(argv[i], "--config=", 9) == 0)
            *config = argv[i] + 9;
        else if (strcmp(argv[i], "--config") != 0)
            return verify_usage_error("unexpected argument", argv[i]);
        else if (i + 1 < argc)
            *config = argv[++i];
        else
            return verify_usage_error("option --config needs a FILE", NULL);
    }
    return *config && **config ? 0 : verify_usage_error("--config FILE is required", NULL);
}

int skv_verify_main(int argc, char **argv)
{
    struct skv_verify_report *r;
    const char *config = NULL;
    int json = 0, strict = 0, rc = parse(argc, argv, &config, &json, &strict);
    char err[1024];
    if (rc == -1)
        return verify_usage(stdout), fflush(stdout) == 0 ? V_OK : V_ANOMALY;
    if (rc != 0)
        return rc;
    if (!(r = calloc(1, sizeof *r)))
        return fputs("sealkv verify: out of memory\n", stderr), V_USAGE;
    if (skv_verify_run(config, strict, r, err, sizeof err) != 0) {
        fprintf(stderr, "sealkv verify: %s\n", err);
        free(r);
        return V_USAGE;
    }
    rc = (json ? skv_verify_print_json(stdout, r) : skv_verify_print_text(stdout, r)) != 0 ||
                 fflush(stdout) != 0
             ? V_USAGE
             : r->n_anomalies ? V_ANOMALY : V_OK;
    free(r);
    return rc;
}
