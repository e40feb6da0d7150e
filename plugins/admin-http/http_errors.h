/* SPDX-License-Identifier: MIT */
/*
 * http_errors.h — the error names admin-http answers on its own (before
 * or without a core answer: authentication, routing, body size, a core
 * that did not take or answer the call) and the names it gives a core
 * answer that carries an enum skv_rc but no name (skv_http_rc_name; the
 * status then comes from the answer, 500 if it has none). A plugin
 * compiles against abi/ only, so it cannot include the core's catalogue
 * (core/util/errors.def); instead its names live here, once each, and
 * tests/unit/check_error_catalogue.sh checks every row against the
 * catalogue (same name, status, retryability). Errors the core answers
 * by name pass through with the core's name, status and Retry-After.
 *
 *   X(name, status, retryable)   retryable: Retry-After: 1
 */
#ifndef SKV_HTTP_ERRORS_H
#define SKV_HTTP_ERRORS_H

#include <sealkv/plugin.h>

/* The plugin's own answers, then the names of the remaining skv_rc codes
 * (ErrNoMemory, ErrNotFound, ErrTooBig, ErrInternal serve both). */
#define SKV_HTTP_ERRORS(X) \
    X(ErrBadRequest, 400, 0) \
    X(ErrUnauthorized, 401, 0) \
    X(ErrNotFound, 404, 0) \
    X(ErrMethodNotAllowed, 405, 0) \
    X(ErrTooBig, 413, 0) \
    X(ErrNoMemory, 500, 0) \
    X(ErrInternal, 500, 0) \
    X(ErrUnavailable, 503, 1) \
    X(ErrTimeout, 504, 1) \
    X(ErrInvalid, 500, 0) \
    X(ErrIO, 500, 0) \
    X(ErrCorrupt, 500, 0) \
    X(ErrBusy, 500, 0) \
    X(ErrUnsupported, 500, 0) \
    X(ErrIntegrity, 500, 0) \
    X(ErrFull, 500, 0) \
    X(ErrClosed, 500, 0) \
    X(ErrAgain, 500, 0) \
    X(ErrConfig, 500, 0)

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
