/* SPDX-License-Identifier: MIT */
/*
 * preflight.c — start-up checks that write nothing (see preflight.h).
 */
#include "node/preflight.h"
#include "enc/enc.h"
#include "plugin/plugin_set.h"
#include "node/store_init.h"
#include "util/path.h"

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

/* One prefix of data_dir: it exists (go on), or it is missing and its
 * parent lets start create it (stop: fine), or neither (-1, errno). */
static int check_step(const char *prefix, void *arg)
{
    struct stat *st = arg;
    char parent[SKV_PATH_MAX + 1];
    if (stat(prefix, st) == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    parent_of(prefix, parent, sizeof parent);   /* created from here on */
    return access(parent, W_OK | X_OK) == 0 ? 1 : -1;
}

/* The walk skv_path_mkdir makes at start, with stat/access instead of
 * mkdir, so a refusal reads exactly as the one start would print. */
int skv_preflight_data_dir(const char *path, char *err, size_t errlen)
{
    struct stat st;
    int rc;
    if (!*path) {
        snprintf(err, errlen, "%s: empty data_dir", path);
        return -1;
    }
    if ((rc = skv_path_walk(path, check_step, &st, err, errlen)) != 0)
        return rc > 0 ? 0 : -1;
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
