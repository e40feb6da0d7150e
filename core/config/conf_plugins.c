/* SPDX-License-Identifier: MIT */
/*
 * conf_plugins.c — the `plugins:` section of the config: the extra
 * search path list and the four slots, each {name, options}, where
 * options are scalars only (value text, quoting and position kept for
 * the host's typed option accessors).
 */
#include "config/conf_schema.h"
#include "config/conf_value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_path(const struct conf_node *n, struct skv_config *c,
                      struct conf_err *e)
{
    char what[64];
    size_t i;
    if (conf_is_null(n))
        return 0;
    if (conf_seq(n, "plugins.path", SKV_MAX_PLUGIN_PATHS, e))
        return -1;
    for (i = 0; i < n->n; i++) {
        snprintf(what, sizeof what, "plugins.path[%zu]", i);
        if (conf_str(n->items[i], what, &c->plugin_path[i], e))
            return -1;
        c->n_plugin_path = i + 1;
    }
    return 0;
}

/* Plugin names become part of a file name: "<kind>-<name>.so". */
static int parse_name(const struct conf_node *n, const char *what,
                      struct skv_conf_plugin *p, struct conf_err *e)
{
    char q[64];
    if (conf_str(n, what, &p->name, e))
        return -1;
    if (p->name[strspn(p->name, "abcdefghijklmnopqrstuvwxyz"
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")])
        return conf_errf(e, &n->pos,
                         "'%s' may contain only letters, digits, '-' and '_', "
                         "got '%s'", what, conf_quote(p->name, q, sizeof q));
    return 0;
}

static int add_option(const struct conf_node *k, const struct conf_node *v,
                      const char *what, struct skv_conf_plugin *p,
                      struct conf_err *e)
{
    struct skv_conf_option *o = &p->options[p->n_options];
    char q[64];
    conf_quote(k->text, q, sizeof q);
    if (!*k->text)
        return conf_errf(e, &k->pos, "empty option name in '%s'", what);
    if (v->kind != CONF_SCALAR)
        return conf_errf(e, &v->pos,
                         "option '%s' in '%s' must be a scalar, got %s", q,
                         what, conf_kind_name(v->kind));
    o->key = strdup(k->text);
    o->value = strdup(v->text);
    p->n_options++;
    if (!o->key || !o->value)
        return conf_errf(e, &v->pos, "out of memory");
    o->quoted = v->quoted;
    o->pos = v->pos;
    return 0;
}

static int parse_options(const struct conf_node *n, const char *slot,
                         struct skv_conf_plugin *p, struct conf_err *e)
{
    char what[64];
    size_t i;
    snprintf(what, sizeof what, "plugins.%s.options", slot);
    if (conf_is_null(n))
        return 0;
    if (conf_expect(n, CONF_MAP, what, e))
        return -1;
    if (n->n / 2 > SKV_MAX_OPTIONS)
        return conf_errf(e, &n->items[2 * SKV_MAX_OPTIONS]->pos,
                         "too many options in '%s' (limit %d)", what,
                         SKV_MAX_OPTIONS);
    for (i = 0; i + 1 < n->n; i += 2)
        if (add_option(n->items[i], n->items[i + 1], what, p, e))
            return -1;
    return 0;
}

static int parse_slot(const struct conf_node *n, const char *slot,
                      struct skv_conf_plugin *p, struct conf_err *e)
{
    static const char *const keys[] = {"name", "options", NULL};
    const struct conf_node *v;
    char what[64];
    if (!n || conf_is_null(n))
        return 0;
    snprintf(what, sizeof what, "plugins.%s", slot);
    if (conf_expect(n, CONF_MAP, what, e) || conf_keys(n, what, keys, e))
        return -1;
    p->pos = n->pos;
    snprintf(what, sizeof what, "plugins.%s.name", slot);
    v = conf_map_get(n, "name");
    if (v && parse_name(v, what, p, e))
        return -1;
    v = conf_map_get(n, "options");
    return v ? parse_options(v, slot, p, e) : 0;
}

int conf_plugins_apply(const struct conf_node *n, struct skv_config *c,
                       struct conf_err *e)
{
    static const char *const keys[] = {"path", "transport", "storage",
                                       "cipher", "admin", NULL};
    const struct conf_node *v;
    if (conf_is_null(n))
        return 0;
    if (conf_expect(n, CONF_MAP, "plugins", e) ||
        conf_keys(n, "plugins", keys, e))
        return -1;
    if ((v = conf_map_get(n, "path")) && parse_path(v, c, e))
        return -1;
    if (parse_slot(conf_map_get(n, "transport"), "transport", &c->transport, e) ||
        parse_slot(conf_map_get(n, "storage"), "storage", &c->storage, e) ||
        parse_slot(conf_map_get(n, "cipher"), "cipher", &c->cipher, e) ||
        parse_slot(conf_map_get(n, "admin"), "admin", &c->admin, e))
        return -1;
    return 0;
}
