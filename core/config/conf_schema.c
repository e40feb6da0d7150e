/* SPDX-License-Identifier: MIT */
/*
 * conf_schema.c — the DESIGN.md §6 config schema: top level, node,
 * cluster.bootstrap, encryption, raft, log, and the cross-field rules
 * (bootstrap ids/addresses unique and naming this node, heartbeat at
 * most half the election timeout). Plugins are in conf_plugins.c.
 */
#include "config/conf_schema.h"
#include "config/conf_value.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* 0: absent or null (defaults stay); 1: a mapping with known keys. */
static int section(const struct conf_node *n, const char *what,
                   const char *const *keys, struct conf_err *e)
{
    if (!n || conf_is_null(n))
        return 0;
    if (conf_expect(n, CONF_MAP, what, e) || conf_keys(n, what, keys, e))
        return -1;
    return 1;
}

/* The value of a required key, or NULL after reporting it missing. */
static const struct conf_node *required(const struct conf_node *map,
                                        const char *key, const char *what,
                                        struct conf_err *e)
{
    const struct conf_node *v = conf_map_get(map, key);
    if (!v)
        conf_errf(e, &map->pos, "missing required key '%s' in '%s'", key, what);
    return v;
}

static int parse_node(const struct conf_node *n, struct skv_config *c,
                      struct conf_err *e)
{
    static const char *const keys[] = {"id", "address", "data_dir", NULL};
    const struct conf_node *v;
    int s = section(n, "node", keys, e);
    if (s < 0)
        return -1;
    if (s == 0)
        return conf_errf(e, &n->pos, "'node' has no value (expected a mapping "
                         "with id, address, data_dir)");
    if (!(v = required(n, "id", "node", e)) ||
        conf_u64(v, "node.id", 1, UINT64_MAX, &c->node_id, e))
        return -1;
    if (!(v = required(n, "address", "node", e)) ||
        conf_address(v, "node.address", &c->node_address, e))
        return -1;
    if (!(v = required(n, "data_dir", "node", e)) ||
        conf_str(v, "node.data_dir", &c->data_dir, e))
        return -1;
    return 0;
}

/* A new member must not repeat an earlier id or address. */
static int unique_member(const struct skv_config *c,
                         const struct conf_node *id_n,
                         const struct conf_node *addr_n, struct conf_err *e)
{
    const struct skv_conf_member *m = &c->bootstrap[c->n_bootstrap];
    size_t i;
    char q[64];
    for (i = 0; i < c->n_bootstrap; i++) {
        const struct skv_conf_member *o = &c->bootstrap[i];
        if (o->id == m->id)
            return conf_errf(e, &id_n->pos,
                             "duplicate node id %" PRIu64 " in 'cluster.bootstrap' "
                             "(first at %u:%u)", m->id, o->pos.line, o->pos.col);
        if (!strcmp(o->address, m->address))
            return conf_errf(e, &addr_n->pos,
                             "duplicate address '%s' in 'cluster.bootstrap' "
                             "(first at %u:%u)", conf_quote(m->address, q, sizeof q),
                             o->pos.line, o->pos.col);
    }
    return 0;
}

static int parse_member(const struct conf_node *n, size_t idx,
                        struct skv_config *c, struct conf_err *e)
{
    static const char *const keys[] = {"id", "address", NULL};
    struct skv_conf_member *m = &c->bootstrap[c->n_bootstrap];
    const struct conf_node *id_n, *addr_n;
    char what[64], field[80];
    snprintf(what, sizeof what, "cluster.bootstrap[%zu]", idx);
    if (conf_expect(n, CONF_MAP, what, e) || conf_keys(n, what, keys, e))
        return -1;
    m->pos = n->pos;
    snprintf(field, sizeof field, "%s.id", what);
    if (!(id_n = required(n, "id", what, e)) ||
        conf_u64(id_n, field, 1, UINT64_MAX, &m->id, e))
        return -1;
    snprintf(field, sizeof field, "%s.address", what);
    if (!(addr_n = required(n, "address", what, e)) ||
        conf_address(addr_n, field, &m->address, e))
        return -1;
    if (unique_member(c, id_n, addr_n, e))
        return -1;
    c->n_bootstrap++;
    return 0;
}

