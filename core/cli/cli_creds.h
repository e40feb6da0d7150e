/* SPDX-License-Identifier: MIT */
/*
 * cli_creds.h — the sealkv CLI's admin credential options: --cacert,
 * --cert, --key, --token-file (each falling back to $SEALKV_CACERT,
 * $SEALKV_CERT, $SEALKV_KEY, $SEALKV_TOKEN_FILE). libsealkv-client reads
 * the token file (the server's rules) into locked memory and wipes it.
 */
#ifndef SKV_CLI_CREDS_H
#define SKV_CLI_CREDS_H

#include <stddef.h>

struct skv_cli_creds {
    const char *cacert, *cert, *key, *token_file; /* flags; NULL = unset */
};

/* Fill unset fields from the environment (an empty variable counts as
 * unset) and check the combination. 0, or -1 with a message in msg. */
int skv_cli_creds_load(struct skv_cli_creds *c, char *msg, size_t len);

#endif /* SKV_CLI_CREDS_H */
