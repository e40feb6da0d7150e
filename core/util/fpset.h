/* SPDX-License-Identifier: MIT */
/*
 * fpset.h — a multiset of 64-bit key fingerprints (keyed SipHash-2-4,
 * libsodium's crypto_shorthash, under a random per-set seed, so a client
 * cannot choose keys that collide). It answers "is any key with this
 * fingerprint in the set": no means the key is certainly absent; yes
 * means present, or another key with the same fingerprint (a caller then
 * asks the store). Every add is one instance and every remove takes one
 * away, so two keys that collide are counted apart.
 * Open addressing with linear probing; removal shifts back (no tombstones).
 * Memory: 8 bytes a slot, at most 0.7 full (about 16 bytes a key). Not
 * thread-safe: one owner thread at a time. The seed is a hash-flooding
 * guard, not key material.
 *
 * Growth is incremental, so no single call costs time in proportion to
 * the set (a rehash of 1.5M keys stopped the loop thread 30-100 ms):
 * past 0.7 full the table doubles into a new one and the old one stays,
 * read-only but for removals, while each add and remove moves the next
 * SKV_FPSET_MOVE_STEP of its slots over. An old slot below `moved` has
 * been moved (it stays, to keep the old probe chains whole); one at or
 * above it still counts. A removal that finds its instance there marks
 * the slot SKV_FPSET_GONE. The old table is freed when the last slot is
 * moved — long before the new one is 0.7 full (it starts 0.35 full, and
 * each add moves 16 slots) — so a set holds both only while it grows:
 * about 24 bytes a key then.
 */
#ifndef SKV_FPSET_H
#define SKV_FPSET_H

#include <stddef.h>
#include <stdint.h>

#define SKV_FPSET_GONE UINT64_MAX /* a removed instance in the old table */
#define SKV_FPSET_MOVE_STEP 16     /* old slots moved by each add and remove */

struct skv_fpset {
    uint64_t *tab;            /* cap slots; 0 = empty (a fingerprint is never
                               * 0 nor SKV_FPSET_GONE) */
    size_t cap, n;            /* cap: 0 or a power of two; n: instances in all */
    uint64_t *old;            /* the table being moved into tab, or NULL */
    size_t old_cap, moved;    /* old's slots below `moved` are in tab */
    unsigned char seed[16];   /* crypto_shorthash key, random per set */
};

/* An empty set with a fresh random seed (libsodium initialised). */
void skv_fpset_init(struct skv_fpset *s);
void skv_fpset_free(struct skv_fpset *s);

/* The fingerprint of a key under this set's seed (never 0 nor
 * SKV_FPSET_GONE). */
uint64_t skv_fpset_fp(const struct skv_fpset *s, const uint8_t *key, size_t len);

/* 1 if an instance of fp is in the set, else 0. */
int skv_fpset_has(const struct skv_fpset *s, uint64_t fp);
/* Add one instance of fp: 0, or -1 out of memory or fp reserved (0,
 * SKV_FPSET_GONE); the set is then unchanged. */
int skv_fpset_add(struct skv_fpset *s, uint64_t fp);
/* Remove one instance of fp: 1 removed, 0 none was there. */
int skv_fpset_del(struct skv_fpset *s, uint64_t fp);

#endif /* SKV_FPSET_H */
