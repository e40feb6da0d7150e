/* SPDX-License-Identifier: MIT */
/*
 * http_reply.h — builds and queues admin-http responses: JSON errors
 * {"error","message"} with optional Retry-After / Allow headers, and the
 * core's answers (raw octet-stream body or JSON).
 */
#ifndef SKV_HTTP_REPLY_H
#define SKV_HTTP_REPLY_H

#include <microhttpd.h>

#include "http_call.h"
#include "http_errors.h"

struct skv_http_error {
    unsigned status;          /* 400..599 */
    const char *name;         /* e.g. ErrTimeout (http_errors.h) */
    const char *message;      /* may be NULL */
    int retry_after_s;        /* > 0: Retry-After header */
    const char *allow;        /* non-NULL: Allow header (405) */
    const char *www_auth;     /* non-NULL: WWW-Authenticate header (401) */
};

/* Status, name and Retry-After of the plugin's own error `id`; message as
 * given, no Allow/WWW-Authenticate. */
struct skv_http_error skv_http_error_of(enum skv_http_err id, const char *message);

/* Queue an error response. MHD_NO means the connection must close. */
enum MHD_Result skv_http_reply_error(struct MHD_Connection *c,
                                     const struct skv_http_error *e);
/* The same with the fields of the JSON object `extra` (may be NULL or
 * not an object: then ignored) beside "error" and "message". */
enum MHD_Result skv_http_reply_error_extra(struct MHD_Connection *c,
                                           const struct skv_http_error *e,
                                           const char *extra);

/* Queue the core's answer: status from a->status (fallback 200 for
 * SKV_OK, 500 otherwise); errors as JSON (with the fields of a->json,
 * if it is an object); body raw; else JSON. The body
 * or json buffer is handed to MHD (set to NULL in *a). */
enum MHD_Result skv_http_reply_answer(struct MHD_Connection *c,
                                      struct skv_http_answer *a);

/* Stable error name for an enum skv_rc (ErrInvalid, ...). */
const char *skv_http_rc_name(int rc);

#endif /* SKV_HTTP_REPLY_H */
