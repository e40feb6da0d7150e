/* SPDX-License-Identifier: MIT */
/*
 * snap_spool.c — the spool file of a snapshot received in chunks
 * (snap_spool.h): make, append, finish, commit durably, read back.
 */
#include "raftio/snap_spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util/bytes.h"
#include "util/crc32.h"

static const char magic[8] = {'S', 'K', 'V', 'S', 'P', 'O', 'L', '1'};

int skv_spool_path(char *out, size_t outlen, const char *dir, int complete)
{
    int n = snprintf(out, outlen, "%s/snapshot-in.%s", dir, complete ? "spool" : "part");
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

void skv_spool_ref_encode(uint8_t out[SKV_SPOOL_REF_LEN], const struct skv_spool_meta *m)
{
    memcpy(out, m->token, SKV_SPOOL_TOKEN);
    skv_put_be64(out + 16, m->total);
    skv_put_be32(out + 24, m->crc);
}

void skv_spool_ref_decode(const uint8_t in[SKV_SPOOL_REF_LEN], struct skv_spool_meta *m)
{
    memcpy(m->token, in, SKV_SPOOL_TOKEN);
    m->total = skv_get_be64(in + 16);
    m->crc = skv_get_be32(in + 24);
}

static void hdr_encode(uint8_t out[SKV_SPOOL_HDR], const struct skv_spool_meta *m)
{
    memset(out, 0, SKV_SPOOL_HDR);
    memcpy(out, magic, sizeof magic);
    skv_spool_ref_encode(out + 8, m);
}

static int fail(char *err, size_t errlen, const char *what, const char *path)
{
    snprintf(err, errlen, "snapshot spool %s: %s: %s", path, what, strerror(errno));
    return -1;
}

/* Write all of p at off. */
static int pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = pwrite(fd, b, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        b += w, n -= (size_t)w, off += (uint64_t)w;
    }
    return 0;
}

void skv_spool_w_init(struct skv_spool_w *w)
{
    memset(w, 0, sizeof *w);
    w->fd = -1;
}

/* The total fits the cap and the free space of dir. */
static int check_room(const char *dir, uint64_t total, char *err, size_t errlen)
{
    struct statvfs sv;
    uint64_t avail;
    if (total > SKV_SPOOL_MAX) {
        snprintf(err, errlen, "snapshot spool: a %llu-byte snapshot is over the cap of %llu",
                 (unsigned long long)total, (unsigned long long)SKV_SPOOL_MAX);
        return -1;
    }
    if (statvfs(dir, &sv) != 0)
        return fail(err, errlen, "statvfs", dir);
    avail = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
    if (avail < total + SKV_SPOOL_SPARE) {
        snprintf(err, errlen, "snapshot spool: a %llu-byte snapshot does not fit the %llu bytes "
                 "free under %s", (unsigned long long)total, (unsigned long long)avail, dir);
        return -1;
    }
    return 0;
}

/* An open total: the file, n bytes longer, stays under the cap and
 * leaves SKV_SPOOL_SPARE free (its w->got bytes are already used). */
static int check_more(const struct skv_spool_w *w, size_t n, char *err, size_t errlen)
{
    struct statvfs sv;
    uint64_t avail;
    if (w->got + n > SKV_SPOOL_MAX) {
        snprintf(err, errlen, "snapshot spool: the snapshot passes the cap of %llu bytes",
                 (unsigned long long)SKV_SPOOL_MAX);
        return -1;
    }
    if (statvfs(w->dir, &sv) != 0)
        return fail(err, errlen, "statvfs", w->dir);
    avail = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
    if (avail < n + SKV_SPOOL_SPARE) {
        snprintf(err, errlen, "snapshot spool: %llu bytes received, %zu more do not fit the "
                 "%llu bytes free under %s", (unsigned long long)w->got, n,
                 (unsigned long long)avail, w->dir);
        return -1;
    }
    return 0;
}

