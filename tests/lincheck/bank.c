/* SPDX-License-Identifier: MIT */
/*
 * bank.c — skv_bank: the multi-key transaction check (issue 16 items 5
 * and 12). N accounts hold INITIAL each; C concurrent clients loop:
 *   1. read every account in ONE transaction of gets (POST /v1/txn, one
 *      Raft entry: an atomic, linearizable multi-key read) and check the
 *      invariant — every account present, none negative, the sum exactly
 *      N * INITIAL;
 *   2. move a random amount from one account to another in ONE
 *      transaction that compares both accounts' mod_index with what the
 *      read saw and puts both new balances.
 * A transaction applied in part (one put without the other), a torn or
 * stale multi-key read, or a compare that let two transfers built on the
 * same balances both apply (a lost update) each change a read's sum, so
 * any of them is a violation; so is a final read (--final) that does not
 * add up. Answers whose outcome is unknown (timeouts, ErrLeadershipLost)
 * are fine: a transfer is all or nothing whichever way it went.
 *
 * Usage: skv_bank --endpoints URL[,URL...] [--accounts N (5)]
 *   [--initial I (1000)] [--clients C (3)] [--duration S (10)]
 *   [--stop-file F] [--prefix P (bank)] [--timeout-ms T (4000)] [--final]
 *   [--no-compare]
 * --final: one read (retried up to 30 s) and its check, nothing else.
 * --no-compare: the negative control — transfers put both balances
 * without comparing mod indexes, so concurrent ones lose updates and the
 * sum drifts: the check must report violations.
 * The accounts are created by the first client that finds them absent
 * (a transaction comparing "exists": false). Prints one line:
 *   BANK reads=N violations=V transfers_ok=N conflicts=N unknown=N refused=N sum=S
 * Exit 0 (no violation), 1 (a violation: its read is on stderr), 2 (usage,
 * or no read ever succeeded).
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_ACCOUNTS 64
#define MAX_EP 16

struct cfg {
    const char *ep[MAX_EP];
    size_t n_ep;
    unsigned accounts, clients, timeout_ms;
    long initial;
    double duration_s;
    const char *stop_file, *prefix;
    int final;
    int no_compare;   /* negative control: blind transfers must be caught */
};

struct stats {
    pthread_mutex_t mu;
    unsigned long reads, violations, ok, conflicts, unknown, refused;
    long last_sum;
};

struct client {
    const struct cfg *cfg;
    struct stats *st;
    unsigned id, rr, seed;
    CURL *c;
    pthread_t thr;
};

