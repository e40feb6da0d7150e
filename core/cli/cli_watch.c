/* SPDX-License-Identifier: MIT */
/*
 * cli_watch.c — `sealkv watch [PREFIX] [--from-index N]`: follows the
 * changes with skv_client_watch and prints each as it comes (INDEX
 * put|delete KEY [VALUE], bytes as they are; --json: the server's JSON
 * lines, progress lines included), and the library's reconnect notices
 * on stderr. The library reconnects (the next endpoint first, then round
 * after round within the --retry budget), resumes after the last index
 * delivered whole and skips what the server sends again, so no change is
 * printed twice or left out; it sends a 410 (ErrCompacted) to the next
 * endpoint and ends when none keeps the changes, or on another error,
 * with that error's exit status.
 */
#include "cli/cli_cmds.h"
#include "cli/cli_json.h"
#include "util/errors.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The line as received, and a newline. 0 or -1. */
static int put_line(const char *line, size_t len)
{
    return fwrite(line, 1, len, stdout) == len && fputc('\n', stdout) != EOF ? 0 : -1;
}

/* 0 to go on, -1 to stop (stdout failed: the flush reports it). */
static int on_event(void *arg, const struct skv_client_event *ev)
{
    const struct skv_cli *c = arg;
    int rc = 0;
    if (ev->kind == SKV_CLIENT_EV_RECONNECT) {
        fprintf(stderr, "sealkv: watch: %s\n", ev->notice);
        return 0;
    }
    if (c->json) {
        rc = put_line(ev->line, ev->line_len);
    } else if (ev->kind != SKV_CLIENT_EV_PROGRESS) {
        printf("%llu %s ", (unsigned long long)ev->index,
               ev->kind == SKV_CLIENT_EV_PUT ? "put" : "delete");
        (void)fwrite(ev->key, 1, ev->key_len, stdout);
        if (ev->kind == SKV_CLIENT_EV_PUT) {
            (void)fputc(' ', stdout);
            (void)fwrite(ev->value, 1, ev->value_len, stdout);
        }
        rc = fputc('\n', stdout) == EOF ? -1 : 0;
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        rc = -1;
    return rc;
}

/* How the watch ended, on stderr (and stdout with --json); exit status. */
static int report_end(const struct skv_cli *c, const struct skv_client_error *e)
{
    int rc = skv_cli_exit_of(e->code);
    int in_stream = e->http_status >= 200 && e->http_status < 300;
    enum skv_error_id id;
    if (e->code == SKV_CLIENT_UNREACHABLE && !e->no_answer && e->http_status == 0)
        return rc; /* the budget ran out: every reconnect was reported */
    if (skv_error_from_name(e->name, &id) == 0 && id == SKV_ErrCompacted) {
        fprintf(stderr, "sealkv: watch ended: ErrCompacted: %s\n", e->message ? e->message : "");
        if (c->json) {
            json_t *o = json_pack("{s:s,s:s,s:i}", "error", e->name, "message",
                                  e->message ? e->message : "", "exit", SKV_CLI_EXIT_ERR);
            if (o)
                (void)json_dumpf(o, stdout, JSON_COMPACT), (void)fputc('\n', stdout);
            json_decref(o);
        }
        return SKV_CLI_EXIT_ERR;
    }
    if (in_stream && e->name) { /* the stream's last line said why */
        fprintf(stderr, "sealkv: watch ended: %s: %s\n", e->name,
                e->message ? e->message : "(null)");
        if (c->json && e->body)
            (void)put_line(e->body, e->body_len);
        return SKV_CLI_EXIT_ERR;
    }
    if (in_stream || (!e->no_answer && e->http_status == 0)) { /* here: a bad line, memory */
        fprintf(stderr, "sealkv: watch: %s\n", e->detail);
        return rc;
    }
    fprintf(stderr, "sealkv: watch: %s%s%s (HTTP %ld)\n", e->name ? e->name : "refused",
            e->message ? ": " : "", e->message ? e->message : "", e->http_status);
    if (c->json)
        (void)skv_cli_json_error(stdout, e, rc);
    return rc;
}

int skv_cli_cmd_watch(const struct skv_cli *c, char **args, int nargs)
{
    const char *prefix = nargs > 0 ? args[0] : "";
    struct skv_client_watch_req rq = {.prefix = prefix, .prefix_len = strlen(prefix),
                                      .has_from = c->has_from, .from_index = c->from_index};
    struct skv_client_error e;
    int rc;
    memset(&e, 0, sizeof e);
    if (skv_client_watch(c->client, &rq, on_event, (void *)c, &e) == SKV_CLIENT_OK)
        rc = skv_cli_finish_output(); /* only a failed write stops it */
    else
        rc = report_end(c, &e);
    if (rc == SKV_CLI_EXIT_OK)
        rc = SKV_CLI_EXIT_ERR;
    (void)fflush(stdout);
    skv_client_error_clear(&e);
    return rc;
}
