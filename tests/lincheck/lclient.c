/* SPDX-License-Identifier: MIT */
/*
 * lclient.c — history recorder for the linearizability checker: N
 * concurrent clients (threads), each doing random puts and gets on a
 * small key set against the given HTTP endpoints, and recording every
 * operation's invocation and completion with CLOCK_MONOTONIC
 * nanoseconds in the format tests/lincheck/lincheck reads:
 *
 *     <client> <invoke|ok|fail|info> <put|get> <key> <value|-> <time_ns>
 *
 * Classification (DESIGN.md §6 error names):
 *   200                                   ok (a get's body is the value)
 *   404 on a get                          ok, value absent
 *   503 ErrEnvelopeCutoverInProgress, ErrLeaderNotReady, ErrNoLeader,
 *       ErrNotLeader, ErrLeaderUnreachable, ErrUnavailable "did not
 *       accept the request" (admin-http: the core refused the call),
 *   or no connection at all               did not happen: retried on the
 *                                         next endpoint until the op's
 *                                         deadline, then `fail`
 *   ErrLeadershipLost, ErrTimeout, ErrShuttingDown, ErrUnavailable
 *   otherwise ("the admin server is stopping"), any other answer,
 *   a timeout or a dropped connection after the request was sent
 *                                         `info` (unknown; never retried)
 * Gets are linearizable reads (no ?consistency=local). Every put writes a
 * value unique to the run.
 *
 * --cas-pct P: P% of the operations are a compare-and-swap (issue 16
 * item 3): a linearizable get (recorded as such) that also takes the
 * key's X-Sealkv-Mod-Index, then PUT ?prev_index=M (?prev_exist=false
 * when the get found no key) of a new unique value, recorded as
 * `cas KEY EXPECTED:NEW` (EXPECTED: the value the get returned, `-` for
 * absent): since every write's value is unique, "the mod index is still
 * M" is "the value is still EXPECTED", the register compare the checker
 * models. 412 ErrCompareFailed is `fail` (nothing was written); other
 * outcomes as for a put. A CAS whose get did not succeed is not sent.
 * --txn-pct P: P% of those compare-and-swaps are sent as a transaction
 * instead (issue 16 item 5): POST /v1/txn comparing the value the get
 * returned (or "exists": false) and putting the new value on success —
 * the same register compare, recorded the same way; "succeeded": false is
 * `fail` (the transaction applied and wrote nothing). Connections are never reused, so libcurl
 * never silently re-sends a request on a dead kept-alive connection.
 *
 * Usage: lclient --endpoints URL[,URL...] --out FILE [--clients N (4)]
 *   [--keys K (3)] [--key-prefix P (lk)] [--tag T] [--duration S (10)]
 *   [--stop-file F] [--put-pct P (50)] [--timeout-ms T (4000)]
 *   [--op-deadline-ms T (3000)] [--think-ms T (5)] [--seed S]
 *   [--final-read] [--local-reads] [--log FILE] [--cas-pct P (0)] [--txn-pct P (0)]
 * --local-reads: gets use ?consistency=local (not linearizable: only for
 * the negative control, whose history the checker must reject).
 * --final-read: one client reads every key once (retrying refusals for up
 * to --op-deadline-ms, default 30 s here) and appends; run it after the
 * cluster healed so the checker sees the final state. The output file is
 * always appended to. Prints one summary line:
 *   LCLIENT ops=N put_ok=N put_fail=N put_info=N get_ok=N get_fail=N get_info=N unexpected=N
 *     cas_ok=N cas_failed=N cas_info=N cas_txn=N (of the CAS, sent as transactions)
 * Exit 0, or 2 on bad usage / no endpoint ever answered.
 */
#include <curl/curl.h>
#include <sodium.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct opts {
    char **ep;
    size_t n_ep;
    const char *out, *stop_file, *key_prefix, *tag, *log;
    unsigned clients, keys, put_pct, timeout_ms, deadline_ms, think_ms, cas_pct, txn_pct;
    double duration_s;
    unsigned long seed;
    int final_read;
    int local_reads;
};