/* Once node and bootstrap are read: this node must be a member, with
 * the same address, whenever a bootstrap list is given. */
static int check_self(const struct conf_node *boot, const struct skv_config *c,
                      struct conf_err *e)
{
    size_t i;
    char q1[64], q2[64];
    if (!c->n_bootstrap)
        return 0;
    for (i = 0; i < c->n_bootstrap; i++) {
        const struct skv_conf_member *m = &c->bootstrap[i];
        if (m->id != c->node_id)
            continue;
        if (!strcmp(m->address, c->node_address))
            return 0;
        return conf_errf(e, &conf_map_get(boot->items[i], "address")->pos,
                         "'cluster.bootstrap' lists this node (id %" PRIu64
                         ") at '%s' but 'node.address' is '%s'", m->id,
                         conf_quote(m->address, q1, sizeof q1),
                         conf_quote(c->node_address, q2, sizeof q2));
    }
    return conf_errf(e, &boot->pos,
                     "this node (id %" PRIu64 ") is not listed in "
                     "'cluster.bootstrap'", c->node_id);
}

static int parse_cluster(const struct conf_node *n, struct skv_config *c,
                         struct conf_err *e)
{
    static const char *const keys[] = {"bootstrap", NULL};
    const struct conf_node *b;
    size_t i;
    int s = section(n, "cluster", keys, e);
    if (s <= 0)
        return s;
    b = conf_map_get(n, "bootstrap");
    if (!b || conf_is_null(b))
        return 0;
    if (conf_seq(b, "cluster.bootstrap", SKV_MAX_BOOTSTRAP, e))
        return -1;
    for (i = 0; i < b->n; i++)
        if (parse_member(b->items[i], i, c, e))
            return -1;
    return check_self(b, c, e);
}

/* encryption.previous_kek_files: null or a list of paths. */
static int parse_prev_keks(const struct conf_node *n, struct skv_config *c,
                           struct conf_err *e)
{
    char what[64];
    size_t i;
    if (!n || conf_is_null(n))
        return 0;
    if (conf_seq(n, "encryption.previous_kek_files", SKV_MAX_PREV_KEKS, e))
        return -1;
    for (i = 0; i < n->n; i++) {
        snprintf(what, sizeof what, "encryption.previous_kek_files[%zu]", i);
        if (conf_str(n->items[i], what, &c->prev_kek_files[i], e))
            return -1;
        c->n_prev_kek_files = i + 1;
    }
    return 0;
}

static int parse_encryption(const struct conf_node *n, struct skv_config *c,
                            struct conf_err *e)
{
    static const char *const keys[] = {"enabled", "kek_file", "previous_kek_files",
                                       "kek_pkcs11", "previous_kek_pkcs11",
                                       "rotate_after", "seal_key_names", NULL};
    const struct conf_node *v;
    int s = section(n, "encryption", keys, e);
    if (s <= 0)
        return s;
    if ((v = conf_map_get(n, "enabled")) &&
        conf_bool(v, "encryption.enabled", &c->enc_enabled, e))
        return -1;
    if ((v = conf_map_get(n, "kek_file"))) {
        if (conf_str(v, "encryption.kek_file", &c->kek_file, e))
            return -1;
        c->kek_pos = v->pos;
    }
    if (parse_prev_keks(conf_map_get(n, "previous_kek_files"), c, e) ||
        conf_pkcs11_apply(conf_map_get(n, "kek_pkcs11"), "encryption.kek_pkcs11",
                          &c->kek_pkcs11, e) ||
        conf_pkcs11_apply(conf_map_get(n, "previous_kek_pkcs11"),
                          "encryption.previous_kek_pkcs11", &c->prev_kek_pkcs11, e))
        return -1;
    if (c->kek_file && c->kek_pkcs11.set) {
        conf_errf(e, &conf_map_get(n, "kek_pkcs11")->pos, "encryption.kek_file and "
                  "encryption.kek_pkcs11 both name the current KEK: set one (keep the "
                  "other as previous_kek_files / previous_kek_pkcs11 while rewrapping)");
        return -1;
    }
    /* automatic DEK rotation by age: 1 s (tests) .. 10 years; absent = off */
    if ((v = conf_map_get(n, "rotate_after")) && !conf_is_null(v) &&
        conf_duration(v, "encryption.rotate_after", 1, 3650ull * 86400u,
                      &c->enc_rotate_after_ms, e))
        return -1;
    /* sealed key names, switched on by the leader once both phases are on */
    if ((v = conf_map_get(n, "seal_key_names")) &&
        conf_bool(v, "encryption.seal_key_names", &c->enc_seal_key_names, e))
        return -1;
    return 0;
}

