/* SPDX-License-Identifier: MIT */
/*
 * test_admin_http.c — the real admin-http.so loaded through the core
 * loader, served on a free 127.0.0.1 port and driven with libcurl. A fake
 * core (struct skv_host_hooks.admin_call) records every request and
 * answers synchronously, from its own "loop" thread, never (timeouts), or
 * refuses. Covers the route table, binary values, body limits, JSON
 * validation, error mapping, timeouts with late answers, and the bind.
 */
#include "skv_test.h"
#include "skv_free_port.h"
#include "plugin/loader.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sealkv/admin.h>

/* ---- the fake core ----------------------------------------------------- */

enum mode { ANSWER_LOOP, ANSWER_SYNC, ANSWER_NEVER, ANSWER_REFUSE };

struct canned {               /* what the fake core answers */
    int rc, status, retry_after_s;
    const char *error, *message, *json;
    const void *body;
    size_t body_len;
    uint64_t mod_index, create_index; /* since ABI 1.2 */
};

#define MAX_PENDING 32
struct fake_core {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    enum mode mode;
    struct canned ans;
    /* last request seen */
    int calls;
    char op[64];
    char *arg, *body, *json;
    size_t arg_len, body_len;
    int has_arg, has_body;
    uint32_t flags;
    /* loop thread queue, and calls held back in ANSWER_NEVER */
    skv_admin_done_fn q_done[MAX_PENDING];
    void *q_arg[MAX_PENDING];
    int n_q;
    skv_admin_done_fn held_done[MAX_PENDING];
    void *held_arg[MAX_PENDING];
    int n_held;
    int answered;             /* done callbacks delivered by the loop */
    int busy;                 /* the loop is inside a done callback */
    int stop;
    pthread_t loop;
};

static struct fake_core F;

static char *dup_bytes(const void *p, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, p, n);
        d[n] = '\0';
    }
    return d;
}

static void record(const struct skv_admin_req *req)
{
    free(F.arg);
    free(F.body);
    free(F.json);
    F.calls++;
    snprintf(F.op, sizeof F.op, "%s", req->op ? req->op : "");
    F.has_arg = req->arg != NULL;
    F.arg = F.has_arg ? dup_bytes(req->arg, req->arg_len) : NULL;
    F.arg_len = req->arg_len;
    F.has_body = req->body != NULL;
    F.body = dup_bytes(req->body ? req->body : "", req->body_len);
    F.body_len = req->body_len;
    F.json = req->json ? strdup(req->json) : NULL;
    F.flags = req->flags;
}

static void answer(skv_admin_done_fn done, void *arg, const struct canned *c)
{
    struct skv_admin_resp r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.rc = c->rc;
    r.status = c->status;
    r.error = c->error;
    r.message = c->message;
    r.retry_after_s = c->retry_after_s;
    r.json = c->json;
    r.body = c->body;
    r.body_len = c->body_len;
    r.mod_index = c->mod_index;
    r.create_index = c->create_index;
    done(arg, &r);
}

static int fake_admin_call(void *node, const struct skv_admin_req *req,
                           skv_admin_done_fn done, void *done_arg)
{
    struct canned c;
    (void)node;
    pthread_mutex_lock(&F.mu);
    record(req);
    c = F.ans;
    switch (F.mode) {
    case ANSWER_REFUSE:
        pthread_mutex_unlock(&F.mu);
        return SKV_ERR_CLOSED;
    case ANSWER_SYNC:
        pthread_mutex_unlock(&F.mu);
        answer(done, done_arg, &c);
        return SKV_OK;
    case ANSWER_NEVER:
        if (F.n_held < MAX_PENDING) {
            F.held_done[F.n_held] = done;
            F.held_arg[F.n_held++] = done_arg;
        }
        break;
    case ANSWER_LOOP:
    default:
        if (F.n_q < MAX_PENDING) {
            F.q_done[F.n_q] = done;
            F.q_arg[F.n_q++] = done_arg;
        }
        pthread_cond_broadcast(&F.cv);
        break;
    }
    pthread_mutex_unlock(&F.mu);
    return SKV_OK;
}

/* The simulated loop thread: answers queued calls with the canned reply. */
static void *loop_main(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&F.mu);
    while (!F.stop || F.n_q) {
        if (!F.n_q) {
            pthread_cond_wait(&F.cv, &F.mu);
            continue;
        }
        {
            skv_admin_done_fn done = F.q_done[0];
            void *arg = F.q_arg[0];
            struct canned c = F.ans;
            F.n_q--;
            F.busy = 1;
            memmove(F.q_done, F.q_done + 1, (size_t)F.n_q * sizeof F.q_done[0]);
            memmove(F.q_arg, F.q_arg + 1, (size_t)F.n_q * sizeof F.q_arg[0]);
            pthread_mutex_unlock(&F.mu);
            answer(done, arg, &c);
            pthread_mutex_lock(&F.mu);
            F.answered++;
            F.busy = 0;
            pthread_cond_broadcast(&F.cv);
        }
    }
    pthread_mutex_unlock(&F.mu);
    return NULL;
}

static void fake_set(enum mode m, int rc, int status, const char *json)
{
    pthread_mutex_lock(&F.mu);
    F.mode = m;
    memset(&F.ans, 0, sizeof F.ans);
    F.ans.rc = rc;
    F.ans.status = status;
    F.ans.json = json;
    pthread_mutex_unlock(&F.mu);
}

static int fake_calls(void)
{
    int n;
    pthread_mutex_lock(&F.mu);
    n = F.calls;
    pthread_mutex_unlock(&F.mu);
    return n;
}

/* Move held calls to the loop queue (a late answer). */
static void fake_release_held(void)
{
    pthread_mutex_lock(&F.mu);
    while (F.n_held && F.n_q < MAX_PENDING) {
        F.n_held--;
        F.q_done[F.n_q] = F.held_done[F.n_held];
        F.q_arg[F.n_q++] = F.held_arg[F.n_held];
    }
    pthread_cond_broadcast(&F.cv);
    pthread_mutex_unlock(&F.mu);
}

/* Wait (bounded) until the loop delivered `n` answers in total. */
static int fake_wait_answered(int n, int timeout_ms)
{
    struct timespec until;
    int ok;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&F.mu);
    while (F.answered < n)
        if (pthread_cond_timedwait(&F.cv, &F.mu, &until) == ETIMEDOUT)
            break;
    ok = F.answered >= n;
    pthread_mutex_unlock(&F.mu);
    return ok;
}

/* Like the real host before stop(): no done callback is queued or still
 * running (it would run plugin code while the plugin is unloaded). */
static int fake_quiesce(void)
{
    struct timespec until;
    int ok;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&F.mu);
    while (F.n_q || F.busy)
        if (pthread_cond_timedwait(&F.cv, &F.mu, &until) == ETIMEDOUT)
            break;
    ok = !F.n_q && !F.busy;
    pthread_mutex_unlock(&F.mu);
    return ok;
}

/* ---- plugin instances -------------------------------------------------- */

struct srv {
    struct skv_conf_plugin conf;
    char listen[64];
    int port;
    struct skv_plugin_inst *inst;
    const struct skv_admin_ops *ops;
};

static const struct skv_host_hooks hooks = {
    .node = &F, .admin_call = fake_admin_call, .node_id = 1,
    .log_level = SKV_LOG_ERROR,
};

static void opt(struct skv_conf_plugin *c, const char *k, const char *v)
{
    struct skv_conf_option *o = &c->options[c->n_options++];
    o->key = (char *)k;
    o->value = (char *)v;
    o->pos.line = (unsigned)c->n_options;
    o->pos.col = 7;
}

/* Load admin-http with `listen` (NULL: default) plus key/value pairs
 * (NULL-terminated). */
