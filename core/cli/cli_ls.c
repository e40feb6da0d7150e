/* SPDX-License-Identifier: MIT */
/*
 * cli_ls.c — `sealkv ls [PREFIX] [--keys-only] [--limit N] [--local]`:
 * GET /v1/kv?prefix=..&after=.. page after page (1000 keys each) until
 * the answer says no more or --limit keys were listed. Prints the keys,
 * one per line; with --json one object {"kvs":[{"key","value","mod_index"}],
 * "more":bool} of every page, keys and values in base64 as the server
 * sends them. Each page is a linearizable read of its own, not one
 * snapshot of the whole range.
 */
#include "cli/cli_cmds.h"
#include "cli/cli_http.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LS_PAGE 1000u

struct ls_state {
    json_t *kvs;           /* every entry so far (--json) */
    unsigned char *after;  /* the last key listed, decoded */
    size_t after_len;
    unsigned long long left; /* keys still wanted; 0 = unlimited */
    int more;
};

/* "/v1/kv?prefix=..&limit=..[&after=..][&keys_only=true][&consistency=local]" */
static char *page_path(const struct skv_cli *c, const char *prefix, const struct ls_state *s,
                       unsigned limit)
{
    char *p = skv_cli_pct_encode(prefix, strlen(prefix));
    char *a = s->after ? skv_cli_pct_encode(s->after, s->after_len) : NULL;
    char *out = NULL;
    size_t n;
    if (p && (a || !s->after)) {
        n = strlen(p) + (a ? strlen(a) : 0) + 128;
        if ((out = malloc(n)))
            snprintf(out, n, "/v1/kv?prefix=%s&limit=%u%s%s%s%s", p, limit, a ? "&after=" : "",
                     a ? a : "", c->keys_only || !c->json ? "&keys_only=true" : "",
                     c->local ? "&consistency=local" : "");
    }
    free(p);
    free(a);
    return out;
}

/* Print (or collect) one page's entries; remember the last key. 0 or -1. */
static int take_page(const struct skv_cli *c, struct ls_state *s, json_t *page)
{
    json_t *kvs = json_object_get(page, "kvs"), *e;
    size_t i;
    if (!json_is_array(kvs) || !json_is_boolean(json_object_get(page, "more")))
        return -1;
    s->more = json_is_true(json_object_get(page, "more"));
    json_array_foreach(kvs, i, e) {
        const char *k = json_string_value(json_object_get(e, "key"));
        size_t kl = k ? strlen(k) : 0, bl;
        unsigned char *bin = malloc(kl + 1);
        if (!bin || !k || sodium_base642bin(bin, kl + 1, k, kl, NULL, &bl, NULL,
                                            sodium_base64_VARIANT_ORIGINAL) != 0) {
            free(bin);
            return -1;
        }
        free(s->after);
        s->after = bin;
        s->after_len = bl;
        if (c->json ? json_array_append(s->kvs, e) != 0
                    : (fwrite(bin, 1, bl, stdout), fputc('\n', stdout) == EOF))
            return -1;
        if (s->left && --s->left == 0) {
            s->more = s->more || i + 1 < json_array_size(kvs);
            break;
        }
    }
    return 0;
}

/* One page: SKV_CLI_EXIT_OK, or an exit status after the error was shown. */
static int ls_page(const struct skv_cli *c, const char *prefix, struct ls_state *s)
{
    unsigned limit = s->left && s->left < LS_PAGE ? (unsigned)s->left : LS_PAGE;
    char *path = page_path(c, prefix, s, limit);
    struct skv_cli_req rq = {.method = "GET", .path = path};
    struct skv_cli_resp r;
    json_t *page;
    int rc;
    if (!path) {
        fputs("sealkv: out of memory\n", stderr);
        return SKV_CLI_EXIT_ERR;
    }
    rc = skv_cli_send(c, &rq, &r);
    free(path);
    if (rc == SKV_CLI_EXIT_OK) {
        page = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
        if (!page || take_page(c, s, page) != 0) {
            fprintf(stderr, "sealkv: unexpected answer (HTTP %ld): not the listing expected\n",
                    r.status);
            rc = SKV_CLI_EXIT_ERR;
        }
        json_decref(page);
    }
    skv_cli_resp_free(&r);
    return rc;
}

int skv_cli_cmd_ls(const struct skv_cli *c, char **args, int nargs)
{
    struct ls_state s;
    const char *prefix = nargs > 0 ? args[0] : "";
    int rc;
    memset(&s, 0, sizeof s);
    s.left = c->limit;
    if (!(s.kvs = json_array())) {
        fputs("sealkv: out of memory\n", stderr);
        return SKV_CLI_EXIT_ERR;
    }
    do
        rc = ls_page(c, prefix, &s);
    while (rc == SKV_CLI_EXIT_OK && s.more && !(c->limit && s.left == 0));
    if (rc == SKV_CLI_EXIT_OK && c->json) {
        json_t *o = json_pack("{s:O,s:b}", "kvs", s.kvs, "more", s.more);
        if (!o || json_dumpf(o, stdout, JSON_COMPACT) != 0 || fputc('\n', stdout) == EOF)
            rc = SKV_CLI_EXIT_ERR;
        json_decref(o);
    }
    if (rc == SKV_CLI_EXIT_OK)
        rc = skv_cli_finish_output();
    else if (c->json)
        (void)skv_cli_finish_output(); /* the error object send printed */
    json_decref(s.kvs);
    free(s.after);
    return rc;
}
