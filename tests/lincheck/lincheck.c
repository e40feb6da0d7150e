/* SPDX-License-Identifier: MIT */
/*
 * lincheck.c — linearizability checker for key-value histories: each key
 * is a single register (initial value: absent) with put, get and
 * compare-and-swap.
 *
 * Input (a file or stdin), one event per line:
 *
 *     <client> <invoke|ok|fail|info> <put|get|cas> <key> <value|-> <time_ns>
 *
 * A cas's value is EXPECTED:NEW (EXPECTED `-`: the key is absent; no ':'
 * inside either value): it writes NEW if the register holds EXPECTED.
 * sealkv's CAS compares the key's mod index; lclient turns it into this
 * value compare by reading the value and its mod index first, and since
 * every write writes a value unique to the run, "mod index is M" and
 * "value is the one written at M" are the same condition. `ok`: it
 * swapped; `fail`: it did not write (a failed compare or a refusal), no
 * constraint (sound, not complete: a failed compare's observation is not
 * used); `info`: it may have swapped.
 *
 * A client has at most one operation outstanding; its next non-invoke
 * line completes it. `ok`: it happened (a get's value is what it read,
 * `-` = absent); `fail`: it certainly did not happen; `info`: unknown —
 * it may or may not have taken effect, at any time after its invocation
 * (so does an invocation never completed). Blank lines and `#` comments
 * are ignored.
 *
 * Per key, a Wing–Gong search with Lowe's/Porcupine's memoisation of
 * (set of linearized operations, register value): a linked list of call
 * and return events in time order; an operation may be linearized when
 * its call is reached and the model accepts it; reaching a return whose
 * operation is not linearized backtracks. An `info` operation has no
 * return event (it may linearize arbitrarily late). Failed operations
 * and gets without an `ok` are dropped (no constraint), and so is an
 * `info` put whose value no get returned (it may as well never have
 * happened: removing it keeps every linearization valid); an `info` put
 * that was read, and is the only put of its value, must have taken
 * effect before the first read of that value returned, which bounds it.
 * An operation precedes another only if it returned strictly before the
 * other was invoked (equal timestamps are concurrent). The search is
 * exponential in the number of mutually concurrent operations of one key
 * (about 20 take well under a second; keep clients per key modest).
 *
 * On failure the minimal offending sub-history is printed: the shortest
 * prefix of that key's history (every event up to some instant; an
 * operation still running at that instant counts as unknown) that is
 * not linearizable — prefixes of a linearizable history are
 * linearizable, so the instant is found by bisection.
 *
 * Also reported: lost acknowledged writes — acknowledged puts that
 * returned before a key's last successful read was invoked and were
 * invoked after the put whose value that read returned had returned
 * (or any acknowledged put before a read of "absent").
 *
 * Output ends with one machine-readable line:
 *     LINCHECK ops=N ok=N fail=N info=N acked_puts=N keys=N lost=N verdict=ok|fail|unknown
 * (acked_puts: puts and swapped cas)
 * Exit: 0 linearizable, 1 not linearizable (or lost writes), 2 bad
 * input, 3 search budget exhausted (--max-steps) without a verdict.
 *
 * Usage: lincheck [-q] [--max-steps N] [HISTORY]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INF UINT64_MAX
#define ABSENT (-1)

enum kind { PUT, GET, CAS };
enum status { ST_PENDING, ST_OK, ST_FAIL, ST_INFO };

struct op {
    char *client;
    int kind;
    int key;           /* index in keys[] */
    int val;           /* value id (put, cas: written; get: read), ABSENT */
    int exp;           /* cas: the expected value id, ABSENT */
    int status;
    uint64_t call, ret;
    unsigned line;     /* of the invoke */
};

static struct op *ops;
static size_t n_ops, cap_ops;
static char **keys;
static size_t n_keys, cap_keys;
static char **vals;
static size_t n_vals, cap_vals;
static int quiet;
static uint64_t max_steps = 200000000u;

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fprintf(stderr, "lincheck: out of memory\n");
        exit(2);
    }
    return q;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d) {
        fprintf(stderr, "lincheck: out of memory\n");
        exit(2);
    }
    return d;
}

