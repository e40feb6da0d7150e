/* SPDX-License-Identifier: MIT */
/*
 * cli_cert.c — the `sealkv cert` command line: parses and validates the
 * arguments, then creates the CA, a node or a client key + certificate
 * (see cli_cert.h). Owns nothing but argument handling and messages.
 */
#include "cli/cli_cert.h"
#include "cli/cert_file.h"
#include "cli/cert_ident.h"
#include "cli/cert_x509.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { C_OK = 0, C_ERR = 1, C_USAGE = 2 };

#define CA_DAYS 3650
#define LEAF_DAYS 825
#define MAX_DAYS 36500

struct cert_args {
    const char *dir;
    int days, force, help;
    char *pos[4]; /* subcommand and its arguments */
    int npos;
};

static void cert_usage(FILE *f)
{
    fputs("usage: sealkv cert create-ca [--dir D] [--days N] [--force]\n"
          "       sealkv cert create-node ID ADDR [--dir D] [--days N] [--force]\n"
          "       sealkv cert create-client NAME [--dir D] [--days N] [--force]\n"
          "\n"
          "  create-ca      D/ca.crt + D/ca.key: the cluster CA (default 3650 days)\n"
          "  create-node    D/node-ID.crt + .key, signed by D/ca.*: SAN URI\n"
          "                 urn:sealkv:node:ID and the IP or DNS name of ADDR (host:port,\n"
          "                 IPv6 as [::1]:7101); serverAuth+clientAuth (default 825 days)\n"
          "  create-client  D/client-NAME.crt + .key: SAN URI urn:sealkv:client:NAME,\n"
          "                 clientAuth only; NAME is [A-Za-z0-9._-]{1,64} (default 825 days)\n"
          "\n"
          "  --dir D    directory of the files (default '.'; created 0700 if missing)\n"
          "  --days N   validity in days, 1..36500\n"
          "  --force    replace existing files (otherwise they are never overwritten)\n"
          "Keys are ECDSA P-256, unencrypted PEM, mode 0600; certificates 0644.\n",
          f);
}

static int cert_usage_error(const char *what, const char *arg, const char *why)
{
    fprintf(stderr, "sealkv cert: %s%s%s%s%s\nTry 'sealkv cert --help' for more information.\n",
            what, arg ? " '" : "", arg ? arg : "", arg ? "'" : "", why ? why : "");
    return C_USAGE;
}

static int parse_days(const char *v, int *out)
{
    char *end;
    long d = strtol(v, &end, 10);
    if (end == v || *end || d < 1 || d > MAX_DAYS)
        return cert_usage_error("--days", v, ": not a number of days in 1..36500");
    *out = (int)d;
    return 0;
}

enum { OPT_FORCE = 256, OPT_DIR, OPT_DAYS };
static const struct option cert_opts[] = {
    {"force", no_argument, NULL, OPT_FORCE},
    {"help", no_argument, NULL, 'h'},
    {"dir", required_argument, NULL, OPT_DIR},
    {"days", required_argument, NULL, OPT_DAYS},
    {NULL, 0, NULL, 0},
};

/* Options anywhere (getopt_long permutes), "--" ends them; at most four
 * positionals. 0 or C_USAGE. */
static int parse_cert_args(struct cert_args *a, int argc, char **argv)
{
    char shortopt[3] = "-?";
    int ch, i, rc;

    opterr = 0;  /* our own messages */
    optind = 0;  /* full re-initialisation: skv_cert_main may run twice */
    while ((ch = getopt_long(argc, argv, ":h", cert_opts, NULL)) != -1) {
        const char *name = ch == OPT_DIR || optopt == OPT_DIR ? "--dir" : "--days";
        switch (ch) {
        case OPT_FORCE: a->force = 1; break;
        case 'h': a->help = 1; break;
        case OPT_DIR:
        case OPT_DAYS:
            if (!*optarg)
                return cert_usage_error("option", name, " needs a value");
            if (ch == OPT_DIR)
                a->dir = optarg;
            else if ((rc = parse_days(optarg, &a->days)) != 0)
                return rc;
            break;
        case ':':
            return cert_usage_error("option", name, " needs a value");
        default: /* '?' */
            if (optopt > 0 && optopt < OPT_FORCE && strncmp(argv[optind - 1], "--", 2) != 0) {
                shortopt[1] = (char)optopt;
                return cert_usage_error("unknown option", shortopt, NULL);
            }
            return cert_usage_error("unknown option", argv[optind - 1], NULL);
        }
    }
    for (i = optind; i < argc; i++) {
        if (a->npos == (int)(sizeof a->pos / sizeof a->pos[0]))
            return cert_usage_error("too many arguments", NULL, NULL);
        a->pos[a->npos++] = argv[i];
    }
    return 0;
}

