/* SPDX-License-Identifier: MIT */
/*
 * cli_main.c — the sealkv command-line client: argument parsing, usage,
 * and dispatch of each command to one admin-http request (DESIGN.md §6).
 * Exit codes: 0 success, 1 error, 2 usage error.
 */
#include "cli/cli_creds.h"
#include "cli/cli_http.h"
#include "cli/cli_print.h"
#include "cli/cli_cert.h"
#include "verify/verify.h"

#include <jansson.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"

enum { EXIT_OK = 0, EXIT_ERR = 1, EXIT_USAGE = 2 };

#define DEFAULT_ENDPOINT "http://127.0.0.1:8101"
#define DEFAULT_TIMEOUT_S 30.0
#define DEFAULT_RETRY_S 10.0
#define MAX_SECS 86400.0

/* Everything the command line says. */
struct cli {
    const char *endpoint;
    int json, local, standby, help, version;
    double timeout_s, retry_s;
    char **pos; /* positional arguments (command first) */
    int npos;
    struct skv_cli_http http;
    struct skv_cli_creds creds; /* --cacert, --cert, --key, --token-file */
};

struct command {
    const char *name, *sub; /* sub: second word, or NULL */
    int min_args, max_args; /* after the command word(s) */
    const char *synopsis;   /* for "wrong number of arguments" */
    int takes_key;          /* first argument is a KEY (must not be empty) */
    int local_ok, standby_ok;
    int (*run)(const struct cli *c, char **args, int nargs);
};

static void usage(FILE *f)
{
    fputs("usage: sealkv [--endpoint URL] [--json] [--timeout SECS] [--retry SECS]\n"
          "              [--cacert FILE] [--cert FILE [--key FILE]] [--token-file FILE] COMMAND\n"
          "\n"
          "commands:\n"
          "  status                              node, leader, term, indexes, members, encryption\n"
          "  get KEY [--local]                   write the raw value to stdout (--local: local read)\n"
          "  put KEY [VALUE|-]                   store VALUE (omitted or '-': read stdin); prints the index\n"
          "  del KEY                             delete KEY; prints the index\n"
          "  members                             list members\n"
          "  members add ID ADDR [--standby]     add a voter (or a standby)\n"
          "  members remove ID                   remove a member\n"
          "  members promote ID                  make a standby a voter\n"
          "  encryption capability               this node's capability report\n"
          "  encryption sidecar                  this node's sidecar state\n"
          "  encryption enable-storage-envelope  phase 1: encrypt stored values\n"
          "  encryption enable-raft-envelope     phase 2: encrypt the raft log\n"
          "  encryption erase-cleartext          this node: re-seal old values, drop the log\n"
          "                                      below the cutover, compact the store\n"
          "  verify --config FILE [--json] [--strict]\n"
          "                                      offline: check a stopped node's data dir\n"
          "                                      (needs the KEK; see 'sealkv verify --help')\n"
          "  cert create-ca | create-node ID ADDR | create-client NAME\n"
          "                                      offline: cluster CA, node and client keys and\n"
          "                                      certificates (see 'sealkv cert --help')\n"
          "\n"
          "options:\n"
          "  --endpoint URL  admin endpoint (default $SEALKV_ENDPOINT or " DEFAULT_ENDPOINT ")\n"
          "  --json          print the server's JSON answer as is\n"
          "  --timeout SECS  limit for one request (default 30)\n"
          "  --retry SECS    keep retrying 'no leader'-style answers and refused connections\n"
          "                  for up to SECS (default 10; 0 disables)\n"
          "  --cacert FILE   CA certificate (PEM) that verifies an https:// endpoint\n"
          "                  (default $SEALKV_CACERT, else the system store)\n"
          "  --cert FILE     client certificate (PEM) for an admin API that asks for one\n"
          "  --key FILE      its private key (default $SEALKV_CERT, $SEALKV_KEY)\n"
          "  --token-file FILE  bearer token file, mode 0600 (default $SEALKV_TOKEN_FILE)\n"
          "  --help, --version\n"
          "Use '--' before a KEY or VALUE that starts with '-'.\n"
          "Exit status: 0 success, 1 error (including a missing key), 2 usage error.\n",
          f);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("sealkv: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'sealkv --help' for more information.\n", stderr);
    return EXIT_USAGE;
}

/* SECS: a finite decimal number in [min, MAX_SECS]. */
static int parse_secs(const char *s, double min, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v < min || v > MAX_SECS)
        return -1;
    *out = v;
    return 0;
}

