/* SPDX-License-Identifier: MIT */
/*
 * ldb_wback.c — progressive writeback of the store's table files (option
 * writeback_kb): one helper thread per open store.
 *
 * LevelDB writes a table file (a memtable flush, a compaction's output)
 * through the page cache and makes it durable with one fdatasync at its
 * end, so a 16 MiB flush ends in one 16 MiB write to disk. The Raft log's
 * synced batches go to LevelDB's WAL on the same file system, and on
 * ext4 (one journal, data=ordered) their fdatasync waits behind that
 * write: measured, every slow WAL sync (10-17 ms) ended together with a
 * table sync, and 4 KiB PUTs at 8 connections had a p99 of 10.5 ms on one
 * node, 20 ms on three (docs/PERFORMANCE.md "Table files written back as
 * they grow").
 *
 * The thread watches the store's directory with inotify for new table
 * files (NNNNNN.ldb), and each new table for writes and its close: only
 * tables, so the WAL's writes (two per commit round) never wake it — with
 * a directory-wide IN_MODIFY they did, and on two cores those wake-ups
 * cost 10 % of the throughput at PUT 256 B c8. Each time a table being
 * written has grown by writeback_kb since
 * the last range, it asks the kernel to start writing the new range
 * (sync_file_range SYNC_FILE_RANGE_WRITE) and then waits, on this thread,
 * until the ranges before it are written (SYNC_FILE_RANGE_WAIT_BEFORE), so
 * at most about two ranges per file are in flight. It reads its events
 * at most every WB_PACE_MS. LevelDB's fdatasync
 * at the end finds little left to write. This changes when table bytes
 * reach the disk, never whether: durability is LevelDB's own sync, as
 * before, and a failure here only costs the optimisation (a warning).
 *
 * Names from the directory are checked before use: only digits followed
 * by ".ldb" are opened, read-only, relative to the store's directory and
 * without following a symlink. Linux only (inotify, sync_file_range).
 */
#define _GNU_SOURCE /* sync_file_range */
#include "ldb.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

/* LevelDB writes one table at a time per store (one background thread);
 * the spare slots are slack. A table is dropped at its close, when it is
 * unlinked, and when a newer one needs its slot; after a queue overflow,
 * which may have lost those events, every slot is dropped (a table still
 * being written is then left to LevelDB's own sync). So at most WB_FILES
 * fds ever keep a deleted table's space, and only until the next flush. */
#define WB_FILES 4
/* Ranges end on a page boundary so the page LevelDB is still filling is
 * not written twice (with larger pages, only a little more is). */
#define WB_PAGE ((off_t)4096)
/* After handling what one read returned, the thread waits this long
 * before it reads again. Meanwhile the kernel merges a table's further
 * write events into the one still queued (inotify merges an event equal
 * to the last queued one, and wakes no reader for it), so a compaction
 * writing 64 KiB at a time no longer costs a wake-up of this thread and
 * of the writer per write: measured at PUT 4 KiB c8 on three nodes during
 * compactions, those wake-ups were 8 % of the machine's CPU, 1 % paced
 * (docs/PERFORMANCE.md "The writeback thread woke at every table write").
 * A range then starts up to 5 ms later, which at the disk's rates is
 * less than one writeback_kb step. */
#define WB_PACE_MS 5
/* Reads per wake-up before the pace (16 KiB each): the queue is emptied,
 * unless something keeps filling it faster than the thread reads. */
#define WB_READS 16

struct wb_file {
    int fd;            /* -1: slot free */
    int wd;            /* its inotify watch, -1 when none */
    uint64_t num;      /* table number from the name */
    off_t done;        /* bytes [0, done) handed to the kernel */
};

struct skv_ldb_wback {
    const struct skv_host *host;
    char *path;        /* for log lines */
    int dirfd, ino, stopfd, dirwd;
    off_t step;        /* writeback_kb in bytes */
    pthread_t thr;
    struct wb_file f[WB_FILES];
    uint64_t ranges, files; /* thread-owned until the join */
    int warned;        /* one warning per store */
};

/* NNNNNN.ldb: 1..19 digits (no overflow) and the suffix, nothing else. */
static int table_num(const char *name, uint64_t *num)
{
    size_t n = strspn(name, "0123456789");
    uint64_t v = 0;
    size_t i;
    if (n == 0 || n > 19 || strcmp(name + n, ".ldb") != 0)
        return 0;
    for (i = 0; i < n; i++)
        v = v * 10 + (uint64_t)(name[i] - '0');
    *num = v;
    return 1;
}

static void wb_warn(struct skv_ldb_wback *w, const char *what, int e)
{
    if (w->warned++)
        return;
    w->host->log(w->host->ctx, SKV_LOG_WARN,
                 "writeback_kb: %s in %s: %s (LevelDB's own sync still makes each table "
                 "durable; later writeback failures of this store are not logged)", what,
                 w->path, strerror(e));
}