static int srv_load(struct srv *s, const char *listen, const char *const *kv,
                    struct skv_err *err)
{
    memset(&s->conf, 0, sizeof s->conf);
    s->conf.name = (char *)"http";
    if (listen) {
        snprintf(s->listen, sizeof s->listen, "%s", listen);
        opt(&s->conf, "listen", s->listen);
    }
    for (; kv && kv[0]; kv += 2)
        opt(&s->conf, kv[0], kv[1]);
    memset(err, 0, sizeof *err);
    s->inst = NULL;
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
    if (!fake_quiesce())
        fprintf(stderr, "warning: fake core still busy at unload\n");
    s->ops->stop(skv_plugin_state(s->inst));
    skv_plugin_unload(s->inst);
    s->inst = NULL;
}

/* Load and start on a free port, retrying if another process raced us. */
static int srv_start_free(struct srv *s, const char *const *kv)
{
    struct skv_err err;
    int tries, rc = SKV_ERR_BUSY;
    for (tries = 0; tries < 5 && rc == SKV_ERR_BUSY; tries++) {
        char listen[64];
        s->port = (int)skv_test_free_port();
        snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
        if ((rc = srv_load(s, listen, kv, &err)) != SKV_OK)
            break;
        rc = s->ops->start(skv_plugin_state(s->inst), &err);
        if (rc != SKV_OK) {
            skv_plugin_unload(s->inst);
            s->inst = NULL;
        }
    }
    if (rc != SKV_OK)
        fprintf(stderr, "start failed: %s\n", err.msg);
    return rc;
}

/* ---- the HTTP client --------------------------------------------------- */

struct http_resp {
    long status;
    char *body;
    size_t len;
    char ctype[128];
    char retry_after[32];
    char allow[64];
    char mod_index[32], create_index[32];
    double seconds;
};

struct upload {
    const char *data;
    size_t len, pos;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct http_resp *r = ud;
    size_t add = sz * n;
    char *nb = realloc(r->body, r->len + add + 1);
    if (!nb)
        return 0;
    memcpy(nb + r->len, p, add);
    r->body = nb;
    r->len += add;
    r->body[r->len] = '\0';
    return add;
}

static void copy_header(const char *line, size_t n, const char *name,
                        char *dst, size_t dlen)
{
    size_t k = strlen(name), v;
    if (n <= k || strncasecmp(line, name, k) != 0)
        return;
    line += k;
    n -= k;
    while (n && *line == ' ') {
        line++;
        n--;
    }
    for (v = 0; v < n && v + 1 < dlen && line[v] != '\r' && line[v] != '\n'; v++)
        dst[v] = line[v];
    dst[v] = '\0';
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct http_resp *r = ud;
    copy_header(p, sz * n, "Content-Type:", r->ctype, sizeof r->ctype);
    copy_header(p, sz * n, "Retry-After:", r->retry_after, sizeof r->retry_after);
    copy_header(p, sz * n, "Allow:", r->allow, sizeof r->allow);
    copy_header(p, sz * n, "X-Sealkv-Mod-Index:", r->mod_index, sizeof r->mod_index);
    copy_header(p, sz * n, "X-Sealkv-Create-Index:", r->create_index, sizeof r->create_index);
    return sz * n;
}

static size_t on_read(char *buf, size_t sz, size_t n, void *ud)
{
    struct upload *u = ud;
    size_t left = u->len - u->pos, take = sz * n;
    if (take > left)
        take = left;
    if (take > 700)        /* several chunks */
        take = 700;
    memcpy(buf, u->data + u->pos, take);
    u->pos += take;
    return take;
}

enum { PLAIN = 0, CHUNKED = 1, EXPECT = 2, QUIET = 4 };

/* Authorization header sent with every request when non-NULL. */
static const char *auth_header;

/* One request on a fresh connection; path is sent as-is (pre-encoded). */
static CURLcode http(int port, const char *method, const char *path,
                     const void *body, size_t body_len, int how,
                     struct http_resp *out)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    struct upload up = {body, body_len, 0};
    char url[2048];
    CURLcode rc;

    memset(out, 0, sizeof *out);
    if (!h)
        return CURLE_OUT_OF_MEMORY;
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, out);
    hdrs = curl_slist_append(hdrs, how & EXPECT ? "Expect: 100-continue"
                                                : "Expect:");
    if (auth_header)
        hdrs = curl_slist_append(hdrs, auth_header);
    if (how & CHUNKED) {
        hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, &up);
    } else if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    rc = curl_easy_perform(h);
    if (rc != CURLE_OK && !(how & QUIET))
        fprintf(stderr, "\n%s %s (%zu bytes, mode %d): curl: %s\n", method,
                path, body_len, how, curl_easy_strerror(rc));
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &out->seconds);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    if (!out->body)
        out->body = dup_bytes("", 0);
    return rc;
}

static void resp_free(struct http_resp *r)
{
    free(r->body);
    r->body = NULL;
}

/* The body is {"error": name, "message": <non-empty string>}. */
static void assert_json_error(const struct http_resp *r, const char *name)
{
    json_error_t je;
    json_t *j = json_loadb(r->body, r->len, 0, &je);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_STRING_EQUAL(r->ctype, "application/json");
    CU_ASSERT_TRUE(json_is_string(json_object_get(j, "error")));
    CU_ASSERT_TRUE(json_is_string(json_object_get(j, "message")));
    if (json_is_string(json_object_get(j, "error"))) {
        if (strcmp(json_string_value(json_object_get(j, "error")), name))
            fprintf(stderr, "\nerror body: %s (expected %s)\n", r->body, name);
        CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "error")),
                               name);
    }
    json_decref(j);
}

/* ---- the shared server ------------------------------------------------- */

static struct srv S;
static const char *const S_OPTS[] = {
    "max_body_bytes", "1024", "request_timeout_ms", "300", "threads", "2",
    "timeout_s", "5", NULL};

static int suite_init(void)
{
    memset(&F, 0, sizeof F);
    pthread_mutex_init(&F.mu, NULL);
    pthread_cond_init(&F.cv, NULL);
    if (pthread_create(&F.loop, NULL, loop_main, NULL) != 0)
        return -1;
    return srv_start_free(&S, S_OPTS) == SKV_OK ? 0 : -1;
}

static int suite_clean(void)
{
    pthread_mutex_lock(&F.mu);
    F.stop = 1;
    pthread_cond_broadcast(&F.cv);
    pthread_mutex_unlock(&F.mu);
    pthread_join(F.loop, NULL);    /* drains: no callback runs after this */
    srv_close(&S);
    free(F.arg);
    free(F.body);
    free(F.json);
    return 0;
}

/* ---- route table ------------------------------------------------------- */

struct route_case {
    const char *method, *path, *body;
    size_t body_len;
    const char *op, *arg;
    size_t arg_len;
    uint32_t flags;
    int json;              /* request json expected == body */
};

static const char MEMBER[] =
    "{\"id\":4,\"address\":\"127.0.0.1:7104\",\"role\":\"standby\"}";

