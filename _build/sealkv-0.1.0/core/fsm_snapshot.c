/*
 * fsm_snapshot.c — FSM snapshot and restore. The snapshot is one buffer:
 *   "SKVSNAP1" [applied u64 BE] then records
 *   [klen u32 BE][storage key][vlen u32 BE][stored value record]
 * for every key under the FSM-owned prefixes (data, writer registry).
 * Restore validates the whole buffer first, is a no-op when the snapshot
 * is not newer than the local applied index, and otherwise replaces the
 * FSM key space in one synced batch.
 */
#include "fsm.h"
#include "bytes.h"
#include "keys.h"

#include <stdlib.h>
#include <string.h>

static const uint8_t fsm_prefixes[] = {SKV_PFX_FSM_DATA, SKV_PFX_WRITERS};

struct sbuf {
    uint8_t *p;
    size_t len, cap;
};

static int sbuf_put(struct sbuf *b, const void *d, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        uint8_t *np;
        while (cap < b->len + n)
            cap *= 2;
        np = raft_realloc(b->p, cap);
        if (!np)
            return -1;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
    return 0;
}

/* Append every key/value under `pfx` from `view`. */
static int dump_prefix(struct skv_node *n, void *view, uint8_t pfx, struct sbuf *b)
{
    struct skv_err e = {0, ""};
    void *it = NULL;
    int rc = n->st->iter_new(n->db, view, &it, &e);
    if (rc != SKV_OK)
        return -1;
    for (n->st->iter_seek(it, &pfx, 1); n->st->iter_valid(it); n->st->iter_next(it)) {
        size_t kl, vl;
        const uint8_t *k = n->st->iter_key(it, &kl), *v;
        uint8_t len4[4];
        if (kl == 0 || k[0] != pfx)
            break;
        v = n->st->iter_value(it, &vl);
        skv_put_be32(len4, (uint32_t)kl);
        if (sbuf_put(b, len4, 4) || sbuf_put(b, k, kl))
            goto fail;
        skv_put_be32(len4, (uint32_t)vl);
        if (sbuf_put(b, len4, 4) || sbuf_put(b, v, vl))
            goto fail;
    }
    rc = n->st->iter_status(it, &e);
    n->st->iter_free(it);
    return rc == SKV_OK ? 0 : -1;
fail:
    n->st->iter_free(it);
    return -1;
}

int skv_fsm_snapshot(struct raft_fsm *rf, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    struct skv_fsm *f = rf->data;
    struct skv_node *n = f->node;
    struct skv_err e = {0, ""};
    struct sbuf b = {NULL, 0, 0};
    uint8_t idx[8];
    void *view = NULL;
    size_t i;

    if (n->st->view_new(n->db, &view, &e) != SKV_OK)
        return RAFT_IOERR;
    skv_put_be64(idx, raft_last_applied(&n->raft));
    if (sbuf_put(&b, SKV_SNAP_MAGIC1, 8) || sbuf_put(&b, idx, 8))
        goto fail;
    for (i = 0; i < sizeof fsm_prefixes; i++)
        if (dump_prefix(n, view, fsm_prefixes[i], &b))
            goto fail;
    n->st->view_release(n->db, view);
    *bufs = raft_malloc(sizeof **bufs);
    if (!*bufs) {
        raft_free(b.p);
        return RAFT_NOMEM;
    }
    (*bufs)[0].base = b.p;
    (*bufs)[0].len = b.len;
    *n_bufs = 1;
    return 0;
fail:
    n->st->view_release(n->db, view);
    raft_free(b.p);
    return RAFT_NOMEM;
}

static int owned_prefix(uint8_t p)
{
    return memchr(fsm_prefixes, p, sizeof fsm_prefixes) != NULL;
}

/* Count records; -1 if malformed. */
static long count_records(const uint8_t *p, size_t len)
{
    size_t pos = 16;
    long count = 0;
    while (pos < len) {
        uint32_t kl, vl;
        if (len - pos < 4 || (kl = skv_get_be32(p + pos)) == 0 || kl > len - pos - 4)
            return -1;
        if (!owned_prefix(p[pos + 4]))
            return -1;
        pos += 4 + kl;
        if (len - pos < 4 || (vl = skv_get_be32(p + pos)) > len - pos - 4)
            return -1;
        pos += 4 + vl;
        count++;
    }
    return count;
}