/* An option that takes a value: "--name VALUE" or "--name=VALUE". */
static const char *opt_value(int argc, char **argv, int *i, const char *arg, size_t nlen)
{
    if (arg[nlen] == '=')
        return arg + nlen + 1;
    if (arg[nlen] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

/* Values of --endpoint, --timeout, --retry and the credential files. */
static int set_valued(struct cli *c, const char *name, const char *v)
{
    const char **file = strcmp(name, "--cacert") == 0       ? &c->creds.cacert
                        : strcmp(name, "--cert") == 0       ? &c->creds.cert
                        : strcmp(name, "--key") == 0        ? &c->creds.key
                        : strcmp(name, "--token-file") == 0 ? &c->creds.token_file
                                                            : NULL;
    if (file) {
        if (!*v)
            return usage_error("%s needs a file name", name);
        *file = v;
        return 0;
    }
    if (strcmp(name, "--endpoint") == 0) {
        c->endpoint = v;
        return 0;
    }
    if (strcmp(name, "--timeout") == 0 && parse_secs(v, 0.001, &c->timeout_s) == 0)
        return 0;
    if (strcmp(name, "--retry") == 0 && parse_secs(v, 0, &c->retry_s) == 0)
        return 0;
    return usage_error("%s: '%s' is not a number of seconds in [%s, %.0f]", name, v,
                       strcmp(name, "--retry") == 0 ? "0" : "0.001", MAX_SECS);
}

/* One argument starting with '-' at argv[*i]. 0, or EXIT_USAGE. */
static int parse_option(struct cli *c, int argc, char **argv, int *i)
{
    static const char *const valued[] = {"--endpoint", "--timeout", "--retry", "--cacert",
                                         "--cert", "--key", "--token-file"};
    const char *a = argv[*i], *v;
    size_t k, n;

    if (strcmp(a, "--json") == 0)
        return c->json = 1, 0;
    if (strcmp(a, "--local") == 0)
        return c->local = 1, 0;
    if (strcmp(a, "--standby") == 0)
        return c->standby = 1, 0;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
        return c->help = 1, 0;
    if (strcmp(a, "--version") == 0)
        return c->version = 1, 0;
    for (k = 0; k < sizeof valued / sizeof valued[0]; k++) {
        n = strlen(valued[k]);
        if (strncmp(a, valued[k], n) != 0 || (a[n] != '\0' && a[n] != '='))
            continue;
        v = opt_value(argc, argv, i, a, n);
        if (!v)
            return usage_error("option '%s' needs a value", valued[k]);
        return set_valued(c, valued[k], v);
    }
    return usage_error("unknown option '%s'", a);
}

/* Options may come anywhere; "--" ends them. Positionals are moved to
 * the front of argv[1..] (never past the read position). */
static int parse_args(struct cli *c, int argc, char **argv)
{
    int i, rest = 0, rc;

    c->pos = argv + 1;
    c->npos = 0;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!rest && strcmp(a, "--") == 0) {
            rest = 1;
        } else if (!rest && a[0] == '-' && a[1] != '\0') {
            if ((rc = parse_option(c, argc, argv, &i)) != 0)
                return rc;
        } else {
            c->pos[c->npos++] = argv[i];
        }
    }
    return 0;
}

/* ---- requests ----------------------------------------------------- */

static int finish_output(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "sealkv: cannot write output: %s\n", strerror(errno));
        return EXIT_ERR;
    }
    return EXIT_OK;
}

/* Send; EXIT_OK on a 2xx answer, else print the error and EXIT_ERR.
 * *r must be freed by the caller either way. */
static int send_req(const struct cli *c, const struct skv_cli_req *rq, struct skv_cli_resp *r,
                    int is_get)
{
    if (skv_cli_http_do(&c->http, rq, r) != 0) {
        fprintf(stderr, "sealkv: %s\n", r->conn_msg[0] ? r->conn_msg : "out of memory");
        return EXIT_ERR;
    }
    if (!r->conn_failed && r->status >= 200 && r->status < 300)
        return EXIT_OK;
    if (r->status == 401) {
        fprintf(stderr, "sealkv: unauthorized: pass --token-file or a client certificate "
                        "(--cert/--key)%s\n",
                c->http.token || c->http.cert ? "; the server refused the ones given" : "");
        return EXIT_ERR;
    }
    if (is_get && r->status == 404 && (!r->error || strcmp(r->error, "ErrKeyNotFound") == 0)) {
        fputs("sealkv: not found\n", stderr);
        return EXIT_ERR;
    }
    skv_cli_print_error(stderr, c->http.endpoint, r);
    return EXIT_ERR;
}