/* small string interning (linear probing hash) */
struct intern {
    char ***names;
    size_t *n, *cap;
    int *table;
    size_t tcap;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603u;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211u;
    return h;
}

static int intern(struct intern *t, const char *s)
{
    size_t i;
    if (*t->n * 2 >= t->tcap) { /* grow and rehash */
        size_t nc = t->tcap ? t->tcap * 2 : 256, j;
        int *nt = xrealloc(NULL, nc * sizeof *nt);
        for (j = 0; j < nc; j++)
            nt[j] = -1;
        for (j = 0; j < *t->n; j++) {
            size_t k = hash_str((*t->names)[j]) & (nc - 1);
            while (nt[k] >= 0)
                k = (k + 1) & (nc - 1);
            nt[k] = (int)j;
        }
        free(t->table);
        t->table = nt;
        t->tcap = nc;
    }
    i = hash_str(s) & (t->tcap - 1);
    while (t->table[i] >= 0) {
        if (strcmp((*t->names)[t->table[i]], s) == 0)
            return t->table[i];
        i = (i + 1) & (t->tcap - 1);
    }
    if (*t->n == *t->cap) {
        *t->cap = *t->cap ? *t->cap * 2 : 64;
        *t->names = xrealloc(*t->names, *t->cap * sizeof **t->names);
    }
    (*t->names)[*t->n] = xstrdup(s);
    t->table[i] = (int)*t->n;
    return (int)(*t->n)++;
}

static struct intern key_tab = {&keys, &n_keys, &cap_keys, NULL, 0};
static struct intern val_tab = {&vals, &n_vals, &cap_vals, NULL, 0};

/* clients: name → index of the outstanding op or -1 */
static char **clients;
static size_t n_clients, cap_clients;
static struct intern cli_tab = {&clients, &n_clients, &cap_clients, NULL, 0};
static long *cli_open;
static size_t cap_open;

/* ---- parsing ----------------------------------------------------------- */

static int kind_of(const char *kd)
{
    return kd[0] == 'p' ? PUT : kd[0] == 'c' ? CAS : GET;
}

/* "EXPECTED:NEW" into o->exp, o->val. 0, or -1 when malformed. */
static int parse_cas(char *v, struct op *o)
{
    char *colon = strchr(v, ':');
    if (!colon || colon == v || !colon[1] || strchr(colon + 1, ':') ||
        strcmp(colon + 1, "-") == 0)
        return -1;
    *colon = '\0';
    o->exp = strcmp(v, "-") == 0 ? ABSENT : intern(&val_tab, v);
    o->val = intern(&val_tab, colon + 1);
    *colon = ':';
    return 0;
}

