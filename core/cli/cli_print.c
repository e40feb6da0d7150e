/* SPDX-License-Identifier: MIT */
/*
 * cli_print.c — owns what the CLI writes: the server's JSON verbatim
 * (--json), readable summaries of status, members, indexes, envelope
 * answers and any other object, and the one-line error messages.
 * Strings from the server are printed with control bytes replaced.
 */
#include "cli/cli_print.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define TREE_MAX_DEPTH 16

/* Copy s into buf (size n >= 4), control bytes as '?', "..." if cut. */
static void clean_copy(char *buf, size_t n, const char *s)
{
    size_t i;
    for (i = 0; s[i] && i + 1 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
    }
    buf[i] = '\0';
    if (s[i])
        memcpy(buf + n - 4, "...", 4);
}

/* A value as text: strings cleaned, containers as compact JSON, an
 * absent value as "?". Returns buf. */
static const char *val_str(const json_t *v, char *buf, size_t n)
{
    char *s;
    if (!v)
        clean_copy(buf, n, "?");
    else if (json_is_string(v))
        clean_copy(buf, n, json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) != NULL) {
        clean_copy(buf, n, s);
        free(s);
    } else
        clean_copy(buf, n, "?");
    return buf;
}

/* o[key] as text (into buf). */
static const char *field(const json_t *o, const char *key, char *buf, size_t n)
{
    return val_str(json_object_get(o, key), buf, n);
}

static const char *yes_no(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_true(v) ? "yes" : json_is_false(v) ? "no" : "?";
}

int skv_cli_print_verbatim(FILE *out, const char *body, size_t len)
{
    if (len && fwrite(body, 1, len, out) != len)
        return -1;
    if ((len == 0 || body[len - 1] != '\n') && fputc('\n', out) == EOF)
        return -1;
    return 0;
}

static void members_table(FILE *f, const json_t *members, const json_t *leader)
{
    char id[32], role[32], addr[300];
    const json_t *m;
    size_t i;

    fprintf(f, "  %-20s %-8s %s\n", "ID", "ROLE", "ADDRESS");
    json_array_foreach(members, i, m) {
        const json_t *mid = json_object_get(m, "id");
        int is_leader = json_is_integer(mid) && json_is_integer(leader) &&
                        json_integer_value(mid) == json_integer_value(leader);
        fprintf(f, "  %-20s %-8s %s%s\n", val_str(mid, id, sizeof id),
                field(m, "role", role, sizeof role), field(m, "address", addr, sizeof addr),
                is_leader ? "  (leader)" : "");
    }
}

/* One row per DEK of the sidecar (status "encryption.keys"). */
static void keys_table(FILE *f, const json_t *keys)
{
    char id[32], pu[32], st[32], age[32], ep[32], uses[32];
    const json_t *k, *u;
    size_t i;
    if (!json_is_array(keys) || json_array_size(keys) == 0)
        return;
    fprintf(f, "  keys:\n    %-12s %-8s %-7s %-8s %-10s %-6s %s\n", "ID", "PURPOSE", "ACTIVE",
            "STATE", "AGE (s)", "EPOCH", "USES (this process)");
    json_array_foreach(keys, i, k) {
        u = json_object_get(k, "values_sealed");
        if (!u)
            u = json_object_get(k, "entries_wrapped");
        /* STATE: active, in-use, retired (its job still runs) or dropped */
        fprintf(f, "    %-12s %-8s %-7s %-8s %-10s %-6s %s\n", field(k, "key_id", id, sizeof id),
                field(k, "purpose", pu, sizeof pu), yes_no(k, "active"),
                field(k, "state", st, sizeof st), field(k, "age_s", age, sizeof age),
                field(k, "local_epoch", ep, sizeof ep), val_str(u, uses, sizeof uses));
    }
}

