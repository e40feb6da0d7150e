/* SPDX-License-Identifier: MIT */
/*
 * test_cli_url.c — libsealkv-client's key percent-encoding (arbitrary bytes into
 * one URL path segment) and its retry classification and delays.
 */
#include "lib/cl_http.h"

#include <stdlib.h>
#include <string.h>

#include "skv_test.h"

static void expect_enc(const void *in, size_t len, const char *want)
{
    char *got = skv_client_pct_encode(in, len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
}

static void test_unreserved_pass(void)
{
    const char *s = "ABCXYZabcxyz0189-._~";
    expect_enc(s, strlen(s), s);
    expect_enc("", 0, "");
}

static void test_reserved_bytes(void)
{
    expect_enc("a/b", 3, "a%2Fb");
    expect_enc("k?consistency=local", 19, "k%3Fconsistency%3Dlocal");
    expect_enc("100%", 4, "100%25");
    expect_enc("a b+c", 5, "a%20b%2Bc");
    expect_enc("#&;:@", 5, "%23%26%3B%3A%40");
    expect_enc("..", 2, ".."); /* unreserved; %2F keeps it inside the key */
    expect_enc("/../x", 5, "%2F..%2Fx");
}

static void test_binary_bytes(void)
{
    const unsigned char utf8[] = {0xC3, 0xA9}; /* é */
    const unsigned char ff[] = {'k', 0xFF, 0x00, 0x7F, '\n'};
    expect_enc(utf8, sizeof utf8, "%C3%A9");
    expect_enc(ff, sizeof ff, "k%FF%00%7F%0A");
}

static int unhex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int is_unreserved(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

/* Every byte value: output is only unreserved chars and %XX (upper hex),
 * and decoding gives the input back. */
static void test_all_bytes_round_trip(void)
{
    unsigned char in[256], back[256];
    size_t i, n = 0;
    char *enc;

    for (i = 0; i < 256; i++)
        in[i] = (unsigned char)i;
    enc = skv_client_pct_encode(in, sizeof in);
    CU_ASSERT_PTR_NOT_NULL_FATAL(enc);
    for (i = 0; enc[i] && n < sizeof back; n++) {
        if (enc[i] == '%') {
            int hi = unhex(enc[i + 1]), lo = hi < 0 ? -1 : unhex(enc[i + 2]);
            CU_ASSERT_FATAL(hi >= 0 && lo >= 0);
            back[n] = (unsigned char)(hi << 4 | lo);
            i += 3;
        } else {
            CU_ASSERT(is_unreserved(enc[i]));
            back[n] = (unsigned char)enc[i++];
        }
    }
    CU_ASSERT_EQUAL(enc[i], '\0');
    CU_ASSERT_EQUAL(n, sizeof in);
    CU_ASSERT_EQUAL(memcmp(in, back, sizeof in), 0);
    CU_ASSERT_EQUAL(strlen(enc), 66 + 190 * 3); /* 66 unreserved bytes */
    free(enc);
}

static struct skv_cl_resp resp(long status, const char *error)
{
    struct skv_cl_resp r;
    memset(&r, 0, sizeof r);
    r.status = status;
    r.error = (char *)error;
    r.retry_after_s = -1;
    return r;
}

static void test_retryable(void)
{
    static const char *const yes[] = {"ErrNoLeader", "ErrLeaderNotReady", "ErrNotLeader",
                                      "ErrEnvelopeCutoverInProgress", "ErrLeaderUnreachable"};
    static const char *const no[] = {"ErrLeadershipLost", "ErrTimeout", "ErrShuttingDown",
                                     "ErrHalted", "ErrBadRequest"};
    struct skv_cl_resp r;
    size_t i;

    for (i = 0; i < 5; i++) {
        r = resp(503, yes[i]);
        CU_ASSERT_EQUAL(skv_cl_http_retryable(&r), 1);
        r = resp(504, yes[i]); /* only 503 says "not executed" */
        CU_ASSERT_EQUAL(skv_cl_http_retryable(&r), 0);
        r = resp(503, no[i]);
        CU_ASSERT_EQUAL(skv_cl_http_retryable(&r), 0);
    }
    r = resp(504, "ErrTimeout");
    CU_ASSERT_EQUAL(skv_cl_http_retryable(&r), 0);
    r = resp(503, NULL); /* no JSON error: outcome unknown */
    CU_ASSERT_EQUAL(skv_cl_http_retryable(&r), 0);
    r = resp(0, NULL);
    r.conn_failed = 1;
    CU_ASSERT_EQUAL(skv_cl_http_retryable(&r), 0); /* e.g. a timeout */
    r.conn_refused = 1;
    CU_ASSERT_EQUAL(skv_cl_http_retryable(&r), 1);
}

/* Exit statuses: what happened, as far as the CLI can know. */
static void test_exit_codes(void)
{
    struct skv_cl_resp r = resp(404, "ErrKeyNotFound");
    CU_ASSERT_EQUAL(skv_cl_code_for(&r, 1), SKV_CLIENT_NOT_FOUND);
    r = resp(400, "ErrBadRequest");
    CU_ASSERT_EQUAL(skv_cl_code_for(&r, 0), SKV_CLIENT_REFUSED);
    r = resp(503, "ErrNotLeader"); /* refused before anything happened */
    CU_ASSERT_EQUAL(skv_cl_code_for(&r, 0), SKV_CLIENT_REFUSED);
    r = resp(503, "ErrLeadershipLost"); /* errors.def UNKNOWN */
    CU_ASSERT_EQUAL(skv_cl_code_for(&r, 0), SKV_CLIENT_UNKNOWN);
    r = resp(504, "ErrTimeout");
    CU_ASSERT_EQUAL(skv_cl_code_for(&r, 0), SKV_CLIENT_UNKNOWN);
    r = resp(502, NULL); /* not ours: a proxy */
    CU_ASSERT_EQUAL(skv_cl_code_for(&r, 0), SKV_CLIENT_UNKNOWN);
    r = resp(403, NULL);
    CU_ASSERT_EQUAL(skv_cl_code_for(&r, 0), SKV_CLIENT_REFUSED);
    r = resp(0, NULL);
    r.conn_failed = 1;      /* e.g. a timeout after the request left */
    CU_ASSERT_EQUAL(skv_cl_code_for(&r, 0), SKV_CLIENT_UNKNOWN);
    r.conn_unsent = 1;      /* connection refused, name or TLS failure */
    CU_ASSERT_EQUAL(skv_cl_code_for(&r, 0), SKV_CLIENT_UNREACHABLE);
}

/* When the next endpoint may be tried at once. */
static void test_failover(void)
{
    struct skv_cl_req get = {.method = "GET", .path = "/v1/kv/k"};
    struct skv_cl_req put = {.method = "PUT", .path = "/v1/kv/k", .body = "v", .body_len = 1};
    struct skv_cl_resp r = resp(503, "ErrNoLeader");
    CU_ASSERT_EQUAL(skv_cl_http_failover(&r, &put), 1);   /* nothing was done */
    r = resp(503, "ErrLeadershipLost");
    CU_ASSERT_EQUAL(skv_cl_http_failover(&r, &put), 0);   /* outcome unknown: never */
    CU_ASSERT_EQUAL(skv_cl_http_failover(&r, &get), 1);   /* a read changes nothing */
    r = resp(500, "ErrStorage");
    CU_ASSERT_EQUAL(skv_cl_http_failover(&r, &put), 0);
    CU_ASSERT_EQUAL(skv_cl_http_failover(&r, &get), 1);
    r = resp(404, "ErrKeyNotFound");
    CU_ASSERT_EQUAL(skv_cl_http_failover(&r, &get), 0);   /* an answer, not a failure */
    r = resp(0, NULL);
    r.conn_failed = 1;      /* broke after sending */
    CU_ASSERT_EQUAL(skv_cl_http_failover(&r, &put), 0);
    CU_ASSERT_EQUAL(skv_cl_http_failover(&r, &get), 1);
    r.conn_unsent = 1;      /* TLS handshake failed: nothing reached a server */
    CU_ASSERT_EQUAL(skv_cl_http_failover(&r, &put), 1);
}

static void test_retry_delay(void)
{
    CU_ASSERT_EQUAL(skv_cl_http_retry_delay_ms(0, -1), 100);
    CU_ASSERT_EQUAL(skv_cl_http_retry_delay_ms(1, -1), 200);
    CU_ASSERT_EQUAL(skv_cl_http_retry_delay_ms(3, -1), 800);
    CU_ASSERT_EQUAL(skv_cl_http_retry_delay_ms(4, -1), 1000);
    CU_ASSERT_EQUAL(skv_cl_http_retry_delay_ms(4000000000u, -1), 1000);
    CU_ASSERT_EQUAL(skv_cl_http_retry_delay_ms(0, 1), 1000);
    CU_ASSERT_EQUAL(skv_cl_http_retry_delay_ms(0, 120), 1000); /* capped */
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("cli_url", NULL, NULL);
    if (!s || !CU_add_test(s, "unreserved bytes pass", test_unreserved_pass) ||
        !CU_add_test(s, "reserved bytes are escaped", test_reserved_bytes) ||
        !CU_add_test(s, "binary and non-ASCII bytes", test_binary_bytes) ||
        !CU_add_test(s, "all 256 bytes round-trip", test_all_bytes_round_trip) ||
        !CU_add_test(s, "retryable answers", test_retryable) ||
        !CU_add_test(s, "retry delays", test_retry_delay) ||
        !CU_add_test(s, "exit statuses", test_exit_codes) ||
        !CU_add_test(s, "failover to the next endpoint", test_failover)) {
        CU_cleanup_registry();
        return 99;
    }
    return skv_test_run();
}
