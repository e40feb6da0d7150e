/* SPDX-License-Identifier: MIT */
/*
 * host_api.c — implementation of the host-API table handed to plugins:
 * option accessors with file:line:col errors, logging with the plugin's
 * label, and pass-through node hooks (the table's header fields and the
 * monotonic/wall clocks come from abi/host/host_table.h, shared with
 * sealkv-plugin-check).
 */
#include "plugin/host_api.h"
#include "util/log.h"
#include <host/host_table.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void h_log(void *ctx, int level, const char *fmt, ...)
{
    struct skv_host_ctx *c = ctx;
    va_list ap;
    va_start(ap, fmt);
    skv_logv(level, c->hooks.log_level, c->label, fmt, ap);
    va_end(ap);
}

static struct skv_conf_option *find_opt(struct skv_host_ctx *c,
                                        const char *key)
{
    size_t i;
    if (!c->conf)
        return NULL;
    for (i = 0; i < c->conf->n_options; i++)
        if (strcmp(c->conf->options[i].key, key) == 0) {
            c->conf->options[i].used = 1;
            return &c->conf->options[i];
        }
    return NULL;
}

static int opt_err(struct skv_host_ctx *c, const struct skv_conf_option *o,
                   struct skv_err *err, const char *what)
{
    return skv_err_set(err, SKV_ERR_CONFIG,
                       "%s:%u:%u: option '%s' of %s plugin: %s, found '%s'",
                       c->conf_file ? c->conf_file : "<config>", o->pos.line,
                       o->pos.col, o->key, c->label, what, o->value);
}

static int h_opt_string(void *ctx, const char *key, const char *def,
                        const char **out, struct skv_err *err)
{
    struct skv_conf_option *o = find_opt(ctx, key);
    (void)err;
    *out = o ? o->value : def;
    return SKV_OK;
}

static int h_opt_int(void *ctx, const char *key, int64_t def, int64_t min,
                     int64_t max, int64_t *out, struct skv_err *err)
{
    struct skv_host_ctx *c = ctx;
    struct skv_conf_option *o = find_opt(c, key);
    char *end = NULL, what[128];
    long long v;
    if (!o) {
        *out = def;
        return SKV_OK;
    }
    errno = 0;
    v = strtoll(o->value, &end, 10);
    if (o->quoted || !*o->value || *end || errno == ERANGE)
        return opt_err(c, o, err, "expected an integer");
    if (v < min || v > max) {
        snprintf(what, sizeof what, "expected an integer in %" PRId64 "..%" PRId64,
                 min, max);
        return opt_err(c, o, err, what);
    }
    *out = v;
    return SKV_OK;
}

static int h_opt_bool(void *ctx, const char *key, int def, int *out,
                      struct skv_err *err)
{
    struct skv_host_ctx *c = ctx;
    struct skv_conf_option *o = find_opt(c, key);
    if (!o) {
        *out = def;
        return SKV_OK;
    }
    if (!o->quoted && (!strcasecmp(o->value, "true") || !strcasecmp(o->value, "yes")))
        *out = 1;
    else if (!o->quoted && (!strcasecmp(o->value, "false") || !strcasecmp(o->value, "no")))
        *out = 0;
    else
        return opt_err(c, o, err, "expected true or false");
    return SKV_OK;
}

static void h_deliver(void *ctx, uint64_t from, const void *data, size_t len)
{
    struct skv_host_ctx *c = ctx;
    if (c->hooks.deliver)
        c->hooks.deliver(c->hooks.node, from, data, len);
}

static int h_admin_call(void *ctx, const struct skv_admin_req *req,
                        skv_admin_done_fn done, void *arg)
{
    struct skv_host_ctx *c = ctx;
    if (!c->hooks.admin_call)
        return SKV_ERR_UNSUPPORTED;
    return c->hooks.admin_call(c->hooks.node, req, done, arg);
}

static uint64_t h_node_id(void *ctx)
{
    return ((struct skv_host_ctx *)ctx)->hooks.node_id;
}

void skv_host_ctx_init(struct skv_host_ctx *c, struct skv_host *h, int kind,
                       const char *name, struct skv_conf_plugin *conf,
                       const char *conf_file,
                       const struct skv_host_hooks *hooks)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    snprintf(c->label, sizeof c->label, "%s-%s", skv_kind_name(kind), name);
    c->conf = conf;
    c->conf_file = conf_file;
    if (hooks)
        c->hooks = *hooks;
    else
        c->hooks.log_level = SKV_LOG_INFO;
    if (conf) {
        size_t i;
        for (i = 0; i < conf->n_options; i++)
            conf->options[i].used = 0;
    }
    skv_host_table_init(h, c, h_log, h_opt_string, h_opt_int, h_opt_bool, h_deliver,
                        h_admin_call, h_node_id);
}

int skv_host_check_unused(const struct skv_host_ctx *c, struct skv_err *err)
{
    size_t i;
    if (!c->conf)
        return SKV_OK;
    for (i = 0; i < c->conf->n_options; i++) {
        const struct skv_conf_option *o = &c->conf->options[i];
        if (!o->used)
            return skv_err_set(err, SKV_ERR_CONFIG,
                               "%s:%u:%u: unknown option '%s' for %s plugin",
                               c->conf_file ? c->conf_file : "<config>",
                               o->pos.line, o->pos.col, o->key, c->label);
    }
    return SKV_OK;
}
