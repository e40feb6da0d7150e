/* SPDX-License-Identifier: MIT */
/*
 * snap_view.c — the storage views behind local snapshots and the
 * expansion of a local snapshot into the full form a follower installs
 * (snap_view.h).
 */
#include "fsm/snap_view.h"

#include "fsm/fsm_snap_enc.h"
#include "fsm/snap_hdr.h"
#include "util/bytes.h"
#include "util/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void skv_snap_views_init(struct skv_snap_views *vs, const struct skv_storage_ops *st, void *db)
{
    memset(vs, 0, sizeof *vs);
    vs->st = st;
    vs->db = db;
}

static void unref(struct skv_snap_views *vs, struct skv_snap_view *v)
{
    struct skv_snap_view **pp;
    if (!v || --v->refs > 0)
        return;
    for (pp = &vs->live; *pp; pp = &(*pp)->next)
        if (*pp == v) {
            *pp = v->next;
            break;
        }
    vs->st->view_release(vs->db, v->view);
    free(v);
}

struct skv_snap_view *skv_snap_views_take_extra(struct skv_snap_views *vs, uint64_t index,
                                                char *err, size_t errlen)
{
    struct skv_err e = {0, ""};
    struct skv_snap_view *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "snapshot view: out of memory");
        return NULL;
    }
    if (vs->st->view_new(vs->db, &v->view, &e) != SKV_OK) {
        snprintf(err, errlen, "snapshot view: %s", e.msg);
        free(v);
        return NULL;
    }
    v->index = index;
    v->refs = 1;
    v->seq = ++vs->seq;
    v->next = vs->live;
    vs->live = v;
    return v;
}

int skv_snap_views_take(struct skv_snap_views *vs, uint64_t index, char *err, size_t errlen)
{
    struct skv_snap_view *v = skv_snap_views_take_extra(vs, index, err, errlen);
    if (!v)
        return -1;
    unref(vs, vs->pending);   /* a snapshot that never settled */
    vs->pending = v;
    return 0;
}

void skv_snap_views_settle(struct skv_snap_views *vs, uint64_t stored_index)
{
    struct skv_snap_view *v = vs->pending;
    vs->pending = NULL;
    if (v && v->index == stored_index) {
        unref(vs, vs->cur);
        vs->cur = v;
        vs->need_fresh = 0;
    } else {
        unref(vs, v);
    }
}

struct skv_snap_view *skv_snap_views_pin(struct skv_snap_views *vs)
{
    if (vs->cur)
        vs->cur->refs++;
    return vs->cur;
}

void skv_snap_views_unpin(struct skv_snap_views *vs, struct skv_snap_view *v)
{
    unref(vs, v);
}

uint64_t skv_snap_views_drop(struct skv_snap_views *vs)
{
    unref(vs, vs->cur);
    vs->cur = NULL;
    vs->need_fresh = 1;
    return vs->seq + 1;
}

int skv_snap_views_alive_before(const struct skv_snap_views *vs, uint64_t mark)
{
    const struct skv_snap_view *v;
    for (v = vs->live; v; v = v->next)
        if (v->seq < mark)
            return 1;
    return 0;
}

void skv_snap_views_close(struct skv_snap_views *vs)
{
    unref(vs, vs->pending);
    unref(vs, vs->cur);
    vs->pending = vs->cur = NULL;
}

/* Append every record under `pfx` read through `view`. */
static int dump_prefix(const struct skv_storage_ops *st, void *db, void *view, uint8_t pfx,
                       struct skv_buf *b, char *errmsg, size_t errlen)
{
    struct skv_err e = {0, ""};
    void *it = NULL;
    int rc = 0;
    if (st->iter_new(db, view, &it, &e) != SKV_OK) {
        snprintf(errmsg, errlen, "snapshot expand: %s", e.msg);
        return RAFT_IOERR;
    }
    for (st->iter_seek(it, &pfx, 1); st->iter_valid(it); st->iter_next(it)) {
        size_t kl, vl;
        const uint8_t *k = st->iter_key(it, &kl), *v;
        if (kl == 0 || k[0] != pfx)
            break;
        v = st->iter_value(it, &vl);
        if (skv_sbuf_record(b, k, kl, v, vl)) {
            snprintf(errmsg, errlen, "snapshot expand: out of memory");
            rc = RAFT_NOMEM;
            break;
        }
    }
    if (rc == 0 && st->iter_status(it, &e) != SKV_OK) {
        snprintf(errmsg, errlen, "snapshot expand: %s", e.msg);
        rc = RAFT_IOERR;
    }
    st->iter_free(it);
    return rc;
}

int skv_snap_expand(const struct skv_storage_ops *st, void *db, const struct skv_snap_view *v,
                    const struct raft_buffer *stored, struct raft_buffer *full, char *errmsg,
                    size_t errlen)
{
    struct skv_snap_hdr h;
    struct skv_buf b = {NULL, 0, 0};
    uint8_t hdr[SKV_SNAP_HDR_MAX];
    size_t i;
    int rc;
    if (skv_snap_hdr_parse(stored->base, stored->len, &h, errmsg, errlen) != 0)
        return RAFT_CORRUPT;
    if (h.version != 3)
        return 1;
    if (!v || v->index != h.applied) {
        snprintf(errmsg, errlen, "local snapshot %llu: no storage view at that index yet",
                 (unsigned long long)h.applied);
        return RAFT_BUSY;
    }
    if (skv_sbuf_put(&b, hdr, skv_snap_hdr_write(hdr, h.cutover, h.applied))) {
        snprintf(errmsg, errlen, "snapshot expand: out of memory");
        return RAFT_NOMEM;
    }
    for (i = 0, rc = 0; rc == 0 && i < SKV_SNAP_N_PREFIXES; i++)
        rc = dump_prefix(st, db, v->view, skv_snap_prefixes[i], &b, errmsg, errlen);
    /* the local snapshot's body: its encryption record, as captured */
    if (rc == 0 && skv_sbuf_put(&b, (const uint8_t *)stored->base + h.body_off,
                                stored->len - h.body_off)) {
        snprintf(errmsg, errlen, "snapshot expand: out of memory");
        rc = RAFT_NOMEM;
    }
    if (rc != 0) {
        raft_free(b.p);
        return rc;
    }
    full->base = b.p;
    full->len = b.len;
    return 0;
}
