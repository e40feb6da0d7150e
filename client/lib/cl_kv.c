/* SPDX-License-Identifier: MIT */
/*
 * cl_kv.c — owns the key calls of libsealkv-client: get (value and
 * revision headers), put and delete with their compare-and-swap query,
 * any other admin route (skv_client_request), and the clear functions of
 * their result structs.
 */
#include "lib/cl_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void skv_client_kv_clear(struct skv_client_kv *kv)
{
    if (!kv)
        return;
    free(kv->key);
    free(kv->value);
    memset(kv, 0, sizeof *kv);
}

void skv_client_write_clear(struct skv_client_write *w)
{
    if (!w)
        return;
    free(w->raw);
    memset(w, 0, sizeof *w);
}

void skv_client_answer_clear(struct skv_client_answer *a)
{
    if (!a)
        return;
    free(a->body);
    memset(a, 0, sizeof *a);
}

/* Move r's body (or an empty string) to *body and *len. 0 or -1. */
static int take_body(struct skv_cl_resp *r, char **body, size_t *len)
{
    *body = r->body ? r->body : strdup("");
    *len = r->body ? r->len : 0;
    r->body = NULL;
    r->len = r->body_cap = 0;
    return *body ? 0 : -1;
}

static int bad_key(const void *key, size_t len)
{
    return !key || len == 0;
}

enum skv_client_code skv_client_get(struct skv_client *c, const void *key, size_t key_len,
                                    unsigned flags, struct skv_client_kv *out,
                                    struct skv_client_error *err)
{
    struct skv_cl_req rq = {.method = "GET"};
    struct skv_cl_resp r;
    enum skv_client_code rc;
    char *path;
    if (out)
        memset(out, 0, sizeof *out);
    if (!c || !out || bad_key(key, key_len))
        return skv_cl_err(err, SKV_CLIENT_USAGE, "get needs a client, a key of 1+ bytes and "
                          "a result");
    if (!(path = skv_cl_kv_path(key, key_len,
                                flags & SKV_CLIENT_READ_LOCAL ? "?consistency=local" : "")))
        return skv_cl_err(err, SKV_CLIENT_LOCAL, "out of memory");
    rq.path = path;
    rc = skv_cl_call(c, &rq, &r, 1, err);
    if (rc == SKV_CLIENT_OK) {
        out->key = malloc(key_len + 1);
        if (!out->key || take_body(&r, (char **)&out->value, &out->value_len) != 0) {
            skv_client_kv_clear(out);
            rc = skv_cl_err(err, SKV_CLIENT_LOCAL, "out of memory");
        } else {
            memcpy(out->key, key, key_len);
            ((char *)out->key)[key_len] = 0;
            out->key_len = key_len;
            out->has_value = 1;
            out->has_index = r.has_rev;
            out->mod_index = r.mod_index;
            out->create_index = r.create_index;
        }
    }
    skv_cl_resp_free(&r);
    free(path);
    return rc;
}

/* The query of a condition ("" when none) into buf; -1 when the
 * condition is not one `op` takes. */
static int cond_query(const struct skv_client_cond *cond, int is_put, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!cond || cond->kind == SKV_CLIENT_COND_NONE)
        return 0;
    if (cond->kind == SKV_CLIENT_COND_PREV_INDEX && cond->prev_index <= (1ull << 62)) {
        snprintf(buf, len, "?prev_index=%llu", (unsigned long long)cond->prev_index);
        return 0;
    }
    if (is_put && (cond->kind == SKV_CLIENT_COND_EXISTS || cond->kind == SKV_CLIENT_COND_ABSENT)) {
        snprintf(buf, len, "?prev_exist=%s",
                 cond->kind == SKV_CLIENT_COND_EXISTS ? "true" : "false");
        return 0;
    }
    return -1;
}