static int parse(FILE *f, const char *name)
{
    char line[4096];
    unsigned lineno = 0;
    while (fgets(line, sizeof line, f)) {
        char c[1024], ev[16], kd[16], k[1024], v[1024], extra[2];
        unsigned long long t;
        int ci, n;
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            fprintf(stderr, "%s:%u: line too long\n", name, lineno);
            return -1;
        }
        {
            char *p = line;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
                continue;
        }
        n = sscanf(line, "%1023s %15s %15s %1023s %1023s %llu %1s", c, ev, kd, k, v, &t, extra);
        if (n != 6) {
            fprintf(stderr, "%s:%u: expected <client> <invoke|ok|fail|info> <put|get> <key> "
                            "<value|-> <time_ns>\n", name, lineno);
            return -1;
        }
        if (strcmp(kd, "put") && strcmp(kd, "get") && strcmp(kd, "cas")) {
            fprintf(stderr, "%s:%u: op must be put, get or cas, got '%s'\n", name, lineno, kd);
            return -1;
        }
        ci = intern(&cli_tab, c);
        if ((size_t)ci >= cap_open) {
            size_t j, nc = cap_open ? cap_open * 2 : 64;
            while ((size_t)ci >= nc)
                nc *= 2;
            cli_open = xrealloc(cli_open, nc * sizeof *cli_open);
            for (j = cap_open; j < nc; j++)
                cli_open[j] = -1;
            cap_open = nc;
        }
        if (strcmp(ev, "invoke") == 0) {
            struct op *o;
            if (cli_open[ci] >= 0) {
                fprintf(stderr, "%s:%u: client %s invokes while its operation from line %u "
                                "is outstanding\n", name, lineno, c, ops[cli_open[ci]].line);
                return -1;
            }
            if (n_ops == cap_ops) {
                cap_ops = cap_ops ? cap_ops * 2 : 1024;
                ops = xrealloc(ops, cap_ops * sizeof *ops);
            }
            o = &ops[n_ops];
            memset(o, 0, sizeof *o);
            o->client = clients[ci];
            o->kind = kind_of(kd);
            o->key = intern(&key_tab, k);
            if (o->kind == PUT && strcmp(v, "-") == 0) {
                fprintf(stderr, "%s:%u: a put needs a value\n", name, lineno);
                return -1;
            }
            if (o->kind == CAS && parse_cas(v, o) != 0) {
                fprintf(stderr, "%s:%u: a cas needs EXPECTED:NEW (EXPECTED may be -)\n", name,
                        lineno);
                return -1;
            }
            if (o->kind != CAS)
                o->val = o->kind == PUT ? intern(&val_tab, v) : ABSENT;
            o->status = ST_PENDING;
            o->call = t;
            o->ret = INF;
            o->line = lineno;
            cli_open[ci] = (long)n_ops++;
        } else {
            struct op *o;
            int st = strcmp(ev, "ok") == 0     ? ST_OK
                     : strcmp(ev, "fail") == 0 ? ST_FAIL
                     : strcmp(ev, "info") == 0 ? ST_INFO
                                               : -1;
            if (st < 0) {
                fprintf(stderr, "%s:%u: event must be invoke, ok, fail or info\n", name, lineno);
                return -1;
            }
            if (cli_open[ci] < 0) {
                fprintf(stderr, "%s:%u: client %s completes an operation it never invoked\n",
                        name, lineno, c);
                return -1;
            }
            o = &ops[cli_open[ci]];
            if (o->kind != kind_of(kd) || o->key != intern(&key_tab, k)) {
                fprintf(stderr, "%s:%u: completion does not match the invocation on line %u\n",
                        name, lineno, o->line);
                return -1;
            }
            if (t < o->call) {
                fprintf(stderr, "%s:%u: completion before its invocation\n", name, lineno);
                return -1;
            }
            o->status = st;
            if (st == ST_OK) {
                o->ret = t;
                if (o->kind == GET)
                    o->val = strcmp(v, "-") == 0 ? ABSENT : intern(&val_tab, v);
            }
            cli_open[ci] = -1;
        }
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: read error: %s\n", name, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- the search (one key) ------------------------------------------------ */

struct hop {                   /* an operation of the history being checked */
    const struct op *src;
    int kind, val, exp;
    uint64_t call, ret;        /* ret INF: unknown outcome */
};

struct entry {
    struct entry *prev, *next;
    int id;                    /* index in hops */
    int is_call;
    struct entry *match;       /* call ↔ return; NULL for an unknown op's call */
    uint64_t time;
};

struct cache {
    size_t words, n, cap;
    uint64_t *slots;           /* cap × (words + 1): bits..., state+1 (0 = empty) */
};

static uint64_t hash_bits(const uint64_t *b, size_t words, int64_t state)
{
    uint64_t h = 0x9E3779B97F4A7C15u ^ (uint64_t)state;
    size_t i;
    for (i = 0; i < words; i++) {
        h ^= b[i] + 0x9E3779B97F4A7C15u + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdu;
    }
    return h ^ (h >> 33);
}

/* insert; 1 if it was new */
static int cache_add(struct cache *c, const uint64_t *bits, int state)
{
    size_t w = c->words + 1, i;
    uint64_t h;
    if ((c->n + 1) * 10 >= c->cap * 7) {
        struct cache nc = {c->words, 0, c->cap ? c->cap * 2 : 1024, NULL};
        size_t j;
        nc.slots = calloc(nc.cap, w * sizeof *nc.slots);
        if (!nc.slots) {
            fprintf(stderr, "lincheck: out of memory (memo table of %zu entries)\n", c->n);
            exit(2);
        }
        for (j = 0; j < c->cap; j++) {
            uint64_t *s = c->slots + j * w;
            if (s[c->words]) {
                size_t k = hash_bits(s, c->words, (int64_t)s[c->words] - 1) & (nc.cap - 1);
                while (nc.slots[k * w + c->words])
                    k = (k + 1) & (nc.cap - 1);
                memcpy(nc.slots + k * w, s, w * sizeof *s);
                nc.n++;
            }
        }
        free(c->slots);
        *c = nc;
    }
    h = hash_bits(bits, c->words, state);
    i = h & (c->cap - 1);
    for (;;) {
        uint64_t *s = c->slots + i * w;
        if (!s[c->words]) {
            memcpy(s, bits, c->words * sizeof *s);
            s[c->words] = (uint64_t)((int64_t)state + 2);
            c->n++;
            return 1;
        }
        if (s[c->words] == (uint64_t)((int64_t)state + 2) &&
            memcmp(s, bits, c->words * sizeof *s) == 0)
            return 0;
        i = (i + 1) & (c->cap - 1);
    }
}

static int cmp_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->is_call != y->is_call) /* equal time: calls first (concurrent) */
        return x->is_call ? -1 : 1;
    return x->id - y->id;
}

