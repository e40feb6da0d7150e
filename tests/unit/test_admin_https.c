/* SPDX-License-Identifier: MIT */
/*
 * test_admin_https.c — admin-http over HTTPS, loaded through the core
 * loader with a synchronous fake core and driven with libcurl. The PKI
 * (two CAs, server, client, node, expired and wrong-EKU certificates) is
 * made in the test by https_fx.c. Covers: verified HTTPS, plain HTTP to
 * the TLS port, bearer token, client-certificate auth and its refusals,
 * token-or-certificate, the open /v1/health, the exposure policy and
 * option checks at init, and reload (swap, and a bad reload keeps the
 * old credentials).
 */
#include "skv_test.h"
#include "skv_free_port.h"
#include "https_fx.h"
#include "plugin/loader.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sealkv/admin.h>

/* ---- fake core: answers every call at once ------------------------------ */

static int fake_admin_call(void *node, const struct skv_admin_req *req,
                           skv_admin_done_fn done, void *done_arg)
{
    struct skv_admin_resp r;
    (void)node;
    (void)req;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.status = 200;
    r.json = "{\"ok\":true}";
    done(done_arg, &r);
    return SKV_OK;
}

static const struct skv_host_hooks hooks = {
    .admin_call = fake_admin_call, .node_id = 1, .log_level = SKV_LOG_ERROR,
};

/* ---- the PKI and files -------------------------------------------------- */

static char *D;              /* temp dir with every file below */

static const char *P(const char *name)  /* D/name, in a rotating buffer */
{
    static char buf[64][512];
    static int i;
    i = (i + 1) % 64;
    snprintf(buf[i], sizeof buf[i], "%s/%s", D, name);
    return buf[i];
}

static int write_file(const char *name, const char *text, mode_t mode)
{
    FILE *f = fopen(P(name), "w");
    if (!f)
        return -1;
    fputs(text, f);
    if (fclose(f) != 0)
        return -1;
    return chmod(P(name), mode);
}

static int make_pki(void)
{
    struct https_fx_ca *ca = https_fx_ca_new(D, "ca");
    struct https_fx_ca *ca2 = https_fx_ca_new(D, "ca2");
    int rc = -1;
    if (ca && ca2 &&
        !https_fx_issue(ca, D, "server", "IP:127.0.0.1,URI:urn:sealkv:node:1",
                        FX_EKU_SERVER, 0, 10) &&
        !https_fx_issue(ca, D, "client", "URI:urn:sealkv:client:alice",
                        FX_EKU_CLIENT, 0, 10) &&
        !https_fx_issue(ca, D, "noeku", "URI:urn:sealkv:client:bob",
                        FX_EKU_NONE, 0, 10) &&
        !https_fx_issue(ca, D, "node", "IP:127.0.0.1,URI:urn:sealkv:node:2",
                        FX_EKU_CLIENT, 0, 10) &&
        !https_fx_issue(ca, D, "expired", "URI:urn:sealkv:client:old",
                        FX_EKU_CLIENT, -10, -1) &&
        !https_fx_issue(ca, D, "srveku", "URI:urn:sealkv:client:srv",
                        FX_EKU_SERVER, 0, 10) &&
        !https_fx_issue(ca2, D, "eve", "URI:urn:sealkv:client:eve",
                        FX_EKU_CLIENT, 0, 10) &&
        !https_fx_issue(ca2, D, "server2", "IP:127.0.0.1", FX_EKU_SERVER, 0,
                        10) &&
        !https_fx_issue(ca, D, "oldsrv", "IP:127.0.0.1", FX_EKU_SERVER, -10,
                        -1) &&
        !write_file("token", "tok-one\n", 0600) &&
        !write_file("garbage", "not a certificate\n", 0600))
        rc = 0;
    https_fx_ca_free(ca);
    https_fx_ca_free(ca2);
    return rc;
}

/* ---- plugin instances --------------------------------------------------- */

struct srv {
    struct skv_conf_plugin conf;
    char listen[64];
    int port;
    struct skv_plugin_inst *inst;
    const struct skv_admin_ops *ops;
};

