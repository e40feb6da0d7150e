/* SPDX-License-Identifier: MIT */
/*
 * cl_watch.c — owns skv_client_watch: follows GET /v1/watch, splits the
 * stream into lines (bounded: SKV_CL_WATCH_MAX_LINE), hands each change
 * to the callback once and in order, and reconnects when the stream
 * breaks or its node stops — the next endpoint first, then round after
 * round within the retry budget — resuming after the last index
 * delivered whole and skipping what the server sends again. A node that
 * no longer keeps the changes it needs (410 ErrCompacted) sends it to
 * the next endpoint; when none keeps them, or another error comes, it
 * ends with that error.
 */
#include "lib/cl_int.h"
#include "util/errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A value is at most the admin plugin's body limit (16 MiB by default),
 * about 22 MiB in base64: room to spare. */
#define SKV_CL_WATCH_MAX_LINE (128u << 20)

struct watch_state {
    skv_client_watch_cb cb;
    void *arg;
    struct skv_client_error *err; /* where an ending error goes (never NULL) */
    char *line;                /* one JSON line, grown as needed */
    size_t len, cap;
    int have_from;
    uint64_t from;             /* every change up to it was delivered */
    uint64_t cur;              /* index of the last event delivered */
    unsigned cur_n;            /* events of `cur` delivered */
    unsigned conn_n;           /* events of `cur` seen on this connection */
    int failed;                /* the watch ends: err is filled */
    int stopped;               /* the callback said stop */
    int reconnect;             /* the node ended the stream: go elsewhere */
    int compacted;             /* the node no longer keeps what comes next */
    char why[512];             /* its message */
    int got_line;              /* this connection delivered a line */
};

/* End the watch with an error line or a local failure. */
static int fail(struct watch_state *w, enum skv_client_code code, const char *name,
                const char *message, const char *detail)
{
    struct skv_client_error *e = w->err;
    skv_client_error_clear(e);
    e->code = code;
    e->http_status = 200;
    e->name = name ? strdup(name) : NULL;
    e->message = message ? strdup(message) : NULL;
    snprintf(e->detail, sizeof e->detail, "%s", detail);
    if (name && (e->body = malloc(w->len + 1))) { /* the error line itself */
        memcpy(e->body, w->line, w->len);
        e->body[w->len] = 0;
        e->body_len = w->len;
    }
    w->failed = 1;
    return -1;
}

/* An event: deliver it unless this connection repeats one already
 * delivered (events come in index order). 0 or -1 (stop). */
static int take_event(struct watch_state *w, const struct skv_client_event *ev)
{
    uint64_t idx = ev->index;
    if (idx < w->cur || (idx == w->cur && ++w->conn_n <= w->cur_n))
        return 0;
    if (idx > w->cur) {
        if (w->cur)
            w->from = w->cur, w->have_from = 1; /* the earlier index is whole */
        w->cur = idx;
        w->cur_n = 0;
        w->conn_n = 1;
    }
    w->cur_n++;
    if (w->cb(w->arg, ev) != 0)
        return w->stopped = 1, -1;
    return 0;
}

/* An error line: which kind of end it is. Always -1 (the stream ends). */
static int take_error(struct watch_state *w, const struct skv_cl_line *l)
{
    enum skv_error_id id;
    int known = l->name && skv_error_from_name(l->name, &id) == 0;
    /* the node stops, halted or is busy: another one can go on */
    w->reconnect = known && (id == SKV_ErrUnavailable || id == SKV_ErrShuttingDown ||
                             id == SKV_ErrHalted);
    w->compacted = known && id == SKV_ErrCompacted;
    if (w->compacted) /* another endpoint may still keep it (follow) */
        snprintf(w->why, sizeof w->why, "%s", l->message ? l->message : "");
    else if (!w->reconnect)
        fail(w, SKV_CLIENT_REFUSED, l->name ? l->name : "?", l->message, "the watch ended");
    return -1;
}

/* One complete line. 0, or -1 to stop the transfer. */
static int take_line(struct watch_state *w)
{
    struct skv_cl_line l;
    int rc = 0;
    if (skv_cl_parse_line(w->line, w->len, &l) != 0)
        return fail(w, SKV_CLIENT_REFUSED, NULL, NULL, "a line that is not JSON, or a "
                    "malformed event");
    if (l.kind == SKV_CL_LINE_ERROR) {
        rc = take_error(w, &l);
    } else if (l.kind == SKV_CL_LINE_PROGRESS) {
        w->from = l.ev.index;
        w->have_from = 1;
        if (w->from >= w->cur)
            w->cur = w->from, w->cur_n = w->conn_n = 0;
        if (w->cb(w->arg, &l.ev) != 0)
            rc = -1, w->stopped = 1;
    } else if (l.kind == SKV_CL_LINE_EVENT) {
        rc = take_event(w, &l.ev);
    }
    skv_cl_line_clear(&l);
    return rc;
}

