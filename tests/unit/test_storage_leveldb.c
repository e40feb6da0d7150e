/* SPDX-License-Identifier: MIT */
/*
 * test_storage_leveldb.c — CUnit suite for the storage-leveldb plugin,
 * loaded as the real built module through the core loader
 * (skv_plugin_load, found via $SEALKV_PLUGIN_PATH).
 */
#define _GNU_SOURCE /* memmem */
#include "skv_test.h"

#include <sealkv/storage.h>

#include "plugin/loader.h"
#include "ldb_l0.h" /* the plugin's own pure function, compiled in */

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- fixture ------------------------------------------------------- */

struct fx {
    struct skv_plugin_inst *inst;
    const struct skv_storage_ops *ops;
    void *state;
    char *dir;      /* temp dir */
    char path[600]; /* <dir>/db */
    void *db;
};

static void conf_init(struct skv_conf_plugin *c)
{
    memset(c, 0, sizeof *c);
    c->name = strdup("leveldb");
}

static void conf_add(struct skv_conf_plugin *c, const char *key,
                     const char *value, unsigned line, unsigned col)
{
    struct skv_conf_option *o = &c->options[c->n_options++];
    o->key = strdup(key);
    o->value = strdup(value);
    o->pos.line = line;
    o->pos.col = col;
}

static void conf_free(struct skv_conf_plugin *c)
{
    size_t i;
    for (i = 0; i < c->n_options; i++) {
        free(c->options[i].key);
        free(c->options[i].value);
    }
    free(c->name);
    memset(c, 0, sizeof *c);
}

static int load(struct skv_conf_plugin *c, struct skv_plugin_inst **inst,
                struct skv_err *err)
{
    return skv_plugin_load(SKV_KIND_STORAGE, c, "test.yaml", NULL, 0, NULL,
                           inst, err);
}

/* Load with `c` (NULL: no options) and open <tmp>/db. 0 on success. */
static int fx_open_conf(struct fx *f, struct skv_conf_plugin *c)
{
    struct skv_conf_plugin def;
    struct skv_err err = {0};
    int rc;
    memset(f, 0, sizeof *f);
    if (!c) {
        conf_init(&def);
        c = &def;
    }
    rc = load(c, &f->inst, &err);
    if (c == &def)
        conf_free(&def);
    if (rc != SKV_OK) {
        fprintf(stderr, "load: %s\n", err.msg);
        return -1;
    }
    f->ops = skv_plugin_ops(f->inst);
    f->state = skv_plugin_state(f->inst);
    if (!(f->dir = skv_test_tmpdir("ldb")))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/db", f->dir);
    rc = f->ops->open(f->state, f->path, &f->db, &err);
    if (rc != SKV_OK)
        fprintf(stderr, "open: %s\n", err.msg);
    return rc == SKV_OK ? 0 : -1;
}

static int fx_open(struct fx *f) { return fx_open_conf(f, NULL); }

static void fx_close(struct fx *f)
{
    if (f->db)
        f->ops->close(f->db);
    f->db = NULL;
    skv_plugin_unload(f->inst);
    skv_test_rmtree(f->dir);
    free(f->dir);
    memset(f, 0, sizeof *f);
}

static int put(struct fx *f, const void *k, size_t kl, const void *v,
               size_t vl, int sync)
{
    struct skv_batch_op op = {SKV_BATCH_PUT, 0, k, kl, v, vl};
    struct skv_err err = {0};
    return f->ops->write(f->db, &op, 1, sync, &err);
}

static int del(struct fx *f, const void *k, size_t kl)
{
    struct skv_batch_op op = {SKV_BATCH_DEL, 0, k, kl, NULL, 0};
    struct skv_err err = {0};
    return f->ops->write(f->db, &op, 1, 0, &err);
}

#define PUTS(f, k, v) put(f, k, strlen(k), v, strlen(v), 0)

/* 1 if get(view, k) returns exactly (v, vl). */
static int get_is(struct fx *f, void *view, const void *k, size_t kl,
                  const void *v, size_t vl)
{
    struct skv_err err = {0};
    void *buf = NULL;
    size_t len = 0;
    int ok;
    if (f->ops->get(f->db, view, k, kl, &buf, &len, &err) != SKV_OK)
        return 0;
    ok = len == vl && (vl == 0 || memcmp(buf, v, vl) == 0);
    f->ops->free_buf(f->db, buf);
    return ok;
}

#define GET_IS(f, view, k, v) get_is(f, view, k, strlen(k), v, strlen(v))

static int get_rc(struct fx *f, void *view, const void *k, size_t kl)
{
    struct skv_err err = {0};
    void *buf = NULL;
    size_t len = 0;
    int rc = f->ops->get(f->db, view, k, kl, &buf, &len, &err);
    f->ops->free_buf(f->db, buf);
    return rc;
}

/* ---- basic reads and writes ---------------------------------------- */

static void test_put_get_delete(void)
{
    struct fx f;
    struct skv_err err = {0};
    void *buf = (void *)1;
    size_t len = 7;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    CU_ASSERT(PUTS(&f, "alpha", "one") == SKV_OK);
    CU_ASSERT(GET_IS(&f, NULL, "alpha", "one"));
    CU_ASSERT(PUTS(&f, "alpha", "two") == SKV_OK);
    CU_ASSERT(GET_IS(&f, NULL, "alpha", "two"));
    CU_ASSERT(del(&f, "alpha", 5) == SKV_OK);
    CU_ASSERT(f.ops->get(f.db, NULL, "alpha", 5, &buf, &len, &err) == SKV_ERR_NOTFOUND);
    CU_ASSERT(err.code == SKV_ERR_NOTFOUND);
    CU_ASSERT(buf == NULL && len == 0);
    CU_ASSERT(strstr(err.msg, f.path) != NULL);
    CU_ASSERT(get_rc(&f, NULL, "never", 5) == SKV_ERR_NOTFOUND);
    CU_ASSERT(del(&f, "never", 5) == SKV_OK); /* deleting an absent key */
    f.ops->free_buf(f.db, NULL);
    fx_close(&f);
}

static void test_binary_values(void)
{
    struct fx f;
    const char key[] = {'\0', 'k', '\0'};
    const char val[] = {'a', '\0', '\0', 'b', '\xff', '\0'};
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    CU_ASSERT(put(&f, key, sizeof key, val, sizeof val, 0) == SKV_OK);
    CU_ASSERT(get_is(&f, NULL, key, sizeof key, val, sizeof val));
    CU_ASSERT(get_rc(&f, NULL, key, 1) == SKV_ERR_NOTFOUND); /* prefix only */
    /* empty value is a value, not absence; empty key is a key */
    CU_ASSERT(put(&f, "e", 1, NULL, 0, 0) == SKV_OK);
    CU_ASSERT(get_rc(&f, NULL, "e", 1) == SKV_OK);
    CU_ASSERT(get_is(&f, NULL, "e", 1, "", 0));
    CU_ASSERT(put(&f, NULL, 0, "ek", 2, 0) == SKV_OK);
    CU_ASSERT(get_is(&f, NULL, "", 0, "ek", 2));
    fx_close(&f);
}

static void test_large_value(void)
{
    struct fx f;
    size_t n = 1u << 20, i;
    unsigned char *v = malloc(n);
    CU_ASSERT_FATAL(v != NULL);
    for (i = 0; i < n; i++)
        v[i] = (unsigned char)(i * 131u + (i >> 9));
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    CU_ASSERT(put(&f, "big", 3, v, n, 1) == SKV_OK);
    CU_ASSERT(get_is(&f, NULL, "big", 3, v, n));
    /* and after a reopen (read back from the log / tables) */
    f.ops->close(f.db);
    f.db = NULL;
    {
        struct skv_err err = {0};
        CU_ASSERT_FATAL(f.ops->open(f.state, f.path, &f.db, &err) == SKV_OK);
    }
    CU_ASSERT(get_is(&f, NULL, "big", 3, v, n));
    fx_close(&f);
    free(v);
}

