/* SPDX-License-Identifier: MIT */
/*
 * conf_tree.h — internal to the config loader: turns YAML text into a
 * small tree of scalars, sequences and mappings, each with its 1-based
 * position, and formats "file:line:col: message" errors. Not exported
 * from libsealkv-core (no skv_ prefix).
 */
#ifndef SKV_CONF_TREE_H
#define SKV_CONF_TREE_H

#include <stddef.h>

#include "config/config.h"

#define CONF_MAX_BYTES (1024 * 1024) /* largest config accepted */
#define CONF_MAX_DEPTH 32            /* deepest nesting accepted */
#define CONF_MAX_NODES 4096          /* most YAML nodes accepted */

enum conf_kind { CONF_SCALAR, CONF_SEQ, CONF_MAP };

struct conf_node {
    enum conf_kind kind;
    struct skv_conf_pos pos;
    char *text;                 /* scalar: NUL-terminated, no inner NUL */
    int quoted;                 /* scalar: any style but plain */
    struct conf_node **items;   /* seq: items; map: key, value, key, ... */
    size_t n;                   /* entries in items */
    size_t cap;
};

/* Where errors go: the name printed first and the caller's buffer. */
struct conf_err {
    const char *file;
    char *buf;
    size_t len;
};

/* Write "file:line:col: message" (or "file: message" if pos is NULL).
 * Always returns -1 so callers can `return conf_errf(...)`. */
int conf_errf(struct conf_err *e, const struct skv_conf_pos *pos,
              const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Parse one YAML document. *root is NULL for an empty stream. Refuses
 * anchors, aliases, tags, multiple documents, non-scalar mapping keys,
 * duplicate keys, NUL bytes in scalars and excessive nesting. */
int conf_tree_parse(const char *text, size_t len, struct conf_node **root,
                    struct conf_err *e);

void conf_tree_free(struct conf_node *n);

/* Mapping helpers: the value for `key`, or NULL. */
struct conf_node *conf_map_get(const struct conf_node *map, const char *key);

/* Plain "", "~" or "null": a key given without a value. */
int conf_is_null(const struct conf_node *n);

/* "a mapping", "a sequence", "a scalar". */
const char *conf_kind_name(enum conf_kind kind);

/* Copy at most 40 printable chars of s into buf (non-printables as '?',
 * "..." when cut) for use in messages. Returns buf. */
const char *conf_quote(const char *s, char *buf, size_t len);

#endif /* SKV_CONF_TREE_H */
