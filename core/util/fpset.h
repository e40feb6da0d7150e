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
 */
#ifndef SKV_FPSET_H
#define SKV_FPSET_H

#include <stddef.h>
#include <stdint.h>

struct skv_fpset {
    uint64_t *tab;            /* cap slots; 0 = empty (a fingerprint is never 0) */
    size_t cap, n;            /* cap: 0 or a power of two */
    unsigned char seed[16];   /* crypto_shorthash key, random per set */
};

/* An empty set with a fresh random seed (libsodium initialised). */
void skv_fpset_init(struct skv_fpset *s);
void skv_fpset_free(struct skv_fpset *s);

/* The fingerprint of a key under this set's seed (never 0). */
uint64_t skv_fpset_fp(const struct skv_fpset *s, const uint8_t *key, size_t len);

/* 1 if an instance of fp is in the set, else 0. */
int skv_fpset_has(const struct skv_fpset *s, uint64_t fp);
/* Add one instance of fp: 0, or -1 out of memory (the set is unchanged). */
int skv_fpset_add(struct skv_fpset *s, uint64_t fp);
/* Remove one instance of fp: 1 removed, 0 none was there. */
int skv_fpset_del(struct skv_fpset *s, uint64_t fp);

#endif /* SKV_FPSET_H */
