/* SPDX-License-Identifier: MIT */
/*
 * http_call.h — one round trip to the core without holding a serving
 * thread: the connection is suspended (MHD_suspend_connection), then
 * host->admin_call() is issued; whichever comes first of the core's done
 * callback (loop thread), the request deadline (the watchdog thread) or
 * the plugin stopping fixes the outcome and resumes the connection, and
 * the access handler, called again by MHD, replies. The per-call state is
 * refcounted, so a done callback that comes after the deadline is safe.
 *
 * A serving thread therefore never waits for Raft: a pool of a few
 * threads keeps any number of requests in flight (before, each thread
 * blocked on a condvar until its request committed, which capped the
 * node at `threads` requests in flight and starved group commit).
 */
#ifndef SKV_HTTP_CALL_H
#define SKV_HTTP_CALL_H

#include <stddef.h>
#include <stdint.h>

#include <sealkv/plugin.h>

struct MHD_Connection;

/* A heap copy of struct skv_admin_resp. */
struct skv_http_answer {
    int rc;
    int status;
    int retry_after_s;
    char *error;        /* NULL if absent */
    char *message;
    char *json;
    char *body;         /* NULL if absent; has_body distinguishes "" */
    size_t body_len;
    int has_body;
    const char *body_type;  /* static; NULL: application/octet-stream */
    uint64_t mod_index;     /* the core's answer covers them (since 1.2): */
    uint64_t create_index;
    int has_rev;            /* ... then has_rev */
    int rev_headers;        /* the handler asks for the revision headers */
};

enum skv_http_call_result {
    SKV_HTTP_CALL_ANSWERED = 0,  /* *out holds the answer */
    SKV_HTTP_CALL_REFUSED,       /* admin_call returned *refused_rc */
    SKV_HTTP_CALL_TIMEOUT,       /* no answer within timeout_ms */
    SKV_HTTP_CALL_NOMEM,         /* could not allocate or copy */
    SKV_HTTP_CALL_STOPPING       /* the plugin stopped first */
};

/* The plugin's registry of suspended calls and its deadline watchdog. */
struct skv_http_calls;
struct skv_http_pending;

/* NULL when out of memory. */
struct skv_http_calls *skv_http_calls_new(void);
/* Start / stop the watchdog thread (plugin start / stop). Stop first
 * ends every call still waiting with STOPPING and resumes its
 * connection: MHD_stop_daemon must never see a suspended connection. */
int skv_http_calls_start(struct skv_http_calls *calls);
void skv_http_calls_stop(struct skv_http_calls *calls);
/* After stop; calls whose done callback is still due keep their own
 * reference and free themselves. */
void skv_http_calls_free(struct skv_http_calls *calls);

/* From the access handler: suspend `c`, then issue `req` (copied by the
 * host before admin_call returns). NULL when out of memory (nothing was
 * suspended). The connection is resumed exactly once, when the outcome
 * is fixed. */
struct skv_http_pending *skv_http_call_begin(struct skv_http_calls *calls,
                                             const struct skv_host *host,
                                             const struct skv_admin_req *req,
                                             unsigned timeout_ms,
                                             struct MHD_Connection *c);

/* 1 once the outcome is fixed (the connection was resumed). */
int skv_http_call_ready(struct skv_http_pending *pc);

/* Take the outcome and drop the handler's reference (pc is gone). On
 * ANSWERED the caller frees *out with skv_http_answer_free(). */
enum skv_http_call_result skv_http_call_end(struct skv_http_pending *pc,
                                            struct skv_http_answer **out,
                                            int *refused_rc);

/* Drop the handler's reference without taking the outcome (the
 * connection closed). Only after ready, or for a call never suspended. */
void skv_http_call_drop(struct skv_http_pending *pc);

void skv_http_answer_free(struct skv_http_answer *a);

#endif /* SKV_HTTP_CALL_H */