static struct opts O = {NULL, 0, NULL, NULL, "lk", "r", NULL, 4, 3, 50, 4000, 0, 5, 0, 0,
                        10, 0, 0, 0};
static FILE *out, *log_fp;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t t_end_ns;

static struct {
    unsigned long ops, put_ok, put_fail, put_info, get_ok, get_fail, get_info, unexpected,
        answered, cas_ok, cas_failed, cas_info, cas_txn;
} st;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void record(const char *client, const char *ev, const char *op, const char *key,
                   const char *val, uint64_t t)
{
    pthread_mutex_lock(&out_mu);
    fprintf(out, "%s %s %s %s %s %" PRIu64 "\n", client, ev, op, key, val && *val ? val : "-", t);
    fflush(out);
    pthread_mutex_unlock(&out_mu);
}

static void logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logline(const char *fmt, ...)
{
    va_list ap;
    if (!log_fp)
        return;
    pthread_mutex_lock(&out_mu);
    va_start(ap, fmt);
    vfprintf(log_fp, fmt, ap);
    va_end(ap);
    fputc('\n', log_fp);
    fflush(log_fp);
    pthread_mutex_unlock(&out_mu);
}

struct buf {
    char *p;
    size_t len, cap;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct buf *b = arg;
    size_t n = size * nmemb;
    if (b->len + n + 1 > b->cap) {
        size_t nc = (b->len + n + 1) * 2;
        char *q = realloc(b->p, nc);
        if (!q)
            return 0;
        b->p = q;
        b->cap = nc;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

/* error name from {"error":"ErrX",...} into name (or "") */
static void error_name(const struct buf *b, char *name, size_t len)
{
    const char *p = b->p ? strstr(b->p, "\"error\"") : NULL;
    size_t i = 0;
    name[0] = '\0';
    if (!p)
        return;
    p = strchr(p + 7, '"');
    if (!p)
        return;
    p++;
    while (*p && *p != '"' && i + 1 < len)
        name[i++] = *p++;
    name[i] = '\0';
}

static int refused_before_proposing(const char *e)
{
    static const char *const names[] = {"ErrEnvelopeCutoverInProgress", "ErrLeaderNotReady",
                                        "ErrNoLeader", "ErrNotLeader", "ErrLeaderUnreachable"};
    size_t i;
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(e, names[i]) == 0)
            return 1;
    return 0;
}

enum outcome { OK, OK_ABSENT, FAIL, INFO, CMP_FAILED };

/* The X-Sealkv-Mod-Index header of a get into *(uint64_t *)arg. */
static size_t on_header(char *line, size_t size, size_t nmemb, void *arg)
{
    static const char name[] = "X-Sealkv-Mod-Index:";
    size_t n = size * nmemb;
    if (n > sizeof name - 1 && strncasecmp(line, name, sizeof name - 1) == 0)
        *(uint64_t *)arg = strtoull(line + sizeof name - 1, NULL, 10);
    return n;
}

/* One operation, retried over endpoints while it certainly did not
 * happen; the value read (malloc'd) in *got. */
static int do_op(CURL *c, const char *cname, unsigned *rr, int is_put, const char *key,
                 const char *val, char **got, unsigned deadline_ms, const char *query,
                 uint64_t *mod, const char *txn)
{
    uint64_t deadline = now_ns() + (uint64_t)deadline_ms * 1000000u;
    unsigned attempt = 0;
    int r_txn;
    for (;;) {
        const char *ep = O.ep[(*rr)++ % O.n_ep];
        char url[1024], ename[64];
        struct buf b = {NULL, 0, 0};
        long code = 0;
        CURLcode rc;
        if (txn) /* a transaction (--txn-pct): POST its JSON */
            snprintf(url, sizeof url, "%s/v1/txn", ep);
        else
            snprintf(url, sizeof url, "%s/v1/kv/%s%s", ep, key,
                     query ? query : !is_put && O.local_reads ? "?consistency=local" : "");
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
        curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)O.timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        if (mod) {
            *mod = UINT64_MAX;
            curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
            curl_easy_setopt(c, CURLOPT_HEADERDATA, mod);
        }
        if (is_put) {
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, txn ? "POST" : "PUT");
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, txn ? txn : val);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(txn ? txn : val));
        }
        rc = curl_easy_perform(c);
        attempt++;
        if (rc == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        error_name(&b, ename, sizeof ename);
        logline("%s %s %s %s attempt %u via %s: curl %d http %ld %s", cname,
                is_put ? "put" : "get", key, is_put ? val : "-", attempt, ep, (int)rc, code,
                ename);
        if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
            (rc == CURLE_OK && code == 503 && refused_before_proposing(ename)) ||
            (rc == CURLE_OK && code == 503 && strcmp(ename, "ErrUnavailable") == 0 && b.p &&
             strstr(b.p, "did not accept the request"))) {
            /* nothing happened: another node, shortly */
            free(b.p);
            if (rc == CURLE_OK)
                __atomic_add_fetch(&st.answered, 1, __ATOMIC_RELAXED);
            if (now_ns() >= deadline)
                return FAIL;
            if (attempt % O.n_ep == 0)
                sleep_ms(rc == CURLE_OK ? 50 : 100);
            continue;
        }
        if (rc != CURLE_OK) { /* sent (maybe): a timeout or a dropped connection */
            free(b.p);
            return INFO;
        }
        __atomic_add_fetch(&st.answered, 1, __ATOMIC_RELAXED);
        if (code == 200 && txn) {
            r_txn = b.p && strstr(b.p, "\"succeeded\":true") ? OK
                    : b.p && strstr(b.p, "\"succeeded\":false") ? CMP_FAILED : INFO;
            free(b.p);
            return r_txn;
        }
        if (code == 200) {
            if (!is_put)
                *got = b.p ? b.p : strdup("");
            else
                free(b.p);
            return OK;
        }
        if (code == 404 && !is_put && strcmp(ename, "ErrKeyNotFound") == 0) {
            free(b.p);
            return OK_ABSENT;
        }
        if (code == 412 && (query || txn) && strcmp(ename, "ErrCompareFailed") == 0) {
            free(b.p);
            return CMP_FAILED;
        }
        if (!(code == 503 || code == 504) ||
            !(strcmp(ename, "ErrLeadershipLost") == 0 || strcmp(ename, "ErrTimeout") == 0 ||
              strcmp(ename, "ErrShuttingDown") == 0 || strcmp(ename, "ErrUnavailable") == 0)) {
            __atomic_add_fetch(&st.unexpected, 1, __ATOMIC_RELAXED);
            fprintf(stderr, "lclient: %s %s %s via %s: unexpected answer %ld %s\n", cname,
                    is_put ? "put" : "get", key, ep, code, b.p ? b.p : "");
        }
        free(b.p);
        return INFO;
    }
}

