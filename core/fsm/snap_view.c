/* SPDX-License-Identifier: MIT */
/*
 * snap_view.c — the storage views behind local snapshots and the
 * expansion of a local snapshot into the full form a follower installs
 * (snap_view.h), through the iterator (snap_iter.h).
 */
#include "fsm/snap_view.h"

#include "fsm/fsm_snap_enc.h"
#include "fsm/snap_hdr.h"
#include "fsm/snap_iter.h"
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

int skv_snap_expand(const struct skv_storage_ops *st, void *db, const struct skv_snap_view *v,
                    const struct raft_buffer *stored, struct raft_buffer *full, char *errmsg,
                    size_t errlen)
{
    struct skv_snap_iter *it = NULL;
    uint64_t size;
    uint8_t *p;
    size_t n = 0;
    int rc = skv_snap_full_size(st, db, v, stored->base, stored->len, &size, errmsg, errlen);
    if (rc != 0)
        return rc;
    if (size > SIZE_MAX || !(p = raft_malloc((size_t)size))) {
        snprintf(errmsg, errlen, "snapshot expand: out of memory (%llu bytes)",
                 (unsigned long long)size);
        return RAFT_NOMEM;
    }
    rc = skv_snap_iter_open(st, db, v, stored->base, stored->len, &it, errmsg, errlen);
    if (rc == 0)
        rc = skv_snap_iter_next(it, p, (size_t)size, &n, errmsg, errlen);
    skv_snap_iter_close(it);
    if (rc == 0 && n != size) {   /* a view is immutable: cannot happen */
        snprintf(errmsg, errlen, "snapshot expand: %zu bytes, %llu expected", n,
                 (unsigned long long)size);
        rc = RAFT_IOERR;
    }
    if (rc != 0) {
        raft_free(p);
        return rc == 1 ? RAFT_IOERR : rc;
    }
    full->base = p;
    full->len = n;
    return 0;
}
