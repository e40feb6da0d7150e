/*
 * loader.h — finds, dlopens, checks and initialises plugins; builds the
 * per-plugin host-API table. Each refusal is one message naming the file,
 * the expected and the found value.
 */
#ifndef SKV_LOADER_H
#define SKV_LOADER_H

#include <sealkv/plugin.h>
#include "config.h"

/* Callbacks the node hands to every plugin's host table (may be NULL
 * members: deliver then drops, admin_call returns SKV_ERR_UNSUPPORTED). */
struct skv_host_hooks {
    void *node;
    void (*deliver)(void *node, uint64_t from_id, const void *data,
                    size_t len);
    int (*admin_call)(void *node, const struct skv_admin_req *req,
                      skv_admin_done_fn done, void *done_arg);
    uint64_t node_id;
    int log_level;   /* minimum level passed through (enum skv_log_level) */
};

struct skv_plugin_inst;   /* opaque: one loaded + initialised plugin */

/* Search order for "<kind>-<name>.so": each dir of $SEALKV_PLUGIN_PATH
 * (colon list), then `extra_dirs` (config plugins.path), then the built-in
 * SKV_PLUGINDIR. `conf` supplies name and options (its `used` marks are
 * updated); `hooks` may be NULL. On failure returns the skv_rc and writes
 * one message into err. */
int skv_plugin_load(int kind, struct skv_conf_plugin *conf,
                    const char *conf_file,
                    char *const *extra_dirs, size_t n_extra,
                    const struct skv_host_hooks *hooks,
                    struct skv_plugin_inst **out, struct skv_err *err);

/* Load a specific file (no search). `conf` may be NULL (no options). */
int skv_plugin_load_file(const char *path, int kind,
                         struct skv_conf_plugin *conf, const char *conf_file,
                         const struct skv_host_hooks *hooks,
                         struct skv_plugin_inst **out, struct skv_err *err);

/* fini() the plugin and dlclose it. NULL is a no-op. */
void skv_plugin_unload(struct skv_plugin_inst *p);

const struct skv_plugin *skv_plugin_desc(const struct skv_plugin_inst *p);
void *skv_plugin_state(const struct skv_plugin_inst *p);
const void *skv_plugin_ops(const struct skv_plugin_inst *p);
const char *skv_plugin_path(const struct skv_plugin_inst *p);

/* "transport", "storage", "cipher", "admin" or "unknown". */
const char *skv_kind_name(int kind);

#endif /* SKV_LOADER_H */
