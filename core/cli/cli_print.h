/* SPDX-License-Identifier: MIT */
/*
 * cli_print.h — the sealkv CLI's output: the server's JSON verbatim for
 * --json, readable summaries otherwise, and the one-line error messages.
 */
#ifndef SKV_CLI_PRINT_H
#define SKV_CLI_PRINT_H

#include <stddef.h>
#include <stdio.h>

#include <sealkv/client.h>

/* How a successful answer is shown to a human. */
enum skv_cli_view {
    SKV_CLI_VIEW_STATUS,   /* GET /v1/status */
    SKV_CLI_VIEW_MEMBERS,  /* GET /v1/cluster/members */
    SKV_CLI_VIEW_MEMBER,   /* add / remove / promote answer ({id, role}) */
    SKV_CLI_VIEW_INDEX,    /* {"index":N} → N */
    SKV_CLI_VIEW_ENABLE,   /* enable-*-envelope answer */
    SKV_CLI_VIEW_TREE      /* any object: indented "key: value" lines */
};

/* The body as received, plus a newline when it has none. 0, or -1 on a
 * write error. */
int skv_cli_print_verbatim(FILE *out, const char *body, size_t len);

/* A readable rendering of a JSON answer. `label` names the action for
 * MEMBER ("added", "removed", "promoted") and ENABLE ("storage
 * envelope", "raft envelope"); otherwise unused. Returns 0, or -1 when
 * the body is not the JSON object expected (nothing printed; the caller
 * reports it). */
int skv_cli_print_human(FILE *out, enum skv_cli_view view, const char *label,
                        const char *body, size_t len);

/* One line on `err` for a failed request against `endpoint`:
 * "sealkv: cannot reach URL: why" (no answer),
 * "sealkv: ErrName: message (HTTP status)" (a JSON error), or
 * "sealkv: unexpected answer: <body excerpt> (HTTP status)". Control
 * bytes from the server are shown as '?'. */
void skv_cli_print_error(FILE *err, const char *endpoint, const struct skv_client_error *e);

#endif /* SKV_CLI_PRINT_H */