static const struct route_case ROUTES[] = {
    {"GET", "/v1/status", NULL, 0, "status", NULL, 0, 0, 0},
    {"PUT", "/v1/kv/a%2Fb/c", "v1", 2, "kv.put", "a/b/c", 5, 0, 0},
    {"PUT", "/v1/kv/empty", "", 0, "kv.put", "empty", 5, 0, 0},
    {"GET", "/v1/kv/x", NULL, 0, "kv.get", "x", 1, 0, 0},
    {"GET", "/v1/kv/x?consistency=local", NULL, 0, "kv.get", "x", 1,
     SKV_ADMIN_F_LOCAL_READ, 0},
    {"GET", "/v1/kv/sp%20ace?&consistency=loc%61l&", NULL, 0, "kv.get",
     "sp ace", 6, SKV_ADMIN_F_LOCAL_READ, 0},
    {"PUT", "/v1/kv/q?", "v", 1, "kv.put", "q", 1, 0, 0},
    {"GET", "/healthz", NULL, 0, "health", NULL, 0, 0, 0},
    {"GET", "/readyz", NULL, 0, "ready", NULL, 0, 0, 0},
    {"GET", "/readyz?max_lag=25", NULL, 0, "ready", "25", 2, 0, 0},
    {"POST", "/v1/encryption/erase-cleartext", NULL, 0,
     "encryption.erase-cleartext", NULL, 0, 0, 0},
    {"DELETE", "/v1/kv/x%00y", NULL, 0, "kv.del", "x\0y", 3, 0, 0},
    {"GET", "/v1/encryption/capability", NULL, 0, "encryption.capability",
     NULL, 0, 0, 0},
    {"GET", "/v1/encryption/sidecar", NULL, 0, "encryption.sidecar", NULL, 0,
     0, 0},
    {"POST", "/v1/encryption/enable-storage-envelope", NULL, 0,
     "encryption.enable-storage-envelope", NULL, 0, 0, 0},
    {"POST", "/v1/encryption/enable-raft-envelope", NULL, 0,
     "encryption.enable-raft-envelope", NULL, 0, 0, 0},
    {"GET", "/v1/cluster/members", NULL, 0, "members.list", NULL, 0, 0, 0},
    {"POST", "/v1/cluster/members", MEMBER, sizeof MEMBER - 1, "members.add",
     NULL, 0, 0, 1},
    {"DELETE", "/v1/cluster/members/4", NULL, 0, "members.remove", "4", 1, 0,
     0},
    {"POST", "/v1/cluster/members/12/promote", NULL, 0, "members.promote",
     "12", 2, 0, 0},
};

static void check_route(const struct route_case *rc)
{
    struct http_resp r;
    int before = fake_calls();
    CU_ASSERT_EQUAL_FATAL(http(S.port, rc->method, rc->path, rc->body,
                               rc->body_len, PLAIN, &r), CURLE_OK);
    if (r.status != 200)
        fprintf(stderr, "\n%s %s -> %ld %s\n", rc->method, rc->path, r.status,
                r.body);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(r.body, "{\"ok\":true}");
    CU_ASSERT_STRING_EQUAL(r.ctype, "application/json");
    pthread_mutex_lock(&F.mu);
    CU_ASSERT_EQUAL(F.calls, before + 1);
    CU_ASSERT_STRING_EQUAL(F.op, rc->op);
    CU_ASSERT_EQUAL(F.has_arg, rc->arg != NULL);
    if (rc->arg && F.arg) {
        CU_ASSERT_EQUAL(F.arg_len, rc->arg_len);
        CU_ASSERT_EQUAL(memcmp(F.arg, rc->arg, rc->arg_len), 0);
    }
    CU_ASSERT_EQUAL(F.flags, rc->flags);
    if (strcmp(rc->op, "kv.put") == 0) {
        CU_ASSERT_TRUE(F.has_body);             /* empty value: not NULL */
        CU_ASSERT_EQUAL(F.body_len, rc->body_len);
        CU_ASSERT_EQUAL(memcmp(F.body, rc->body, rc->body_len), 0);
    } else {
        CU_ASSERT_EQUAL(F.body_len, 0);
    }
    if (rc->json)
        CU_ASSERT_TRUE(F.json && strcmp(F.json, rc->body) == 0);
    if (!rc->json)
        CU_ASSERT_PTR_NULL(F.json);
    pthread_mutex_unlock(&F.mu);
    resp_free(&r);
}

static void test_routes_loop_thread(void)
{
    size_t i;
    fake_set(ANSWER_LOOP, SKV_OK, 200, "{\"ok\":true}");
    for (i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++)
        check_route(&ROUTES[i]);
}

static void test_routes_sync_answer(void)
{
    size_t i;
    fake_set(ANSWER_SYNC, SKV_OK, 0, "{\"ok\":true}");   /* status 0: 200 */
    for (i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++)
        check_route(&ROUTES[i]);
}

