/* SPDX-License-Identifier: MIT */
/*
 * restore.c — owns the offline restore of a backup into a new node's
 * data dir (restore.h): read and check the file, check config, data dir
 * and KEKs, then write identity mark, Raft snapshot and hard state.
 */
#include "backup/restore.h"

#include "config/config.h"
#include "crypto/keystore.h"
#include "enc/enc.h"
#include "enc/sidecar.h"
#include "fsm/backup_file.h"
#include "fsm/fsm.h"
#include "node/store_ident.h"
#include "plugin/loader.h"
#include "plugin/plugin_set.h"
#include "raftio/raft_log_store.h"
#include "raftio/snap_spool.h"
#include "util/errors.h"
#include "util/path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The backup file, mapped read-only: checked and stored in place, never
 * copied into the heap (it can be as big as the data set). */
struct mapped {
    const uint8_t *p;
    size_t len;
};

struct rctx {
    struct skv_config conf;
    struct skv_plugin_set set;
    struct skv_enc enc;
    struct skv_ls ls;
    struct mapped file;
    struct skv_backup_info info;
    int conf_ok, set_ok;
};

static int map_file(const char *path, struct mapped *m, char *err, size_t errlen)
{
    struct stat sb;
    void *p;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    m->p = NULL;
    m->len = 0;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (!S_ISREG(sb.st_mode) || sb.st_size <= 0) {
        snprintf(err, errlen, "%s: not a regular non-empty file", path);
        close(fd);
        return -1;
    }
    p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "%s: mmap: %s", path, strerror(errno));
        return -1;
    }
    m->p = p;
    m->len = (size_t)sb.st_size;
    return 0;
}

static void unmap_file(struct mapped *m)
{
    if (m->p)
        munmap((void *)m->p, m->len);
    m->p = NULL;
}

static void report_info(const struct skv_backup_info *in, struct skv_restore_report *r)
{
    r->index = in->index;
    r->term = in->term;
    r->cutover = in->cutover;
    r->source_node = in->node_id;
    r->created_ms = in->created_ms;
    r->records = in->n_records;
    r->n_keys = in->n_keys;
    r->storage_active = in->storage_active;
}

int skv_restore_inspect(const char *file, struct skv_restore_report *r, char *err,
                        size_t errlen)
{
    struct mapped b = {NULL, 0};
    struct skv_backup_info *in = calloc(1, sizeof *in);
    int rc = -1;
    memset(r, 0, sizeof *r);
    if (!in)
        snprintf(err, errlen, "out of memory");
    else if (map_file(file, &b, err, errlen) == 0 &&
             skv_backup_parse(b.p, b.len, in, err, errlen) == 0) {
        report_info(in, r);
        rc = 0;
    }
    free(in);
    unmap_file(&b);
    return rc;
}

static int check_target(const struct skv_config *c, char *err, size_t errlen)
{
    char p[4200];
    struct stat st;
    size_t i;
    int self = 0;
    for (i = 0; i < c->n_bootstrap; i++)
        self |= c->bootstrap[i].id == c->node_id;
    if (c->n_bootstrap == 0 || !self) {
        snprintf(err, errlen, "restore needs cluster.bootstrap to list the new cluster's "
                 "voters, node %llu among them (the restored snapshot's configuration)",
                 (unsigned long long)c->node_id);
        return -1;
    }
    snprintf(p, sizeof p, "%s/store", c->data_dir);
    if (skv_path_dir_empty(p) != 1) {
        snprintf(err, errlen, "%s already holds a store: restore seeds a NEW node's data "
                 "dir (stop the node and move the old data dir away first)", p);
        return -1;
    }
    snprintf(p, sizeof p, "%s/encryption/%s", c->data_dir, SKV_SIDECAR_FILE);
    if (stat(p, &st) == 0 || errno != ENOENT) {
        snprintf(err, errlen, "%s exists: restore seeds a NEW node's data dir", p);
        return -1;
    }
    return 0;
}

/* Every KEK the backup's DEKs are wrapped under must be in the config's
 * ring (encryption.kek_file, previous_kek_files), or the first start
 * could not unwrap them. */
