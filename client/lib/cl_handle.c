/* SPDX-License-Identifier: MIT */
/*
 * cl_handle.c — owns the client handle: options (defaults, checks,
 * copies), the bearer token (given, or read from an owner-only file with
 * the server's rules) in sodium_malloc memory wiped on free, libcurl's
 * process-wide setup, the error struct, and the one exchange every typed
 * call goes through (skv_cl_call).
 */
#include "lib/cl_int.h"
#include "util/errors.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_MAX 4096
#define MAX_BODY_CAP ((size_t)1 << 31)
/* the v1 options end at max_response_bytes */
#define OPTIONS_V1_SIZE                                                                     \
    (offsetof(struct skv_client_options, max_response_bytes) +                              \
     sizeof(((struct skv_client_options *)0)->max_response_bytes))

int skv_client_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void skv_client_global_cleanup(void)
{
    curl_global_cleanup();
}

const char *skv_client_version(void)
{
    return "1.0.0";
}

const char *skv_client_code_name(enum skv_client_code code)
{
    static const char *const names[] = {"ok", "refused", "usage", "not_found",
                                        "compare_failed", "unreachable", "unknown_outcome",
                                        "local"};
    return (unsigned)code < sizeof names / sizeof names[0] ? names[code] : "local";
}

void skv_client_error_clear(struct skv_client_error *err)
{
    if (!err)
        return;
    free(err->name);
    free(err->message);
    free(err->body);
    memset(err, 0, sizeof *err);
    err->retry_after_s = -1;
}

void skv_cl_err_ok(struct skv_client_error *err)
{
    skv_client_error_clear(err);
}

enum skv_client_code skv_cl_err(struct skv_client_error *err, enum skv_client_code code,
                                const char *fmt, ...)
{
    va_list ap;
    if (!err)
        return code;
    skv_client_error_clear(err);
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof err->detail, fmt, ap);
    va_end(ap);
    return code;
}

void skv_client_options_init(struct skv_client_options *o)
{
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->timeout_ms = 30000;
    o->retry_ms = 10000;
    o->max_response_bytes = (size_t)64 << 20;
}

/* ---- the token ---------------------------------------------------- */

static int valid_token(const char *t, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (t[i] <= ' ' || t[i] > '~')
            return 0;
    return n > 0;
}

/* The file into buf (TOKEN_MAX + 1 bytes): its length, or -1 with err. */
static long read_token_file(const char *path, char *buf, struct skv_client_error *err)
{
    struct stat st;
    ssize_t r;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return skv_cl_err(err, SKV_CLIENT_LOCAL, "cannot open '%s': %s", path, strerror(errno)),
               -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 ||
        st.st_size < 1 || st.st_size > TOKEN_MAX) {
        close(fd);
        return skv_cl_err(err, SKV_CLIENT_LOCAL,
                          "'%s' must be a regular file of 1..%d bytes with mode 0600 or 0400",
                          path, TOKEN_MAX),
               -1;
    }
    do
        r = read(fd, buf, TOKEN_MAX);
    while (r < 0 && errno == EINTR);
    close(fd);
    if (r <= 0)
        return skv_cl_err(err, SKV_CLIENT_LOCAL, "cannot read '%s'", path), -1;
    return (long)r;
}

