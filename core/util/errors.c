/* SPDX-License-Identifier: MIT */
/*
 * errors.c — the catalogue table built from util/errors.def and its
 * look-ups (name, rc, status, retry class; name → id).
 */
#include "util/errors.h"

#include <string.h>

struct skv_error_info {
    const char *name;
    int rc, status, retry;
};

static const struct skv_error_info catalogue[SKV_ERROR_COUNT_] = {
#define SKV_ERROR(name, rc, status, retry) \
    [SKV_##name] = {#name, rc, status, SKV_RETRY_##retry},
#include "util/errors.def"
#undef SKV_ERROR
};

static const struct skv_error_info *info(enum skv_error_id id)
{
    if ((int)id < 0 || id >= SKV_ERROR_COUNT_)
        id = SKV_ErrInternal;
    return &catalogue[id];
}

const char *skv_error_name(enum skv_error_id id)
{
    return info(id)->name;
}

int skv_error_rc(enum skv_error_id id)
{
    return info(id)->rc;
}

int skv_error_status(enum skv_error_id id)
{
    return info(id)->status;
}

int skv_error_retry(enum skv_error_id id)
{
    return info(id)->retry;
}

int skv_error_retry_after(enum skv_error_id id)
{
    return info(id)->retry != SKV_RETRY_NO ? SKV_RETRY_AFTER_S : 0;
}

int skv_error_from_name(const char *name, enum skv_error_id *id)
{
    int i;
    *id = SKV_ErrInternal;
    for (i = 0; name && i < SKV_ERROR_COUNT_; i++)
        if (strcmp(catalogue[i].name, name) == 0) {
            *id = (enum skv_error_id)i;
            return 0;
        }
    return -1;
}

void skv_error_name_http(const char *name, int *status, int *retry_after_s)
{
    enum skv_error_id id;
    *status = name ? 500 : 200;
    *retry_after_s = 0;
    if (skv_error_from_name(name, &id) == 0) {
        *status = skv_error_status(id);
        *retry_after_s = skv_error_retry_after(id);
    }
}
