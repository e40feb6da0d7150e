/* SPDX-License-Identifier: MIT */
/*
 * plugin_check.c — main() of sealkv-plugin-check: parses
 * `KIND FILE.so [--option key=value ...]`, runs the descriptor checks and
 * the kind's conformance checks, prints one line per failure and exits 0
 * (all passed), 1 (a check failed) or 2 (usage).
 */
#include "check.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct kind_def {
    const char *name;
    uint32_t kind;
    void (*run)(struct chk *c, void *state);
};

static const struct kind_def kinds[] = {
    {"cipher", SKV_KIND_CIPHER, chk_cipher},
    {"storage", SKV_KIND_STORAGE, chk_storage},
    {"transport", SKV_KIND_TRANSPORT, chk_transport},
    {"admin", SKV_KIND_ADMIN, chk_admin},
};

static void vline(const char *tag, struct chk *c, const char *fmt, va_list ap)
{
    printf("%s: %s-check: ", tag, c->kind);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
}

void chk_fail(struct chk *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline("FAIL", c, fmt, ap);
    va_end(ap);
    c->failures++;
}

void chk_ok(struct chk *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline("ok", c, fmt, ap);
    va_end(ap);
}

int chk_expect(struct chk *c, int cond, const char *fmt, ...)
{
    va_list ap;
    if (cond)
        return 1;
    va_start(ap, fmt);
    vline("FAIL", c, fmt, ap);
    va_end(ap);
    c->failures++;
    return 0;
}

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: sealkv-plugin-check KIND FILE.so [--option KEY=VALUE ...]\n"
               "  KIND: cipher, storage, transport or admin\n"
               "  --option KEY=VALUE  an entry of the plugin's options (repeatable)\n"
               "  --help              this text\n"
               "Exit: 0 all checks passed, 1 a check failed (one FAIL line each), "
               "2 usage.\n");
    return rc;
}

static int parse_args(struct chk *c, int argc, char **argv)
{
    static const struct option longs[] = {
        {"option", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        if (ch == 'h')
            return usage(stdout, 0), -1;
        if (ch != 'o')
            return usage(stderr, 2), 2;
        if (chk_opt_add(c, optarg) != 0) {
            fprintf(stderr, "sealkv-plugin-check: --option %s: expected KEY=VALUE "
                            "(at most %d)\n", optarg, CHK_MAX_OPTS);
            return 2;
        }
    }
    if (argc - optind != 2)
        return usage(stderr, 2), 2;
    c->kind = argv[optind];
    c->file = argv[optind + 1];
    return 0;
}

static const struct kind_def *find_kind(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

int main(int argc, char **argv)
{
    struct chk c;
    const struct kind_def *k;
    void *state = NULL;
    int rc;

    memset(&c, 0, sizeof c);
    c.kind = "plugin";
    if ((rc = parse_args(&c, argc, argv)) != 0)
        return rc < 0 ? 0 : rc;
    if (!(k = find_kind(c.kind))) {
        fprintf(stderr, "sealkv-plugin-check: unknown kind '%s'\n", c.kind);
        return usage(stderr, 2);
    }
    chk_host_init(&c);
    chk_exports(&c);
    if (chk_load(&c, k->kind) == 0 && chk_plugin_init(&c, &state) == 0) {
        k->run(&c, state);
        c.desc->fini(state);
    }
    chk_unload(&c);
    if (c.failures) {
        printf("%s: %u check(s) failed\n", c.file, c.failures);
        return 1;
    }
    printf("%s: all %s checks passed\n", c.file, c.kind);
    return 0;
}
