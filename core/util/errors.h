/* SPDX-License-Identifier: MIT */
/*
 * errors.h — the error catalogue (util/errors.def) as code: one enum
 * skv_error_id per stable name (SKV_ErrNotLeader, ...) and its rc, HTTP
 * status and retry class. Call sites name an id, never a string, so a
 * misspelt name is a compile error; status and Retry-After derive from
 * the catalogue. Names received as data (the wire, FSM results) are
 * looked up with skv_error_from_name().
 */
#ifndef SKV_ERRORS_H
#define SKV_ERRORS_H

#include <sealkv/plugin.h>

enum skv_error_id {
#define SKV_ERROR(name, rc, status, retry) SKV_##name,
#include "util/errors.def"
#undef SKV_ERROR
    SKV_ERROR_COUNT_
};

/* Retry classes (errors.def's fourth column). */
enum skv_retry {
    SKV_RETRY_NO = 0,
    SKV_RETRY_SOON,     /* refused before anything happened; resend now */
    SKV_RETRY_LATER,    /* refused before anything happened; busy */
    SKV_RETRY_UNKNOWN   /* outcome unknown; check, then resend */
};

/* Retry-After (seconds) on every retryable reply. */
#define SKV_RETRY_AFTER_S 1

/* The stable name (ErrNotLeader); ErrInternal for an out-of-range id.
 * Static string. */
const char *skv_error_name(enum skv_error_id id);
/* Its enum skv_rc, HTTP status, enum skv_retry. */
int skv_error_rc(enum skv_error_id id);
int skv_error_status(enum skv_error_id id);
int skv_error_retry(enum skv_error_id id);
/* Retry-After hint: SKV_RETRY_AFTER_S when retryable, else 0. */
int skv_error_retry_after(enum skv_error_id id);

/* The id of `name`: 0, or -1 (and *id = SKV_ErrInternal) if `name` is NULL
 * or not in the catalogue. */
int skv_error_from_name(const char *name, enum skv_error_id *id);

/* Status and Retry-After for a name received as data: the catalogue's, or
 * 500/0 for an unknown name, 200/0 for NULL. */
void skv_error_name_http(const char *name, int *status, int *retry_after_s);

#endif /* SKV_ERRORS_H */