/* Room for one more byte of the current line; -1 past the bound (the
 * watch ends: reconnecting would only meet the same line again). */
static int line_room(struct watch_state *w)
{
    char *l;
    size_t cap;
    if (w->len < w->cap)
        return 0;
    cap = w->cap ? w->cap * 2 : 64 * 1024;
    if (cap > SKV_CL_WATCH_MAX_LINE || !(l = realloc(w->line, cap))) {
        char d[96];
        snprintf(d, sizeof d, "an event line over %u bytes, or out of memory",
                 SKV_CL_WATCH_MAX_LINE);
        w->len = 0;
        return fail(w, SKV_CLIENT_LOCAL, NULL, NULL, d);
    }
    w->line = l;
    w->cap = cap;
    return 0;
}

static int on_data(void *arg, const char *p, size_t n)
{
    struct watch_state *w = arg;
    size_t i;
    for (i = 0; i < n; i++) {
        if (p[i] != '\n') {
            if (line_room(w) != 0)
                return -1;
            w->line[w->len++] = p[i];
            continue;
        }
        w->got_line = 1;
        if (w->len && take_line(w) != 0)
            return -1;
        w->len = 0;
    }
    return 0;
}

/* "/v1/watch?prefix=..[&from_index=N]" (no from_index: from now on). */
static char *watch_path(const struct skv_client_watch_req *rq, const struct watch_state *w)
{
    char *p = skv_client_pct_encode(rq->prefix ? rq->prefix : "", rq->prefix ? rq->prefix_len : 0);
    char from[40] = "", *out = NULL;
    size_t n;
    if (w->have_from)
        snprintf(from, sizeof from, "&from_index=%llu", (unsigned long long)w->from);
    if (p && (out = malloc((n = strlen(p) + strlen(from) + 32))))
        snprintf(out, n, "/v1/watch?prefix=%s%s", p, from);
    free(p);
    return out;
}

/* One connection to endpoint ep; its response in *r. 0, or -1 (out of
 * memory: w->err filled). */
static int connect_once(struct skv_client *c, const struct skv_client_watch_req *rq,
                        struct watch_state *w, const char *ep, struct skv_cl_resp *r)
{
    struct skv_cl_http h = c->http;
    struct skv_cl_req hr = {.method = "GET", .on_data = on_data, .on_data_arg = w};
    char *path = watch_path(rq, w);
    int rc;
    memset(r, 0, sizeof *r);
    if (!path)
        return skv_cl_err(w->err, SKV_CLIENT_LOCAL, "out of memory"), -1;
    h.endpoint = ep;
    h.endpoints = NULL;
    h.retry_ms = 0;
    hr.path = path;
    w->len = 0;
    w->conn_n = 0;
    w->reconnect = 0;
    w->compacted = 0;
    w->got_line = 0;
    rc = skv_cl_http_do(&h, &hr, r);
    free(path);
    if (rc != 0)
        skv_cl_err(w->err, SKV_CLIENT_LOCAL, "%s", r->conn_msg[0] ? r->conn_msg : "out of memory");
    return rc;
}

/* Tell the callback about a reconnect; -1 when it says stop. */
static int notice(struct watch_state *w, const char *text)
{
    struct skv_client_event ev = {.kind = SKV_CLIENT_EV_RECONNECT, .index = w->from,
                                  .notice = text};
    if (w->cb(w->arg, &ev) != 0)
        return w->stopped = 1, -1;
    return 0;
}

/* The end after an HTTP refusal, or after every endpoint compacted. */
static enum skv_client_code end_with(struct watch_state *w, struct skv_cl_resp *r, int compacted)
{
    struct skv_client_error *e = w->err;
    enum skv_client_code code = compacted ? SKV_CLIENT_REFUSED : skv_cl_code_for(r, 0);
    skv_client_error_clear(e);
    e->code = code;
    e->http_status = compacted && w->compacted ? 200 : r->status;
    e->no_answer = r->conn_failed;
    e->endpoint = r->endpoint;
    e->retry_after_s = r->retry_after_s;
    e->name = compacted ? strdup(skv_error_name(SKV_ErrCompacted)) : r->error ? strdup(r->error) : NULL;
    e->message = compacted ? strdup(w->compacted ? w->why : r->message ? r->message : "")
                           : r->message ? strdup(r->message) : NULL;
    if (!compacted && r->body) {
        e->body = r->body, e->body_len = r->len;
        r->body = NULL;
    }
    snprintf(e->detail, sizeof e->detail, "%s", compacted ? "no endpoint keeps the changes"
                                                          : "the watch was refused");
    return code;
}

