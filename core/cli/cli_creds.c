/* SPDX-License-Identifier: MIT */
/*
 * cli_creds.c — owns the CLI's credential options: flag-over-environment
 * resolution and the cert/key pairing check. The token file itself is
 * read by libsealkv-client (skv_client_new: O_NOFOLLOW, regular, mode
 * 0600/0400, 1..4096 bytes, one token line, sodium_malloc memory).
 */
#include "cli/cli_creds.h"

#include <stdio.h>
#include <stdlib.h>

static void from_env(const char **field, const char *name)
{
    const char *v = getenv(name);
    if (!*field && v && *v)
        *field = v;
}

int skv_cli_creds_load(struct skv_cli_creds *c, char *msg, size_t len)
{
    from_env(&c->cacert, "SEALKV_CACERT");
    from_env(&c->cert, "SEALKV_CERT");
    from_env(&c->key, "SEALKV_KEY");
    from_env(&c->token_file, "SEALKV_TOKEN_FILE");
    if (c->key && !c->cert)
        return snprintf(msg, len, "--key needs --cert (the client "
                        "certificate it belongs to)"), -1;
    return 0;
}
