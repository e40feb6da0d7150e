/* SPDX-License-Identifier: MIT */
/*
 * cl_codec.c — owns libsealkv-client's byte codecs: percent-encoding of
 * keys into URLs, base64 both ways, and the parsers of the server's JSON
 * answers (index, listing page, transaction outcome, watch line) into
 * the public structs. Every parser takes hostile bytes: it checks each
 * member's type and range and fails (-1) rather than guess;
 * tests/fuzz/fuzz_client.c drives them.
 */
#include "lib/cl_int.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *skv_client_pct_encode(const void *in, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = in;
    char *out, *o;
    size_t i;

    if (len > (SIZE_MAX - 1) / 3 || (!in && len))
        return NULL;
    out = malloc(len * 3 + 1);
    if (!out)
        return NULL;
    o = out;
    for (i = 0; i < len; i++) {
        unsigned char c = p[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

char *skv_cl_kv_path(const void *key, size_t len, const char *suffix)
{
    char *enc = skv_client_pct_encode(key, len), *p = NULL;
    size_t n;
    if (enc) {
        n = strlen("/v1/kv/") + strlen(enc) + strlen(suffix) + 1;
        if ((p = malloc(n)))
            snprintf(p, n, "/v1/kv/%s%s", enc, suffix);
    }
    free(enc);
    return p;
}

char *skv_cl_b64(const void *p, size_t n)
{
    size_t len;
    char *s;
    if (n > (SIZE_MAX / 4) * 3 - 3)
        return NULL;
    len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    if (!(s = malloc(len)))
        return NULL;
    sodium_bin2base64(s, len, n ? p : (const void *)"", n, sodium_base64_VARIANT_ORIGINAL);
    return s;
}

int skv_cl_unb64(const char *s, void **out, size_t *len)
{
    size_t n = s ? strlen(s) : 0, bl = 0;
    unsigned char *b;
    const char *end = NULL;
    *out = NULL;
    *len = 0;
    if (!s || !(b = malloc(n + 1)))
        return -1;
    if (sodium_base642bin(b, n + 1, s, n, NULL, &bl, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != s + n) {
        free(b);
        return -1;
    }
    b[bl] = 0;
    *out = b;
    *len = bl;
    return 0;
}

/* A JSON integer 0..INT64_MAX into *v: 0 or -1. */
static int take_u64(json_t *j, uint64_t *v)
{
    if (!json_is_integer(j) || json_integer_value(j) < 0)
        return -1;
    *v = (uint64_t)json_integer_value(j);
    return 0;
}

int skv_cl_parse_index(const char *body, size_t len, uint64_t *index)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    int rc = json_is_object(j) ? take_u64(json_object_get(j, "index"), index) : -1;
    json_decref(j);
    return rc;
}

/* {"key":B64[,"value":B64][,"mod_index":N][,"create_index":N]} into kv. */
static int take_kv(json_t *e, struct skv_client_kv *kv)
{
    json_t *v = json_object_get(e, "value"), *m = json_object_get(e, "mod_index"),
           *ci = json_object_get(e, "create_index");
    if (!json_is_object(e) ||
        skv_cl_unb64(json_string_value(json_object_get(e, "key")), &kv->key, &kv->key_len))
        return -1;
    if (v && skv_cl_unb64(json_string_value(v), &kv->value, &kv->value_len) != 0)
        return -1;
    kv->has_value = v != NULL;
    if (m && take_u64(m, &kv->mod_index) != 0)
        return -1;
    if (ci && take_u64(ci, &kv->create_index) != 0)
        return -1;
    kv->has_index = m != NULL;
    return 0;
}

static int list_entries(json_t *kvs, struct skv_client_list *out)
{
    size_t i, n = json_array_size(kvs);
    json_t *e;
    if (n && !(out->kvs = calloc(n, sizeof *out->kvs)))
        return -1;
    json_array_foreach(kvs, i, e) {
        out->n = i + 1;
        if (take_kv(e, &out->kvs[i]) != 0)
            return -1;
    }
    return 0;
}

int skv_cl_parse_list(const char *body, size_t len, struct skv_client_list *out)
{
    json_t *j = json_loadb(body, len, 0, NULL), *kvs = json_object_get(j, "kvs"),
           *more = json_object_get(j, "more");
    int rc = -1;
    if (json_is_array(kvs) && json_is_boolean(more)) {
        out->more = json_is_true(more);
        rc = list_entries(kvs, out);
    }
    json_decref(j);
    return rc;
}

/* One result of a transaction's branch. */
static int take_txn_op(json_t *e, struct skv_client_txn_op *op)
{
    const char *name = json_string_value(json_object_get(e, "op"));
    json_t *found = json_object_get(e, "found");
    if (!name)
        return -1;
    if (strcmp(name, "put") == 0 || strcmp(name, "delete") == 0) {
        op->kind = name[0] == 'p' ? SKV_CLIENT_OP_PUT : SKV_CLIENT_OP_DELETE;
        return 0;
    }
    if (strcmp(name, "get") != 0 || !json_is_boolean(found))
        return -1;
    op->kind = SKV_CLIENT_OP_GET;
    op->found = json_is_true(found);
    if (take_kv(e, &op->kv) != 0 || (op->found && !op->kv.has_value))
        return -1;
    op->kv.has_index = op->found && op->kv.has_index;
    return 0;
}

int skv_cl_parse_txn(const char *body, size_t len, struct skv_client_txn_result *out)
{
    json_t *j = json_loadb(body, len, 0, NULL), *res = json_object_get(j, "results"), *e;
    json_t *ok = json_object_get(j, "succeeded");
    size_t i, n = json_array_size(res);
    int rc = -1;
    if (!json_is_boolean(ok) || !json_is_array(res) ||
        take_u64(json_object_get(j, "index"), &out->index) != 0)
        goto done;
    out->succeeded = json_is_true(ok);
    if (n && !(out->results = calloc(n, sizeof *out->results)))
        goto done;
    json_array_foreach(res, i, e) {
        out->n_results = i + 1;
        if (take_txn_op(e, &out->results[i]) != 0)
            goto done;
    }
    rc = 0;
done:
    json_decref(j);
    return rc;
}

void skv_cl_line_clear(struct skv_cl_line *l)
{
    skv_client_kv_clear(&l->kv);
    free(l->name);
    free(l->message);
    memset(l, 0, sizeof *l);
}

/* {"index":I,"type":"put"|"delete","key":B64[,"value":B64]} */
static int take_event(json_t *j, struct skv_cl_line *out)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    if (take_u64(json_object_get(j, "index"), &out->ev.index) != 0 || !type ||
        (strcmp(type, "put") != 0 && strcmp(type, "delete") != 0) ||
        take_kv(j, &out->kv) != 0 || (type[0] == 'p') != out->kv.has_value)
        return -1;
    out->kind = SKV_CL_LINE_EVENT;
    out->ev.kind = type[0] == 'p' ? SKV_CLIENT_EV_PUT : SKV_CLIENT_EV_DELETE;
    out->ev.key = out->kv.key;
    out->ev.key_len = out->kv.key_len;
    out->ev.value = out->kv.value;
    out->ev.value_len = out->kv.value_len;
    return 0;
}

int skv_cl_parse_line(const char *line, size_t len, struct skv_cl_line *out)
{
    json_t *j = json_loadb(line, len, 0, NULL), *v;
    int rc = 0;
    memset(out, 0, sizeof *out);
    if (!json_is_object(j)) {
        rc = -1;
    } else if ((v = json_object_get(j, "error"))) {
        const char *m = json_string_value(json_object_get(j, "message"));
        out->kind = SKV_CL_LINE_ERROR;
        out->name = json_is_string(v) ? strdup(json_string_value(v)) : NULL;
        out->message = m ? strdup(m) : NULL;
    } else if ((v = json_object_get(j, "progress_index"))) {
        out->kind = SKV_CL_LINE_PROGRESS;
        out->ev.kind = SKV_CLIENT_EV_PROGRESS;
        rc = take_u64(v, &out->ev.index);
    } else if (json_object_get(j, "index")) {
        rc = take_event(j, out);
    } else {
        out->kind = SKV_CL_LINE_OTHER;
    }
    out->ev.line = line;
    out->ev.line_len = len;
    json_decref(j);
    if (rc != 0)
        skv_cl_line_clear(out);
    return rc;
}
