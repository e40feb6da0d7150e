/* SPDX-License-Identifier: MIT */
/*
 * fpset.c — the key fingerprint multiset (fpset.h): probing, backward-
 * shift removal, and incremental growth from an old table to a new one.
 */
#include "util/fpset.h"
#include "util/bytes.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void skv_fpset_init(struct skv_fpset *s)
{
    memset(s, 0, sizeof *s);
    randombytes_buf(s->seed, sizeof s->seed);
}

void skv_fpset_free(struct skv_fpset *s)
{
    free(s->tab);
    free(s->old);
    s->tab = s->old = NULL;
    s->cap = s->n = s->old_cap = s->moved = 0;
}

uint64_t skv_fpset_fp(const struct skv_fpset *s, const uint8_t *key, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t fp;
    crypto_shorthash(out, key, len, s->seed);
    fp = skv_get_be64(out);
    return fp == 0 ? 1 : fp == SKV_FPSET_GONE ? SKV_FPSET_GONE - 1 : fp;
}

/* The slot of fp's instance in tab (cap slots, a power of two), or cap. */
static size_t find(const uint64_t *tab, size_t cap, uint64_t fp)
{
    size_t i;
    for (i = (size_t)fp & (cap - 1); tab[i]; i = (i + 1) & (cap - 1))
        if (tab[i] == fp)
            return i;
    return cap;
}

/* The slot of an instance of fp the old table still counts, or old_cap.
 * The probe walks through moved and GONE slots: they keep chains whole. */
static size_t find_old(const struct skv_fpset *s, uint64_t fp)
{
    size_t i, mask = s->old_cap - 1;
    for (i = (size_t)fp & mask; s->old[i]; i = (i + 1) & mask)
        if (s->old[i] == fp && i >= s->moved)
            return i;
    return s->old_cap;
}

int skv_fpset_has(const struct skv_fpset *s, uint64_t fp)
{
    if (!fp || fp == SKV_FPSET_GONE)
        return 0;
    if (s->cap && find(s->tab, s->cap, fp) < s->cap)
        return 1;
    return s->old && find_old(s, fp) < s->old_cap;
}

static void put(uint64_t *tab, size_t cap, uint64_t fp)
{
    size_t i = (size_t)fp & (cap - 1);
    while (tab[i])
        i = (i + 1) & (cap - 1);
    tab[i] = fp;
}

/* Move up to `slots` of the old table's slots into tab; free it after
 * its last one. */
static void move_step(struct skv_fpset *s, size_t slots)
{
    for (; s->old && slots > 0 && s->moved < s->old_cap; slots--, s->moved++) {
        uint64_t v = s->old[s->moved];
        if (v && v != SKV_FPSET_GONE)
            put(s->tab, s->cap, v);
    }
    if (s->old && s->moved == s->old_cap) {
        free(s->old);
        s->old = NULL;
        s->old_cap = s->moved = 0;
    }
}

/* Room for one more at most 0.7 full: 0, or -1 out of memory. A table
 * past it becomes the old one (a growth still under way is finished
 * first; by the arithmetic in fpset.h it has always ended by then). */
static int reserve(struct skv_fpset *s)
{
    size_t cap;
    uint64_t *tab;
    if (s->cap && (s->n + 1) * 10 <= s->cap * 7)
        return 0;
    cap = s->cap ? s->cap * 2 : 1024;
    if (cap < s->cap || !(tab = calloc(cap, sizeof *tab)))
        return -1;
    move_step(s, SIZE_MAX);
    s->old = s->tab; /* NULL for the first table */
    s->old_cap = s->old ? s->cap : 0;
    s->moved = 0;
    s->tab = tab;
    s->cap = cap;
    return 0;
}

int skv_fpset_add(struct skv_fpset *s, uint64_t fp)
{
    if (!fp || fp == SKV_FPSET_GONE || reserve(s) != 0)
        return -1;
    move_step(s, SKV_FPSET_MOVE_STEP);
    put(s->tab, s->cap, fp);
    s->n++;
    return 0;
}

/* Backward-shift deletion of slot i: each entry after the hole that may
 * move into it (its home is not cyclically within (hole, j]) moves,
 * until an empty slot ends the run. */
static void shift_out(uint64_t *tab, size_t cap, size_t i)
{
    size_t mask = cap - 1, j;
    for (j = (i + 1) & mask; tab[j]; j = (j + 1) & mask) {
        size_t h = (size_t)tab[j] & mask;
        int stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (!stays) {
            tab[i] = tab[j];
            i = j;
        }
    }
    tab[i] = 0;
}

int skv_fpset_del(struct skv_fpset *s, uint64_t fp)
{
    size_t i;
    if (!s->cap || !fp || fp == SKV_FPSET_GONE)
        return 0;
    move_step(s, SKV_FPSET_MOVE_STEP);
    if ((i = find(s->tab, s->cap, fp)) < s->cap)
        shift_out(s->tab, s->cap, i);
    else if (s->old && (i = find_old(s, fp)) < s->old_cap)
        s->old[i] = SKV_FPSET_GONE;
    else
        return 0;
    s->n--;
    return 1;
}
