/* SPDX-License-Identifier: MIT */
/*
 * cl_http.h — libsealkv-client's transport (internal): one binary-safe
 * request through libcurl (HTTPS verified with a given CA, client
 * certificate, bearer token), the failover over the endpoints and the
 * retry policy for answers that say "not executed, try again", and the
 * outcome class of an answer (enum skv_client_code).
 */
#ifndef SKV_CL_HTTP_H
#define SKV_CL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <sealkv/client.h>

/* Where and how to send. */
#define SKV_CL_MAX_ENDPOINTS SKV_CLIENT_MAX_ENDPOINTS

struct skv_cl_http {
    const char *endpoint; /* base URL, e.g. "http://127.0.0.1:8101" (the
                             first of `endpoints` when that is set) */
    const char *const *endpoints; /* failover order, or NULL: `endpoint` only */
    size_t n_endpoints;
    long timeout_ms;      /* whole-transfer limit of one attempt (> 0) */
    long retry_ms;        /* retry budget for retryable failures; 0 = none */
    const char *cacert;   /* CA file that verifies an https:// server, or NULL */
    const char *cert;     /* client certificate (PEM), or NULL */
    const char *key;      /* its private key (PEM), or NULL: inside cert */
    const char *token;    /* bearer token, or NULL; sent as Authorization:
                             Bearer, our header copy is wiped after use */
    size_t max_body;      /* bound on one answer's body (bytes) */
};

/* One request. `path` starts with '/' and is already encoded. */
struct skv_cl_req {
    const char *method;       /* "GET", "PUT", "POST", "DELETE" */
    const char *path;
    const void *body;         /* raw bytes (may hold NUL); NULL = no body */
    size_t body_len;
    const char *content_type; /* for a body; NULL = none */
    /* A stream (GET /v1/watch), or NULL: once the status is 2xx the body
     * goes to on_data as it arrives instead of into the response, and
     * the transfer has no overall time limit, only a stall limit
     * (SKV_CL_STREAM_STALL_S without a byte). on_data returns 0, or -1
     * to abort the transfer. */
    int (*on_data)(void *arg, const char *p, size_t n);
    void *on_data_arg;
};
#define SKV_CL_STREAM_STALL_S 30L

/* The outcome of the last attempt. Either status != 0 (an HTTP answer)
 * or conn_failed != 0 (no answer; conn_msg says why). */
struct skv_cl_resp {
    long status;          /* HTTP status, 0 when there was no answer */
    char *body;           /* raw body, plus one NUL not counted in len */
    size_t len;
    size_t body_cap;      /* internal: bytes allocated at body */
    long retry_after_s;   /* Retry-After in seconds, -1 when absent */
    char *error;          /* error name (ErrXxx) from a JSON error body, or NULL */
    char *message;        /* its "message", or NULL */
    int conn_failed;      /* 1: the request got no HTTP answer */
    int conn_refused;     /* 1: could not connect (nothing was sent) */
    int too_big;          /* 1: the body passed max_body (conn_failed too) */
    int conn_unsent;      /* 1: no server was reached (connect, name lookup or
                           * TLS handshake failed): nothing was done */
    char conn_msg[256];   /* libcurl's description of the failure */
    const char *endpoint; /* the endpoint the last attempt went to */
    size_t max_body_;              /* internal: the bound on body */
    const struct skv_cl_req *rq_; /* internal: the request (streams) */
    void *curl_;                   /* internal: its handle during the transfer */
    unsigned long long mod_index;    /* X-Sealkv-Mod-Index (a key's read) */
    unsigned long long create_index; /* X-Sealkv-Create-Index */
    int has_rev;          /* both headers were there and valid */
    int rev_seen;         /* internal: bits 1 mod, 2 create, 4 malformed */
};

/* The outcome class of an exchange that did not succeed: `not_found`
 * when it was a get answered "no such key". */
enum skv_client_code skv_cl_code_for(const struct skv_cl_resp *r, int not_found);

/* Send rq to an endpoint + rq->path. The endpoints are tried in order:
 * the next one as soon as one fails over (skv_cl_http_failover: nothing
 * was done there), and round after round, with the retry delay, while
 * the answer is retryable (skv_cl_http_retryable) and the budget lasts.
 * Fills *out with the last attempt (always; free with
 * skv_cl_resp_free; out->endpoint says where it went). Returns 0 when
 * *out describes an answer or a connection failure, -1 when out of
 * memory (with out->conn_msg set). */
int skv_cl_http_do(const struct skv_cl_http *h, const struct skv_cl_req *rq,
                    struct skv_cl_resp *out);

/* 1 if another endpoint may be tried at once: no server was reached
 * (conn_unsent), or a retryable answer (below); for a GET, which changes
 * nothing, also any connection failure and any 5xx. */
int skv_cl_http_failover(const struct skv_cl_resp *r, const struct skv_cl_req *rq);

/* 1 if the request provably was not executed and may be sent again:
 * connection refused, or a 503 whose error is ErrNoLeader,
 * ErrLeaderNotReady, ErrNotLeader, ErrEnvelopeCutoverInProgress or
 * ErrLeaderUnreachable. Never for 504, ErrLeadershipLost, ErrTimeout or
 * anything else whose outcome is unknown. */
int skv_cl_http_retryable(const struct skv_cl_resp *r);

/* Wait before retry number `attempt` (0-based): the server's Retry-After
 * when given, else exponential backoff from 100 ms; never above 1 s. */
long skv_cl_http_retry_delay_ms(unsigned attempt, long retry_after_s);

void skv_cl_resp_free(struct skv_cl_resp *r);

#endif /* SKV_CL_HTTP_H */
