/* SPDX-License-Identifier: MIT */
/*
 * cl_http.c — owns libsealkv-client's transport: one binary-safe request
 * through libcurl (method, URL, body, timeouts, Retry-After, JSON error
 * fields, the bound on the body), the failover and retry loop for
 * answers that say the request was not executed, and the outcome class
 * of an answer.
 */
#include "lib/cl_http.h"
#include "util/buf.h"
#include "util/errors.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void skv_cl_resp_free(struct skv_cl_resp *r)
{
    free(r->body);
    free(r->error);
    free(r->message);
    memset(r, 0, sizeof *r);
    r->retry_after_s = -1;
}

/* libcurl write callback: append to the body (a struct skv_buf kept in
 * r->body / r->len / r->body_cap), NUL-terminated. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct skv_cl_resp *r = ud;
    struct skv_buf b = {(uint8_t *)r->body, r->len, r->body_cap};
    size_t n = size * nmemb;
    long st = 0;

    if (r->rq_ && r->rq_->on_data &&
        curl_easy_getinfo(r->curl_, CURLINFO_RESPONSE_CODE, &st) == CURLE_OK &&
        st >= 200 && st < 300)
        return r->rq_->on_data(r->rq_->on_data_arg, data, n) == 0 ? n : 0;

    if (r->len > r->max_body_ || n > r->max_body_ - r->len) {
        r->too_big = 1;
        return 0; /* makes libcurl fail with CURLE_WRITE_ERROR */
    }
    if (skv_buf_reserve(&b, n + 1) != 0)
        return 0;
    memcpy(b.p + b.len, data, n);
    b.len += n;
    b.p[b.len] = '\0';
    r->body = (char *)b.p;
    r->len = b.len;
    r->body_cap = b.cap;
    return n;
}

/* Pick "error" and "message" out of a JSON error body, if it is one. */
static void take_error_fields(struct skv_cl_resp *r)
{
    json_t *j, *e, *m;

    if (r->status < 400 || !r->body)
        return;
    j = json_loadb(r->body, r->len, 0, NULL);
    if (!j)
        return;
    e = json_object_get(j, "error");
    m = json_object_get(j, "message");
    if (json_is_string(e))
        r->error = strdup(json_string_value(e));
    if (json_is_string(m))
        r->message = strdup(json_string_value(m));
    json_decref(j);
}

/* Whether libcurl's `rc` means no server was reached, so nothing was
 * done: the request never left, or the TLS handshake (ours or the
 * server's check of our certificate) failed before it could be read. */
static int unsent(CURLcode rc)
{
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return 1;
    default:
        return 0;
    }
}

static void conn_failure(struct skv_cl_resp *r, CURLcode rc, const char *detail)
{
    if (r->too_big)
        detail = "the answer is larger than the client's bound (max_response_bytes)";
    r->conn_failed = 1;
    r->conn_refused = rc == CURLE_COULDNT_CONNECT;
    r->conn_unsent = unsent(rc);
    snprintf(r->conn_msg, sizeof r->conn_msg, "%s",
             detail && *detail ? detail : curl_easy_strerror(rc));
}

/* Set the method and body on h. Returns the first failing CURLcode. */
static CURLcode set_method(CURL *c, const struct skv_cl_req *rq)
{
    CURLcode rc = CURLE_OK;
    if (rq->body || strcmp(rq->method, "POST") == 0 || strcmp(rq->method, "PUT") == 0) {
        rc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                              (curl_off_t)(rq->body ? rq->body_len : 0));
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
    }
    if (rc == CURLE_OK && strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "POST") != 0)
        rc = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
    return rc;
}

static CURLcode set_transport(CURL *c, const struct skv_cl_http *h, const char *url,
                              char *errbuf)
{
    CURLcode rc = curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_USERAGENT, "sealkv-cli");
    if (rc == CURLE_OK && h->cacert)
        rc = curl_easy_setopt(c, CURLOPT_CAINFO, h->cacert);
    if (rc == CURLE_OK && h->cert)
        rc = curl_easy_setopt(c, CURLOPT_SSLCERT, h->cert);
    if (rc == CURLE_OK && h->key)
        rc = curl_easy_setopt(c, CURLOPT_SSLKEY, h->key);
    return rc;
}

/* Free a header list, wiping every line first (one may hold the token). */
static void headers_free(struct curl_slist *hdrs)
{
    struct curl_slist *t;
    for (t = hdrs; t; t = t->next)
        explicit_bzero(t->data, strlen(t->data));
    curl_slist_free_all(hdrs);
}