/* A JSON body on an enable-* call is passed on when it is an object. */
static void test_enable_with_json_body(void)
{
    struct http_resp r;
    fake_set(ANSWER_LOOP, SKV_OK, 200, "{\"applied_index\":9}");
    CU_ASSERT_EQUAL_FATAL(http(S.port, "POST",
                               "/v1/encryption/enable-raft-envelope",
                               "{\"x\":1}", 7, PLAIN, &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(r.body, "{\"applied_index\":9}");
    pthread_mutex_lock(&F.mu);
    CU_ASSERT_TRUE(F.json && strcmp(F.json, "{\"x\":1}") == 0);
    pthread_mutex_unlock(&F.mu);
    resp_free(&r);
}

/* ---- values ------------------------------------------------------------ */

static void test_binary_value_roundtrip(void)
{
    unsigned char v[600];
    struct http_resp r;
    size_t i;
    for (i = 0; i < sizeof v; i++)
        v[i] = (unsigned char)(i * 7);          /* includes NULs */
    fake_set(ANSWER_LOOP, SKV_OK, 200, "{\"index\":5}");
    CU_ASSERT_EQUAL_FATAL(http(S.port, "PUT", "/v1/kv/bin", v, sizeof v,
                               PLAIN, &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(r.body, "{\"index\":5}");
    pthread_mutex_lock(&F.mu);
    CU_ASSERT_STRING_EQUAL(F.op, "kv.put");
    CU_ASSERT_EQUAL(F.body_len, sizeof v);
    CU_ASSERT_EQUAL(memcmp(F.body, v, sizeof v), 0);
    F.ans.body = v;                              /* answer the same bytes */
    F.ans.body_len = sizeof v;
    F.ans.json = NULL;
    pthread_mutex_unlock(&F.mu);
    resp_free(&r);

    CU_ASSERT_EQUAL_FATAL(http(S.port, "GET", "/v1/kv/bin", NULL, 0, PLAIN,
                               &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(r.ctype, "application/octet-stream");
    CU_ASSERT_EQUAL(r.len, sizeof v);
    CU_ASSERT_EQUAL(memcmp(r.body, v, sizeof v), 0);
    resp_free(&r);
    fake_set(ANSWER_LOOP, SKV_OK, 200, NULL);
}

/* Chunked upload of a value within the limit arrives whole. */
static void test_chunked_value(void)
{
    char v[1024];
    struct http_resp r;
    memset(v, 'c', sizeof v);
    v[100] = '\0';
    fake_set(ANSWER_LOOP, SKV_OK, 200, NULL);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "PUT", "/v1/kv/ch", v, sizeof v,
                               CHUNKED, &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(r.body, "{}");
    pthread_mutex_lock(&F.mu);
    CU_ASSERT_EQUAL(F.body_len, sizeof v);
    CU_ASSERT_EQUAL(memcmp(F.body, v, sizeof v), 0);
    pthread_mutex_unlock(&F.mu);
    resp_free(&r);
}

/* ---- limits and bad input ---------------------------------------------- */

static void expect_error(const char *method, const char *path,
                         const void *body, size_t len, int how, long status,
                         const char *name)
{
    struct http_resp r;
    int before = fake_calls();
    CU_ASSERT_EQUAL_FATAL(http(S.port, method, path, body, len, how, &r),
                          CURLE_OK);
    if (r.status != status)
        fprintf(stderr, "\n%s %s -> %ld %s\n", method, path, r.status, r.body);
    CU_ASSERT_EQUAL(r.status, status);
    assert_json_error(&r, name);
    CU_ASSERT_EQUAL(fake_calls(), before);      /* the core never saw it */
    resp_free(&r);
}

static void test_oversized_body(void)
{
    static char big[4096];
    struct http_resp r;
    char *huge;
    int before;
    memset(big, 'x', sizeof big);
    fake_set(ANSWER_LOOP, SKV_OK, 200, NULL);
    expect_error("PUT", "/v1/kv/big", big, 1025, PLAIN, 413, "ErrTooBig");
    expect_error("PUT", "/v1/kv/big", big, sizeof big, EXPECT, 413,
                 "ErrTooBig");
    expect_error("PUT", "/v1/kv/big", big, sizeof big, CHUNKED, 413,
                 "ErrTooBig");
    expect_error("POST", "/v1/cluster/members", big, sizeof big, PLAIN, 413,
                 "ErrTooBig");
    /* a chunked sender far past the limit is cut off, never buffered */
    huge = calloc(1, 3u << 20);
    CU_ASSERT_PTR_NOT_NULL_FATAL(huge);
    before = fake_calls();
    if (http(S.port, "PUT", "/v1/kv/huge", huge, 3u << 20, CHUNKED | QUIET,
             &r) == CURLE_OK)
        CU_ASSERT_EQUAL(r.status, 413);
    resp_free(&r);
    free(huge);
    /* exactly the limit is fine */
    CU_ASSERT_EQUAL(fake_calls(), before);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "PUT", "/v1/kv/big", big, 1024, PLAIN,
                               &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    resp_free(&r);
}

static void test_malformed_json(void)
{
    static const char nul_json[] = "{\"id\":1}\0junk";
    expect_error("POST", "/v1/cluster/members", "{not json", 9, PLAIN, 400,
                 "ErrBadRequest");
    expect_error("POST", "/v1/cluster/members", "[1,2]", 5, PLAIN, 400,
                 "ErrBadRequest");
    expect_error("POST", "/v1/cluster/members", "", 0, PLAIN, 400,
                 "ErrBadRequest");
    expect_error("POST", "/v1/cluster/members", nul_json,
                 sizeof nul_json - 1, PLAIN, 400, "ErrBadRequest");
    expect_error("POST", "/v1/cluster/members", "{\"a\":1,\"a\":2}", 13,
                 PLAIN, 400, "ErrBadRequest");
    expect_error("POST", "/v1/encryption/enable-storage-envelope", "42", 2,
                 PLAIN, 400, "ErrBadRequest");
}

static void test_unknown_path(void)
{
    expect_error("GET", "/v2/status", NULL, 0, PLAIN, 404, "ErrNotFound");
    expect_error("GET", "/v1/status/", NULL, 0, PLAIN, 404, "ErrNotFound");
    expect_error("GET", "/", NULL, 0, PLAIN, 404, "ErrNotFound");
    expect_error("POST", "/v1/cluster/members/4/demote", NULL, 0, PLAIN, 404,
                 "ErrNotFound");
    expect_error("GET", "/v1/cluster%2Fmembers", NULL, 0, PLAIN, 404,
                 "ErrNotFound");
}

static void test_wrong_method(void)
{
    struct http_resp r;
    expect_error("POST", "/v1/status", NULL, 0, PLAIN, 405,
                 "ErrMethodNotAllowed");
    CU_ASSERT_EQUAL_FATAL(http(S.port, "PATCH", "/v1/kv/x", "v", 1, PLAIN,
                               &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 405);
    CU_ASSERT_STRING_EQUAL(r.allow, "GET, PUT, DELETE");
    resp_free(&r);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "DELETE", "/v1/cluster/members", NULL,
                               0, PLAIN, &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 405);
    CU_ASSERT_STRING_EQUAL(r.allow, "GET, POST");
    assert_json_error(&r, "ErrMethodNotAllowed");
    resp_free(&r);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "GET",
                               "/v1/encryption/enable-raft-envelope", NULL, 0,
                               PLAIN, &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 405);
    CU_ASSERT_STRING_EQUAL(r.allow, "POST");
    resp_free(&r);
}

static void test_bad_requests(void)
{
    expect_error("PUT", "/v1/kv/", "v", 1, PLAIN, 400, "ErrBadRequest");
    expect_error("GET", "/v1/kv/", NULL, 0, PLAIN, 400, "ErrBadRequest");
    expect_error("GET", "/v1/kv/x?consistency=strong", NULL, 0, PLAIN, 400,
                 "ErrBadRequest");
    expect_error("GET", "/v1/kv/x?consistency=", NULL, 0, PLAIN, 400,
                 "ErrBadRequest");
    expect_error("GET", "/v1/kv/x?consistency=local&consistency=local", NULL,
                 0, PLAIN, 400, "ErrBadRequest");
    expect_error("GET", "/v1/kv/%zz", NULL, 0, PLAIN, 400, "ErrBadRequest");
    expect_error("GET", "/v1/kv/ab%4", NULL, 0, PLAIN, 400, "ErrBadRequest");
    expect_error("DELETE", "/v1/cluster/members/abc", NULL, 0, PLAIN, 400,
                 "ErrBadRequest");
    expect_error("DELETE", "/v1/cluster/members/0", NULL, 0, PLAIN, 400,
                 "ErrBadRequest");
    expect_error("DELETE", "/v1/cluster/members/99999999999999999999", NULL,
                 0, PLAIN, 400, "ErrBadRequest");
    expect_error("POST", "/v1/cluster/members/-1/promote", NULL, 0, PLAIN, 400,
                 "ErrBadRequest");
}

/* A 400 ErrBadRequest whose message contains `needle` (the parameter). */
static void expect_param_error(const char *method, const char *path,
                               const char *needle)
{
    struct http_resp r;
    int before = fake_calls();
    CU_ASSERT_EQUAL_FATAL(http(S.port, method, path, method[0] == 'P' ? "v" : NULL,
                               method[0] == 'P' ? 1 : 0, PLAIN, &r), CURLE_OK);
    if (r.status != 400 || !strstr(r.body, needle))
        fprintf(stderr, "\n%s %s -> %ld %s (expected %s)\n", method, path,
                r.status, r.body, needle);
    CU_ASSERT_EQUAL(r.status, 400);
    assert_json_error(&r, "ErrBadRequest");
    CU_ASSERT_PTR_NOT_NULL(strstr(r.body, needle));
    CU_ASSERT_EQUAL(fake_calls(), before);      /* the core never saw it */
    resp_free(&r);
}

/* Issue 16 item 1: any unknown parameter or malformed value, any route. */
static void test_strict_query(void)
{
    fake_set(ANSWER_LOOP, SKV_OK, 200, "{\"ok\":true}");
    expect_param_error("PUT", "/v1/kv/cas?prev_index=x3", "'prev_index'");
    expect_param_error("PUT", "/v1/kv/cas?prev_index=", "'prev_index'");
    expect_param_error("PUT", "/v1/kv/cas?prev_index=4611686018427387905", "'prev_index'");
    expect_param_error("PUT", "/v1/kv/cas?prev_exist=yes", "'prev_exist'");
    expect_param_error("PUT", "/v1/kv/cas?prev_exist", "'prev_exist'");
    expect_param_error("PUT", "/v1/kv/cas?prev_index=3&prev_exist=true", "excludes prev_index");
    expect_param_error("PUT", "/v1/kv/cas?prev_index=3&prev_index=3", "more than once");
    expect_param_error("DELETE", "/v1/kv/cas?prev_exist=true", "'prev_exist'");
    expect_param_error("GET", "/v1/kv/cas?prev_index=3", "'prev_index'");
    expect_param_error("PUT", "/v1/kv/k?ttl=5", "'ttl'");
    expect_param_error("PUT", "/v1/kv/k?ttl=5", "PUT /v1/kv/{key} accepts prev_index, prev_exist");
    expect_param_error("DELETE", "/v1/kv/k?recursive", "'recursive'");
    expect_param_error("GET", "/v1/kv/k?a=1&consistency=local", "'a'");
    expect_param_error("GET", "/v1/kv/k?a=1", "accepts consistency");
    expect_param_error("GET", "/v1/kv/k?consistency=strong", "'consistency'");
    expect_param_error("GET", "/v1/kv/k?consistency", "'consistency'");
    expect_param_error("GET", "/v1/kv/k?consistency=local&consistency=local",
                       "more than once");
    expect_param_error("GET", "/v1/kv/k?consistency=%zz", "'consistency'");
    expect_param_error("GET", "/v1/kv/k?%zz=1", "malformed percent-encoding");
    expect_param_error("GET", "/v1/kv/k?t%01x=1", "'t\\\\x01x'");
    expect_param_error("GET", "/v1/status?verbose=1", "'verbose'");
    expect_param_error("GET", "/metrics?x", "'x'");
    expect_param_error("GET", "/v1/cluster/members?limit=1", "'limit'");
    expect_param_error("DELETE", "/v1/cluster/members/4?force=true", "'force'");
    expect_param_error("POST", "/v1/encryption/enable-raft-envelope?dry_run=1",
                       "'dry_run'");
    expect_param_error("GET", "/readyz?max_lag=abc", "'max_lag'");
    expect_param_error("GET", "/readyz?max_lag=", "'max_lag'");
    expect_param_error("GET", "/readyz?max_lag=10000000000000", "'max_lag'");
    expect_param_error("GET", "/readyz?max_lag=1&max_lag=2", "'max_lag'");
    expect_param_error("GET", "/healthz?verbose", "'verbose'");
    expect_param_error("GET", "/v1/health?x=1", "'x'");
}

/* Issue 16 item 4: GET /v1/kv lists; prefix → arg, after → body (both
 * binary), limit and keys_only → the request JSON. */
static void expect_list(const char *path, const char *arg, size_t arg_len,
                        const char *after, size_t after_len, const char *json,
                        uint32_t flags)
{
    struct http_resp r;
    CU_ASSERT_EQUAL_FATAL(http(S.port, "GET", path, NULL, 0, PLAIN, &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    pthread_mutex_lock(&F.mu);
    CU_ASSERT_STRING_EQUAL(F.op, "kv.list");
    CU_ASSERT_EQUAL(F.arg_len, arg_len);
    CU_ASSERT_TRUE(arg_len == 0 || (F.arg && memcmp(F.arg, arg, arg_len) == 0));
    CU_ASSERT_EQUAL(F.body_len, after_len);
    CU_ASSERT_TRUE(after_len == 0 || (F.body && memcmp(F.body, after, after_len) == 0));
    CU_ASSERT_TRUE(F.json && strcmp(F.json, json) == 0);
    CU_ASSERT_EQUAL(F.flags, flags);
    pthread_mutex_unlock(&F.mu);
    resp_free(&r);
}

static void test_list_route(void)
{
    fake_set(ANSWER_LOOP, SKV_OK, 200, "{\"kvs\":[],\"more\":false}");
    expect_list("/v1/kv", "", 0, "", 0, "{\"limit\":1000,\"keys_only\":false}", 0);
    expect_list("/v1/kv?prefix=a%00b&after=a%00c&limit=5&keys_only", "a\0b", 3, "a\0c", 3,
                "{\"limit\":5,\"keys_only\":true}", 0);
    expect_list("/v1/kv?keys_only=false&consistency=local&limit=10000&prefix=", "", 0, "", 0,
                "{\"limit\":10000,\"keys_only\":false}", SKV_ADMIN_F_LOCAL_READ);
    expect_param_error("GET", "/v1/kv?limit=0", "'limit'");
    expect_param_error("GET", "/v1/kv?limit=10001", "'limit'");
    expect_param_error("GET", "/v1/kv?limit=", "'limit'");
    expect_param_error("GET", "/v1/kv?after=", "'after'");
    expect_param_error("GET", "/v1/kv?keys_only=1", "'keys_only'");
    expect_param_error("GET", "/v1/kv?prefix=a&prefix=b", "more than once");
    expect_param_error("GET", "/v1/kv?recursive=true", "'recursive'");
    expect_error("PUT", "/v1/kv", "v", 1, PLAIN, 405, "ErrMethodNotAllowed");
    /* GET /v1/watch: the same strict parameters (the stream itself is
     * tested against a real node: test_watch.sh) */
    expect_param_error("GET", "/v1/watch?from_index=-1", "'from_index'");
    expect_param_error("GET", "/v1/watch?from_index=9223372036854775808", "'from_index'");
    expect_param_error("GET", "/v1/watch?from_index=", "'from_index'");
    expect_param_error("GET", "/v1/watch?limit=1", "'limit'");
    expect_error("POST", "/v1/watch", NULL, 0, PLAIN, 405, "ErrMethodNotAllowed");
}

/* Issue 16 items 2, 3: a CAS condition reaches the core as the op's
 * JSON; a key's read carries the revision headers, other answers none;
 * a failed compare is the core's 412 with its mod_index. */
static void test_revisions_and_cas(void)
{
    struct http_resp r;
    pthread_mutex_lock(&F.mu);
    F.mode = ANSWER_LOOP;
    memset(&F.ans, 0, sizeof F.ans);
    F.ans.status = 200;
    F.ans.json = "{\"index\":7}";
    pthread_mutex_unlock(&F.mu);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "PUT", "/v1/kv/k?prev_index=5", "v", 1, PLAIN, &r),
                          CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(F.op, "kv.put");
    CU_ASSERT_STRING_EQUAL(F.json ? F.json : "", "{\"prev_index\":5}");
    CU_ASSERT_STRING_EQUAL(r.mod_index, "");     /* not a read */
    resp_free(&r);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "PUT", "/v1/kv/k?prev_exist=false", "v", 1, PLAIN, &r),
                          CURLE_OK);
    CU_ASSERT_STRING_EQUAL(F.json ? F.json : "", "{\"prev_exist\":false}");
    resp_free(&r);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "DELETE", "/v1/kv/k?prev_index=0", NULL, 0, PLAIN, &r),
                          CURLE_OK);
    CU_ASSERT_STRING_EQUAL(F.op, "kv.del");
    CU_ASSERT_STRING_EQUAL(F.json ? F.json : "", "{\"prev_index\":0}");
    resp_free(&r);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "PUT", "/v1/kv/k", "v", 1, PLAIN, &r), CURLE_OK);
    CU_ASSERT_PTR_NULL(F.json);                  /* no condition, no JSON */
    resp_free(&r);
    pthread_mutex_lock(&F.mu);
    F.ans.json = NULL;
    F.ans.body = "val";
    F.ans.body_len = 3;
    F.ans.mod_index = 12;
    F.ans.create_index = 4;
    pthread_mutex_unlock(&F.mu);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "GET", "/v1/kv/k", NULL, 0, PLAIN, &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(r.mod_index, "12");
    CU_ASSERT_STRING_EQUAL(r.create_index, "4");
    resp_free(&r);
    pthread_mutex_lock(&F.mu);
    memset(&F.ans, 0, sizeof F.ans);
    F.ans.rc = SKV_ERR_INVALID;
    F.ans.status = 412;
    F.ans.error = "ErrCompareFailed";
    F.ans.message = "the compare failed";
    F.ans.json = "{\"mod_index\":12}";
    pthread_mutex_unlock(&F.mu);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "PUT", "/v1/kv/k?prev_index=5", "v", 1, PLAIN, &r),
                          CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 412);
    assert_json_error(&r, "ErrCompareFailed");
    CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "\"mod_index\":12"));
    resp_free(&r);
}

