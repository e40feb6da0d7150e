/* SPDX-License-Identifier: MIT */
/*
 * snap_reader.c — records of a full snapshot read through a bounded
 * window (snap_reader.h).
 */
#include "fsm/snap_reader.h"

#include "util/bytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void skv_snap_rd_init(struct skv_snap_rd *rd, skv_snap_read_fn *read, void *arg, uint64_t total,
                      uint64_t from)
{
    memset(rd, 0, sizeof *rd);
    rd->read = read;
    rd->arg = arg;
    rd->total = total;
    rd->base = from;
}

void skv_snap_rd_free(struct skv_snap_rd *rd)
{
    free(rd->buf);
    rd->buf = NULL;
    rd->cap = rd->start = rd->end = 0;
}

/* At least n unconsumed bytes in the window (the caller checked that the
 * source holds them): 0, or -1. */
static int ensure(struct skv_snap_rd *rd, size_t n, char *err, size_t errlen)
{
    size_t have = rd->end - rd->start, want;
    uint64_t left;
    if (have >= n)
        return 0;
    if (rd->start > 0) {   /* slide what is left to the front */
        memmove(rd->buf, rd->buf + rd->start, have);
        rd->base += rd->start;
        rd->start = 0;
        rd->end = have;
    }
    if (n > rd->cap || !rd->buf) {
        size_t cap = n > SKV_SNAP_RD_WINDOW ? n : SKV_SNAP_RD_WINDOW;
        uint8_t *b = realloc(rd->buf, cap);
        if (!b) {
            snprintf(err, errlen, "snapshot reader: out of memory (%zu bytes)", cap);
            return -1;
        }
        rd->buf = b;
        rd->cap = cap;
    }
    left = rd->total - (rd->base + rd->end);
    want = rd->cap - rd->end < left ? rd->cap - rd->end : (size_t)left;
    if (want < n - have) {
        snprintf(err, errlen, "snapshot reader: truncated at %llu",
                 (unsigned long long)(rd->base + rd->end));
        return -1;
    }
    if (rd->read(rd->arg, rd->base + rd->end, rd->buf + rd->end, want, err, errlen) != 0)
        return -1;
    rd->end += want;
    return 0;
}

static int malformed(uint64_t pos, char *err, size_t errlen)
{
    snprintf(err, errlen, "snapshot record at %llu: malformed (lengths past the end or over "
             "%u bytes)", (unsigned long long)pos, SKV_SNAP_REC_MAX);
    return -1;
}

int skv_snap_rd_next(struct skv_snap_rd *rd, struct skv_snap_rec *r, char *err, size_t errlen)
{
    uint64_t pos = rd->base + rd->start, left = rd->total > pos ? rd->total - pos : 0;
    const uint8_t *p;
    uint32_t kl, vl;
    if (left == 0)
        return 0;
    if (left < 8)
        return malformed(pos, err, errlen);
    if (ensure(rd, 4, err, errlen) != 0)
        return -1;
    kl = skv_get_be32(rd->buf + rd->start);
    if (kl == 0 || kl > SKV_SNAP_REC_MAX || (uint64_t)kl + 8 > left)
        return malformed(pos, err, errlen);
    if (ensure(rd, 8 + (size_t)kl, err, errlen) != 0)
        return -1;
    vl = skv_get_be32(rd->buf + rd->start + 4 + kl);
    if (vl > SKV_SNAP_REC_MAX - kl || (uint64_t)kl + vl + 8 > left)
        return malformed(pos, err, errlen);
    if (ensure(rd, 8 + (size_t)kl + vl, err, errlen) != 0)
        return -1;
    p = rd->buf + rd->start;
    if (!skv_snap_owned_prefix(p[4])) {
        snprintf(err, errlen, "snapshot record at %llu: key prefix 0x%02x is not the FSM's",
                 (unsigned long long)pos, p[4]);
        return -1;
    }
    r->key = p + 4;
    r->key_len = kl;
    r->val = p + 8 + kl;
    r->val_len = vl;
    rd->start += 8 + (size_t)kl + vl;
    return 1;
}
