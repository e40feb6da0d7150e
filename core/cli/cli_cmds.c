/* SPDX-License-Identifier: MIT */
/*
 * cli_cmds.c — the sealkv CLI's commands: one admin-http request each
 * (DESIGN.md §6), the answer shown verbatim (--json) or readably, and the
 * command table cli_main.c dispatches from.
 */
#include "cli/cli_cmds.h"
#include "cli/cli_snapshot.h"
#include "cli/cli_json.h"
#include "cli/cli_print.h"
#include "util/buf.h"
#include "util/errors.h"

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

/* The message on stderr for a failed exchange; its exit status. */
static int report(const struct skv_cli *c, const struct skv_cli_resp *r, int is_get)
{
    enum skv_error_id id;
    if (r->status == 401) {
        fprintf(stderr, "sealkv: unauthorized: pass --token-file or a client certificate "
                        "(--cert/--key)%s\n",
                c->http.token || c->http.cert ? "; the server refused the ones given" : "");
        return SKV_CLI_EXIT_ERR;
    }
    if (is_get && r->status == 404 &&
        (!r->error || (skv_error_from_name(r->error, &id) == 0 && id == SKV_ErrKeyNotFound))) {
        fputs("sealkv: not found\n", stderr);
        return skv_cli_exit_for(r, 1);
    }
    skv_cli_print_error(stderr, r->endpoint ? r->endpoint : c->http.endpoint, r);
    return skv_cli_exit_for(r, 0);
}

/* Send; SKV_CLI_EXIT_OK on a 2xx answer, else report the error (also as
 * JSON on stdout with --json) and return its exit status
 * (skv_cli_exit_for). *r must be freed by the caller either way. */
static int send_req(const struct skv_cli *c, const struct skv_cli_req *rq, struct skv_cli_resp *r,
                    int is_get)
{
    int rc;
    if (skv_cli_http_do(&c->http, rq, r) != 0) {
        fprintf(stderr, "sealkv: %s\n", r->conn_msg[0] ? r->conn_msg : "out of memory");
        return SKV_CLI_EXIT_ERR;
    }
    if (!r->conn_failed && r->status >= 200 && r->status < 300)
        return SKV_CLI_EXIT_OK;
    rc = report(c, r, is_get);
    if (c->json)
        (void)skv_cli_json_error(stdout, r, rc); /* a write error shows at the flush */
    return rc;
}

int skv_cli_send(const struct skv_cli *c, const struct skv_cli_req *rq,
                 struct skv_cli_resp *r)
{
    return send_req(c, rq, r, 0);
}

/* Send and show a JSON answer (verbatim with --json). */
static int exchange(const struct skv_cli *c, const struct skv_cli_req *rq, enum skv_cli_view view,
                    const char *label)
{
    struct skv_cli_resp r;
    int rc = send_req(c, rq, &r, 0);

    if (rc == SKV_CLI_EXIT_OK && c->json) {
        /* a write error shows in skv_cli_finish_output() */
        (void)skv_cli_print_verbatim(stdout, r.body ? r.body : "", r.len);
    } else if (rc == SKV_CLI_EXIT_OK && skv_cli_print_human(stdout, view, label, r.body, r.len) != 0) {
        fprintf(stderr, "sealkv: unexpected answer (HTTP %ld): not the JSON object expected\n",
                r.status);
        rc = SKV_CLI_EXIT_ERR;
    }
    if (rc == SKV_CLI_EXIT_OK)
        rc = skv_cli_finish_output();
    skv_cli_resp_free(&r);
    return rc;
}

static int simple(const struct skv_cli *c, const char *method, const char *path,
                  enum skv_cli_view view, const char *label)
{
    struct skv_cli_req rq = {.method = method, .path = path};
    return exchange(c, &rq, view, label);
}

/* "/v1/kv/<encoded key>[suffix]", malloc'd; NULL when out of memory. */
static char *kv_path(const char *key, const char *suffix)
{
    char *enc = skv_cli_pct_encode(key, strlen(key)), *p = NULL;
    size_t n;
    if (enc) {
        n = strlen("/v1/kv/") + strlen(enc) + strlen(suffix) + 1;
        p = malloc(n);
        if (p)
            snprintf(p, n, "/v1/kv/%s%s", enc, suffix);
    }
    free(enc);
    if (!p)
        fputs("sealkv: out of memory\n", stderr);
    return p;
}

/* The compare-and-swap query of put / del ("" when none); both values
 * were checked when parsed. A failed compare is HTTP 412, exit 4; a
 * conditional write whose outcome is unknown is never resent (the
 * retry loop resends only answers that say nothing was done). */
static const char *cond_query(const struct skv_cli *c, char *buf, size_t len)
{
    if (c->prev_index)
        snprintf(buf, len, "?prev_index=%s", c->prev_index);
    else if (c->prev_exist)
        snprintf(buf, len, "?prev_exist=%s", c->prev_exist);
    else
        return "";
    return buf;
}