/* Health routes: open, /v1/health never reaches the core, methods. */
static void test_health_routes(void)
{
    struct http_resp r;
    int before = fake_calls();
    CU_ASSERT_EQUAL_FATAL(http(S.port, "GET", "/v1/health", NULL, 0, PLAIN, &r),
                          CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(r.body, "{\"status\":\"ok\"}");
    CU_ASSERT_EQUAL(fake_calls(), before);
    resp_free(&r);
    expect_error("POST", "/healthz", NULL, 0, PLAIN, 405, "ErrMethodNotAllowed");
    expect_error("PUT", "/readyz", "x", 1, PLAIN, 405, "ErrMethodNotAllowed");
    expect_error("GET", "/readyz/x", NULL, 0, PLAIN, 404, "ErrNotFound");
}

/* An error answer's JSON object adds fields beside error and message
 * (ErrNotReady's reason); error and message stay the answer's. */
static void test_error_extra_fields(void)
{
    struct http_resp r;
    json_t *j;
    pthread_mutex_lock(&F.mu);
    F.mode = ANSWER_LOOP;
    memset(&F.ans, 0, sizeof F.ans);
    F.ans.rc = SKV_ERR_AGAIN;
    F.ans.status = 503;
    F.ans.error = "ErrNotReady";
    F.ans.message = "no known leader";
    F.ans.retry_after_s = 1;
    F.ans.json = "{\"reason\":\"no_leader\",\"error\":\"forged\",\"leader_id\":0}";
    pthread_mutex_unlock(&F.mu);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "GET", "/readyz", NULL, 0, PLAIN, &r),
                          CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 503);
    CU_ASSERT_STRING_EQUAL(r.retry_after, "1");
    assert_json_error(&r, "ErrNotReady");
    j = json_loadb(r.body, r.len, 0, NULL);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "reason")), "no_leader");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "message")),
                           "no known leader");
    CU_ASSERT_TRUE(json_is_integer(json_object_get(j, "leader_id")));
    json_decref(j);
    resp_free(&r);
    pthread_mutex_lock(&F.mu);
    F.ans.json = "[1,2]";                       /* not an object: ignored */
    pthread_mutex_unlock(&F.mu);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "GET", "/readyz", NULL, 0, PLAIN, &r),
                          CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 503);
    assert_json_error(&r, "ErrNotReady");
    resp_free(&r);
    fake_set(ANSWER_LOOP, SKV_OK, 200, NULL);
}