enum verdict { V_OK = 0, V_BAD = 1, V_UNKNOWN = 3 };

static uint64_t steps_total;

/* Is the history h[0..n) linearizable? */
static int check_hist(const struct hop *h, size_t n)
{
    struct entry *ents, head, *e;
    struct entry **byid_call;
    struct { struct entry *e; int state; } *stack;
    size_t ne = 0, i, sp = 0, words = (n + 63) / 64;
    uint64_t *bits, steps = 0;
    struct cache cache = {words, 0, 0, NULL};
    int state = ABSENT, result;

    if (n == 0)
        return V_OK;
    ents = xrealloc(NULL, 2 * n * sizeof *ents);
    for (i = 0; i < n; i++) {
        ents[ne++] = (struct entry){NULL, NULL, (int)i, 1, NULL, h[i].call};
        if (h[i].ret != INF)
            ents[ne++] = (struct entry){NULL, NULL, (int)i, 0, NULL, h[i].ret};
    }
    qsort(ents, ne, sizeof *ents, cmp_entry);
    byid_call = xrealloc(NULL, n * sizeof *byid_call);
    for (i = 0; i < ne; i++)
        if (ents[i].is_call)
            byid_call[ents[i].id] = &ents[i];
    for (i = 0; i < ne; i++)
        if (!ents[i].is_call) {
            ents[i].match = byid_call[ents[i].id];
            byid_call[ents[i].id]->match = &ents[i];
        }
    head.prev = NULL;
    head.next = &ents[0];
    for (i = 0; i < ne; i++) {
        ents[i].prev = i ? &ents[i - 1] : &head;
        ents[i].next = i + 1 < ne ? &ents[i + 1] : NULL;
    }
    bits = xrealloc(NULL, (words ? words : 1) * sizeof *bits);
    memset(bits, 0, (words ? words : 1) * sizeof *bits);
    stack = xrealloc(NULL, (n + 1) * sizeof *stack);

    e = head.next;
    result = V_OK;
    while (head.next) {
        if (++steps > max_steps) {
            result = V_UNKNOWN;
            break;
        }
        if (e && e->is_call) {
            const struct hop *o = &h[e->id];
            int ok, ns;
            if (o->kind == PUT) {
                ok = 1;
                ns = o->val;
            } else if (o->kind == CAS) {
                ok = state == o->exp;
                ns = o->val;
            } else {
                ok = state == o->val;
                ns = state;
            }
            if (ok) {
                bits[e->id / 64] |= UINT64_C(1) << (e->id % 64);
                if (cache_add(&cache, bits, ns)) {
                    stack[sp].e = e;
                    stack[sp].state = state;
                    sp++;
                    state = ns;
                    /* lift the call and its return out of the list */
                    e->prev->next = e->next;
                    if (e->next)
                        e->next->prev = e->prev;
                    if (e->match) {
                        e->match->prev->next = e->match->next;
                        if (e->match->next)
                            e->match->next->prev = e->match->prev;
                    }
                    e = head.next;
                    continue;
                }
                bits[e->id / 64] &= ~(UINT64_C(1) << (e->id % 64));
            }
            e = e->next;
            continue;
        }
        if (!e) /* only calls of unknown-outcome ops remain: they go last */
            break;
        /* a return whose op is not linearized: backtrack */
        if (sp == 0) {
            result = V_BAD;
            break;
        }
        sp--;
        e = stack[sp].e;
        state = stack[sp].state;
        bits[e->id / 64] &= ~(UINT64_C(1) << (e->id % 64));
        if (e->match) { /* unlift in reverse order */
            e->match->prev->next = e->match;
            if (e->match->next)
                e->match->next->prev = e->match;
        }
        e->prev->next = e;
        if (e->next)
            e->next->prev = e;
        e = e->next;
    }
    steps_total += steps;
    free(cache.slots);
    free(stack);
    free(bits);
    free(byid_call);
    free(ents);
    return result;
}

