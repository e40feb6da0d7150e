/* SPDX-License-Identifier: MIT */
/*
 * loader.c — plugin discovery and loading: search path, dlopen, entry
 * lookup, ABI/kind/struct_size checks, the descriptor name against the
 * file name, init with the host table, the unknown-option check, the
 * cipher suite selection (sizes the core accepts), and unload. Host-table
 * callbacks live in host_api.c.
 */
#include "plugin/loader.h"
#include "plugin/host_api.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sealkv/admin.h>
#include <sealkv/cipher.h>
#include <sealkv/storage.h>
#include <sealkv/transport.h>

#ifndef SKV_PLUGINDIR
#define SKV_PLUGINDIR "/usr/local/lib/sealkv/plugins"
#endif

struct skv_plugin_inst {
    void *dl;
    char *path;
    const struct skv_plugin *desc;
    void *state;
    struct skv_host_ctx hctx;
    struct skv_host host;
};

const char *skv_kind_name(int kind)
{
    switch (kind) {
    case SKV_KIND_TRANSPORT: return "transport";
    case SKV_KIND_STORAGE: return "storage";
    case SKV_KIND_CIPHER: return "cipher";
    case SKV_KIND_ADMIN: return "admin";
    default: return "unknown";
    }
}

/* Smallest ops struct_size we accept per kind, and its required members. */
static size_t min_ops_size(int kind)
{
    switch (kind) {
    case SKV_KIND_STORAGE: return offsetof(struct skv_storage_ops, compact);
    case SKV_KIND_TRANSPORT: return offsetof(struct skv_transport_ops, forget);
    case SKV_KIND_CIPHER: return sizeof(struct skv_cipher_ops);
    case SKV_KIND_ADMIN: return sizeof(struct skv_admin_ops);
    default: return SIZE_MAX;
    }
}

/* Name of the first required ops member that is NULL, or NULL. */
static const char *missing_member(int kind, const void *ops)
{
#define REQ(T, m) if (!((const T *)ops)->m) return #m
    switch (kind) {
    case SKV_KIND_STORAGE:
        REQ(struct skv_storage_ops, open); REQ(struct skv_storage_ops, close);
        REQ(struct skv_storage_ops, get); REQ(struct skv_storage_ops, free_buf);
        REQ(struct skv_storage_ops, write); REQ(struct skv_storage_ops, view_new);
        REQ(struct skv_storage_ops, view_release);
        REQ(struct skv_storage_ops, iter_new); REQ(struct skv_storage_ops, iter_seek);
        REQ(struct skv_storage_ops, iter_seek_last);
        REQ(struct skv_storage_ops, iter_valid); REQ(struct skv_storage_ops, iter_next);
        REQ(struct skv_storage_ops, iter_prev); REQ(struct skv_storage_ops, iter_key);
        REQ(struct skv_storage_ops, iter_value);
        REQ(struct skv_storage_ops, iter_status); REQ(struct skv_storage_ops, iter_free);
        break;
    case SKV_KIND_TRANSPORT:
        REQ(struct skv_transport_ops, start); REQ(struct skv_transport_ops, send);
        REQ(struct skv_transport_ops, stop);
        break;
    case SKV_KIND_CIPHER:
        REQ(struct skv_cipher_ops, suite_count); REQ(struct skv_cipher_ops, suite_get);
        REQ(struct skv_cipher_ops, key_new); REQ(struct skv_cipher_ops, key_free);
        REQ(struct skv_cipher_ops, seal); REQ(struct skv_cipher_ops, open);
        REQ(struct skv_cipher_ops, random);
        break;
    case SKV_KIND_ADMIN:
        REQ(struct skv_admin_ops, start); REQ(struct skv_admin_ops, stop);
        break;
    }
#undef REQ
    return NULL;
}

/* The descriptor's name must be the <name> of the file <kind>-<name>.so
 * (what the config's plugins.<kind>.name looks for). A file not named
 * that way (skv_plugin_load_file) expects its whole base name. */
