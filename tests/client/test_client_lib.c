/* SPDX-License-Identifier: MIT */
/*
 * test_client_lib.c — libsealkv-client against a real 3-node cluster
 * (HTTPS admin API with client certificates and a bearer token), driven
 * by tests/integration/test_client_lib.sh. Linked against the shared
 * libsealkv-client.la and including only <sealkv/client.h>, as an
 * installed program would. Checks: put/get/delete (binary bytes,
 * revision indexes), CAS success and 412 → SKV_CLIENT_COMPARE_FAILED,
 * prev_exist both ways, list paging, a transaction's both branches (C
 * API and JSON), the watch callback (every change once, in order, live
 * from another thread, resumed from an index), failover past a dead
 * first endpoint (and UNREACHABLE with only the dead one), the token and
 * the client-certificate paths, and a bad token refused (401).
 *
 * Usage: test_client_lib CA CERT KEY TOKEN_FILE DEAD_URL URL1 URL2 URL3
 */
#include <sealkv/client.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fails, checks;
static const char *ca, *cert, *key, *token_file;

#define CHECK(cond, ...)                                                                     \
    do {                                                                                     \
        checks++;                                                                            \
        if (cond) {                                                                          \
            printf("ok: ");                                                                  \
        } else {                                                                             \
            fails++;                                                                         \
            printf("FAIL (%s:%d): ", __FILE__, __LINE__);                                    \
        }                                                                                    \
        printf(__VA_ARGS__);                                                                 \
        putchar('\n');                                                                       \
        fflush(stdout);                                                                      \
    } while (0)

/* A client over eps with the CA and either the token file (which = 0),
 * the client certificate (1), or a wrong token (2). */
static struct skv_client *client(const char *const *eps, size_t n, int which, long retry_ms)
{
    struct skv_client_options o;
    struct skv_client_error e = {0};
    struct skv_client *c = NULL;
    skv_client_options_init(&o);
    o.endpoints = eps;
    o.n_endpoints = n;
    o.ca_file = ca;
    o.token_file = which == 0 ? token_file : NULL;
    o.cert_file = which == 1 ? cert : NULL;
    o.key_file = which == 1 ? key : NULL;
    o.token = which == 2 ? "not-the-cluster-token" : NULL;
    o.timeout_ms = 10000;
    o.retry_ms = retry_ms;
    if (skv_client_new(&o, &c, &e) != SKV_CLIENT_OK) {
        fprintf(stderr, "skv_client_new: %s\n", e.detail);
        exit(99);
    }
    skv_client_error_clear(&e);
    return c;
}

static uint64_t put(struct skv_client *c, const char *k, const void *v, size_t n)
{
    struct skv_client_write w = {0};
    struct skv_client_error e = {0};
    uint64_t idx = 0;
    if (skv_client_put(c, k, strlen(k), v, n, NULL, &w, &e) == SKV_CLIENT_OK)
        idx = w.index;
    else
        printf("put %s: %s %s %s\n", k, skv_client_code_name(e.code), e.name ? e.name : "",
               e.detail);
    skv_client_write_clear(&w);
    skv_client_error_clear(&e);
    return idx;
}

/* Put, get (value and indexes), delete, get (not found). */
static void test_kv(struct skv_client *c)
{
    static const unsigned char val[] = {'v', 0, 0xff, '\n', 'x'};
    static const char k[] = "lib/a key/\xc3\xa9";
    const size_t kl = sizeof k - 1;
    struct skv_client_kv kv;
    struct skv_client_write w;
    struct skv_client_error e = {0};
    uint64_t idx = put(c, k, val, sizeof val);
    CHECK(idx > 0, "put of a binary value to a key with '/', ' ' and UTF-8: index %llu",
          (unsigned long long)idx);
    CHECK(skv_client_get(c, k, kl, 0, &kv, &e) == SKV_CLIENT_OK &&
              kv.value_len == sizeof val && memcmp(kv.value, val, sizeof val) == 0,
          "get returns the same 5 bytes (%zu)", kv.value_len);
    CHECK(kv.has_index && kv.mod_index == idx && kv.create_index == idx,
          "get's mod_index and create_index are the put's index (%llu, %llu)",
          (unsigned long long)kv.mod_index, (unsigned long long)kv.create_index);
    skv_client_kv_clear(&kv);
    CHECK(skv_client_get(c, k, kl, SKV_CLIENT_READ_LOCAL, &kv, &e) ==
              SKV_CLIENT_OK, "a local read works too");
    skv_client_kv_clear(&kv);
    CHECK(skv_client_delete(c, k, kl, NULL, &w, &e) == SKV_CLIENT_OK &&
              w.index > idx, "delete: index %llu", (unsigned long long)w.index);
    skv_client_write_clear(&w);
    CHECK(skv_client_get(c, k, kl, 0, &kv, &e) == SKV_CLIENT_NOT_FOUND &&
              e.http_status == 404 && kv.value == NULL,
          "get after delete: SKV_CLIENT_NOT_FOUND (HTTP %ld)", e.http_status);
    CHECK(skv_client_get(c, "", 0, 0, &kv, &e) == SKV_CLIENT_USAGE, "an empty key: USAGE");
    skv_client_error_clear(&e);
}

