/* SPDX-License-Identifier: MIT */
/*
 * enc_err.c — the encryption layer's error names and the helper that
 * fills a struct skv_enc_err.
 */
#include "crypto/enc_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const names[SKV_ENC_WHY_COUNT_] = {
    [SKV_ENC_OK] = NULL,
    [SKV_ENC_INVALID_ARGUMENT] = "ErrInvalidArgument",
    [SKV_ENC_NOMEM] = "ErrNoMemory",
    [SKV_ENC_CIPHER] = "ErrCipher",
    [SKV_ENC_KEK_MISSING] = "ErrKEKMissing",
    [SKV_ENC_KEK_FILE_MISSING] = "ErrKEKFileMissing",
    [SKV_ENC_KEK_FILE_NOT_REGULAR] = "ErrKEKFileNotRegular",
    [SKV_ENC_KEK_FILE_PERMISSIONS] = "ErrKEKFilePermissions",
    [SKV_ENC_KEK_FILE_OWNER] = "ErrKEKFileOwner",
    [SKV_ENC_KEK_FILE_UNREADABLE] = "ErrKEKFileUnreadable",
    [SKV_ENC_KEK_INVALID] = "ErrKEKInvalid",
    [SKV_ENC_DEK_INVALID] = "ErrDEKInvalid",
    [SKV_ENC_DEK_UNWRAP] = "ErrDEKUnwrapFailed",
    [SKV_ENC_DEK_CONFLICT] = "ErrDEKConflict",
    [SKV_ENC_SUITE_UNSUPPORTED] = "ErrSuiteUnsupported",
    [SKV_ENC_UNKNOWN_KEY_ID] = "ErrUnknownKeyID",
    [SKV_ENC_ENVELOPE_TOO_SHORT] = "ErrEnvelopeTooShort",
    [SKV_ENC_ENVELOPE_VERSION] = "ErrEnvelopeVersion",
    [SKV_ENC_ENVELOPE_FLAGS] = "ErrEnvelopeFlags",
    [SKV_ENC_ENVELOPE_PURPOSE] = "ErrEnvelopePurposeMismatch",
    [SKV_ENC_ENVELOPE_INTEGRITY] = "ErrEnvelopeIntegrity",
    [SKV_ENC_ENVELOPE_TOO_BIG] = "ErrEnvelopeTooBig",
    [SKV_ENC_WRITE_COUNTER_EXHAUSTED] = "ErrWriteCounterExhausted",
    [SKV_ENC_LOCAL_EPOCH_EXHAUSTED] = "ErrLocalEpochExhausted",
    [SKV_ENC_LOCAL_EPOCH_OUT_OF_RANGE] = "ErrLocalEpochOutOfRange",
};

const char *skv_enc_errname(int why)
{
    if (why == SKV_ENC_OK)
        return NULL;
    if (why < 0 || why >= SKV_ENC_WHY_COUNT_ || !names[why])
        return "ErrInternal";
    return names[why];
}

int skv_enc_fail(struct skv_enc_err *e, int code, int why, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        e->err.code = code;
        e->why = why;
        va_start(ap, fmt);
        vsnprintf(e->err.msg, sizeof e->err.msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void skv_enc_err_clear(struct skv_enc_err *e)
{
    if (e) {
        e->err.code = SKV_OK;
        e->err.msg[0] = 0;
        e->why = SKV_ENC_OK;
    }
}
