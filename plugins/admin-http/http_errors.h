/* SPDX-License-Identifier: MIT */
/*
 * http_errors.h — the error names admin-http answers on its own (before
 * or without a core answer: authentication, routing, body size, a core
 * that did not take or answer the call). A plugin compiles against abi/
 * only, so it cannot include the core's catalogue (core/util/errors.def);
 * instead its few names live here, once, and
 * tests/unit/check_error_catalogue.sh checks every row against the
 * catalogue (same name, status, retryability). Errors the core answers
 * pass through with the core's name, status and Retry-After.
 *
 *   X(name, status, retryable)   retryable: Retry-After: 1
 */
#ifndef SKV_HTTP_ERRORS_H
#define SKV_HTTP_ERRORS_H

#include <sealkv/plugin.h>

#define SKV_HTTP_ERRORS(X) \
    X(ErrBadRequest, 400, 0) \
    X(ErrUnauthorized, 401, 0) \
    X(ErrNotFound, 404, 0) \
    X(ErrMethodNotAllowed, 405, 0) \
    X(ErrTooBig, 413, 0) \
    X(ErrNoMemory, 500, 0) \
    X(ErrInternal, 500, 0) \
    X(ErrUnavailable, 503, 1) \
    X(ErrTimeout, 504, 1)

/* The name of each enum skv_rc, in its order (an answer without a name;
 * status then comes from the answer, 500 if it has none). */
#define SKV_HTTP_RC_ERRORS(X) \
    X(ErrInternal, 500, 0) /* SKV_OK: never an error; not used */ \
    X(ErrInvalid, 500, 0) \
    X(ErrNoMemory, 500, 0) \
    X(ErrNotFound, 404, 0) \
    X(ErrIO, 500, 0) \
    X(ErrCorrupt, 500, 0) \
    X(ErrBusy, 500, 0) \
    X(ErrUnsupported, 500, 0) \
    X(ErrIntegrity, 500, 0) \
    X(ErrFull, 500, 0) \
    X(ErrClosed, 500, 0) \
    X(ErrTooBig, 413, 0) \
    X(ErrAgain, 500, 0) \
    X(ErrConfig, 500, 0) \
    X(ErrInternal, 500, 0)

enum skv_http_err {
#define SKV_HTTP_X_ENUM(name, status, retry) SKV_HTTP_##name,
    SKV_HTTP_ERRORS(SKV_HTTP_X_ENUM)
#undef SKV_HTTP_X_ENUM
    SKV_HTTP_ERR_COUNT_
};

struct skv_http_err_info {
    const char *name;
    unsigned status;
    int retry_after_s;
};

/* Name, status and Retry-After of `id` (ErrInternal when out of range). */
const struct skv_http_err_info *skv_http_err_info(enum skv_http_err id);

#endif /* SKV_HTTP_ERRORS_H */
