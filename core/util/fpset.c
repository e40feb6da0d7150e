/* SPDX-License-Identifier: MIT */
/*
 * fpset.c — the key fingerprint multiset (fpset.h).
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
    s->tab = NULL;
    s->cap = s->n = 0;
}

uint64_t skv_fpset_fp(const struct skv_fpset *s, const uint8_t *key, size_t len)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t fp;
    crypto_shorthash(out, key, len, s->seed);
    fp = skv_get_be64(out);
    return fp ? fp : 1;
}

/* The home slot of fp: its low bits (SipHash output is uniform). */
static size_t home(const struct skv_fpset *s, uint64_t fp)
{
    return (size_t)fp & (s->cap - 1);
}

int skv_fpset_has(const struct skv_fpset *s, uint64_t fp)
{
    size_t i;
    if (!s->cap)
        return 0;
    for (i = home(s, fp); s->tab[i]; i = (i + 1) & (s->cap - 1))
        if (s->tab[i] == fp)
            return 1;
    return 0;
}

static void put(uint64_t *tab, size_t cap, uint64_t fp)
{
    size_t i = (size_t)fp & (cap - 1);
    while (tab[i])
        i = (i + 1) & (cap - 1);
    tab[i] = fp;
}

/* Room for one more at most 0.7 full: 0, or -1 out of memory. */
static int reserve(struct skv_fpset *s)
{
    size_t cap, i;
    uint64_t *tab;
    if (s->cap && (s->n + 1) * 10 <= s->cap * 7)
        return 0;
    cap = s->cap ? s->cap * 2 : 1024;
    if (cap < s->cap || !(tab = calloc(cap, sizeof *tab)))
        return -1;
    for (i = 0; i < s->cap; i++)
        if (s->tab[i])
            put(tab, cap, s->tab[i]);
    free(s->tab);
    s->tab = tab;
    s->cap = cap;
    return 0;
}

int skv_fpset_add(struct skv_fpset *s, uint64_t fp)
{
    if (!fp || reserve(s) != 0)
        return -1;
    put(s->tab, s->cap, fp);
    s->n++;
    return 0;
}

/* Backward-shift deletion: each entry after the hole that may move into
 * it (its home is not cyclically within (hole, j]) moves, until an empty
 * slot ends the run. */
int skv_fpset_del(struct skv_fpset *s, uint64_t fp)
{
    size_t mask = s->cap - 1, i, j;
    if (!s->cap)
        return 0;
    for (i = home(s, fp); s->tab[i] != fp; i = (i + 1) & mask)
        if (!s->tab[i])
            return 0;
    for (j = (i + 1) & mask; s->tab[j]; j = (j + 1) & mask) {
        size_t h = home(s, s->tab[j]);
        int stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (!stays) {
            s->tab[i] = s->tab[j];
            i = j;
        }
    }
    s->tab[i] = 0;
    s->n--;
    return 1;
}