/* /metrics: the core's text, then the plugin's latency histograms. */
static void test_metrics_histograms(void)
{
    static const char core_text[] = "# TYPE sealkv_x gauge\nsealkv_x 1\n";
    struct http_resp r;
    int i;
    fake_set(ANSWER_LOOP, SKV_OK, 200, "{\"ok\":true}");
    CU_ASSERT_EQUAL_FATAL(http(S.port, "GET", "/v1/status", NULL, 0, PLAIN, &r),
                          CURLE_OK);
    resp_free(&r);
    expect_error("GET", "/nowhere", NULL, 0, PLAIN, 404, "ErrNotFound");
    pthread_mutex_lock(&F.mu);
    F.ans.json = NULL;
    F.ans.body = core_text;
    F.ans.body_len = sizeof core_text - 1;
    pthread_mutex_unlock(&F.mu);
    /* a request is observed when MHD reports it completed, which may
     * come just after the client has its answer: poll, bounded */
    for (i = 0; i < 100; i++) {
        CU_ASSERT_EQUAL_FATAL(http(S.port, "GET", "/metrics", NULL, 0, PLAIN, &r),
                              CURLE_OK);
        if (strstr(r.body, "route=\"other\"") && strstr(r.body, "route=\"/v1/status\""))
            break;
        resp_free(&r);
        usleep(20000);
    }
    CU_ASSERT_FATAL(i < 100);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_EQUAL(strncmp(r.body, core_text, sizeof core_text - 1), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.body,
        "# TYPE sealkv_http_request_duration_seconds histogram\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.body,
        "sealkv_http_request_duration_seconds_count{route=\"/v1/status\",method=\"GET\"} "));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.body,
        "sealkv_http_request_duration_seconds_bucket{route=\"other\",method=\"GET\",le=\"+Inf\"} "));
    CU_ASSERT_PTR_NULL(strstr(r.body, "/nowhere"));  /* never a raw path */
    resp_free(&r);
    fake_set(ANSWER_LOOP, SKV_OK, 200, NULL);
}

/* ---- core answers ------------------------------------------------------ */

static void test_core_error_mapping(void)
{
    struct http_resp r;
    pthread_mutex_lock(&F.mu);
    F.mode = ANSWER_LOOP;
    memset(&F.ans, 0, sizeof F.ans);
    F.ans.rc = SKV_ERR_AGAIN;
    F.ans.status = 503;
    F.ans.error = "ErrEnvelopeCutoverInProgress";
    F.ans.message = "raft envelope cutover in progress";
    F.ans.retry_after_s = 2;
    pthread_mutex_unlock(&F.mu);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "PUT", "/v1/kv/k", "v", 1, PLAIN, &r),
                          CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 503);
    CU_ASSERT_STRING_EQUAL(r.retry_after, "2");
    assert_json_error(&r, "ErrEnvelopeCutoverInProgress");
    CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "cutover in progress"));
    resp_free(&r);

    /* not found without an error name: named from the rc */
    fake_set(ANSWER_LOOP, SKV_ERR_NOTFOUND, 404, NULL);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "GET", "/v1/kv/nope", NULL, 0, PLAIN,
                               &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 404);
    CU_ASSERT_STRING_EQUAL(r.retry_after, "");
    assert_json_error(&r, "ErrNotFound");
    resp_free(&r);

    /* error without a status: 500 */
    fake_set(ANSWER_LOOP, SKV_ERR_IO, 0, NULL);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "GET", "/v1/status", NULL, 0, PLAIN,
                               &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 500);
    assert_json_error(&r, "ErrIO");
    resp_free(&r);

    /* invalid UTF-8 in a message still yields valid JSON */
    pthread_mutex_lock(&F.mu);
    F.ans.message = "bad \xff\xfe bytes";
    pthread_mutex_unlock(&F.mu);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "GET", "/v1/status", NULL, 0, PLAIN,
                               &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 500);
    assert_json_error(&r, "ErrIO");
    resp_free(&r);
    fake_set(ANSWER_LOOP, SKV_OK, 200, NULL);
}

static void test_core_refuses(void)
{
    struct http_resp r;
    fake_set(ANSWER_REFUSE, SKV_OK, 200, NULL);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "GET", "/v1/status", NULL, 0, PLAIN,
                               &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 503);
    CU_ASSERT_STRING_EQUAL(r.retry_after, "1");
    assert_json_error(&r, "ErrUnavailable");
    resp_free(&r);
    fake_set(ANSWER_LOOP, SKV_OK, 200, NULL);
}

/* The core never answers: 504 after request_timeout_ms (300), and the
 * answer that arrives afterwards is absorbed safely. */
