/* SPDX-License-Identifier: MIT */
/*
 * cli_main.c — the sealkv command-line client: argument parsing
 * (getopt_long), usage, endpoint and credential resolution, and dispatch
 * to the commands of cli_cmds.c (DESIGN.md §6).
 * Exit codes: SKV_CLI_EXIT_* (cli_cmds.h; sealkv(1) EXIT STATUS).
 */
#include "cli/cli_cmds.h"
#include "cli/cli_cert.h"
#include "verify/verify.h"
#include "cli/cli_snapshot.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"

#define DEFAULT_ENDPOINT "http://127.0.0.1:8101"
#define DEFAULT_TIMEOUT_S 30.0
#define DEFAULT_RETRY_S 10.0
#define MAX_SECS 86400.0

static void usage(FILE *f)
{
    fputs("usage: sealkv [--endpoints URL[,URL...]] [--json] [--timeout SECS] [--retry SECS]\n"
          "              [--cacert FILE] [--cert FILE [--key FILE]] [--token-file FILE] COMMAND\n"
          "\n"
          "commands:\n"
          "  status                              node, leader, term, indexes, members, encryption\n"
          "  get KEY [--local]                   write the raw value to stdout (--local: local read)\n"
          "  txn [FILE|-]                        one atomic transaction: compares, then the success\n"
          "                                      or the failure ops (JSON from FILE or stdin; see\n"
          "                                      sealkv(1)); prints SUCCESS|FAILURE and the gets\n"
          "  ls [PREFIX] [--limit N] [--local]   the keys starting with PREFIX, one per line, in\n"
          "                                      byte order (--json: {\"kvs\",\"more\"}, base64,\n"
          "                                      with values unless --keys-only)\n"
          "  watch [PREFIX] [--from-index N]     follow the changes under PREFIX (after index N;\n"
          "                                      default: from now), one per line; reconnects\n"
          "  put KEY [VALUE|-] [--prev-index N | --prev-exist true|false]\n"
          "                                      store VALUE (omitted or '-': read stdin); prints the\n"
          "                                      index; --prev-*: only if the key's mod index is N /\n"
          "                                      it exists (true) / it is absent (false)\n"
          "  del KEY [--prev-index N]            delete KEY (only if its mod index is N); prints\n"
          "                                      the index ('delete' is the same)\n"
          "  members                             list members\n"
          "  members add ID ADDR [--standby]     add a voter (or a standby)\n"
          "  members remove ID                   remove a member\n"
          "  members promote ID                  make a standby a voter\n"
          "  encryption capability               this node's capability report\n"
          "  encryption sidecar                  this node's sidecar state\n"
          "  encryption enable-storage-envelope  phase 1: encrypt stored values\n"
          "  encryption enable-raft-envelope     phase 2: encrypt the raft log\n"
          "  encryption rotate-dek [--purpose storage|raft]\n"
          "                                      a new DEK for that purpose (default storage)\n"
          "  encryption retire KEY_ID            retire an old (not active) DEK: every node\n"
          "                                      re-seals, compacts and then drops it\n"
          "  encryption rewrap-kek NEW_KEK_FILE  this node: every DEK wrapped under the new KEK\n"
          "                                      (the node reads the file; see sealkv(1))\n"
          "  encryption rewrap-kek kek-id:ID     ... under a KEK the node holds (its HSM KEK)\n"
          "  encryption erase-cleartext          this node: re-seal old values, drop the log\n"
          "                                      below the cutover, compact the store\n"
          "  encryption seal-key-names           store keys under a keyed hash of their name,\n"
          "                                      the name sealed in the record (one-way)\n"
          "  verify --config FILE [--json] [--strict]\n"
          "                                      offline: check a stopped node's data dir\n"
          "                                      (needs the KEK; see 'sealkv verify --help')\n"
          "  snapshot save FILE                  a backup of one node's applied state (sealed\n"
          "                                      values stay sealed); see sealkv(1) BACKUP\n"
          "  snapshot restore FILE --config CONF offline: seed a new node's data dir from it\n"
          "  snapshot info FILE                  offline: check a backup and describe it\n"
          "  cert create-ca | create-node ID ADDR | create-client NAME\n"
          "                                      offline: cluster CA, node and client keys and\n"
          "                                      certificates (see 'sealkv cert --help')\n"
          "\n"
          "options:\n"
          "  --endpoints URL[,URL...]  admin endpoints, tried in order: the next one when\n"
          "                  one cannot be reached or refuses with 503 (a GET also on any\n"
          "                  failure); --endpoint is the same (default $SEALKV_ENDPOINT or\n"
          "                  " DEFAULT_ENDPOINT ")\n"
          "  --json          JSON on stdout: the server's answer as is, get as\n"
          "                  {\"key\",\"value\",\"mod_index\",\"create_index\"} (key and value\n"
          "                  in base64), errors as {\"error\",\"message\"}\n"
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
          "Exit status: 0 ok, 1 refused (nothing done), 2 usage, 3 not found,\n"
          "4 compare failed (nothing done), 5 no server reached (nothing done),\n"
          "6 outcome unknown (see sealkv(1)).\n",
          f);
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

/* Long options; each valued one's val is its index in valued_names. */
enum { OPT_ENDPOINT, OPT_TIMEOUT, OPT_RETRY, OPT_CACERT, OPT_CERT, OPT_KEY, OPT_TOKEN_FILE,
       OPT_PURPOSE, OPT_LIMIT, OPT_FROM_INDEX, OPT_PREV_INDEX, OPT_PREV_EXIST, OPT_JSON = 256,
       OPT_LOCAL, OPT_STANDBY, OPT_VERSION, OPT_KEYS_ONLY };
static const char *const valued_names[] = {"--endpoint", "--timeout", "--retry", "--cacert",
                                           "--cert", "--key", "--token-file", "--purpose",
                                           "--limit", "--from-index", "--prev-index",
                                           "--prev-exist"};
static const struct option long_opts[] = {
    {"endpoint", required_argument, NULL, OPT_ENDPOINT},
    {"endpoints", required_argument, NULL, OPT_ENDPOINT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"retry", required_argument, NULL, OPT_RETRY},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"purpose", required_argument, NULL, OPT_PURPOSE},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"from-index", required_argument, NULL, OPT_FROM_INDEX},
    {"keys-only", no_argument, NULL, OPT_KEYS_ONLY},
    {"prev-index", required_argument, NULL, OPT_PREV_INDEX},
    {"prev-exist", required_argument, NULL, OPT_PREV_EXIST},
    {"json", no_argument, NULL, OPT_JSON},
    {"local", no_argument, NULL, OPT_LOCAL},
    {"standby", no_argument, NULL, OPT_STANDBY},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* --prev-index N (decimal, 0..2^62) or --prev-exist true|false. */