/* Send and show a JSON answer (verbatim with --json). */
static int exchange(const struct cli *c, const struct skv_cli_req *rq, enum skv_cli_view view,
                    const char *label)
{
    struct skv_cli_resp r;
    int rc = send_req(c, rq, &r, 0);

    if (rc == EXIT_OK && c->json) {
        /* a write error shows in finish_output() */
        (void)skv_cli_print_verbatim(stdout, r.body ? r.body : "", r.len);
    } else if (rc == EXIT_OK && skv_cli_print_human(stdout, view, label, r.body, r.len) != 0) {
        fprintf(stderr, "sealkv: unexpected answer (HTTP %ld): not the JSON object expected\n",
                r.status);
        rc = EXIT_ERR;
    }
    if (rc == EXIT_OK)
        rc = finish_output();
    skv_cli_resp_free(&r);
    return rc;
}

static int simple(const struct cli *c, const char *method, const char *path,
                  enum skv_cli_view view, const char *label)
{
    struct skv_cli_req rq = {method, path, NULL, 0, NULL};
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

/* ---- commands ----------------------------------------------------- */

static int cmd_status(const struct cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "GET", "/v1/status", SKV_CLI_VIEW_STATUS, NULL);
}

static int cmd_get(const struct cli *c, char **args, int nargs)
{
    struct skv_cli_resp r;
    struct skv_cli_req rq = {"GET", NULL, NULL, 0, NULL};
    char *path = kv_path(args[0], c->local ? "?consistency=local" : "");
    int rc;

    (void)nargs;
    if (!path)
        return EXIT_ERR;
    rq.path = path;
    rc = send_req(c, &rq, &r, 1);
    if (rc == EXIT_OK) {
        if (r.len)
            (void)fwrite(r.body, 1, r.len, stdout); /* checked by finish_output() */
        rc = finish_output();
    }
    skv_cli_resp_free(&r);
    free(path);
    return rc;
}

/* All of f, binary-safe, into a malloc'd buffer. 0 or -1 (errno). */
static int read_all(FILE *f, char **out, size_t *len)
{
    size_t cap = 4096, n = 0, got;
    char *b = malloc(cap), *nb;

    for (got = 1; b && got > 0;) {
        if (n == cap) {
            nb = cap <= SIZE_MAX / 2 ? realloc(b, cap * 2) : NULL;
            if (!nb)
                break;
            b = nb;
            cap *= 2;
        }
        got = fread(b + n, 1, cap - n, f);
        n += got;
    }
    if (!b || got > 0 || ferror(f)) {
        if (b && got > 0)
            errno = ENOMEM;
        free(b);
        return -1;
    }
    *out = b;
    *len = n;
    return 0;
}

static int cmd_put(const struct cli *c, char **args, int nargs)
{
    struct skv_cli_req rq = {"PUT", NULL, NULL, 0, "application/octet-stream"};
    char *path, *buf = NULL;
    int rc;

    if (nargs < 2 || strcmp(args[1], "-") == 0) {
        if (read_all(stdin, &buf, &rq.body_len) != 0) {
            fprintf(stderr, "sealkv: cannot read the value from stdin: %s\n", strerror(errno));
            return EXIT_ERR;
        }
        rq.body = buf;
    } else {
        rq.body = args[1];
        rq.body_len = strlen(args[1]);
    }
    path = kv_path(args[0], "");
    rq.path = path;
    rc = path ? exchange(c, &rq, SKV_CLI_VIEW_INDEX, NULL) : EXIT_ERR;
    free(path);
    free(buf);
    return rc;
}

static int cmd_del(const struct cli *c, char **args, int nargs)
{
    char *path = kv_path(args[0], "");
    int rc;
    (void)nargs;
    rc = path ? simple(c, "DELETE", path, SKV_CLI_VIEW_INDEX, NULL) : EXIT_ERR;
    free(path);
    return rc;
}

