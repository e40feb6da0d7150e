/* SPDX-License-Identifier: MIT */
/*
 * http_handler.c — owns the life of one HTTP request in admin-http:
 * created from the raw request-target (MHD's URI log hook, so keys stay
 * binary-safe and %2F cannot re-route), routed on the first handler
 * call, authorized unless the route is open (health: http_routes.c; the
 * others need a client certificate or bearer token, http_guard.c, and get
 * their 401 before any routing error), 4xx at once (body unread; a
 * declared oversized body gets its 413 at once or after an unbuffered
 * drain), GET /v1/health answered by the plugin, upload accumulated
 * under the limit, then one round trip to the core with the connection
 * suspended (no serving thread waits for it, see http_call.h) and the
 * reply when MHD calls the handler again after the resume; at the end its
 * latency goes into the route's histogram (http_stats.h), which /metrics
 * appends to the core's text.
 */
#include "http_handler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "http_guard.h"
#include "http_body.h"
#include "http_call.h"
#include "http_plugin.h"
#include "http_reply.h"
#include "http_routes.h"
#include "http_stats.h"
#include "http_watch.h"

#include <time.h>

struct req {
    char *target;               /* raw request-target, NUL-terminated */
    size_t target_len;
    char *scratch;              /* decoded key/id/query (target_len + 1) */
    int routed;                 /* first handler call done */
    int nomem;                  /* an upload chunk could not be stored */
    struct skv_http_route route;
    struct skv_http_body body;
    struct skv_http_pending *pending; /* the core call, once issued */
    int called;                 /* the call was issued (once per request) */
    struct timespec t0;         /* request line seen (CLOCK_MONOTONIC) */
    int method;                 /* skv_http_stats_method() */
};

void *skv_http_on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct req *r = calloc(1, sizeof *r);
    (void)cls;
    (void)c;
    if (!uri)
        uri = "";
    if (!r)
        return NULL;
    r->target_len = strlen(uri);
    r->target = malloc(r->target_len + 1);
    r->scratch = malloc(r->target_len + 1);
    if (!r->target || !r->scratch) {
        free(r->target);
        free(r->scratch);
        free(r);
        return NULL;
    }
    memcpy(r->target, uri, r->target_len + 1);
    clock_gettime(CLOCK_MONOTONIC, &r->t0);
    return r;
}

static double since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

void skv_http_on_completed(void *cls, struct MHD_Connection *c,
                           void **req_cls,
                           enum MHD_RequestTerminationCode toe)
{
    struct skv_http_plugin *p = cls;
    struct req *r = *req_cls;
    (void)c;
    (void)toe;
    if (!r)
        return;
    if (r->routed)
        skv_http_stats_observe(p->stats, r->route.rule, r->method, since(&r->t0));
    if (r->pending)
        skv_http_call_drop(r->pending);
    skv_http_body_free(&r->body);
    free(r->target);
    free(r->scratch);
    free(r);
    *req_cls = NULL;
}

static enum MHD_Result reply_err(struct MHD_Connection *c,
                                 enum skv_http_err id, const char *message)
{
    struct skv_http_error e = skv_http_error_of(id, message);
    return skv_http_reply_error(c, &e);
}

static enum MHD_Result reply_too_big(const struct skv_http_plugin *p,
                                     struct MHD_Connection *c)
{
    char msg[128];
    snprintf(msg, sizeof msg,
             "request body exceeds max_body_bytes (%zu bytes)",
             p->opts.max_body_bytes);
    return reply_err(c, SKV_HTTP_ErrTooBig, msg);
}

/* GET /v1/health: open, answered by this plugin; the core is not asked
 * (GET /healthz is the same question put to the node's loop). */
static enum MHD_Result reply_health(struct MHD_Connection *c)
{
    static const char body[] = "{\"status\":\"ok\"}";
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ok = MHD_NO;
    if (!resp)
        return MHD_NO;
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "application/json") == MHD_YES)
        ok = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* Client sent "Expect: 100-continue": it waits before sending the body. */
static int expects_continue(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_EXPECT);
    return v && strcasecmp(v, "100-continue") == 0;
}

/* First call: route; a declared oversized body is refused. The 413 goes
 * out at once (body never read) when the client waits for 100-continue
 * or the body is huge; otherwise the body is drained unbuffered first,
 * because answering while the client is still sending makes many clients
 * see a connection reset instead of the 413. */