/* Append "Authorization: Bearer <token>"; the stack copy is wiped. */
static struct curl_slist *add_bearer(struct curl_slist *hdrs, const char *token)
{
    char line[4200];
    struct curl_slist *t;
    int n = snprintf(line, sizeof line, "Authorization: Bearer %s", token);
    t = n > 0 && (size_t)n < sizeof line ? curl_slist_append(hdrs, line) : NULL;
    explicit_bzero(line, sizeof line);
    if (!t)
        headers_free(hdrs);
    return t;
}

/* "Name: decimal" of a revision header into *v; 1 if it was that header. */
static int rev_header(const char *line, size_t n, const char *name, unsigned long long *v,
                      int *bad)
{
    size_t nl = strlen(name), i;
    unsigned long long x = 0;
    if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
        return 0;
    for (i = nl + 1; i < n && line[i] == ' '; i++)
        ;
    if (i == n || line[i] < '0' || line[i] > '9')
        *bad = 1;
    for (; i < n && line[i] >= '0' && line[i] <= '9'; i++)
        x = x > (ULLONG_MAX - 9) / 10 ? (*bad = 1, x) : x * 10 + (unsigned)(line[i] - '0');
    for (; i < n && (line[i] == '\r' || line[i] == '\n' || line[i] == ' '); i++)
        ;
    if (i != n)
        *bad = 1;
    *v = x;
    return 1;
}

/* libcurl's header callback: the revision headers of a key's read. */
static size_t on_header(char *line, size_t size, size_t nmemb, void *arg)
{
    struct skv_cl_resp *r = arg;
    size_t n = size * nmemb;
    int bad = 0;
    if (n >= 5 && strncmp(line, "HTTP/", 5) == 0)
        r->has_rev = r->rev_seen = 0; /* a new response (after a 100) */
    else if (rev_header(line, n, "X-Sealkv-Mod-Index", &r->mod_index, &bad))
        r->rev_seen |= bad ? 4 : 1;
    else if (rev_header(line, n, "X-Sealkv-Create-Index", &r->create_index, &bad))
        r->rev_seen |= bad ? 4 : 2;
    r->has_rev = r->rev_seen == 3;
    return n;
}

/* Fill status, Retry-After and error fields after a completed transfer. */
static void take_answer(CURL *c, struct skv_cl_resp *r)
{
    curl_off_t ra = -1;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
        r->retry_after_s = (long)ra;
    take_error_fields(r);
}

/* One attempt. Returns 0 (answer or connection failure in *r), -1 on
 * out-of-memory. */
static int request_once(const struct skv_cl_http *h, const struct skv_cl_req *rq,
                        const char *url, struct skv_cl_resp *r)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = NULL, *t;
    char ctype[128];
    CURLcode rc;
    CURL *c = curl_easy_init();

    memset(r, 0, sizeof *r);
    r->retry_after_s = -1;
    r->max_body_ = h->max_body;
    if (!c)
        return snprintf(r->conn_msg, sizeof r->conn_msg, "cannot create a libcurl handle"), -1;
    hdrs = curl_slist_append(NULL, "Expect:");
    if (hdrs && rq->content_type) {
        snprintf(ctype, sizeof ctype, "Content-Type: %s", rq->content_type);
        t = curl_slist_append(hdrs, ctype);
        hdrs = t ? t : (curl_slist_free_all(hdrs), NULL);
    }
    if (hdrs && h->token)
        hdrs = add_bearer(hdrs, h->token);
    rc = hdrs ? set_transport(c, h, url, errbuf) : CURLE_OUT_OF_MEMORY;
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (rc == CURLE_OK)
        rc = set_method(c, rq);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    if (rc == CURLE_OK && rq->on_data) { /* a stream: only a stall ends it */
        r->rq_ = rq;
        r->curl_ = c;
        rc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 0L);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, SKV_CL_STREAM_STALL_S);
    }
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    if (rc == CURLE_OK)
        rc = curl_easy_perform(c);
    r->rq_ = NULL;
    r->curl_ = NULL;
    if (rc == CURLE_OK)
        take_answer(c, r);
    else
        conn_failure(r, rc, errbuf);
    curl_easy_cleanup(c);
    headers_free(hdrs);
    return rc == CURLE_OUT_OF_MEMORY ? -1 : 0;
}

