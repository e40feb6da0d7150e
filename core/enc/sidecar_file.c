/* SPDX-License-Identifier: MIT */
/*
 * sidecar_file.c — reading <data_dir>/encryption/keys.json and replacing
 * it crash-durably: keys.json.tmp (0600) → fsync → rename → fsync of the
 * directory, and only then success. A failure before the rename leaves the
 * old file as it was and removes the tmp file.
 */
#include "enc/sidecar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SC_PATH_MAX 4096

struct sc_paths {
    char dir[SC_PATH_MAX];   /* <data_dir>/encryption */
    char file[SC_PATH_MAX + 16];  /* .../keys.json */
    char tmp[SC_PATH_MAX + 32];   /* .../keys.json.tmp */
};

static int paths_init(struct sc_paths *p, const char *data_dir,
                      struct skv_err *err)
{
    if (!data_dir || !*data_dir || strlen(data_dir) > SC_PATH_MAX - 64)
        return skv_err_set(err, SKV_ERR_INVALID, "sidecar: bad data_dir path");
    snprintf(p->dir, sizeof p->dir, "%s/%s", data_dir, SKV_SIDECAR_DIR);
    snprintf(p->file, sizeof p->file, "%s/%s", p->dir, SKV_SIDECAR_FILE);
    snprintf(p->tmp, sizeof p->tmp, "%s.tmp", p->file);
    return SKV_OK;
}

/* ---- load ----------------------------------------------------------------- */