/* The key's history truncated at instant t (every event at or before t):
 * ops invoked after t are left out, ops still running at t are unknown;
 * failed ops, gets without an ok and info puts nobody read are dropped. */
static size_t build(const struct op *const *kops, size_t n, uint64_t t, struct hop *out)
{
    size_t i, m = 0;
    /* per value: earliest return of a read of it (INF: nobody read it),
     * and how many puts wrote it */
    uint64_t *first_read = malloc((n_vals + 1) * sizeof *first_read);
    unsigned *writers = calloc(n_vals + 1, sizeof *writers);
    if (!first_read || !writers) {
        fprintf(stderr, "lincheck: out of memory\n");
        exit(2);
    }
    for (i = 0; i <= n_vals; i++)
        first_read[i] = INF;
    for (i = 0; i < n; i++) {
        const struct op *o = kops[i];
        if (o->call <= t && o->kind == GET && o->status == ST_OK && o->ret <= t &&
            o->val != ABSENT && o->ret < first_read[o->val])
            first_read[o->val] = o->ret;
        /* a swapped cas read its expected value */
        if (o->call <= t && o->kind == CAS && o->status == ST_OK && o->ret <= t &&
            o->exp != ABSENT && o->ret < first_read[o->exp])
            first_read[o->exp] = o->ret;
        if (o->kind != GET && o->status != ST_FAIL)
            writers[o->val]++;
    }
    for (i = 0; i < n; i++) {
        const struct op *o = kops[i];
        uint64_t ret;
        if (o->call > t || o->status == ST_FAIL)
            continue;
        ret = o->status == ST_OK && o->ret <= t ? o->ret : INF;
        if (o->kind == GET && ret == INF)
            continue;
        if (o->kind != GET && ret == INF && first_read[o->val] == INF)
            continue;
        /* an unknown put (or cas) that was read took effect before the
         * first read of its value returned (when it is the only writer of
         * that value): bounding it there keeps the search narrow */
        if (o->kind != GET && ret == INF && writers[o->val] == 1)
            ret = first_read[o->val];
        out[m].src = o;
        out[m].kind = o->kind;
        out[m].val = o->val;
        out[m].exp = o->exp;
        out[m].call = o->call;
        out[m].ret = ret;
        m++;
    }
    free(first_read);
    free(writers);
    return m;
}

