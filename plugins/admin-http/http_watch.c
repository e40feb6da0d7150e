/* SPDX-License-Identifier: MIT */
/*
 * http_watch.c — owns admin-http's watch streams (http_watch.h): the
 * registry, each stream's pending output, the poll it has in flight, the
 * content reader that suspends the connection while it waits and the
 * done callback that resumes it.
 */
#include "http_watch.h"
#include "http_call.h"
#include "http_errors.h"

#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sealkv/plugin.h>

#define NAME(e) (skv_http_err_info(SKV_HTTP_##e)->name)

struct stream {
    pthread_mutex_t mu;
    int refs;                   /* response, poll in flight */
    struct skv_http_watches *reg;
    struct stream *prev, *next; /* reg->head */
    struct MHD_Connection *conn;
    char *prefix;
    size_t plen;
    uint64_t from;              /* the next poll asks for events after it */
    char *out;                  /* bytes not yet handed to MHD */
    size_t out_len, out_off;
    int in_flight, suspended, ended, closed;
};

struct skv_http_watches {
    pthread_mutex_t mu;
    const struct skv_host *host;
    struct stream *head;
    int stopping;
};

struct skv_http_watches *skv_http_watches_new(const struct skv_host *host)
{
    struct skv_http_watches *w = calloc(1, sizeof *w);
    if (w) {
        pthread_mutex_init(&w->mu, NULL);
        w->host = host;
    }
    return w;
}

void skv_http_watches_free(struct skv_http_watches *w)
{
    if (!w)
        return;
    pthread_mutex_destroy(&w->mu); /* streams still referenced keep no pointer use */
    free(w);
}

static void unref(struct stream *s)
{
    struct skv_http_watches *w = s->reg;
    int last;
    pthread_mutex_lock(&s->mu);
    last = --s->refs == 0;
    pthread_mutex_unlock(&s->mu);
    if (!last)
        return;
    pthread_mutex_lock(&w->mu);
    if (s->prev)
        s->prev->next = s->next;
    else
        w->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    pthread_mutex_unlock(&w->mu);
    pthread_mutex_destroy(&s->mu);
    free(s->prefix);
    free(s->out);
    free(s);
}

/* Append bytes to the pending output (lock held); -1 when out of memory. */
static int out_put(struct stream *s, const char *p, size_t n)
{
    char *o;
    if (s->out_off == s->out_len)
        s->out_off = s->out_len = 0;
    if (!(o = realloc(s->out, s->out_len + n)))
        return -1;
    memcpy(o + s->out_len, p, n);
    s->out = o;
    s->out_len += n;
    return 0;
}

/* A JSON value as one line (lock held). */
static int out_line(struct stream *s, json_t *v)
{
    char *t = json_dumps(v, JSON_COMPACT);
    int rc = t && out_put(s, t, strlen(t)) == 0 && out_put(s, "\n", 1) == 0 ? 0 : -1;
    free(t);
    return rc;
}

/* The last line of a stream (lock held). */
static void end_with(struct stream *s, const char *error, const char *message)
{
    json_t *o = json_pack("{s:s,s:s}", "error", error, "message", message);
    if (o)
        (void)out_line(s, o);
    json_decref(o);
    s->ended = 1;
}

/* A 200 answer {"events":[...],"index":I}: its lines (lock held). */
static void take_answer(struct stream *s, const char *text)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;
    json_t *ev = json_object_get(j, "events"), *e, *ix = json_object_get(j, "index");
    size_t i;
    if (!json_is_array(ev) || !json_is_integer(ix) || json_integer_value(ix) < 0) {
        end_with(s, NAME(ErrInternal), "watch: the node's answer is not the one expected");
        json_decref(j);
        return;
    }
    json_array_foreach(ev, i, e) if (out_line(s, e) != 0) break;
    if (i == json_array_size(ev) && json_array_size(ev) == 0) {
        json_t *p = json_pack("{s:O}", "progress_index", ix);
        if (!p || out_line(s, p) != 0)
            i = SIZE_MAX;
        json_decref(p);
    }
    if (i != json_array_size(ev))
        end_with(s, NAME(ErrNoMemory), "watch: out of memory");
    s->from = (uint64_t)json_integer_value(ix);
    json_decref(j);
}