static int set_cond(struct skv_cli *c, int opt, const char *v)
{
    size_t i, n = strlen(v);
    if (c->prev_index || c->prev_exist)
        return skv_cli_usage_error("give one of --prev-index and --prev-exist, once");
    if (opt == OPT_PREV_EXIST) {
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
            return skv_cli_usage_error("--prev-exist must be 'true' or 'false', got '%s'", v);
        c->prev_exist = v;
        return 0;
    }
    for (i = 0; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            break;
    if (n == 0 || i < n || n > 19 || strtoull(v, NULL, 10) > (1ull << 62))
        return skv_cli_usage_error("--prev-index must be a decimal index, got '%s'", v);
    c->prev_index = v;
    return 0;
}

/* Values of --endpoint, --timeout, --retry and the credential files. */
static int set_valued(struct skv_cli *c, int opt, const char *v)
{
    const char *name = valued_names[opt];
    const char **file = opt == OPT_CACERT       ? &c->creds.cacert
                        : opt == OPT_CERT       ? &c->creds.cert
                        : opt == OPT_KEY        ? &c->creds.key
                        : opt == OPT_TOKEN_FILE ? &c->creds.token_file
                                                : NULL;
    if (file) {
        if (!*v)
            return skv_cli_usage_error("%s needs a file name", name);
        *file = v;
        return 0;
    }
    if (opt == OPT_ENDPOINT) {
        c->endpoint = v;
        return 0;
    }
    if (opt == OPT_PREV_INDEX || opt == OPT_PREV_EXIST)
        return set_cond(c, opt, v);
    if (opt == OPT_PURPOSE) {
        if (strcmp(v, "storage") != 0 && strcmp(v, "raft") != 0)
            return skv_cli_usage_error("--purpose must be 'storage' or 'raft', got '%s'", v);
        c->purpose = v;
        return 0;
    }
    if (opt == OPT_LIMIT) {
        char *end;
        unsigned long long l = strtoull(v, &end, 10);
        if (*v < '1' || *v > '9' || *end || l > 1000000000000ull)
            return skv_cli_usage_error("--limit must be a number of keys, 1..10^12, got '%s'", v);
        c->limit = l;
        return 0;
    }
    if (opt == OPT_FROM_INDEX) {
        char *end;
        unsigned long long l = strtoull(v, &end, 10);
        if (*v < '0' || *v > '9' || *end || l > 9223372036854775807ull)
            return skv_cli_usage_error("--from-index must be an index, 0..2^63-1, got '%s'", v);
        c->from_index = l;
        c->has_from = 1;
        return 0;
    }
    if (opt == OPT_TIMEOUT && parse_secs(v, 0.001, &c->timeout_s) == 0)
        return 0;
    if (opt == OPT_RETRY && parse_secs(v, 0, &c->retry_s) == 0)
        return 0;
    return skv_cli_usage_error("%s: '%s' is not a number of seconds in [%s, %.0f]", name, v,
                               opt == OPT_RETRY ? "0" : "0.001", MAX_SECS);
}

/* Options may come anywhere (getopt_long permutes); "--" ends them.
 * Afterwards the positionals are argv[optind..]. 0, or SKV_CLI_EXIT_USAGE. */
static int parse_args(struct skv_cli *c, int argc, char **argv)
{
    int ch, rc;

    opterr = 0; /* our own messages */
    optind = 1;
    while ((ch = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
        switch (ch) {
        case OPT_JSON: c->json = 1; break;
        case OPT_LOCAL: c->local = 1; break;
        case OPT_STANDBY: c->standby = 1; break;
        case OPT_KEYS_ONLY: c->keys_only = 1; break;
        case OPT_VERSION: c->version = 1; break;
        case 'h': c->help = 1; break;
        case ':':
            if (optopt >= OPT_ENDPOINT && optopt <= OPT_PREV_EXIST)
                return skv_cli_usage_error("option '%s' needs a value", valued_names[optopt]);
            return skv_cli_usage_error("option '%s' needs a value", argv[optind - 1]);
        case '?':
            if (optopt > 0 && optopt < OPT_JSON && optopt != 'h' && argv[optind - 1][1] != '-')
                return skv_cli_usage_error("unknown option '-%c'", optopt);
            return skv_cli_usage_error("unknown option '%s'", argv[optind - 1]);
        default:
            if ((rc = set_valued(c, ch, optarg)) != 0)
                return rc;
        }
    }
    c->pos = argv + optind;
    c->npos = argc - optind;
    return 0;
}

/* ---- dispatch ----------------------------------------------------- */

/* The command the positionals name; NULL after printing a usage error. */
static const struct skv_cli_command *find_command(const struct skv_cli *c, int *words)
{
    const char *w0 = c->pos[0], *w1 = c->npos > 1 ? c->pos[1] : NULL;
    const struct skv_cli_command *plain = NULL;
    int has_subs = 0;
    size_t i;

    for (i = 0; i < skv_cli_n_commands; i++) {
        if (strcmp(skv_cli_commands[i].name, w0) != 0)
            continue;
        if (!skv_cli_commands[i].sub) {
            plain = &skv_cli_commands[i];
            continue;
        }
        has_subs = 1;
        if (w1 && strcmp(w1, skv_cli_commands[i].sub) == 0) {
            *words = 2;
            return &skv_cli_commands[i];
        }
    }
    *words = 1;
    if (has_subs && w1)
        skv_cli_usage_error("unknown %s subcommand '%s'", w0, w1);
    else if (plain)
        return plain;
    else if (has_subs)
        skv_cli_usage_error("'%s' needs a subcommand", w0);
    else
        skv_cli_usage_error("unknown command '%s'", w0);
    return NULL;
}

/* Arity and per-command flags. 0 or SKV_CLI_EXIT_USAGE. */
static int check_command(const struct skv_cli *c, const struct skv_cli_command *cmd, int nargs)
{
    const char *sub = cmd->sub ? cmd->sub : "";
    if (nargs < cmd->min_args || nargs > cmd->max_args)
        return skv_cli_usage_error("%s arguments; usage: sealkv %s%s%s%s%s",
                           nargs < cmd->min_args ? "missing" : "too many", cmd->name,
                           *sub ? " " : "", sub, *cmd->synopsis ? " " : "", cmd->synopsis);
    if (c->local && !cmd->local_ok)
        return skv_cli_usage_error("--local applies only to 'get' and 'ls'");
    if (c->standby && !cmd->standby_ok)
        return skv_cli_usage_error("--standby applies only to 'members add'");
    if (c->has_from && strcmp(cmd->name, "watch") != 0)
        return skv_cli_usage_error("--from-index applies only to 'watch'");
    if ((c->keys_only || c->limit) && strcmp(cmd->name, "ls") != 0)
        return skv_cli_usage_error("--keys-only and --limit apply only to 'ls'");
    if (c->prev_exist && strcmp(cmd->name, "put") != 0)
        return skv_cli_usage_error("--prev-exist applies only to 'put'");
    if (c->prev_index && strcmp(cmd->name, "put") != 0 && strcmp(cmd->name, "del") != 0 &&
        strcmp(cmd->name, "delete") != 0)
        return skv_cli_usage_error("--prev-index applies only to 'put' and 'del'");
    if (c->purpose && strcmp(sub, "rotate-dek") != 0)
        return skv_cli_usage_error("--purpose applies only to 'encryption rotate-dek'");
    if (cmd->takes_key && c->pos[cmd->sub ? 2 : 1][0] == '\0')
        return skv_cli_usage_error("KEY must not be empty");
    return 0;
}

/* Split the comma-separated list c->endpoint into c->eps (a copy in
 * c->ep_buf); each one an http(s) URL. 0 or SKV_CLI_EXIT_USAGE. */
static int split_endpoints(struct skv_cli *c)
{
    char *p, *save = NULL, *tok;
    if (!(c->ep_buf = strdup(c->endpoint)))
        return fputs("sealkv: out of memory\n", stderr), SKV_CLI_EXIT_ERR;
    for (p = c->ep_buf; (tok = strtok_r(p, ",", &save)); p = NULL) {
        if (c->n_eps == SKV_CLIENT_MAX_ENDPOINTS)
            return skv_cli_usage_error("more than %d endpoints", SKV_CLIENT_MAX_ENDPOINTS);
        if (strncmp(tok, "http://", 7) != 0 && strncmp(tok, "https://", 8) != 0)
            return skv_cli_usage_error("endpoint '%s' is not an http:// or https:// URL", tok);
        c->eps[c->n_eps++] = tok;
    }
    if (c->n_eps == 0)
        return skv_cli_usage_error("no endpoint in '%s'", c->endpoint);
    return 0;
}

/* --endpoint(s), else $SEALKV_ENDPOINT, else the default: a
 * comma-separated list of http(s) URLs, tried in order. */
static int resolve_endpoint(struct skv_cli *c)
{
    const char *env = getenv("SEALKV_ENDPOINT");
    if (!c->endpoint)
        c->endpoint = env && *env ? env : DEFAULT_ENDPOINT;
    return split_endpoints(c);
}

/* Credential files (flags, else $SEALKV_*) and the client: the token is
 * read (and checked) now, so a bad token file fails before anything is
 * sent. */
static int make_client(struct skv_cli *c)
{
    struct skv_client_options o;
    struct skv_client_error e;
    char msg[512];
    int rc;
    if (skv_cli_creds_load(&c->creds, msg, sizeof msg) != 0) {
        fprintf(stderr, "sealkv: %s\n", msg);
        return SKV_CLI_EXIT_ERR;
    }
    skv_client_options_init(&o);
    o.endpoints = c->eps;
    o.n_endpoints = c->n_eps;
    o.token_file = c->creds.token_file;
    o.ca_file = c->creds.cacert;
    o.cert_file = c->creds.cert;
    o.key_file = c->creds.key;
    o.timeout_ms = (long)(c->timeout_s * 1000.0 + 0.5);
    o.retry_ms = (long)(c->retry_s * 1000.0 + 0.5);
    o.max_response_bytes = (size_t)1 << 31; /* the CLI streams what it gets */
    memset(&e, 0, sizeof e);
    if (skv_client_new(&o, &c->client, &e) == SKV_CLIENT_OK)
        return 0;
    fprintf(stderr, "sealkv: %s%s\n", c->creds.token_file ? "--token-file: " : "", e.detail);
    rc = skv_cli_exit_of(e.code);
    skv_client_error_clear(&e);
    return rc == SKV_CLI_EXIT_USAGE ? SKV_CLI_EXIT_ERR : rc;
}

int main(int argc, char **argv)
{
    struct skv_cli c = {.timeout_s = DEFAULT_TIMEOUT_S, .retry_s = DEFAULT_RETRY_S};
    const struct skv_cli_command *cmd;
    int rc, words;

    if (argc > 1 && strcmp(argv[1], "verify") == 0) /* offline, no endpoint */
        return skv_verify_main(argc - 1, argv + 1);
    if (argc > 2 && strcmp(argv[1], "snapshot") == 0 && strcmp(argv[2], "save") != 0)
        return skv_cli_snapshot_main(argc - 1, argv + 1); /* offline: restore, info */
    if (argc > 1 && strcmp(argv[1], "cert") == 0) /* offline, no endpoint */
        return skv_cert_main(argc - 1, argv + 1);
    if ((rc = parse_args(&c, argc, argv)) != 0)
        return rc;
    if (c.help)
        return usage(stdout), skv_cli_finish_output();
    if (c.version)
        return printf("sealkv %s\n", PACKAGE_VERSION), skv_cli_finish_output();
    if (c.npos == 0)
        return skv_cli_usage_error("no command given");
    if (!(cmd = find_command(&c, &words)))
        return SKV_CLI_EXIT_USAGE;
    if ((rc = check_command(&c, cmd, c.npos - words)) != 0 || (rc = resolve_endpoint(&c)) != 0 ||
        (rc = make_client(&c)) != 0) {
        free(c.ep_buf);
        return rc;
    }
    if (skv_client_global_init() != 0) {
        skv_client_free(c.client);
        free(c.ep_buf);
        fputs("sealkv: cannot initialise libcurl\n", stderr);
        return SKV_CLI_EXIT_ERR;
    }
    rc = cmd->run(&c, c.pos + words, c.npos - words);
    skv_client_free(c.client); /* wipes the token */
    skv_client_global_cleanup();
    free(c.ep_buf);
    return rc;
}
