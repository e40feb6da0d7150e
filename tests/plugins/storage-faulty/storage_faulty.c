/* SPDX-License-Identifier: MIT */
/*
 * storage_faulty.c — test-only storage plugin "faulty": wraps the real
 * storage-leveldb plugin and injects write failures controlled at run
 * time by a file. Never installed (check_LTLIBRARIES).
 *
 * The real plugin is storage-leveldb.so, found in $SEALKV_PLUGIN_PATH
 * (colon list), dlopen()ed and initialised with the same host table, so
 * its own options (cache_mb, ...) may be given next to ours. Every op is
 * forwarded; only write() (and compact(), which writes) can be failed.
 *
 * Options (plugins.storage.options):
 *   fault_file   path of the control file (default: none = always healthy)
 *
 * Control file content (first word decides; re-read whenever its mtime,
 * size or inode changes; missing or empty = healthy):
 *   write-fail-after N   counting from when this content was read, the Nth
 *                        and every later write batch fails with SKV_ERR_IO
 *                        "injected: No space left on device" (nothing of
 *                        the batch reaches the store)
 *   sync-fail            every write with sync != 0 fails with SKV_ERR_IO
 *                        "injected: fsync failed: Input/output error";
 *                        unsynced writes pass
 * Each change of the fault state is logged once (WARN).
 */
#define _GNU_SOURCE 1
#include <sealkv/plugin.h>
#include <sealkv/storage.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { F_NONE = 0, F_WRITE_AFTER, F_SYNC };

struct faulty {
    const struct skv_host *host;
    const struct skv_plugin *inner_desc;
    const struct skv_storage_ops *in;
    void *in_state;
    char *fault_file;
    char inner_path[4096];

    pthread_mutex_t mu;           /* guards everything below */
    int have_stat;                /* a stat of the control file was seen */
    struct stat last;             /* what we parsed last */
    int mode;
    unsigned long long after;     /* F_WRITE_AFTER: N */
    unsigned long long count;     /* write batches since armed */
};

/* A db handle: the inner handle plus our instance. */
struct fdb {
    struct faulty *f;
    void *in;
};

/* Read and parse the control file (caller holds mu). */
static void parse_file(struct faulty *f)
{
    char buf[256] = "";
    unsigned long long n = 0;
    FILE *fp = fopen(f->fault_file, "r");
    int old = f->mode;
    unsigned long long old_after = f->after;
    size_t got = 0;
    if (fp) {
        got = fread(buf, 1, sizeof buf - 1, fp);
        fclose(fp);
    }
    buf[got] = 0;
    f->mode = F_NONE;
    f->count = 0;
    if (sscanf(buf, " write-fail-after %llu", &n) == 1) {
        f->mode = F_WRITE_AFTER;
        f->after = n ? n : 1;
    } else if (strncmp(buf + strspn(buf, " \t\r\n"), "sync-fail", 9) == 0) {
        f->mode = F_SYNC;
    } else if (buf[strspn(buf, " \t\r\n")] != 0) {
        f->host->log(f->host->ctx, SKV_LOG_WARN,
                     "faulty: %s: unrecognised content, treated as healthy",
                     f->fault_file);
    }
    if (f->mode != old || (f->mode == F_WRITE_AFTER && f->after != old_after)) {
        if (f->mode == F_WRITE_AFTER)
            f->host->log(f->host->ctx, SKV_LOG_WARN,
                         "faulty: armed: write batch %llu and later fail", f->after);
        else if (f->mode == F_SYNC)
            f->host->log(f->host->ctx, SKV_LOG_WARN,
                         "faulty: armed: synced writes fail");
        else
            f->host->log(f->host->ctx, SKV_LOG_WARN, "faulty: disarmed");
    }
}

/* Refresh the fault state if the file changed (caller holds mu). */
static void refresh(struct faulty *f)
{
    struct stat st;
    if (!f->fault_file)
        return;
    if (stat(f->fault_file, &st) != 0) {
        if (f->have_stat || f->mode != F_NONE) {
            f->have_stat = 0;
            if (f->mode != F_NONE)
                f->host->log(f->host->ctx, SKV_LOG_WARN, "faulty: disarmed (%s is gone)",
                             f->fault_file);
            f->mode = F_NONE;
            f->count = 0;
        }
        return;
    }
    if (f->have_stat && st.st_ino == f->last.st_ino && st.st_size == f->last.st_size &&
        st.st_mtim.tv_sec == f->last.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == f->last.st_mtim.tv_nsec)
        return;
    f->have_stat = 1;
    f->last = st;
    parse_file(f);
}

