/*
 * http_call.h — one blocking round trip to the core: host->admin_call()
 * plus a bounded wait for its done callback, which arrives on the core's
 * loop thread. The per-call state is refcounted, so a done callback that
 * comes after the waiter gave up is safe.
 */
#ifndef SKV_HTTP_CALL_H
#define SKV_HTTP_CALL_H

#include <stddef.h>

#include <sealkv/plugin.h>

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
};

enum skv_http_call_result {
    SKV_HTTP_CALL_ANSWERED = 0,  /* *out holds the answer */
    SKV_HTTP_CALL_REFUSED,       /* admin_call returned *refused_rc */
    SKV_HTTP_CALL_TIMEOUT,       /* no answer within timeout_ms */
    SKV_HTTP_CALL_NOMEM          /* could not allocate or copy */
};

/* Issue `req` and wait up to timeout_ms for the answer. On ANSWERED the
 * caller frees *out with skv_http_answer_free(). */
enum skv_http_call_result skv_http_call(const struct skv_host *host,
                                        const struct skv_admin_req *req,
                                        unsigned timeout_ms,
                                        struct skv_http_answer **out,
                                        int *refused_rc);

void skv_http_answer_free(struct skv_http_answer *a);

#endif /* SKV_HTTP_CALL_H */
