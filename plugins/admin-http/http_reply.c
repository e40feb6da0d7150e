/* SPDX-License-Identifier: MIT */
/*
 * http_reply.c — owns response building: JSON encoding of errors with
 * jansson (invalid UTF-8 in a message is replaced, never sent raw),
 * content types, Retry-After and Allow headers, and the mapping of the
 * core's answer onto an HTTP status (an error answer's JSON object adds
 * its fields beside "error" and "message").
 */
#include "http_reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

const char *skv_http_rc_name(int rc)
{
    static const enum skv_http_err by_rc[SKV_RC_COUNT_] = {
        [SKV_ERR_INVALID] = SKV_HTTP_ErrInvalid,
        [SKV_ERR_NOMEM] = SKV_HTTP_ErrNoMemory,
        [SKV_ERR_NOTFOUND] = SKV_HTTP_ErrNotFound,
        [SKV_ERR_IO] = SKV_HTTP_ErrIO,
        [SKV_ERR_CORRUPT] = SKV_HTTP_ErrCorrupt,
        [SKV_ERR_BUSY] = SKV_HTTP_ErrBusy,
        [SKV_ERR_UNSUPPORTED] = SKV_HTTP_ErrUnsupported,
        [SKV_ERR_INTEGRITY] = SKV_HTTP_ErrIntegrity,
        [SKV_ERR_FULL] = SKV_HTTP_ErrFull,
        [SKV_ERR_CLOSED] = SKV_HTTP_ErrClosed,
        [SKV_ERR_TOOBIG] = SKV_HTTP_ErrTooBig,
        [SKV_ERR_AGAIN] = SKV_HTTP_ErrAgain,
        [SKV_ERR_CONFIG] = SKV_HTTP_ErrConfig,
        [SKV_ERR_INTERNAL] = SKV_HTTP_ErrInternal};
    if (rc <= 0 || rc >= SKV_RC_COUNT_) /* SKV_OK: never an error */
        rc = SKV_ERR_INTERNAL;
    return skv_http_err_info(by_rc[rc])->name;
}

const struct skv_http_err_info *skv_http_err_info(enum skv_http_err id)
{
#define SKV_HTTP_X_INFO(name, status, retry) {#name, status, retry},
    static const struct skv_http_err_info info[SKV_HTTP_ERR_COUNT_] = {
        SKV_HTTP_ERRORS(SKV_HTTP_X_INFO)};
#undef SKV_HTTP_X_INFO
    if ((int)id < 0 || id >= SKV_HTTP_ERR_COUNT_)
        id = SKV_HTTP_ErrInternal;
    return &info[id];
}

struct skv_http_error skv_http_error_of(enum skv_http_err id, const char *message)
{
    const struct skv_http_err_info *i = skv_http_err_info(id);
    struct skv_http_error e = {i->status, i->name, message, i->retry_after_s,
                               NULL, NULL};
    return e;
}

/* json_string() refuses invalid UTF-8: fall back to an ASCII copy. */
static json_t *safe_string(const char *s)
{
    json_t *j = json_string(s);
    char *copy;
    size_t i;
    if (j)
        return j;
    copy = strdup(s);
    if (!copy)
        return NULL;
    for (i = 0; copy[i]; i++)
        if ((unsigned char)copy[i] >= 0x80 || (unsigned char)copy[i] < 0x20)
            copy[i] = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

/* The fields of the core's JSON object `extra` (if any) beside error and
 * message, which always win (ErrNotReady's reason, for instance). */
static void add_extra(json_t *o, const char *extra)
{
    json_t *x = extra ? json_loads(extra, JSON_REJECT_DUPLICATES, NULL) : NULL;
    const char *k;
    json_t *v;
    if (json_is_object(x))
        json_object_foreach(x, k, v)
            if (strcmp(k, "error") != 0 && strcmp(k, "message") != 0)
                json_object_set(o, k, v);
    json_decref(x);
}

static char *error_json(const char *name, const char *message, const char *extra)
{
    json_t *o = json_object();
    char *text = NULL;
    if (o && json_object_set_new(o, "error", safe_string(name)) == 0 &&
        json_object_set_new(o, "message", safe_string(message)) == 0) {
        add_extra(o, extra);
        text = json_dumps(o, JSON_COMPACT);
    }
    json_decref(o);
    return text;
}

static int add_retry_after(struct MHD_Response *r, int secs)
{
    char v[24];
    if (secs <= 0)
        return 1;
    snprintf(v, sizeof v, "%d", secs);
    return MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, v) ==
           MHD_YES;
}

