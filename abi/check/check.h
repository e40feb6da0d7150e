/* SPDX-License-Identifier: MIT */
/*
 * check.h — shared state of sealkv-plugin-check (the plugin conformance
 * checker shipped with the SDK): the run (plugin file, descriptor, host
 * table, --option values, failure count) and the per-kind entry points.
 * Built against the public headers (abi/sealkv/) only.
 */
#ifndef SKV_CHECK_H
#define SKV_CHECK_H

#include <sealkv/plugin.h>

#define CHK_MAX_OPTS 32

struct chk_opt {
    const char *key;
    const char *val;
    int asked; /* the plugin read it during init() */
};

struct chk {
    const char *kind;            /* "cipher", "storage", ... */
    const char *file;            /* path of the .so */
    void *dl;                    /* dlopen handle */
    const struct skv_plugin *desc;
    struct skv_host host;
    struct chk_opt opts[CHK_MAX_OPTS];
    unsigned n_opts;
    int in_init;                 /* option accessors allowed */
    unsigned failures;
};

/* One line "FAIL: <kind>-check: ..." on stdout; counts the failure. */
void chk_fail(struct chk *c, const char *fmt, ...) SKV_PRINTF(2, 3);
/* One line "ok: ..." on stdout. */
void chk_ok(struct chk *c, const char *fmt, ...) SKV_PRINTF(2, 3);
/* chk_fail unless cond; returns cond. */
int chk_expect(struct chk *c, int cond, const char *fmt, ...) SKV_PRINTF(3, 4);

/* check_host.c */
int chk_opt_add(struct chk *c, const char *kv);
void chk_host_init(struct chk *c);
void chk_opts_unasked(struct chk *c);

/* check_load.c: load + descriptor checks; 0 when the kind checks may run */
int chk_load(struct chk *c, uint32_t kind);
int chk_plugin_init(struct chk *c, void **state);
void chk_unload(struct chk *c);

/* check_exports.c: the .so's dynamic symbol table exports only the entry */
void chk_exports(struct chk *c);

/* per kind; state is the instance init() returned */
void chk_cipher(struct chk *c, void *state);
void chk_storage(struct chk *c, void *state);
void chk_transport(struct chk *c, void *state);
void chk_admin(struct chk *c, void *state);

/* check_cipher_kat.c: known-answer vectors for `suite`; returns the
 * number run (0: none known for that suite). */
struct skv_cipher_ops;
unsigned chk_cipher_kat(struct chk *c, const struct skv_cipher_ops *o,
                        void *state, const char *suite);

/* check_net.c: a free TCP port on 127.0.0.1, or 0 */
unsigned chk_free_port(struct chk *c);

#endif /* SKV_CHECK_H */