struct client {
    unsigned id;
    pthread_t thr;
};

static int stop_now(void)
{
    struct stat sb;
    if (now_ns() >= t_end_ns)
        return 1;
    return O.stop_file && stat(O.stop_file, &sb) == 0;
}

static void run_one(CURL *c, const char *cname, unsigned *rr, int is_put, const char *key,
                    const char *val, unsigned deadline_ms)
{
    char *got = NULL;
    uint64_t t0, t1;
    int r;
    record(cname, "invoke", is_put ? "put" : "get", key, is_put ? val : "-", now_ns());
    t0 = now_ns();
    r = do_op(c, cname, rr, is_put, key, val, &got, deadline_ms, NULL, NULL, NULL);
    t1 = now_ns();
    (void)t0;
    if (r == OK || r == OK_ABSENT) {
        /* a read of a value with spaces or an empty value cannot be
         * recorded faithfully: our writers never produce one */
        if (got && (!*got || strpbrk(got, " \t\r\n"))) {
            fprintf(stderr, "lclient: %s read an unexpected value '%s' from %s\n", cname, got,
                    key);
            __atomic_add_fetch(&st.unexpected, 1, __ATOMIC_RELAXED);
            record(cname, "ok", "get", key, "#bad-value#", t1);
        } else {
            record(cname, "ok", is_put ? "put" : "get", key, is_put ? val : (got ? got : "-"),
                   t1);
        }
    } else {
        record(cname, r == FAIL ? "fail" : "info", is_put ? "put" : "get", key,
               is_put ? val : "-", t1);
    }
    free(got);
    __atomic_add_fetch(&st.ops, 1, __ATOMIC_RELAXED);
    if (is_put)
        __atomic_add_fetch(r == OK ? &st.put_ok : r == FAIL ? &st.put_fail : &st.put_info, 1,
                           __ATOMIC_RELAXED);
    else
        __atomic_add_fetch(r == OK || r == OK_ABSENT ? &st.get_ok
                           : r == FAIL               ? &st.get_fail
                                                     : &st.get_info,
                           1, __ATOMIC_RELAXED);
}

