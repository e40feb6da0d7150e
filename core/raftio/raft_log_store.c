/* SPDX-License-Identifier: MIT */
/*
 * raft_log_store.c — the write side of the raft log store: hard state,
 * appends (group commit), truncation, bootstrap and recover. Load lives
 * in raft_log_load.c, snapshots in raft_snap_store.c.
 */
#include "raftio/raft_log_store.h"

#include <stdlib.h>
#include <string.h>

#include "util/keys.h"
#include "raftio/raft_ls_codec.h"

int skv_ls_hard_state(const struct skv_ls *ls, raft_term *term,
                      raft_id *vote, char *errmsg)
{
    void *val;
    size_t len;
    int rc = skv_ls_get(ls, NULL, skv_ls_hard_key, sizeof skv_ls_hard_key,
                        &val, &len, "read raft hard state", errmsg);
    *term = 0;
    *vote = 0;
    if (rc != 0 || !val)
        return rc;
    rc = skv_ls_hard_decode(val, len, term, vote, errmsg);
    ls->st->free_buf(ls->db, val);
    return rc;
}

int skv_ls_set_hard_state(const struct skv_ls *ls, raft_term term,
                          raft_id vote, char *errmsg)
{
    uint8_t rec[SKV_LS_HARD_LEN];
    struct skv_batch_op op = {.type = SKV_BATCH_PUT,
                              .key = skv_ls_hard_key,
                              .key_len = sizeof skv_ls_hard_key,
                              .val = rec,
                              .val_len = sizeof rec};
    skv_ls_hard_encode(rec, term, vote);
    return skv_ls_write(ls, &op, 1, "write raft hard state", errmsg);
}

/* Count entries and record bytes of the runs, refusing overflow. */
static int append_sizes(const struct skv_ls_run *runs, size_t n_runs,
                        size_t *n, size_t *bytes)
{
    *n = 0;
    *bytes = 0;
    for (size_t r = 0; r < n_runs; r++) {
        for (unsigned i = 0; i < runs[r].n; i++) {
            size_t sz = skv_ls_entry_size(&runs[r].entries[i]);
            if (sz < SKV_LS_ENTRY_HDR || *bytes > SIZE_MAX - sz)
                return RAFT_TOOBIG;
            *bytes += sz;
        }
        *n += runs[r].n;
    }
    if (*n > SIZE_MAX / (sizeof(struct skv_batch_op) + SKV_LS_LOG_KEY_LEN))
        return RAFT_TOOBIG;
    return 0;
}

int skv_ls_append(const struct skv_ls *ls, const struct skv_ls_run *runs,
                  size_t n_runs, char *errmsg)
{
    struct skv_batch_op *ops;
    uint8_t *keys, *vals;
    size_t n, bytes, k = 0, off = 0;
    int rc = append_sizes(runs, n_runs, &n, &bytes);
    if (rc != 0)
        return skv_ls_fail(errmsg, rc, "append: batch too large");
    if (n == 0)
        return 0;
    ops = calloc(n, sizeof *ops);
    keys = malloc(n * SKV_LS_LOG_KEY_LEN);
    vals = malloc(bytes);
    if (!ops || !keys || !vals) {
        rc = skv_ls_fail(errmsg, RAFT_NOMEM, "append: out of memory");
        goto out;
    }
    for (size_t r = 0; r < n_runs; r++) {
        for (unsigned i = 0; i < runs[r].n; i++, k++) {
            const struct raft_entry *e = &runs[r].entries[i];
            uint8_t *key = keys + k * SKV_LS_LOG_KEY_LEN;
            size_t sz = skv_ls_entry_size(e);
            skv_ls_log_key(key, runs[r].first + i);
            skv_ls_entry_encode(vals + off, runs[r].first + i, e);
            ops[k] = (struct skv_batch_op){SKV_BATCH_PUT, 0, key,
                                           SKV_LS_LOG_KEY_LEN, vals + off, sz};
            off += sz;
        }
    }
    rc = skv_ls_write(ls, ops, n, "append to raft log", errmsg);
out:
    free(ops);
    free(keys);
    free(vals);
    return rc;
}

/* DEL every listed index in one synced batch. */
static int delete_indexes(const struct skv_ls *ls,
                          const struct skv_ls_u64s *idx, const char *what,
                          char *errmsg)
{
    struct skv_batch_op *ops;
    uint8_t *keys;
    int rc;
    if (idx->n == 0)
        return 0;
    ops = calloc(idx->n, sizeof *ops);
    keys = malloc(idx->n * SKV_LS_LOG_KEY_LEN);
    if (!ops || !keys) {
        rc = skv_ls_fail(errmsg, RAFT_NOMEM, "%s: out of memory", what);
    } else {
        skv_ls_log_del_ops(idx, ops, keys);
        rc = skv_ls_write(ls, ops, idx->n, what, errmsg);
    }
    free(ops);
    free(keys);
    return rc;
}