/* Load with listen + NULL-terminated key/value pairs. */
static int srv_load(struct srv *s, const char *listen, const char *const *kv,
                    struct skv_err *err)
{
    memset(s, 0, sizeof *s);
    s->conf.name = (char *)"http";
    snprintf(s->listen, sizeof s->listen, "%s", listen);
    for (; kv && kv[0]; kv += 2) {
        struct skv_conf_option *o = &s->conf.options[s->conf.n_options++];
        o->key = (char *)kv[0];
        o->value = (char *)kv[1];
        o->pos.line = (unsigned)s->conf.n_options;
        o->pos.col = 7;
    }
    {
        struct skv_conf_option *o = &s->conf.options[s->conf.n_options++];
        o->key = (char *)"listen";
        o->value = s->listen;
    }
    memset(err, 0, sizeof *err);
    if (skv_plugin_load(SKV_KIND_ADMIN, &s->conf, "t.yaml", NULL, 0, &hooks,
                        &s->inst, err) != SKV_OK)
        return err->code ? err->code : SKV_ERR_INTERNAL;
    s->ops = skv_plugin_ops(s->inst);
    return SKV_OK;
}

static void srv_close(struct srv *s)
{
    if (!s->inst)
        return;
    s->ops->stop(skv_plugin_state(s->inst));
    skv_plugin_unload(s->inst);
    s->inst = NULL;
}

static int srv_start(struct srv *s, const char *const *kv)
{
    struct skv_err err;
    int tries, rc = SKV_ERR_BUSY;
    for (tries = 0; tries < 5 && rc == SKV_ERR_BUSY; tries++) {
        char listen[64];
        int port = (int)skv_test_free_port();
        snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
        if ((rc = srv_load(s, listen, kv, &err)) != SKV_OK)
            break;
        s->port = port;
        rc = s->ops->start(skv_plugin_state(s->inst), &err);
        if (rc != SKV_OK) {
            skv_plugin_unload(s->inst);
            s->inst = NULL;
        }
    }
    if (rc != SKV_OK)
        fprintf(stderr, "\nstart failed: %s\n", err.msg);
    return rc;
}

static int srv_reload(struct srv *s, struct skv_err *err)
{
    memset(err, 0, sizeof *err);
    CU_ASSERT_FATAL(SKV_HAS(s->ops, struct skv_admin_ops, reload));
    return s->ops->reload(skv_plugin_state(s->inst), err);
}

/* ---- the client --------------------------------------------------------- */

struct who {
    const char *ca;         /* CA file (NULL: libcurl's default store) */
    const char *cert, *key; /* client certificate, or NULL */
    const char *token;      /* bearer token, or NULL */
    int plain;              /* http:// instead of https:// */
};

struct answer {
    long status;
    char body[512];
    size_t len;
    char www_auth[128];
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct answer *a = ud;
    size_t add = sz * n, room = sizeof a->body - 1 - a->len;
    memcpy(a->body + a->len, p, add < room ? add : room);
    a->len += add < room ? add : room;
    a->body[a->len] = '\0';
    return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct answer *a = ud;
    size_t len = sz * n, k = strlen("WWW-Authenticate:");
    if (len > k && strncasecmp(p, "WWW-Authenticate:", k) == 0)
        snprintf(a->www_auth, sizeof a->www_auth, "%.*s", (int)(len - k),
                 p + k);
    return len;
}

static CURLcode get(const struct srv *s, const struct who *w, const char *path,
                    struct answer *a)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    char url[256], auth[256];
    CURLcode rc;
    memset(a, 0, sizeof *a);
    if (!h)
        return CURLE_OUT_OF_MEMORY;
    snprintf(url, sizeof url, "%s://127.0.0.1:%d%s",
             w->plain ? "http" : "https", s->port, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
    if (w->ca)
        curl_easy_setopt(h, CURLOPT_CAINFO, w->ca);
    if (w->cert) {
        curl_easy_setopt(h, CURLOPT_SSLCERT, w->cert);
        curl_easy_setopt(h, CURLOPT_SSLKEY, w->key);
    }
    if (w->token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", w->token);
        hdrs = curl_slist_append(hdrs, auth);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    }
    rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return rc;
}