/* KEK rotation: the KEK new wraps use and the ids the DEKs are under. */
static void kek_line(FILE *f, const json_t *k)
{
    const json_t *used = json_object_get(k, "ids_in_use"), *v;
    size_t i;
    if (!json_is_string(json_object_get(k, "current_id")))
        return;
    const json_t *prov = json_object_get(k, "current_provider");
    fprintf(f, "  KEK:              current id %s%s%s; DEKs wrapped under",
            json_string_value(json_object_get(k, "current_id")),
            json_is_string(prov) && strcmp(json_string_value(prov), "file") != 0 ? " in " : "",
            json_is_string(prov) && strcmp(json_string_value(prov), "file") != 0
                ? json_string_value(prov) : "");
    json_array_foreach(used, i, v)
        fprintf(f, " %s", json_is_string(v) ? json_string_value(v) : "(unrecorded)");
    fprintf(f, "%s\n", json_array_size(used) > 1 ? "  (more than one: run rewrap-kek)" :
                       json_array_size(used) == 0 ? " (none yet)" : "");
}

/* "key names: sealed at entry N (name key K), migration M, R moved". */
static void names_line(FILE *f, const json_t *k)
{
    char a[64], b[64], c[64], d[64];
    if (!json_is_object(k))
        return;
    if (!json_is_true(json_object_get(k, "sealed"))) {
        fprintf(f, "  key names:        in the clear\n");
        return;
    }
    fprintf(f, "  key names:        sealed at entry %s (name key from %s), migration %s, "
            "%s records moved\n", field(k, "sealed_index", a, sizeof a),
            field(k, "name_key_id", b, sizeof b), field(k, "migration", c, sizeof c),
            field(k, "records_moved", d, sizeof d));
}

static void encryption_block(FILE *f, const json_t *e)
{
    const json_t *keys = json_object_get(e, "active_key_ids");
    char a[64], b[64], c[64];

    fprintf(f, "encryption:  enabled %s, bootstrapped %s, suite %s\n", yes_no(e, "enabled"),
            yes_no(e, "bootstrapped"),
            json_is_string(json_object_get(e, "suite")) ? field(e, "suite", a, sizeof a) : "-");
    fprintf(f, "  storage envelope: %s\n",
            json_is_true(json_object_get(e, "storage_envelope_active")) ? "on" : "off");
    fprintf(f, "  raft envelope:    cutover index %s, wrap on propose %s\n",
            field(e, "raft_envelope_cutover_index", a, sizeof a), yes_no(e, "wrap_on_propose"));
    fprintf(f, "  active key ids:   storage %s, raft %s\n", field(keys, "storage", b, sizeof b),
            field(keys, "raft", c, sizeof c));
    names_line(f, json_object_get(e, "key_names"));
    kek_line(f, json_object_get(e, "kek"));
    keys_table(f, json_object_get(e, "keys"));
}

static void print_status(FILE *f, const json_t *s)
{
    char a[64], b[64], c[64], r[512];
    const json_t *enc = json_object_get(s, "encryption");

    fprintf(f, "node:        %s (%s)\n", field(s, "id", a, sizeof a),
            field(s, "state", r, sizeof r));
    fprintf(f, "leader:      %s\n", json_integer_value(json_object_get(s, "leader_id")) > 0
                                        ? field(s, "leader_id", a, sizeof a) : "none");
    fprintf(f, "term:        %s\n", field(s, "term", a, sizeof a));
    fprintf(f, "index:       last %s, commit %s, applied %s\n",
            field(s, "last_index", a, sizeof a), field(s, "commit_index", b, sizeof b),
            field(s, "applied_index", c, sizeof c));
    if (json_object_get(s, "halt_reason"))
        fprintf(f, "halted:      %s\n", field(s, "halt_reason", r, sizeof r));
    fprintf(f, "members:\n");
    members_table(f, json_object_get(s, "members"), json_object_get(s, "leader_id"));
    if (json_is_object(enc))
        encryption_block(f, enc);
}

static void print_members(FILE *f, const json_t *o)
{
    char a[64];
    const json_t *leader = json_object_get(o, "leader_id");
    fprintf(f, "leader: %s\n", json_integer_value(leader) > 0 ? val_str(leader, a, sizeof a)
                                                               : "none");
    members_table(f, json_object_get(o, "members"), leader);
}

static void print_member(FILE *f, const json_t *o, const char *verb)
{
    char id[32], role[32];
    const json_t *r = json_object_get(o, "role");
    fprintf(f, "%s member %s", verb, field(o, "id", id, sizeof id));
    if (json_is_string(r) && strcmp(json_string_value(r), "unknown") != 0)
        fprintf(f, " (%s)", val_str(r, role, sizeof role));
    fputc('\n', f);
}

