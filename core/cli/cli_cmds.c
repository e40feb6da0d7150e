/* SPDX-License-Identifier: MIT */
/*
 * cli_cmds.c — the sealkv CLI's commands: one libsealkv-client call each
 * (DESIGN.md §6), the answer shown verbatim (--json) or readably, the
 * failure report (stderr, and JSON with --json), and the command table
 * cli_main.c dispatches from.
 */
#include "cli/cli_cmds.h"
#include "cli/cli_snapshot.h"
#include "cli/cli_json.h"
#include "cli/cli_print.h"
#include "util/buf.h"

#include <jansson.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int skv_cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("sealkv: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'sealkv --help' for more information.\n", stderr);
    return SKV_CLI_EXIT_USAGE;
}

/* ---- requests ----------------------------------------------------- */

int skv_cli_finish_output(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "sealkv: cannot write output: %s\n", strerror(errno));
        return SKV_CLI_EXIT_ERR;
    }
    return SKV_CLI_EXIT_OK;
}

int skv_cli_exit_of(enum skv_client_code code)
{
    return code == SKV_CLIENT_LOCAL ? SKV_CLI_EXIT_ERR : (int)code;
}

/* A failure the library found here (no answer of the server's to show:
 * out of memory, an answer that is not the one expected). */
static int local_failure(const struct skv_client_error *e)
{
    return !e->no_answer && e->http_status == 0;
}

int skv_cli_fail(const struct skv_cli *c, const struct skv_client_error *e, int is_get)
{
    int rc = skv_cli_exit_of(e->code);
    if (local_failure(e)) {
        fprintf(stderr, "sealkv: %s\n", e->detail[0] ? e->detail : "out of memory");
        return rc;
    }
    if (e->http_status == 401) {
        fprintf(stderr, "sealkv: unauthorized: pass --token-file or a client certificate "
                        "(--cert/--key)%s\n",
                c->creds.token_file || c->creds.cert ? "; the server refused the ones given" : "");
        rc = SKV_CLI_EXIT_ERR;
    } else if (is_get && e->code == SKV_CLIENT_NOT_FOUND) {
        fputs("sealkv: not found\n", stderr);
    } else {
        skv_cli_print_error(stderr, e->endpoint ? e->endpoint : c->eps[0], e);
    }
    if (c->json)
        (void)skv_cli_json_error(stdout, e, rc); /* a write error shows at the flush */
    return rc;
}

/* Show a 2xx JSON answer (verbatim with --json). */
static int show_answer(const struct skv_cli *c, const char *body, size_t len, long status,
                       enum skv_cli_view view, const char *label)
{
    if (c->json) {
        /* a write error shows in skv_cli_finish_output() */
        (void)skv_cli_print_verbatim(stdout, body ? body : "", len);
    } else if (skv_cli_print_human(stdout, view, label, body, len) != 0) {
        fprintf(stderr, "sealkv: unexpected answer (HTTP %ld): not the JSON object expected\n",
                status);
        return SKV_CLI_EXIT_ERR;
    }
    return skv_cli_finish_output();
}

/* Send one admin request and show its JSON answer. */
static int exchange(const struct skv_cli *c, const char *method, const char *path,
                    const char *body, enum skv_cli_view view, const char *label)
{
    struct skv_client_answer a;
    struct skv_client_error e;
    int rc;
    memset(&e, 0, sizeof e);
    if (skv_client_request(c->client, method, path, body, body ? strlen(body) : 0,
                           body ? "application/json" : NULL, &a, &e) != SKV_CLIENT_OK)
        rc = skv_cli_fail(c, &e, 0);
    else
        rc = show_answer(c, a.body, a.len, a.status, view, label);
    skv_client_answer_clear(&a);
    skv_client_error_clear(&e);
    return rc;
}

static int simple(const struct skv_cli *c, const char *method, const char *path,
                  enum skv_cli_view view, const char *label)
{
    return exchange(c, method, path, NULL, view, label);
}

/* The compare-and-swap condition of put / del; both values were checked
 * when parsed. A failed compare is HTTP 412, exit 4; a conditional write
 * whose outcome is unknown is never resent (the library resends only
 * answers that say nothing was done). */