/* Status of GET path, or -(curl error) when no HTTP answer came. */
static long status_of(const struct srv *s, const struct who *w,
                      const char *path)
{
    struct answer a;
    CURLcode rc = get(s, w, path, &a);
    return rc == CURLE_OK ? a.status : -(long)rc;
}

#define CA_ONLY(ca_) {P(ca_), NULL, NULL, NULL, 0}
#define WITH_CERT(name_) {P("ca.crt"), P(name_ ".crt"), P(name_ ".key"), NULL, 0}

/* ---- tests -------------------------------------------------------------- */

#define TLS_OPTS "tls_cert_file", P("server.crt"), "tls_key_file", P("server.key")

static void test_https_verified(void)
{
    const char *kv[] = {TLS_OPTS, NULL};
    struct who good = CA_ONLY("ca.crt"), other = CA_ONLY("ca2.crt");
    struct who sys = {NULL, NULL, NULL, NULL, 0}, plain = {NULL, NULL, NULL, NULL, 1};
    struct answer a;
    struct srv s;
    CU_ASSERT_EQUAL_FATAL(srv_start(&s, kv), SKV_OK);
    CU_ASSERT_EQUAL(get(&s, &good, "/v1/status", &a), CURLE_OK);
    CU_ASSERT_EQUAL(a.status, 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(a.body, "\"ok\""));
    CU_ASSERT_EQUAL(status_of(&s, &other, "/v1/status"),
                    -(long)CURLE_PEER_FAILED_VERIFICATION);
    CU_ASSERT_TRUE(status_of(&s, &sys, "/v1/status") < 0);
    CU_ASSERT_TRUE(status_of(&s, &plain, "/v1/status") != 200);
    /* still serving after the bad clients */
    CU_ASSERT_EQUAL(status_of(&s, &good, "/v1/status"), 200);
    srv_close(&s);
}

static void test_token_over_https(void)
{
    const char *kv[] = {TLS_OPTS, "token_file", P("token"), NULL};
    struct who none = CA_ONLY("ca.crt"), tok = CA_ONLY("ca.crt");
    struct who bad = CA_ONLY("ca.crt");
    struct answer a;
    struct srv s;
    tok.token = "tok-one";
    bad.token = "tok-two";
    CU_ASSERT_EQUAL_FATAL(srv_start(&s, kv), SKV_OK);
    CU_ASSERT_EQUAL(get(&s, &none, "/v1/status", &a), CURLE_OK);
    CU_ASSERT_EQUAL(a.status, 401);
    CU_ASSERT_PTR_NOT_NULL(strstr(a.www_auth, "Bearer"));
    CU_ASSERT_PTR_NOT_NULL(strstr(a.body, "\"error\":\"ErrUnauthorized\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(a.body, "\"message\""));
    CU_ASSERT_EQUAL(status_of(&s, &bad, "/v1/status"), 401);
    CU_ASSERT_EQUAL(status_of(&s, &none, "/metrics"), 401);
    CU_ASSERT_EQUAL(status_of(&s, &tok, "/v1/status"), 200);
    CU_ASSERT_EQUAL(status_of(&s, &tok, "/metrics"), 200);
    CU_ASSERT_EQUAL(get(&s, &none, "/v1/health", &a), CURLE_OK);
    CU_ASSERT_EQUAL(a.status, 200);
    CU_ASSERT_STRING_EQUAL(a.body, "{\"status\":\"ok\"}");
    srv_close(&s);
}