static int check_name(const char *path, int kind, const struct skv_plugin *d,
                      struct skv_err *err)
{
    const char *base = strrchr(path, '/'), *k = skv_kind_name(kind), *want;
    size_t kl = strlen(k), bl, wl;
    base = base ? base + 1 : path;
    bl = strlen(base);
    want = base;
    wl = bl;
    if (bl > kl + 4 && strncmp(base, k, kl) == 0 && base[kl] == '-' &&
        strcmp(base + bl - 3, ".so") == 0) {
        want = base + kl + 1;
        wl = bl - kl - 4;
    }
    if (strlen(d->name) == wl && strncmp(d->name, want, wl) == 0)
        return SKV_OK;
    return skv_err_set(err, SKV_ERR_INVALID,
                       "%s: plugin name mismatch: expected descriptor name '%.*s' "
                       "(file %s-<name>.so), found '%.64s'",
                       path, (int)wl, want, k, d->name);
}

/* Check the descriptor; message names file, expected and found values. */
static int check_desc(const char *path, int kind,
                      const struct skv_plugin *d, struct skv_err *err)
{
    const char *miss;
    uint32_t ops_size;
    int rc;
    if (d->abi_major != SKV_ABI_MAJOR)
        return skv_err_set(err, SKV_ERR_UNSUPPORTED,
                           "%s: plugin ABI major mismatch: expected %d, found %u",
                           path, SKV_ABI_MAJOR, d->abi_major);
    if (d->struct_size < offsetof(struct skv_plugin, ops) + sizeof(void *))
        return skv_err_set(err, SKV_ERR_INVALID,
                           "%s: plugin descriptor struct_size too small: expected at least %zu, found %u",
                           path, offsetof(struct skv_plugin, ops) + sizeof(void *),
                           d->struct_size);
    if ((int)d->kind != kind)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "%s: wrong plugin kind: expected %s (%d), found %s (%u)",
                           path, skv_kind_name(kind), kind,
                           skv_kind_name((int)d->kind), d->kind);
    if (!d->name || !d->init || !d->fini || !d->ops)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "%s: plugin descriptor incomplete: expected name, init, fini and ops, found %s missing",
                           path, !d->name ? "name" : !d->init ? "init" : !d->fini ? "fini" : "ops");
    if ((rc = check_name(path, kind, d, err)) != SKV_OK)
        return rc;
    ops_size = *(const uint32_t *)d->ops;
    if (ops_size < min_ops_size(kind))
        return skv_err_set(err, SKV_ERR_INVALID,
                           "%s: %s ops struct_size too small: expected at least %zu, found %u",
                           path, skv_kind_name(kind), min_ops_size(kind), ops_size);
    miss = missing_member(kind, d->ops);
    if (miss)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "%s: %s ops member '%s' is NULL: expected a function, found NULL",
                           path, skv_kind_name(kind), miss);
    return SKV_OK;
}

/* The suites the core picks from, in order, when `suite` is not set. */
static const char *const default_suites[] = {"aes-256-gcm", "chacha20-poly1305"};

/* Suite `name` of the plugin into *s: 1 if listed, else 0. */
static int find_suite(const struct skv_cipher_ops *ops, void *state,
                      const char *name, struct skv_cipher_suite *s)
{
    unsigned i, n = ops->suite_count(state);
    for (i = 0; i < n; i++) {
        memset(s, 0, sizeof *s);
        s->struct_size = sizeof *s;
        if (ops->suite_get(state, i, s) == SKV_OK && s->name && strcmp(s->name, name) == 0)
            return 1;
    }
    return 0;
}

static int sizes_ok(const struct skv_cipher_suite *s)
{
    return s->key_len == SKV_CIPHER_KEY_LEN && s->nonce_len == SKV_CIPHER_NONCE_LEN &&
           s->tag_len == SKV_CIPHER_TAG_LEN;
}