static void test_bad_arguments(void)
{
    struct fx f;
    struct skv_err err = {0};
    struct skv_batch_op bad_type = {99, 0, "k", 1, "v", 1};
    struct skv_batch_op null_key = {SKV_BATCH_PUT, 0, NULL, 3, "v", 1};
    struct skv_batch_op null_val = {SKV_BATCH_PUT, 0, "k", 1, NULL, 4};
    void *buf;
    size_t len;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    CU_ASSERT(f.ops->write(f.db, &bad_type, 1, 0, &err) == SKV_ERR_INVALID);
    CU_ASSERT(strstr(err.msg, "unknown type") != NULL);
    CU_ASSERT(f.ops->write(f.db, &null_key, 1, 0, &err) == SKV_ERR_INVALID);
    CU_ASSERT(f.ops->write(f.db, &null_val, 1, 0, &err) == SKV_ERR_INVALID);
    CU_ASSERT(f.ops->write(f.db, NULL, 2, 0, &err) == SKV_ERR_INVALID);
    CU_ASSERT(f.ops->write(f.db, NULL, 0, 1, &err) == SKV_OK); /* empty batch */
    CU_ASSERT(f.ops->get(f.db, NULL, NULL, 4, &buf, &len, &err) == SKV_ERR_INVALID);
    CU_ASSERT(get_rc(&f, NULL, "k", 1) == SKV_ERR_NOTFOUND);
    fx_close(&f);
}

/* ---- batches ------------------------------------------------------- */

static void test_batch_order_and_atomicity(void)
{
    struct fx f;
    struct skv_err err = {0};
    struct skv_batch_op ops[] = {
        {SKV_BATCH_PUT, 0, "a", 1, "1", 1},
        {SKV_BATCH_PUT, 0, "b", 1, "2", 1},
        {SKV_BATCH_PUT, 0, "a", 1, "3", 1}, /* later op on a wins */
        {SKV_BATCH_DEL, 0, "b", 1, NULL, 0}, /* put+del in one batch */
        {SKV_BATCH_DEL, 0, "c", 1, NULL, 0},
        {SKV_BATCH_PUT, 0, "c", 1, "y", 1}, /* del+put: put wins */
    };
    struct skv_batch_op bad[] = {
        {SKV_BATCH_PUT, 0, "x", 1, "1", 1},
        {SKV_BATCH_DEL, 0, "a", 1, NULL, 0},
        {77, 0, "z", 1, "1", 1}, /* invalid: nothing of the batch applies */
    };
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    CU_ASSERT(f.ops->write(f.db, ops, 6, 1, &err) == SKV_OK);
    CU_ASSERT(GET_IS(&f, NULL, "a", "3"));
    CU_ASSERT(get_rc(&f, NULL, "b", 1) == SKV_ERR_NOTFOUND);
    CU_ASSERT(GET_IS(&f, NULL, "c", "y"));
    CU_ASSERT(f.ops->write(f.db, bad, 3, 0, &err) == SKV_ERR_INVALID);
    CU_ASSERT(strstr(err.msg, f.path) != NULL);
    CU_ASSERT(get_rc(&f, NULL, "x", 1) == SKV_ERR_NOTFOUND);
    CU_ASSERT(GET_IS(&f, NULL, "a", "3"));
    fx_close(&f);
}

/* A batch is visible all at once: a view taken any time sees all or none
 * of it. Two keys are always written together with equal values. */
struct pair_writer {
    struct fx *f;
    int n;
    int rc;
};

static void *pair_writer_main(void *arg)
{
    struct pair_writer *w = arg;
    struct skv_err err = {0};
    char v[16];
    int i;
    for (i = 0; i < w->n && w->rc == SKV_OK; i++) {
        struct skv_batch_op ops[2] = {
            {SKV_BATCH_PUT, 0, "p1", 2, v, 0},
            {SKV_BATCH_PUT, 0, "p2", 2, v, 0},
        };
        ops[0].val_len = ops[1].val_len = (size_t)snprintf(v, sizeof v, "%d", i);
        w->rc = w->f->ops->write(w->f->db, ops, 2, 0, &err);
    }
    return NULL;
}

static void test_batch_visible_atomically(void)
{
    struct fx f;
    struct pair_writer w;
    pthread_t t;
    int i, torn = 0, checks = 0;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    CU_ASSERT_FATAL(PUTS(&f, "p1", "-") == SKV_OK && PUTS(&f, "p2", "-") == SKV_OK);
    w.f = &f;
    w.n = 3000;
    w.rc = SKV_OK;
    CU_ASSERT_FATAL(pthread_create(&t, NULL, pair_writer_main, &w) == 0);
    for (i = 0; i < 2000; i++) {
        struct skv_err err = {0};
        void *view, *b1 = NULL, *b2 = NULL;
        size_t l1 = 0, l2 = 0;
        if (f.ops->view_new(f.db, &view, &err) != SKV_OK)
            break;
        if (f.ops->get(f.db, view, "p1", 2, &b1, &l1, &err) == SKV_OK &&
            f.ops->get(f.db, view, "p2", 2, &b2, &l2, &err) == SKV_OK) {
            checks++;
            torn += l1 != l2 || memcmp(b1, b2, l1) != 0;
        }
        f.ops->free_buf(f.db, b1);
        f.ops->free_buf(f.db, b2);
        f.ops->view_release(f.db, view);
    }
    pthread_join(t, NULL);
    CU_ASSERT(w.rc == SKV_OK);
    CU_ASSERT(checks == 2000);
    CU_ASSERT(torn == 0);
    CU_ASSERT(GET_IS(&f, NULL, "p1", "2999") && GET_IS(&f, NULL, "p2", "2999"));
    fx_close(&f);
}

/* ---- iterators ----------------------------------------------------- */

struct bkey {
    const char *k;
    size_t len;
};

#define BK(s) {s, sizeof(s) - 1}
static const struct bkey order_keys[] = {
    /* already in memcmp order, shorter first on a common prefix */
    BK(""), BK("\x00"), BK("\x00\x00"), BK("\x00\x01"), BK("\x01"),
    BK("a"), BK("ab"), BK("ab\x00"), BK("abc"), BK("b"), BK("\x7f"),
    BK("\x80"), BK("\xfe\xff"), BK("\xff"), BK("\xff\x00"), BK("\xff\xff"),
};
#define N_ORDER (sizeof order_keys / sizeof order_keys[0])

static int it_at(struct fx *f, void *it, const struct bkey *k)
{
    size_t len = 0, vlen = 0;
    const void *p = f->ops->iter_key(it, &len);
    const void *v = f->ops->iter_value(it, &vlen);
    return f->ops->iter_valid(it) && p && len == k->len &&
           memcmp(p, k->k, len) == 0 && v && vlen == k->len + 1 &&
           ((const char *)v)[0] == 'v' && memcmp((const char *)v + 1, k->k, k->len) == 0;
}

static void fill_order_keys(struct fx *f)
{
    size_t i, j;
    /* insert in a scrambled order */
    for (i = 0; i < N_ORDER; i++) {
        char v[8];
        j = (i * 7) % N_ORDER;
        v[0] = 'v';
        memcpy(v + 1, order_keys[j].k, order_keys[j].len);
        CU_ASSERT(put(f, order_keys[j].k, order_keys[j].len, v,
                      order_keys[j].len + 1, 0) == SKV_OK);
    }
}

static void test_iter_order(void)
{
    struct fx f;
    struct skv_err err = {0};
    void *it;
    size_t i;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    fill_order_keys(&f);
    CU_ASSERT_FATAL(f.ops->iter_new(f.db, NULL, &it, &err) == SKV_OK);
    CU_ASSERT(!f.ops->iter_valid(it)); /* created unpositioned */
    f.ops->iter_seek(it, "", 0);
    for (i = 0; i < N_ORDER; i++) {
        CU_ASSERT(it_at(&f, it, &order_keys[i]));
        f.ops->iter_next(it);
    }
    CU_ASSERT(!f.ops->iter_valid(it));
    f.ops->iter_seek_last(it);
    for (i = N_ORDER; i-- > 0;) {
        CU_ASSERT(it_at(&f, it, &order_keys[i]));
        f.ops->iter_prev(it);
    }
    CU_ASSERT(!f.ops->iter_valid(it));
    CU_ASSERT(f.ops->iter_status(it, &err) == SKV_OK);
    f.ops->iter_free(it);
    fx_close(&f);
}