static void test_client_ca(void)
{
    const char *kv[] = {TLS_OPTS, "client_ca_file", P("ca.crt"), NULL};
    struct who none = CA_ONLY("ca.crt"), alice = WITH_CERT("client");
    struct who eve = WITH_CERT("eve"), node = WITH_CERT("node");
    struct who old = WITH_CERT("expired"), noeku = WITH_CERT("noeku");
    struct who srveku = WITH_CERT("srveku"), tok = CA_ONLY("ca.crt");
    struct answer a;
    struct srv s;
    tok.token = "tok-one";
    CU_ASSERT_EQUAL_FATAL(srv_start(&s, kv), SKV_OK);
    CU_ASSERT_EQUAL(get(&s, &none, "/v1/status", &a), CURLE_OK);
    CU_ASSERT_EQUAL(a.status, 401);
    CU_ASSERT_PTR_NOT_NULL(strstr(a.body, "client certificate"));
    CU_ASSERT_EQUAL(status_of(&s, &tok, "/v1/status"), 401); /* no token_file */
    CU_ASSERT_EQUAL(status_of(&s, &eve, "/v1/status"), 401);
    CU_ASSERT_EQUAL(status_of(&s, &node, "/v1/status"), 401);
    CU_ASSERT_EQUAL(status_of(&s, &old, "/v1/status"), 401);
    CU_ASSERT_EQUAL(status_of(&s, &srveku, "/v1/status"), 401);
    CU_ASSERT_EQUAL(status_of(&s, &alice, "/v1/status"), 200);
    CU_ASSERT_EQUAL(status_of(&s, &alice, "/metrics"), 200);
    CU_ASSERT_EQUAL(status_of(&s, &noeku, "/v1/status"), 200); /* no EKU */
    CU_ASSERT_EQUAL(status_of(&s, &none, "/v1/health"), 200);
    srv_close(&s);
}

static void test_token_or_certificate(void)
{
    const char *kv[] = {TLS_OPTS, "client_ca_file", P("ca.crt"), "token_file",
                        P("token"), NULL};
    struct who none = CA_ONLY("ca.crt"), alice = WITH_CERT("client");
    struct who tok = CA_ONLY("ca.crt"), eve = WITH_CERT("eve");
    struct srv s;
    tok.token = "tok-one";
    CU_ASSERT_EQUAL_FATAL(srv_start(&s, kv), SKV_OK);
    CU_ASSERT_EQUAL(status_of(&s, &none, "/v1/status"), 401);
    CU_ASSERT_EQUAL(status_of(&s, &eve, "/v1/status"), 401);
    CU_ASSERT_EQUAL(status_of(&s, &alice, "/v1/status"), 200);
    CU_ASSERT_EQUAL(status_of(&s, &tok, "/v1/status"), 200);
    eve.token = "tok-one";                   /* a bad cert + the token */
    CU_ASSERT_EQUAL(status_of(&s, &eve, "/v1/status"), 200);
    srv_close(&s);
}

static void test_plain_loopback_token_health(void)
{
    const char *kv[] = {"token_file", P("token"), NULL};
    struct who none = {NULL, NULL, NULL, NULL, 1}, tok = none;
    struct srv s;
    tok.token = "tok-one";
    CU_ASSERT_EQUAL_FATAL(srv_start(&s, kv), SKV_OK);
    CU_ASSERT_EQUAL(status_of(&s, &none, "/v1/health"), 200);
    CU_ASSERT_EQUAL(status_of(&s, &none, "/v1/health?x=1"), 400); /* strict, still open */
    CU_ASSERT_EQUAL(status_of(&s, &none, "/v1/healthz"), 401);
    CU_ASSERT_EQUAL(status_of(&s, &none, "/healthz"), 200);     /* open by design */
    CU_ASSERT_EQUAL(status_of(&s, &none, "/readyz"), 200);
    CU_ASSERT_EQUAL(status_of(&s, &none, "/readyz?max_lag=x"), 400);
    CU_ASSERT_EQUAL(status_of(&s, &none, "/healthz/../v1/status"), 401);
    CU_ASSERT_EQUAL(status_of(&s, &none, "/v1/status?x=1"), 401); /* 401 before 400 */
    CU_ASSERT_EQUAL(status_of(&s, &none, "/metrics"), 401);
    CU_ASSERT_EQUAL(status_of(&s, &none, "/v1/status"), 401);
    CU_ASSERT_EQUAL(status_of(&s, &tok, "/v1/status"), 200);
    srv_close(&s);
}