/* Compare-and-swap on prev_index, and prev_exist. */
static void test_cas(struct skv_client *c)
{
    struct skv_client_cond at = {SKV_CLIENT_COND_PREV_INDEX, 0};
    struct skv_client_cond absent = {SKV_CLIENT_COND_ABSENT, 0};
    struct skv_client_cond exists = {SKV_CLIENT_COND_EXISTS, 0};
    struct skv_client_write w = {0};
    struct skv_client_error e = {0};
    uint64_t i1 = put(c, "lib/cas", "1", 1), i2;

    at.prev_index = i1;
    CHECK(skv_client_put(c, "lib/cas", 7, "2", 1, &at, &w, &e) == SKV_CLIENT_OK,
          "put with prev_index = the current mod index: OK");
    i2 = w.index;
    skv_client_write_clear(&w);
    CHECK(skv_client_put(c, "lib/cas", 7, "3", 1, &at, &w, &e) == SKV_CLIENT_COMPARE_FAILED &&
              e.http_status == 412 && e.name && strcmp(e.name, "ErrCompareFailed") == 0 &&
              e.body && strstr(e.body, "\"mod_index\""),
          "put with a stale prev_index: COMPARE_FAILED, HTTP %ld %s, body %s", e.http_status,
          e.name ? e.name : "-", e.body ? e.body : "-");
    CHECK(skv_client_delete(c, "lib/cas", 7, &at, NULL, &e) == SKV_CLIENT_COMPARE_FAILED,
          "delete with a stale prev_index: COMPARE_FAILED");
    at.prev_index = i2;
    CHECK(skv_client_delete(c, "lib/cas", 7, &at, NULL, &e) == SKV_CLIENT_OK,
          "delete with the current prev_index: OK");
    CHECK(skv_client_put(c, "lib/pe", 6, "a", 1, &absent, NULL, &e) == SKV_CLIENT_OK,
          "prev_exist=false on an absent key: created");
    CHECK(skv_client_put(c, "lib/pe", 6, "b", 1, &absent, NULL, &e) ==
              SKV_CLIENT_COMPARE_FAILED, "prev_exist=false on a present key: COMPARE_FAILED");
    CHECK(skv_client_put(c, "lib/pe-none", 11, "b", 1, &exists, NULL, &e) ==
              SKV_CLIENT_COMPARE_FAILED, "prev_exist=true on an absent key: COMPARE_FAILED");
    CHECK(skv_client_put(c, "lib/pe", 6, "c", 1, &exists, NULL, &e) == SKV_CLIENT_OK,
          "prev_exist=true on a present key: replaced");
    CHECK(skv_client_delete(c, "lib/pe", 6, &exists, NULL, &e) == SKV_CLIENT_USAGE,
          "a delete with prev_exist: USAGE (nothing sent)");
    skv_client_error_clear(&e);
}

