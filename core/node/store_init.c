/* SPDX-License-Identifier: MIT */
/*
 * store_init.c — start-up rules for the store's "initialised" mark (see
 * store_init.h): refuse a missing or emptied store under an existing node
 * id, write the mark exactly once for a genuinely new one.
 */
#include "node/store_init.h"
#include "util/path.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define FIX_HINT                                                             \
    "refusing to start as a blank member (it could vote twice and forget "   \
    "entries it acknowledged). Volume not mounted or wrong data_dir: fix "   \
    "it. New node with a data_dir made in advance: start once with --init. " \
    "Lost disk: 'sealkv members remove ID', start the new disk with --init, " \
    "'sealkv members add ID ADDR' (sealkvd(8) REPLACING A DISK)"

int skv_store_precheck(const char *data_dir, uint64_t node_id, int init,
                       int *is_new, char *err, size_t errlen)
{
    char store[4200];
    struct stat st;
    int empty;
    *is_new = 0;
    if (stat(data_dir, &st) != 0) {
        if (errno != ENOENT) {
            snprintf(err, errlen, "data_dir %s: %s", data_dir, strerror(errno));
            return -1;
        }
        *is_new = 1;   /* first start: nothing there at all */
        return 0;
    }
    snprintf(store, sizeof store, "%s/store", data_dir);
    if ((empty = skv_path_dir_empty(store)) < 0) {
        snprintf(err, errlen, "%s: %s", store, strerror(errno));
        return -1;
    }
    if (!empty)
        return 0;
    if (init) {
        *is_new = 1;
        return 0;
    }
    snprintf(err, errlen, "node %llu: data_dir %s exists but %s is missing or empty; " FIX_HINT,
             (unsigned long long)node_id, data_dir, store);
    return -1;
}

static int mark_found(const struct skv_ident *m, uint64_t node_id, int init,
                      const char *data_dir, char *err, size_t errlen)
{
    char hex[2 * SKV_IDENT_LEN + 1];
    skv_ident_hex(m->id, hex);
    if (m->node_id != node_id) {
        snprintf(err, errlen, "data_dir %s holds the store of node %llu (identity %s), "
                 "not of node %llu: fix node.id or data_dir",
                 data_dir, (unsigned long long)m->node_id, hex,
                 (unsigned long long)node_id);
        return -1;
    }
    if (init) {
        snprintf(err, errlen, "--init: data_dir %s is already initialised (node %llu, "
                 "store identity %s); start without --init",
                 data_dir, (unsigned long long)node_id, hex);
        return -1;
    }
    return 0;
}

int skv_store_mark(const struct skv_ls *ls, const char *data_dir,
                   uint64_t node_id, int is_new, int init,
                   struct skv_ident *out, int *created, char *err,
                   size_t errlen)
{
    char emsg[RAFT_ERRMSG_BUF_SIZE];
    int found = 0, state = 0, rc;
    *created = 0;
    if ((rc = skv_ident_read(ls, out, &found, emsg)) != 0 ||
        (!found && (rc = skv_ident_raft_state(ls, &state, emsg)) != 0)) {
        snprintf(err, errlen, "%s/store: %s", data_dir, emsg);
        return -1;
    }
    if (found)
        return mark_found(out, node_id, init && !is_new, data_dir, err, errlen);
    if (!state && !is_new && !init) {
        snprintf(err, errlen, "node %llu: the store in %s/store holds no identity mark and "
                 "no Raft state; " FIX_HINT, (unsigned long long)node_id, data_dir);
        return -1;
    }
    /* new (first start, --init) or a store older than marks */
    if (skv_ident_create(ls, node_id, out, emsg) != 0) {
        snprintf(err, errlen, "%s/store: %s", data_dir, emsg);
        return -1;
    }
    *created = state ? 2 : 1;
    return 0;
}