/* Load only (no bind): rc, and a message containing needle on failure. */
static void expect_load(const char *listen, const char *const *kv, int want,
                        const char *needle)
{
    struct srv s;
    struct skv_err err;
    int rc = srv_load(&s, listen, kv, &err);
    if (rc != want || (needle && !strstr(err.msg, needle)))
        fprintf(stderr, "\nlisten %s: rc %d (want %d): %s\n", listen, rc,
                want, err.msg);
    CU_ASSERT_EQUAL(rc, want);
    if (needle)
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, needle));
    srv_close(&s);
}

static void test_policy(void)
{
    const char *none[] = {NULL};
    const char *tls[] = {TLS_OPTS, NULL};
    const char *tok[] = {"token_file", P("token"), NULL};
    const char *tls_tok[] = {TLS_OPTS, "token_file", P("token"), NULL};
    const char *tls_ca[] = {TLS_OPTS, "client_ca_file", P("ca.crt"), NULL};
    const char *insecure[] = {"insecure", "true", NULL};
    const char *tls_insecure[] = {TLS_OPTS, "insecure", "true", NULL};
    const char *bad_bool[] = {"insecure", "maybe", NULL};
    expect_load("0.0.0.0:1", none, SKV_ERR_CONFIG, "not a loopback address");
    expect_load("10.1.2.3:1", tls, SKV_ERR_CONFIG, "insecure: true");
    expect_load("10.1.2.3:1", tok, SKV_ERR_CONFIG, "tls_cert_file");
    expect_load("[::]:1", none, SKV_ERR_CONFIG, "not a loopback address");
    expect_load("0.0.0.0:1", insecure, SKV_OK, NULL);
    expect_load("10.1.2.3:1", tls_insecure, SKV_OK, NULL);
    expect_load("0.0.0.0:1", tls_tok, SKV_OK, NULL);
    expect_load("10.1.2.3:1", tls_ca, SKV_OK, NULL);
    expect_load("127.0.0.2:1", none, SKV_OK, NULL);
    expect_load("[::1]:1", none, SKV_OK, NULL);
    expect_load("127.0.0.1:1", bad_bool, SKV_ERR_CONFIG, "insecure");
}

static void test_option_checks(void)
{
    const char *cert_only[] = {"tls_cert_file", P("server.crt"), NULL};
    const char *key_only[] = {"tls_key_file", P("server.key"), NULL};
    const char *ca_plain[] = {"client_ca_file", P("ca.crt"), NULL};
    const char *open_key[] = {"tls_cert_file", P("server.crt"), "tls_key_file",
                              P("openkey"), NULL};
    const char *mismatch[] = {"tls_cert_file", P("server.crt"), "tls_key_file",
                              P("client.key"), NULL};
    const char *expired[] = {"tls_cert_file", P("oldsrv.crt"), "tls_key_file",
                             P("oldsrv.key"), NULL};
    const char *bad_ca[] = {TLS_OPTS, "client_ca_file", P("garbage"), NULL};
    const char *no_cert[] = {"tls_cert_file", P("nope.crt"), "tls_key_file",
                             P("server.key"), NULL};
    const char *empty[] = {"tls_cert_file", "", "tls_key_file", "", NULL};
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && chmod 0644 '%s'",
             P("server.key"), P("openkey"), P("openkey"));
    CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
    expect_load("127.0.0.1:1", cert_only, SKV_ERR_CONFIG, "go together");
    expect_load("127.0.0.1:1", key_only, SKV_ERR_CONFIG, "go together");
    expect_load("127.0.0.1:1", ca_plain, SKV_ERR_CONFIG, "needs TLS");
    expect_load("127.0.0.1:1", open_key, SKV_ERR_CONFIG,
                "accessible by others");
    expect_load("127.0.0.1:1", mismatch, SKV_ERR_CONFIG, "cannot use");
    expect_load("127.0.0.1:1", expired, SKV_ERR_CONFIG, "expired");
    expect_load("127.0.0.1:1", bad_ca, SKV_ERR_CONFIG, "client_ca_file");
    expect_load("127.0.0.1:1", no_cert, SKV_ERR_CONFIG, "cannot open");
    expect_load("127.0.0.1:1", empty, SKV_ERR_CONFIG, "file path");
}

