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

int skv_cli_json_kv(FILE *out, const struct skv_client_kv *kv)
{
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "key", b64(kv->key, kv->key_len)) != 0 ||
        json_object_set_new(o, "value", b64(kv->value ? kv->value : "", kv->value_len)) != 0 ||
        (kv->has_index &&
         (json_object_set_new(o, "mod_index", json_integer((json_int_t)kv->mod_index)) != 0 ||
          json_object_set_new(o, "create_index", json_integer((json_int_t)kv->create_index)) != 0))) {
        json_decref(o);
        return -1;
    }
    return emit(out, o);
}

json_t *skv_cli_json_entry(const struct skv_client_kv *kv)
{
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "key", b64(kv->key, kv->key_len)) != 0 ||
        (kv->has_value && json_object_set_new(o, "value", b64(kv->value, kv->value_len)) != 0) ||
        (kv->has_index &&
         json_object_set_new(o, "mod_index", json_integer((json_int_t)kv->mod_index)) != 0)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int skv_cli_json_error(FILE *out, const struct skv_client_error *e, int exit_code)
{
    json_t *o = NULL;
    const char *what;
    if (!e->no_answer && e->name && e->body)   /* the server's own error object */
        o = json_loadb(e->body, e->body_len, 0, NULL);
    if (json_is_object(o))
        return json_object_set_new(o, "exit", json_integer(exit_code)) == 0 ? emit(out, o)
                                                                            : (json_decref(o), -1);
    json_decref(o);
    what = !e->no_answer ? "unexpected_answer"
           : e->code == SKV_CLIENT_UNREACHABLE ? "unreachable" : "unknown_outcome";
    o = json_pack("{s:s, s:s, s:s?, s:i, s:i}", "error", what, "message",
                  e->no_answer ? e->detail : "the answer is not a sealkv error object",
                  "endpoint", e->endpoint, "status", (int)e->http_status, "exit", exit_code);
    return emit(out, o);
}