static void test_iter_seek(void)
{
    struct fx f;
    struct skv_err err = {0};
    void *it;
    size_t len = 99;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    fill_order_keys(&f);
    CU_ASSERT_FATAL(f.ops->iter_new(f.db, NULL, &it, &err) == SKV_OK);
    f.ops->iter_seek(it, "ab", 2); /* exact */
    CU_ASSERT(it_at(&f, it, &order_keys[6]));
    f.ops->iter_seek(it, "ab\x00\x00", 4); /* between: next greater */
    CU_ASSERT(it_at(&f, it, &order_keys[8]));
    f.ops->iter_seek(it, "\x00\x00\x00", 3);
    CU_ASSERT(it_at(&f, it, &order_keys[3]));
    f.ops->iter_prev(it);
    CU_ASSERT(it_at(&f, it, &order_keys[2]));
    f.ops->iter_seek(it, "\xff\xff\x00", 3); /* past the end */
    CU_ASSERT(!f.ops->iter_valid(it));
    CU_ASSERT(f.ops->iter_key(it, &len) == NULL && len == 0);
    f.ops->iter_next(it); /* moving an invalid iterator is harmless */
    f.ops->iter_prev(it);
    CU_ASSERT(!f.ops->iter_valid(it));
    f.ops->iter_seek_last(it);
    CU_ASSERT(it_at(&f, it, &order_keys[N_ORDER - 1]));
    f.ops->iter_prev(it);
    CU_ASSERT(it_at(&f, it, &order_keys[N_ORDER - 2]));
    f.ops->iter_next(it);
    CU_ASSERT(it_at(&f, it, &order_keys[N_ORDER - 1]));
    f.ops->iter_seek(it, NULL, 3); /* bad argument: invalid + status */
    CU_ASSERT(!f.ops->iter_valid(it));
    CU_ASSERT(f.ops->iter_status(it, &err) == SKV_ERR_INVALID);
    f.ops->iter_seek(it, "", 0);
    CU_ASSERT(it_at(&f, it, &order_keys[0]));
    CU_ASSERT(f.ops->iter_status(it, &err) == SKV_OK);
    f.ops->iter_free(it);
    fx_close(&f);
}

static void test_iter_empty_store(void)
{
    struct fx f;
    struct skv_err err = {0};
    void *it;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    CU_ASSERT_FATAL(f.ops->iter_new(f.db, NULL, &it, &err) == SKV_OK);
    f.ops->iter_seek(it, "", 0);
    CU_ASSERT(!f.ops->iter_valid(it));
    f.ops->iter_seek_last(it);
    CU_ASSERT(!f.ops->iter_valid(it));
    CU_ASSERT(f.ops->iter_status(it, &err) == SKV_OK);
    f.ops->iter_free(it);
    fx_close(&f);
}

/* ---- read views ---------------------------------------------------- */

static void test_view_isolation(void)
{
    struct fx f;
    struct skv_err err = {0};
    void *view, *it;
    size_t len;
    const void *k;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    CU_ASSERT(PUTS(&f, "a", "old") == SKV_OK);
    CU_ASSERT(PUTS(&f, "c", "gone-later") == SKV_OK);
    CU_ASSERT_FATAL(f.ops->view_new(f.db, &view, &err) == SKV_OK);
    CU_ASSERT(PUTS(&f, "a", "new") == SKV_OK);
    CU_ASSERT(PUTS(&f, "b", "added") == SKV_OK);
    CU_ASSERT(del(&f, "c", 1) == SKV_OK);
    /* the view sees the past */
    CU_ASSERT(GET_IS(&f, view, "a", "old"));
    CU_ASSERT(get_rc(&f, view, "b", 1) == SKV_ERR_NOTFOUND);
    CU_ASSERT(GET_IS(&f, view, "c", "gone-later"));
    /* latest sees the present */
    CU_ASSERT(GET_IS(&f, NULL, "a", "new"));
    CU_ASSERT(GET_IS(&f, NULL, "b", "added"));
    CU_ASSERT(get_rc(&f, NULL, "c", 1) == SKV_ERR_NOTFOUND);
    /* an iterator on the view: a=old, c */
    CU_ASSERT_FATAL(f.ops->iter_new(f.db, view, &it, &err) == SKV_OK);
    CU_ASSERT(PUTS(&f, "d", "after-iter-new") == SKV_OK);
    f.ops->iter_seek(it, "", 0);
    k = f.ops->iter_key(it, &len);
    CU_ASSERT(k && len == 1 && memcmp(k, "a", 1) == 0);
    k = f.ops->iter_value(it, &len);
    CU_ASSERT(k && len == 3 && memcmp(k, "old", 3) == 0);
    f.ops->iter_next(it);
    k = f.ops->iter_key(it, &len);
    CU_ASSERT(k && len == 1 && memcmp(k, "c", 1) == 0);
    f.ops->iter_next(it);
    CU_ASSERT(!f.ops->iter_valid(it));
    f.ops->iter_free(it);
    /* a latest iterator: a=new, b, d */
    CU_ASSERT_FATAL(f.ops->iter_new(f.db, NULL, &it, &err) == SKV_OK);
    f.ops->iter_seek_last(it);
    k = f.ops->iter_key(it, &len);
    CU_ASSERT(k && len == 1 && memcmp(k, "d", 1) == 0);
    f.ops->iter_prev(it);
    k = f.ops->iter_key(it, &len);
    CU_ASSERT(k && len == 1 && memcmp(k, "b", 1) == 0);
    f.ops->iter_free(it);
    f.ops->view_release(f.db, view);
    f.ops->view_release(f.db, NULL); /* no-op */
    fx_close(&f);
}

/* ---- persistence, locking, corruption ------------------------------ */

static void test_reopen_persistence(void)
{
    struct fx f;
    struct skv_err err = {0};
    int i;
    char k[16], v[16];
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    for (i = 0; i < 200; i++) {
        snprintf(k, sizeof k, "k%03d", i);
        snprintf(v, sizeof v, "v%d", i * i);
        CU_ASSERT(PUTS(&f, k, v) == SKV_OK);
    }
    CU_ASSERT(del(&f, "k007", 4) == SKV_OK);
    CU_ASSERT(PUTS(&f, "synced", "yes") == SKV_OK);
    f.ops->close(f.db);
    f.db = NULL;
    CU_ASSERT_FATAL(f.ops->open(f.state, f.path, &f.db, &err) == SKV_OK);
    {   /* LevelDB rotated the first open's LOG to LOG.old; the plugin drops it */
        char p[700];
        snprintf(p, sizeof p, "%s/LOG", f.path);
        CU_ASSERT(access(p, F_OK) == 0);
        snprintf(p, sizeof p, "%s/LOG.old", f.path);
        CU_ASSERT(access(p, F_OK) != 0);
    }
    for (i = 0; i < 200; i++) {
        snprintf(k, sizeof k, "k%03d", i);
        snprintf(v, sizeof v, "v%d", i * i);
        if (i == 7) {
            CU_ASSERT(get_rc(&f, NULL, k, 4) == SKV_ERR_NOTFOUND);
        } else {
            CU_ASSERT(GET_IS(&f, NULL, k, v));
        }
    }
    CU_ASSERT(GET_IS(&f, NULL, "synced", "yes"));
    fx_close(&f);
}

static void test_locked_same_process(void)
{
    struct fx f;
    struct skv_err err = {0};
    void *db2 = (void *)1;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    CU_ASSERT(f.ops->open(f.state, f.path, &db2, &err) == SKV_ERR_BUSY);
    CU_ASSERT(db2 == NULL);
    CU_ASSERT(err.code == SKV_ERR_BUSY);
    CU_ASSERT(strstr(err.msg, f.path) != NULL);
    CU_ASSERT(strstr(err.msg, "holds the lock") != NULL);
    fprintf(stderr, "  (message: %s)\n", err.msg);
    /* the first handle still works */
    CU_ASSERT(PUTS(&f, "k", "v") == SKV_OK);
    fx_close(&f);
}

