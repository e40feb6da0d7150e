/* SPDX-License-Identifier: MIT */
/*
 * cli_creds.h — the sealkv CLI's admin credentials: --cacert, --cert,
 * --key, --token-file (each falling back to $SEALKV_CACERT, $SEALKV_CERT,
 * $SEALKV_KEY, $SEALKV_TOKEN_FILE), and the bearer token read with the
 * server's rules (owner-only regular file, one line of printable ASCII
 * without spaces). The token lives in locked memory and is wiped.
 */
#ifndef SKV_CLI_CREDS_H
#define SKV_CLI_CREDS_H

#include <stddef.h>

struct skv_cli_creds {
    const char *cacert, *cert, *key, *token_file; /* flags; NULL = unset */
    char *token;   /* after skv_cli_creds_load: sodium_malloc'd or NULL */
};

/* Fill unset fields from the environment (an empty variable counts as
 * unset), check the combination, read the token. 0, or -1 with a
 * message in msg (never the token). */
int skv_cli_creds_load(struct skv_cli_creds *c, char *msg, size_t len);

/* Wipe and free the token (idempotent). */
void skv_cli_creds_wipe(struct skv_cli_creds *c);

#endif /* SKV_CLI_CREDS_H */
