/* SPDX-License-Identifier: MIT */
/*
 * sealkvd.c — the daemon's entry point: command-line parsing, then either
 * --check-config (every start-up check that writes nothing, exit 0/1) or
 * running the node. A refusal (config, checks, node start) is one logfmt
 * line, component=sealkvd, like every later log line; command-line usage
 * errors are plain text beside the usage.
 */
#include "config/config.h"
#include "util/log.h"
#include "node/node.h"
#include "node/preflight.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"

/* A start-up refusal, before the node's logging exists. */
static void refuse(const char *msg)
{
    skv_log(SKV_LOG_ERROR, SKV_LOG_DEBUG, "sealkvd", "%s", msg);
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: sealkvd --config FILE [--init] [--check-config]\n"
            "       sealkvd --version | --help\n\n"
            "  -c, --config FILE    YAML configuration (see sealkvd(8), conf/sealkv.yaml)\n"
            "      --check-config   run every start-up check (config, plugins and their\n"
            "                       options, KEK, cipher suite, sidecar, data_dir), then\n"
            "                       exit 0 (would start) or 1; writes nothing to data_dir\n"
            "      --init           this is a new node: create its store even though\n"
            "                       data_dir exists (refused if already initialised);\n"
            "                       without it an existing data_dir must hold the store\n"
            "  -V, --version        print version and plugin ABI, then exit\n"
            "  -h, --help           this text\n\n"
            "Environment: SEALKV_PLUGIN_PATH (colon list, searched before plugins.path\n"
            "and %s)\n", SKV_PLUGINDIR);
}

/* Run every start-up check that writes nothing (preflight.c: the same
 * functions start-up runs), report, unload. Returns the exit status. */
static int check_config(const char *path, int init)
{
    struct skv_config c;
    char msg[SKV_CONF_ERR_MAX], summary[1024];

    if (skv_config_load(path, &c, msg, sizeof msg) != 0) {
        refuse(msg);
        return 1;
    }
    c.init_store = init;
    if (skv_preflight(&c, summary, sizeof summary, msg, sizeof msg) != 0) {
        refuse(msg);
        skv_config_free(&c);
        return 1;
    }
    printf("%s: OK (node %llu, %s)\n", path, (unsigned long long)c.node_id, summary);
    skv_config_free(&c);
    return 0;
}

/* Open the node, run until signalled or halted, close. */
static int run(const char *path, int init)
{
    struct skv_config c;
    struct skv_node *n;
    char msg[SKV_CONF_ERR_MAX];
    int code;

    if (skv_config_load(path, &c, msg, sizeof msg) != 0) {
        refuse(msg);
        return 1;
    }
    c.init_store = init;
    n = calloc(1, sizeof *n);
    if (!n) {
        skv_config_free(&c);
        return 1;
    }
    if (skv_node_open(n, &c, msg, sizeof msg) != 0) {
        refuse(msg);
        skv_node_close(n);
        free(n);
        skv_config_free(&c);
        return 1;
    }
    code = skv_node_run(n);
    skv_node_close(n);
    free(n);
    skv_config_free(&c);
    return code;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, 'k'},
        {"init", no_argument, NULL, 'i'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *conf = NULL;
    int check = 0, init = 0, ch;

    while ((ch = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': conf = optarg; break;
        case 'k': check = 1; break;
        case 'i': init = 1; break;
        case 'V':
            printf("sealkvd %s (plugin ABI %d.%d)%s\n", PACKAGE_VERSION,
                   SKV_ABI_MAJOR, SKV_ABI_MINOR,
#ifdef SKV_TEST_HOOKS
                   " [test hooks compiled in: not for production]"
#else
                   ""
#endif
            );
            return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sealkvd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (!conf) {
        fprintf(stderr, "sealkvd: --config FILE is required\n");
        usage(stderr);
        return 2;
    }
    if (check)
        return check_config(conf, init);
    return run(conf, init);
}
