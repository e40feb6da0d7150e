/* SPDX-License-Identifier: MIT */
/*
 * b64.c — owns skv_buf_append_b64 (b64.h).
 */
#include "util/b64.h"

#include <sodium.h>

int skv_buf_append_b64(struct skv_buf *b, const void *p, size_t n)
{
    /* the encoded length, NUL included */
    size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    if (skv_buf_reserve(b, len) != 0)
        return -1;
    sodium_bin2base64((char *)b->p + b->len, len, (const unsigned char *)p, n,
                      sodium_base64_VARIANT_ORIGINAL);
    b->len += len - 1;
    return 0;
}
