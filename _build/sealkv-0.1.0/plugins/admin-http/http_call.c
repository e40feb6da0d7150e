/*
 * http_call.c — owns the serving-thread ↔ loop-thread handshake for one
 * admin request: a refcounted call (one reference for the waiter, one for
 * the core's done callback), a CLOCK_MONOTONIC condvar deadline, and the
 * deep copy of the core's response made inside the done callback (the
 * response is only valid during it).
 */
#include "http_call.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct call {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;                      /* under mu */
    int done;                      /* done callback ran; under mu */
    int nomem;                     /* the copy failed; under mu */
    struct skv_http_answer *ans;   /* owned by the call until taken */
};

void skv_http_answer_free(struct skv_http_answer *a)
{
    if (!a)
        return;
    free(a->error);
    free(a->message);
    free(a->json);
    free(a->body);
    free(a);
}

static int dup_str(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return 0;
    *out = strdup(s);
    return *out ? 0 : -1;
}

/* Members beyond the response's struct_size count as absent. */
#define RESP_HAS(r, m) SKV_COVERS(r, struct skv_admin_resp, m)

static struct skv_http_answer *copy_resp(const struct skv_admin_resp *r)
{
    struct skv_http_answer *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->rc = RESP_HAS(r, rc) ? r->rc : SKV_ERR_INTERNAL;
    a->status = RESP_HAS(r, status) ? r->status : 0;
    a->retry_after_s = RESP_HAS(r, retry_after_s) ? r->retry_after_s : 0;
    if ((RESP_HAS(r, error) && dup_str(r->error, &a->error)) ||
        (RESP_HAS(r, message) && dup_str(r->message, &a->message)) ||
        (RESP_HAS(r, json) && dup_str(r->json, &a->json)))
        goto fail;
    if (RESP_HAS(r, body_len) && r->body) {
        a->body = malloc(r->body_len ? r->body_len : 1);
        if (!a->body)
            goto fail;
        if (r->body_len)
            memcpy(a->body, r->body, r->body_len);
        a->body_len = r->body_len;
        a->has_body = 1;
    }
    return a;
fail:
    skv_http_answer_free(a);
    return NULL;
}

static void call_unref_locked(struct call *c)
{
    int last = --c->refs == 0;
    pthread_mutex_unlock(&c->mu);
    if (!last)
        return;
    skv_http_answer_free(c->ans);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* The core's done callback (loop thread): copy, wake, drop our ref. */
static void on_done(void *arg, const struct skv_admin_resp *resp)
{
    struct call *c = arg;
    struct skv_http_answer *a = NULL;
    if (resp)
        a = copy_resp(resp);
    pthread_mutex_lock(&c->mu);
    if (c->done) {                /* a second callback: contract breach */
        call_unref_locked(c);
        skv_http_answer_free(a);
        return;
    }
    c->done = 1;
    c->ans = a;
    c->nomem = a == NULL;
    pthread_cond_signal(&c->cv);
    call_unref_locked(c);
}

static struct call *call_new(void)
{
    struct call *c = calloc(1, sizeof *c);
    pthread_condattr_t ca;
    if (!c)
        return NULL;
    if (pthread_condattr_init(&ca) != 0)
        goto fail;
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&c->cv, &ca) != 0) {
        pthread_condattr_destroy(&ca);
        goto fail;
    }
    pthread_condattr_destroy(&ca);
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        pthread_cond_destroy(&c->cv);
        goto fail;
    }
    c->refs = 2;                  /* waiter + done callback */
    return c;
fail:
    free(c);
    return NULL;
}

static struct timespec deadline_in(unsigned ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

enum skv_http_call_result skv_http_call(const struct skv_host *host,
                                        const struct skv_admin_req *req,
                                        unsigned timeout_ms,
                                        struct skv_http_answer **out,
                                        int *refused_rc)
{
    struct call *c = call_new();
    struct timespec until;
    enum skv_http_call_result res;
    int rc;

    *out = NULL;
    if (!c)
        return SKV_HTTP_CALL_NOMEM;
    rc = host->admin_call(host->ctx, req, on_done, c);
    pthread_mutex_lock(&c->mu);
    if (rc != SKV_OK) {
        *refused_rc = rc;
        c->refs--;                /* done will never run */
        call_unref_locked(c);
        return SKV_HTTP_CALL_REFUSED;
    }
    until = deadline_in(timeout_ms);
    while (!c->done)
        if (pthread_cond_timedwait(&c->cv, &c->mu, &until) == ETIMEDOUT)
            break;
    if (!c->done)
        res = SKV_HTTP_CALL_TIMEOUT;
    else if (c->nomem)
        res = SKV_HTTP_CALL_NOMEM;
    else {
        res = SKV_HTTP_CALL_ANSWERED;
        *out = c->ans;
        c->ans = NULL;
    }
    call_unref_locked(c);
    return res;
}