static int add_opt(struct MHD_Response *r, const char *name,
                   const char *value)
{
    return !value || MHD_add_response_header(r, name, value) == MHD_YES;
}

/* Queue `r` (consumed) with status; MHD_NO when anything failed. */
static enum MHD_Result queue(struct MHD_Connection *c, unsigned status,
                             struct MHD_Response *r, const char *ctype,
                             int retry_after_s, const char *allow,
                             const char *www_auth)
{
    enum MHD_Result ok = MHD_NO;
    if (!r)
        return MHD_NO;
    if (add_opt(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) &&
        add_retry_after(r, retry_after_s) &&
        add_opt(r, MHD_HTTP_HEADER_ALLOW, allow) &&
        add_opt(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, www_auth))
        ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static struct MHD_Response *from_copy(const void *data, size_t len)
{
    return MHD_create_response_from_buffer(len, (void *)data,
                                           MHD_RESPMEM_MUST_COPY);
}

/* Hand a malloc'd buffer to MHD; *buf is NULL afterwards either way. */
static struct MHD_Response *from_owned(char **buf, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, *buf, MHD_RESPMEM_MUST_FREE);
    if (!r)
        free(*buf);
    *buf = NULL;
    return r;
}

enum MHD_Result skv_http_reply_error(struct MHD_Connection *c,
                                     const struct skv_http_error *e)
{
    return skv_http_reply_error_extra(c, e, NULL);
}

enum MHD_Result skv_http_reply_error_extra(struct MHD_Connection *c,
                                           const struct skv_http_error *e,
                                           const char *extra)
{
    char *text = error_json(e->name ? e->name : skv_http_err_info(SKV_HTTP_ErrInternal)->name,
                            e->message ? e->message : "", extra);
    if (!text)
        return MHD_NO;
    return queue(c, e->status, from_owned(&text, strlen(text)),
                 "application/json", e->retry_after_s, e->allow,
                 e->www_auth);
}

/* A key's read: the revision headers (r is consumed on failure: NULL). */
static struct MHD_Response *with_rev(struct MHD_Response *r, const struct skv_http_answer *a)
{
    char m[24], cr[24];
    if (!r || !a->rev_headers)
        return r;
    snprintf(m, sizeof m, "%llu", (unsigned long long)a->mod_index);
    snprintf(cr, sizeof cr, "%llu", (unsigned long long)a->create_index);
    if (MHD_add_response_header(r, "X-Sealkv-Mod-Index", m) != MHD_YES ||
        MHD_add_response_header(r, "X-Sealkv-Create-Index", cr) != MHD_YES) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

static unsigned answer_status(const struct skv_http_answer *a)
{
    if (a->status >= 200 && a->status <= 599)
        return (unsigned)a->status;
    return a->rc == SKV_OK ? 200u : 500u;
}

enum MHD_Result skv_http_reply_answer(struct MHD_Connection *c,
                                      struct skv_http_answer *a)
{
    unsigned status = answer_status(a);
    if (a->rc != SKV_OK || a->error || status >= 400) {
        struct skv_http_error e = {
            status >= 400 ? status : 500u,
            a->error ? a->error : skv_http_rc_name(a->rc),
            a->message ? a->message : skv_strerror(a->rc),
            a->retry_after_s, NULL, NULL};
        return skv_http_reply_error_extra(c, &e, a->json);
    }
    if (a->has_body)
        return queue(c, status, with_rev(from_owned(&a->body, a->body_len), a),
                     a->body_type ? a->body_type : "application/octet-stream",
                     a->retry_after_s, NULL, NULL);
    if (a->json)
        return queue(c, status, from_owned(&a->json, strlen(a->json)),
                     "application/json", a->retry_after_s, NULL, NULL);
    return queue(c, status, from_copy("{}", 2), "application/json",
                 a->retry_after_s, NULL, NULL);
}