int skv_cipher_select(const struct skv_cipher_ops *ops, void *state,
                      const char *opt, struct skv_cipher_suite *out,
                      struct skv_err *err)
{
    size_t i;
    if (opt) {
        if (!find_suite(ops, state, opt, out))
            return skv_err_set(err, SKV_ERR_NOTFOUND,
                               "cipher suite '%.64s' (option '" SKV_CIPHER_OPT_SUITE
                               "') is not offered by the plugin", opt);
        if (!sizes_ok(out))
            return skv_err_set(err, SKV_ERR_UNSUPPORTED,
                               "cipher suite '%.64s' has key/nonce/tag %u/%u/%u bytes: "
                               "the core accepts only %d/%d/%d", opt, out->key_len,
                               out->nonce_len, out->tag_len, SKV_CIPHER_KEY_LEN,
                               SKV_CIPHER_NONCE_LEN, SKV_CIPHER_TAG_LEN);
        if (!out->available)
            return skv_err_set(err, SKV_ERR_UNSUPPORTED,
                               "cipher suite '%.64s' is not available on this machine", opt);
        return SKV_OK;
    }
    for (i = 0; i < sizeof default_suites / sizeof default_suites[0]; i++)
        if (find_suite(ops, state, default_suites[i], out) && sizes_ok(out) && out->available)
            return SKV_OK;
    return skv_err_set(err, SKV_ERR_UNSUPPORTED,
                       "no option '" SKV_CIPHER_OPT_SUITE "' and neither %s nor %s is "
                       "available with key/nonce/tag %d/%d/%d bytes", default_suites[0],
                       default_suites[1], SKV_CIPHER_KEY_LEN, SKV_CIPHER_NONCE_LEN,
                       SKV_CIPHER_TAG_LEN);
}

/* A loaded cipher plugin: the suite the core would run is one it accepts. */
static int check_cipher(const char *path, const struct skv_plugin *d, void *state,
                        const struct skv_conf_plugin *conf, struct skv_err *err)
{
    struct skv_cipher_suite s;
    const char *opt = NULL;
    size_t i;
    int rc;
    for (i = 0; conf && i < conf->n_options; i++)
        if (strcmp(conf->options[i].key, SKV_CIPHER_OPT_SUITE) == 0)
            opt = conf->options[i].value;
    if ((rc = skv_cipher_select(d->ops, state, opt, &s, err)) != SKV_OK) {
        char msg[SKV_ERRMSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        skv_err_set(err, rc, "%s: %s", path, msg);
    }
    return rc;
}

/* Under AddressSanitizer a plugin stays mapped after dlclose: LeakSanitizer
 * scans every thread's dynamic TLS at exit, and the DTLS block of a library
 * unloaded with its plugin (libstdc++ under storage-leveldb, once LevelDB
 * started its compaction thread) is left dangling in glibc's table, which
 * crashes LSan's tracer ("Tracer caught signal 11", test_retire's nonce scan
 * of a store that needed a compaction at open). Also keeps leak reports'
 * stacks symbolised. */
#if defined(__SANITIZE_ADDRESS__)
#define SKV_DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)
#else
#define SKV_DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL)
#endif

static int open_dl(const char *path, int kind, struct skv_plugin_inst *p,
                   struct skv_err *err)
{
    skv_plugin_entry_fn entry;
    p->dl = dlopen(path, SKV_DLOPEN_FLAGS);
    if (!p->dl)
        return skv_err_set(err, access(path, F_OK) == 0 ? SKV_ERR_INVALID : SKV_ERR_NOTFOUND,
                           "%s: cannot load plugin: %s", path, dlerror());
    *(void **)&entry = dlsym(p->dl, SKV_PLUGIN_ENTRY);
    if (!entry)
        return skv_err_set(err, SKV_ERR_NOTFOUND,
                           "%s: not a sealkv plugin: expected symbol '%s', found none",
                           path, SKV_PLUGIN_ENTRY);
    p->desc = entry();
    if (!p->desc)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "%s: %s() returned NULL: expected a descriptor",
                           path, SKV_PLUGIN_ENTRY);
    return check_desc(path, kind, p->desc, err);
}

