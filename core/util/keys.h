/* SPDX-License-Identifier: MIT */
/*
 * keys.h — the storage key space: one store, disjoint prefixes (first
 * byte). Everything the node persists lives under exactly one of these.
 * Integers inside keys are big-endian so iteration order = numeric order.
 */
#ifndef SKV_KEYS_H
#define SKV_KEYS_H

#define SKV_PFX_RAFT_META 0x01   /* + "hard" → term + vote (raft_log_store.h) */
#define SKV_PFX_RAFT_LOG 0x02    /* + u64 index BE  → encoded raft_entry */
#define SKV_PFX_RAFT_SNAP 0x03   /* + "meta" | "data" (chunked: + u32 BE) */
#define SKV_PFX_NODE 0x04        /* + "ident" | "peer" u64 BE (store_ident.h) */
#define SKV_PFX_FSM_DATA 0x10    /* + user key      → stored value record */
#define SKV_PFX_FSM_META 0x11    /* + "applied"     → u64 BE applied index,
                                    "encidx", "mark" u64 BE, "gapto" (fsm_gap.h) */
#define SKV_PFX_WRITERS 0x12     /* + u32 key_id BE + u16 node_id16 BE */
#define SKV_PFX_ENC_SNAP 0x13    /* snapshot-only record: encryption state (fsm_snapshot.c) */
#define SKV_PFX_FSM_REV 0x14     /* + user key      → revision record (fsm_rev.h):
                                    [ver u8 = 1][mod u64 BE][create u64 BE] */
/* Sealed key names (encryption.seal_key_names, docs/SECURITY.md "Key
 * names"; crypto/names.h): the user key is never part of the store key. */
#define SKV_PFX_NAMED_DATA 0x15  /* + BLAKE2b-256(name key, user key) → value record
                                    whose sealed plaintext carries the name */
#define SKV_PFX_NAMED_REV 0x16   /* + the same 32-byte hash → revision record */

#endif
