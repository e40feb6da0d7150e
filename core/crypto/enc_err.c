/* SPDX-License-Identifier: MIT */
/*
 * enc_err.c — the encryption layer's error ids (names from the catalogue,
 * util/errors.def) and the helper that fills a struct skv_enc_err.
 */
#include "crypto/enc_err.h"
#include "util/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Each why's catalogue id (util/errors.def); SKV_ENC_OK has none. */
static const enum skv_error_id ids[SKV_ENC_WHY_COUNT_] = {
    [SKV_ENC_OK] = SKV_ErrInternal,
    [SKV_ENC_INVALID_ARGUMENT] = SKV_ErrInvalidArgument,
    [SKV_ENC_NOMEM] = SKV_ErrNoMemory,
    [SKV_ENC_CIPHER] = SKV_ErrCipher,
    [SKV_ENC_KEK_MISSING] = SKV_ErrKEKMissing,
    [SKV_ENC_KEK_FILE_MISSING] = SKV_ErrKEKFileMissing,
    [SKV_ENC_KEK_FILE_NOT_REGULAR] = SKV_ErrKEKFileNotRegular,
    [SKV_ENC_KEK_FILE_PERMISSIONS] = SKV_ErrKEKFilePermissions,
    [SKV_ENC_KEK_FILE_OWNER] = SKV_ErrKEKFileOwner,
    [SKV_ENC_KEK_FILE_UNREADABLE] = SKV_ErrKEKFileUnreadable,
    [SKV_ENC_KEK_INVALID] = SKV_ErrKEKInvalid,
    [SKV_ENC_KEK_NOT_GIVEN] = SKV_ErrKEKNotGiven,
    [SKV_ENC_DEK_INVALID] = SKV_ErrDEKInvalid,
    [SKV_ENC_DEK_UNWRAP] = SKV_ErrDEKUnwrapFailed,
    [SKV_ENC_DEK_CONFLICT] = SKV_ErrDEKConflict,
    [SKV_ENC_SUITE_UNSUPPORTED] = SKV_ErrSuiteUnsupported,
    [SKV_ENC_UNKNOWN_KEY_ID] = SKV_ErrUnknownKeyID,
    [SKV_ENC_ENVELOPE_TOO_SHORT] = SKV_ErrEnvelopeTooShort,
    [SKV_ENC_ENVELOPE_VERSION] = SKV_ErrEnvelopeVersion,
    [SKV_ENC_ENVELOPE_FLAGS] = SKV_ErrEnvelopeFlags,
    [SKV_ENC_ENVELOPE_PURPOSE] = SKV_ErrEnvelopePurposeMismatch,
    [SKV_ENC_ENVELOPE_INTEGRITY] = SKV_ErrEnvelopeIntegrity,
    [SKV_ENC_ENVELOPE_TOO_BIG] = SKV_ErrEnvelopeTooBig,
    [SKV_ENC_WRITE_COUNTER_EXHAUSTED] = SKV_ErrWriteCounterExhausted,
    [SKV_ENC_LOCAL_EPOCH_EXHAUSTED] = SKV_ErrLocalEpochExhausted,
    [SKV_ENC_LOCAL_EPOCH_OUT_OF_RANGE] = SKV_ErrLocalEpochOutOfRange,
    [SKV_ENC_KEK_PROVIDER_UNSUPPORTED] = SKV_ErrKEKProviderUnsupported,
    [SKV_ENC_PKCS11_MODULE] = SKV_ErrPKCS11ModuleMissing,
    [SKV_ENC_PKCS11_TOKEN] = SKV_ErrPKCS11TokenNotFound,
    [SKV_ENC_PKCS11_PIN] = SKV_ErrPKCS11PinIncorrect,
    [SKV_ENC_PKCS11_KEY] = SKV_ErrPKCS11KeyNotFound,
    [SKV_ENC_PKCS11_MECHANISM] = SKV_ErrPKCS11MechanismUnsupported,
    [SKV_ENC_PKCS11] = SKV_ErrPKCS11Failed,
};

const char *skv_enc_errname(int why)
{
    if (why == SKV_ENC_OK)
        return NULL;
    if (why < 0 || why >= SKV_ENC_WHY_COUNT_)
        return skv_error_name(SKV_ErrInternal);
    return skv_error_name(ids[why]);
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
