/* SPDX-License-Identifier: MIT */
/*
 * check_host.c — the minimal host table sealkv-plugin-check hands to a
 * plugin's init(): log to stderr, option accessors over the --option
 * values (with the daemon's rules: wrong type or range is SKV_ERR_CONFIG,
 * a key never asked for is a failure), clocks, stub deliver, admin_call
 * (refused) and node_id (1).
 */
#include "check.h"
#include <host/host_table.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int chk_opt_add(struct chk *c, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv || c->n_opts >= CHK_MAX_OPTS)
        return -1;
    c->opts[c->n_opts].key = kv;   /* "key=value": compared up to '=' */
    c->opts[c->n_opts].val = eq + 1;
    c->opts[c->n_opts].asked = 0;
    c->n_opts++;
    return 0;
}

static struct chk_opt *opt_find(struct chk *c, const char *key)
{
    unsigned i;
    size_t n = strlen(key);
    for (i = 0; i < c->n_opts; i++)
        if (strncmp(c->opts[i].key, key, n) == 0 && c->opts[i].key[n] == '=') {
            c->opts[i].asked = 1;
            return &c->opts[i];
        }
    return NULL;
}

static void h_log(void *ctx, int level, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    va_list ap;
    (void)ctx;
    fprintf(stderr, "plugin %s: ", level >= 0 && level <= 3 ? names[level] : "?");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int not_in_init(struct chk *c, const char *key, struct skv_err *err)
{
    chk_fail(c, "option accessor called for '%s' outside init()", key);
    return skv_err_set(err, SKV_ERR_INTERNAL, "option accessor outside init()");
}

static int h_opt_string(void *ctx, const char *key, const char *def, const char **out,
                        struct skv_err *err)
{
    struct chk *c = ctx;
    struct chk_opt *o;
    if (!c->in_init)
        return not_in_init(c, key, err);
    o = opt_find(c, key);
    *out = o ? o->val : def;
    return SKV_OK;
}

static int h_opt_int(void *ctx, const char *key, int64_t def, int64_t min, int64_t max,
                     int64_t *out, struct skv_err *err)
{
    struct chk *c = ctx;
    struct chk_opt *o;
    char *end;
    long long v;
    if (!c->in_init)
        return not_in_init(c, key, err);
    if (!(o = opt_find(c, key)))
        return *out = def, SKV_OK;
    errno = 0;
    v = strtoll(o->val, &end, 10);
    if (errno || end == o->val || *end || v < min || v > max)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "--option %s: expected an integer in %" PRId64 "..%" PRId64, key,
                           min, max);
    *out = v;
    return SKV_OK;
}

static int h_opt_bool(void *ctx, const char *key, int def, int *out, struct skv_err *err)
{
    struct chk *c = ctx;
    struct chk_opt *o;
    if (!c->in_init)
        return not_in_init(c, key, err);
    if (!(o = opt_find(c, key)))
        return *out = def, SKV_OK;
    if (strcmp(o->val, "true") == 0)
        return *out = 1, SKV_OK;
    if (strcmp(o->val, "false") == 0)
        return *out = 0, SKV_OK;
    return skv_err_set(err, SKV_ERR_CONFIG, "--option %s: expected true or false", key);
}

static uint64_t h_node_id(void *ctx) { (void)ctx; return 1; }

static void h_deliver(void *ctx, uint64_t from_id, const void *data, size_t len)
{
    (void)ctx, (void)data;
    fprintf(stderr, "sealkv-plugin-check: frame of %zu bytes from node %" PRIu64 " dropped\n",
            len, from_id);
}

static int h_admin_call(void *ctx, const struct skv_admin_req *req, skv_admin_done_fn done,
                        void *done_arg)
{
    (void)ctx, (void)req, (void)done, (void)done_arg;
    return SKV_ERR_CLOSED; /* no core here: done is never called */
}

void chk_host_init(struct chk *c)
{
    skv_host_table_init(&c->host, c, h_log, h_opt_string, h_opt_int, h_opt_bool, h_deliver,
                        h_admin_call, h_node_id);
}

void chk_opts_unasked(struct chk *c)
{
    unsigned i;
    for (i = 0; i < c->n_opts; i++)
        if (!c->opts[i].asked)
            chk_fail(c, "--option %.*s: the plugin never read this option (the daemon "
                        "refuses unknown options)",
                     (int)(strchr(c->opts[i].key, '=') - c->opts[i].key), c->opts[i].key);
}
