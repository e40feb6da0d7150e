/* SPDX-License-Identifier: MIT */
/*
 * peer_ident.c — admission of raft frames by the sender's store identity
 * and forgetting identities of removed members (see peer_ident.h).
 */
#include "peer/peer_ident.h"
#include "util/log.h"
#include "node/node.h"

#include <stdio.h>
#include <string.h>

static int in_conf(const struct raft_configuration *c, uint64_t id)
{
    for (unsigned i = 0; c && i < c->n; i++)
        if (c->servers[i].id == id)
            return 1;
    return 0;
}

static const uint8_t *cache_get(const struct skv_peer_ident_cache *c, uint64_t id)
{
    for (unsigned i = 0; i < c->n; i++)
        if (c->e[i].id == id)
            return c->e[i].ident;
    return NULL;
}

static void cache_put(struct skv_peer_ident_cache *c, uint64_t id, const uint8_t *ident)
{
    unsigned i = c->n < SKV_PEER_IDENT_CACHE ? c->n++ : (unsigned)(id % SKV_PEER_IDENT_CACHE);
    c->e[i].id = id;
    memcpy(c->e[i].ident, ident, SKV_IDENT_LEN);
}

/* The identity recorded for `from` (recording f's when there is none). */
static int recorded(struct skv_node *n, uint64_t from, const uint8_t *seen, uint8_t *out)
{
    struct skv_ls ls = {n->st, n->db};
    char emsg[RAFT_ERRMSG_BUF_SIZE], hex[2 * SKV_IDENT_LEN + 1];
    int found = 0;
    if (skv_ident_peer_get(&ls, from, out, &found, emsg) != 0) {
        skv_node_log(n, SKV_LOG_ERROR, "peer %llu store identity: %s",
                     (unsigned long long)from, emsg);
        return -1;
    }
    if (found)
        return 0;
    if (skv_ident_peer_put(&ls, from, seen, emsg) != 0) {
        skv_node_log(n, SKV_LOG_ERROR, "peer %llu store identity: %s",
                     (unsigned long long)from, emsg);
        return -1;
    }
    memcpy(out, seen, SKV_IDENT_LEN);
    skv_ident_hex(seen, hex);
    skv_node_log(n, SKV_LOG_INFO, "recorded the store identity of node %llu: %s",
                 (unsigned long long)from, hex);
    return 0;
}

int skv_peer_ident_admit(struct skv_node *n, uint64_t from, const struct skv_frame *f,
                         char *detail, size_t dlen)
{
    uint8_t rec[SKV_IDENT_LEN];
    const uint8_t *c;
    char a[2 * SKV_IDENT_LEN + 1], b[2 * SKV_IDENT_LEN + 1];
    if (f->type != SKV_FRAME_RAFT || !f->has_ident || !in_conf(&n->raft.configuration, from))
        return 0;
    if ((c = cache_get(&n->peer_idents, from)) == NULL) {
        if (recorded(n, from, f->store_ident, rec) != 0) {
            snprintf(detail, dlen, "cannot read or record its store identity");
            return 1;   /* fail closed: an unchecked vote is not counted */
        }
        cache_put(&n->peer_idents, from, rec);
        c = cache_get(&n->peer_idents, from);
    }
    if (memcmp(c, f->store_ident, SKV_IDENT_LEN) == 0)
        return 0;
    skv_ident_hex(c, a);
    skv_ident_hex(f->store_ident, b);
    snprintf(detail, dlen, "store identity changed (recorded %s, now %s): node %llu lost its "
             "store; remove it and add it back (sealkvd(8) REPLACING A DISK)", a, b,
             (unsigned long long)from);
    return 1;
}

void skv_peer_ident_conf_seen(void *arg, const struct raft_configuration *conf)
{
    struct skv_node *n = arg;
    struct skv_ls ls = {n->st, n->db};
    char emsg[RAFT_ERRMSG_BUF_SIZE];
    uint64_t ids[64];
    size_t i, k = 0;
    if (skv_ident_peer_ids(&ls, ids, 64, &k, emsg) != 0) {
        skv_node_log(n, SKV_LOG_ERROR, "peer store identities: %s", emsg);
        return;
    }
    for (i = 0; i < k; i++) {
        if (conf && in_conf(conf, ids[i]))
            continue;
        if (skv_ident_peer_del(&ls, ids[i], emsg) != 0)
            skv_node_log(n, SKV_LOG_ERROR, "peer store identities: %s", emsg);
        else
            skv_node_log(n, SKV_LOG_INFO, "forgot the store identity of node %llu (%s)",
                         (unsigned long long)ids[i],
                         conf ? "no longer a member" : "snapshot installed");
    }
    n->peer_idents.n = 0;
}