/* Read at most SKV_SIDECAR_MAX_BYTES + 1 bytes of fd into a malloc'd buf. */
static int read_all(int fd, const char *path, char **buf, size_t *len,
                    struct skv_err *err)
{
    size_t cap = SKV_SIDECAR_MAX_BYTES + 1, n = 0;
    char *b = malloc(cap);
    if (!b)
        return skv_err_set(err, SKV_ERR_NOMEM, "sidecar: out of memory");
    while (n < cap) {
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(b);
            return skv_err_set(err, SKV_ERR_IO, "sidecar %s: read: %s", path,
                               strerror(errno));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *buf = b;
    *len = n;
    return SKV_OK;
}

static int load_fd(int fd, const char *path, struct skv_sidecar *sc,
                   struct skv_err *err)
{
    struct stat st;
    struct skv_err pe = {0};
    char *buf = NULL;
    size_t len = 0;
    int rc;
    if (fstat(fd, &st) != 0)
        return skv_err_set(err, SKV_ERR_IO, "sidecar %s: stat: %s", path,
                           strerror(errno));
    if (!S_ISREG(st.st_mode))
        return skv_err_set(err, SKV_ERR_CORRUPT, "sidecar %s: not a regular file",
                           path);
    if (st.st_size > (off_t)SKV_SIDECAR_MAX_BYTES)
        return skv_err_set(err, SKV_ERR_TOOBIG,
                           "sidecar %s: %lld bytes (at most %u)", path,
                           (long long)st.st_size, SKV_SIDECAR_MAX_BYTES);
    if ((rc = read_all(fd, path, &buf, &len, err)) != SKV_OK)
        return rc;
    rc = skv_sidecar_from_json(buf, len, sc, &pe);
    free(buf);
    if (rc == SKV_OK)
        return SKV_OK;
    return skv_err_set(err, rc == SKV_ERR_INVALID ? SKV_ERR_CORRUPT : rc,
                       "sidecar %s: %s", path, pe.msg);
}

int skv_sidecar_load(const char *data_dir, struct skv_sidecar *sc,
                     int *present, struct skv_err *err)
{
    struct sc_paths p;
    int fd, rc;
    *present = 0;
    skv_sidecar_init(sc);
    if ((rc = paths_init(&p, data_dir, err)) != SKV_OK)
        return rc;
    fd = open(p.file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT)
        return SKV_OK;
    if (fd < 0)
        return skv_err_set(err, SKV_ERR_IO, "sidecar %s: open: %s", p.file,
                           strerror(errno));
    rc = load_fd(fd, p.file, sc, err);
    close(fd);
    if (rc == SKV_OK)
        *present = 1;
    return rc;
}

/* ---- store ---------------------------------------------------------------- */

/* Non-zero when the test seam wants `step` to fail (errno = EIO). */
static int injected(const struct skv_sidecar_fault *f, int step)
{
    if (f && f->fail && f->fail(f->arg, step)) {
        errno = EIO;
        return 1;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc, e;
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    e = errno;
    close(fd);
    errno = e;
    return rc;
}

/* encryption/ exists as a directory afterwards; a new one is made durable
 * by an fsync of data_dir. */
static int ensure_dir(const char *data_dir, const struct sc_paths *p,
                      const struct skv_sidecar_fault *f, struct skv_err *err)
{
    struct stat st;
    if (injected(f, SKV_SC_STEP_MKDIR))
        return skv_err_set(err, SKV_ERR_IO, "sidecar %s: mkdir: %s", p->dir,
                           strerror(errno));
    if (mkdir(p->dir, 0700) == 0)
        return fsync_dir(data_dir) == 0
                   ? SKV_OK
                   : skv_err_set(err, SKV_ERR_IO, "sidecar %s: fsync: %s",
                                 data_dir, strerror(errno));
    if (errno != EEXIST)
        return skv_err_set(err, SKV_ERR_IO, "sidecar %s: mkdir: %s", p->dir,
                           strerror(errno));
    if (stat(p->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return skv_err_set(err, SKV_ERR_IO, "sidecar %s: not a directory", p->dir);
    return SKV_OK;
}

static int write_all(int fd, const char *b, size_t n)
{
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A fresh keys.json.tmp (0600) holding text + "\n", fsync'd and closed. */
static int write_tmp(const char *tmp, const char *text, size_t len,
                     const struct skv_sidecar_fault *f, struct skv_err *err)
{
    const char *what = "write";
    int fd, ok, e;
    if (unlink(tmp) != 0 && errno != ENOENT)
        return skv_err_set(err, SKV_ERR_IO, "sidecar %s: unlink: %s", tmp,
                           strerror(errno));
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return skv_err_set(err, SKV_ERR_IO, "sidecar %s: create: %s", tmp,
                           strerror(errno));
    errno = 0;
    ok = fchmod(fd, 0600) == 0 && !injected(f, SKV_SC_STEP_WRITE) &&
         write_all(fd, text, len) == 0 && write_all(fd, "\n", 1) == 0;
    if (ok) {
        what = "fsync";
        ok = !injected(f, SKV_SC_STEP_FSYNC_FILE) && fsync(fd) == 0;
    }
    e = errno;
    if (close(fd) != 0 && ok) {
        what = "close";
        e = errno;
        ok = 0;
    }
    if (!ok)
        return skv_err_set(err, SKV_ERR_IO, "sidecar %s: %s: %s", tmp, what,
                           strerror(e ? e : EIO));
    return SKV_OK;
}

static int store_text(const char *data_dir, const struct sc_paths *p,
                      const char *text, size_t len,
                      const struct skv_sidecar_fault *f, struct skv_err *err)
{
    int rc = ensure_dir(data_dir, p, f, err);
    if (rc != SKV_OK)
        return rc;
    if ((rc = write_tmp(p->tmp, text, len, f, err)) != SKV_OK) {
        unlink(p->tmp);
        return rc;
    }
    if (injected(f, SKV_SC_STEP_RENAME) || rename(p->tmp, p->file) != 0) {
        rc = skv_err_set(err, SKV_ERR_IO, "sidecar %s: rename: %s", p->file,
                         strerror(errno));
        unlink(p->tmp);
        return rc;
    }
    if (injected(f, SKV_SC_STEP_FSYNC_DIR) || fsync_dir(p->dir) != 0)
        return skv_err_set(err, SKV_ERR_IO,
                           "sidecar %s: fsync: %s (rename not durable)", p->dir,
                           strerror(errno));
    return SKV_OK;
}

int skv_sidecar_store_fault(const char *data_dir,
                            const struct skv_sidecar *sc,
                            const struct skv_sidecar_fault *fault,
                            struct skv_err *err)
{
    struct sc_paths p;
    char *text = NULL;
    size_t len = 0;
    int rc;
    if ((rc = paths_init(&p, data_dir, err)) != SKV_OK ||
        (rc = skv_sidecar_to_json(sc, &text, &len, err)) != SKV_OK)
        return rc;
    rc = store_text(data_dir, &p, text, len, fault, err);
    free(text);
    return rc;
}

int skv_sidecar_store(const char *data_dir, const struct skv_sidecar *sc,
                      struct skv_err *err)
{
    return skv_sidecar_store_fault(data_dir, sc, NULL, err);
}