/* Delete ops for every existing key under the owned prefixes. */
static int collect_deletes(struct skv_node *n, struct skv_batch_op **ops,
                           size_t *n_ops, size_t *cap, uint8_t ***keys)
{
    struct skv_err e = {0, ""};
    size_t i, nk = 0;
    for (i = 0; i < sizeof fsm_prefixes; i++) {
        void *it = NULL;
        uint8_t pfx = fsm_prefixes[i];
        if (n->st->iter_new(n->db, NULL, &it, &e) != SKV_OK)
            return -1;
        for (n->st->iter_seek(it, &pfx, 1); n->st->iter_valid(it); n->st->iter_next(it)) {
            size_t kl;
            const uint8_t *k = n->st->iter_key(it, &kl);
            if (kl == 0 || k[0] != pfx)
                break;
            if (*n_ops == *cap) {
                size_t nc = *cap * 2 + 64;
                void *a = realloc(*ops, nc * sizeof **ops), *bk;
                if (!a) { n->st->iter_free(it); return -1; }
                *ops = a;
                bk = realloc(*keys, nc * sizeof **keys);
                if (!bk) { n->st->iter_free(it); return -1; }
                *keys = bk;
                *cap = nc;
            }
            (*keys)[nk] = malloc(kl);
            if (!(*keys)[nk]) { n->st->iter_free(it); return -1; }
            memcpy((*keys)[nk], k, kl);
            memset(&(*ops)[*n_ops], 0, sizeof **ops);
            (*ops)[*n_ops].type = SKV_BATCH_DEL;
            (*ops)[*n_ops].key = (*keys)[nk];
            (*ops)[*n_ops].key_len = kl;
            (*n_ops)++;
            nk++;
        }
        n->st->iter_free(it);
    }
    return (int)nk;
}

static int restore_write(struct skv_fsm *f, const uint8_t *p, size_t len,
                         long count, uint64_t index)
{
    struct skv_node *n = f->node;
    struct skv_err e = {0, ""};
    struct skv_batch_op *ops = NULL;
    uint8_t **keys = NULL, ibuf[8];
    size_t n_ops = 0, cap = 0, pos = 16, i;
    int nk, rc = RAFT_NOMEM;

    nk = collect_deletes(n, &ops, &n_ops, &cap, &keys);
    if (nk < 0)
        goto out;
    cap = n_ops + (size_t)count + 1;
    {
        void *a = realloc(ops, cap * sizeof *ops);
        if (!a)
            goto out;
        ops = a;
    }
    while (pos < len) {
        struct skv_batch_op *o = &ops[n_ops++];
        memset(o, 0, sizeof *o);
        o->type = SKV_BATCH_PUT;
        o->key_len = skv_get_be32(p + pos);
        o->key = p + pos + 4;
        pos += 4 + o->key_len;
        o->val_len = skv_get_be32(p + pos);
        o->val = p + pos + 4;
        pos += 4 + o->val_len;
    }
    skv_put_be64(ibuf, index);
    memset(&ops[n_ops], 0, sizeof *ops);
    ops[n_ops].type = SKV_BATCH_PUT;
    ops[n_ops].key = skv_fsm_applied_key;
    ops[n_ops].key_len = sizeof skv_fsm_applied_key;
    ops[n_ops].val = ibuf;
    ops[n_ops].val_len = 8;
    n_ops++;
    if (n->st->write(n->db, ops, n_ops, 1, &e) != SKV_OK) {
        skv_node_halt(n, "fsm: snapshot restore write failed: %s", e.msg);
        rc = RAFT_IOERR;
        goto out;
    }
    f->applied = index;
    rc = 0;
out:
    for (i = 0; nk > 0 && i < (size_t)nk; i++)
        free(keys[i]);
    free(keys);
    free(ops);
    return rc;
}

int skv_fsm_restore(struct raft_fsm *rf, struct raft_buffer *buf)
{
    struct skv_fsm *f = rf->data;
    const uint8_t *p = buf->base;
    uint64_t index;
    long count;
    int rc;

    if (buf->len < 16 || memcmp(p, "SKVSNAP", 7) != 0) {
        skv_node_log(f->node, 3, "fsm: snapshot has no SKVSNAP header: refused");
        return RAFT_MALFORMED;
    }
    if (p[7] != '1') {
        skv_node_log(f->node, 3, "fsm: unknown snapshot version SKVSNAP%c: refused", p[7]);
        return RAFT_MALFORMED;
    }
    index = skv_get_be64(p + 8);
    count = count_records(p, buf->len);
    if (count < 0) {
        skv_node_log(f->node, 3, "fsm: snapshot at index %llu is malformed: refused",
                     (unsigned long long)index);
        return RAFT_MALFORMED;
    }
    if (index <= f->applied) {
        raft_free(buf->base); /* older than local state: no-op */
        return 0;
    }
    rc = restore_write(f, p, buf->len, count, index);
    if (rc == 0)
        raft_free(buf->base);
    return rc;
}