/* 25 keys under lib/p/, listed 10 at a time. */
static void test_list(struct skv_client *c)
{
    struct skv_client_list_req rq = {.prefix = "lib/p/", .prefix_len = 6, .limit = 10};
    struct skv_client_list l;
    struct skv_client_error e = {0};
    char k[32], want[32], last[32] = "";
    int i, total = 0, pages = 0, in_order = 1, values_ok = 1, more;
    for (i = 0; i < 25; i++) {
        snprintf(k, sizeof k, "lib/p/%02d", i);
        if (!put(c, k, k + 6, 2))
            values_ok = 0;
    }
    put(c, "lib/q", "outside", 7);
    do {
        if (skv_client_list(c, &rq, &l, &e) != SKV_CLIENT_OK) {
            CHECK(0, "list: %s %s", skv_client_code_name(e.code), e.detail);
            break;
        }
        pages++;
        for (i = 0; i < (int)l.n; i++, total++) {
            snprintf(want, sizeof want, "lib/p/%02d", total);
            in_order &= l.kvs[i].key_len == strlen(want) && memcmp(l.kvs[i].key, want, 8) == 0;
            values_ok &= l.kvs[i].has_value && l.kvs[i].value_len == 2 &&
                         memcmp(l.kvs[i].value, want + 6, 2) == 0 && l.kvs[i].has_index;
        }
        if (l.n)
            memcpy(last, l.kvs[l.n - 1].key, l.kvs[l.n - 1].key_len + 1);
        rq.after = last;
        rq.after_len = strlen(last);
        more = l.more;
        skv_client_list_clear(&l);
    } while (more && pages < 10);
    CHECK(total == 25 && pages == 3, "paging: 25 keys in 3 pages of <= 10 (%d keys, %d pages)",
          total, pages);
    CHECK(in_order && values_ok, "every key once, in byte order, with its value and index");
    rq.after = NULL;
    rq.after_len = 0;
    rq.keys_only = 1;
    rq.limit = 0;
    CHECK(skv_client_list(c, &rq, &l, &e) == SKV_CLIENT_OK && l.n == 25 && !l.more &&
              !l.kvs[0].has_value && l.kvs[0].value == NULL,
          "keys_only, default limit: 25 keys without values (%zu)", l.n);
    skv_client_list_clear(&l);
    skv_client_error_clear(&e);
}

static int get_found(const struct skv_client_txn_op *op, const char *value)
{
    return op->kind == SKV_CLIENT_OP_GET && op->found && op->kv.value_len == strlen(value) &&
           memcmp(op->kv.value, value, op->kv.value_len) == 0;
}

/* One transaction run twice: success the first time, failure after. */
static void test_txn(struct skv_client *c)
{
    struct skv_client_cmp cmp = {.kind = SKV_CLIENT_CMP_EXISTS, .key = "lib/t", .key_len = 5,
                                 .exists = 0};
    struct skv_client_op ok_ops[] = {
        {.kind = SKV_CLIENT_OP_PUT, .key = "lib/t", .key_len = 5, .value = "made", .value_len = 4},
        {.kind = SKV_CLIENT_OP_GET, .key = "lib/p/07", .key_len = 8}};
    struct skv_client_op else_ops[] = {{.kind = SKV_CLIENT_OP_GET, .key = "lib/t", .key_len = 5},
                                       {.kind = SKV_CLIENT_OP_GET, .key = "lib/none", .key_len = 8}};
    struct skv_client_txn t = {&cmp, 1, ok_ops, else_ops, 2, 2};
    struct skv_client_txn_result r;
    struct skv_client_error e = {0};
    static const char bad[] = "{\"compare\":[{\"key\":\"not base64!\",\"exists\":true}]}";

    CHECK(skv_client_txn(c, &t, &r, &e) == SKV_CLIENT_OK && r.succeeded && r.n_results == 2 &&
              r.results[0].kind == SKV_CLIENT_OP_PUT && get_found(&r.results[1], "07") &&
              r.results[1].kv.has_index && r.index > 0,
          "txn, compare holds: success branch (put; get lib/p/07 = 07), index %llu",
          (unsigned long long)r.index);
    skv_client_txn_result_clear(&r);
    CHECK(skv_client_txn(c, &t, &r, &e) == SKV_CLIENT_OK && !r.succeeded && r.n_results == 2 &&
              get_found(&r.results[0], "made") && r.results[1].kind == SKV_CLIENT_OP_GET &&
              !r.results[1].found && r.raw && strstr(r.raw, "\"succeeded\":false"),
          "the same txn again: failure branch (get lib/t = made; lib/none not found)");
    skv_client_txn_result_clear(&r);
    CHECK(skv_client_txn_json(c, bad, strlen(bad), &r, &e) == SKV_CLIENT_REFUSED &&
              e.http_status == 400 && e.name && strcmp(e.name, "ErrBadRequest") == 0,
          "a malformed txn JSON: REFUSED, 400 %s: %s", e.name ? e.name : "-",
          e.message ? e.message : "-");
    skv_client_txn_result_clear(&r);
    skv_client_error_clear(&e);
}

