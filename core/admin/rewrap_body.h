/* SPDX-License-Identifier: MIT */
/*
 * rewrap_body.h — the body of POST /v1/encryption/rewrap-kek (issue 13
 * items 2 and 5): {"kek_file": "/absolute/path"} or {"kek_id": "<32
 * lowercase hex>"}, exactly one, nothing else. Pure: no node, no I/O
 * (tests/fuzz/fuzz_rewrap_body.c).
 */
#ifndef SKV_REWRAP_BODY_H
#define SKV_REWRAP_BODY_H

#include <stddef.h>

#define SKV_REWRAP_ID_HEX 32   /* a KEK id (crypto/kek.h SKV_KEK_ID_HEX) */

/* Parse `body` (`len` bytes, need not be NUL-terminated). On success
 * returns NULL with exactly one of path (an absolute path shorter than
 * pathlen) and id (SKV_REWRAP_ID_HEX hex characters; idlen > that) set,
 * the other "". On refusal returns a static reason for ErrBadRequest and
 * leaves both "". */
const char *skv_rewrap_body_parse(const char *body, size_t len, char *path, size_t pathlen,
                                  char *id, size_t idlen);

#endif /* SKV_REWRAP_BODY_H */
