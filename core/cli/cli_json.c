/* SPDX-License-Identifier: MIT */
/*
 * cli_json.c — `sealkv --json` output for get and for failures
 * (cli_json.h).
 */
#include "cli/cli_json.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>

/* A base64 JSON string of the bytes, or NULL when out of memory. */
static json_t *b64(const void *p, size_t len)
{
    size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc(n);
    json_t *j;
    if (!s)
        return NULL;
    sodium_bin2base64(s, n, p, len, sodium_base64_VARIANT_ORIGINAL);
    j = json_string(s);
    free(s);
    return j;
}

/* Print o (stolen) as one compact line. */
static int emit(FILE *out, json_t *o)
{
    int rc = -1;
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (s && fprintf(out, "%s\n", s) >= 0)
        rc = 0;
    free(s);
    json_decref(o);
    return rc;
}

int skv_cli_json_kv(FILE *out, const void *key, size_t key_len, const void *val, size_t val_len,
                    const struct skv_cli_resp *r)
{
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "key", b64(key, key_len)) != 0 ||
        json_object_set_new(o, "value", b64(val ? val : "", val_len)) != 0 ||
        (r->has_rev &&
         (json_object_set_new(o, "mod_index", json_integer((json_int_t)r->mod_index)) != 0 ||
          json_object_set_new(o, "create_index", json_integer((json_int_t)r->create_index)) != 0))) {
        json_decref(o);
        return -1;
    }
    return emit(out, o);
}

int skv_cli_json_error(FILE *out, const struct skv_cli_resp *r, int exit_code)
{
    json_t *o = NULL;
    const char *what;
    if (!r->conn_failed && r->error && r->body)   /* the server's own error object */
        o = json_loadb(r->body, r->len, 0, NULL);
    if (json_is_object(o))
        return json_object_set_new(o, "exit", json_integer(exit_code)) == 0 ? emit(out, o)
                                                                            : (json_decref(o), -1);
    json_decref(o);
    what = !r->conn_failed ? "unexpected_answer" : r->conn_unsent ? "unreachable" : "unknown_outcome";
    o = json_pack("{s:s, s:s, s:s?, s:i, s:i}", "error", what, "message",
                  r->conn_failed ? r->conn_msg : "the answer is not a sealkv error object",
                  "endpoint", r->endpoint, "status", (int)r->status, "exit", exit_code);
    return emit(out, o);
}