static struct wb_file *wb_find(struct skv_ldb_wback *w, int wd)
{
    int i;
    for (i = 0; i < WB_FILES; i++)
        if (w->f[i].fd >= 0 && w->f[i].wd == wd)
            return &w->f[i];
    return NULL;
}

/* Forget a table: its watch (unless the kernel already dropped it:
 * `watched` 0) and its fd. */
static void wb_drop(struct skv_ldb_wback *w, struct wb_file *f, int watched)
{
    if (f->wd >= 0 && watched)
        inotify_rm_watch(w->ino, f->wd);
    if (f->fd >= 0)
        close(f->fd);
    f->fd = f->wd = -1;
}

static void wb_drop_all(struct skv_ldb_wback *w)
{
    int i;
    for (i = 0; i < WB_FILES; i++)
        wb_drop(w, &w->f[i], 1);
}

/* Watch the file open at `fd` (not its name, which could be replaced in
 * between) for writes, its close and its unlink. */
static int wb_watch(struct skv_ldb_wback *w, int fd)
{
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    return inotify_add_watch(w->ino, p, IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB);
}

/* The file grew: start writing [done, size rounded down to a page) once
 * that is a step, then wait for what was started before it. */
static void wb_grew(struct skv_ldb_wback *w, struct wb_file *f)
{
    struct stat st;
    off_t end;
    if (fstat(f->fd, &st) != 0) {
        wb_warn(w, "fstat", errno);
        wb_drop(w, f, 1);
        return;
    }
    if (st.st_size - f->done < w->step)
        return;
    end = st.st_size - st.st_size % WB_PAGE;
    if (end <= f->done)   /* a step under a page (writeback_kb < 4): wait for more */
        return;           /* (a length of 0 would mean "to the end of the file") */
    if (sync_file_range(f->fd, f->done, end - f->done, SYNC_FILE_RANGE_WRITE) != 0 ||
        (f->done > 0 && sync_file_range(f->fd, 0, f->done, SYNC_FILE_RANGE_WAIT_BEFORE) != 0)) {
        wb_warn(w, "sync_file_range", errno);
        wb_drop(w, f, 1);
        return;
    }
    f->done = end;
    w->ranges++;
}

/* A new table `num`: opened and watched in a slot, a free one or the
 * oldest table's. LevelDB may have written part or all of it (even
 * closed it) before this thread saw its creation — on a loaded machine a
 * 1 MiB flush takes about a millisecond — so what is already there is
 * handed over at once rather than waiting for a write event that may
 * never come. */
static void wb_open(struct skv_ldb_wback *w, const char *name, uint64_t num)
{
    struct wb_file *f = &w->f[0];
    int i, fd, wd;
    for (i = 1; i < WB_FILES && f->fd >= 0; i++)
        if (w->f[i].fd < 0 || w->f[i].num < f->num)
            f = &w->f[i];
    fd = openat(w->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno != ENOENT)   /* ENOENT: already deleted (a failed write) */
            wb_warn(w, "open", errno);
        return;
    }
    if ((wd = wb_watch(w, fd)) < 0) {
        wb_warn(w, "inotify watch", errno);
        close(fd);
        return;
    }
    wb_drop(w, f, 1);
    f->fd = fd;
    f->wd = wd;
    f->num = num;
    f->done = 0;
    w->files++;
    wb_grew(w, f);   /* what was written before the watch (no event for it) */
}

/* An event of a watched table: it grew, was closed or lost its name. */
static void wb_file_event(struct skv_ldb_wback *w, struct wb_file *f, uint32_t mask)
{
    struct stat st;
    if (mask & IN_IGNORED)   /* the kernel dropped the watch itself */
        wb_drop(w, f, 0);
    else if (mask & IN_CLOSE_WRITE)
        wb_drop(w, f, 1);
    else if ((mask & IN_ATTRIB) && fstat(f->fd, &st) == 0 && st.st_nlink == 0)
        wb_drop(w, f, 1);   /* unlinked while open: LevelDB gave it up */
    else if (mask & IN_MODIFY)
        wb_grew(w, f);
}

/* One event; -1 when the directory's watch is gone. */
static int wb_event(struct skv_ldb_wback *w, const struct inotify_event *e)
{
    struct wb_file *f;
    uint64_t num;
    if (e->wd != w->dirwd) {
        if ((f = wb_find(w, e->wd)))
            wb_file_event(w, f, e->mask);
        return 0;   /* else a table already dropped: its last events */
    }
    if (e->mask & IN_IGNORED)
        return -1;
    if ((e->mask & IN_CREATE) && e->len > 0 && memchr(e->name, 0, e->len) &&
        table_num(e->name, &num))
        wb_open(w, e->name, num);
    return 0;
}