static enum MHD_Result first_call(struct skv_http_plugin *p,
                                  struct MHD_Connection *c, struct req *r,
                                  const char *method)
{
    char why[320];
    uint64_t declared;
    int st;
    r->routed = 1;
    r->method = skv_http_stats_method(method);
    skv_http_body_init(&r->body, p->opts.max_body_bytes);
    st = skv_http_route_match(method, r->target, r->target_len, r->scratch,
                              r->target_len + 1, &r->route);
    if (!r->route.open && !skv_http_guard_allows(&p->guard, c, why, sizeof why)) {
        struct skv_http_error e = skv_http_error_of(SKV_HTTP_ErrUnauthorized, why);
        e.www_auth = "Bearer realm=\"sealkv\"";
        return skv_http_reply_error(c, &e);
    }
    if (st != 0) {
        struct skv_http_error e = {(unsigned)r->route.status, r->route.error,
                                   r->route.message, 0,
                                   r->route.status == 405 ? r->route.allow
                                                          : NULL,
                                   NULL};
        return skv_http_reply_error(c, &e);
    }
    if (r->route.local)
        return reply_health(c);
    declared = skv_http_body_declared(MHD_lookup_connection_value(
        c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH));
    if (declared <= p->opts.max_body_bytes)
        return MHD_YES;
    if (expects_continue(c) ||
        declared > skv_http_body_drain_limit(&r->body))
        return reply_too_big(p, c);
    skv_http_body_refuse(&r->body);
    return MHD_YES;
}

/* Upload chunk: keep it, or count it once over the limit. A sender that
 * keeps streaming past the drain limit is disconnected. */
static enum MHD_Result receive(struct req *r, const char *data,
                               size_t *size)
{
    int rc = skv_http_body_append(&r->body, data, *size);
    *size = 0;
    if (rc == SKV_ERR_NOMEM)
        r->nomem = 1;
    if (rc == SKV_ERR_TOOBIG &&
        r->body.dropped > skv_http_body_drain_limit(&r->body))
        return MHD_NO;
    return MHD_YES;
}

/* JSON bodies must be one JSON object without NUL bytes (the core gets
 * them as a C string). Returns NULL if fine, else fills msg. */
static const char *check_json(const struct skv_http_body *b, char *msg,
                              size_t len)
{
    json_error_t jerr;
    json_t *j;
    if (b->len && memchr(b->buf, '\0', b->len))
        return "JSON body contains a NUL byte";
    j = json_loadb(b->buf ? b->buf : "", b->len, JSON_REJECT_DUPLICATES,
                   &jerr);
    if (!j) {
        snprintf(msg, len, "malformed JSON body: line %d column %d: %s",
                 jerr.line, jerr.column, jerr.text);
        return msg;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return "JSON body must be an object";
    }
    json_decref(j);
    return NULL;
}

/* Fill the request's body/json from the upload; 400 message or NULL. */
static const char *attach_body(const struct req *r,
                               struct skv_admin_req *q, char *msg,
                               size_t len)
{
    const char *bad;
    switch (r->route.body) {
    case SKV_HTTP_BODY_RAW:             /* never NULL: "" is a value */
        q->body = r->body.buf ? r->body.buf : "";
        q->body_len = r->body.len;
        return NULL;
    case SKV_HTTP_BODY_JSON_OPT:
        if (r->body.len == 0)
            return NULL;
        /* fall through */
    case SKV_HTTP_BODY_JSON:
        if ((bad = check_json(&r->body, msg, len)) != NULL)
            return bad;
        q->json = r->body.buf;
        return NULL;
    case SKV_HTTP_BODY_NONE:
    default:
        return NULL;
    }
}

/* Issue the call; the connection stays suspended until it is answered. */
static enum MHD_Result call_core(struct skv_http_plugin *p,
                                 struct MHD_Connection *c, struct req *r,
                                 const struct skv_admin_req *q)
{
    r->called = 1;
    r->pending = skv_http_call_begin(p->calls, p->host, q,
                                     p->opts.request_timeout_ms, c);
    if (!r->pending)
        return reply_err(c, SKV_HTTP_ErrNoMemory, "out of memory");
    return MHD_YES;
}

/* A 200 JSON answer with no error. */
static int answer_ok(const struct skv_http_answer *a)
{
    return !a->error && (a->status == 0 || a->status == 200) && a->json;
}

/* Called again after the resume: reply with the outcome. */
static enum MHD_Result reply_core(struct skv_http_plugin *p,
                                  struct MHD_Connection *c, struct req *r)
{
    struct skv_http_answer *a = NULL;
    char msg[128];
    int refused = SKV_OK;
    enum MHD_Result ok;
    enum skv_http_call_result res;