int skv_ls_truncate(const struct skv_ls *ls, raft_index index,
                    char *errmsg)
{
    struct skv_ls_u64s idx = {0};
    int rc = skv_ls_log_indexes(ls, index, UINT64_MAX, &idx, errmsg);
    if (rc == 0)
        rc = delete_indexes(ls, &idx, "truncate raft log", errmsg);
    skv_ls_u64s_free(&idx);
    return rc;
}

static int conf_encode(const struct raft_configuration *conf,
                       struct raft_buffer *buf, char *errmsg)
{
    if (!conf || conf->n == 0 || !conf->servers)
        return skv_ls_fail(errmsg, RAFT_INVALID, "empty configuration");
    for (unsigned i = 0; i < conf->n; i++)
        if (!conf->servers[i].address)
            return skv_ls_fail(errmsg, RAFT_INVALID,
                               "configuration server %u has no address", i);
    if (raft_configuration_encode(conf, buf) != 0)
        return skv_ls_fail(errmsg, RAFT_NOMEM, "encode configuration: out of memory");
    return 0;
}

/* Write RAFT_CHANGE(conf) at `index` with `term`, plus the hard state
 * (hard_term, 0) when hard_term is non-zero, in one batch. */
static int put_conf_entry(const struct skv_ls *ls, raft_index index,
                          raft_term term, raft_term hard_term,
                          const struct raft_configuration *conf,
                          const char *what, char *errmsg)
{
    struct raft_entry e = {.term = term, .type = RAFT_CHANGE};
    uint8_t key[SKV_LS_LOG_KEY_LEN], hard[SKV_LS_HARD_LEN], *rec;
    struct skv_batch_op ops[2];
    size_t n = 0;
    int rc = conf_encode(conf, &e.buf, errmsg);
    if (rc != 0)
        return rc;
    rec = malloc(skv_ls_entry_size(&e));
    if (!rec) {
        raft_free(e.buf.base);
        return skv_ls_fail(errmsg, RAFT_NOMEM, "%s: out of memory", what);
    }
    skv_ls_log_key(key, index);
    skv_ls_entry_encode(rec, index, &e);
    if (hard_term) {
        skv_ls_hard_encode(hard, hard_term, 0);
        ops[n++] = (struct skv_batch_op){SKV_BATCH_PUT, 0, skv_ls_hard_key,
                                         sizeof skv_ls_hard_key, hard,
                                         sizeof hard};
    }
    ops[n++] = (struct skv_batch_op){SKV_BATCH_PUT, 0, key, sizeof key, rec,
                                     skv_ls_entry_size(&e)};
    rc = skv_ls_write(ls, ops, n, what, errmsg);
    free(rec);
    raft_free(e.buf.base);
    return rc;
}

static int any_cb(void *arg, const uint8_t *key, size_t klen,
                  const uint8_t *val, size_t vlen, char *errmsg)
{
    (void)key, (void)klen, (void)val, (void)vlen, (void)errmsg;
    *(int *)arg = 1;
    return SKV_LS_STOP;
}

/* Is there any key under the one-byte prefix? */
static int any_key(const struct skv_ls *ls, uint8_t pfx, int *any,
                   char *errmsg)
{
    *any = 0;
    return skv_ls_scan(ls, NULL, &pfx, 1, &pfx, 1, any_cb, any, errmsg);
}

int skv_ls_bootstrap(const struct skv_ls *ls,
                     const struct raft_configuration *conf, char *errmsg)
{
    raft_term term;
    raft_id vote;
    int any_log, any_snap;
    int rc = skv_ls_hard_state(ls, &term, &vote, errmsg);
    if (rc != 0)
        return rc;
    if (term != 0 || vote != 0)
        return skv_ls_fail(errmsg, RAFT_CANTBOOTSTRAP,
                           "raft state already has term %llu", term);
    if ((rc = any_key(ls, SKV_PFX_RAFT_LOG, &any_log, errmsg)) != 0 ||
        (rc = any_key(ls, SKV_PFX_RAFT_SNAP, &any_snap, errmsg)) != 0)
        return rc;
    if (any_log || any_snap)
        return skv_ls_fail(errmsg, RAFT_CANTBOOTSTRAP,
                           "raft state already has %s",
                           any_log ? "log entries" : "a snapshot");
    return put_conf_entry(ls, 1, 1, 1, conf, "bootstrap", errmsg);
}

int skv_ls_recover(const struct skv_ls *ls,
                   const struct raft_configuration *conf, char *errmsg)
{
    struct raft_snapshot *snap;
    struct raft_entry *entries;
    raft_index start, next;
    raft_term term, hard_term, last_term;
    raft_id vote;
    size_t n;
    int rc = skv_ls_load(ls, &hard_term, &vote, &snap, &start, &entries, &n,
                         errmsg);
    if (rc != 0)
        return rc;
    next = start + n;
    last_term = n ? entries[n - 1].term : snap ? snap->term : 1;
    skv_ls_free_loaded(snap, entries, n);
    /* Keep terms non-decreasing along the log and current_term >= them. */
    term = last_term;
    return put_conf_entry(ls, next, term, hard_term < term ? term : 0, conf,
                          "recover", errmsg);
}
