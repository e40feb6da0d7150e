/* SPDX-License-Identifier: MIT */
/*
 * txn_json.h — a transaction's JSON request (POST /v1/txn, kv_txn.c):
 *   {"compare":[{"key":K,"mod_index":N} | {"key":K,"value":V} |
 *               {"key":K,"exists":bool}],
 *    "success":[{"op":"put","key":K,"value":V} | {"op":"delete","key":K} |
 *               {"op":"get","key":K}],
 *    "failure":[...same...]}
 * K and V in standard base64 (RFC 4648, padded); every member optional
 * but no other allowed; at most SKV_TXN_MAX_CMPS compares and
 * SKV_TXN_MAX_OPS ops; keys 1..SKV_MAX_KEY bytes. The encoder and the
 * FSM's decoder (cmd/txn_cmd.h) check the rest (the encoded size, a key
 * written twice in a branch).
 */
#ifndef SKV_TXN_JSON_H
#define SKV_TXN_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/txn_cmd.h"

struct skv_txn_json {
    json_t *branches[2];        /* the request's success and failure arrays */
    struct skv_txn t;           /* slices into bufs */
    uint8_t **bufs;             /* decoded keys and values */
    size_t n_bufs;
};

/* Parse NUL-terminated `text`: 0, or -1 with *why (static text; a 400,
 * or "out of memory"). *out is empty after a failure. */
int skv_txn_json_parse(const char *text, struct skv_txn_json *out, const char **why);
void skv_txn_json_free(struct skv_txn_json *x);

#endif /* SKV_TXN_JSON_H */