int skv_spool_begin(struct skv_spool_w *w, const char *dir, uint64_t total, int open_total,
                    char *err, size_t errlen)
{
    uint8_t hdr[SKV_SPOOL_HDR];
    skv_spool_abort(w);
    if (skv_spool_path(w->path, sizeof w->path, dir, 0) != 0) {
        snprintf(err, errlen, "snapshot spool: data_dir path too long");
        return -1;
    }
    if (check_room(dir, open_total ? 0 : total, err, errlen) != 0)
        return -1;
    w->open_total = open_total;
    w->dir = dir;
    if (getrandom(w->m.token, sizeof w->m.token, 0) != (ssize_t)sizeof w->m.token)
        return fail(err, errlen, "getrandom", w->path);
    w->m.total = total;
    w->m.crc = 0;
    w->got = 0;
    w->fd = open(w->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (w->fd < 0)
        return fail(err, errlen, "create", w->path);
    hdr_encode(hdr, &w->m);
    if (pwrite_all(w->fd, hdr, sizeof hdr, 0) != 0) {
        fail(err, errlen, "write", w->path);
        skv_spool_abort(w);
        return -1;
    }
    return 0;
}

int skv_spool_write(struct skv_spool_w *w, const void *p, size_t n, char *err, size_t errlen)
{
    if (w->fd < 0 || n > w->m.total - w->got) {
        snprintf(err, errlen, "snapshot spool: %zu bytes past the announced %llu", n,
                 (unsigned long long)w->m.total);
        return -1;
    }
    if (w->open_total && check_more(w, n, err, errlen) != 0)
        return -1;
    if (pwrite_all(w->fd, p, n, SKV_SPOOL_HDR + w->got) != 0)
        return fail(err, errlen, "write", w->path);
    w->m.crc = skv_crc32(w->m.crc, p, n);
    w->got += n;
    return 0;
}

int skv_spool_finish(struct skv_spool_w *w, struct skv_spool_meta *m, char *err, size_t errlen)
{
    uint8_t hdr[SKV_SPOOL_HDR];
    if (w->fd >= 0 && w->open_total)
        w->m.total = w->got;
    if (w->fd < 0 || w->got != w->m.total) {
        snprintf(err, errlen, "snapshot spool: %llu of %llu bytes received",
                 (unsigned long long)w->got, (unsigned long long)w->m.total);
        return -1;
    }
    hdr_encode(hdr, &w->m);
    if (pwrite_all(w->fd, hdr, sizeof hdr, 0) != 0) {
        fail(err, errlen, "write", w->path);
        skv_spool_abort(w);
        return -1;
    }
    close(w->fd);
    w->fd = -1;
    *m = w->m;
    return 0;
}

void skv_spool_abort(struct skv_spool_w *w)
{
    if (w->fd < 0)
        return;
    close(w->fd);
    w->fd = -1;
    unlink(w->path);
}

static int read_all(int fd, void *buf, size_t n, uint64_t off)
{
    uint8_t *b = buf;
    while (n > 0) {
        ssize_t r = pread(fd, b, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = ENODATA;
            return -1;
        }
        b += r, n -= (size_t)r, off += (uint64_t)r;
    }
    return 0;
}

/* Open `path` and check its header and size against m: fd or -1. */
static int open_checked(const char *path, int flags, const struct skv_spool_meta *m, char *err,
                        size_t errlen)
{
    uint8_t want[SKV_SPOOL_HDR], got[SKV_SPOOL_HDR];
    struct stat sb;
    int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        fail(err, errlen, "open", path);
        return -1;
    }
    hdr_encode(want, m);
    if (read_all(fd, got, sizeof got, 0) != 0 || fstat(fd, &sb) != 0) {
        fail(err, errlen, "read", path);
        close(fd);
        return -1;
    }
    if (memcmp(want, got, sizeof want) != 0 || !S_ISREG(sb.st_mode) ||
        (uint64_t)sb.st_size != SKV_SPOOL_HDR + m->total) {
        snprintf(err, errlen, "snapshot spool %s: not the snapshot expected (header or size "
                 "differ: another transfer replaced it)", path);
        close(fd);
        return -1;
    }
    return fd;
}

int skv_spool_commit(const char *dir, const struct skv_spool_meta *m, char *err, size_t errlen)
{
    char part[4096], done[4096];
    int fd;
    if (skv_spool_path(part, sizeof part, dir, 0) != 0 ||
        skv_spool_path(done, sizeof done, dir, 1) != 0) {
        snprintf(err, errlen, "snapshot spool: data_dir path too long");
        return -1;
    }
    if ((fd = open_checked(part, O_RDWR, m, err, errlen)) < 0)
        return -1;
    if (fsync(fd) != 0) {
        fail(err, errlen, "fsync", part);
        close(fd);
        return -1;
    }
    close(fd);
    if (rename(part, done) != 0)
        return fail(err, errlen, "rename", part);
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return fail(err, errlen, "open", dir);
    if (fsync(fd) != 0) {
        fail(err, errlen, "fsync", dir);
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

void skv_spool_remove(const char *dir, int complete)
{
    char path[4096];
    if (skv_spool_path(path, sizeof path, dir, complete) == 0)
        (void)unlink(path);
}

int skv_spool_open(struct skv_spool_r *r, const char *dir, const struct skv_spool_meta *m,
                   char *err, size_t errlen)
{
    char path[4096];
    r->fd = -1;
    if (skv_spool_path(path, sizeof path, dir, 1) != 0) {
        snprintf(err, errlen, "snapshot spool: data_dir path too long");
        return -1;
    }
    if ((r->fd = open_checked(path, O_RDONLY, m, err, errlen)) < 0)
        return -1;
    r->total = m->total;
    return 0;
}

int skv_spool_read(const struct skv_spool_r *r, uint64_t off, void *buf, size_t n, char *err,
                   size_t errlen)
{
    if (off > r->total || n > r->total - off) {
        snprintf(err, errlen, "snapshot spool: read past its %llu bytes",
                 (unsigned long long)r->total);
        return -1;
    }
    if (read_all(r->fd, buf, n, SKV_SPOOL_HDR + off) != 0) {
        snprintf(err, errlen, "snapshot spool: read at %llu: %s", (unsigned long long)off,
                 strerror(errno));
        return -1;
    }
    return 0;
}

void skv_spool_close(struct skv_spool_r *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}
