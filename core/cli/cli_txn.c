/* SPDX-License-Identifier: MIT */
/*
 * cli_txn.c — `sealkv txn [FILE|-]`: POST /v1/txn with the transaction
 * JSON read from FILE (or standard input), the request shape of
 * docs/INTERFACE.md (keys and values in base64). Prints SUCCESS or
 * FAILURE (which branch ran), then one line per get of that branch: the
 * key and its value, bytes as they are, or "KEY (not found)"; --json
 * prints the server's answer. Exit 0 for either branch (a failed compare
 * is an outcome, not an error); errors as every command's.
 */
#include "cli/cli_cmds.h"
#include "cli/cli_http.h"
#include "util/buf.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int print_b64(const char *s)
{
    size_t n = s ? strlen(s) : 0, bl = 0;
    unsigned char *b = malloc(n + 1);
    int rc = -1;
    if (b && s && sodium_base642bin(b, n + 1, s, n, NULL, &bl, NULL,
                                    sodium_base64_VARIANT_ORIGINAL) == 0)
        rc = fwrite(b, 1, bl, stdout) == bl ? 0 : -1;
    free(b);
    return rc;
}

/* The answer for people; -1 when it is not the one expected. */
static int show(const char *body, size_t len)
{
    json_t *j = json_loadb(body, len, 0, NULL), *res = json_object_get(j, "results"), *e;
    size_t i;
    int rc = 0;
    if (!json_is_boolean(json_object_get(j, "succeeded")) || !json_is_array(res)) {
        json_decref(j);
        return -1;
    }
    printf("%s\n", json_is_true(json_object_get(j, "succeeded")) ? "SUCCESS" : "FAILURE");
    json_array_foreach(res, i, e) {
        const char *op = json_string_value(json_object_get(e, "op"));
        if (!op || strcmp(op, "get") != 0)
            continue;
        if (print_b64(json_string_value(json_object_get(e, "key"))) != 0)
            rc = -1;
        if (json_is_true(json_object_get(e, "found"))) {
            fputc(' ', stdout);
            if (print_b64(json_string_value(json_object_get(e, "value"))) != 0)
                rc = -1;
            fputc('\n', stdout);
        } else {
            fputs(" (not found)\n", stdout);
        }
    }
    json_decref(j);
    return rc;
}

int skv_cli_cmd_txn(const struct skv_cli *c, char **args, int nargs)
{
    struct skv_cli_req rq = {.method = "POST", .path = "/v1/txn",
                             .content_type = "application/json"};
    struct skv_cli_resp r;
    struct skv_buf buf = {0};
    const char *file = nargs > 0 ? args[0] : "-";
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    int rc;
    if (!f || skv_buf_read_file(&buf, f) != 0) {
        fprintf(stderr, "sealkv: cannot read the transaction from %s: %s\n",
                f == stdin ? "standard input" : file, strerror(errno));
        if (f && f != stdin)
            fclose(f);
        skv_buf_free(&buf);
        return SKV_CLI_EXIT_ERR;
    }
    if (f != stdin)
        fclose(f);
    rq.body = (const char *)buf.p;
    rq.body_len = buf.len;
    rc = skv_cli_send(c, &rq, &r);
    if (rc == SKV_CLI_EXIT_OK && c->json) {
        if (fwrite(r.body ? r.body : "", 1, r.len, stdout) != r.len || fputc('\n', stdout) == EOF)
            rc = SKV_CLI_EXIT_ERR;
    } else if (rc == SKV_CLI_EXIT_OK && show(r.body ? r.body : "", r.len) != 0) {
        fprintf(stderr, "sealkv: unexpected answer (HTTP %ld): not a transaction's outcome\n",
                r.status);
        rc = SKV_CLI_EXIT_ERR;
    }
    if (rc == SKV_CLI_EXIT_OK)
        rc = skv_cli_finish_output();
    else if (c->json)
        (void)skv_cli_finish_output();
    skv_cli_resp_free(&r);
    skv_buf_free(&buf);
    return rc;
}