static const struct skv_client_cond *cond_of(const struct skv_cli *c, struct skv_client_cond *k)
{
    if (c->prev_index) {
        k->kind = SKV_CLIENT_COND_PREV_INDEX;
        k->prev_index = strtoull(c->prev_index, NULL, 10);
    } else if (c->prev_exist) {
        k->kind = strcmp(c->prev_exist, "true") == 0 ? SKV_CLIENT_COND_EXISTS
                                                     : SKV_CLIENT_COND_ABSENT;
    } else {
        return NULL;
    }
    return k;
}

/* A write's outcome: its answer shown, or the failure reported. */
static int show_write(const struct skv_cli *c, enum skv_client_code code,
                      struct skv_client_write *w, struct skv_client_error *e)
{
    int rc = code == SKV_CLIENT_OK ? show_answer(c, w->raw, w->raw_len, 200, SKV_CLI_VIEW_INDEX,
                                                 NULL)
                                   : skv_cli_fail(c, e, 0);
    skv_client_write_clear(w);
    skv_client_error_clear(e);
    return rc;
}

/* ---- commands ----------------------------------------------------- */

static int cmd_status(const struct skv_cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "GET", "/v1/status", SKV_CLI_VIEW_STATUS, NULL);
}

static int cmd_get(const struct skv_cli *c, char **args, int nargs)
{
    struct skv_client_kv kv;
    struct skv_client_error e;
    int rc;

    (void)nargs;
    memset(&e, 0, sizeof e);
    if (skv_client_get(c->client, args[0], strlen(args[0]), c->local ? SKV_CLIENT_READ_LOCAL : 0,
                       &kv, &e) != SKV_CLIENT_OK) {
        rc = skv_cli_fail(c, &e, 1);
        if (c->json)
            (void)skv_cli_finish_output();
    } else {
        if (c->json)
            (void)skv_cli_json_kv(stdout, &kv);
        else if (kv.value_len)
            (void)fwrite(kv.value, 1, kv.value_len, stdout); /* checked by skv_cli_finish_output() */
        rc = skv_cli_finish_output();
    }
    skv_client_kv_clear(&kv);
    skv_client_error_clear(&e);
    return rc;
}

static int cmd_put(const struct skv_cli *c, char **args, int nargs)
{
    struct skv_buf buf = {0};
    struct skv_client_cond k;
    struct skv_client_write w;
    struct skv_client_error e;
    const void *val;
    size_t len;
    int rc;

    if (nargs < 2 || strcmp(args[1], "-") == 0) {
        if (skv_buf_read_file(&buf, stdin) != 0) {
            fprintf(stderr, "sealkv: cannot read the value from stdin: %s\n", strerror(errno));
            skv_buf_free(&buf);
            return SKV_CLI_EXIT_ERR;
        }
        val = buf.p;
        len = buf.len;
    } else {
        val = args[1];
        len = strlen(args[1]);
    }
    memset(&e, 0, sizeof e);
    rc = show_write(c, skv_client_put(c->client, args[0], strlen(args[0]), val, len,
                                      cond_of(c, &k), &w, &e), &w, &e);
    skv_buf_free(&buf);
    return rc;
}

static int cmd_del(const struct skv_cli *c, char **args, int nargs)
{
    struct skv_client_cond k;
    struct skv_client_write w;
    struct skv_client_error e;
    (void)nargs;
    memset(&e, 0, sizeof e);
    return show_write(c, skv_client_delete(c->client, args[0], strlen(args[0]), cond_of(c, &k),
                                           &w, &e), &w, &e);
}

/* A member id: decimal, 1 .. INT64_MAX (it travels as a JSON integer). */
static int parse_member_id(const char *s, json_int_t *out)
{
    uint64_t v = 0;
    size_t i, n = strlen(s);
    if (n == 0 || n > 19)
        return skv_cli_usage_error("member id '%s' is not a positive decimal integer", s);
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return skv_cli_usage_error("member id '%s' is not a positive decimal integer", s);
        v = v * 10 + (uint64_t)(s[i] - '0'); /* 19 digits cannot overflow */
    }
    if (v == 0 || v > (uint64_t)INT64_MAX)
        return skv_cli_usage_error("member id '%s' is out of range", s);
    *out = (json_int_t)v;
    return 0;
}

