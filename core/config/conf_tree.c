/* SPDX-License-Identifier: MIT */
/*
 * conf_tree.c — libyaml events to a position-tagged tree (conf_tree.h).
 * The event API is used rather than the document API so that anchors,
 * aliases and tags can be refused at their own position, and so that
 * nesting, node count and duplicate keys are bounded while parsing.
 */
#include "config/conf_tree.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct builder {
    struct conf_node *root;
    struct conf_node *stack[CONF_MAX_DEPTH];
    size_t depth;
    size_t n_nodes;
    int docs;
    struct conf_err *e;
};

int conf_errf(struct conf_err *e, const struct skv_conf_pos *pos,
              const char *fmt, ...)
{
    char msg[SKV_CONF_ERR_MAX];
    va_list ap;
    if (!e->buf || !e->len)
        return -1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (pos)
        snprintf(e->buf, e->len, "%s:%u:%u: %s", e->file, pos->line,
                 pos->col, msg);
    else
        snprintf(e->buf, e->len, "%s: %s", e->file, msg);
    return -1;
}

static unsigned clamp_uint(size_t v)
{
    return v >= UINT_MAX ? UINT_MAX : (unsigned)v;
}

static struct skv_conf_pos mark_pos(yaml_mark_t m)
{
    struct skv_conf_pos p = {clamp_uint(m.line + 1), clamp_uint(m.column + 1)};
    return p;
}

/* Line/column of a byte offset (reader errors carry only an offset). */
static struct skv_conf_pos offset_pos(const char *text, size_t len,
                                      size_t off)
{
    struct skv_conf_pos p = {1, 1};
    size_t i;
    for (i = 0; i < off && i < len; i++) {
        if (text[i] == '\n') {
            p.line++;
            p.col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            p.col++;
        }
    }
    return p;
}

static int syntax_error(const yaml_parser_t *p, const char *text, size_t len,
                        struct conf_err *e)
{
    const char *what = p->problem ? p->problem : "unknown error";
    struct skv_conf_pos pos, ctx;
    if (p->error == YAML_MEMORY_ERROR)
        return conf_errf(e, NULL, "out of memory while parsing YAML");
    if (p->error == YAML_READER_ERROR) {
        pos = offset_pos(text, len, p->problem_offset);
        return conf_errf(e, &pos, "invalid input: %s", what);
    }
    pos = mark_pos(p->problem_mark);
    if (!p->context)
        return conf_errf(e, &pos, "YAML syntax error: %s", what);
    ctx = mark_pos(p->context_mark);
    return conf_errf(e, &pos, "YAML syntax error: %s (%s at %u:%u)", what,
                     p->context, ctx.line, ctx.col);
}

static struct conf_node *node_new(struct builder *b, enum conf_kind kind,
                                  yaml_mark_t m)
{
    struct conf_node *n;
    struct skv_conf_pos pos = mark_pos(m);
    if (b->n_nodes >= CONF_MAX_NODES) {
        conf_errf(b->e, &pos, "too many YAML nodes (limit %d)", CONF_MAX_NODES);
        return NULL;
    }
    n = calloc(1, sizeof *n);
    if (!n) {
        conf_errf(b->e, &pos, "out of memory");
        return NULL;
    }
    b->n_nodes++;
    n->kind = kind;
    n->pos = pos;
    return n;
}

/* A new mapping key: must be a scalar and not repeat an earlier key. */
static int check_key(struct builder *b, const struct conf_node *map,
                     const struct conf_node *key)
{
    char q[64];
    size_t i;
    if (key->kind != CONF_SCALAR)
        return conf_errf(b->e, &key->pos, "mapping keys must be scalars, got %s",
                         conf_kind_name(key->kind));
    for (i = 0; i + 1 < map->n; i += 2)
        if (strcmp(map->items[i]->text, key->text) == 0)
            return conf_errf(b->e, &key->pos, "duplicate key '%s' (first at %u:%u)",
                             conf_quote(key->text, q, sizeof q),
                             map->items[i]->pos.line, map->items[i]->pos.col);
    return 0;
}

/* Hang `n` under the open collection (or make it the root). On failure
 * `n` is either attached (freed with the tree) or freed here. */
static int attach(struct builder *b, struct conf_node *n)
{
    struct conf_node *parent, **items;
    if (!b->depth) {
        b->root = n;
        return 0;
    }
    parent = b->stack[b->depth - 1];
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 8;
        items = realloc(parent->items, cap * sizeof *items);
        if (!items) {
            conf_tree_free(n);
            return conf_errf(b->e, &parent->pos, "out of memory");
        }
        parent->items = items;
        parent->cap = cap;
    }
    parent->items[parent->n++] = n;
    if (parent->kind == CONF_MAP && parent->n % 2 == 1)
        return check_key(b, parent, n);
    return 0;
}

