/* SPDX-License-Identifier: MIT */
/*
 * host_api.h — the per-plugin host-API table (struct skv_host): logging,
 * option accessors over the plugin's YAML `options:` mapping, clocks, and
 * the node hooks (deliver, admin_call, node_id).
 */
#ifndef SKV_HOST_API_H
#define SKV_HOST_API_H

#include <sealkv/plugin.h>
#include "config/config.h"
#include "plugin/loader.h"

struct skv_host_ctx {
    int kind;
    char label[96];                /* "storage-leveldb" for log lines */
    struct skv_conf_plugin *conf;  /* may be NULL: no options */
    const char *conf_file;         /* for file:line:col, may be NULL */
    struct skv_host_hooks hooks;
};

void skv_host_ctx_init(struct skv_host_ctx *c, struct skv_host *h, int kind,
                       const char *name, struct skv_conf_plugin *conf,
                       const char *conf_file,
                       const struct skv_host_hooks *hooks);

/* After init(): refuse options the plugin never read. */
int skv_host_check_unused(const struct skv_host_ctx *c, struct skv_err *err);

#endif