/* Key + certificate per spec, signed by D/ca.* unless it is the CA,
 * saved as D/<base>.{key,crt}. */
static int issue(const struct cert_args *a, const struct skv_cert_spec *spec, const char *base)
{
    X509 *ca = NULL, *crt = NULL;
    EVP_PKEY *ca_key = NULL, *key = NULL;
    char err[1024];
    int rc = C_ERR;

    if (spec->kind != SKV_CERT_CA && skv_cert_load_ca(a->dir, &ca, &ca_key, err, sizeof err) != 0)
        goto out;
    if (!(key = skv_cert_keygen(err, sizeof err)) ||
        !(crt = skv_cert_build(spec, key, ca, ca_key, err, sizeof err)) ||
        skv_cert_save(a->dir, base, key, crt, a->force, err, sizeof err) != 0)
        goto out;
    if (printf("wrote %s/%s.crt and %s/%s.key\n", a->dir, base, a->dir, base) < 0 ||
        fflush(stdout) != 0)
        snprintf(err, sizeof err, "cannot write to standard output");
    else
        rc = C_OK;
out:
    if (rc != C_OK)
        fprintf(stderr, "sealkv cert: %s\n", err);
    X509_free(crt);
    EVP_PKEY_free(key);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    return rc;
}

static int create_ca(const struct cert_args *a)
{
    struct skv_cert_spec s = {SKV_CERT_CA, "sealkv cluster CA", NULL, a->days ? a->days : CA_DAYS};
    return issue(a, &s, "ca");
}

static int create_node(const struct cert_args *a)
{
    const char *id = a->pos[1], *why;
    char host[300], san[400], cn[64], base[64];
    struct skv_cert_spec s = {SKV_CERT_NODE, cn, san, a->days ? a->days : LEAF_DAYS};

    if ((why = skv_cert_node_id_problem(id)) != NULL) {
        snprintf(san, sizeof san, ": %s", why);
        return cert_usage_error("node id", id, san);
    }
    if ((why = skv_cert_addr_san(a->pos[2], host, sizeof host)) != NULL) {
        snprintf(san, sizeof san, ": %s", why);
        return cert_usage_error("address", a->pos[2], san);
    }
    snprintf(san, sizeof san, "URI:" SKV_CERT_NODE_URN "%s,%s", id, host);
    snprintf(cn, sizeof cn, "sealkv node %s", id);
    snprintf(base, sizeof base, "node-%s", id);
    return issue(a, &s, base);
}

static int create_client(const struct cert_args *a)
{
    const char *name = a->pos[1], *why = skv_cert_client_name_problem(name);
    char san[128], cn[128], base[128];
    struct skv_cert_spec s = {SKV_CERT_CLIENT, cn, san, a->days ? a->days : LEAF_DAYS};

    if (why) {
        snprintf(san, sizeof san, ": %s", why);
        return cert_usage_error("client name", name, san);
    }
    snprintf(san, sizeof san, "URI:" SKV_CERT_CLIENT_URN "%s", name);
    /* the CN is informational (the URI is the identity) and limited to
     * 64 characters: a long NAME is the CN by itself */
    snprintf(cn, sizeof cn, strlen(name) <= 64 - strlen("sealkv client ") ? "sealkv client %s" : "%s",
             name);
    snprintf(base, sizeof base, "client-%s", name);
    return issue(a, &s, base);
}

int skv_cert_main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int nargs;
        int (*run)(const struct cert_args *a);
    } subs[] = {{"create-ca", 0, create_ca}, {"create-node", 2, create_node},
                {"create-client", 1, create_client}};
    struct cert_args a = {.dir = "."};
    size_t i;
    int rc = parse_cert_args(&a, argc, argv);

    if (rc != 0)
        return rc;
    if (a.help)
        return cert_usage(stdout), fflush(stdout) == 0 ? C_OK : C_ERR;
    if (a.npos == 0)
        return cert_usage_error("missing subcommand (create-ca, create-node, create-client)",
                                NULL, NULL);
    for (i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (strcmp(a.pos[0], subs[i].name) != 0)
            continue;
        if (a.npos - 1 != subs[i].nargs)
            return cert_usage_error(a.npos - 1 < subs[i].nargs ? "missing arguments for"
                                                               : "too many arguments for",
                                    subs[i].name, NULL);
        return subs[i].run(&a);
    }
    return cert_usage_error("unknown subcommand", a.pos[0], NULL);
}