static int copy(const char *from, const char *to)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && chmod 0600 '%s'", P(from),
             P(to), P(to));
    return system(cmd);
}

static void test_reload(void)
{
    const char *kv[] = {"tls_cert_file", P("live.crt"), "tls_key_file",
                        P("live.key"), "token_file", P("live.tok"), NULL};
    struct who one = CA_ONLY("ca.crt"), two = CA_ONLY("ca2.crt");
    struct who two_old = CA_ONLY("ca2.crt");
    struct skv_err err;
    struct srv s;
    one.token = "tok-one";
    two.token = "tok-two";
    two_old.token = "tok-one";
    CU_ASSERT_FATAL(!copy("server.crt", "live.crt") &&
                    !copy("server.key", "live.key") &&
                    !copy("token", "live.tok"));
    CU_ASSERT_EQUAL_FATAL(srv_start(&s, kv), SKV_OK);
    CU_ASSERT_EQUAL(status_of(&s, &one, "/v1/status"), 200);

    /* swap: a certificate from the other CA and a new token */
    CU_ASSERT_FATAL(!copy("server2.crt", "live.crt") &&
                    !copy("server2.key", "live.key") &&
                    !write_file("live.tok", "tok-two\n", 0600));
    CU_ASSERT_EQUAL(srv_reload(&s, &err), SKV_OK);
    CU_ASSERT_EQUAL(status_of(&s, &one, "/v1/status"),
                    -(long)CURLE_PEER_FAILED_VERIFICATION);
    CU_ASSERT_EQUAL(status_of(&s, &two_old, "/v1/status"), 401);
    CU_ASSERT_EQUAL(status_of(&s, &two, "/v1/status"), 200);

    /* bad reloads keep what is in use */
    CU_ASSERT_FATAL(!copy("garbage", "live.key"));
    CU_ASSERT_EQUAL(srv_reload(&s, &err), SKV_ERR_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "live.key"));
    CU_ASSERT_EQUAL(status_of(&s, &two, "/v1/status"), 200);
    CU_ASSERT_FATAL(!copy("server2.key", "live.key") &&
                    !write_file("live.tok", "tok-three\n", 0644));
    CU_ASSERT_EQUAL(srv_reload(&s, &err), SKV_ERR_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "token_file"));
    CU_ASSERT_EQUAL(status_of(&s, &two, "/v1/status"), 200);
    srv_close(&s);
}

static int suite_init(void)
{
    D = skv_test_tmpdir("https");
    return D && make_pki() == 0 ? 0 : -1;
}

static int suite_clean(void)
{
    skv_test_rmtree(D);
    free(D);
    return 0;
}

int main(void)
{
    CU_pSuite s;
    int rc;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return 99;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("admin_https", suite_init, suite_clean);
    CU_add_test(s, "HTTPS verified with the CA; other CA and plain HTTP fail",
                test_https_verified);
    CU_add_test(s, "bearer token over HTTPS; /metrics needs it; health open",
                test_token_over_https);
    CU_add_test(s, "client CA: only a client certificate from it passes",
                test_client_ca);
    CU_add_test(s, "token and client CA: either suffices",
                test_token_or_certificate);
    CU_add_test(s, "plain HTTP on loopback with a token; /v1/health open",
                test_plain_loopback_token_health);
    CU_add_test(s, "non-loopback listen needs TLS + auth or insecure",
                test_policy);
    CU_add_test(s, "TLS option checks at init", test_option_checks);
    CU_add_test(s, "reload swaps certificate and token; bad reload keeps",
                test_reload);
    rc = skv_test_run();
    curl_global_cleanup();
    return rc;
}