int skv_cl_http_retryable(const struct skv_cl_resp *r)
{
    enum skv_error_id id;

    if (r->conn_failed)
        return r->conn_refused;
    /* refused before anything happened, no leader (yet): errors.def SOON */
    if (r->status != 503 || skv_error_from_name(r->error, &id) != 0)
        return 0;
    return skv_error_retry(id) == SKV_RETRY_SOON;
}

enum skv_client_code skv_cl_code_for(const struct skv_cl_resp *r, int not_found)
{
    enum skv_error_id id;
    if (r->too_big)
        return SKV_CLIENT_LOCAL;
    if (r->conn_failed)
        return r->conn_unsent ? SKV_CLIENT_UNREACHABLE : SKV_CLIENT_UNKNOWN;
    if (not_found)
        return SKV_CLIENT_NOT_FOUND;
    if (skv_error_from_name(r->error, &id) == 0 && id == SKV_ErrCompareFailed)
        return SKV_CLIENT_COMPARE_FAILED;
    if (skv_error_from_name(r->error, &id) == 0)
        return skv_error_retry(id) == SKV_RETRY_UNKNOWN ? SKV_CLIENT_UNKNOWN : SKV_CLIENT_REFUSED;
    /* no error of ours: a 5xx from something in between (a proxy, a
     * gateway timeout) leaves the outcome unknown */
    return r->status >= 500 ? SKV_CLIENT_UNKNOWN : SKV_CLIENT_REFUSED;
}

long skv_cl_http_retry_delay_ms(unsigned attempt, long retry_after_s)
{
    long d = 100;
    unsigned i;
    if (retry_after_s > 0) /* whole seconds (>= 1): honour it up to the cap */
        return 1000;
    for (i = 0; i < attempt && d < 1000; i++)
        d *= 2;
    return d < 1000 ? d : 1000;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static char *build_url(const char *endpoint, const char *path)
{
    size_t el = strlen(endpoint), pl = strlen(path);
    char *url;
    while (el > 0 && endpoint[el - 1] == '/')
        el--;
    url = malloc(el + pl + 1);
    if (!url)
        return NULL;
    memcpy(url, endpoint, el);
    memcpy(url + el, path, pl + 1);
    return url;
}

int skv_cl_http_failover(const struct skv_cl_resp *r, const struct skv_cl_req *rq)
{
    if (r->conn_failed && r->conn_unsent)
        return 1;
    if (skv_cl_http_retryable(r))
        return 1;
    return strcmp(rq->method, "GET") == 0 && (r->conn_failed || r->status >= 500);
}

/* One attempt at endpoint `ep`. 0, or -1 when out of memory. */
static int attempt_at(const struct skv_cl_http *h, const struct skv_cl_req *rq, const char *ep,
                      struct skv_cl_resp *out)
{
    char *url = build_url(ep, rq->path);
    int rc;
    memset(out, 0, sizeof *out);
    out->retry_after_s = -1;
    out->endpoint = ep;
    if (!url)
        return snprintf(out->conn_msg, sizeof out->conn_msg, "out of memory"), -1;
    rc = request_once(h, rq, url, out);
    out->endpoint = ep;
    free(url);
    return rc;
}

int skv_cl_http_do(const struct skv_cl_http *h, const struct skv_cl_req *rq,
                    struct skv_cl_resp *out)
{
    long deadline = now_ms() + (h->retry_ms > 0 ? h->retry_ms : 0), left, delay;
    const char *const *eps = h->endpoints ? h->endpoints : &h->endpoint;
    size_t n = h->endpoints ? h->n_endpoints : 1, i = 0;
    unsigned round = 0;
    int rc;

    /* Bounded: n attempts per round, every round but the first after a
     * sleep > 0 ms, and the deadline is fixed. */
    for (;;) {
        rc = attempt_at(h, rq, eps[i], out);
        if (rc != 0 || !skv_cl_http_failover(out, rq))
            break;
        if (++i < n) { /* the next endpoint, at once */
            skv_cl_resp_free(out);
            continue;
        }
        if (h->retry_ms <= 0 || !skv_cl_http_retryable(out))
            break;
        left = deadline - now_ms();
        if (left <= 0)
            break;
        delay = skv_cl_http_retry_delay_ms(round++, out->retry_after_s);
        skv_cl_resp_free(out);
        sleep_ms(delay < left ? delay : left);
        i = 0;
    }
    return rc;
}
