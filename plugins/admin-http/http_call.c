/* SPDX-License-Identifier: MIT */
/*
 * http_call.c — owns the serving-thread ↔ loop-thread handshake for one
 * admin request without blocking the serving thread: the connection is
 * suspended, the call waits in the plugin's registry (a deadline-ordered
 * list watched by one thread), and the first of done callback, deadline
 * or stop fixes the outcome and resumes the connection. The deep copy of
 * the core's response is made inside the done callback (the response is
 * only valid during it). One mutex (the registry's) guards every call's
 * state; MHD_resume_connection is always called after it is released.
 */
#include "http_call.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

enum call_state { WAITING, READY };

struct skv_http_pending {
    struct skv_http_pending *prev, *next;   /* registry list while WAITING */
    struct skv_http_calls *calls;
    struct MHD_Connection *conn;            /* resumed once, then NULL */
    struct timespec deadline;               /* CLOCK_MONOTONIC */
    int refs;                               /* handler + done callback */
    int done_seen;                          /* the done callback ran */
    enum call_state state;
    enum skv_http_call_result result;
    int refused_rc;
    struct skv_http_answer *ans;            /* owned by the call until taken */
};

struct skv_http_calls {
    pthread_mutex_t mu;
    pthread_cond_t cv;                      /* CLOCK_MONOTONIC; watchdog */
    struct skv_http_pending *head, *tail;   /* WAITING, by deadline */
    pthread_t thread;
    int running, quit;
    int stopping;                           /* new calls end at once */
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
    if (RESP_HAS(r, create_index)) { /* a 1.2 host: the revision of a key's read */
        a->mod_index = r->mod_index;
        a->create_index = r->create_index;
        a->has_rev = 1;
    }
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

/* ---- registry (mu held) ------------------------------------------------ */

static int ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec ||
           (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Insert by deadline; every call has the same timeout, so this is
 * almost always an append. */
static void list_insert(struct skv_http_calls *cs, struct skv_http_pending *pc)
{
    struct skv_http_pending *at = cs->tail;
    while (at && ts_before(&pc->deadline, &at->deadline))
        at = at->prev;
    pc->prev = at;
    pc->next = at ? at->next : cs->head;
    if (pc->next)
        pc->next->prev = pc;
    else
        cs->tail = pc;
    if (at)
        at->next = pc;
    else
        cs->head = pc;
}

static void list_remove(struct skv_http_calls *cs, struct skv_http_pending *pc)
{
    if (pc->prev)
        pc->prev->next = pc->next;
    else
        cs->head = pc->next;
    if (pc->next)
        pc->next->prev = pc->prev;
    else
        cs->tail = pc->prev;
    pc->prev = pc->next = NULL;
}

/* WAITING → READY with `result`; returns the connection to resume (the
 * caller resumes it after unlocking), or NULL if already READY. */
static struct MHD_Connection *settle(struct skv_http_pending *pc,
                                     enum skv_http_call_result result)
{
    struct MHD_Connection *c;
    if (pc->state != WAITING)
        return NULL;
    list_remove(pc->calls, pc);
    pc->state = READY;
    pc->result = result;
    c = pc->conn;
    pc->conn = NULL;
    return c;
}

/* Drop one reference; frees on the last. Unlocks mu. */
static void unref_unlock(struct skv_http_pending *pc)
{
    struct skv_http_calls *cs = pc->calls;
    int last = --pc->refs == 0;
    pthread_mutex_unlock(&cs->mu);
    if (!last)
        return;
    skv_http_answer_free(pc->ans);
    free(pc);
}

/* ---- the core's done callback (loop thread) ---------------------------- */

static void on_done(void *arg, const struct skv_admin_resp *resp)
{
    struct skv_http_pending *pc = arg;
    struct skv_http_answer *a = resp ? copy_resp(resp) : NULL;
    struct MHD_Connection *c;
    pthread_mutex_lock(&pc->calls->mu);
    if (pc->done_seen) {          /* a second callback: contract breach */
        pthread_mutex_unlock(&pc->calls->mu);
        skv_http_answer_free(a);
        return;
    }
    pc->done_seen = 1;
    c = settle(pc, a ? SKV_HTTP_CALL_ANSWERED : SKV_HTTP_CALL_NOMEM);
    if (c)
        pc->ans = a;
    else                          /* too late: deadline or stop */
        skv_http_answer_free(a);
    unref_unlock(pc);
    if (c)  /* still suspended, so still valid: only we resume it */
        MHD_resume_connection(c);
}

/* ---- watchdog -------------------------------------------------------- */

static void now_mono(struct timespec *ts)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
}

static void *watchdog_main(void *arg)
{
    struct skv_http_calls *cs = arg;
    pthread_mutex_lock(&cs->mu);
    while (!cs->quit) {
        struct timespec now;
        struct skv_http_pending *pc = cs->head;
        struct MHD_Connection *c;
        if (!pc) {
            pthread_cond_wait(&cs->cv, &cs->mu);
            continue;
        }
        now_mono(&now);
        if (ts_before(&now, &pc->deadline)) {
            struct timespec until = pc->deadline;
            pthread_cond_timedwait(&cs->cv, &cs->mu, &until);
            continue;
        }
        c = settle(pc, SKV_HTTP_CALL_TIMEOUT);
        pthread_mutex_unlock(&cs->mu);
        MHD_resume_connection(c);
        pthread_mutex_lock(&cs->mu);
    }
    pthread_mutex_unlock(&cs->mu);
    return NULL;
}

struct skv_http_calls *skv_http_calls_new(void)
{
    struct skv_http_calls *cs = calloc(1, sizeof *cs);
    pthread_condattr_t ca;
    if (!cs)
        return NULL;
    if (pthread_condattr_init(&ca) != 0)
        goto fail;
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&cs->cv, &ca) != 0) {
        pthread_condattr_destroy(&ca);
        goto fail;
    }
    pthread_condattr_destroy(&ca);
    if (pthread_mutex_init(&cs->mu, NULL) != 0) {
        pthread_cond_destroy(&cs->cv);
        goto fail;
    }
    return cs;