/* SKV_OK, or the injected error for a write (sync flag) about to run. */
static int inject(struct faulty *f, int sync, const char *what, struct skv_err *err)
{
    int rc = SKV_OK;
    pthread_mutex_lock(&f->mu);
    refresh(f);
    if (f->mode == F_WRITE_AFTER) {
        f->count++;
        if (f->count >= f->after)
            rc = skv_err_set(err, SKV_ERR_IO, "injected: No space left on device (%s)",
                             what);
    } else if (f->mode == F_SYNC && sync) {
        rc = skv_err_set(err, SKV_ERR_IO, "injected: fsync failed: Input/output error (%s)",
                         what);
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

/* ---- forwarded ops ------------------------------------------------------ */

static int f_open(void *state, const char *path, void **db, struct skv_err *err)
{
    struct faulty *f = state;
    struct fdb *d;
    int rc;
    if (!f || !db)
        return skv_err_set(err, SKV_ERR_INVALID, "faulty open: missing instance or handle");
    *db = NULL;
    if (!(d = calloc(1, sizeof *d)))
        return skv_err_set(err, SKV_ERR_NOMEM, "faulty open: out of memory");
    d->f = f;
    if ((rc = f->in->open(f->in_state, path, &d->in, err)) != SKV_OK) {
        free(d);
        return rc;
    }
    *db = d;
    return SKV_OK;
}

static void f_close(void *db)
{
    struct fdb *d = db;
    if (!d)
        return;
    d->f->in->close(d->in);
    free(d);
}

static int f_get(void *db, void *view, const void *key, size_t key_len, void **val,
                 size_t *val_len, struct skv_err *err)
{
    struct fdb *d = db;
    return d->f->in->get(d->in, view, key, key_len, val, val_len, err);
}

static void f_free_buf(void *db, void *buf)
{
    struct fdb *d = db;
    d->f->in->free_buf(d->in, buf);
}

static int f_write(void *db, const struct skv_batch_op *ops, size_t n, int sync,
                   struct skv_err *err)
{
    struct fdb *d = db;
    int rc = inject(d->f, sync, sync ? "synced write batch" : "write batch", err);
    if (rc != SKV_OK)
        return rc;
    return d->f->in->write(d->in, ops, n, sync, err);
}

static int f_view_new(void *db, void **view, struct skv_err *err)
{
    struct fdb *d = db;
    return d->f->in->view_new(d->in, view, err);
}

static void f_view_release(void *db, void *view)
{
    struct fdb *d = db;
    d->f->in->view_release(d->in, view);
}

/* Iterators are the inner plugin's own handles: the iter_* ops take no db,
 * so they are forwarded through the one inner ops table. */
static const struct skv_storage_ops *g_in;

static int f_iter_new(void *db, void *view, void **it, struct skv_err *err)
{
    struct fdb *d = db;
    return d->f->in->iter_new(d->in, view, it, err);
}
static void f_iter_seek(void *it, const void *k, size_t kl) { g_in->iter_seek(it, k, kl); }
static void f_iter_seek_last(void *it) { g_in->iter_seek_last(it); }
static int f_iter_valid(void *it) { return g_in->iter_valid(it); }
static void f_iter_next(void *it) { g_in->iter_next(it); }
static void f_iter_prev(void *it) { g_in->iter_prev(it); }
static const void *f_iter_key(void *it, size_t *l) { return g_in->iter_key(it, l); }
static const void *f_iter_value(void *it, size_t *l) { return g_in->iter_value(it, l); }
static int f_iter_status(void *it, struct skv_err *err) { return g_in->iter_status(it, err); }
static void f_iter_free(void *it) { g_in->iter_free(it); }

static int f_compact(void *db, const void *b, size_t bl, const void *e, size_t el,
                     struct skv_err *err)
{
    struct fdb *d = db;
    int rc;
    if (!SKV_HAS(d->f->in, struct skv_storage_ops, compact))
        return SKV_OK;
    /* compaction rewrites files: it fails like a synced write */
    if ((rc = inject(d->f, 1, "compaction", err)) != SKV_OK)
        return rc;
    return d->f->in->compact(d->in, b, bl, e, el, err);
}

static const struct skv_storage_ops faulty_ops = {
    .struct_size = sizeof(struct skv_storage_ops),
    .open = f_open,
    .close = f_close,
    .get = f_get,
    .free_buf = f_free_buf,
    .write = f_write,
    .view_new = f_view_new,
    .view_release = f_view_release,
    .iter_new = f_iter_new,
    .iter_seek = f_iter_seek,
    .iter_seek_last = f_iter_seek_last,
    .iter_valid = f_iter_valid,
    .iter_next = f_iter_next,
    .iter_prev = f_iter_prev,
    .iter_key = f_iter_key,
    .iter_value = f_iter_value,
    .iter_status = f_iter_status,
    .iter_free = f_iter_free,
    .compact = f_compact,
};

/* ---- loading the real plugin --------------------------------------------- */

static int load_inner(struct faulty *f, struct skv_err *err)
{
    const char *env = getenv("SEALKV_PLUGIN_PATH");
    skv_plugin_entry_fn entry;
    const struct skv_plugin *p;
    const struct skv_storage_ops *o;
    void *dl = NULL;
    char *dirs, *save = NULL, *dir;

    if (!env || !*env)
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "faulty: SEALKV_PLUGIN_PATH is not set: cannot find storage-leveldb.so");
    if (!(dirs = strdup(env)))
        return skv_err_set(err, SKV_ERR_NOMEM, "faulty: out of memory");
    for (dir = strtok_r(dirs, ":", &save); dir && !dl; dir = strtok_r(NULL, ":", &save)) {
        struct stat st;
        snprintf(f->inner_path, sizeof f->inner_path, "%s/storage-leveldb.so", dir);
        if (stat(f->inner_path, &st) == 0)
            dl = dlopen(f->inner_path, RTLD_NOW | RTLD_LOCAL);
    }
    free(dirs);
    if (!dl) {
        const char *why = dlerror();
        return skv_err_set(err, SKV_ERR_NOTFOUND,
                           "faulty: storage-leveldb.so not found in $SEALKV_PLUGIN_PATH%s%s",
                           why ? ": " : "", why ? why : "");
    }
    /* never dlclose()d: storage-leveldb is -z nodelete anyway */
    *(void **)(&entry) = dlsym(dl, SKV_PLUGIN_ENTRY);
    if (!entry || !(p = entry()))
        return skv_err_set(err, SKV_ERR_INVALID, "faulty: %s has no %s", f->inner_path,
                           SKV_PLUGIN_ENTRY);
    if (p->abi_major != SKV_ABI_MAJOR || p->kind != SKV_KIND_STORAGE ||
        p->struct_size < sizeof(struct skv_plugin) || !p->ops || !p->init)
        return skv_err_set(err, SKV_ERR_INVALID,
                           "faulty: %s is not a storage plugin of ABI %d", f->inner_path,
                           SKV_ABI_MAJOR);
    o = p->ops;
    if (!SKV_COVERS(o, struct skv_storage_ops, iter_free))
        return skv_err_set(err, SKV_ERR_INVALID, "faulty: %s: storage ops too small (%u)",
                           f->inner_path, o->struct_size);
    f->inner_desc = p;
    f->in = o;
    g_in = o;
    return SKV_OK;
}

static int faulty_init(const struct skv_host *host, void **state, struct skv_err *err)
{
    struct faulty *f;
    const char *ff = NULL;
    int rc;
    if (!host || !state || !host->opt_string || !host->log)
        return skv_err_set(err, SKV_ERR_INVALID, "faulty: init without a usable host table");
    if (!(f = calloc(1, sizeof *f)))
        return skv_err_set(err, SKV_ERR_NOMEM, "faulty: out of memory");
    f->host = host;
    pthread_mutex_init(&f->mu, NULL);
    if ((rc = host->opt_string(host->ctx, "fault_file", NULL, &ff, err)) != SKV_OK)
        goto fail;
    if (ff && *ff && !(f->fault_file = strdup(ff))) {
        rc = skv_err_set(err, SKV_ERR_NOMEM, "faulty: out of memory");
        goto fail;
    }
    if ((rc = load_inner(f, err)) != SKV_OK)
        goto fail;
    /* the real plugin reads its own options through the same host table */
    if ((rc = f->inner_desc->init(host, &f->in_state, err)) != SKV_OK)
        goto fail;
    pthread_mutex_lock(&f->mu);
    refresh(f);
    pthread_mutex_unlock(&f->mu);
    host->log(host->ctx, SKV_LOG_INFO, "faulty: wrapping %s, fault file %s", f->inner_path,
              f->fault_file ? f->fault_file : "(none)");
    *state = f;
    return SKV_OK;
fail:
    pthread_mutex_destroy(&f->mu);
    free(f->fault_file);
    free(f);
    return rc;
}

static void faulty_fini(void *state)
{
    struct faulty *f = state;
    if (!f)
        return;
    if (f->inner_desc && f->inner_desc->fini)
        f->inner_desc->fini(f->in_state);
    pthread_mutex_destroy(&f->mu);
    free(f->fault_file);
    free(f);
}

static const struct skv_plugin faulty_desc = {
    .abi_major = SKV_ABI_MAJOR,
    .abi_minor = SKV_ABI_MINOR,
    .struct_size = sizeof(struct skv_plugin),
    .kind = SKV_KIND_STORAGE,
    .name = "faulty",
    .version = "test",
    .description = "test only: storage-leveldb with write/fsync failures injected at run time",
    .init = faulty_init,
    .fini = faulty_fini,
    .ops = &faulty_ops,
};

SKV_PLUGIN_EXPORT const struct skv_plugin *sealkv_plugin_v1(void);

SKV_PLUGIN_EXPORT const struct skv_plugin *sealkv_plugin_v1(void)
{
    return &faulty_desc;
}
