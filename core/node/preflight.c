/* SPDX-License-Identifier: MIT */
/*
 * preflight.c — start-up checks that write nothing (see preflight.h).
 */
#include "node/preflight.h"
#include "enc/enc.h"
#include "plugin/plugin_set.h"
#include "node/store_init.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Parent directory of buf[0..i) ("." or "/" at the top). */
static void parent_of(const char *buf, char *out, size_t len)
{
    const char *slash = strrchr(buf, '/');
    if (!slash)
        snprintf(out, len, ".");
    else if (slash == buf)
        snprintf(out, len, "/");
    else
        snprintf(out, len, "%.*s", (int)(slash - buf), buf);
}

/* Mirrors node.c's mkdir -p walk, with stat/access instead of mkdir, so
 * a refusal reads exactly as the one start would print. */
int skv_preflight_data_dir(const char *path, char *err, size_t errlen)
{
    char buf[4096], parent[4096];
    struct stat st;
    size_t i, len = strlen(path);
    if (len == 0 || len >= sizeof buf) {
        snprintf(err, errlen, "%s: %s", path, len ? "path too long" : "empty data_dir");
        return -1;
    }
    memcpy(buf, path, len + 1);
    for (i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != 0)
            continue;
        buf[i] = 0;
        if (stat(buf, &st) != 0) {
            int e = errno;
            if (e == ENOENT) {   /* created from here on: parent must take it */
                parent_of(buf, parent, sizeof parent);
                if (access(parent, W_OK | X_OK) == 0)
                    return 0;
                e = errno;
            }
            snprintf(err, errlen, "cannot create %s: %s", buf, strerror(e));
            return -1;
        }
        buf[i] = path[i];
    }
    if (!S_ISDIR(st.st_mode) || access(path, R_OK | W_OK | X_OK) != 0) {
        snprintf(err, errlen, "data_dir %s: %s", path,
                 S_ISDIR(st.st_mode) ? strerror(errno) : "not a directory");
        return -1;
    }
    return 0;
}

static int enc_check(struct skv_config *c, struct skv_plugin_set *set, char *err,
                     size_t errlen)
{
    struct skv_enc enc;
    int rc = skv_enc_load(&enc, c, skv_plugin_ops(set->cipher),
                          skv_plugin_state(set->cipher), err, errlen);
    skv_enc_close(&enc);
    return rc;
}

int skv_preflight(struct skv_config *c, char *summary, size_t slen, char *err,
                  size_t errlen)
{
    struct skv_plugin_set set;
    struct skv_host_hooks hooks;
    struct skv_err e = {0, ""};
    int rc, is_new;
    /* the hooks start-up passes, minus the node: plugins see their real
     * node id and log level in init() */
    memset(&hooks, 0, sizeof hooks);
    hooks.node_id = c->node_id;
    hooks.log_level = c->log_level;
    if (skv_plugin_set_load(&set, c, &hooks, &e) != SKV_OK) {
        snprintf(err, errlen, "%s", e.msg);
        return -1;
    }
    rc = skv_preflight_data_dir(c->data_dir, err, errlen);
    if (rc == 0)
        rc = skv_store_precheck(c->data_dir, c->node_id, c->init_store, &is_new, err, errlen);
    if (rc == 0)
        rc = enc_check(c, &set, err, errlen);
    if (rc == 0)
        snprintf(summary, slen, "plugins: %s, %s, %s, %s", skv_plugin_path(set.transport),
                 skv_plugin_path(set.storage), skv_plugin_path(set.cipher),
                 skv_plugin_path(set.admin));
    skv_plugin_set_unload(&set);
    return rc;
}
