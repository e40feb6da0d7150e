/* SPDX-License-Identifier: MIT */
/*
 * snap_iter.c — the full form of a local snapshot, produced piece by
 * piece from its storage view (snap_iter.h). A record is produced from
 * the storage iterator's own key and value (valid until the next step),
 * so nothing bigger than one record is ever held.
 */
#include "fsm/snap_iter.h"

#include "fsm/snap_hdr.h"
#include "util/bytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PH_HEADER, PH_RECORDS, PH_TAIL, PH_END };

struct skv_snap_iter {
    const struct skv_storage_ops *st;
    void *db, *view;
    int phase;
    uint8_t hdr[SKV_SNAP_HDR_MAX];
    size_t hdr_len;
    uint8_t *tail;          /* the local snapshot's body: its encryption record */
    size_t tail_len;
    size_t off;             /* in the header, the current record or the tail */
    size_t pfx_i;           /* skv_snap_prefixes[pfx_i] is being read */
    void *it;               /* storage iterator over that prefix, or NULL */
    int have_rec;           /* rec_* hold the iterator's current record */
    uint8_t klen4[4], vlen4[4];
    const uint8_t *k, *v;
    size_t kl, vl;
    uint64_t pos;
};

/* Copy from src[*off..len) into dst (NULL: count only); returns bytes. */
static size_t emit(const uint8_t *src, size_t len, size_t *off, uint8_t *dst, size_t room)
{
    size_t n = len - *off < room ? len - *off : room;
    if (dst && n)
        memcpy(dst, src + *off, n);
    *off += n;
    return n;
}

/* The current record's bytes from it->off, as the four parts it is made of. */
static size_t emit_record(struct skv_snap_iter *it, uint8_t *dst, size_t room)
{
    const uint8_t *parts[4] = {it->klen4, it->k, it->vlen4, it->v};
    size_t lens[4] = {4, it->kl, 4, it->vl}, base = 0, done = 0, i;
    for (i = 0; i < 4 && done < room; base += lens[i], i++) {
        size_t o;
        if (it->off >= base + lens[i])
            continue;
        o = it->off - base;
        done += emit(parts[i], lens[i], &o, dst ? dst + done : NULL, room - done);
        it->off = base + o;
    }
    return done;
}

/* Load the record at the iterator (1), or move to the next prefix (0);
 * RAFT_IOERR with a message. */
static int load_record(struct skv_snap_iter *it, char *errmsg, size_t errlen)
{
    const struct skv_storage_ops *st = it->st;
    struct skv_err e = {0, ""};
    uint8_t pfx = skv_snap_prefixes[it->pfx_i];
    if (!it->it) {
        if (st->iter_new(it->db, it->view, &it->it, &e) != SKV_OK) {
            it->it = NULL;
            snprintf(errmsg, errlen, "snapshot iterator: %s", e.msg);
            return RAFT_IOERR;
        }
        st->iter_seek(it->it, &pfx, 1);
    }
    if (st->iter_valid(it->it)) {
        it->k = st->iter_key(it->it, &it->kl);
        if (it->kl > 0 && it->k[0] == pfx) {
            it->v = st->iter_value(it->it, &it->vl);
            if (it->kl > UINT32_MAX || it->vl > UINT32_MAX) {
                snprintf(errmsg, errlen, "snapshot iterator: a record over 4 GiB");
                return RAFT_IOERR;
            }
            skv_put_be32(it->klen4, (uint32_t)it->kl);
            skv_put_be32(it->vlen4, (uint32_t)it->vl);
            it->have_rec = 1;
            it->off = 0;
            return 1;
        }
    }
    if (st->iter_status(it->it, &e) != SKV_OK) {
        snprintf(errmsg, errlen, "snapshot iterator: %s", e.msg);
        return RAFT_IOERR;
    }
    st->iter_free(it->it);
    it->it = NULL;
    if (++it->pfx_i == SKV_SNAP_N_PREFIXES) {
        it->phase = PH_TAIL;
        it->off = 0;
    }
    return 0;
}