static int parse_raft(const struct conf_node *n, struct skv_config *c,
                      struct conf_err *e)
{
    static const char *const keys[] = {"election_timeout_ms",
        "heartbeat_timeout_ms", "snapshot_threshold", "snapshot_trailing", NULL};
    const struct conf_node *el, *hb, *v;
    int s = section(n, "raft", keys, e);
    if (s <= 0)
        return s;
    if ((el = conf_map_get(n, "election_timeout_ms")) &&
        conf_uint(el, "raft.election_timeout_ms", 50, 60000,
                  &c->election_timeout_ms, e))
        return -1;
    if ((hb = conf_map_get(n, "heartbeat_timeout_ms")) &&
        conf_uint(hb, "raft.heartbeat_timeout_ms", 10, 30000,
                  &c->heartbeat_timeout_ms, e))
        return -1;
    if ((v = conf_map_get(n, "snapshot_threshold")) &&
        conf_uint(v, "raft.snapshot_threshold", 1, UINT_MAX,
                  &c->snapshot_threshold, e))
        return -1;
    if ((v = conf_map_get(n, "snapshot_trailing")) &&
        conf_uint(v, "raft.snapshot_trailing", 0, UINT_MAX,
                  &c->snapshot_trailing, e))
        return -1;
    if (c->heartbeat_timeout_ms > c->election_timeout_ms / 2)
        return conf_errf(e, hb ? &hb->pos : &el->pos,
                         "'raft.heartbeat_timeout_ms' (%u) must be at most half "
                         "of 'raft.election_timeout_ms' (%u)",
                         c->heartbeat_timeout_ms, c->election_timeout_ms);
    return 0;
}

static int parse_log(const struct conf_node *n, struct skv_config *c,
                     struct conf_err *e)
{
    static const char *const keys[] = {"level", NULL};
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    const struct conf_node *v;
    char q[64];
    int i, s = section(n, "log", keys, e);
    if (s <= 0 || !(v = conf_map_get(n, "level")))
        return s < 0 ? -1 : 0;
    if (v->kind != CONF_SCALAR)
        return conf_expect(v, CONF_SCALAR, "log.level", e);
    for (i = 0; i < 4; i++)
        if (!strcmp(v->text, levels[i])) {
            c->log_level = SKV_CONF_LOG_DEBUG + i;
            return 0;
        }
    return conf_errf(e, &v->pos, "'log.level' must be one of debug, info, "
                     "warn, error, got '%s'", conf_quote(v->text, q, sizeof q));
}

int conf_schema_apply(const struct conf_node *root, struct skv_config *c,
                      struct conf_err *e)
{
    static const char *const keys[] = {"node", "cluster", "plugins",
                                       "encryption", "raft", "log", NULL};
    static const struct skv_conf_pos top = {1, 1};
    const struct conf_node *v;
    if (!root || conf_is_null(root))
        return conf_errf(e, root ? &root->pos : &top,
                         "the configuration is empty (expected a mapping "
                         "with at least 'node')");
    if (root->kind != CONF_MAP)
        return conf_errf(e, &root->pos, "the configuration must be a mapping, "
                         "got %s", conf_kind_name(root->kind));
    if (conf_keys(root, NULL, keys, e))
        return -1;
    if (!(v = conf_map_get(root, "node")))
        return conf_errf(e, &root->pos, "missing required section 'node'");
    if (parse_node(v, c, e) ||
        parse_cluster(conf_map_get(root, "cluster"), c, e) ||
        ((v = conf_map_get(root, "plugins")) && conf_plugins_apply(v, c, e)) ||
        parse_encryption(conf_map_get(root, "encryption"), c, e) ||
        parse_raft(conf_map_get(root, "raft"), c, e) ||
        parse_log(conf_map_get(root, "log"), c, e))
        return -1;
    return 0;
}