int skv_plugin_load_file(const char *path, int kind,
                         struct skv_conf_plugin *conf, const char *conf_file,
                         const struct skv_host_hooks *hooks,
                         struct skv_plugin_inst **out, struct skv_err *err)
{
    struct skv_plugin_inst *p = calloc(1, sizeof *p);
    int rc;
    *out = NULL;
    if (!p || !(p->path = strdup(path))) {
        free(p);
        return skv_err_set(err, SKV_ERR_NOMEM, "%s: out of memory", path);
    }
    rc = open_dl(path, kind, p, err);
    if (rc == SKV_OK) {
        skv_host_ctx_init(&p->hctx, &p->host, kind, p->desc->name, conf,
                          conf_file, hooks);
        rc = p->desc->init(&p->host, &p->state, err);
        if (rc != SKV_OK) {
            char msg[SKV_ERRMSG_MAX];
            snprintf(msg, sizeof msg, "%s", err->msg);
            skv_err_set(err, rc, "%s: init failed: %s", path, msg);
            p->desc = NULL; /* init failed: no fini */
        } else if ((rc = skv_host_check_unused(&p->hctx, err)) != SKV_OK ||
                   (kind == SKV_KIND_CIPHER &&
                    (rc = check_cipher(path, p->desc, p->state, conf, err)) != SKV_OK)) {
            p->desc->fini(p->state);
            p->desc = NULL;
        }
    } else {
        p->desc = NULL;
    }
    if (rc != SKV_OK) {
        if (p->dl)
            dlclose(p->dl);
        free(p->path);
        free(p);
        return rc;
    }
    *out = p;
    return SKV_OK;
}

static int valid_name(const char *n)
{
    if (!n || !*n || strlen(n) > 64)
        return 0;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9') ||
              *n == '-' || *n == '_'))
            return 0;
    return 1;
}

/* Try dir/<kind>-<name>.so; 1 if the file exists (then *rc is set). */
static int try_dir(const char *dir, int kind, const char *name,
                   struct skv_conf_plugin *conf, const char *conf_file,
                   const struct skv_host_hooks *hooks,
                   struct skv_plugin_inst **out, struct skv_err *err, int *rc)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s-%s.so", dir,
                     skv_kind_name(kind), name);
    if (n < 0 || (size_t)n >= sizeof path || access(path, F_OK) != 0)
        return 0;
    *rc = skv_plugin_load_file(path, kind, conf, conf_file, hooks, out, err);
    return 1;
}

int skv_plugin_load(int kind, struct skv_conf_plugin *conf,
                    const char *conf_file, char *const *extra_dirs,
                    size_t n_extra, const struct skv_host_hooks *hooks,
                    struct skv_plugin_inst **out, struct skv_err *err)
{
    const char *name = conf ? conf->name : NULL;
    const char *env = getenv("SEALKV_PLUGIN_PATH");
    char looked[1024] = "";
    int rc = SKV_OK;
    size_t i;

    *out = NULL;
    if (!valid_name(name))
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "invalid %s plugin name '%s': expected [a-z0-9_-]{1,64}",
                           skv_kind_name(kind), name ? name : "");
    if (env && *env) {
        char *copy = strdup(env), *save = NULL, *dir;
        if (!copy)
            return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
        for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
            if (try_dir(dir, kind, name, conf, conf_file, hooks, out, err, &rc)) {
                free(copy);
                return rc;
            }
        }
        free(copy);
        snprintf(looked, sizeof looked, "$SEALKV_PLUGIN_PATH, ");
    }
    for (i = 0; i < n_extra; i++)
        if (try_dir(extra_dirs[i], kind, name, conf, conf_file, hooks, out, err, &rc))
            return rc;
    if (try_dir(SKV_PLUGINDIR, kind, name, conf, conf_file, hooks, out, err, &rc))
        return rc;
    return skv_err_set(err, SKV_ERR_NOTFOUND,
                       "%s plugin '%s' not found: expected file %s-%s.so in %s%splugins.path and %s, found none",
                       skv_kind_name(kind), name, skv_kind_name(kind), name,
                       looked, n_extra ? "" : "(empty) ", SKV_PLUGINDIR);
}

void skv_plugin_unload(struct skv_plugin_inst *p)
{
    if (!p)
        return;
    if (p->desc)
        p->desc->fini(p->state);
    if (p->dl && !getenv("SKV_NO_DLCLOSE"))
        dlclose(p->dl);
    free(p->path);
    free(p);
}

const struct skv_plugin *skv_plugin_desc(const struct skv_plugin_inst *p) { return p->desc; }
void *skv_plugin_state(const struct skv_plugin_inst *p) { return p->state; }
const void *skv_plugin_ops(const struct skv_plugin_inst *p) { return p->desc->ops; }
const char *skv_plugin_path(const struct skv_plugin_inst *p) { return p->path; }