static int check_keks(struct rctx *x, char *err, size_t errlen)
{
    const struct skv_cipher_ops *ci = skv_plugin_ops(x->set.cipher);
    size_t i;
    if (x->info.n_keys == 0)
        return 0;
    if (!x->conf.enc_enabled) {
        snprintf(err, errlen, "the backup holds %zu encrypted keys' data but this config has "
                 "encryption.enabled: false", x->info.n_keys);
        return -1;
    }
    if (skv_enc_load(&x->enc, &x->conf, ci, skv_plugin_state(x->set.cipher), err, errlen) != 0)
        return -1;
    for (i = 0; i < x->info.n_keys; i++) {
        const struct skv_backup_key *k = &x->info.keys[i];
        if (k->kek_id[0] && !skv_keystore_has_kek(x->enc.ks, k->kek_id)) {
            snprintf(err, errlen, "%s: DEK %u of the backup is wrapped under KEK %s, which "
                     "this config does not give (encryption.kek_file, kek_pkcs11, "
                     "previous_kek_files or previous_kek_pkcs11)", skv_error_name(SKV_ErrKEKNotGiven),
                     k->key_id, k->kek_id);
            return -1;
        }
    }
    return 0;
}

static int load(struct rctx *x, const char *config_path, const char *file, char *err,
                size_t errlen)
{
    struct skv_err e = {0, ""};
    struct skv_host_hooks hooks;
    if (map_file(file, &x->file, err, errlen) != 0 ||
        skv_backup_parse(x->file.p, x->file.len, &x->info, err, errlen) != 0)
        return -1;
    if (skv_config_load(config_path, &x->conf, err, errlen) != 0)
        return -1;
    x->conf_ok = 1;
    if (check_target(&x->conf, err, errlen) != 0)
        return -1;
    memset(&hooks, 0, sizeof hooks);
    hooks.node_id = x->conf.node_id;
    hooks.log_level = x->conf.log_level;
    if (skv_plugin_set_load(&x->set, &x->conf, &hooks, &e) != SKV_OK) {
        snprintf(err, errlen, "%s", e.msg);
        return -1;
    }
    x->set_ok = 1;
    return check_keks(x, err, errlen);
}

static int voters(const struct skv_config *c, struct raft_configuration *conf, char *err,
                  size_t errlen)
{
    size_t i;
    raft_configuration_init(conf);
    for (i = 0; i < c->n_bootstrap; i++) {
        int rv = raft_configuration_add(conf, c->bootstrap[i].id, c->bootstrap[i].address,
                                        RAFT_VOTER);
        if (rv != 0) {
            snprintf(err, errlen, "configuration: %s", raft_strerror(rv));
            return -1;
        }
    }
    return 0;
}

/* A leftover of a restore that crashed: a flat directory (LevelDB's)
 * this tool made; removed before a new attempt. */
