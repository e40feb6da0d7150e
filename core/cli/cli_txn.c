/* SPDX-License-Identifier: MIT */
/*
 * cli_txn.c — `sealkv txn [FILE|-]`: skv_client_txn_json (POST /v1/txn)
 * with the transaction JSON read from FILE (or standard input), the
 * request shape of
 * docs/INTERFACE.md (keys and values in base64). Prints SUCCESS or
 * FAILURE (which branch ran), then one line per get of that branch: the
 * key and its value, bytes as they are, or "KEY (not found)"; --json
 * prints the server's answer. Exit 0 for either branch (a failed compare
 * is an outcome, not an error); errors as every command's.
 */
#include "cli/cli_cmds.h"
#include "util/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The outcome for people: the branch, then each get of it. */
static void show(const struct skv_client_txn_result *t)
{
    size_t i;
    printf("%s\n", t->succeeded ? "SUCCESS" : "FAILURE");
    for (i = 0; i < t->n_results; i++) {
        const struct skv_client_txn_op *op = &t->results[i];
        if (op->kind != SKV_CLIENT_OP_GET)
            continue;
        (void)fwrite(op->kv.key, 1, op->kv.key_len, stdout); /* checked at the flush */
        if (op->found) {
            fputc(' ', stdout);
            (void)fwrite(op->kv.value, 1, op->kv.value_len, stdout);
            fputc('\n', stdout);
        } else {
            fputs(" (not found)\n", stdout);
        }
    }
}

/* The transaction's JSON from FILE or stdin into buf; exit status. */
static int read_txn(const char *file, struct skv_buf *buf)
{
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (!f || skv_buf_read_file(buf, f) != 0) {
        fprintf(stderr, "sealkv: cannot read the transaction from %s: %s\n",
                f == stdin ? "standard input" : file, strerror(errno));
        if (f && f != stdin)
            fclose(f);
        return SKV_CLI_EXIT_ERR;
    }
    if (f != stdin)
        fclose(f);
    return SKV_CLI_EXIT_OK;
}

int skv_cli_cmd_txn(const struct skv_cli *c, char **args, int nargs)
{
    struct skv_client_txn_result t;
    struct skv_client_error e;
    struct skv_buf buf = {0};
    int rc = read_txn(nargs > 0 ? args[0] : "-", &buf);
    if (rc != SKV_CLI_EXIT_OK) {
        skv_buf_free(&buf);
        return rc;
    }
    memset(&e, 0, sizeof e);
    if (skv_client_txn_json(c->client, (const char *)buf.p, buf.len, &t, &e) != SKV_CLIENT_OK) {
        rc = skv_cli_fail(c, &e, 0);
    } else if (c->json) {
        if (fwrite(t.raw, 1, t.raw_len, stdout) != t.raw_len || fputc('\n', stdout) == EOF)
            rc = SKV_CLI_EXIT_ERR;
    } else {
        show(&t);
    }
    if (rc == SKV_CLI_EXIT_OK)
        rc = skv_cli_finish_output();
    else if (c->json)
        (void)skv_cli_finish_output();
    skv_client_txn_result_clear(&t);
    skv_client_error_clear(&e);
    skv_buf_free(&buf);
    return rc;
}
