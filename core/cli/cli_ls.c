/* SPDX-License-Identifier: MIT */
/*
 * cli_ls.c — `sealkv ls [PREFIX] [--keys-only] [--limit N] [--local]`:
 * skv_client_list (GET /v1/kv?prefix=..&after=..) page after page (1000
 * keys each) until the answer says no more or --limit keys were listed. Prints the keys,
 * one per line; with --json one object {"kvs":[{"key","value","mod_index"}],
 * "more":bool} of every page, keys and values in base64 as the server
 * sends them. Each page is a linearizable read of its own, not one
 * snapshot of the whole range.
 */
#include "cli/cli_cmds.h"
#include "cli/cli_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LS_PAGE 1000u

struct ls_state {
    json_t *kvs;           /* every entry so far (--json) */
    void *after;           /* the last key listed */
    size_t after_len;
    unsigned long long left; /* keys still wanted; 0 = unlimited */
    int more;
};

/* Print (or collect) one page's entries; remember the last key. 0 or -1. */
static int take_page(const struct skv_cli *c, struct ls_state *s, struct skv_client_list *page)
{
    struct skv_client_kv *last = NULL;
    size_t i;
    int rc = 0;
    if (page->n == 0 && page->more) /* would ask for the same page forever */
        return fputs("sealkv: unexpected answer: no key, but more announced\n", stderr), -1;
    s->more = page->more;
    for (i = 0; i < page->n && rc == 0; i++) {
        last = &page->kvs[i];
        if (c->json) {
            if (json_array_append_new(s->kvs, skv_cli_json_entry(last)) != 0)
                rc = (fputs("sealkv: out of memory\n", stderr), -1);
        } else {
            (void)fwrite(last->key, 1, last->key_len, stdout); /* checked at the flush */
            (void)fputc('\n', stdout);
        }
        if (s->left && --s->left == 0) {
            s->more = s->more || i + 1 < page->n;
            break;
        }
    }
    if (last) { /* the next page starts after it: take the key over */
        free(s->after);
        s->after = last->key;
        s->after_len = last->key_len;
        last->key = NULL;
        last->key_len = 0;
    }
    return rc;
}

/* One page: SKV_CLI_EXIT_OK, or an exit status after the error was shown. */
static int ls_page(const struct skv_cli *c, const char *prefix, struct ls_state *s)
{
    struct skv_client_list_req rq = {
        .prefix = prefix, .prefix_len = strlen(prefix), .after = s->after,
        .after_len = s->after_len,
        .limit = s->left && s->left < LS_PAGE ? (unsigned)s->left : LS_PAGE,
        .keys_only = c->keys_only || !c->json, .flags = c->local ? SKV_CLIENT_READ_LOCAL : 0};
    struct skv_client_list page;
    struct skv_client_error e;
    int rc = SKV_CLI_EXIT_OK;
    memset(&e, 0, sizeof e);
    if (skv_client_list(c->client, &rq, &page, &e) != SKV_CLIENT_OK)
        rc = skv_cli_fail(c, &e, 0);
    else if (take_page(c, s, &page) != 0)
        rc = SKV_CLI_EXIT_ERR;
    skv_client_list_clear(&page);
    skv_client_error_clear(&e);
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