/* A member id: decimal, 1 .. INT64_MAX (it travels as a JSON integer). */
static int parse_member_id(const char *s, json_int_t *out)
{
    uint64_t v = 0;
    size_t i, n = strlen(s);
    if (n == 0 || n > 19)
        return usage_error("member id '%s' is not a positive decimal integer", s);
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return usage_error("member id '%s' is not a positive decimal integer", s);
        v = v * 10 + (uint64_t)(s[i] - '0'); /* 19 digits cannot overflow */
    }
    if (v == 0 || v > (uint64_t)INT64_MAX)
        return usage_error("member id '%s' is out of range", s);
    *out = (json_int_t)v;
    return 0;
}

static int cmd_members(const struct cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "GET", "/v1/cluster/members", SKV_CLI_VIEW_MEMBERS, NULL);
}

static int cmd_members_add(const struct cli *c, char **args, int nargs)
{
    struct skv_cli_req rq = {"POST", "/v1/cluster/members", NULL, 0, "application/json"};
    json_int_t id;
    json_t *j;
    char *body;
    int rc;

    (void)nargs;
    if ((rc = parse_member_id(args[0], &id)) != 0)
        return rc;
    if (args[1][0] == '\0')
        return usage_error("member address must not be empty");
    j = json_pack("{s:I,s:s,s:s}", "id", id, "address", args[1], "role",
                  c->standby ? "standby" : "voter");
    if (!j)
        return usage_error("member address '%s' is not valid UTF-8 text", args[1]);
    body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!body)
        return fputs("sealkv: out of memory\n", stderr), EXIT_ERR;
    rq.body = body;
    rq.body_len = strlen(body);
    rc = exchange(c, &rq, SKV_CLI_VIEW_MEMBER, "added");
    free(body);
    return rc;
}

/* DELETE /v1/cluster/members/ID or POST .../ID/promote. */
static int member_by_id(const struct cli *c, const char *id_arg, int promote)
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

static int cmd_members_remove(const struct cli *c, char **args, int nargs)
{
    (void)nargs;
    return member_by_id(c, args[0], 0);
}

static int cmd_members_promote(const struct cli *c, char **args, int nargs)
{
    (void)nargs;
    return member_by_id(c, args[0], 1);
}

static int cmd_capability(const struct cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "GET", "/v1/encryption/capability", SKV_CLI_VIEW_TREE, NULL);
}

static int cmd_sidecar(const struct cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "GET", "/v1/encryption/sidecar", SKV_CLI_VIEW_TREE, NULL);
}

static int cmd_enable_storage(const struct cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "POST", "/v1/encryption/enable-storage-envelope", SKV_CLI_VIEW_ENABLE,
                  "storage envelope");
}

static int cmd_enable_raft(const struct cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "POST", "/v1/encryption/enable-raft-envelope", SKV_CLI_VIEW_ENABLE,
                  "raft envelope");
}

static int cmd_erase(const struct cli *c, char **args, int nargs)
{
    (void)args, (void)nargs;
    return simple(c, "POST", "/v1/encryption/erase-cleartext", SKV_CLI_VIEW_TREE, NULL);
}

static const struct command commands[] = {
    /* name, sub, min, max, synopsis, takes_key, local_ok, standby_ok, run */
    {"status", NULL, 0, 0, "", 0, 0, 0, cmd_status},
    {"get", NULL, 1, 1, "KEY [--local]", 1, 1, 0, cmd_get},
    {"put", NULL, 1, 2, "KEY [VALUE|-]", 1, 0, 0, cmd_put},
    {"del", NULL, 1, 1, "KEY", 1, 0, 0, cmd_del},
    {"members", NULL, 0, 0, "", 0, 0, 0, cmd_members},
    {"members", "add", 2, 2, "ID ADDR [--standby]", 0, 0, 1, cmd_members_add},
    {"members", "remove", 1, 1, "ID", 0, 0, 0, cmd_members_remove},
    {"members", "promote", 1, 1, "ID", 0, 0, 0, cmd_members_promote},
    {"encryption", "capability", 0, 0, "", 0, 0, 0, cmd_capability},
    {"encryption", "sidecar", 0, 0, "", 0, 0, 0, cmd_sidecar},
    {"encryption", "enable-storage-envelope", 0, 0, "", 0, 0, 0, cmd_enable_storage},
    {"encryption", "enable-raft-envelope", 0, 0, "", 0, 0, 0, cmd_enable_raft},
    {"encryption", "erase-cleartext", 0, 0, "", 0, 0, 0, cmd_erase},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* ---- dispatch ----------------------------------------------------- */

/* The command the positionals name; NULL after printing a usage error. */
static const struct command *find_command(const struct cli *c, int *words)
{
    const char *w0 = c->pos[0], *w1 = c->npos > 1 ? c->pos[1] : NULL;
    const struct command *plain = NULL;
    int has_subs = 0;
    size_t i;

    for (i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, w0) != 0)
            continue;
        if (!commands[i].sub) {
            plain = &commands[i];
            continue;
        }
        has_subs = 1;
        if (w1 && strcmp(w1, commands[i].sub) == 0) {
            *words = 2;
            return &commands[i];
        }
    }
    *words = 1;
    if (has_subs && w1)
        usage_error("unknown %s subcommand '%s'", w0, w1);
    else if (plain)
        return plain;
    else if (has_subs)
        usage_error("'%s' needs a subcommand", w0);
    else
        usage_error("unknown command '%s'", w0);
    return NULL;
}