/* A linearizable get of key with its mod index: OK (*got malloc'd),
 * OK_ABSENT, or another outcome; recorded as a get. */
static int cas_read(CURL *c, const char *cname, unsigned *rr, const char *key, char **got,
                    uint64_t *mod, unsigned deadline_ms)
{
    int r;
    record(cname, "invoke", "get", key, "-", now_ns());
    r = do_op(c, cname, rr, 0, key, NULL, got, deadline_ms, NULL, mod, NULL);
    if ((r == OK && (!*got || !**got || strpbrk(*got, " \t\r\n:") || *mod == UINT64_MAX)) ||
        r == CMP_FAILED) {
        fprintf(stderr, "lclient: %s: cas read of %s: unexpected value or no mod index\n", cname,
                key);
        __atomic_add_fetch(&st.unexpected, 1, __ATOMIC_RELAXED);
        record(cname, "info", "get", key, "-", now_ns());
        return INFO;
    }
    record(cname, r == OK || r == OK_ABSENT ? "ok" : r == FAIL ? "fail" : "info", "get", key,
           r == OK ? *got : "-", now_ns());
    __atomic_add_fetch(r == OK || r == OK_ABSENT ? &st.get_ok : r == FAIL ? &st.get_fail
                                                                         : &st.get_info,
                       1, __ATOMIC_RELAXED);
    return r;
}

