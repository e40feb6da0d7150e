/* SPDX-License-Identifier: MIT */
/*
 * http_stats.c — owns the per-route request latency histograms of
 * admin-http (http_stats.h): fixed buckets in seconds, a table of
 * (route, method) series sized by the route table, and their Prometheus
 * text (cumulative buckets, _sum, _count; only series that have seen a
 * request). Labels are route templates and method names, never keys.
 */
#include "http_stats.h"
#include "http_routes.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define N_BOUNDS (sizeof bounds / sizeof bounds[0])

static const char *const methods[] = {"GET", "PUT", "POST", "DELETE", "HEAD", "other"};
#define N_METHODS ((int)(sizeof methods / sizeof methods[0]))

struct series {
    uint64_t buckets[N_BOUNDS + 1];   /* per bucket, not cumulative; last: +Inf */
    double sum;
};

struct skv_http_stats {
    pthread_mutex_t mu;
    int routes;                       /* route templates + 1 ("other") */
    struct series *s;                 /* [routes][N_METHODS] */
};

struct skv_http_stats *skv_http_stats_new(void)
{
    struct skv_http_stats *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->routes = skv_http_route_count() + 1;
    st->s = calloc((size_t)st->routes * N_METHODS, sizeof *st->s);
    if (!st->s || pthread_mutex_init(&st->mu, NULL) != 0) {
        free(st->s);
        free(st);
        return NULL;
    }
    return st;
}

void skv_http_stats_free(struct skv_http_stats *st)
{
    if (!st)
        return;
    pthread_mutex_destroy(&st->mu);
    free(st->s);
    free(st);
}

int skv_http_stats_method(const char *method)
{
    int i;
    for (i = 0; method && i < N_METHODS - 1; i++)
        if (strcmp(method, methods[i]) == 0)
            return i;
    return N_METHODS - 1;
}

void skv_http_stats_observe(struct skv_http_stats *st, int rule, int method,
                            double seconds)
{
    struct series *se;
    size_t b = 0;
    if (!st)
        return;
    if (rule < 0 || rule >= st->routes - 1)
        rule = st->routes - 1;
    if (method < 0 || method >= N_METHODS)
        method = N_METHODS - 1;
    if (seconds < 0)
        seconds = 0;
    while (b < N_BOUNDS && seconds > bounds[b])
        b++;
    pthread_mutex_lock(&st->mu);
    se = &st->s[rule * N_METHODS + method];
    se->buckets[b]++;
    se->sum += seconds;
    pthread_mutex_unlock(&st->mu);
}

static void series_text(FILE *f, const char *route, const char *method,
                        const struct series *se)
{
    static const char name[] = "sealkv_http_request_duration_seconds";
    uint64_t cum = 0;
    size_t b;
    for (b = 0; b <= N_BOUNDS; b++) {
        cum += se->buckets[b];
        if (b < N_BOUNDS)
            fprintf(f, "%s_bucket{route=\"%s\",method=\"%s\",le=\"%g\"} %llu\n", name,
                    route, method, bounds[b], (unsigned long long)cum);
        else
            fprintf(f, "%s_bucket{route=\"%s\",method=\"%s\",le=\"+Inf\"} %llu\n", name,
                    route, method, (unsigned long long)cum);
    }
    fprintf(f, "%s_sum{route=\"%s\",method=\"%s\"} %.6f\n", name, route, method, se->sum);
    fprintf(f, "%s_count{route=\"%s\",method=\"%s\"} %llu\n", name, route, method,
            (unsigned long long)cum);
}

/* The text into a new memstream buffer; mu held. */
static int render(struct skv_http_stats *st, char **out, size_t *len)
{
    FILE *f = open_memstream(out, len);
    int r, m, bad;
    if (!f)
        return -1;
    fputs("# HELP sealkv_http_request_duration_seconds admin API requests from the "
          "request line to the end of the response, by route template and method\n"
          "# TYPE sealkv_http_request_duration_seconds histogram\n", f);
    for (r = 0; r < st->routes; r++)
        for (m = 0; m < N_METHODS; m++) {
            const struct series *se = &st->s[r * N_METHODS + m];
            const char *route = r < st->routes - 1 ? skv_http_route_name(r) : "other";
            size_t b, any = 0;
            for (b = 0; b <= N_BOUNDS; b++)
                any += se->buckets[b] != 0;
            if (any)
                series_text(f, route, methods[m], se);
        }
    bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        free(*out);
        return -1;
    }
    return 0;
}

int skv_http_stats_append(struct skv_http_stats *st, char **buf, size_t *len)
{
    char *text = NULL, *grown;
    size_t tlen = 0;
    int rc;
    if (!st)
        return 0;
    pthread_mutex_lock(&st->mu);
    rc = render(st, &text, &tlen);
    pthread_mutex_unlock(&st->mu);
    if (rc != 0)
        return -1;
    grown = realloc(*buf, *len + tlen + 1);
    if (!grown) {
        free(text);
        return -1;
    }
    memcpy(grown + *len, text, tlen);
    *len += tlen;
    grown[*len] = '\0';
    *buf = grown;
    free(text);
    return 0;
}