    if (!skv_http_call_ready(r->pending))
        return MHD_YES;         /* not resumed by us: keep waiting */
    res = skv_http_call_end(r->pending, &a, &refused);
    r->pending = NULL;
    switch (res) {
    case SKV_HTTP_CALL_ANSWERED:
        if (r->route.stream && a->rc == SKV_OK && answer_ok(a)) { /* GET /v1/watch */
            ok = skv_http_watch_start(p->watches, c, r->route.arg, r->route.arg_len, a);
            skv_http_answer_free(a);
            return ok;
        }
        if (strcmp(r->route.op, "metrics") == 0 && a->has_body) { /* Prometheus text */
            a->body_type = "text/plain; version=0.0.4; charset=utf-8";
            if (skv_http_stats_append(p->stats, &a->body, &a->body_len) != 0) {
                skv_http_answer_free(a);
                return reply_err(c, SKV_HTTP_ErrNoMemory, "out of memory");
            }
        }
        /* a key's read: X-Sealkv-Mod-Index / X-Sealkv-Create-Index */
        a->rev_headers = strcmp(r->route.op, "kv.get") == 0 && a->has_body && a->has_rev;
        ok = skv_http_reply_answer(c, a);
        skv_http_answer_free(a);
        return ok;
    case SKV_HTTP_CALL_REFUSED: {
        struct skv_http_error e = skv_http_error_of(SKV_HTTP_ErrUnavailable, msg);
        snprintf(msg, sizeof msg, "the node did not accept the request: %s",
                 skv_strerror(refused));
        return skv_http_reply_error(c, &e);
    }
    case SKV_HTTP_CALL_STOPPING: {
        struct skv_http_error e = skv_http_error_of(SKV_HTTP_ErrUnavailable,
                                                    "the admin server is stopping");
        return skv_http_reply_error(c, &e);
    }
    case SKV_HTTP_CALL_TIMEOUT:
        p->host->log(p->host->ctx, SKV_LOG_WARN,
                     "op %s: no answer from the core within %u ms",
                     r->route.op, p->opts.request_timeout_ms);
        snprintf(msg, sizeof msg, "no answer from the node within %u ms",
                 p->opts.request_timeout_ms);
        return reply_err(c, SKV_HTTP_ErrTimeout, msg);
    case SKV_HTTP_CALL_NOMEM:
    default:
        return reply_err(c, SKV_HTTP_ErrNoMemory, "out of memory");
    }
}

/* Last call: the whole upload is in. */
static enum MHD_Result finish(struct skv_http_plugin *p,
                              struct MHD_Connection *c, struct req *r)
{
    struct skv_admin_req q;
    char msg[256], cond[64];
    const char *bad;

    if (r->pending)
        return reply_core(p, c, r);
    if (r->called)      /* answered, yet called again: MHD is stopping and
                           dropped the response; never issue it twice */
        return MHD_NO;
    if (r->body.too_big)
        return reply_too_big(p, c);
    if (r->nomem)
        return reply_err(c, SKV_HTTP_ErrNoMemory, "out of memory");
    memset(&q, 0, sizeof q);
    q.struct_size = sizeof q;
    q.op = r->route.op;
    q.arg = r->route.arg;
    q.arg_len = r->route.arg_len;
    q.flags = r->route.flags;
    if (r->route.body_arg) {            /* kv.list: `after` */
        q.body = r->route.body_arg;
        q.body_len = r->route.body_arg_len;
    }
    if (r->route.json[0])
        q.json = r->route.json;
    if ((bad = attach_body(r, &q, msg, sizeof msg)) != NULL)
        return reply_err(c, SKV_HTTP_ErrBadRequest, bad);
    if (!q.json) /* PUT/DELETE /v1/kv: ?prev_index / ?prev_exist */
        q.json = skv_http_route_cond_json(&r->route, cond, sizeof cond);
    return call_core(p, c, r, &q);
}

enum MHD_Result skv_http_on_request(void *cls, struct MHD_Connection *c,
                                    const char *url, const char *method,
                                    const char *version, const char *upload,
                                    size_t *upload_size, void **req_cls)
{
    struct skv_http_plugin *p = cls;
    struct req *r = *req_cls;
    (void)url;
    (void)version;
    if (!r)
        return MHD_NO;          /* the URI hook could not allocate */
    if (!r->routed)
        return first_call(p, c, r, method);
    if (*upload_size)
        return receive(r, upload, upload_size);
    return finish(p, c, r);
}
