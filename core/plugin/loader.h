/* SPDX-License-Identifier: MIT */
/*
 * loader.h — finds, dlopens, checks and initialises plugins; builds the
 * per-plugin host-API table. Each refusal is one message naming the file,
 * the expected and the found value: ABI major, kind, struct sizes,
 * required ops, descriptor name vs file name, options, cipher suite.
 */
#ifndef SKV_LOADER_H
#define SKV_LOADER_H

#include <sealkv/plugin.h>
#include "config/config.h"

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

/* The suite the core runs with a cipher plugin (docs: <sealkv/cipher.h>):
 * `opt` (the plugin's `suite` option, NULL when unset) if the plugin lists
 * it, available, with the sizes the core accepts (32/12/16); without it
 * the first such of "aes-256-gcm", "chacha20-poly1305". SKV_OK with *out
 * filled, else one message naming the suite and its sizes. The loader
 * refuses a cipher plugin for which this fails. */
struct skv_cipher_ops;
struct skv_cipher_suite;
int skv_cipher_select(const struct skv_cipher_ops *ops, void *state,
                      const char *opt, struct skv_cipher_suite *out,
                      struct skv_err *err);

/* "transport", "storage", "cipher", "admin" or "unknown". */
const char *skv_kind_name(int kind);

#endif /* SKV_LOADER_H */