static void test_timeout_then_late_answer(void)
{
    struct http_resp r;
    int answered;
    fake_set(ANSWER_NEVER, SKV_OK, 200, "{\"late\":true}");
    pthread_mutex_lock(&F.mu);
    answered = F.answered;
    pthread_mutex_unlock(&F.mu);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "PUT", "/v1/kv/slow", "value", 5,
                               PLAIN, &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 504);
    assert_json_error(&r, "ErrTimeout");
    CU_ASSERT_TRUE(r.seconds >= 0.29);
    CU_ASSERT_TRUE(r.seconds < 3.0);
    resp_free(&r);

    fake_set(ANSWER_LOOP, SKV_OK, 200, "{\"late\":true}");
    fake_release_held();                         /* the late done */
    CU_ASSERT_TRUE(fake_wait_answered(answered + 1, 5000));

    CU_ASSERT_EQUAL_FATAL(http(S.port, "GET", "/v1/status", NULL, 0, PLAIN,
                               &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(r.body, "{\"late\":true}");
    resp_free(&r);
}

/* Concurrent clients on the thread pool, answered by the loop thread. */
#define N_CLIENTS 6
#define N_EACH 15
static void *client_main(void *arg)
{
    long id = (long)arg, ok = 0;
    int i;
    for (i = 0; i < N_EACH; i++) {
        struct http_resp r;
        char path[64], val[32];
        int n = snprintf(val, sizeof val, "v-%ld-%d", id, i);
        snprintf(path, sizeof path, "/v1/kv/c%ld/%d", id, i);
        if (http(S.port, "PUT", path, val, (size_t)n, PLAIN, &r) == CURLE_OK &&
            r.status == 200)
            ok++;
        resp_free(&r);
    }
    return (void *)ok;
}

static void test_concurrent_clients(void)
{
    pthread_t t[N_CLIENTS];
    long i, total = 0;
    int before = fake_calls();
    fake_set(ANSWER_LOOP, SKV_OK, 200, "{\"index\":1}");
    for (i = 0; i < N_CLIENTS; i++)
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, client_main,
                                             (void *)i), 0);
    for (i = 0; i < N_CLIENTS; i++) {
        void *ok = NULL;
        pthread_join(t[i], &ok);
        total += (long)ok;
    }
    CU_ASSERT_EQUAL(total, N_CLIENTS * N_EACH);
    CU_ASSERT_EQUAL(fake_calls(), before + N_CLIENTS * N_EACH);
}

/* ---- requests in flight without holding a serving thread --------------- */

static int fake_held(void)
{
    int n;
    pthread_mutex_lock(&F.mu);
    n = F.n_held;
    pthread_mutex_unlock(&F.mu);
    return n;
}

/* Wait (bounded) until `n` calls are held by the fake core. */
static int fake_wait_held(int n, int timeout_ms)
{
    int i, held = fake_held();
    for (i = 0; i < timeout_ms / 10 && held < n; i++) {
        usleep(10000);
        held = fake_held();
    }
    return held;
}

struct put_client {
    pthread_t t;
    int port, id;
    CURLcode rc;
    long status;
};

static void *put_main(void *arg)
{
    struct put_client *pc = arg;
    struct http_resp r;
    char path[64];
    snprintf(path, sizeof path, "/v1/kv/inflight/%d", pc->id);
    pc->rc = http(pc->port, "PUT", path, "v", 1, QUIET, &r);
    pc->status = r.status;
    resp_free(&r);
    return NULL;
}

#define N_INFLIGHT 8
static const char *const ONE_THREAD[] = {"threads", "1", "request_timeout_ms",
                                         "10000", NULL};

/* One serving thread, eight requests the core has not answered yet: all
 * eight reach the core at once (a waiting request holds no thread). */
static void test_inflight_beyond_threads(void)
{
    struct srv s;
    struct put_client c[N_INFLIGHT];
    int i, held0;
    CU_ASSERT_EQUAL_FATAL(srv_start_free(&s, ONE_THREAD), SKV_OK);
    fake_set(ANSWER_NEVER, SKV_OK, 200, "{\"index\":1}");
    held0 = fake_held();
    for (i = 0; i < N_INFLIGHT; i++) {
        c[i] = (struct put_client){.port = s.port, .id = i};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&c[i].t, NULL, put_main, &c[i]), 0);
    }
    CU_ASSERT_EQUAL(fake_wait_held(held0 + N_INFLIGHT, 5000),
                    held0 + N_INFLIGHT);
    fake_set(ANSWER_LOOP, SKV_OK, 200, "{\"index\":1}");
    fake_release_held();
    for (i = 0; i < N_INFLIGHT; i++) {
        pthread_join(c[i].t, NULL);
        CU_ASSERT_EQUAL(c[i].rc, CURLE_OK);
        CU_ASSERT_EQUAL(c[i].status, 200);
    }
    srv_close(&s);
}

/* stop() while requests wait for the core: they end (503 or a closed
 * connection), the daemon stops without a suspended connection, and the
 * late done callbacks are absorbed. */
static void test_stop_with_calls_waiting(void)
{
    struct srv s;
    struct put_client c[3];
    int i, held0;
    CU_ASSERT_EQUAL_FATAL(srv_start_free(&s, ONE_THREAD), SKV_OK);
    fake_set(ANSWER_NEVER, SKV_OK, 200, "{\"index\":1}");
    held0 = fake_held();
    for (i = 0; i < 3; i++) {
        c[i] = (struct put_client){.port = s.port, .id = 100 + i};
        CU_ASSERT_EQUAL_FATAL(pthread_create(&c[i].t, NULL, put_main, &c[i]), 0);
    }
    CU_ASSERT_EQUAL(fake_wait_held(held0 + 3, 5000), held0 + 3);
    s.ops->stop(skv_plugin_state(s.inst));
    for (i = 0; i < 3; i++) {
        pthread_join(c[i].t, NULL);
        CU_ASSERT_TRUE(c[i].rc != CURLE_OK || c[i].status == 503);
    }
    fake_set(ANSWER_LOOP, SKV_OK, 200, NULL);
    fake_release_held();                         /* late answers */
    srv_close(&s);
}

/* ---- token_file -------------------------------------------------------- */

static char *write_file(const char *dir, const char *name, const char *text,
                        mode_t mode)
{
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    if (chmod(path, mode) != 0)
        return NULL;
    return strdup(path);
}

static void expect_token_refused(const char *path, const char *needle)
{
    const char *kv[] = {"token_file", path, NULL};
    struct srv s;
    struct skv_err err;
    CU_ASSERT_EQUAL(srv_load(&s, "127.0.0.1:1", kv, &err), SKV_ERR_CONFIG);
    if (!strstr(err.msg, needle))
        fprintf(stderr, "\nmessage: %s (expected %s)\n", err.msg, needle);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, needle));
    srv_close(&s);
}

