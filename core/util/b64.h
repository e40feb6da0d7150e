/* SPDX-License-Identifier: MIT */
/*
 * b64.h — bytes as standard base64 (RFC 4648, with padding; libsodium's
 * ORIGINAL variant) appended to a skv_buf: the one encoder of the JSON
 * answers that carry keys and values (listing, watch history, txn).
 */
#ifndef SKV_B64_H
#define SKV_B64_H

#include <stddef.h>

#include "util/buf.h"

/* Append the encoding of p[0..n) (no NUL). 0, or -1 (nothing appended). */
int skv_buf_append_b64(struct skv_buf *b, const void *p, size_t n);

#endif
