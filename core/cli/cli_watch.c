/* SPDX-License-Identifier: MIT */
/*
 * cli_watch.c — `sealkv watch [PREFIX] [--from-index N]`: follows
 * GET /v1/watch and prints each change as it comes (INDEX put|delete KEY
 * [VALUE], bytes as they are; --json: the server's JSON lines,
 * progress lines included). When the stream breaks it reconnects — the
 * next endpoint first, then round after round within the --retry budget
 * — resuming after the last index it printed whole, and skips what the
 * server sends again, so no change is printed twice or left out. A node
 * that no longer keeps the changes it needs (410 ErrCompacted: it
 * restarted or installed a snapshot since) sends it to the next endpoint;
 * when none keeps them, or another error comes, it ends with the error's
 * exit status.
 */
#include "cli/cli_cmds.h"
#include "cli/cli_http.h"
#include "cli/cli_json.h"
#include "util/errors.h"

#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A value is at most the admin plugin's body limit (16 MiB by default),
 * about 22 MiB in base64: room to spare. */
#define SKV_CLI_WATCH_MAX_LINE (128u << 20)

struct watch_state {
    const struct skv_cli *c;
    char *line;                /* one JSON line, grown as needed */
    size_t len, cap;
    int have_from;
    uint64_t from;             /* every change up to it was printed */
    uint64_t cur;              /* index of the last event printed */
    unsigned cur_n;            /* events of `cur` printed */
    unsigned conn_n;           /* events of `cur` seen on this connection */
    int failed;                /* an error line came: its exit status */
    int reconnect;             /* the node ended the stream: go elsewhere */
    int compacted;             /* the node no longer keeps what comes next */
    char why[512];             /* its message */
    int got_line;              /* this connection delivered a line */
};

static int print_b64(const char *s)
{
    size_t n = s ? strlen(s) : 0, bl = 0;
    unsigned char *b = malloc(n + 1);
    int rc = -1;
    if (b && s && sodium_base642bin(b, n + 1, s, n, NULL, &bl, NULL,
                                    sodium_base64_VARIANT_ORIGINAL) == 0)
        rc = fwrite(b, 1, bl, stdout) == bl ? 0 : -1;
    free(b);
    return rc;
}

/* An event line: print it unless this connection repeats one already
 * printed (events come in index order). */
static int take_event(struct watch_state *w, json_t *j, uint64_t idx)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    if (idx < w->cur || (idx == w->cur && ++w->conn_n <= w->cur_n))
        return 0;
    if (idx > w->cur) {
        if (w->cur)
            w->from = w->cur, w->have_from = 1; /* the earlier index is whole */
        w->cur = idx;
        w->cur_n = 0;
        w->conn_n = 1;
    }
    w->cur_n++;
    if (w->c->json)
        return 1;
    printf("%llu %s ", (unsigned long long)idx, type ? type : "?");
    if (print_b64(json_string_value(json_object_get(j, "key"))) != 0)
        return -1;
    if (json_object_get(j, "value") &&
        (fputc(' ', stdout) == EOF || print_b64(json_string_value(json_object_get(j, "value")))))
        return -1;
    return fputc('\n', stdout) == EOF ? -1 : 0;
}