/* Handle the events in one read; 0 when none were waiting, -1 on error
 * or when the directory went away. */
static int wb_read(struct skv_ldb_wback *w)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n = read(w->ino, buf, sizeof buf);
    char *p;
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    for (p = buf; p + sizeof(struct inotify_event) <= buf + n;) {
        const struct inotify_event *e = (const void *)p;
        if (e->len > (size_t)(buf + n - p) - sizeof *e)
            return -1;
        if (e->mask & IN_Q_OVERFLOW)   /* close events may be lost: start over */
            wb_drop_all(w);
        else if (wb_event(w, e) < 0)
            return -1;
        p += sizeof *e + e->len;
    }
    return n > 0 ? 1 : 0;
}

static void *wb_main(void *arg)
{
    struct skv_ldb_wback *w = arg;
    struct pollfd pf[2] = {{.fd = w->ino, .events = POLLIN}, {.fd = w->stopfd, .events = POLLIN}};
    int i, rc = 0;
    for (;;) {
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            wb_warn(w, "poll", errno);
            break;
        }
        if (pf[1].revents)
            break;
        for (i = 0; i < WB_READS && (rc = wb_read(w)) > 0; i++)
            ;   /* what is queued, then the pace */
        if (rc < 0)
            break;
        /* The pace: until WB_PACE_MS have passed, wait for the stop only. */
        if (poll(&pf[1], 1, WB_PACE_MS) > 0)
            break;
    }
    while (wb_read(w) > 0)   /* what was queued before the stop */
        ;
    return NULL;
}

static void wb_free(struct skv_ldb_wback *w)
{
    wb_drop_all(w);
    if (w->ino >= 0)
        close(w->ino);
    if (w->stopfd >= 0)
        close(w->stopfd);
    if (w->dirfd >= 0)
        close(w->dirfd);
    free(w->path);
    free(w);
}

void skv_ldb_wback_start(struct skv_ldb_db *d)
{
    const struct skv_host *h = d->inst->host;
    struct skv_ldb_wback *w;
    int i, rc;
    if (d->inst->conf.writeback == 0)
        return;
    if (!(w = calloc(1, sizeof *w)) || !(w->path = strdup(d->path))) {
        free(w);
        h->log(h->ctx, SKV_LOG_WARN, "writeback_kb: out of memory: %s is written at its syncs only",
               d->path);
        return;
    }
    w->host = h;
    w->step = (off_t)d->inst->conf.writeback;
    for (i = 0; i < WB_FILES; i++)
        w->f[i].fd = w->f[i].wd = -1;
    w->ino = w->stopfd = -1;
    if ((w->dirfd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
        (w->ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 ||
        (w->stopfd = eventfd(0, EFD_CLOEXEC)) < 0) {
        wb_warn(w, w->dirfd < 0 ? "open" : w->ino < 0 ? "inotify" : "eventfd", errno);
        wb_free(w);
        return;
    }
    if ((w->dirwd = inotify_add_watch(w->ino, d->path, IN_CREATE | IN_ONLYDIR)) < 0) {
        wb_warn(w, "inotify watch", errno);
        wb_free(w);
        return;
    }
    if ((rc = pthread_create(&w->thr, NULL, wb_main, w)) != 0) {
        wb_warn(w, "thread", rc);
        wb_free(w);
        return;
    }
    pthread_setname_np(w->thr, "skv-ldb-wback");  /* for ps -L; best effort */
    d->wback = w;
}

void skv_ldb_wback_stop(struct skv_ldb_db *d)
{
    struct skv_ldb_wback *w = d->wback;
    const uint64_t one = 1;
    int rc;
    if (!w)
        return;
    d->wback = NULL;
    if (write(w->stopfd, &one, sizeof one) != (ssize_t)sizeof one) {
        /* an eventfd write of 1 cannot fail short of a bug: leave the
         * thread (and its few fds) rather than wait for it forever */
        w->host->log(w->host->ctx, SKV_LOG_ERROR, "writeback_kb: cannot stop the thread of %s: %s",
                     w->path, strerror(errno));
        return;
    }
    if ((rc = pthread_join(w->thr, NULL)) != 0) {
        w->host->log(w->host->ctx, SKV_LOG_ERROR, "writeback_kb: cannot join the thread of %s: %s",
                     w->path, strerror(rc));
        return;
    }
    w->host->log(w->host->ctx, SKV_LOG_DEBUG,
                 "writeback %s: %llu ranges started over %llu table files", w->path,
                 (unsigned long long)w->ranges, (unsigned long long)w->files);
    wb_free(w);
}