static int remove_flat_dir(const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[4600];
    if (!d)
        return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", dir, strerror(errno)), -1);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p) != 0) {
            snprintf(err, errlen, "%s: %s (remove it by hand)", p, strerror(errno));
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    if (rmdir(dir) != 0) {
        snprintf(err, errlen, "%s: %s (remove it by hand)", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* The snapshot into <data_dir>/snapshot-in.spool (raftio/snap_spool.h),
 * as a follower receives a big one: the first start restores it from
 * there in bounded pieces instead of loading it whole. */
#define SPOOL_PIECE (4u << 20)
static int spool_snapshot(struct rctx *x, struct skv_spool_meta *m, char *err, size_t errlen)
{
    struct skv_spool_w w;
    size_t off, n;
    skv_spool_w_init(&w);
    if (skv_spool_begin(&w, x->conf.data_dir, x->info.snap_len, 0, err, errlen) != 0)
        return -1;
    for (off = 0; off < x->info.snap_len; off += n) {
        n = x->info.snap_len - off < SPOOL_PIECE ? x->info.snap_len - off : SPOOL_PIECE;
        if (skv_spool_write(&w, x->info.snap + off, n, err, errlen) != 0) {
            skv_spool_abort(&w);
            return -1;
        }
    }
    if (skv_spool_finish(&w, m, err, errlen) != 0 ||
        skv_spool_commit(x->conf.data_dir, m, err, errlen) != 0) {
        skv_spool_abort(&w);
        return -1;
    }
    return 0;
}

/* Identity mark, the snapshot (a reference to the spool file), hard
 * state (the term the snapshot was taken in, no vote) into the open
 * store. */
static int write_state(struct rctx *x, const struct skv_spool_meta *m, char *msg)
{
    struct raft_snapshot s;
    struct raft_buffer buf = {NULL, 0};
    struct skv_ident id;
    int rc;
    memset(&s, 0, sizeof s);
    if (skv_fsm_spool_ref(x->info.snap, x->info.snap_len, m, &buf, msg,
                          RAFT_ERRMSG_BUF_SIZE) != 0)
        return -1;
    if (voters(&x->conf, &s.configuration, msg, RAFT_ERRMSG_BUF_SIZE) != 0) {
        raft_configuration_close(&s.configuration);
        raft_free(buf.base);
        return -1;
    }
    s.index = x->info.index;
    s.term = x->info.term;
    s.configuration_index = x->info.index;
    s.bufs = &buf;
    s.n_bufs = 1;
    rc = skv_ident_create(&x->ls, x->conf.node_id, &id, msg);
    if (rc == 0)
        rc = skv_ls_snapshot_put(&x->ls, 0, &s, NULL, msg);
    if (rc == 0)
        rc = skv_ls_set_hard_state(&x->ls, x->info.term, 0, msg);
    raft_configuration_close(&s.configuration);
    raft_free(buf.base);
    return rc;
}

/* The store is written under <data_dir>/store.restore, closed, then
 * renamed to <data_dir>/store and the directory synced: a crash leaves
 * either no store (the daemon refuses to start as a blank member; run
 * restore again) or the whole restored one. */
static int write_store(struct rctx *x, char *err, size_t errlen)
{
    struct skv_err e = {0, ""};
    struct skv_spool_meta m;
    char tmp[4200], path[4200], msg[RAFT_ERRMSG_BUF_SIZE];
    int rc, fd;
    snprintf(tmp, sizeof tmp, "%s/store.restore", x->conf.data_dir);
    snprintf(path, sizeof path, "%s/store", x->conf.data_dir);
    if (skv_path_mkdir(x->conf.data_dir, err, errlen) != 0 ||
        remove_flat_dir(tmp, err, errlen) != 0 || spool_snapshot(x, &m, err, errlen) != 0)
        return -1;
    x->ls.st = skv_plugin_ops(x->set.storage);
    if (x->ls.st->open(skv_plugin_state(x->set.storage), tmp, &x->ls.db, &e) != SKV_OK) {
        snprintf(err, errlen, "%s", e.msg);
        return -1;
    }
    rc = write_state(x, &m, msg);
    x->ls.st->close(x->ls.db);
    x->ls.db = NULL;
    if (rc != 0) {
        snprintf(err, errlen, "%s: writing the new store failed: %s", tmp, msg);
        return -1;
    }
    skv_enc_crash_point("restore", "before-rename"); /* store.restore complete, no store */
    (void)rmdir(path);   /* an empty store dir (checked above) */
    if (rename(tmp, path) != 0 || (fd = open(x->conf.data_dir, O_RDONLY | O_DIRECTORY)) < 0) {
        snprintf(err, errlen, "%s -> %s: %s", tmp, path, strerror(errno));
        return -1;
    }
    rc = fsync(fd);
    close(fd);
    if (rc != 0) {
        snprintf(err, errlen, "%s: fsync: %s", x->conf.data_dir, strerror(errno));
        return -1;
    }
    return 0;
}

static void close_all(struct rctx *x)
{
    if (x->ls.db)
        x->ls.st->close(x->ls.db);
    if (x->set_ok) {
        skv_enc_close(&x->enc);   /* keys before the plugin */
        skv_plugin_set_unload(&x->set);
    }
    if (x->conf_ok)
        skv_config_free(&x->conf);
    unmap_file(&x->file);
}

int skv_restore_run(const char *config_path, const char *file, struct skv_restore_report *r,
                    char *err, size_t errlen)
{
    struct rctx *x = calloc(1, sizeof *x);
    int rc = -1;
    memset(r, 0, sizeof *r);
    if (!x) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (load(x, config_path, file, err, errlen) == 0 && write_store(x, err, errlen) == 0) {
        report_info(&x->info, r);
        r->node_id = x->conf.node_id;
        r->voters = x->conf.n_bootstrap;
        rc = 0;
    }
    close_all(x);
    free(x);
    return rc;
}
