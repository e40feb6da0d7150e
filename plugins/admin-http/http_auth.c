/* SPDX-License-Identifier: MIT */
/*
 * http_auth.c — owns the bearer token: strict file checks (owner-only
 * permissions, size, charset), a random per-process BLAKE2b key, and the
 * digest comparison (sodium_memcmp), so neither the token's bytes nor its
 * length leak through timing. The raw token is wiped after hashing.
 */
#include "http_auth.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define TOKEN_MAX 4096

struct skv_http_auth {
    unsigned char key[crypto_generichash_KEYBYTES];
    unsigned char digest[crypto_generichash_BYTES];
};

static void digest_of(const struct skv_http_auth *a, const char *tok,
                      size_t len, unsigned char *out)
{
    crypto_generichash(out, crypto_generichash_BYTES,
                       (const unsigned char *)tok, len, a->key,
                       sizeof a->key);
}

static int valid_token(const char *t, size_t n)
{
    size_t i;
    if (n == 0)
        return 0;
    for (i = 0; i < n; i++)
        if (t[i] <= ' ' || t[i] > '~')
            return 0;
    return 1;
}

/* Read at most TOKEN_MAX bytes of an owner-only regular file into buf. */
static int read_file(const char *path, char *buf, size_t *len,
                     struct skv_err *err)
{
    struct stat st;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option 'token_file': cannot open '%s': %s", path,
                           strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (st.st_mode & 077) != 0 || st.st_size < 1 || st.st_size > TOKEN_MAX) {
        close(fd);
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option 'token_file': '%s' must be a regular file "
                           "of 1..%d bytes with mode 0600 or 0400",
                           path, TOKEN_MAX);
    }
    n = read(fd, buf, TOKEN_MAX);
    close(fd);
    if (n <= 0)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option 'token_file': cannot read '%s'", path);
    *len = (size_t)n;
    return SKV_OK;
}

int skv_http_auth_load(const char *path, struct skv_http_auth **out,
                       struct skv_err *err)
{
    struct skv_http_auth *a;
    char *tok;
    size_t len = 0;
    int rc;

    *out = NULL;
    if (sodium_init() < 0)
        return skv_err_set(err, SKV_ERR_INTERNAL, "libsodium init failed");
    tok = sodium_malloc(TOKEN_MAX);
    a = sodium_malloc(sizeof *a);
    if (!tok || !a) {
        sodium_free(tok);
        sodium_free(a);
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    }
    rc = read_file(path, tok, &len, err);
    while (rc == SKV_OK && len && (tok[len - 1] == '\n' || tok[len - 1] == '\r'))
        len--;
    if (rc == SKV_OK && !valid_token(tok, len))
        rc = skv_err_set(err, SKV_ERR_CONFIG,
                         "option 'token_file': '%s' must hold one token of "
                         "printable ASCII without spaces", path);
    if (rc == SKV_OK) {
        randombytes_buf(a->key, sizeof a->key);
        digest_of(a, tok, len, a->digest);
        *out = a;
    } else {
        sodium_free(a);
    }
    sodium_free(tok);                   /* wipes */
    return rc;
}

int skv_http_auth_ok(const struct skv_http_auth *a,
                     const char *authorization)
{
    unsigned char d[crypto_generichash_BYTES];
    const char *tok;
    int ok;
    if (!a)
        return 1;
    if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
        return 0;
    tok = authorization + 7;
    while (*tok == ' ')
        tok++;
    digest_of(a, tok, strlen(tok), d);
    ok = sodium_memcmp(d, a->digest, sizeof d) == 0;
    sodium_memzero(d, sizeof d);
    return ok;
}

void skv_http_auth_free(struct skv_http_auth *a)
{
    sodium_free(a);
}