/* c->token from o->token or o->token_file. 0, or the error's code. */
static int load_token(struct skv_client *c, const struct skv_client_options *o,
                      struct skv_client_error *err)
{
    long n;
    if (!(c->token = sodium_malloc(TOKEN_MAX + 1)))
        return skv_cl_err(err, SKV_CLIENT_LOCAL, "out of memory");
    if (o->token) {
        n = (long)strnlen(o->token, TOKEN_MAX + 1);
        if (n > TOKEN_MAX)
            return skv_cl_err(err, SKV_CLIENT_USAGE, "the token is longer than %d bytes",
                              TOKEN_MAX);
        memcpy(c->token, o->token, (size_t)n);
    } else if ((n = read_token_file(o->token_file, c->token, err)) < 0) {
        return err ? err->code : SKV_CLIENT_LOCAL;
    }
    while (n && (c->token[n - 1] == '\n' || c->token[n - 1] == '\r'))
        n--;
    c->token[n] = '\0';
    if (!valid_token(c->token, (size_t)n))
        return o->token ? skv_cl_err(err, SKV_CLIENT_USAGE,
                                     "the token must be printable ASCII without spaces")
                        : skv_cl_err(err, SKV_CLIENT_LOCAL,
                                     "'%s' must hold one token of printable ASCII "
                                     "without spaces", o->token_file);
    return 0;
}

/* ---- the handle --------------------------------------------------- */

static int check_options(const struct skv_client_options *o, struct skv_client_error *err)
{
    size_t i;
    if (!o || o->struct_size < OPTIONS_V1_SIZE)
        return skv_cl_err(err, SKV_CLIENT_USAGE, "options not set up with "
                          "skv_client_options_init");
    if (!o->endpoints || o->n_endpoints == 0 || o->n_endpoints > SKV_CLIENT_MAX_ENDPOINTS)
        return skv_cl_err(err, SKV_CLIENT_USAGE, "give 1..%d endpoints",
                          SKV_CLIENT_MAX_ENDPOINTS);
    for (i = 0; i < o->n_endpoints; i++)
        if (!o->endpoints[i] || (strncmp(o->endpoints[i], "http://", 7) != 0 &&
                                 strncmp(o->endpoints[i], "https://", 8) != 0))
            return skv_cl_err(err, SKV_CLIENT_USAGE,
                              "endpoint %zu is not an http:// or https:// URL", i + 1);
    if (o->token && o->token_file)
        return skv_cl_err(err, SKV_CLIENT_USAGE, "give a token or a token file, not both");
    if (o->key_file && !o->cert_file)
        return skv_cl_err(err, SKV_CLIENT_USAGE, "a key file needs its certificate file");
    if (o->timeout_ms <= 0 || o->retry_ms < 0 || o->max_response_bytes == 0 ||
        o->max_response_bytes > MAX_BODY_CAP)
        return skv_cl_err(err, SKV_CLIENT_USAGE, "timeout_ms must be > 0, retry_ms >= 0, "
                          "max_response_bytes 1..2^31");
    return 0;
}

static int copy_str(char **dst, const char *src)
{
    return !src || (*dst = strdup(src)) ? 0 : -1;
}

/* The endpoints into one block (NUL-separated) pointed at by c->eps. */
static int copy_endpoints(struct skv_client *c, const struct skv_client_options *o)
{
    size_t i, total = 0, n;
    char *p;
    for (i = 0; i < o->n_endpoints; i++)
        total += strlen(o->endpoints[i]) + 1;
    if (!(c->ep_store = p = malloc(total)))
        return -1;
    for (i = 0; i < o->n_endpoints; i++) {
        n = strlen(o->endpoints[i]) + 1;
        memcpy(p, o->endpoints[i], n);
        c->eps[i] = p;
        p += n;
    }
    c->n_eps = o->n_endpoints;
    return 0;
}

