/* SPDX-License-Identifier: MIT */
/*
 * conf_schema.h — internal to the config loader: the DESIGN.md §6
 * schema. Walks a parsed tree into struct skv_config, checking keys,
 * types, ranges and cross-field rules.
 */
#ifndef SKV_CONF_SCHEMA_H
#define SKV_CONF_SCHEMA_H

#include "config/conf_tree.h"

/* `c` must hold the defaults already; on failure it may be partly
 * filled (the caller frees it). `root` may be NULL (empty stream). */
int conf_schema_apply(const struct conf_node *root, struct skv_config *c,
                      struct conf_err *e);

/* Plugin settings: one slot mapping ({name, options}) and the
 * plugins.path list. Used by conf_schema_apply. */
int conf_plugins_apply(const struct conf_node *n, struct skv_config *c,
                       struct conf_err *e);

/* conf_pkcs11.c: encryption.kek_pkcs11 / previous_kek_pkcs11 (`what`):
 * null/absent, or a map of the four required strings. */
int conf_pkcs11_apply(const struct conf_node *n, const char *what,
                      struct skv_conf_pkcs11 *out, struct conf_err *e);

#endif /* SKV_CONF_SCHEMA_H */