/* Another process holds LevelDB's fcntl lock on <db>/LOCK. */
static void test_locked_other_process(void)
{
    struct fx f;
    struct skv_err err = {0};
    char lockp[700], c = 0;
    int up[2], down[2], status = 0;
    pid_t pid;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    f.ops->close(f.db); /* LOCK exists, unlocked */
    f.db = NULL;
    snprintf(lockp, sizeof lockp, "%s/LOCK", f.path);
    CU_ASSERT_FATAL(pipe(up) == 0 && pipe(down) == 0);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        struct flock fl;
        int fd = open(lockp, O_RDWR);
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        c = (fd >= 0 && fcntl(fd, F_SETLK, &fl) == 0) ? 'L' : 'E';
        close(down[1]);
        if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) < 0)
            _exit(2);
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    CU_ASSERT(read(up[0], &c, 1) == 1 && c == 'L');
    if (c == 'L') {
        CU_ASSERT(f.ops->open(f.state, f.path, &f.db, &err) == SKV_ERR_BUSY);
        CU_ASSERT(strstr(err.msg, f.path) != NULL);
        CU_ASSERT(strstr(err.msg, "another process holds the lock") != NULL);
        fprintf(stderr, "  (message: %s)\n", err.msg);
    }
    close(down[1]); /* child exits on EOF, releasing the lock */
    close(up[0]);
    CU_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
              WEXITSTATUS(status) == 0);
    f.db = NULL;
    CU_ASSERT(f.ops->open(f.state, f.path, &f.db, &err) == SKV_OK);
    fx_close(&f);
}

static int write_file(const char *path, const char *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    int ok;
    if (!fp)
        return -1;
    ok = fwrite(data, 1, len, fp) == len;
    return (fclose(fp) == 0 && ok) ? 0 : -1;
}

/* Name of the MANIFEST file in `dir` into out, or -1. */
static int find_manifest(const char *dir, char *out, size_t outlen)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = -1;
    if (!d)
        return -1;
    while ((e = readdir(d)) && found < 0)
        if (strncmp(e->d_name, "MANIFEST-", 9) == 0) {
            snprintf(out, outlen, "%s/%s", dir, e->d_name);
            found = 0;
        }
    closedir(d);
    return found;
}

static void test_corrupt_current(void)
{
    struct fx f;
    struct skv_err err = {0};
    char p[700];
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    CU_ASSERT(PUTS(&f, "k", "v") == SKV_OK);
    f.ops->close(f.db);
    f.db = NULL;
    snprintf(p, sizeof p, "%s/CURRENT", f.path);
    CU_ASSERT_FATAL(write_file(p, "\x01garbage\xff", 9) == 0);
    CU_ASSERT(f.ops->open(f.state, f.path, &f.db, &err) == SKV_ERR_CORRUPT);
    CU_ASSERT(f.db == NULL);
    CU_ASSERT(strstr(err.msg, f.path) != NULL);
    CU_ASSERT(strstr(err.msg, "orrupt") != NULL);
    fprintf(stderr, "  (message: %s)\n", err.msg);
    fx_close(&f);
}

static void test_corrupt_manifest(void)
{
    struct fx f;
    struct skv_err err = {0};
    char p[1024], junk[4096];
    size_t i;
    int rc;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    CU_ASSERT(PUTS(&f, "k", "v") == SKV_OK);
    f.ops->close(f.db);
    f.db = NULL;
    CU_ASSERT_FATAL(find_manifest(f.path, p, sizeof p) == 0);
    for (i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 37u + 11u);
    CU_ASSERT_FATAL(write_file(p, junk, sizeof junk) == 0);
    rc = f.ops->open(f.state, f.path, &f.db, &err);
    CU_ASSERT(rc == SKV_ERR_CORRUPT);
    CU_ASSERT(f.db == NULL);
    CU_ASSERT(strstr(err.msg, f.path) != NULL);
    fprintf(stderr, "  (message: %s)\n", err.msg);
    fx_close(&f);
}

static void test_open_errors(void)
{
    struct fx f;
    struct skv_err err = {0};
    char p[700];
    void *db = (void *)1;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    /* a regular file where the directory should be */
    snprintf(p, sizeof p, "%s/plainfile", f.dir);
    CU_ASSERT_FATAL(write_file(p, "x", 1) == 0);
    CU_ASSERT(f.ops->open(f.state, p, &db, &err) == SKV_ERR_IO);
    CU_ASSERT(db == NULL);
    CU_ASSERT(strstr(err.msg, p) != NULL);
    /* missing parent directory */
    snprintf(p, sizeof p, "%s/no/such/dir", f.dir);
    CU_ASSERT(f.ops->open(f.state, p, &db, &err) == SKV_ERR_IO);
    CU_ASSERT(strstr(err.msg, p) != NULL);
    CU_ASSERT(f.ops->open(f.state, "", &db, &err) == SKV_ERR_INVALID);
    CU_ASSERT(f.ops->open(f.state, NULL, &db, &err) == SKV_ERR_INVALID);
    fx_close(&f);
}

/* ---- options -------------------------------------------------------- */

static void expect_refused(const char *key, const char *value)
{
    struct skv_conf_plugin c;
    struct skv_plugin_inst *inst = NULL;
    struct skv_err err = {0};
    conf_init(&c);
    conf_add(&c, key, value, 7, 13);
    CU_ASSERT(load(&c, &inst, &err) == SKV_ERR_CONFIG);
    CU_ASSERT(inst == NULL);
    CU_ASSERT(strstr(err.msg, "test.yaml:7:13") != NULL);
    CU_ASSERT(strstr(err.msg, key) != NULL);
    if (!strstr(err.msg, key))
        fprintf(stderr, "  (message: %s)\n", err.msg);
    conf_free(&c);
}

static void test_bad_options(void)
{
    expect_refused("cache_mb", "-1");
    expect_refused("cache_mb", "65537");
    expect_refused("cache_mb", "lots");
    expect_refused("block_size_kb", "0");
    expect_refused("block_size_kb", "1025");
    expect_refused("write_buffer_mb", "0");
    expect_refused("write_buffer_mb", "2048");
    expect_refused("max_open_files", "10");
    expect_refused("max_open_files", "65537");
    expect_refused("bloom_bits", "-1");
    expect_refused("bloom_bits", "33");
    expect_refused("compaction_nice", "-1");
    expect_refused("compaction_nice", "20");
    expect_refused("writeback_kb", "-1");
    expect_refused("writeback_kb", "1048577");
    expect_refused("l0_slowdown_ms", "-1");
    expect_refused("l0_slowdown_ms", "101");
    expect_refused("compression", "maybe");
    expect_refused("paranoid_checks", "2");
    expect_refused("cahce_mb", "32"); /* unknown key */
}

/* The store holds Raft state: paranoid checks cannot be turned off. */
static void test_paranoid_forced(void)
{
    struct skv_conf_plugin c;
    struct skv_plugin_inst *inst = NULL;
    struct skv_err err = {0};
    conf_init(&c);
    conf_add(&c, "paranoid_checks", "false", 7, 13);
    CU_ASSERT(load(&c, &inst, &err) == SKV_ERR_CONFIG);
    CU_ASSERT(inst == NULL);
    CU_ASSERT(strstr(err.msg, "paranoid_checks cannot be false") != NULL);
    conf_free(&c);
}

static void test_good_options(void)
{
    struct skv_conf_plugin c;
    struct fx f;
    conf_init(&c);
    conf_add(&c, "cache_mb", "0", 2, 3);
    conf_add(&c, "block_size_kb", "1", 3, 3);
    conf_add(&c, "write_buffer_mb", "1", 4, 3);
    conf_add(&c, "compression", "true", 5, 3);
    conf_add(&c, "paranoid_checks", "true", 6, 3);
    conf_add(&c, "max_open_files", "64", 7, 3);
    conf_add(&c, "bloom_bits", "0", 8, 3);
    CU_ASSERT_FATAL(fx_open_conf(&f, &c) == 0);
    CU_ASSERT(PUTS(&f, "k", "v") == SKV_OK);
    CU_ASSERT(GET_IS(&f, NULL, "k", "v"));
    fx_close(&f);
    conf_free(&c);
}

