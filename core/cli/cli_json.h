/* SPDX-License-Identifier: MIT */
/*
 * cli_json.h — what `sealkv --json` prints beyond the server's own JSON
 * answers: a value read by `get`, and every failure, as one JSON object
 * on stdout (sealkv(1) "JSON OUTPUT").
 */
#ifndef SKV_CLI_JSON_H
#define SKV_CLI_JSON_H

#include <stddef.h>
#include <stdio.h>

#include <sealkv/client.h>

/* {"key": base64, "value": base64, "mod_index": N, "create_index": N}
 * (RFC 4648, as etcdctl -w json): keys and values are bytes, lossless
 * whatever they hold; the indexes are r's revision headers (absent when
 * the server sent none; 0: written before revisions). 0, or -1 (out of
 * memory or a write error). */
int skv_cli_json_kv(FILE *out, const struct skv_client_kv *kv);

/* A failed request: the server's JSON error body as is, or, when there
 * is none, {"error": "unreachable" | "unknown_outcome" |
 * "unexpected_answer", "message", "endpoint", "status"} — lower-case
 * names, so they never collide with the server's Err* names. `exit_code`
 * is the status the CLI exits with (SKV_CLI_EXIT_*), added as "exit". */
int skv_cli_json_error(FILE *out, const struct skv_client_error *e, int exit_code);

/* A listed entry as the server sends it: {"key":B64[,"value":B64]
 * [,"mod_index":N]}; a new reference, or NULL when out of memory. */
struct json_t;
struct json_t *skv_cli_json_entry(const struct skv_client_kv *kv);

#endif