/* Loop thread: the poll's answer. */
static void poll_done(void *arg, const struct skv_admin_resp *r)
{
    struct stream *s = arg;
    pthread_mutex_lock(&s->mu);
    s->in_flight = 0;
    if (!s->closed && !s->ended) {
        if (r->rc == SKV_OK && r->status == 200)
            take_answer(s, r->json);
        else
            end_with(s, r->error ? r->error : NAME(ErrInternal),
                     r->message ? r->message : "watch failed");
    }
    if (s->suspended) {
        s->suspended = 0;
        MHD_resume_connection(s->conn);
    }
    pthread_mutex_unlock(&s->mu);
    unref(s);
}

/* Issue the next poll (lock held: dropped around admin_call). */
static void poll_next(struct stream *s)
{
    const struct skv_host *host = s->reg->host;
    struct skv_admin_req q;
    char json[64];
    int rc;
    snprintf(json, sizeof json, "{\"from_index\":%" PRIu64 ",\"wait_ms\":%d}", s->from,
             SKV_HTTP_WATCH_WAIT_MS);
    memset(&q, 0, sizeof q);
    q.struct_size = sizeof q;
    q.op = "watch.poll";
    q.arg = s->prefix;
    q.arg_len = s->plen;
    q.json = json;
    s->in_flight = 1;
    s->refs++;
    pthread_mutex_unlock(&s->mu);
    rc = host->admin_call(host->ctx, &q, poll_done, s);
    pthread_mutex_lock(&s->mu);
    if (rc != SKV_OK) {
        s->in_flight = 0;
        s->refs--; /* the response still holds one */
        end_with(s, NAME(ErrUnavailable), "the node did not accept the next watch poll");
    }
}

/* MHD: copy pending bytes, end, or poll and suspend. */
static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *s = cls;
    ssize_t n = 0;
    (void)pos;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        if (s->out_off < s->out_len) {
            n = (ssize_t)(s->out_len - s->out_off < max ? s->out_len - s->out_off : max);
            memcpy(buf, s->out + s->out_off, (size_t)n);
            s->out_off += (size_t)n;
            break;
        }
        if (s->ended) {
            n = MHD_CONTENT_READER_END_OF_STREAM;
            break;
        }
        if (!s->in_flight) {
            poll_next(s);
            continue; /* refused, or answered meanwhile */
        }
        s->suspended = 1;
        MHD_suspend_connection(s->conn);
        break;
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void reader_free(void *cls)
{
    struct stream *s = cls;
    pthread_mutex_lock(&s->mu);
    s->closed = s->ended = 1;
    pthread_mutex_unlock(&s->mu);
    unref(s);
}

static struct stream *stream_new(struct skv_http_watches *w, struct MHD_Connection *c,
                                 const char *prefix, size_t plen)
{
    struct stream *s = calloc(1, sizeof *s);
    if (!s || !(s->prefix = malloc(plen + 1))) {
        free(s);
        return NULL;
    }
    memcpy(s->prefix, prefix, plen);
    s->plen = plen;
    s->conn = c;
    s->reg = w;
    s->refs = 1; /* the response */
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

enum MHD_Result skv_http_watch_start(struct skv_http_watches *w, struct MHD_Connection *c,
                                     const char *prefix, size_t plen,
                                     const struct skv_http_answer *a)
{
    struct stream *s = stream_new(w, c, prefix ? prefix : "", prefix ? plen : 0);
    struct MHD_Response *resp;
    enum MHD_Result ok = MHD_NO;
    if (!s)
        return MHD_NO;
    take_answer(s, a->json);
    pthread_mutex_lock(&w->mu);
    if (w->stopping)
        end_with(s, NAME(ErrUnavailable), "the admin server is stopping");
    s->next = w->head;
    if (w->head)
        w->head->prev = s;
    w->head = s;
    pthread_mutex_unlock(&w->mu);
    resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, reader, s,
                                             reader_free);
    if (!resp) {
        unref(s);
        return MHD_NO;
    }
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "application/x-ndjson") == MHD_YES &&
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES)
        ok = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp); /* the connection keeps it; reader_free at its end */
    return ok;
}

void skv_http_watches_stop(struct skv_http_watches *w)
{
    struct stream *s;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    for (s = w->head; s; s = s->next) {
        pthread_mutex_lock(&s->mu);
        if (!s->ended)
            end_with(s, NAME(ErrUnavailable), "the admin server is stopping");
        if (s->suspended) {
            s->suspended = 0;
            MHD_resume_connection(s->conn);
        }
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_unlock(&w->mu);
}