/* After a 410 or an ErrCompacted line from ep: 1 to try the next
 * endpoint, 0 when every one answered so in a row, -1 when the callback
 * stopped. */
static int next_after_compacted(struct watch_state *w, const char *ep, size_t n,
                                size_t *n_compacted)
{
    char text[768];
    if (w->got_line) /* it served before: the first of a row */
        *n_compacted = 0;
    if (++*n_compacted >= n)
        return 0;
    snprintf(text, sizeof text, "%s no longer keeps the changes after index %llu; "
             "trying the next endpoint", ep, (unsigned long long)w->from);
    return notice(w, text) == 0 ? 1 : -1;
}

/* After a broken stream from ep: tell the callback, then 1 to go on, 0
 * when the budget (which starts again after a connection that worked) is
 * spent (w->err says so), -1 when the callback stopped. */
static int after_break(struct watch_state *w, const char *ep, const struct skv_cl_resp *r,
                       long retry_ms, time_t *deadline)
{
    char text[768];
    if (!*deadline || w->got_line)
        *deadline = time(NULL) + (time_t)(retry_ms / 1000) + 1;
    snprintf(text, sizeof text, "connection to %s lost (%s); resuming after index %llu", ep,
             r->conn_failed ? r->conn_msg : "closed", (unsigned long long)w->from);
    if (notice(w, text) != 0)
        return -1;
    if (time(NULL) >= *deadline) {
        skv_cl_err(w->err, SKV_CLIENT_UNREACHABLE, "no endpoint answered the watch within "
                   "the retry budget");
        return 0;
    }
    return 1;
}

/* Follow the stream until an error or the callback ends it. */
static enum skv_client_code follow(struct skv_client *c, const struct skv_client_watch_req *rq,
                                   struct watch_state *w)
{
    size_t n = c->n_eps, i = 0, n_compacted = 0;
    time_t deadline = 0;
    int k;
    for (;;) {
        struct skv_cl_resp r;
        enum skv_client_code rc = SKV_CLIENT_OK;
        const char *ep = c->eps[i];
        if (connect_once(c, rq, w, ep, &r) != 0) {
            skv_cl_resp_free(&r);
            return w->err->code;
        }
        if (w->stopped || w->failed) {
            rc = w->stopped ? SKV_CLIENT_OK : w->err->code;
        } else if (w->compacted || (!r.conn_failed && r.status == 410)) {
            /* this node no longer keeps the changes after w->from: one
             * that restarted or installed a snapshot since */
            k = next_after_compacted(w, ep, n, &n_compacted);
            if (k == 1) {
                skv_cl_resp_free(&r);
                i = (i + 1) % n;
                continue;
            }
            rc = k < 0 ? SKV_CLIENT_OK : end_with(w, &r, 1);
        } else if (!w->reconnect && !r.conn_failed && (r.status < 200 || r.status >= 300)) {
            rc = end_with(w, &r, 0);
        } else {
            /* the stream broke (or the server closed it): reconnect */
            if (w->got_line)
                n_compacted = 0;
            k = after_break(w, ep, &r, c->http.retry_ms, &deadline);
            skv_cl_resp_free(&r);
            if (k <= 0)
                return k < 0 ? SKV_CLIENT_OK : w->err->code;
            i = (i + 1) % n;
            if (i == 0) {
                struct timespec ts = {0, 200 * 1000000L};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        skv_cl_resp_free(&r);
        return rc;
    }
}

enum skv_client_code skv_client_watch(struct skv_client *c, struct skv_client_watch_req *rq,
                                      skv_client_watch_cb cb, void *arg,
                                      struct skv_client_error *err)
{
    struct skv_client_error local;
    struct watch_state *w;
    enum skv_client_code rc;
    memset(&local, 0, sizeof local);
    skv_cl_err_ok(err);
    if (!c || !rq || !cb || (!rq->prefix && rq->prefix_len) ||
        (rq->has_from && rq->from_index > (uint64_t)INT64_MAX))
        return skv_cl_err(err, SKV_CLIENT_USAGE, "a watch needs a client, a request (from_index "
                          "0..2^63-1) and a callback");
    if (!(w = calloc(1, sizeof *w)))
        return skv_cl_err(err, SKV_CLIENT_LOCAL, "out of memory");
    w->cb = cb;
    w->arg = arg;
    w->err = err ? err : &local;
    w->have_from = rq->has_from;
    w->from = rq->from_index;
    w->cur = rq->has_from ? rq->from_index : 0;
    rc = follow(c, rq, w);
    rq->has_from = w->have_from;
    rq->from_index = w->from;
    if (rc == SKV_CLIENT_OK)
        skv_cl_err_ok(err);
    skv_client_error_clear(&local);
    free(w->line);
    free(w);
    return rc;
}