/* ---- commands ----------------------------------------------------- */

static int cmd_status(const struct skv_cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "GET", "/v1/status", SKV_CLI_VIEW_STATUS, NULL);
}

static int cmd_get(const struct skv_cli *c, char **args, int nargs)
{
    struct skv_cli_resp r;
    struct skv_cli_req rq = {.method = "GET"};
    char *path = kv_path(args[0], c->local ? "?consistency=local" : "");
    int rc;

    (void)nargs;
    if (!path)
        return SKV_CLI_EXIT_ERR;
    rq.path = path;
    rc = send_req(c, &rq, &r, 1);
    if (rc == SKV_CLI_EXIT_OK) {
        if (c->json)
            (void)skv_cli_json_kv(stdout, args[0], strlen(args[0]), r.body, r.len, &r);
        else if (r.len)
            (void)fwrite(r.body, 1, r.len, stdout); /* checked by skv_cli_finish_output() */
        rc = skv_cli_finish_output();
    } else if (c->json) {
        (void)skv_cli_finish_output();
    }
    skv_cli_resp_free(&r);
    free(path);
    return rc;
}

static int cmd_put(const struct skv_cli *c, char **args, int nargs)
{
    struct skv_cli_req rq = {.method = "PUT", .content_type = "application/octet-stream"};
    struct skv_buf buf = {0};
    char *path, sfx[48];
    int rc;

    if (nargs < 2 || strcmp(args[1], "-") == 0) {
        if (skv_buf_read_file(&buf, stdin) != 0) {
            fprintf(stderr, "sealkv: cannot read the value from stdin: %s\n", strerror(errno));
            skv_buf_free(&buf);
            return SKV_CLI_EXIT_ERR;
        }
        rq.body = (const char *)buf.p;
        rq.body_len = buf.len;
    } else {
        rq.body = args[1];
        rq.body_len = strlen(args[1]);
    }
    path = kv_path(args[0], cond_query(c, sfx, sizeof sfx));
    rq.path = path;
    rc = path ? exchange(c, &rq, SKV_CLI_VIEW_INDEX, NULL) : SKV_CLI_EXIT_ERR;
    free(path);
    skv_buf_free(&buf);
    return rc;
}

static int cmd_del(const struct skv_cli *c, char **args, int nargs)
{
    char sfx[48];
    char *path = kv_path(args[0], cond_query(c, sfx, sizeof sfx));
    int rc;
    (void)nargs;
    rc = path ? simple(c, "DELETE", path, SKV_CLI_VIEW_INDEX, NULL) : SKV_CLI_EXIT_ERR;
    free(path);
    return rc;
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
    struct skv_cli_req rq = {.method = "POST", .path = "/v1/cluster/members",
                             .content_type = "application/json"};
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
    rq.body = body;
    rq.body_len = strlen(body);
    rc = exchange(c, &rq, SKV_CLI_VIEW_MEMBER, "added");
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
    struct skv_cli_req rq = {.method = "POST", .path = "/v1/encryption/rotate-dek",
                             .content_type = "application/json"};
    char body[40];
    (void)args, (void)nargs;
    snprintf(body, sizeof body, "{\"purpose\":\"%s\"}", c->purpose ? c->purpose : "storage");
    rq.body = body;
    rq.body_len = strlen(body);
    return exchange(c, &rq, SKV_CLI_VIEW_TREE, NULL);
}

/* The node reads the file on its own host: send an absolute path (a
 * relative one is resolved here, where the CLI runs). "kek-id:ID" names a
 * KEK the node holds already (an HSM KEK from previous_kek_pkcs11). */
static int cmd_rewrap_kek(const struct skv_cli *c, char **args, int nargs)
{
    struct skv_cli_req rq = {.method = "POST", .path = "/v1/encryption/rewrap-kek",
                             .content_type = "application/json"};
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
    rq.body = body;
    rq.body_len = strlen(body);
    rc = exchange(c, &rq, SKV_CLI_VIEW_TREE, NULL);
    free(body);
    return rc;
}

static int cmd_erase(const struct skv_cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "POST", "/v1/encryption/erase-cleartext", SKV_CLI_VIEW_TREE, NULL);
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
    {"encryption", "rewrap-kek", 1, 1, "NEW_KEK_FILE|kek-id:ID", 0, 0, 0, cmd_rewrap_kek},
    {"encryption", "erase-cleartext", 0, 0, "", 0, 0, 0, cmd_erase},
    {"snapshot", "save", 1, 1, "FILE", 0, 0, 0, skv_cli_cmd_snapshot_save},
};
const size_t skv_cli_n_commands = sizeof skv_cli_commands / sizeof skv_cli_commands[0];