enum skv_client_code skv_client_new(const struct skv_client_options *o,
                                    struct skv_client **out, struct skv_client_error *err)
{
    struct skv_client *c;
    int rc;
    skv_cl_err_ok(err);
    if (out)
        *out = NULL;
    if (!out)
        return skv_cl_err(err, SKV_CLIENT_USAGE, "no place for the client");
    if ((rc = check_options(o, err)) != 0)
        return (enum skv_client_code)rc;
    if (sodium_init() < 0) /* thread-safe, idempotent (libsodium's rule) */
        return skv_cl_err(err, SKV_CLIENT_LOCAL, "cannot initialise libsodium");
    if (!(c = calloc(1, sizeof *c)))
        return skv_cl_err(err, SKV_CLIENT_LOCAL, "out of memory");
    if (copy_endpoints(c, o) != 0 || copy_str(&c->cacert, o->ca_file) != 0 ||
        copy_str(&c->cert, o->cert_file) != 0 || copy_str(&c->key, o->key_file) != 0) {
        skv_client_free(c);
        return skv_cl_err(err, SKV_CLIENT_LOCAL, "out of memory");
    }
    if ((o->token || o->token_file) && (rc = load_token(c, o, err)) != 0) {
        skv_client_free(c);
        return (enum skv_client_code)rc;
    }
    c->http.endpoint = c->eps[0];
    c->http.endpoints = c->eps;
    c->http.n_endpoints = c->n_eps;
    c->http.timeout_ms = o->timeout_ms;
    c->http.retry_ms = o->retry_ms;
    c->http.cacert = c->cacert;
    c->http.cert = c->cert;
    c->http.key = c->key;
    c->http.token = c->token;
    c->http.max_body = o->max_response_bytes;
    *out = c;
    return SKV_CLIENT_OK;
}

enum skv_client_code skv_client_pin(const struct skv_client *c, const char *endpoint,
                                    struct skv_client **out, struct skv_client_error *err)
{
    struct skv_client_options o;
    if (out)
        *out = NULL;
    if (!c)
        return skv_cl_err(err, SKV_CLIENT_USAGE, "no client to pin");
    skv_client_options_init(&o);
    o.endpoints = &endpoint;
    o.n_endpoints = 1;
    o.token = c->token;
    o.ca_file = c->cacert;
    o.cert_file = c->cert;
    o.key_file = c->key;
    o.timeout_ms = c->http.timeout_ms;
    o.retry_ms = c->http.retry_ms;
    o.max_response_bytes = c->http.max_body;
    return skv_client_new(&o, out, err);
}

void skv_client_free(struct skv_client *c)
{
    if (!c)
        return;
    sodium_free(c->token); /* wipes; NULL is a no-op */
    free(c->ep_store);
    free(c->cacert);
    free(c->cert);
    free(c->key);
    free(c);
}

/* ---- one exchange ------------------------------------------------- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* err from a failed exchange: take r's error strings and body. */
static enum skv_client_code fail_from(struct skv_client_error *err, struct skv_cl_resp *r,
                                      enum skv_client_code code)
{
    if (!err)
        return code;
    skv_client_error_clear(err);
    err->code = code;
    err->http_status = r->status;
    err->no_answer = r->conn_failed;
    err->retry_after_s = r->retry_after_s;
    err->endpoint = r->endpoint;
    if (r->conn_failed)
        snprintf(err->detail, sizeof err->detail, "%s", r->conn_msg);
    err->name = dup_or_null(r->error);
    err->message = dup_or_null(r->message);
    if (!r->conn_failed && r->body) { /* hand the body over */
        err->body = r->body;
        err->body_len = r->len;
        r->body = NULL;
        r->len = r->body_cap = 0;
    }
    return code;
}

enum skv_client_code skv_cl_call(struct skv_client *c, const struct skv_cl_req *rq,
                                 struct skv_cl_resp *r, int is_get,
                                 struct skv_client_error *err)
{
    enum skv_error_id id;
    int nf;
    skv_cl_err_ok(err);
    if (skv_cl_http_do(&c->http, rq, r) != 0)
        return skv_cl_err(err, SKV_CLIENT_LOCAL, "%s",
                          r->conn_msg[0] ? r->conn_msg : "out of memory");
    if (!r->conn_failed && r->status >= 200 && r->status < 300)
        return SKV_CLIENT_OK;
    nf = is_get && !r->conn_failed && r->status == 404 &&
         (!r->error || (skv_error_from_name(r->error, &id) == 0 && id == SKV_ErrKeyNotFound));
    return fail_from(err, r, skv_cl_code_for(r, nf));
}
