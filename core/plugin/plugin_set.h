/* SPDX-License-Identifier: MIT */
/*
 * plugin_set.h — loads the four plugin slots of a config (transport,
 * storage, cipher, admin) in a fixed order and unloads them in reverse.
 */
#ifndef SKV_PLUGIN_SET_H
#define SKV_PLUGIN_SET_H

#include "config/config.h"
#include "plugin/loader.h"

struct skv_plugin_set {
    struct skv_plugin_inst *transport, *storage, *cipher, *admin;
};

/* Load every slot; on failure unloads what was loaded and returns the
 * skv_rc with one message in err. `hooks` may be NULL (offline tools):
 * the plugins then see the config's node id and log level, no node. */
int skv_plugin_set_load(struct skv_plugin_set *s, struct skv_config *c,
                        const struct skv_host_hooks *hooks,
                        struct skv_err *err);
void skv_plugin_set_unload(struct skv_plugin_set *s);

#endif
