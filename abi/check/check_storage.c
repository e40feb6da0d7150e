/* SPDX-License-Identifier: MIT */
/*
 * check_storage.c — the storage kind in a fresh temporary directory:
 * batches of puts and deletes (sync and not), get/free_buf, NOTFOUND,
 * iterator order, seek, seek_last and prev, a read view that keeps its
 * snapshot across a later write, close and reopen (data persists).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include "check.h"

#include <sealkv/storage.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct st {
    struct chk *c;
    const struct skv_storage_ops *o;
    void *state, *db;
};

static int put_del(struct st *s, const char *k, const char *v, int sync)
{
    struct skv_batch_op op = {v ? SKV_BATCH_PUT : SKV_BATCH_DEL, 0, k, strlen(k), v,
                              v ? strlen(v) : 0};
    struct skv_err e;
    int rc = s->o->write(s->db, &op, 1, sync, &e);
    return chk_expect(s->c, rc == SKV_OK, "write(%s %s, sync=%d): %s", v ? "put" : "del", k,
                      sync, e.msg);
}

/* get `k` in `view`: `want` (NULL: NOTFOUND expected) */
static void expect_get(struct st *s, void *view, const char *k, const char *want)
{
    struct skv_err e;
    void *v = NULL;
    size_t n = 0;
    int rc = s->o->get(s->db, view, k, strlen(k), &v, &n, &e);
    if (!want)
        chk_expect(s->c, rc == SKV_ERR_NOTFOUND, "get(%s): %s, want not found", k,
                   skv_strerror(rc));
    else
        chk_expect(s->c, rc == SKV_OK && n == strlen(want) && memcmp(v, want, n) == 0,
                   "get(%s)%s: %s or a wrong value, want '%s'", k, view ? " in a view" : "",
                   skv_strerror(rc), want);
    if (rc == SKV_OK)
        s->o->free_buf(s->db, v);
}

static int key_is(struct st *s, void *it, const char *k)
{
    size_t n = 0;
    const void *p;
    if (!s->o->iter_valid(it))
        return 0;
    p = s->o->iter_key(it, &n);
    return n == strlen(k) && memcmp(p, k, n) == 0;
}

static void iterate(struct st *s, void *view, const char *what)
{
    struct skv_err e;
    void *it = NULL;
    if (!chk_expect(s->c, s->o->iter_new(s->db, view, &it, &e) == SKV_OK, "iter_new: %s",
                    e.msg))
        return;
    s->o->iter_seek(it, "", 0);
    chk_expect(s->c, key_is(s, it, "a"), "%s: seek(\"\") is not at a", what);
    s->o->iter_next(it);
    chk_expect(s->c, key_is(s, it, "c"), "%s: next after a is not c (b was deleted)", what);
    s->o->iter_next(it);
    chk_expect(s->c, !s->o->iter_valid(it), "%s: iterator valid past the last key", what);
    s->o->iter_seek(it, "b", 1);
    chk_expect(s->c, key_is(s, it, "c"), "%s: seek(b) is not at c (first key >= b)", what);
    s->o->iter_seek_last(it);
    chk_expect(s->c, key_is(s, it, "c"), "%s: seek_last is not at c", what);
    s->o->iter_prev(it);
    chk_expect(s->c, key_is(s, it, "a"), "%s: prev from c is not a", what);
    chk_expect(s->c, s->o->iter_status(it, &e) == SKV_OK, "%s: iter_status: %s", what, e.msg);
    s->o->iter_free(it);
}

static void view_checks(struct st *s)
{
    struct skv_err e;
    void *view = NULL;
    if (!chk_expect(s->c, s->o->view_new(s->db, &view, &e) == SKV_OK, "view_new: %s", e.msg))
        return;
    if (put_del(s, "a", "2", 0) && put_del(s, "bb", "x", 0)) {
        expect_get(s, view, "a", "1");
        expect_get(s, view, "bb", NULL);
        iterate(s, view, "read view");
        expect_get(s, NULL, "a", "2");
    }
    s->o->view_release(s->db, view);
    put_del(s, "bb", NULL, 1);
}

static int open_db(struct st *s, const char *dir)
{
    struct skv_err e;
    int rc = s->o->open(s->state, dir, &s->db, &e);
    return chk_expect(s->c, rc == SKV_OK, "open(%s): %s (%s)", dir, skv_strerror(rc), e.msg);
}

static void data_checks(struct st *s, const char *dir)
{
    if (!open_db(s, dir))
        return;
    if (put_del(s, "a", "1", 1) && put_del(s, "b", "22", 0) && put_del(s, "c", "333", 1)) {
        expect_get(s, NULL, "b", "22");
        put_del(s, "b", NULL, 0);
        expect_get(s, NULL, "b", NULL);
        iterate(s, NULL, "latest");
        view_checks(s);
    }
    s->o->close(s->db);
    if (!open_db(s, dir))
        return;
    expect_get(s, NULL, "a", "2");
    expect_get(s, NULL, "c", "333");
    expect_get(s, NULL, "b", NULL);
    s->o->close(s->db);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

void chk_storage(struct chk *c, void *state)
{
    struct st s = {c, c->desc->ops, state, NULL};
    char dir[] = "/tmp/skv-plugin-check.XXXXXX";
    if (!chk_expect(c, s.o->struct_size >= offsetof(struct skv_storage_ops, compact) &&
                           s.o->open && s.o->close && s.o->get && s.o->free_buf &&
                           s.o->write && s.o->view_new && s.o->view_release && s.o->iter_new &&
                           s.o->iter_seek && s.o->iter_seek_last && s.o->iter_valid &&
                           s.o->iter_next && s.o->iter_prev && s.o->iter_key &&
                           s.o->iter_value && s.o->iter_status && s.o->iter_free,
                    "storage ops table smaller than 1.0 or a required op is NULL"))
        return;
    if (!mkdtemp(dir)) {
        chk_fail(c, "mkdtemp %s failed", dir);
        return;
    }
    data_checks(&s, dir);
    if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        chk_fail(c, "removing %s failed", dir);
    if (!c->failures)
        chk_ok(c, "batches, sync, get, iterator order/seek/prev, read view, reopen");
}