/* bloom_bits: tables get a filter block by default (the put path's
 * revision look-ups are mostly misses); a store written with filters
 * opens and reads the same with bloom_bits 0, and the other way round. */
#define BLOOM_NAME "leveldb.BuiltinBloomFilter2"

static int files_with(const char *dir, const char *needle);

static void fill_and_flush(struct fx *f, const char *pfx, int n)
{
    char k[32], v[64];
    struct skv_err err = {0};
    int i;
    for (i = 0; i < n; i++) {
        snprintf(k, sizeof k, "%s%05d", pfx, i);
        snprintf(v, sizeof v, "value-%d", i);
        CU_ASSERT(PUTS(f, k, v) == SKV_OK);
    }
    CU_ASSERT(f->ops->compact(f->db, NULL, 0, NULL, 0, &err) == SKV_OK);
}

static int all_there(struct fx *f, const char *pfx, int n)
{
    char k[32], v[64];
    int i, ok = 1;
    for (i = 0; i < n; i++) {
        snprintf(k, sizeof k, "%s%05d", pfx, i);
        snprintf(v, sizeof v, "value-%d", i);
        ok &= GET_IS(f, NULL, k, v);
        snprintf(k, sizeof k, "%s%05d-absent", pfx, i);
        ok &= get_rc(f, NULL, k, strlen(k)) == SKV_ERR_NOTFOUND;
    }
    return ok;
}

static void test_bloom_toggle(void)
{
    struct skv_conf_plugin c;
    struct skv_plugin_inst *off = NULL;
    const struct skv_storage_ops *ops;
    struct skv_err err = {0};
    struct fx f;
    void *db = NULL;
    CU_ASSERT_FATAL(fx_open(&f) == 0);   /* default: bloom_bits 10 */
    fill_and_flush(&f, "a", 2000);
    CU_ASSERT(files_with(f.path, BLOOM_NAME) > 0);
    f.ops->close(f.db);
    f.db = NULL;
    conf_init(&c);
    conf_add(&c, "bloom_bits", "0", 2, 3);
    CU_ASSERT_FATAL(load(&c, &off, &err) == SKV_OK);
    ops = skv_plugin_ops(off);
    CU_ASSERT_FATAL(ops->open(skv_plugin_state(off), f.path, &db, &err) == SKV_OK);
    f.db = db;   /* read and write it through the instance without filters */
    f.ops = ops;
    CU_ASSERT(all_there(&f, "a", 2000));
    fill_and_flush(&f, "b", 2000);   /* the full compaction rewrote every table */
    CU_ASSERT(files_with(f.path, BLOOM_NAME) == 0);
    ops->close(db);
    skv_plugin_unload(off);
    conf_free(&c);
    f.ops = skv_plugin_ops(f.inst);
    CU_ASSERT_FATAL(f.ops->open(f.state, f.path, &f.db, &err) == SKV_OK);
    CU_ASSERT(all_there(&f, "a", 2000));
    CU_ASSERT(all_there(&f, "b", 2000));
    fx_close(&f);
}

/* ---- write_buffer_stagger ----------------------------------------------- */

/* Load as node `id` with write_buffer_mb 1 (and write_buffer_stagger
 * `stagger` unless NULL), the init's debug line captured from stderr:
 * the memtable size the plugin gives LevelDB, in bytes, or 0. */
static size_t write_buffer_as(uint64_t id, const char *stagger)
{
    struct skv_conf_plugin c;
    struct skv_host_hooks hooks;
    struct skv_plugin_inst *inst = NULL;
    struct skv_err err = {0};
    char tmpl[] = "/tmp/skv-ldb-log-XXXXXX", buf[4096], *p;
    int fd = mkstemp(tmpl), saved = dup(2);
    size_t got = 0;
    ssize_t n;
    if (fd < 0 || saved < 0)
        return 0;
    memset(&hooks, 0, sizeof hooks);
    hooks.node_id = id;
    hooks.log_level = SKV_LOG_DEBUG;
    conf_init(&c);
    conf_add(&c, "write_buffer_mb", "1", 2, 3);
    if (stagger)
        conf_add(&c, "write_buffer_stagger", stagger, 3, 3);
    fflush(stderr);
    dup2(fd, 2);
    if (skv_plugin_load(SKV_KIND_STORAGE, &c, "test.yaml", NULL, 0, &hooks, &inst, &err) != SKV_OK)
        inst = NULL;
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = 0;
    if (inst && (p = strstr(buf, "write buffer ")))
        got = (size_t)strtoull(p + strlen("write buffer "), NULL, 10);
    close(fd);
    unlink(tmpl);
    skv_plugin_unload(inst);
    conf_free(&c);
    return got;
}

/* Node N's memtable is write_buffer_mb x (1 + ((N - 1) mod 5) / 10), so
 * the nodes of a cluster do not flush in step; 0 (offline tools) and
 * write_buffer_stagger false keep the size as set. */
static void test_write_buffer_stagger(void)
{
    const size_t mib = 1048576, tenth = mib / 10;
    CU_ASSERT(write_buffer_as(1, NULL) == mib);
    CU_ASSERT(write_buffer_as(2, NULL) == mib + tenth);
    CU_ASSERT(write_buffer_as(3, NULL) == mib + 2 * tenth);
    CU_ASSERT(write_buffer_as(5, NULL) == mib + 4 * tenth);
    CU_ASSERT(write_buffer_as(6, NULL) == mib);
    CU_ASSERT(write_buffer_as(0, NULL) == mib);
    CU_ASSERT(write_buffer_as(3, "false") == mib);
}

/* ---- writeback_kb ------------------------------------------------------- */

/* The number of NNNNNN.ldb files in `dir` of at least `min` bytes. */
static int tables_of(const char *dir, off_t min)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct stat st;
    char p[4096];
    int n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".ldb") != 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) == 0 && st.st_size >= min)
            n++;
    }
    closedir(d);
    return n;
}

/* A store opened with write_buffer_mb 1 and writeback_kb `kb`, its
 * plugin's debug lines captured from stderr into a temporary file until
 * wb_close, which reads the writeback thread's summary line. */
struct wb {
    struct skv_conf_plugin c;
    struct skv_host_hooks hooks;
    struct fx f;
    struct skv_err err;
    char tmpl[32];
    int fd, saved, rc;
};

static int wb_open(struct wb *w, const char *kb)
{
    memset(w, 0, sizeof *w);
    snprintf(w->tmpl, sizeof w->tmpl, "/tmp/skv-ldb-log-XXXXXX");
    w->fd = mkstemp(w->tmpl);
    w->saved = dup(2);
    CU_ASSERT_FATAL(w->fd >= 0 && w->saved >= 0);
    w->hooks.node_id = 1;
    w->hooks.log_level = SKV_LOG_DEBUG;
    conf_init(&w->c);
    conf_add(&w->c, "write_buffer_mb", "1", 2, 3);
    conf_add(&w->c, "writeback_kb", kb, 3, 3);
    fflush(stderr);
    dup2(w->fd, 2);
    w->rc = skv_plugin_load(SKV_KIND_STORAGE, &w->c, "test.yaml", NULL, 0, &w->hooks, &w->f.inst,
                            &w->err);
    if (w->rc == SKV_OK) {
        w->f.ops = skv_plugin_ops(w->f.inst);
        w->f.state = skv_plugin_state(w->f.inst);
        w->f.dir = skv_test_tmpdir("ldb");
        snprintf(w->f.path, sizeof w->f.path, "%s/db", w->f.dir ? w->f.dir : "/nonexistent");
        w->rc = w->f.ops->open(w->f.state, w->f.path, &w->f.db, &w->err);
    }
    return w->rc;
}

/* Close the store; the ranges the writeback thread started and the
 * tables it watched (`files`), from its summary line, or -1 when there
 * is none. The thread's warning, if it logged one (what failed), and
 * an open's error are passed on to the real stderr. */