/* ---- watch -------------------------------------------------------- */

struct seen {
    uint64_t idx[64];
    char val[64][8];
    int type[64];
    int n, want, reconnects;
    time_t deadline;
};

static int on_event(void *arg, const struct skv_client_event *ev)
{
    struct seen *s = arg;
    if (ev->kind == SKV_CLIENT_EV_RECONNECT) {
        s->reconnects++;
        printf("  (watch notice: %s)\n", ev->notice);
    } else if (ev->kind != SKV_CLIENT_EV_PROGRESS && s->n < 64) {
        s->idx[s->n] = ev->index;
        s->type[s->n] = ev->kind;
        snprintf(s->val[s->n], sizeof s->val[0], "%.*s", (int)ev->value_len,
                 ev->value ? (const char *)ev->value : "");
        s->n++;
    }
    return s->n >= s->want || time(NULL) > s->deadline; /* bounded */
}

struct writer {
    const char *const *eps;
    size_t n;
    uint64_t idx[6];
};

/* Five puts and a delete under lib/w/, from another thread (its own client). */
static void *write_some(void *arg)
{
    struct writer *w = arg;
    struct skv_client *c = client(w->eps, w->n, 0, 5000);
    struct skv_client_write r = {0};
    struct timespec ts = {0, 300 * 1000000L};
    char v[8];
    int i;
    nanosleep(&ts, NULL); /* the watch is connected, or catches up from its index */
    for (i = 0; i < 5; i++) {
        snprintf(v, sizeof v, "w%d", i);
        w->idx[i] = put(c, "lib/w/k", v, strlen(v));
    }
    if (skv_client_delete(c, "lib/w/k", 7, NULL, &r, NULL) == SKV_CLIENT_OK)
        w->idx[5] = r.index;
    skv_client_write_clear(&r);
    skv_client_free(c);
    return NULL;
}

static void test_watch(struct skv_client *c, const char *const *eps, size_t n)
{
    struct skv_client_watch_req rq = {.prefix = "lib/w/", .prefix_len = 6, .has_from = 1};
    struct skv_client_error e = {0};
    struct writer w = {.eps = eps, .n = n};
    struct seen *s = calloc(1, sizeof *s), *s2 = calloc(1, sizeof *s2);
    pthread_t th;
    int i, same = 1;
    char v[8];

    rq.from_index = put(c, "lib/before-watch", "x", 1); /* every change after it */
    s->want = 6;
    s->deadline = time(NULL) + 30;
    if (!s || !s2 || pthread_create(&th, NULL, write_some, &w) != 0)
        exit(99);
    CHECK(skv_client_watch(c, &rq, on_event, s, &e) == SKV_CLIENT_OK,
          "watch (first endpoint dead) ends when the callback says stop (%s %s)",
          skv_client_code_name(e.code), e.detail);
    pthread_join(th, NULL);
    for (i = 0; i < 6; i++) {
        if (i < 5)
            snprintf(v, sizeof v, "w%d", i);
        else
            v[0] = '\0';
        same &= i < s->n && s->idx[i] == w.idx[i] && strcmp(s->val[i], v) == 0 &&
                s->type[i] == (i < 5 ? SKV_CLIENT_EV_PUT : SKV_CLIENT_EV_DELETE);
    }
    CHECK(s->n == 6 && same, "the callback saw the 6 changes of another thread, each once, in "
          "order, with their indexes and values (%d)", s->n);
    CHECK(s->reconnects >= 1, "it reported going past the dead endpoint (%d notices)",
          s->reconnects);
    /* resume after the third change: exactly the last three again */
    rq.has_from = 1;
    rq.from_index = w.idx[2];
    s2->want = 3;
    s2->deadline = time(NULL) + 30;
    CHECK(skv_client_watch(c, &rq, on_event, s2, &e) == SKV_CLIENT_OK && s2->n == 3 &&
              s2->idx[0] == w.idx[3] && s2->idx[1] == w.idx[4] && s2->idx[2] == w.idx[5] &&
              strcmp(s2->val[0], "w3") == 0 && s2->type[2] == SKV_CLIENT_EV_DELETE,
          "resumed from index %llu: exactly the changes after it (%d)",
          (unsigned long long)w.idx[2], s2->n);
    CHECK(rq.from_index >= w.idx[4], "the request says where to resume next (%llu)",
          (unsigned long long)rq.from_index);
    skv_client_error_clear(&e);
    free(s);
    free(s2);
}

