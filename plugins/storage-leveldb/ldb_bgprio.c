/* SPDX-License-Identifier: MIT */
/*
 * ldb_bgprio.c — the store's open, and with it the CPU priority of
 * LevelDB's background thread (option compaction_nice).
 *
 * LevelDB does its memtable flushes and compactions on one thread per
 * process (Env::Default()'s), started by the first piece of background
 * work, and a new Linux thread takes the nice value of the thread that
 * creates it. So the open runs on a short-lived helper thread that first
 * lowers its own priority by compaction_nice steps (nice + N, at most 19:
 * raising nice needs no privilege; lowering it back would), opens the store, and asks for a compaction of a range past
 * every key: LevelDB starts its background thread from there, at the
 * helper's nice value, with no data to move. The node's threads keep
 * their priority. Measured (docs/PERFORMANCE.md "Growth"): on a busy
 * machine the loop, the raft writer and the HTTP threads no longer wait
 * behind a compaction for the CPU, and the write tail stops growing with
 * the data set as fast. The background thread still gets every idle
 * cycle, and LevelDB's own back-pressure (it slows writes when level 0
 * fills) bounds how far behind it can fall.
 *
 * Only the first open in a process decides (the thread is started once,
 * and lives as long as the process); a later open only repeats the
 * empty compaction.
 */
#define _GNU_SOURCE /* gettid */
#include "ldb.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct opener {
    leveldb_options_t *opt;
    const char *path;
    int nice;
    leveldb_t *db;
    char *emsg;
    int nice_errno;           /* setpriority failed: the open went ahead */
};

static void *open_main(void *arg)
{
    static const char past_all[4] = {'\xff', '\xff', '\xff', '\xff'}; /* above every prefix */
    struct opener *o = arg;
    id_t self = (id_t)gettid();
    int cur;
    errno = 0;
    cur = getpriority(PRIO_PROCESS, self); /* -1 is a valid value: errno says */
    if (errno != 0 || setpriority(PRIO_PROCESS, self, cur + o->nice > 19 ? 19 : cur + o->nice) != 0)
        o->nice_errno = errno ? errno : EINVAL;
    o->db = leveldb_open(o->opt, o->path, &o->emsg);
    if (o->db && !o->nice_errno)
        leveldb_compact_range(o->db, past_all, sizeof past_all, past_all, sizeof past_all);
    return NULL;
}

void skv_ldb_open_db(struct skv_ldb_db *d, char **emsg)
{
    const struct skv_host *h = d->inst->host;
    struct opener o;
    pthread_t t;
    int rc;
    memset(&o, 0, sizeof o);
    o.opt = d->opt;
    o.path = d->path;
    o.nice = d->inst->conf.compaction_nice;
    if (o.nice == 0) {
        d->db = leveldb_open(d->opt, d->path, emsg);
        return;
    }
    if ((rc = pthread_create(&t, NULL, open_main, &o)) != 0) {
        h->log(h->ctx, SKV_LOG_WARN, "compaction_nice: no helper thread (%s): LevelDB's "
               "background thread runs at the node's priority", strerror(rc));
        d->db = leveldb_open(d->opt, d->path, emsg);
        return;
    }
    if ((rc = pthread_join(t, NULL)) != 0) { /* cannot happen for a joinable thread of ours */
        h->log(h->ctx, SKV_LOG_ERROR, "compaction_nice: cannot join the open's helper thread: %s",
               strerror(rc));
        *emsg = strdup("the open's helper thread could not be joined");
        return;   /* d->db stays NULL: the open fails */
    }
    if (o.nice_errno)
        h->log(h->ctx, SKV_LOG_WARN, "compaction_nice %d: setpriority: %s: LevelDB's background "
               "thread runs at the node's priority", o.nice, strerror(o.nice_errno));
    d->db = o.db;
    *emsg = o.emsg;
}