/* PUT or DELETE of one key. */
static enum skv_client_code write_key(struct skv_client *c, const char *method, const void *key,
                                      size_t key_len, const void *value, size_t value_len,
                                      const struct skv_client_cond *cond,
                                      struct skv_client_write *out, struct skv_client_error *err)
{
    struct skv_cl_req rq = {.method = method};
    struct skv_client_write w = {0};
    struct skv_cl_resp r;
    enum skv_client_code rc;
    char q[48], *path;
    int is_put = method[0] == 'P';

    if (out)
        memset(out, 0, sizeof *out);
    if (!c || bad_key(key, key_len) || (is_put && !value && value_len))
        return skv_cl_err(err, SKV_CLIENT_USAGE, "a write needs a client and a key of 1+ bytes");
    if (cond_query(cond, is_put, q, sizeof q) != 0)
        return skv_cl_err(err, SKV_CLIENT_USAGE, "%s", is_put
                          ? "unknown condition, or prev_index above 2^62"
                          : "a delete takes prev_index (0..2^62) only");
    if (!(path = skv_cl_kv_path(key, key_len, q)))
        return skv_cl_err(err, SKV_CLIENT_LOCAL, "out of memory");
    rq.path = path;
    if (is_put) {
        rq.body = value ? value : "";
        rq.body_len = value_len;
        rq.content_type = "application/octet-stream";
    }
    rc = skv_cl_call(c, &rq, &r, 0, err);
    if (rc == SKV_CLIENT_OK && skv_cl_parse_index(r.body ? r.body : "", r.len, &w.index) != 0)
        rc = skv_cl_err(err, SKV_CLIENT_REFUSED, "unexpected answer (HTTP %ld): not the JSON object expected",
                        r.status);
    if (rc == SKV_CLIENT_OK && out && take_body(&r, &w.raw, &w.raw_len) != 0)
        rc = skv_cl_err(err, SKV_CLIENT_LOCAL, "out of memory");
    if (rc == SKV_CLIENT_OK && out)
        *out = w;
    skv_cl_resp_free(&r);
    free(path);
    return rc;
}

enum skv_client_code skv_client_put(struct skv_client *c, const void *key, size_t key_len,
                                    const void *value, size_t value_len,
                                    const struct skv_client_cond *cond,
                                    struct skv_client_write *out, struct skv_client_error *err)
{
    return write_key(c, "PUT", key, key_len, value, value_len, cond, out, err);
}

enum skv_client_code skv_client_delete(struct skv_client *c, const void *key, size_t key_len,
                                       const struct skv_client_cond *cond,
                                       struct skv_client_write *out,
                                       struct skv_client_error *err)
{
    return write_key(c, "DELETE", key, key_len, NULL, 0, cond, out, err);
}

static int known_method(const char *m)
{
    return m && (strcmp(m, "GET") == 0 || strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
                 strcmp(m, "DELETE") == 0);
}

enum skv_client_code skv_client_request(struct skv_client *c, const char *method,
                                        const char *path, const void *body, size_t body_len,
                                        const char *content_type,
                                        struct skv_client_answer *out,
                                        struct skv_client_error *err)
{
    struct skv_cl_req rq = {.method = method, .path = path, .body = body,
                            .body_len = body ? body_len : 0, .content_type = content_type};
    struct skv_cl_resp r;
    enum skv_client_code rc;
    if (out)
        memset(out, 0, sizeof *out);
    if (!c || !out || !known_method(method) || !path || path[0] != '/' ||
        strpbrk(path, " \r\n") || (content_type && strpbrk(content_type, "\r\n")))
        return skv_cl_err(err, SKV_CLIENT_USAGE, "a request needs a client, GET/POST/PUT/DELETE, "
                          "a path starting with '/' without spaces, and a result");
    rc = skv_cl_call(c, &rq, &r, 0, err);
    if (rc == SKV_CLIENT_OK) {
        out->status = r.status;
        out->endpoint = r.endpoint;
        if (take_body(&r, &out->body, &out->len) != 0)
            rc = skv_cl_err(err, SKV_CLIENT_LOCAL, "out of memory");
    }
    skv_cl_resp_free(&r);
    return rc;
}