/* "k=v k=v" for one object on a line (nested values as compact JSON). */
static void inline_object(FILE *f, const json_t *o)
{
    char k[128], v[512];
    const char *key;
    const json_t *val;
    int first = 1;
    json_object_foreach((json_t *)o, key, val) {
        clean_copy(k, sizeof k, key);
        fprintf(f, "%s%s=%s", first ? "" : " ", k, val_str(val, v, sizeof v));
        first = 0;
    }
}

static void print_enable(FILE *f, const json_t *o, const char *what)
{
    char a[64];
    const json_t *sum = json_object_get(o, "capability_summary"), *e;
    size_t i;

    fprintf(f, "%s: %s (applied index %s)\n", what,
            json_is_true(json_object_get(o, "was_already_active")) ? "already active"
                                                                    : "enabled",
            field(o, "applied_index", a, sizeof a));
    if (json_array_size(sum) > 0)
        fprintf(f, "capability:\n");
    json_array_foreach(sum, i, e) {
        fputs("  - ", f);
        if (json_is_object(e))
            inline_object(f, e);
        else
            fputs(val_str(e, a, sizeof a), f);
        fputc('\n', f);
    }
}

static int is_scalar_or_flat(const json_t *v)
{
    size_t i;
    const json_t *e;
    if (json_is_object(v))
        return 0;
    json_array_foreach(v, i, e) if (json_is_object(e) || json_is_array(e)) return 0;
    return 1;
}

/* Indented "key: value" lines; arrays of containers as "- k=v ..." */
static void print_tree(FILE *f, const json_t *o, int depth)
{
    char k[128], v[1024];
    const char *key;
    const json_t *val, *e;
    size_t i;

    json_object_foreach((json_t *)o, key, val) {
        clean_copy(k, sizeof k, key);
        if (is_scalar_or_flat(val) || depth >= TREE_MAX_DEPTH) {
            fprintf(f, "%*s%s: %s\n", 2 * depth, "", k, val_str(val, v, sizeof v));
            continue;
        }
        fprintf(f, "%*s%s:\n", 2 * depth, "", k);
        if (json_is_object(val)) {
            print_tree(f, val, depth + 1);
            continue;
        }
        json_array_foreach(val, i, e) {
            fprintf(f, "%*s- ", 2 * depth + 2, "");
            if (json_is_object(e))
                inline_object(f, e);
            else
                fputs(val_str(e, v, sizeof v), f);
            fputc('\n', f);
        }
    }
}

int skv_cli_print_human(FILE *out, enum skv_cli_view view, const char *label,
                        const char *body, size_t len)
{
    json_t *j = json_loadb(body ? body : "", len, 0, NULL);
    char a[64];

    if (!json_is_object(j)) {
        json_decref(j);
        return -1;
    }
    switch (view) {
    case SKV_CLI_VIEW_STATUS: print_status(out, j); break;
    case SKV_CLI_VIEW_MEMBERS: print_members(out, j); break;
    case SKV_CLI_VIEW_MEMBER: print_member(out, j, label ? label : "changed"); break;
    case SKV_CLI_VIEW_INDEX: fprintf(out, "%s\n", field(j, "index", a, sizeof a)); break;
    case SKV_CLI_VIEW_ENABLE: print_enable(out, j, label ? label : "envelope"); break;
    case SKV_CLI_VIEW_TREE: print_tree(out, j, 0); break;
    }
    json_decref(j);
    return 0;
}

void skv_cli_print_error(FILE *err, const char *endpoint, const struct skv_client_error *e)
{
    char a[128], b[1024];

    if (e->no_answer) {
        clean_copy(b, sizeof b, e->detail);
        fprintf(err, "sealkv: cannot reach %s: %s\n", endpoint, b);
    } else if (e->name) {
        clean_copy(a, sizeof a, e->name);
        clean_copy(b, sizeof b, e->message ? e->message : "");
        fprintf(err, "sealkv: %s: %s (HTTP %ld)\n", a, b, e->http_status);
    } else {
        clean_copy(b, 200, e->body && e->body_len ? e->body : "(empty body)");
        fprintf(err, "sealkv: unexpected answer: %s (HTTP %ld)\n", b, e->http_status);
    }
}