/* One complete line. 0, or -1 to stop the transfer. */
static int take_line(struct watch_state *w)
{
    json_t *j = json_loadb(w->line, w->len, 0, NULL), *v;
    int rc = 0, show;
    if (!j) {
        fprintf(stderr, "sealkv: watch: a line that is not JSON\n");
        w->failed = SKV_CLI_EXIT_ERR;
        return -1;
    }
    if ((v = json_object_get(j, "error"))) {
        const char *e = json_string_value(v);
        enum skv_error_id id;
        /* the node stops, halted or is busy: another one can go on */
        w->reconnect = e && skv_error_from_name(e, &id) == 0 &&
                       (id == SKV_ErrUnavailable || id == SKV_ErrShuttingDown || id == SKV_ErrHalted);
        w->compacted = e && skv_error_from_name(e, &id) == 0 && id == SKV_ErrCompacted;
        if (w->compacted) { /* another endpoint may still keep it (follow) */
            snprintf(w->why, sizeof w->why, "%s",
                     json_string_value(json_object_get(j, "message")) ?: "");
        } else if (!w->reconnect) {
            fprintf(stderr, "sealkv: watch ended: %s: %s\n", e ? e : "?",
                    json_string_value(json_object_get(j, "message")));
            w->failed = SKV_CLI_EXIT_ERR;
        }
        show = w->c->json && !w->reconnect && !w->compacted;
        rc = -1;
    } else if (json_is_integer(v = json_object_get(j, "progress_index"))) {
        w->from = (uint64_t)json_integer_value(v);
        w->have_from = 1;
        if (w->from >= w->cur)
            w->cur = w->from, w->cur_n = w->conn_n = 0;
        show = w->c->json;
    } else if (json_is_integer(v = json_object_get(j, "index"))) {
        show = take_event(w, j, (uint64_t)json_integer_value(v));
        rc = show < 0 ? -1 : 0;
    } else {
        show = 0;
    }
    if (show > 0 && (fwrite(w->line, 1, w->len, stdout) != w->len || fputc('\n', stdout) == EOF))
        rc = -1;
    json_decref(j);
    fflush(stdout);
    return rc;
}

/* Room for one more byte of the current line; -1 past the bound (the
 * watch ends: reconnecting would only meet the same line again). */
static int line_room(struct watch_state *w)
{
    char *l;
    size_t cap;
    if (w->len < w->cap)
        return 0;
    cap = w->cap ? w->cap * 2 : 64 * 1024;
    if (cap > SKV_CLI_WATCH_MAX_LINE || !(l = realloc(w->line, cap))) {
        fprintf(stderr, "sealkv: watch: an event line over %u bytes, or out of memory\n",
                SKV_CLI_WATCH_MAX_LINE);
        w->failed = SKV_CLI_EXIT_ERR;
        return -1;
    }
    w->line = l;
    w->cap = cap;
    return 0;
}

static int on_data(void *arg, const char *p, size_t n)
{
    struct watch_state *w = arg;
    size_t i;
    for (i = 0; i < n; i++) {
        if (p[i] != '\n') {
            if (line_room(w) != 0)
                return -1;
            w->line[w->len++] = p[i];
            continue;
        }
        w->got_line = 1;
        if (w->len && take_line(w) != 0)
            return -1;
        w->len = 0;
    }
    return 0;
}

/* "/v1/watch?prefix=..[&from_index=N]" (no from_index: from now on). */
static char *watch_path(const char *prefix, const struct watch_state *w)
{
    char *p = skv_cli_pct_encode(prefix, strlen(prefix)), *out = NULL;
    char from[40] = "";
    size_t n;
    if (w->have_from)
        snprintf(from, sizeof from, "&from_index=%llu", (unsigned long long)w->from);
    if (p && (out = malloc((n = strlen(p) + strlen(from) + 32))))
        snprintf(out, n, "/v1/watch?prefix=%s%s", p, from);
    free(p);
    return out;
}

/* One connection to endpoint ep; its response in *r. */
static int connect_once(struct watch_state *w, const char *prefix, const char *ep,
                        struct skv_cli_resp *r)
{
    struct skv_cli_http h = w->c->http;
    struct skv_cli_req rq = {.method = "GET", .on_data = on_data, .on_data_arg = w};
    char *path = watch_path(prefix, w);
    int rc;
    if (!path) {
        fputs("sealkv: out of memory\n", stderr);
        memset(r, 0, sizeof *r);
        return SKV_CLI_EXIT_ERR;
    }
    h.endpoint = ep;
    h.endpoints = NULL;
    h.retry_ms = 0;
    rq.path = path;
    w->len = 0;
    w->conn_n = 0;
    w->reconnect = 0;
    w->compacted = 0;
    w->got_line = 0;
    rc = skv_cli_http_do(&h, &rq, r);
    free(path);
    return rc == 0 ? SKV_CLI_EXIT_OK : SKV_CLI_EXIT_ERR;
}