static long wb_close(struct wb *w, long *files)
{
    char buf[16384], *p;
    long ranges = -1;
    ssize_t n;
    if (w->f.db)
        w->f.ops->close(w->f.db);
    w->f.db = NULL;
    fflush(stderr);
    dup2(w->saved, 2);
    close(w->saved);
    n = pread(w->fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = 0;
    *files = -1;
    if ((p = strstr(buf, "ranges started over ")) && p > buf) {
        *files = strtol(p + strlen("ranges started over "), NULL, 10);
        while (p > buf && p[-1] == ' ')
            p--;
        while (p > buf && p[-1] >= '0' && p[-1] <= '9')
            p--;
        ranges = strtol(p, NULL, 10);
    }
    if ((p = strstr(buf, "writeback_kb: ")))
        fprintf(stderr, "%.*s\n", (int)strcspn(p, "\n"), p);
    if (w->rc != SKV_OK)
        fprintf(stderr, "%s\n", w->err.msg);
    close(w->fd);
    unlink(w->tmpl);
    fx_close(&w->f);
    conf_free(&w->c);
    return ranges;
}

/* Write 2.5 MiB of 4 KiB values (two memtable flushes) and wait for a
 * flushed table of 512 KiB: LevelDB writes its tables itself. */
static long writeback_ranges(const char *kb)
{
    struct wb w;
    char key[16], val[4096];
    long files;
    int i, rc = wb_open(&w, kb);
    struct timespec t0, t;
    memset(val, 'v', sizeof val);
    for (i = 0; rc == SKV_OK && i < 640; i++) {
        snprintf(key, sizeof key, "k%06d", i);
        rc = put(&w.f, key, strlen(key), val, sizeof val, 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    t = t0;
    while (rc == SKV_OK && tables_of(w.f.path, 512 * 1024) < 1 && t.tv_sec - t0.tv_sec < 20) {
        usleep(10000);
        clock_gettime(CLOCK_MONOTONIC, &t);
    }
    CU_ASSERT(rc == SKV_OK && tables_of(w.f.path, 512 * 1024) >= 1);
    return wb_close(&w, &files);
}

/* wb_open with writeback_kb `kb`, asserted; on a failure the store is
 * closed again (stderr restored) and 0 returned. */
static int wb_opened(struct wb *w, const char *kb)
{
    long files;
    if (wb_open(w, kb) == SKV_OK)
        return 1;
    CU_FAIL("cannot open the store with writeback_kb");
    wb_close(w, &files);
    return 0;
}

/* The writeback thread's inotify fd in this process, or -1. */
static int inotify_fd(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    char p[300], l[64];
    ssize_t n;
    int fd = -1;
    while (d && fd < 0 && (e = readdir(d))) {
        snprintf(p, sizeof p, "/proc/self/fd/%s", e->d_name);
        if ((n = readlink(p, l, sizeof l - 1)) > 0) {
            l[n] = 0;
            if (strcmp(l, "anon_inode:inotify") == 0)
                fd = atoi(e->d_name);
        }
    }
    if (d)
        closedir(d);
    return fd;
}

/* Poll (10 s at most) until inotify fd `ino` holds `watches` watches
 * (its fdinfo) and no unread event (FIONREAD), i.e. the thread has read
 * everything so far; 0, or -1 at the deadline. */
static int wb_settled(int ino, int watches)
{
    char p[64], buf[4096], *q;
    int i, fd, n, pending;
    ssize_t len;
    snprintf(p, sizeof p, "/proc/self/fdinfo/%d", ino);
    for (i = 0; i < 1000; i++, usleep(10000)) {
        if ((fd = open(p, O_RDONLY)) < 0)
            return -1;
        len = read(fd, buf, sizeof buf - 1);
        close(fd);
        buf[len > 0 ? len : 0] = 0;
        for (n = 0, q = buf; (q = strstr(q, "inotify wd:")); q++)
            n++;
        if (n == watches && ioctl(ino, FIONREAD, &pending) == 0 && pending == 0)
            return 0;
    }
    return -1;
}

/* A table file is handed to the kernel's writeback in writeback_kb steps
 * as LevelDB writes it (ldb_wback.c); writeback_kb 0 starts no thread. */
static void test_writeback(void)
{
    CU_ASSERT(writeback_ranges("64") >= 1);
    CU_ASSERT(writeback_ranges("0") == -1);
}

/* The two ways a table reaches the thread, made deterministic with table
 * files of the test's own (numbers LevelDB has not reached):
 *  - written after the thread watches it, 64 KiB at a time, each write's
 *    event read before the next write: one range per one or two writes,
 *    so at least 3 over 8 writes — only the per-file watch starts them;
 *  - written in full before its name appears (a hard link, which is an
 *    IN_CREATE; no write follows): handed over at once when it is seen
 *    (a loaded thread can see a table's creation after LevelDB wrote and
 *    closed it: CI saw 0 ranges). */
static void test_writeback_watch(void)
{
    struct wb w;
    char t[4200], tmp[4200], chunk[65536];
    long files, ranges;
    int ino, fd, i, ok;
    memset(chunk, 't', sizeof chunk);
    if (!wb_opened(&w, "64"))
        return;
    ino = inotify_fd();
    CU_ASSERT(ino >= 0 && wb_settled(ino, 1) == 0);
    snprintf(t, sizeof t, "%s/990000.ldb", w.f.path);
    fd = open(t, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ok = fd >= 0 && ino >= 0 && wb_settled(ino, 2) == 0;
    for (i = 0; ok && i < 8; i++)
        ok = write(fd, chunk, sizeof chunk) == (ssize_t)sizeof chunk && wb_settled(ino, 2) == 0;
    CU_ASSERT(ok);
    if (fd >= 0)
        close(fd);   /* IN_CLOSE_WRITE: dropped */
    unlink(t);
    ranges = wb_close(&w, &files);
    CU_ASSERT(ranges >= 3 && files == 1);
    if (!(ranges >= 3 && files == 1))
        fprintf(stderr, "written while watched: %ld ranges over %ld files\n", ranges, files);

    if (!wb_opened(&w, "64"))
        return;
    ino = inotify_fd();
    CU_ASSERT(ino >= 0 && wb_settled(ino, 1) == 0);
    snprintf(tmp, sizeof tmp, "%s/pre.tmp", w.f.dir);
    snprintf(t, sizeof t, "%s/990001.ldb", w.f.path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ok = fd >= 0;
    for (i = 0; ok && i < 4; i++)
        ok = write(fd, chunk, sizeof chunk) == (ssize_t)sizeof chunk;
    ok = ok && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);   /* before the link: no close event for the thread */
    ok = ok && link(tmp, t) == 0;
    CU_ASSERT(ok && ino >= 0 && wb_settled(ino, 2) == 0);
    unlink(t);
    unlink(tmp);
    ranges = wb_close(&w, &files);
    CU_ASSERT(ranges == 1 && files == 1);
    if (!(ranges == 1 && files == 1))
        fprintf(stderr, "written before it was seen: %ld ranges over %ld files\n", ranges, files);
}

/* The writeback thread's voluntary context switches (each sleep it
 * takes), from /proc/self/task/TID/status; -1 when it is not found. */
static long wb_thread_sleeps(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    char p[300], buf[4096], *q;
    long sleeps = -1;
    FILE *fp;
    while (d && sleeps < 0 && (e = readdir(d))) {
        snprintf(p, sizeof p, "/proc/self/task/%s/comm", e->d_name);
        if (!(fp = fopen(p, "r")))
            continue;
        buf[0] = 0;
        if (!fgets(buf, sizeof buf, fp))
            buf[0] = 0;
        fclose(fp);
        if (strncmp(buf, "skv-ldb-wback", 13) != 0)
            continue;
        snprintf(p, sizeof p, "/proc/self/task/%s/status", e->d_name);
        if (!(fp = fopen(p, "r")))
            continue;
        while (fgets(buf, sizeof buf, fp))
            if ((q = strstr(buf, "voluntary_ctxt_switches:")) == buf)
                sleeps = strtol(q + strlen("voluntary_ctxt_switches:"), NULL, 10);
        fclose(fp);
    }
    if (d)
        closedir(d);
    return sleeps;
}

/* The thread reads its events at most every 5 ms (WB_PACE_MS), so a
 * table written 4 KiB a millisecond costs it at most two sleeps (the
 * wait for an event, the pace) per 5 ms, not one wake-up per write:
 * 60 writes over >= 60 ms, at most 2 * (ms / 5 + 3) sleeps. writeback_kb
 * is past the table's size, so no range (and no wait for one) is made. */
static void test_writeback_pace(void)
{
    struct wb w;
    char t[4200], chunk[4096];
    struct timespec t0, t1;
    long files, s0, s1, ms;
    int ino, fd, i, ok;
    memset(chunk, 'p', sizeof chunk);
    if (!wb_opened(&w, "1048576"))
        return;
    ino = inotify_fd();
    snprintf(t, sizeof t, "%s/990002.ldb", w.f.path);
    fd = open(t, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ok = fd >= 0 && ino >= 0 && wb_settled(ino, 2) == 0;
    s0 = wb_thread_sleeps();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; ok && i < 60; i++) {
        ok = write(fd, chunk, sizeof chunk) == (ssize_t)sizeof chunk;
        usleep(1000);
    }
    ok = ok && wb_settled(ino, 2) == 0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s1 = wb_thread_sleeps();
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    if (fd >= 0)
        close(fd);
    unlink(t);
    wb_close(&w, &files);   /* stderr is the test's again */
    CU_ASSERT(ok && s0 >= 0 && s1 >= s0);
    CU_ASSERT(s1 - s0 <= 2 * (ms / 5 + 3));
    if (!(s1 - s0 <= 2 * (ms / 5 + 3)))
        fprintf(stderr, "writeback thread: %ld sleeps over 60 writes in %ld ms\n", s1 - s0, ms);
}

/* l0_slowdown_ms's wait per synced write by level-0 table count
 * (ldb_l0.h): none below 8, one step per table from the 8th, at most 4
 * (LevelDB stops at 12), none with the option off or an unread count. */
static void test_l0_wait(void)
{
    CU_ASSERT_EQUAL(skv_ldb_l0_wait_us(-1, 5000), 0);
    CU_ASSERT_EQUAL(skv_ldb_l0_wait_us(0, 5000), 0);
    CU_ASSERT_EQUAL(skv_ldb_l0_wait_us(7, 5000), 0);
    CU_ASSERT_EQUAL(skv_ldb_l0_wait_us(8, 5000), 5000);
    CU_ASSERT_EQUAL(skv_ldb_l0_wait_us(9, 5000), 10000);
    CU_ASSERT_EQUAL(skv_ldb_l0_wait_us(10, 5000), 15000);
    CU_ASSERT_EQUAL(skv_ldb_l0_wait_us(11, 5000), 20000);
    CU_ASSERT_EQUAL(skv_ldb_l0_wait_us(12, 5000), 20000);
    CU_ASSERT_EQUAL(skv_ldb_l0_wait_us(1000, 5000), 20000);
    CU_ASSERT_EQUAL(skv_ldb_l0_wait_us(10, 0), 0);
    CU_ASSERT_EQUAL(skv_ldb_l0_wait_us(10, -1), 0);
    CU_ASSERT_EQUAL(skv_ldb_l0_wait_us(8, 100000), 100000);
}

/* ---- the background thread's priority --------------------------------- */

/* The nice value of thread tid of this process (/proc: field 19 of
 * stat, the 17th after the name, which may hold spaces), or 100. */
static int thread_nice(const char *tid)
{
    char path[64], buf[1024], *p, *save = NULL;
    int fd, field;
    ssize_t len;
    snprintf(path, sizeof path, "/proc/self/task/%s/stat", tid);
    if ((fd = open(path, O_RDONLY)) < 0)
        return 100;
    len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0 || !(p = memrchr(buf, ')', (size_t)len)))
        return 100;
    buf[len] = 0;
    for (field = 3, p = strtok_r(p + 1, " ", &save); p && field < 19; field++)
        p = strtok_r(NULL, " ", &save);
    return p ? atoi(p) : 100;
}

/* Threads of this process at nice `want`. */
static int threads_at(int want)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && thread_nice(e->d_name) == want)
            n++;
    closedir(d);
    return n;
}

/* Runs first: the first open of the process starts LevelDB's background
 * thread, compaction_nice (default 10) steps below the caller's priority
 * (at most nice 19); the caller keeps its own. */
static void test_compaction_nice(void)
{
    struct fx f;
    char self[32];
    int base, want;
    snprintf(self, sizeof self, "%d", (int)gettid());
    base = thread_nice(self);
    want = base + 10 > 19 ? 19 : base + 10;
    CU_ASSERT_FATAL(base >= -20 && base <= 19);
    if (want == base) {
        fprintf(stderr, "compaction_nice: this test runs at nice %d already: not checked\n", base);
        return;
    }
    CU_ASSERT_FATAL(threads_at(want) == 0);
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    CU_ASSERT(threads_at(want) == 1);        /* LevelDB's, and the helper is gone */
    CU_ASSERT(thread_nice(self) == base);
    CU_ASSERT(PUTS(&f, "k", "v") == SKV_OK);
    CU_ASSERT(get_is(&f, NULL, "k", 1, "v", 1));
    fx_close(&f);
}

/* ---- compaction ---------------------------------------------------- */

#define MARK "SKV-DEAD-BYTES-MARK"

/* Number of files in `dir` containing `needle`. */
static int files_with(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int hits = 0;
    if (!d)
        return -1;
    while ((e = readdir(d))) {
        char p[1024];
        struct stat st;
        FILE *fp;
        char *buf;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
            continue;
        if (!(fp = fopen(p, "rb")))
            continue;
        buf = malloc((size_t)st.st_size);
        if (buf && fread(buf, 1, (size_t)st.st_size, fp) == (size_t)st.st_size &&
            memmem(buf, (size_t)st.st_size, needle, strlen(needle)))
            hits++;
        free(buf);
        fclose(fp);
    }
    closedir(d);
    return hits;
}

static int files_with_mark(const char *dir) { return files_with(dir, MARK); }

/* Write n marked values under prefix, and delete (or overwrite) them. */
static void churn(struct fx *f, const char *prefix, int n, int overwrite)
{
    char k[32], v[4096];
    int i;
    memset(v, 'x', sizeof v);
    memcpy(v, MARK, strlen(MARK));
    for (i = 0; i < n; i++) {
        snprintf(k, sizeof k, "%s%05d", prefix, i);
        CU_ASSERT(put(f, k, strlen(k), v, sizeof v, 0) == SKV_OK);
    }
    for (i = 0; i < n; i++) {
        snprintf(k, sizeof k, "%s%05d", prefix, i);
        if (overwrite) {
            CU_ASSERT(PUTS(f, k, "clean") == SKV_OK);
        } else {
            CU_ASSERT(del(f, k, strlen(k)) == SKV_OK);
        }
    }
}

static int compact(struct fx *f, const void *b, size_t bl, const void *e,
                   size_t el)
{
    struct skv_err err = {0};
    CU_ASSERT_FATAL(SKV_HAS(f->ops, struct skv_storage_ops, compact));
    return f->ops->compact(f->db, b, bl, e, el, &err);
}

/* Small store: values and their deletes sit in one flushed file at the
 * deepest level; compaction must still drop them. */
static void test_compact_small(void)
{
    struct fx f;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    CU_ASSERT(PUTS(&f, "keep", "kept") == SKV_OK);
    churn(&f, "d", 64, 0);
    churn(&f, "o", 64, 1);
    CU_ASSERT(files_with_mark(f.path) > 0); /* the test can see dead bytes */
    CU_ASSERT(compact(&f, NULL, 0, NULL, 0) == SKV_OK);
    CU_ASSERT(files_with_mark(f.path) == 0);
    CU_ASSERT(GET_IS(&f, NULL, "keep", "kept"));
    CU_ASSERT(GET_IS(&f, NULL, "o00000", "clean"));
    CU_ASSERT(GET_IS(&f, NULL, "o00063", "clean"));
    CU_ASSERT(get_rc(&f, NULL, "d00001", 6) == SKV_ERR_NOTFOUND);
    /* the bound entries compact() wrote are invisible */
    CU_ASSERT(get_rc(&f, NULL, "", 0) == SKV_ERR_NOTFOUND);
    fx_close(&f);
}

/* A bounded range in a small store: the bounds are used as given; a key
 * exactly at `end` keeps its value, keys outside are untouched. */
static void test_compact_range(void)
{
    struct fx f;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    churn(&f, "m", 64, 0);
    CU_ASSERT(PUTS(&f, "n", "end-key") == SKV_OK);
    CU_ASSERT(PUTS(&f, "a", "before") == SKV_OK);
    CU_ASSERT(files_with_mark(f.path) > 0);
    CU_ASSERT(compact(&f, "m", 1, "n", 1) == SKV_OK);
    CU_ASSERT(files_with_mark(f.path) == 0);
    CU_ASSERT(GET_IS(&f, NULL, "n", "end-key"));
    CU_ASSERT(GET_IS(&f, NULL, "a", "before"));
    CU_ASSERT(get_rc(&f, NULL, "m", 1) == SKV_ERR_NOTFOUND);
    CU_ASSERT(get_rc(&f, NULL, "m00010", 6) == SKV_ERR_NOTFOUND);
    CU_ASSERT(compact(&f, "z", 1, "a", 1) == SKV_OK); /* empty range */
    fx_close(&f);
}

/* Larger store: several memtable flushes spread data over levels. */
static void test_compact_large(void)
{
    struct fx f;
    int i;
    char k[16];
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    churn(&f, "L", 1500, 0); /* ~6 MiB: more than one memtable */
    churn(&f, "M", 300, 1);
    CU_ASSERT(files_with_mark(f.path) > 0);
    CU_ASSERT(compact(&f, NULL, 0, NULL, 0) == SKV_OK);
    CU_ASSERT(files_with_mark(f.path) == 0);
    for (i = 0; i < 1500; i += 97) {
        snprintf(k, sizeof k, "L%05d", i);
        CU_ASSERT(get_rc(&f, NULL, k, strlen(k)) == SKV_ERR_NOTFOUND);
    }
    CU_ASSERT(GET_IS(&f, NULL, "M00299", "clean"));
    fx_close(&f);
}

/* A read view pins what it can see: compaction keeps it readable. */
static void test_compact_keeps_view(void)
{
    struct fx f;
    struct skv_err err = {0};
    void *view;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    CU_ASSERT(PUTS(&f, "k", "old") == SKV_OK);
    CU_ASSERT_FATAL(f.ops->view_new(f.db, &view, &err) == SKV_OK);
    CU_ASSERT(del(&f, "k", 1) == SKV_OK);
    CU_ASSERT(compact(&f, NULL, 0, NULL, 0) == SKV_OK);
    CU_ASSERT(GET_IS(&f, view, "k", "old"));
    CU_ASSERT(get_rc(&f, NULL, "k", 1) == SKV_ERR_NOTFOUND);
    f.ops->view_release(f.db, view);
    fx_close(&f);
}

/* ---- threads and exports ------------------------------------------- */

struct worker {
    struct fx *f;
    int id;
    int errors;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char k[32], v[32];
    int i;
    for (i = 0; i < 300; i++) {
        snprintf(k, sizeof k, "t%d-%04d", w->id, i);
        snprintf(v, sizeof v, "%d:%d", w->id, i);
        if (put(w->f, k, strlen(k), v, strlen(v), i % 50 == 0) != SKV_OK ||
            !get_is(w->f, NULL, k, strlen(k), v, strlen(v)))
            w->errors++;
    }
    return NULL;
}

static void test_threads(void)
{
    struct fx f;
    struct worker w[4];
    pthread_t t[4];
    struct skv_err err = {0};
    void *it;
    int i, n = 0;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    for (i = 0; i < 4; i++) {
        w[i].f = &f;
        w[i].id = i;
        w[i].errors = 0;
        CU_ASSERT_FATAL(pthread_create(&t[i], NULL, worker_main, &w[i]) == 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT(w[i].errors == 0);
    }
    CU_ASSERT_FATAL(f.ops->iter_new(f.db, NULL, &it, &err) == SKV_OK);
    for (f.ops->iter_seek(it, "t", 1); f.ops->iter_valid(it) && n < 5000;
         f.ops->iter_next(it))
        n++;
    f.ops->iter_free(it);
    CU_ASSERT(n == 1200);
    fx_close(&f);
}

static void test_exports_only_entry(void)
{
    struct skv_conf_plugin c;
    struct skv_plugin_inst *inst = NULL;
    struct skv_err err = {0};
    void *h;
    conf_init(&c);
    CU_ASSERT_FATAL(load(&c, &inst, &err) == SKV_OK);
    CU_ASSERT(strcmp(skv_plugin_desc(inst)->name, "leveldb") == 0);
    CU_ASSERT(strstr(skv_plugin_path(inst), "storage-leveldb.so") != NULL);
    h = dlopen(skv_plugin_path(inst), RTLD_NOW | RTLD_LOCAL);
    CU_ASSERT_FATAL(h != NULL);
    CU_ASSERT(dlsym(h, "sealkv_plugin_v1") != NULL);
    CU_ASSERT(dlsym(h, "skv_ldb_open") == NULL);
    CU_ASSERT(dlsym(h, "skv_ldb_map_err") == NULL);
    CU_ASSERT(dlsym(h, "skv_ldb_compact") == NULL);
    dlclose(h);
    skv_plugin_unload(inst);
    conf_free(&c);
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("storage-leveldb", NULL, NULL);
    if (!s ||
        !CU_add_test(s, "compaction thread at nice 10", test_compaction_nice) ||
        !CU_add_test(s, "memtable size staggered by node id", test_write_buffer_stagger) ||
        !CU_add_test(s, "table files written back as they grow", test_writeback) ||
        !CU_add_test(s, "writeback: watched writes, tables seen late", test_writeback_watch) ||
        !CU_add_test(s, "writeback: events read at a pace", test_writeback_pace) ||
        !CU_add_test(s, "level-0 slowdown steps", test_l0_wait) ||
        !CU_add_test(s, "put/get/delete", test_put_get_delete) ||
        !CU_add_test(s, "binary keys and values", test_binary_values) ||
        !CU_add_test(s, "1 MiB value", test_large_value) ||
        !CU_add_test(s, "bad arguments", test_bad_arguments) ||
        !CU_add_test(s, "batch order and atomicity", test_batch_order_and_atomicity) ||
        !CU_add_test(s, "batch visible atomically", test_batch_visible_atomically) ||
        !CU_add_test(s, "iterator memcmp order", test_iter_order) ||
        !CU_add_test(s, "iterator seek/seek_last/prev", test_iter_seek) ||
        !CU_add_test(s, "iterator on empty store", test_iter_empty_store) ||
        !CU_add_test(s, "read-view isolation", test_view_isolation) ||
        !CU_add_test(s, "reopen persistence", test_reopen_persistence) ||
        !CU_add_test(s, "locked: same process", test_locked_same_process) ||
        !CU_add_test(s, "locked: other process", test_locked_other_process) ||
        !CU_add_test(s, "corrupt CURRENT", test_corrupt_current) ||
        !CU_add_test(s, "corrupt MANIFEST", test_corrupt_manifest) ||
        !CU_add_test(s, "open errors", test_open_errors) ||
        !CU_add_test(s, "bad options refused", test_bad_options) ||
        !CU_add_test(s, "good options", test_good_options) ||
        !CU_add_test(s, "paranoid_checks cannot be off", test_paranoid_forced) ||
        !CU_add_test(s, "bloom filter on and off", test_bloom_toggle) ||
        !CU_add_test(s, "compact: small store", test_compact_small) ||
        !CU_add_test(s, "compact: bounded range", test_compact_range) ||
        !CU_add_test(s, "compact: larger store", test_compact_large) ||
        !CU_add_test(s, "compact: keeps read views", test_compact_keeps_view) ||
        !CU_add_test(s, "threads", test_threads) ||
        !CU_add_test(s, "exports only the entry", test_exports_only_entry)) {
        CU_cleanup_registry();
        return 99;
    }
    return skv_test_run();
}