fail:
    free(cs);
    return NULL;
}

int skv_http_calls_start(struct skv_http_calls *cs)
{
    int rc;
    if (cs->running)
        return 0;
    pthread_mutex_lock(&cs->mu);
    cs->quit = 0;
    cs->stopping = 0;
    pthread_mutex_unlock(&cs->mu);
    rc = pthread_create(&cs->thread, NULL, watchdog_main, cs);
    if (rc == 0)
        cs->running = 1;
    return rc;
}

void skv_http_calls_stop(struct skv_http_calls *cs)
{
    if (!cs)
        return;
    pthread_mutex_lock(&cs->mu);
    cs->stopping = 1;
    while (cs->head) {
        struct MHD_Connection *c = settle(cs->head, SKV_HTTP_CALL_STOPPING);
        pthread_mutex_unlock(&cs->mu);
        MHD_resume_connection(c);
        pthread_mutex_lock(&cs->mu);
    }
    cs->quit = 1;
    pthread_cond_signal(&cs->cv);
    pthread_mutex_unlock(&cs->mu);
    if (cs->running)
        pthread_join(cs->thread, NULL);
    cs->running = 0;
}

void skv_http_calls_free(struct skv_http_calls *cs)
{
    if (!cs)
        return;
    skv_http_calls_stop(cs);
    pthread_cond_destroy(&cs->cv);
    pthread_mutex_destroy(&cs->mu);
    free(cs);
}

/* ---- one call ---------------------------------------------------------- */

static struct timespec deadline_in(unsigned ms)
{
    struct timespec ts;
    now_mono(&ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

struct skv_http_pending *skv_http_call_begin(struct skv_http_calls *cs,
                                             const struct skv_host *host,
                                             const struct skv_admin_req *req,
                                             unsigned timeout_ms,
                                             struct MHD_Connection *c)
{
    struct skv_http_pending *pc = calloc(1, sizeof *pc);
    struct MHD_Connection *resume = NULL;
    int rc, wake;
    if (!pc)
        return NULL;
    pc->calls = cs;
    pc->conn = c;
    pc->refs = 2;                 /* handler + done callback */
    pc->state = WAITING;
    pc->deadline = deadline_in(timeout_ms);
    /* Suspend before the core can answer: a resume must never overtake
     * its suspend (MHD would drop the suspend and the answer with it). */
    MHD_suspend_connection(c);
    pthread_mutex_lock(&cs->mu);
    if (cs->stopping) {           /* nobody would resume it later */
        pc->refs--;
        pc->state = READY;
        pc->result = SKV_HTTP_CALL_STOPPING;
        pc->conn = NULL;
        pthread_mutex_unlock(&cs->mu);
        MHD_resume_connection(c);
        return pc;
    }
    list_insert(cs, pc);
    wake = cs->head == pc;
    pthread_mutex_unlock(&cs->mu);
    if (wake)
        pthread_cond_signal(&cs->cv);
    rc = host->admin_call(host->ctx, req, on_done, pc);
    if (rc != SKV_OK) {
        pthread_mutex_lock(&cs->mu);
        pc->refs--;               /* done will never run */
        if ((resume = settle(pc, SKV_HTTP_CALL_REFUSED)))
            pc->refused_rc = rc;
        pthread_mutex_unlock(&cs->mu);
        if (resume)
            MHD_resume_connection(resume);
    }
    return pc;
}

int skv_http_call_ready(struct skv_http_pending *pc)
{
    int ready;
    pthread_mutex_lock(&pc->calls->mu);
    ready = pc->state == READY;
    pthread_mutex_unlock(&pc->calls->mu);
    return ready;
}

enum skv_http_call_result skv_http_call_end(struct skv_http_pending *pc,
                                            struct skv_http_answer **out,
                                            int *refused_rc)
{
    enum skv_http_call_result res;
    *out = NULL;
    pthread_mutex_lock(&pc->calls->mu);
    res = pc->result;
    *refused_rc = pc->refused_rc;
    if (res == SKV_HTTP_CALL_ANSWERED) {
        *out = pc->ans;
        pc->ans = NULL;
    }
    unref_unlock(pc);
    return res;
}

void skv_http_call_drop(struct skv_http_pending *pc)
{
    pthread_mutex_lock(&pc->calls->mu);
    (void)settle(pc, SKV_HTTP_CALL_STOPPING); /* connection gone: no resume */
    unref_unlock(pc);
}