/* Follow the stream until an error ends it; its exit status. */
static int follow(struct watch_state *w, const char *prefix)
{
    const struct skv_cli *c = w->c;
    size_t n = c->n_eps ? c->n_eps : 1, i = 0, n_compacted = 0;
    time_t deadline = 0;
    for (;;) {
        struct skv_cli_resp r;
        const char *ep = c->n_eps ? c->eps[i] : c->http.endpoint;
        if (connect_once(w, prefix, ep, &r) != SKV_CLI_EXIT_OK) {
            skv_cli_resp_free(&r);
            return SKV_CLI_EXIT_ERR;
        }
        if (w->compacted || (!r.conn_failed && r.status == 410)) {
            /* this node no longer keeps the changes after w->from: one
             * that restarted or installed a snapshot since; try the
             * others before giving up */
            if (w->got_line) /* it served before: the first of a row */
                n_compacted = 0;
            if (++n_compacted < n) {
                fprintf(stderr, "sealkv: watch: %s no longer keeps the changes after index %llu; "
                        "trying the next endpoint\n", ep, (unsigned long long)w->from);
                skv_cli_resp_free(&r);
                i = (i + 1) % n;
                continue;
            }
            const char *why = w->compacted ? w->why : (r.message ? r.message : "");
            fprintf(stderr, "sealkv: watch ended: ErrCompacted: %s\n", why);
            if (c->json) {
                json_t *o = json_pack("{s:s,s:s,s:i}", "error", skv_error_name(SKV_ErrCompacted),
                                      "message", why, "exit", SKV_CLI_EXIT_ERR);
                if (o)
                    (void)json_dumpf(o, stdout, JSON_COMPACT), (void)fputc('\n', stdout);
                json_decref(o);
            }
            skv_cli_resp_free(&r);
            return SKV_CLI_EXIT_ERR;
        }
        if (w->got_line)
            n_compacted = 0;
        if (w->failed || (!w->reconnect && !r.conn_failed && (r.status < 200 || r.status >= 300))) {
            int rc = w->failed ? w->failed : skv_cli_exit_for(&r, 0);
            if (!w->failed) {
                fprintf(stderr, "sealkv: watch: %s%s%s (HTTP %ld)\n", r.error ? r.error : "refused",
                        r.message ? ": " : "", r.message ? r.message : "", r.status);
                if (c->json)
                    (void)skv_cli_json_error(stdout, &r, rc);
            }
            skv_cli_resp_free(&r);
            return rc;
        }
        /* the stream broke (or the server closed it): reconnect; the
         * budget starts again after a connection that worked */
        if (!deadline || w->got_line)
            deadline = time(NULL) + (time_t)(c->retry_s > 0 ? c->retry_s : 0) + 1;
        fprintf(stderr, "sealkv: watch: connection to %s lost (%s); resuming after index %llu\n",
                ep, r.conn_failed ? r.conn_msg : "closed", (unsigned long long)w->from);
        skv_cli_resp_free(&r);
        i = (i + 1) % n;
        if (time(NULL) >= deadline)
            return SKV_CLI_EXIT_UNREACHABLE;
        if (i == 0) {
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
}

int skv_cli_cmd_watch(const struct skv_cli *c, char **args, int nargs)
{
    struct watch_state *w = calloc(1, sizeof *w);
    int rc;
    if (!w) {
        fputs("sealkv: out of memory\n", stderr);
        return SKV_CLI_EXIT_ERR;
    }
    w->c = c;
    w->have_from = c->has_from;
    w->from = c->from_index;
    w->cur = c->has_from ? c->from_index : 0;
    rc = follow(w, nargs > 0 ? args[0] : "");
    free(w->line);
    free(w);
    return rc;
}
