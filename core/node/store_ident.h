/* SPDX-License-Identifier: MIT */
/*
 * store_ident.h — the store's durable identity (docs/DURABILITY.md):
 * the "initialised" mark written exactly once when a node's store is
 * created (first start, --init), and the store identities of peers as
 * this node first saw them (peer_ident.c checks frames against them).
 *
 * Records, under SKV_PFX_NODE (keys.h), each one synced batch:
 *   NODE "ident"           [u8 fmt=1][3 zero][u32 crc][u64 node_id]
 *                          [16 identity][u64 created unix ms]
 *   NODE "peer" u64 id BE  [u8 fmt=1][3 zero][u32 crc][16 identity]
 * crc covers the key, bytes 0..3 and 8..end (a record moved to another
 * key fails). Integers LE. A damaged record is RAFT_CORRUPT.
 * Functions return 0 or a RAFT_* code with a message in errmsg
 * (RAFT_ERRMSG_BUF_SIZE bytes).
 */
#ifndef SKV_STORE_IDENT_H
#define SKV_STORE_IDENT_H

#include <stdint.h>

#include "raftio/raft_log_store.h"

#define SKV_IDENT_LEN 16

struct skv_ident {
    uint64_t node_id;
    uint8_t id[SKV_IDENT_LEN];   /* random, never all zero */
    uint64_t created_ms;
};

/* The mark: 0 with *found = 1 and *out filled, or *found = 0. */
int skv_ident_read(const struct skv_ls *ls, struct skv_ident *out,
                   int *found, char *errmsg);
/* A new random identity for node_id, written (synced) as the mark. */
int skv_ident_create(const struct skv_ls *ls, uint64_t node_id,
                     struct skv_ident *out, char *errmsg);

/* Does the store hold any Raft state (hard state, entry or snapshot)? */
int skv_ident_raft_state(const struct skv_ls *ls, int *any, char *errmsg);

/* Peer records: get (found 0/1), put, delete one, list the ids. */
int skv_ident_peer_get(const struct skv_ls *ls, uint64_t peer,
                       uint8_t id[SKV_IDENT_LEN], int *found, char *errmsg);
int skv_ident_peer_put(const struct skv_ls *ls, uint64_t peer,
                       const uint8_t id[SKV_IDENT_LEN], char *errmsg);
int skv_ident_peer_del(const struct skv_ls *ls, uint64_t peer, char *errmsg);
/* Up to `max` recorded peer ids into ids[]; *n the count stored. */
int skv_ident_peer_ids(const struct skv_ls *ls, uint64_t *ids, size_t max,
                       size_t *n, char *errmsg);

/* "0123…" lower-case hex of an identity; out holds 2*LEN+1 bytes. */
void skv_ident_hex(const uint8_t id[SKV_IDENT_LEN], char *out);

#endif
