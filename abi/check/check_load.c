/* SPDX-License-Identifier: MIT */
/*
 * check_load.c — loading a plugin the way sealkvd does: dlopen, the one
 * entry symbol (sealkv_plugin_v1), the descriptor (ABI major, kind,
 * struct_size, required members, name equal to the <name> of the file
 * <kind>-<name>.so, ops table struct_size) and init() with the host
 * table; unload after fini().
 */
#include "check.h"

#include <dlfcn.h>
#include <string.h>

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The file must be <kind>-<desc->name>.so. */
static void check_name(struct chk *c)
{
    const char *b = base_name(c->file);
    size_t kl = strlen(c->kind), nl;
    if (!chk_expect(c, c->desc->name && c->desc->name[0], "descriptor name is NULL or empty"))
        return;
    nl = strlen(c->desc->name);
    chk_expect(c, strncmp(b, c->kind, kl) == 0 && b[kl] == '-' &&
                      strncmp(b + kl + 1, c->desc->name, nl) == 0 &&
                      strcmp(b + kl + 1 + nl, ".so") == 0,
               "file name %s is not %s-%s.so (descriptor name '%s'): the loader refuses it",
               b, c->kind, c->desc->name, c->desc->name);
}

static void check_desc(struct chk *c, uint32_t kind)
{
    const struct skv_plugin *d = c->desc;
    const uint32_t *ops_size = d->ops;
    check_name(c);
    chk_expect(c, d->kind == kind, "descriptor kind is %u, expected %u (%s)", d->kind, kind,
               c->kind);
    chk_expect(c, d->version != NULL, "descriptor version is NULL");
    chk_expect(c, d->init && d->fini && d->ops, "descriptor init, fini or ops is NULL");
    if (ops_size)
        chk_expect(c, *ops_size >= sizeof(uint32_t) + sizeof(void *),
                   "ops table struct_size %u is too small", *ops_size);
    chk_expect(c, d->abi_minor <= 1000, "descriptor abi_minor %u is implausible", d->abi_minor);
}

int chk_load(struct chk *c, uint32_t kind)
{
    skv_plugin_entry_fn entry;
    void *sym;
    if (!(c->dl = dlopen(c->file, RTLD_NOW | RTLD_LOCAL))) {
        chk_fail(c, "dlopen %s: %s", c->file, dlerror());
        return -1;
    }
    if (!(sym = dlsym(c->dl, SKV_PLUGIN_ENTRY))) {
        chk_fail(c, "%s does not export %s", c->file, SKV_PLUGIN_ENTRY);
        return -1;
    }
    memcpy(&entry, &sym, sizeof entry); /* object → function pointer */
    if (!(c->desc = entry())) {
        chk_fail(c, "%s() returned NULL", SKV_PLUGIN_ENTRY);
        return -1;
    }
    if (c->desc->abi_major != SKV_ABI_MAJOR) {
        chk_fail(c, "descriptor abi_major is %u, this checker is ABI %d.%d", c->desc->abi_major,
                 SKV_ABI_MAJOR, SKV_ABI_MINOR);
        return -1;
    }
    if (c->desc->struct_size < sizeof(struct skv_plugin)) {
        chk_fail(c, "descriptor struct_size %u < %zu (ABI 1.0 descriptor)",
                 c->desc->struct_size, sizeof(struct skv_plugin));
        return -1;
    }
    check_desc(c, kind);
    return c->failures ? -1 : 0;
}

int chk_plugin_init(struct chk *c, void **state)
{
    struct skv_err err;
    int rc;
    memset(&err, 0, sizeof err);
    c->in_init = 1;
    rc = c->desc->init(&c->host, state, &err);
    c->in_init = 0;
    if (rc != SKV_OK) {
        chk_fail(c, "init() failed: %s (%s)", err.msg, skv_strerror(rc));
        return -1;
    }
    chk_ok(c, "%s %s (ABI %u.%u) loaded and initialised", c->desc->name, c->desc->version,
           c->desc->abi_major, c->desc->abi_minor);
    chk_opts_unasked(c);
    return 0;
}

void chk_unload(struct chk *c)
{
    if (c->dl && dlclose(c->dl) != 0)
        chk_fail(c, "dlclose: %s", dlerror());
    c->dl = NULL;
}