static int cmp_op_call(const void *a, const void *b)
{
    const struct op *x = *(const struct op *const *)a, *y = *(const struct op *const *)b;
    if (x->call != y->call)
        return x->call < y->call ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static const char *status_name(int s)
{
    return s == ST_OK ? "ok" : s == ST_FAIL ? "fail" : "info";
}

static const char *kind_name(int k)
{
    return k == PUT ? "put" : k == CAS ? "cas" : "get";
}

/* An op's value as a history line spells it (cas: EXPECTED:NEW). */
static const char *val_text(const struct op *o, char *buf, size_t len)
{
    if (o->kind != CAS)
        return o->val == ABSENT ? "-" : vals[o->val];
    snprintf(buf, len, "%s:%s", o->exp == ABSENT ? "-" : vals[o->exp], vals[o->val]);
    return buf;
}

static void print_window(int key, const struct op *const *kops, size_t n, uint64_t t,
                         uint64_t t0)
{
    size_t i;
    unsigned shown = 0;
    char vb[2100];
    for (i = 0; i < n; i++)
        shown += kops[i]->call <= t;
    printf("lincheck: key %s: minimal non-linearizable prefix: %u of its %zu operations "
           "(every event up to t=+%.3f ms; times relative to the key's first invocation):\n",
           keys[key], shown, n, (double)(t - t0) / 1e6);
    for (i = 0; i < n; i++) {
        const struct op *o = kops[i];
        const char *v = val_text(o, vb, sizeof vb);
        if (o->call > t)
            continue;
        if (o->status == ST_OK && o->ret <= t)
            printf("  %-10s %s %-24s [%10.3f .. %10.3f] ok\n", o->client,
                   kind_name(o->kind), v, (double)(o->call - t0) / 1e6,
                   (double)(o->ret - t0) / 1e6);
        else if (o->status == ST_FAIL)
            printf("  %-10s %s %-24s [%10.3f .. ] fail (ignored)\n", o->client,
                   kind_name(o->kind), v, (double)(o->call - t0) / 1e6);
        else
            printf("  %-10s %s %-24s [%10.3f .. ] %s\n", o->client,
                   kind_name(o->kind), o->kind != GET ? v : "?",
                   (double)(o->call - t0) / 1e6,
                   o->status == ST_OK ? "running at t (unknown)" : status_name(o->status));
    }
    printf("lincheck: the same window as history lines:\n");
    for (i = 0; i < n; i++) {
        const struct op *o = kops[i];
        const char *v = val_text(o, vb, sizeof vb);
        if (o->call > t)
            continue;
        printf("    %s invoke %s %s %s %" PRIu64 "\n", o->client,
               kind_name(o->kind), keys[key], o->kind != GET ? v : "-", o->call);
        if (o->status == ST_OK && o->ret <= t)
            printf("    %s ok %s %s %s %" PRIu64 "\n", o->client,
                   kind_name(o->kind), keys[key], v, o->ret);
        else if (o->status == ST_FAIL)
            printf("    %s fail %s %s %s %" PRIu64 "\n", o->client,
                   kind_name(o->kind), keys[key], o->kind != GET ? v : "-",
                   o->call);
    }
}

/* lost acknowledged writes of one key (see the header) */
static size_t lost_writes(const struct op *const *kops, size_t n)
{
    const struct op *last = NULL, *src = NULL;
    size_t i, lost = 0;
    for (i = 0; i < n; i++)
        if (kops[i]->kind == GET && kops[i]->status == ST_OK &&
            (!last || kops[i]->call > last->call))
            last = kops[i];
    if (!last)
        return 0;
    if (last->val != ABSENT)
        for (i = 0; i < n; i++)
            if (kops[i]->kind != GET && kops[i]->val == last->val)
                src = kops[i];
    if (last->val != ABSENT && !src)
        return 0; /* read a value nobody wrote: the search reports it */
    for (i = 0; i < n; i++) {
        const struct op *o = kops[i];
        if (o->kind == GET || o->status != ST_OK || o == src || o->ret >= last->call)
            continue;
        if (!src || (src->ret != INF && src->status == ST_OK && o->call > src->ret)) {
            if (!quiet)
                printf("lincheck: key %s: acknowledged put of %s (line %u) is lost: the last "
                       "read returned %s\n", keys[last->key], vals[o->val], o->line,
                       src ? vals[src->val] : "absent");
            lost++;
        }
    }
    return lost;
}

static int check_key(int key, size_t *lost)
{
    const struct op **kops;
    struct hop *h;
    size_t n = 0, i, m, ntimes = 0;
    uint64_t *times, t0;
    int v;
    for (i = 0; i < n_ops; i++)
        n += ops[i].key == key;
    kops = xrealloc(NULL, (n ? n : 1) * sizeof *kops);
    for (i = 0, n = 0; i < n_ops; i++)
        if (ops[i].key == key)
            kops[n++] = &ops[i];
    qsort(kops, n, sizeof *kops, cmp_op_call);
    h = xrealloc(NULL, (n ? n : 1) * sizeof *h);
    *lost = lost_writes(kops, n);
    m = build(kops, n, INF - 1, h);
    v = check_hist(h, m);
    if (v == V_BAD) {
        size_t lo = 0, hi;
        times = xrealloc(NULL, 2 * n * sizeof *times);
        for (i = 0; i < n; i++) {
            times[ntimes++] = kops[i]->call;
            if (kops[i]->status == ST_OK)
                times[ntimes++] = kops[i]->ret;
        }
        qsort(times, ntimes, sizeof *times, cmp_u64);
        /* smallest index whose truncation fails; the full one does */
        hi = ntimes - 1;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int r = check_hist(h, build(kops, n, times[mid], h));
            if (r == V_BAD)
                hi = mid;
            else
                lo = mid + 1;
        }
        t0 = kops[0]->call;
        printf("lincheck: key %s: NOT linearizable (%zu operations, %zu checked)\n",
               keys[key], n, m);
        print_window(key, kops, n, times[lo], t0);
        free(times);
    } else if (v == V_UNKNOWN) {
        printf("lincheck: key %s: no verdict within %" PRIu64 " search steps (%zu operations)\n",
               keys[key], max_steps, m);
    } else if (!quiet) {
        printf("lincheck: key %s: linearizable (%zu operations, %zu checked)\n", keys[key], n,
               m);
    }
    free(h);
    free(kops);
    return v;
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    FILE *f = stdin;
    size_t i, nok = 0, nfail = 0, ninfo = 0, nacked = 0, lost = 0;
    int a, worst = V_OK, bad_keys = 0;
    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "-q") == 0) {
            quiet = 1;
        } else if (strcmp(argv[a], "--max-steps") == 0 && a + 1 < argc) {
            char *end;
            max_steps = strtoull(argv[++a], &end, 10);
            if (*end || !max_steps) {
                fprintf(stderr, "lincheck: --max-steps needs a positive number\n");
                return 2;
            }
        } else if (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0) {
            printf("usage: lincheck [-q] [--max-steps N] [HISTORY]\n");
            return 0;
        } else if (!path && argv[a][0] != '-') {
            path = argv[a];
        } else {
            fprintf(stderr, "usage: lincheck [-q] [--max-steps N] [HISTORY]\n");
            return 2;
        }
    }
    if (path && !(f = fopen(path, "r"))) {
        fprintf(stderr, "lincheck: %s: %s\n", path, strerror(errno));
        return 2;
    }
    if (parse(f, path ? path : "<stdin>") != 0)
        return 2;
    if (f != stdin)
        fclose(f);
    for (i = 0; i < n_ops; i++) {
        if (ops[i].status == ST_PENDING)
            ops[i].status = ST_INFO; /* never completed: unknown */
        nok += ops[i].status == ST_OK;
        nfail += ops[i].status == ST_FAIL;
        ninfo += ops[i].status == ST_INFO;
        nacked += ops[i].status == ST_OK && ops[i].kind != GET;
    }
    for (i = 0; i < n_keys; i++) {
        size_t l;
        int v = check_key((int)i, &l);
        lost += l;
        if (v == V_BAD)
            bad_keys++;
        if (v == V_BAD || (v == V_UNKNOWN && worst == V_OK))
            worst = v;
    }
    if (lost && worst == V_OK)
        worst = V_BAD;
    printf("lincheck: %zu operations (%zu ok, %zu fail, %zu info) on %zu keys, %zu acknowledged "
           "puts, %zu lost; %s (%" PRIu64 " search steps)\n",
           n_ops, nok, nfail, ninfo, n_keys, nacked, lost,
           worst == V_OK ? "linearizable"
           : worst == V_BAD ? (bad_keys ? "NOT linearizable" : "acknowledged writes lost")
                            : "no verdict",
           steps_total);
    printf("LINCHECK ops=%zu ok=%zu fail=%zu info=%zu acked_puts=%zu keys=%zu lost=%zu "
           "verdict=%s\n",
           n_ops, nok, nfail, ninfo, nacked, n_keys, lost,
           worst == V_OK ? "ok" : worst == V_BAD ? "fail" : "unknown");
    return worst;
}