/* Arity and per-command flags. 0 or EXIT_USAGE. */
static int check_command(const struct cli *c, const struct command *cmd, int nargs)
{
    const char *sub = cmd->sub ? cmd->sub : "";
    if (nargs < cmd->min_args || nargs > cmd->max_args)
        return usage_error("%s arguments; usage: sealkv %s%s%s%s%s",
                           nargs < cmd->min_args ? "missing" : "too many", cmd->name,
                           *sub ? " " : "", sub, *cmd->synopsis ? " " : "", cmd->synopsis);
    if (c->local && !cmd->local_ok)
        return usage_error("--local applies only to 'get'");
    if (c->standby && !cmd->standby_ok)
        return usage_error("--standby applies only to 'members add'");
    if (cmd->takes_key && c->pos[cmd->sub ? 2 : 1][0] == '\0')
        return usage_error("KEY must not be empty");
    return 0;
}

/* --endpoint, else $SEALKV_ENDPOINT, else the default; http(s) only. */
static int resolve_endpoint(struct cli *c)
{
    const char *env = getenv("SEALKV_ENDPOINT");
    if (!c->endpoint)
        c->endpoint = env && *env ? env : DEFAULT_ENDPOINT;
    if (strncmp(c->endpoint, "http://", 7) != 0 && strncmp(c->endpoint, "https://", 8) != 0)
        return usage_error("endpoint '%s' is not an http:// or https:// URL", c->endpoint);
    c->http.endpoint = c->endpoint;
    c->http.timeout_ms = (long)(c->timeout_s * 1000.0 + 0.5);
    c->http.retry_ms = (long)(c->retry_s * 1000.0 + 0.5);
    return 0;
}

/* Credential files: flags, else $SEALKV_*; the token is read (and
 * checked) now, so a bad token file fails before anything is sent. */
static int resolve_creds(struct cli *c)
{
    char msg[512];
    if (skv_cli_creds_load(&c->creds, msg, sizeof msg) != 0) {
        fprintf(stderr, "sealkv: %s\n", msg);
        return EXIT_ERR;
    }
    c->http.cacert = c->creds.cacert;
    c->http.cert = c->creds.cert;
    c->http.key = c->creds.key;
    c->http.token = c->creds.token;
    return 0;
}

int main(int argc, char **argv)
{
    struct cli c = {.timeout_s = DEFAULT_TIMEOUT_S, .retry_s = DEFAULT_RETRY_S};
    const struct command *cmd;
    int rc, words;

    if (argc > 1 && strcmp(argv[1], "verify") == 0) /* offline, no endpoint */
        return skv_verify_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "cert") == 0) /* offline, no endpoint */
        return skv_cert_main(argc - 1, argv + 1);
    if ((rc = parse_args(&c, argc, argv)) != 0)
        return rc;
    if (c.help)
        return usage(stdout), finish_output();
    if (c.version)
        return printf("sealkv %s\n", PACKAGE_VERSION), finish_output();
    if (c.npos == 0)
        return usage_error("no command given");
    if (!(cmd = find_command(&c, &words)))
        return EXIT_USAGE;
    if ((rc = check_command(&c, cmd, c.npos - words)) != 0 || (rc = resolve_endpoint(&c)) != 0 ||
        (rc = resolve_creds(&c)) != 0)
        return rc;
    if (skv_cli_http_global_init() != 0) {
        skv_cli_creds_wipe(&c.creds);
        fputs("sealkv: cannot initialise libcurl\n", stderr);
        return EXIT_ERR;
    }
    rc = cmd->run(&c, c.pos + words, c.npos - words);
    skv_cli_http_global_cleanup();
    skv_cli_creds_wipe(&c.creds);
    return rc;
}