static int cmd_members(const struct skv_cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "GET", "/v1/cluster/members", SKV_CLI_VIEW_MEMBERS, NULL);
}

static int cmd_members_add(const struct skv_cli *c, char **args, int nargs)
{
    json_int_t id;
    json_t *j;
    char *body;
    int rc;

    (void)nargs;
    if ((rc = parse_member_id(args[0], &id)) != 0)
        return rc;
    if (args[1][0] == '\0')
        return skv_cli_usage_error("member address must not be empty");
    j = json_pack("{s:I,s:s,s:s}", "id", id, "address", args[1], "role",
                  c->standby ? "standby" : "voter");
    if (!j)
        return skv_cli_usage_error("member address '%s' is not valid UTF-8 text", args[1]);
    body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!body)
        return fputs("sealkv: out of memory\n", stderr), SKV_CLI_EXIT_ERR;
    rc = exchange(c, "POST", "/v1/cluster/members", body, SKV_CLI_VIEW_MEMBER, "added");
    free(body);
    return rc;
}

/* DELETE /v1/cluster/members/ID or POST .../ID/promote. */
static int member_by_id(const struct skv_cli *c, const char *id_arg, int promote)
{
    char path[96];
    json_int_t id;
    int rc = parse_member_id(id_arg, &id);
    if (rc != 0)
        return rc;
    snprintf(path, sizeof path, "/v1/cluster/members/%" JSON_INTEGER_FORMAT "%s", id,
             promote ? "/promote" : "");
    return simple(c, promote ? "POST" : "DELETE", path, SKV_CLI_VIEW_MEMBER,
                  promote ? "promoted" : "removed");
}

static int cmd_members_remove(const struct skv_cli *c, char **args, int nargs)
{
    (void)nargs;
    return member_by_id(c, args[0], 0);
}

static int cmd_members_promote(const struct skv_cli *c, char **args, int nargs)
{
    (void)nargs;
    return member_by_id(c, args[0], 1);
}

static int cmd_capability(const struct skv_cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "GET", "/v1/encryption/capability", SKV_CLI_VIEW_TREE, NULL);
}

static int cmd_sidecar(const struct skv_cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "GET", "/v1/encryption/sidecar", SKV_CLI_VIEW_TREE, NULL);
}

static int cmd_enable_storage(const struct skv_cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "POST", "/v1/encryption/enable-storage-envelope", SKV_CLI_VIEW_ENABLE,
                  "storage envelope");
}

static int cmd_enable_raft(const struct skv_cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "POST", "/v1/encryption/enable-raft-envelope", SKV_CLI_VIEW_ENABLE,
                  "raft envelope");
}

static int cmd_rotate_dek(const struct skv_cli *c, char **args, int nargs)
{
    char body[40];
    (void)args, (void)nargs;
    snprintf(body, sizeof body, "{\"purpose\":\"%s\"}", c->purpose ? c->purpose : "storage");
    return exchange(c, "POST", "/v1/encryption/rotate-dek", body, SKV_CLI_VIEW_TREE, NULL);
}

/* KEY_ID: a decimal key id, 1..2^32-1 (sealkv status lists them). */
static int cmd_retire(const struct skv_cli *c, char **args, int nargs)
{
    char body[40], *end = NULL;
    unsigned long long id;
    (void)nargs;
    errno = 0;
    id = strtoull(args[0], &end, 10);
    if (args[0][0] < '0' || args[0][0] > '9' || *end || errno || id == 0 || id > UINT32_MAX)
        return skv_cli_usage_error("encryption retire: KEY_ID must be a key id "
                                   "(1..4294967295, see 'sealkv status')");
    snprintf(body, sizeof body, "{\"key_id\":%llu}", id);
    return exchange(c, "POST", "/v1/encryption/retire", body, SKV_CLI_VIEW_TREE, NULL);
}

/* The node reads the file on its own host: send an absolute path (a
 * relative one is resolved here, where the CLI runs). "kek-id:ID" names a
 * KEK the node holds already (an HSM KEK from previous_kek_pkcs11). */
