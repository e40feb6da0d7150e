/* SPDX-License-Identifier: MIT */
/*
 * snap_iter.c — the full form of a local snapshot in pieces of exactly the
 * size asked for (snap_iter.h), over the record producer shared with
 * backups (snap_stream.h): whole records are staged in a buffer of at
 * most one piece plus one record, and handed out piece by piece.
 */
#include "fsm/snap_iter.h"

#include "fsm/snap_hdr.h"
#include "fsm/snap_stream.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct skv_snap_iter {
    struct skv_snap_stream *s;
    struct skv_buf stage;    /* produced, not handed out: stage.p[off..len) */
    size_t off;
    int ended;               /* the stream produced its last bytes */
    uint64_t pos;
};

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
    if (!(it = calloc(1, sizeof *it))) {
        snprintf(errmsg, errlen, "snapshot iterator: out of memory");
        return RAFT_NOMEM;
    }
    /* the local snapshot's body is its encryption record, as captured */
    if (skv_snap_stream_open(&it->s, st, db, v->view, h.cutover, h.applied,
                             stored + h.body_off, stored_len - h.body_off, errmsg,
                             errlen) != 0) {
        free(it);
        return RAFT_IOERR;
    }
    *out = it;
    return 0;
}

/* At least `want` staged bytes, or every byte left: 0, or RAFT_IOERR. */
static int stage(struct skv_snap_iter *it, size_t want, char *errmsg, size_t errlen)
{
    while (!it->ended && it->stage.len - it->off < want) {
        size_t have = it->stage.len - it->off;
        int rc;
        if (it->off > 0) {   /* slide what is left to the front */
            memmove(it->stage.p, it->stage.p + it->off, have);
            it->stage.len = have;
            it->off = 0;
        }
        rc = skv_snap_stream_next(it->s, &it->stage, want - have, errmsg, errlen);
        if (rc < 0)
            return RAFT_IOERR;
        it->ended = rc == 0;
    }
    return 0;
}

int skv_snap_iter_next(struct skv_snap_iter *it, uint8_t *buf, size_t cap, size_t *n,
                       char *errmsg, size_t errlen)
{
    size_t have;
    *n = 0;
    if (!buf || cap == 0) {
        snprintf(errmsg, errlen, "snapshot iterator: no buffer");
        return RAFT_INVALID;
    }
    if (stage(it, cap, errmsg, errlen) != 0)
        return RAFT_IOERR;
    have = it->stage.len - it->off;
    *n = have < cap ? have : cap;
    if (*n)
        memcpy(buf, it->stage.p + it->off, *n);
    it->off += *n;
    it->pos += *n;
    return 0;
}

int skv_snap_iter_at_end(struct skv_snap_iter *it, char *errmsg, size_t errlen)
{
    if (stage(it, 1, errmsg, errlen) != 0)
        return -1;
    return it->stage.len == it->off;
}

uint64_t skv_snap_iter_pos(const struct skv_snap_iter *it)
{
    return it->pos;
}

void skv_snap_iter_close(struct skv_snap_iter *it)
{
    if (!it)
        return;
    skv_snap_stream_close(it->s);
    skv_buf_free(&it->stage);
    free(it);
}

int skv_snap_full_size(const struct skv_storage_ops *st, void *db, const struct skv_snap_view *v,
                       const uint8_t *stored, size_t stored_len, uint64_t *size, char *errmsg,
                       size_t errlen)
{
    struct skv_snap_iter *it;
    int rc = skv_snap_iter_open(st, db, v, stored, stored_len, &it, errmsg, errlen);
    *size = 0;
    if (rc != 0)
        return rc;
    for (;;) {   /* produced and dropped, 1 MiB at a time */
        int more;
        it->stage.len = 0;
        if ((more = skv_snap_stream_next(it->s, &it->stage, 1u << 20, errmsg, errlen)) < 0) {
            rc = RAFT_IOERR;
            break;
        }
        *size += it->stage.len;
        if (!more)
            break;
    }
    skv_snap_iter_close(it);
    return rc;
}
