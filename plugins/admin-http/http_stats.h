/* SPDX-License-Identifier: MIT */
/*
 * http_stats.h — admin-http's request latency histograms, one per route
 * template (http_routes.h) and method, rendered as the Prometheus family
 * sealkv_http_request_duration_seconds and appended to the core's
 * /metrics text. Observed from any serving thread (one mutex).
 */
#ifndef SKV_HTTP_STATS_H
#define SKV_HTTP_STATS_H

#include <stddef.h>

struct skv_http_stats;

/* NULL when out of memory. */
struct skv_http_stats *skv_http_stats_new(void);
void skv_http_stats_free(struct skv_http_stats *s);

/* The label index of a method ("GET", ... or "other"). */
int skv_http_stats_method(const char *method);

/* One request on route `rule` (-1: no route matched) and method index
 * `method` that took `seconds` from its request line to its end. */
void skv_http_stats_observe(struct skv_http_stats *s, int rule, int method,
                            double seconds);

/* Append the exposition (HELP, TYPE, the series observed so far) to the
 * malloc'd buffer *buf of *len bytes (realloc'd; NULL allowed). 0, or -1
 * when out of memory (*buf untouched). */
int skv_http_stats_append(struct skv_http_stats *s, char **buf, size_t *len);

#endif /* SKV_HTTP_STATS_H */