/* ---- failover and credentials -------------------------------------- */

static void test_failover_and_auth(const char *const *all, size_t n)
{
    struct skv_client *c, *pinned = NULL;
    struct skv_client_kv kv;
    struct skv_client_error e = {0};

    c = client(all, 1, 0, 300); /* only the dead endpoint */
    CHECK(skv_client_put(c, "lib/f", 5, "x", 1, NULL, NULL, &e) == SKV_CLIENT_UNREACHABLE &&
              e.no_answer && e.endpoint && strcmp(e.endpoint, all[0]) == 0,
          "only a dead endpoint: UNREACHABLE (%s: %s)", e.endpoint ? e.endpoint : "-", e.detail);
    skv_client_free(c);
    c = client(all, n, 0, 0); /* dead first, no retry budget: failover alone */
    CHECK(skv_client_put(c, "lib/f", 5, "y", 1, NULL, NULL, &e) == SKV_CLIENT_OK,
          "dead first endpoint: the put goes to the next one");
    CHECK(skv_client_get(c, "lib/f", 5, 0, &kv, &e) == SKV_CLIENT_OK && kv.value_len == 1 &&
              ((char *)kv.value)[0] == 'y', "and the get too");
    skv_client_kv_clear(&kv);
    skv_client_free(c);
    c = client(all + 1, n - 1, 1, 0); /* client certificate, no token */
    CHECK(skv_client_get(c, "lib/f", 5, 0, &kv, &e) == SKV_CLIENT_OK,
          "a client certificate without a token is accepted");
    skv_client_kv_clear(&kv);
    skv_client_free(c);
    c = client(all, n, 0, 0);
    if (skv_client_pin(c, all[2], &pinned, &e) == SKV_CLIENT_OK) {
        struct skv_client_answer a;
        CHECK(skv_client_request(pinned, "GET", "/v1/status", NULL, 0, NULL, &a, &e) ==
                  SKV_CLIENT_OK && a.endpoint && strcmp(a.endpoint, all[2]) == 0,
              "a client pinned to %s (the token copied) answers from there", all[2]);
        skv_client_answer_clear(&a);
        skv_client_free(pinned);
    } else {
        CHECK(0, "skv_client_pin: %s", e.detail);
    }
    CHECK(skv_client_pin(c, "ftp://127.0.0.1:1", &pinned, &e) == SKV_CLIENT_USAGE && !pinned,
          "pinning to a URL that is not http(s): USAGE");
    skv_client_free(c);
    c = client(all + 1, n - 1, 2, 0); /* a wrong token, no certificate */
    CHECK(skv_client_get(c, "lib/f", 5, 0, &kv, &e) == SKV_CLIENT_REFUSED &&
              e.http_status == 401 && e.name && strcmp(e.name, "ErrUnauthorized") == 0,
          "a bad token is refused: REFUSED, HTTP %ld %s", e.http_status, e.name ? e.name : "-");
    skv_client_free(c);
    skv_client_error_clear(&e);
}

int main(int argc, char **argv)
{
    struct skv_client *c;
    const char *const *eps;
    size_t n;
    if (argc != 9) {
        fprintf(stderr, "usage: %s CA CERT KEY TOKEN_FILE DEAD_URL URL1 URL2 URL3\n", argv[0]);
        return 99;
    }
    ca = argv[1], cert = argv[2], key = argv[3], token_file = argv[4];
    eps = (const char *const *)argv + 5;
    n = 4;
    if (skv_client_global_init() != 0)
        return 99;
    printf("libsealkv-client %s (major %d)\n", skv_client_version(), SKV_CLIENT_MAJOR);
    test_failover_and_auth(eps, n);
    c = client(eps, n, 0, 10000); /* dead first endpoint for everything below */
    test_kv(c);
    test_cas(c);
    test_list(c);
    test_txn(c);
    test_watch(c, eps, n);
    skv_client_free(c);
    skv_client_global_cleanup();
    printf("%d checks, %d failed\n", checks, fails);
    return fails ? 1 : 0;
}