/* Anchors and tags are refused: the config schema never needs them. */
static int refuse_decor(struct builder *b, yaml_mark_t m,
                        const yaml_char_t *anchor, const yaml_char_t *tag)
{
    struct skv_conf_pos pos = mark_pos(m);
    char q[64];
    if (anchor)
        return conf_errf(b->e, &pos, "YAML anchors ('&%s') are not supported",
                         conf_quote((const char *)anchor, q, sizeof q));
    if (tag)
        return conf_errf(b->e, &pos, "YAML tags ('%s') are not supported",
                         conf_quote((const char *)tag, q, sizeof q));
    return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
    struct conf_node *n;
    size_t len = ev->data.scalar.length;
    if (refuse_decor(b, ev->start_mark, ev->data.scalar.anchor,
                     ev->data.scalar.tag))
        return -1;
    if (memchr(ev->data.scalar.value, '\0', len)) {
        struct skv_conf_pos pos = mark_pos(ev->start_mark);
        return conf_errf(b->e, &pos, "NUL character in a scalar is not allowed");
    }
    n = node_new(b, CONF_SCALAR, ev->start_mark);
    if (!n)
        return -1;
    n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    n->text = malloc(len + 1);
    if (!n->text) {
        conf_tree_free(n);
        return conf_errf(b->e, NULL, "out of memory");
    }
    memcpy(n->text, ev->data.scalar.value, len);
    n->text[len] = '\0';
    return attach(b, n);
}

static int on_open(struct builder *b, const yaml_event_t *ev,
                   enum conf_kind kind)
{
    struct conf_node *n;
    int bad = kind == CONF_SEQ
        ? refuse_decor(b, ev->start_mark, ev->data.sequence_start.anchor,
                       ev->data.sequence_start.tag)
        : refuse_decor(b, ev->start_mark, ev->data.mapping_start.anchor,
                       ev->data.mapping_start.tag);
    if (bad)
        return -1;
    if (b->depth == CONF_MAX_DEPTH) {
        struct skv_conf_pos pos = mark_pos(ev->start_mark);
        return conf_errf(b->e, &pos, "nesting deeper than %d levels",
                         CONF_MAX_DEPTH);
    }
    n = node_new(b, kind, ev->start_mark);
    if (!n || attach(b, n))
        return -1;
    b->stack[b->depth++] = n;
    return 0;
}

/* Returns 0 to go on, 1 at the end of the stream, -1 on error. */
static int on_event(struct builder *b, const yaml_event_t *ev)
{
    struct skv_conf_pos pos = mark_pos(ev->start_mark);
    char q[64];
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        return 1;
    case YAML_DOCUMENT_START_EVENT:
        if (b->docs++)
            return conf_errf(b->e, &pos, "only one YAML document is allowed");
        return 0;
    case YAML_ALIAS_EVENT:
        return conf_errf(b->e, &pos, "YAML aliases ('*%s') are not supported",
                         conf_quote((const char *)ev->data.alias.anchor, q,
                                    sizeof q));
    case YAML_SCALAR_EVENT:
        return on_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_open(b, ev, CONF_SEQ);
    case YAML_MAPPING_START_EVENT:
        return on_open(b, ev, CONF_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth)
            b->depth--;
        return 0;
    default:
        return 0;
    }
}

int conf_tree_parse(const char *text, size_t len, struct conf_node **root,
                    struct conf_err *e)
{
    struct builder b;
    yaml_parser_t parser;
    yaml_event_t ev;
    int rc = 0;
    memset(&b, 0, sizeof b);
    b.e = e;
    *root = NULL;
    if (!yaml_parser_initialize(&parser))
        return conf_errf(e, NULL, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (rc == 0) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = syntax_error(&parser, text, len, e);
            break;
        }
        rc = on_event(&b, &ev);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (rc < 0) {
        conf_tree_free(b.root);
        return -1;
    }
    *root = b.root;
    return 0;
}

void conf_tree_free(struct conf_node *n)
{
    size_t i;
    if (!n)
        return;
    for (i = 0; i < n->n; i++)
        conf_tree_free(n->items[i]);
    free(n->items);
    free(n->text);
    free(n);
}

struct conf_node *conf_map_get(const struct conf_node *map, const char *key)
{
    size_t i;
    if (!map || map->kind != CONF_MAP)
        return NULL;
    for (i = 0; i + 1 < map->n; i += 2)
        if (strcmp(map->items[i]->text, key) == 0)
            return map->items[i + 1];
    return NULL;
}

int conf_is_null(const struct conf_node *n)
{
    const char *t;
    if (!n || n->kind != CONF_SCALAR || n->quoted)
        return 0;
    t = n->text;
    return !*t || !strcmp(t, "~") || !strcmp(t, "null") ||
           !strcmp(t, "Null") || !strcmp(t, "NULL");
}

const char *conf_kind_name(enum conf_kind kind)
{
    switch (kind) {
    case CONF_MAP: return "a mapping";
    case CONF_SEQ: return "a sequence";
    default: return "a scalar";
    }
}

const char *conf_quote(const char *s, char *buf, size_t len)
{
    size_t i, max;
    if (len < 8) {
        if (len)
            buf[0] = '\0';
        return buf;
    }
    max = len > 44 ? 40 : len - 4;
    for (i = 0; s[i] && i < max; i++) {
        unsigned char ch = (unsigned char)s[i];
        buf[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    if (s[i]) {
        while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
            i--;
        memcpy(buf + i, "...", 4);
    } else {
        buf[i] = '\0';
    }
    return buf;
}