static int cmd_rewrap_kek(const struct skv_cli *c, char **args, int nargs)
{
    char *abs = NULL, *body;
    json_t *j;
    int rc;
    (void)nargs;
    if (strncmp(args[0], "kek-id:", 7) == 0)
        j = json_pack("{s:s}", "kek_id", args[0] + 7);
    else if (args[0][0] != '/' && !(abs = realpath(args[0], NULL)))
        return skv_cli_usage_error("rewrap-kek: cannot resolve '%s' (%s): give the new KEK "
                                   "file's absolute path on the node's host", args[0],
                                   strerror(errno));
    else
        j = json_pack("{s:s}", "kek_file", abs ? abs : args[0]);
    free(abs);
    if (!j)
        return skv_cli_usage_error("rewrap-kek: the path is not valid UTF-8 text");
    body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!body)
        return fputs("sealkv: out of memory\n", stderr), SKV_CLI_EXIT_ERR;
    rc = exchange(c, "POST", "/v1/encryption/rewrap-kek", body, SKV_CLI_VIEW_TREE, NULL);
    free(body);
    return rc;
}

static int cmd_erase(const struct skv_cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "POST", "/v1/encryption/erase-cleartext", SKV_CLI_VIEW_TREE, NULL);
}

static int cmd_seal_names(const struct skv_cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "POST", "/v1/encryption/seal-key-names", SKV_CLI_VIEW_TREE, NULL);
}

const struct skv_cli_command skv_cli_commands[] = {
    /* name, sub, min, max, synopsis, takes_key, local_ok, standby_ok, run */
    {"status", NULL, 0, 0, "", 0, 0, 0, cmd_status},
    {"get", NULL, 1, 1, "KEY [--local]", 1, 1, 0, cmd_get},
    {"txn", NULL, 0, 1, "[FILE|-]", 0, 0, 0, skv_cli_cmd_txn},
    {"ls", NULL, 0, 1, "[PREFIX] [--keys-only] [--limit N] [--local]", 0, 1, 0, skv_cli_cmd_ls},
    {"watch", NULL, 0, 1, "[PREFIX] [--from-index N]", 0, 0, 0, skv_cli_cmd_watch},
    {"put", NULL, 1, 2, "KEY [VALUE|-] [--prev-index N | --prev-exist true|false]", 1, 0, 0,
     cmd_put},
    {"del", NULL, 1, 1, "KEY [--prev-index N]", 1, 0, 0, cmd_del},
    {"delete", NULL, 1, 1, "KEY [--prev-index N]", 1, 0, 0, cmd_del},
    {"members", NULL, 0, 0, "", 0, 0, 0, cmd_members},
    {"members", "add", 2, 2, "ID ADDR [--standby]", 0, 0, 1, cmd_members_add},
    {"members", "remove", 1, 1, "ID", 0, 0, 0, cmd_members_remove},
    {"members", "promote", 1, 1, "ID", 0, 0, 0, cmd_members_promote},
    {"encryption", "capability", 0, 0, "", 0, 0, 0, cmd_capability},
    {"encryption", "sidecar", 0, 0, "", 0, 0, 0, cmd_sidecar},
    {"encryption", "enable-storage-envelope", 0, 0, "", 0, 0, 0, cmd_enable_storage},
    {"encryption", "enable-raft-envelope", 0, 0, "", 0, 0, 0, cmd_enable_raft},
    {"encryption", "rotate-dek", 0, 0, "[--purpose storage|raft]", 0, 0, 0, cmd_rotate_dek},
    {"encryption", "retire", 1, 1, "KEY_ID", 0, 0, 0, cmd_retire},
    {"encryption", "rewrap-kek", 1, 1, "NEW_KEK_FILE|kek-id:ID", 0, 0, 0, cmd_rewrap_kek},
    {"encryption", "erase-cleartext", 0, 0, "", 0, 0, 0, cmd_erase},
    {"encryption", "seal-key-names", 0, 0, "", 0, 0, 0, cmd_seal_names},
    {"snapshot", "save", 1, 1, "FILE", 0, 0, 0, skv_cli_cmd_snapshot_save},
};
const size_t skv_cli_n_commands = sizeof skv_cli_commands / sizeof skv_cli_commands[0];