/* Produce up to `room` bytes into dst (NULL: count only). */
static int fill(struct skv_snap_iter *it, uint8_t *dst, size_t room, size_t *n, char *errmsg,
                size_t errlen)
{
    size_t done = 0;
    int rc;
    while (done < room && it->phase != PH_END) {
        uint8_t *d = dst ? dst + done : NULL;
        if (it->phase == PH_HEADER) {
            done += emit(it->hdr, it->hdr_len, &it->off, d, room - done);
            if (it->off == it->hdr_len) {
                it->phase = PH_RECORDS;
                it->off = 0;
            }
        } else if (it->phase == PH_RECORDS && !it->have_rec) {
            if ((rc = load_record(it, errmsg, errlen)) < 0)
                return rc;
        } else if (it->phase == PH_RECORDS) {
            done += emit_record(it, d, room - done);
            if (it->off == 8 + it->kl + it->vl) {
                it->have_rec = 0;
                it->st->iter_next(it->it);
            }
        } else {
            done += emit(it->tail, it->tail_len, &it->off, d, room - done);
            if (it->off == it->tail_len)
                it->phase = PH_END;
        }
    }
    it->pos += done;
    *n = done;
    return 0;
}

int skv_snap_iter_open(const struct skv_storage_ops *st, void *db, const struct skv_snap_view *v,
                       const uint8_t *stored, size_t stored_len, struct skv_snap_iter **out,
                       char *errmsg, size_t errlen)
{
    struct skv_snap_iter *it;
    struct skv_snap_hdr h;
    *out = NULL;
    if (skv_snap_hdr_parse(stored, stored_len, &h, errmsg, errlen) != 0)
        return RAFT_CORRUPT;
    if (h.version < 3)
        return 1;
    if (h.version != 3 || !v || v->index != h.applied) {
        snprintf(errmsg, errlen, "local snapshot %llu: no storage view at that index yet",
                 (unsigned long long)h.applied);
        return RAFT_BUSY;
    }
    if (!(it = calloc(1, sizeof *it)) ||
        !(it->tail = malloc(stored_len - h.body_off ? stored_len - h.body_off : 1))) {
        free(it);
        snprintf(errmsg, errlen, "snapshot iterator: out of memory");
        return RAFT_NOMEM;
    }
    it->st = st;
    it->db = db;
    it->view = v->view;
    it->hdr_len = skv_snap_hdr_write(it->hdr, h.cutover, h.applied);
    it->tail_len = stored_len - h.body_off;
    if (it->tail_len)
        memcpy(it->tail, stored + h.body_off, it->tail_len);
    *out = it;
    return 0;
}

int skv_snap_iter_next(struct skv_snap_iter *it, uint8_t *buf, size_t cap, size_t *n,
                       char *errmsg, size_t errlen)
{
    *n = 0;
    if (!buf || cap == 0) {
        snprintf(errmsg, errlen, "snapshot iterator: no buffer");
        return RAFT_INVALID;
    }
    return fill(it, buf, cap, n, errmsg, errlen);
}

uint64_t skv_snap_iter_pos(const struct skv_snap_iter *it)
{
    return it->pos;
}

void skv_snap_iter_close(struct skv_snap_iter *it)
{
    if (!it)
        return;
    if (it->it)
        it->st->iter_free(it->it);
    free(it->tail);
    free(it);
}

int skv_snap_full_size(const struct skv_storage_ops *st, void *db, const struct skv_snap_view *v,
                       const uint8_t *stored, size_t stored_len, uint64_t *size, char *errmsg,
                       size_t errlen)
{
    struct skv_snap_iter *it;
    size_t n;
    int rc = skv_snap_iter_open(st, db, v, stored, stored_len, &it, errmsg, errlen);
    *size = 0;
    if (rc != 0)
        return rc;
    do
        rc = fill(it, NULL, SIZE_MAX, &n, errmsg, errlen);
    while (rc == 0 && it->phase != PH_END);
    *size = it->pos;
    skv_snap_iter_close(it);
    return rc;
}
