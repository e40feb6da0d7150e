/* SPDX-License-Identifier: MIT */
/*
 * peer_ident.h — peers refuse a member whose store identity changed
 * (docs/DURABILITY.md). Every version-2 raft frame carries its sender's
 * store identity (wire.h). The first one seen from a member of the
 * configuration is recorded durably (store_ident.h); a later frame from
 * that id with another identity is dropped (reason
 * store_identity_changed: logged, counted), so a node that came back
 * blank under an old id gets no vote counted and no acknowledgement
 * counted, and cannot lead. A record is forgotten when this node stores a
 * configuration without that id (members remove) or installs a snapshot
 * (it may skip a remove + add): then the next frame records again.
 * Version-1 raft frames (older nodes) carry no identity and pass.
 */
#ifndef SKV_PEER_IDENT_H
#define SKV_PEER_IDENT_H

#include <raft.h>
#include <stdint.h>

#include "node/store_ident.h"
#include "wire/wire.h"

#define SKV_PEER_IDENT_CACHE 16

/* Checked identities, so a frame costs no storage read (node.h). */
struct skv_peer_ident_cache {
    struct {
        uint64_t id;
        uint8_t ident[SKV_IDENT_LEN];
    } e[SKV_PEER_IDENT_CACHE];
    unsigned n;
};

struct skv_node;

/* 0: admit; 1: drop (detail says why). Loop thread. */
int skv_peer_ident_admit(struct skv_node *n, uint64_t from, const struct skv_frame *f,
                         char *detail, size_t dlen);

/* raft_io's conf_seen hook (arg: the node). */
void skv_peer_ident_conf_seen(void *arg, const struct raft_configuration *conf);

#endif