/* Read, then compare-and-swap to val (see the header). */
/* The transaction for a CAS: compare the value (or its absence), put. */
static char *txn_body(const char *key, const char *expected, const char *val)
{
    char k[256], e[512], v[512], *body = malloc(2048);
    if (!body || strlen(key) > 180 || strlen(val) > 360 || (expected && strlen(expected) > 360)) {
        free(body);
        return NULL;
    }
    sodium_bin2base64(k, sizeof k, (const unsigned char *)key, strlen(key),
                      sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(v, sizeof v, (const unsigned char *)val, strlen(val),
                      sodium_base64_VARIANT_ORIGINAL);
    if (expected)
        sodium_bin2base64(e, sizeof e, (const unsigned char *)expected, strlen(expected),
                          sodium_base64_VARIANT_ORIGINAL);
    snprintf(body, 2048, "{\"compare\":[{\"key\":\"%s\",%s%s%s}],\"success\":[{\"op\":\"put\","
             "\"key\":\"%s\",\"value\":\"%s\"}]}", k, expected ? "\"value\":\"" : "\"exists\":false",
             expected ? e : "", expected ? "\"" : "", k, v);
    return body;
}

static void run_cas(CURL *c, const char *cname, unsigned *rr, const char *key, const char *val,
                    unsigned deadline_ms, int as_txn)
{
    char *got = NULL, q[64], ev[400], *txn = NULL;
    uint64_t mod = UINT64_MAX;
    int r = cas_read(c, cname, rr, key, &got, &mod, deadline_ms);
    if (r != OK && r != OK_ABSENT) {
        free(got);
        return;
    }
    if (r == OK)
        snprintf(q, sizeof q, "?prev_index=%" PRIu64, mod);
    else
        snprintf(q, sizeof q, "?prev_exist=false");
    if (as_txn && !(txn = txn_body(key, r == OK ? got : NULL, val))) {
        free(got);
        return;
    }
    snprintf(ev, sizeof ev, "%s:%s", r == OK ? got : "-", val);
    free(got);
    got = NULL;
    record(cname, "invoke", "cas", key, ev, now_ns());
    if (txn) {
        r = do_op(c, cname, rr, 1, key, val, &got, deadline_ms, NULL, NULL, txn);
        __atomic_add_fetch(&st.cas_txn, 1, __ATOMIC_RELAXED);
    }
    else
        r = do_op(c, cname, rr, 1, key, val, &got, deadline_ms, q, NULL, NULL);
    free(txn);
    record(cname, r == OK ? "ok" : r == FAIL || r == CMP_FAILED ? "fail" : "info", "cas", key,
           ev, now_ns());
    free(got);
    __atomic_add_fetch(&st.ops, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(r == OK ? &st.cas_ok : r == FAIL || r == CMP_FAILED ? &st.cas_failed
                                                                           : &st.cas_info,
                       1, __ATOMIC_RELAXED);
}

static void *client_main(void *arg)
{
    struct client *cl = arg;
    CURL *c = curl_easy_init();
    char cname[64], key[128], val[160];
    unsigned rr = cl->id, seq = 0;
    unsigned seed = (unsigned)(O.seed * 7919u + cl->id * 104729u + 1);
    if (!c)
        return NULL;
    snprintf(cname, sizeof cname, "%s-c%u", O.tag, cl->id);
    while (!stop_now()) {
        int is_put = (unsigned)rand_r(&seed) % 100u < O.put_pct;
        int is_cas = O.cas_pct && (unsigned)rand_r(&seed) % 100u < O.cas_pct;
        snprintf(key, sizeof key, "%s%u", O.key_prefix, (unsigned)rand_r(&seed) % O.keys);
        snprintf(val, sizeof val, "%s-c%u-%u", O.tag, cl->id, ++seq);
        if (is_cas)
            run_cas(c, cname, &rr, key, val, O.deadline_ms ? O.deadline_ms : 3000,
                    O.txn_pct && (unsigned)rand_r(&seed) % 100u < O.txn_pct);
        else
            run_one(c, cname, &rr, is_put, key, val, O.deadline_ms ? O.deadline_ms : 3000);
        if (O.think_ms)
            sleep_ms((unsigned)rand_r(&seed) % (O.think_ms + 1));
    }
    curl_easy_cleanup(c);
    return NULL;
}

static int split_endpoints(const char *s)
{
    char *copy = strdup(s), *tok, *save = NULL;
    if (!copy)
        return -1;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        O.ep = realloc(O.ep, (O.n_ep + 1) * sizeof *O.ep);
        if (!O.ep)
            return -1;
        O.ep[O.n_ep] = strdup(tok);
        while (O.ep[O.n_ep][0] && O.ep[O.n_ep][strlen(O.ep[O.n_ep]) - 1] == '/')
            O.ep[O.n_ep][strlen(O.ep[O.n_ep]) - 1] = '\0';
        O.n_ep++;
    }
    free(copy);
    return O.n_ep ? 0 : -1;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: lclient --endpoints URL[,URL...] --out FILE [--clients N] [--keys K]\n"
            "  [--key-prefix P] [--tag T] [--duration S] [--stop-file F] [--put-pct P]\n"
            "  [--timeout-ms T] [--op-deadline-ms T] [--think-ms T] [--seed S]\n"
            "  [--final-read] [--local-reads] [--log FILE] [--cas-pct P]\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct client *cls;
    int a;
    unsigned i;
    for (a = 1; a < argc; a++) {
        const char *k = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;
        if (strcmp(k, "--final-read") == 0) {
            O.final_read = 1;
            continue;
        }
        if (strcmp(k, "--local-reads") == 0) {
            O.local_reads = 1;
            continue;
        }
        if (!v)
            return usage();
        a++;
        if (strcmp(k, "--endpoints") == 0) {
            if (split_endpoints(v))
                return usage();
        } else if (strcmp(k, "--out") == 0) {
            O.out = v;
        } else if (strcmp(k, "--log") == 0) {
            O.log = v;
        } else if (strcmp(k, "--stop-file") == 0) {
            O.stop_file = v;
        } else if (strcmp(k, "--key-prefix") == 0) {
            O.key_prefix = v;
        } else if (strcmp(k, "--tag") == 0) {
            O.tag = v;
        } else if (strcmp(k, "--clients") == 0) {
            O.clients = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--keys") == 0) {
            O.keys = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--cas-pct") == 0) {
            O.cas_pct = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--txn-pct") == 0) {
            O.txn_pct = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--put-pct") == 0) {
            O.put_pct = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--timeout-ms") == 0) {
            O.timeout_ms = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--op-deadline-ms") == 0) {
            O.deadline_ms = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--think-ms") == 0) {
            O.think_ms = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--duration") == 0) {
            O.duration_s = strtod(v, NULL);
        } else if (strcmp(k, "--seed") == 0) {
            O.seed = strtoul(v, NULL, 10);
        } else {
            return usage();
        }
    }
    if (!O.n_ep || !O.out || !O.clients || !O.keys || O.put_pct > 100 || O.cas_pct > 100 ||
        !O.timeout_ms ||
        strpbrk(O.tag, " \t") || strpbrk(O.key_prefix, " \t/?#%"))
        return usage();
    if (!O.seed)
        O.seed = (unsigned long)now_ns();
    if (!(out = fopen(O.out, "a"))) {
        fprintf(stderr, "lclient: %s: %s\n", O.out, strerror(errno));
        return 2;
    }
    if (O.log && !(log_fp = fopen(O.log, "a"))) {
        fprintf(stderr, "lclient: %s: %s\n", O.log, strerror(errno));
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return 2;
    if (O.final_read) {
        CURL *c = curl_easy_init();
        char cname[64], key[128];
        unsigned rr = 0;
        if (!c)
            return 2;
        snprintf(cname, sizeof cname, "%s-final", O.tag);
        for (i = 0; i < O.keys; i++) {
            snprintf(key, sizeof key, "%s%u", O.key_prefix, i);
            run_one(c, cname, &rr, 0, key, NULL, O.deadline_ms ? O.deadline_ms : 30000);
        }
        curl_easy_cleanup(c);
    } else {
        t_end_ns = now_ns() + (uint64_t)(O.duration_s * 1e9);
        cls = calloc(O.clients, sizeof *cls);
        if (!cls)
            return 2;
        for (i = 0; i < O.clients; i++) {
            cls[i].id = i + 1;
            if (pthread_create(&cls[i].thr, NULL, client_main, &cls[i]) != 0)
                return 2;
        }
        for (i = 0; i < O.clients; i++)
            pthread_join(cls[i].thr, NULL);
        free(cls);
    }
    fclose(out);
    if (log_fp)
        fclose(log_fp);
    printf("LCLIENT ops=%lu put_ok=%lu put_fail=%lu put_info=%lu get_ok=%lu get_fail=%lu "
           "get_info=%lu unexpected=%lu cas_ok=%lu cas_failed=%lu cas_info=%lu cas_txn=%lu\n",
           st.ops, st.put_ok, st.put_fail, st.put_info, st.get_ok, st.get_fail, st.get_info,
           st.unexpected, st.cas_ok, st.cas_failed, st.cas_info, st.cas_txn);
    curl_global_cleanup();
    return st.answered ? 0 : 2;
}