static void test_token_file(void)
{
    char *dir = skv_test_tmpdir("http-token");
    char *good, *open_mode, *empty;
    const char *kv[] = {"token_file", NULL, NULL};
    struct srv t;
    struct http_resp r;
    int before;

    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    good = write_file(dir, "good", "s3cret-token\n", 0600);
    open_mode = write_file(dir, "open", "s3cret-token\n", 0644);
    empty = write_file(dir, "empty", "\n", 0600);
    CU_ASSERT_FATAL(good && open_mode && empty);
    kv[1] = good;
    CU_ASSERT_EQUAL_FATAL(srv_start_free(&t, kv), SKV_OK);
    fake_set(ANSWER_LOOP, SKV_OK, 200, NULL);
    before = fake_calls();

    auth_header = NULL;
    CU_ASSERT_EQUAL(http(t.port, "GET", "/v1/status", NULL, 0, PLAIN, &r),
                    CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 401);
    assert_json_error(&r, "ErrUnauthorized");
    resp_free(&r);
    auth_header = "Authorization: Bearer s3cret-tokem";
    CU_ASSERT_EQUAL(http(t.port, "GET", "/v2/nothing", NULL, 0, PLAIN, &r),
                    CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 401);                 /* before routing */
    resp_free(&r);
    auth_header = "Authorization: Bearer s3cret-token-and-more";
    CU_ASSERT_EQUAL(http(t.port, "GET", "/v1/status", NULL, 0, PLAIN, &r),
                    CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 401);
    resp_free(&r);
    CU_ASSERT_EQUAL(fake_calls(), before);
    auth_header = "Authorization: Bearer s3cret-token";
    CU_ASSERT_EQUAL(http(t.port, "GET", "/v1/status", NULL, 0, PLAIN, &r),
                    CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_EQUAL(fake_calls(), before + 1);
    resp_free(&r);
    auth_header = NULL;
    srv_close(&t);

    expect_token_refused(open_mode, "0600");
    expect_token_refused(empty, "printable");
    expect_token_refused("/nonexistent/token", "cannot open");
    free(good);
    free(open_mode);
    free(empty);
    skv_test_rmtree(dir);
    free(dir);
}

/* ---- binding ----------------------------------------------------------- */

static void test_bad_listen_refused(void)
{
    static const char *const bad[] = {
        "nonsense", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999",
        "127.0.0.1:80x", "[::1", "[::1]8101", "localhost:8101", "1.2.3:80",
        ":8101", "", "[zz]:1"};
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct srv s;
        struct skv_err err;
        int rc = srv_load(&s, bad[i], NULL, &err);
        if (rc != SKV_ERR_CONFIG)
            fprintf(stderr, "\nlisten '%s' -> %d %s\n", bad[i], rc, err.msg);
        CU_ASSERT_EQUAL(rc, SKV_ERR_CONFIG);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "listen"));
        CU_ASSERT_PTR_NULL(s.inst);
        srv_close(&s);
    }
}

static void test_bad_numeric_options_refused(void)
{
    static const char *const o1[] = {"threads", "0", NULL};
    static const char *const o2[] = {"max_body_bytes", "-1", NULL};
    static const char *const o3[] = {"request_timeout_ms", "soon", NULL};
    static const char *const o4[] = {"bogus", "1", NULL};
    const char *const *all[] = {o1, o2, o3, o4};
    size_t i;
    for (i = 0; i < 4; i++) {
        struct srv s;
        struct skv_err err;
        CU_ASSERT_EQUAL(srv_load(&s, "127.0.0.1:1", all[i], &err),
                        SKV_ERR_CONFIG);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, all[i][0]));
        srv_close(&s);
    }
}

static void test_busy_port_refused(void)
{
    struct srv s;
    struct skv_err err;
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", S.port);
    CU_ASSERT_EQUAL_FATAL(srv_load(&s, listen, NULL, &err), SKV_OK);
    memset(&err, 0, sizeof err);
    CU_ASSERT_EQUAL(s.ops->start(skv_plugin_state(s.inst), &err),
                    SKV_ERR_BUSY);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "in use"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, listen));
    srv_close(&s);
}

/* Every listening socket of this process on S.port is bound to
 * 127.0.0.1, and 127.0.0.2 on that port is free (no wildcard bind). */
static void test_bound_to_loopback_only(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    struct sockaddr_in a;
    int found = 0, wrong = 0, fd;
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    while ((e = readdir(d)) != NULL) {
        int lfd = atoi(e->d_name), acc = 0;
        socklen_t len = sizeof acc;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (e->d_name[0] == '.' ||
            getsockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) != 0 ||
            !acc || getsockname(lfd, (struct sockaddr *)&ss, &sl) != 0)
            continue;
        if (ss.ss_family == AF_INET &&
            ntohs(((struct sockaddr_in *)&ss)->sin_port) == S.port) {
            found++;
            if (((struct sockaddr_in *)&ss)->sin_addr.s_addr !=
                htonl(INADDR_LOOPBACK))
                wrong++;
        } else if (ss.ss_family == AF_INET6 &&
                   ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == S.port) {
            wrong++;
        }
    }
    closedir(d);
    CU_ASSERT_EQUAL(found, 1);
    CU_ASSERT_EQUAL(wrong, 0);

    fd = socket(AF_INET, SOCK_STREAM, 0);
    CU_ASSERT_FATAL(fd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)S.port);
    inet_pton(AF_INET, "127.0.0.2", &a.sin_addr);
    CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    close(fd);
}

/* stop closes the socket and joins; start binds again. */
static void test_stop_and_restart(void)
{
    struct http_resp r;
    struct skv_err err;
    void *st = skv_plugin_state(S.inst);
    S.ops->stop(st);
    S.ops->stop(st);                             /* idempotent */
    CU_ASSERT_NOT_EQUAL(http(S.port, "GET", "/v1/status", NULL, 0, QUIET, &r),
                        CURLE_OK);
    resp_free(&r);
    CU_ASSERT_EQUAL_FATAL(S.ops->start(st, &err), SKV_OK);
    CU_ASSERT_EQUAL(S.ops->start(st, &err), SKV_ERR_BUSY);  /* already */
    fake_set(ANSWER_LOOP, SKV_OK, 200, NULL);
    CU_ASSERT_EQUAL_FATAL(http(S.port, "GET", "/v1/status", NULL, 0, PLAIN,
                               &r), CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    resp_free(&r);
}

int main(void)
{
    CU_pSuite s;
    int rc;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return 99;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("admin_http", suite_init, suite_clean);
    CU_add_test(s, "routes, answered from the loop thread",
                test_routes_loop_thread);
    CU_add_test(s, "routes, answered synchronously", test_routes_sync_answer);
    CU_add_test(s, "enable-* passes a JSON object body",
                test_enable_with_json_body);
    CU_add_test(s, "binary value round trip", test_binary_value_roundtrip);
    CU_add_test(s, "chunked value upload", test_chunked_value);
    CU_add_test(s, "oversized body -> 413, op not called",
                test_oversized_body);
    CU_add_test(s, "malformed JSON -> 400", test_malformed_json);
    CU_add_test(s, "unknown path -> 404 JSON", test_unknown_path);
    CU_add_test(s, "wrong method -> 405 + Allow", test_wrong_method);
    CU_add_test(s, "bad key/id/query -> 400", test_bad_requests);
    CU_add_test(s, "strict query parameters -> 400 naming them", test_strict_query);
    CU_add_test(s, "GET /v1/kv lists: prefix, after, limit, keys_only", test_list_route);
    CU_add_test(s, "health routes", test_health_routes);
    CU_add_test(s, "error answer with extra JSON fields", test_error_extra_fields);
    CU_add_test(s, "revision headers and CAS parameters", test_revisions_and_cas);
    CU_add_test(s, "/metrics appends latency histograms", test_metrics_histograms);
    CU_add_test(s, "core error -> status, JSON, Retry-After",
                test_core_error_mapping);
    CU_add_test(s, "admin_call refused -> 503", test_core_refuses);
    CU_add_test(s, "no answer -> 504, late answer safe",
                test_timeout_then_late_answer);
    CU_add_test(s, "concurrent clients", test_concurrent_clients);
    CU_add_test(s, "requests in flight beyond the thread pool",
                test_inflight_beyond_threads);
    CU_add_test(s, "stop with calls waiting for the core",
                test_stop_with_calls_waiting);
    CU_add_test(s, "token_file: bearer token required",
                test_token_file);
    CU_add_test(s, "bad listen option refused", test_bad_listen_refused);
    CU_add_test(s, "bad numeric/unknown options refused",
                test_bad_numeric_options_refused);
    CU_add_test(s, "busy port refused", test_busy_port_refused);
    CU_add_test(s, "bound to 127.0.0.1 only", test_bound_to_loopback_only);
    CU_add_test(s, "stop and restart", test_stop_and_restart);
    rc = skv_test_run();
    curl_global_cleanup();
    return rc;
}