struct acct {
    long bal[MAX_ACCOUNTS];
    uint64_t mod[MAX_ACCOUNTS];
    int found[MAX_ACCOUNTS];
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static char *b64(const char *s)
{
    size_t n = strlen(s), len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    char *o = malloc(len);
    if (o)
        sodium_bin2base64(o, len, (const unsigned char *)s, n, sodium_base64_VARIANT_ORIGINAL);
    return o;
}

static json_t *key_json(const struct cfg *g, unsigned i)
{
    char k[128], *e;
    json_t *j;
    snprintf(k, sizeof k, "%s-%u", g->prefix, i);
    e = b64(k);
    j = e ? json_string(e) : NULL;
    free(e);
    return j;
}

static json_t *val_json(long v)
{
    char s[32], *e;
    json_t *j;
    snprintf(s, sizeof s, "%ld", v);
    e = b64(s);
    j = e ? json_string(e) : NULL;
    free(e);
    return j;
}

struct body {
    char *p;
    size_t len;
};

static size_t on_body(char *d, size_t sz, size_t nm, void *arg)
{
    struct body *b = arg;
    size_t n = sz * nm;
    char *q = realloc(b->p, b->len + n + 1);
    if (!q)
        return 0;
    memcpy(q + b->len, d, n);
    b->p = q;
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

enum { T_OK, T_REFUSED, T_UNKNOWN };

/* 1 when the answer says nothing was done (another endpoint may be tried). */
static int refused(long code, json_t *ans)
{
    static const char *const names[] = {"ErrNoLeader", "ErrNotLeader", "ErrLeaderNotReady",
                                        "ErrLeaderUnreachable",
                                        "ErrEnvelopeCutoverInProgress"};
    const char *e = json_string_value(json_object_get(ans, "error"));
    size_t i;
    for (i = 0; code == 503 && e && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(e, names[i]) == 0)
            return 1;
    return 0;
}

/* POST /v1/txn, retried over the endpoints while it surely did not
 * happen, for up to deadline_s. T_OK with *ans (the 200 answer). */
static int post_txn(struct client *cl, json_t *txn, double deadline_s, json_t **ans)
{
    const struct cfg *g = cl->cfg;
    char *body = json_dumps(txn, JSON_COMPACT);
    double end = now_s() + deadline_s;
    int rc = T_REFUSED;
    *ans = NULL;
    while (body && now_s() < end) {
        struct body b = {NULL, 0};
        char url[600];
        long code = 0;
        CURLcode cr;
        snprintf(url, sizeof url, "%s/v1/txn", g->ep[cl->rr++ % g->n_ep]);
        curl_easy_reset(cl->c);
        curl_easy_setopt(cl->c, CURLOPT_URL, url);
        curl_easy_setopt(cl->c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(cl->c, CURLOPT_FORBID_REUSE, 1L);
        curl_easy_setopt(cl->c, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(cl->c, CURLOPT_TIMEOUT_MS, (long)g->timeout_ms);
        curl_easy_setopt(cl->c, CURLOPT_CONNECTTIMEOUT_MS, 1000L);
        curl_easy_setopt(cl->c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(cl->c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(cl->c, CURLOPT_WRITEDATA, &b);
        cr = curl_easy_perform(cl->c);
        if (cr == CURLE_OK)
            curl_easy_getinfo(cl->c, CURLINFO_RESPONSE_CODE, &code);
        *ans = b.p ? json_loads(b.p, 0, NULL) : NULL;
        free(b.p);
        if (cr == CURLE_COULDNT_CONNECT || (cr == CURLE_OK && refused(code, *ans))) {
            json_decref(*ans);
            *ans = NULL;
            sleep_ms(50);
            continue;
        }
        rc = cr == CURLE_OK && code == 200 && json_is_object(*ans) ? T_OK : T_UNKNOWN;
        if (rc != T_OK) {
            json_decref(*ans);
            *ans = NULL;
        }
        break;
    }
    free(body);
    return rc;
}

static json_t *op_json(const char *op, const struct cfg *g, unsigned i)
{
    return json_pack("{s:s,s:o}", "op", op, "key", key_json(g, i));
}

/* A get's balance: the value, decimal, decoded from base64. */
static int balance(json_t *r, long *out)
{
    const char *v = json_string_value(json_object_get(r, "value"));
    unsigned char raw[40];
    size_t n = 0;
    char *end;
    if (!v || sodium_base642bin(raw, sizeof raw - 1, v, strlen(v), NULL, &n, NULL,
                                sodium_base64_VARIANT_ORIGINAL) != 0 || n == 0)
        return -1;
    raw[n] = '\0';
    *out = strtol((const char *)raw, &end, 10);
    return *end == '\0' ? 0 : -1;
}

/* Every account in one transaction of gets. T_OK with *a filled. */
static int read_all(struct client *cl, struct acct *a, double deadline_s)
{
    const struct cfg *g = cl->cfg;
    json_t *ops = json_array(), *txn, *ans = NULL, *res, *r;
    unsigned i;
    int rc;
    for (i = 0; i < g->accounts; i++)
        json_array_append_new(ops, op_json("get", g, i));
    txn = json_pack("{s:o}", "success", ops);
    rc = post_txn(cl, txn, deadline_s, &ans);
    json_decref(txn);
    if (rc != T_OK)
        return rc;
    res = json_object_get(ans, "results");
    memset(a, 0, sizeof *a);
    if (json_array_size(res) != g->accounts) {
        fprintf(stderr, "skv_bank: a read answered %zu results for %u gets\n",
                json_array_size(res), g->accounts);
        json_decref(ans);
        return T_UNKNOWN;
    }
    json_array_foreach(res, i, r) {
        a->found[i] = json_is_true(json_object_get(r, "found"));
        a->mod[i] = (uint64_t)json_integer_value(json_object_get(r, "mod_index"));
        if (a->found[i] && balance(r, &a->bal[i]) != 0)
            a->found[i] = -1;   /* not a balance: a violation */
    }
    json_decref(ans);
    return T_OK;
}

/* The invariant over one read; 0 when it holds (or no account exists
 * yet), 1 (a violation, described on stderr). */
static int check(struct client *cl, const struct acct *a, long *sum)
{
    const struct cfg *g = cl->cfg;
    unsigned i, present = 0;
    int bad = 0;
    *sum = 0;
    for (i = 0; i < g->accounts; i++) {
        present += a->found[i] != 0;
        bad |= a->found[i] < 0 || (a->found[i] && a->bal[i] < 0);
        *sum += a->found[i] > 0 ? a->bal[i] : 0;
    }
    if (present == 0)
        return 0;
    if (!bad && present == g->accounts && *sum == g->initial * (long)g->accounts)
        return 0;
    fprintf(stderr, "skv_bank: client %u: VIOLATION: %u of %u accounts, sum %ld (expected %ld):",
            cl->id, present, g->accounts, *sum, g->initial * (long)g->accounts);
    for (i = 0; i < g->accounts; i++)
        fprintf(stderr, " %ld@%llu%s", a->bal[i], (unsigned long long)a->mod[i],
                a->found[i] ? "" : "(absent)");
    fputc('\n', stderr);
    return 1;
}

/* Create every account at `initial` unless the first one exists. */
static void create(struct client *cl)
{
    const struct cfg *g = cl->cfg;
    json_t *puts = json_array(), *txn, *ans = NULL, *op;
    unsigned i;
    for (i = 0; i < g->accounts; i++) {
        op = op_json("put", g, i);
        json_object_set_new(op, "value", val_json(g->initial));
        json_array_append_new(puts, op);
    }
    txn = json_pack("{s:[{s:o,s:b}],s:o}", "compare", "key", key_json(g, 0), "exists", 0,
                    "success", puts);
    (void)post_txn(cl, txn, 5.0, &ans);
    json_decref(txn);
    json_decref(ans);
}

/* Move a random amount from one account to another, comparing both
 * accounts' mod_index with the read `a`. */
static void transfer(struct client *cl, const struct acct *a)
{
    const struct cfg *g = cl->cfg;
    unsigned from = (unsigned)rand_r(&cl->seed) % g->accounts, to;
    long amount;
    json_t *txn, *ans = NULL, *pf, *pt;
    int rc;
    to = (from + 1 + (unsigned)rand_r(&cl->seed) % (g->accounts - 1)) % g->accounts;
    amount = a->bal[from] > 0 ? 1 + rand_r(&cl->seed) % (a->bal[from] < 50 ? a->bal[from] : 50) : 0;
    if (amount == 0)
        return;
    pf = op_json("put", g, from);
    json_object_set_new(pf, "value", val_json(a->bal[from] - amount));
    pt = op_json("put", g, to);
    json_object_set_new(pt, "value", val_json(a->bal[to] + amount));
    if (g->no_compare)
        txn = json_pack("{s:[o,o]}", "success", pf, pt);
    else
        txn = json_pack("{s:[{s:o,s:I},{s:o,s:I}],s:[o,o]}", "compare", "key",
                        key_json(g, from), "mod_index", (json_int_t)a->mod[from], "key",
                        key_json(g, to), "mod_index", (json_int_t)a->mod[to], "success", pf, pt);
    rc = post_txn(cl, txn, 3.0, &ans);
    json_decref(txn);
    pthread_mutex_lock(&cl->st->mu);
    if (rc == T_OK && json_is_true(json_object_get(ans, "succeeded")))
        cl->st->ok++;
    else if (rc == T_OK)
        cl->st->conflicts++;
    else if (rc == T_UNKNOWN)
        cl->st->unknown++;
    else
        cl->st->refused++;
    pthread_mutex_unlock(&cl->st->mu);
    json_decref(ans);
}

static int stop_now(const struct cfg *g, double end)
{
    struct stat sb;
    return now_s() >= end || (g->stop_file && stat(g->stop_file, &sb) == 0);
}

/* Read and check; create the accounts when none exists. */
static void read_check(struct client *cl, struct acct *a, int *have)
{
    long sum = 0;
    int v;
    *have = 0;
    if (read_all(cl, a, 3.0) != T_OK)
        return;
    v = check(cl, a, &sum);
    pthread_mutex_lock(&cl->st->mu);
    cl->st->reads++;
    cl->st->violations += (unsigned long)v;
    cl->st->last_sum = sum;
    pthread_mutex_unlock(&cl->st->mu);
    if (!v && a->found[0] == 0)
        create(cl);
    *have = !v && a->found[0] > 0;
}

static void *client_main(void *arg)
{
    struct client *cl = arg;
    const struct cfg *g = cl->cfg;
    double end = now_s() + g->duration_s;
    struct acct a;
    int have;
    while (!stop_now(g, end)) {
        read_check(cl, &a, &have);
        if (have)
            transfer(cl, &a);
        else
            sleep_ms(50);
    }
    return NULL;
}

static int usage(void)
{
    fputs("usage: skv_bank --endpoints URL[,URL...] [--accounts N] [--initial I] [--clients C]\n"
          "  [--duration S] [--stop-file F] [--prefix P] [--timeout-ms T] [--final]\n"
          "  [--no-compare]\n",
          stderr);
    return 2;
}

static int split(struct cfg *g, char *s)
{
    char *save = NULL, *t;
    for (t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (g->n_ep == MAX_EP)
            return -1;
        g->ep[g->n_ep++] = t;
    }
    return g->n_ep ? 0 : -1;
}

static int parse(struct cfg *g, int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--final") == 0 || strcmp(a, "--no-compare") == 0) {
            *(a[2] == 'f' ? &g->final : &g->no_compare) = 1;
            continue;
        }
        if (!v)
            return -1;
        i++;
        if (strcmp(a, "--endpoints") == 0 && split(g, argv[i]) == 0)
            continue;
        if (strcmp(a, "--accounts") == 0)
            g->accounts = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--initial") == 0)
            g->initial = strtol(v, NULL, 10);
        else if (strcmp(a, "--clients") == 0)
            g->clients = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--duration") == 0)
            g->duration_s = strtod(v, NULL);
        else if (strcmp(a, "--stop-file") == 0)
            g->stop_file = v;
        else if (strcmp(a, "--prefix") == 0)
            g->prefix = v;
        else if (strcmp(a, "--timeout-ms") == 0)
            g->timeout_ms = (unsigned)strtoul(v, NULL, 10);
        else
            return -1;
    }
    return g->n_ep && g->accounts >= 2 && g->accounts <= MAX_ACCOUNTS && g->initial > 0 &&
                   g->clients >= 1 && g->clients <= 64 && g->timeout_ms > 0
               ? 0
               : -1;
}

/* --final: one read, retried for 30 s, checked; every account must exist. */
static int final_read(struct client *cl)
{
    struct acct a;
    long sum = 0;
    unsigned i;
    int v;
    if (read_all(cl, &a, 30.0) != T_OK)
        return 2;
    v = check(cl, &a, &sum);
    for (i = 0; i < cl->cfg->accounts; i++)
        v |= a.found[i] <= 0;
    printf("BANK final sum=%ld %s\n", sum, v ? "VIOLATION" : "ok");
    return v ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct cfg g = {{NULL}, 0, 5, 3, 4000, 1000, 10, NULL, "bank", 0, 0};
    struct stats st;
    struct client cl[64];
    unsigned i;
    int rc;
    if (parse(&g, argc, argv) != 0)
        return usage();
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return 2;
    memset(&st, 0, sizeof st);
    pthread_mutex_init(&st.mu, NULL);
    for (i = 0; i < (g.final ? 1 : g.clients); i++) {
        cl[i].cfg = &g;
        cl[i].st = &st;
        cl[i].id = i;
        cl[i].rr = i;
        cl[i].seed = (unsigned)time(NULL) ^ (i * 7919u);
        if (!(cl[i].c = curl_easy_init()))
            return 2;
    }
    if (g.final) {
        rc = final_read(&cl[0]);
        curl_easy_cleanup(cl[0].c);
        return rc;
    }
    for (i = 0; i < g.clients; i++)
        pthread_create(&cl[i].thr, NULL, client_main, &cl[i]);
    for (i = 0; i < g.clients; i++) {
        pthread_join(cl[i].thr, NULL);
        curl_easy_cleanup(cl[i].c);
    }
    printf("BANK reads=%lu violations=%lu transfers_ok=%lu conflicts=%lu unknown=%lu "
           "refused=%lu sum=%ld\n", st.reads, st.violations, st.ok, st.conflicts, st.unknown,
           st.refused, st.last_sum);
    curl_global_cleanup();
    return st.violations ? 1 : st.reads ? 0 : 2;
}
