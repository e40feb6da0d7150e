/* SPDX-License-Identifier: MIT */
/*
 * cli_creds.c — owns the CLI's credential options: flag-over-environment
 * resolution, the cert/key pairing check, and the bearer token file
 * (O_NOFOLLOW, regular, mode 0600/0400, 1..4096 bytes, one token line),
 * read into sodium_malloc memory that skv_cli_creds_wipe frees.
 */
#include "cli/cli_creds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define TOKEN_MAX 4096

static void from_env(const char **field, const char *name)
{
    const char *v = getenv(name);
    if (!*field && v && *v)
        *field = v;
}

/* The file into buf (TOKEN_MAX + 1 bytes); -1 with msg. */
static int read_token_file(const char *path, char *buf, size_t *n,
                           char *msg, size_t len)
{
    struct stat st;
    ssize_t r;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return snprintf(msg, len, "--token-file: cannot open '%s': %s", path,
                        strerror(errno)), -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (st.st_mode & 077) != 0 || st.st_size < 1 || st.st_size > TOKEN_MAX) {
        close(fd);
        return snprintf(msg, len, "--token-file: '%s' must be a regular file "
                        "of 1..%d bytes with mode 0600 or 0400", path,
                        TOKEN_MAX), -1;
    }
    do
        r = read(fd, buf, TOKEN_MAX);
    while (r < 0 && errno == EINTR);
    close(fd);
    if (r <= 0)
        return snprintf(msg, len, "--token-file: cannot read '%s'", path), -1;
    *n = (size_t)r;
    return 0;
}

static int valid_token(const char *t, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (t[i] <= ' ' || t[i] > '~')
            return 0;
    return n > 0;
}

static int load_token(struct skv_cli_creds *c, char *msg, size_t len)
{
    size_t n = 0;
    if (sodium_init() < 0)
        return snprintf(msg, len, "cannot initialise libsodium"), -1;
    c->token = sodium_malloc(TOKEN_MAX + 1);
    if (!c->token)
        return snprintf(msg, len, "out of memory"), -1;
    if (read_token_file(c->token_file, c->token, &n, msg, len) != 0) {
        skv_cli_creds_wipe(c);
        return -1;
    }
    while (n && (c->token[n - 1] == '\n' || c->token[n - 1] == '\r'))
        n--;
    c->token[n] = '\0';
    if (!valid_token(c->token, n)) {
        skv_cli_creds_wipe(c);
        return snprintf(msg, len, "--token-file: '%s' must hold one token "
                        "of printable ASCII without spaces", c->token_file),
               -1;
    }
    return 0;
}

int skv_cli_creds_load(struct skv_cli_creds *c, char *msg, size_t len)
{
    from_env(&c->cacert, "SEALKV_CACERT");
    from_env(&c->cert, "SEALKV_CERT");
    from_env(&c->key, "SEALKV_KEY");
    from_env(&c->token_file, "SEALKV_TOKEN_FILE");
    c->token = NULL;
    if (c->key && !c->cert)
        return snprintf(msg, len, "--key needs --cert (the client "
                        "certificate it belongs to)"), -1;
    return c->token_file ? load_token(c, msg, len) : 0;
}

void skv_cli_creds_wipe(struct skv_cli_creds *c)
{
    sodium_free(c->token);      /* wipes */
    c->token = NULL;
}
