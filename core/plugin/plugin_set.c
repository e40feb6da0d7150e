/* SPDX-License-Identifier: MIT */
/*
 * plugin_set.c — load/unload of the config's four plugin slots.
 */
#include "plugin/plugin_set.h"

#include <string.h>

static int load_slot(struct skv_plugin_inst **out, int kind,
                     struct skv_conf_plugin *slot, struct skv_config *c,
                     const struct skv_host_hooks *hooks, struct skv_err *err)
{
    return skv_plugin_load(kind, slot, c->file, c->plugin_path,
                           c->n_plugin_path, hooks, out, err);
}

int skv_plugin_set_load(struct skv_plugin_set *s, struct skv_config *c,
                        const struct skv_host_hooks *hooks,
                        struct skv_err *err)
{
    struct skv_host_hooks offline;
    int rc;
    memset(s, 0, sizeof *s);
    if (!hooks) { /* offline tools: no node, but its id (transport-tcp
                   * checks its certificate against it) and log level */
        memset(&offline, 0, sizeof offline);
        offline.node_id = c->node_id;
        offline.log_level = c->log_level;
        hooks = &offline;
    }
    rc = load_slot(&s->storage, SKV_KIND_STORAGE, &c->storage, c, hooks, err);
    if (rc == SKV_OK)
        rc = load_slot(&s->cipher, SKV_KIND_CIPHER, &c->cipher, c, hooks, err);
    if (rc == SKV_OK)
        rc = load_slot(&s->transport, SKV_KIND_TRANSPORT, &c->transport, c, hooks, err);
    if (rc == SKV_OK)
        rc = load_slot(&s->admin, SKV_KIND_ADMIN, &c->admin, c, hooks, err);
    if (rc != SKV_OK)
        skv_plugin_set_unload(s);
    return rc;
}

void skv_plugin_set_unload(struct skv_plugin_set *s)
{
    skv_plugin_unload(s->admin);
    skv_plugin_unload(s->transport);
    skv_plugin_unload(s->cipher);
    skv_plugin_unload(s->storage);
    memset(s, 0, sizeof *s);
}
