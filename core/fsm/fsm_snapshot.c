/* SPDX-License-Identifier: MIT */
/*
 * fsm_snapshot.c — FSM snapshot and restore.
 *
 * Taking one is cheap and does not grow with the data set: the FSM's key
 * space is already durable in the store, so the snapshot C-Raft stores is
 * LOCAL (snap_hdr.h v3): the header (cutover, applied index) and the
 * encryption record (fsm_snap_enc.c) only, with a storage view taken in
 * the same loop turn (snap_view.h) that keeps the key space at that index
 * readable until the next snapshot replaces it. When C-Raft sends the
 * snapshot to a follower, the raft_io expands it from that view into the
 * FULL form (v1/v2 header, then [klen u32 BE][storage key][vlen u32 BE]
 * [stored value record] for every key under the FSM-owned prefixes, then
 * the encryption record). Under an io without that hook (raft_io.h
 * snap_*: C-Raft's raft_fixture in tests/sim) the snapshot is made full
 * at once from the view.
 * Restore of a SPOOLED one (v4: a big snapshot the raft_io received into
 * a file) is fsm_restore_spool.c: the same steps in bounded memory.
 * Restore of a FULL snapshot (installed from the leader, or a store
 * written by an older build) validates the whole buffer first, is a no-op
 * when the snapshot is not newer than the local applied index, adopts
 * the encryption state (sidecar first), then replaces the FSM key space
 * in one synced batch (the batch chain restarts at the snapshot's index,
 * fsm_gap.h). Restore of a LOCAL snapshot (at start-up) only checks that
 * the store holds at least its index. No snapshot is taken while the FSM
 * is ahead of raft or below a gap repair's horizon.
 */
#include "fsm/fsm.h"
#include "fsm/fsm_gap.h"
#include "fsm/fsm_snap_enc.h"
#include "util/bytes.h"
#include "util/errors.h"
#include "util/keys.h"
#include "raftio/raft_log_store.h"
#include "raftio/raft_ls_codec.h"
#include "fsm/snap_hdr.h"

#include <stdlib.h>
#include <string.h>


int skv_sbuf_put(struct skv_buf *b, const void *d, size_t n)
{
    if (n && skv_buf_reserve_with(b, n, raft_realloc) != 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, d, n);
    b->len += n;
    return 0;
}

int skv_sbuf_record(struct skv_buf *b, const void *k, size_t kl, const void *v, size_t vl)
{
    uint8_t len4[4];
    skv_put_be32(len4, (uint32_t)kl);
    if (skv_sbuf_put(b, len4, 4) || skv_sbuf_put(b, k, kl))
        return -1;
    skv_put_be32(len4, (uint32_t)vl);
    return skv_sbuf_put(b, len4, 4) || skv_sbuf_put(b, v, vl) ? -1 : 0;
}

/* An io that cannot expand a local snapshot for a follower (raft_io.h
 * snap_*; e.g. C-Raft's raft_fixture in tests/sim) gets the full form at
 * once, made from the view just taken, which is then dropped. */
static int full_now(struct skv_fsm *f, struct raft_buffer *buf)
{
    struct raft_buffer full = {NULL, 0};
    char msg[200];
    int rc = skv_snap_expand(f->node->st, f->node->db, f->views.pending, buf, &full, msg,
                             sizeof msg);
    skv_snap_views_settle(&f->views, 0);   /* drop the pending view */
    if (rc != 0) {
        skv_node_log(f->node, SKV_LOG_WARN, "fsm: snapshot: %s", msg);
        return rc == 1 ? RAFT_INVALID : rc;
    }
    raft_free(buf->base);
    *buf = full;
    return 0;
}

/* Loop thread (fsm version 3, no snapshot_async): the local snapshot —
 * header and encryption record, consistent with raft_last_applied — and
 * the storage view that keeps the key space at that index readable. */
int skv_fsm_snapshot(struct raft_fsm *rf, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    struct skv_fsm *f = rf->data;
    struct skv_node *n = f->node;
    struct skv_buf b = {NULL, 0, 0};
    uint8_t hdr[SKV_SNAP_HDR_MAX];
    uint64_t at = raft_last_applied(f->raft);
    char msg[200];

    *bufs = NULL;
    *n_bufs = 0;
    if (skv_fsm_flush(f) != 0) /* the view must hold every applied entry */
        return RAFT_IOERR;
    /* After a restart the FSM can be ahead of raft's last_applied (it
     * applied entries committed by the others before this node's own
     * append was stored; replay skips them). A snapshot now would be
     * labelled last_applied but hold later entries, and a follower
     * installing it would apply those again: wait until replay caught up
     * (docs/DURABILITY.md). */
    if (f->applied > at)
        return RAFT_BUSY;
    /* After a gap repair (fsm_gap.h) the FSM may hold effects of entries
     * above its applied index until re-apply reaches the horizon. */
    if (f->applied < f->gap_until)
        return RAFT_BUSY;
    /* Entries the FSM never sees (barriers — every linearizable read
     * makes one — and configuration changes) may end the range: the
     * store's applied index must still reach the snapshot's, or the next
     * start reads this local snapshot as "the store lost state" and
     * refuses. Those entries change no key: record them as applied. */
    if (f->applied < at) {
        f->applied = at;
        if (skv_fsm_flush(f) != 0)
            return RAFT_IOERR;
    }
    if (skv_snap_views_take(&f->views, at, msg, sizeof msg) != 0) {
        skv_node_log(n, SKV_LOG_WARN, "fsm: snapshot at %llu: %s", (unsigned long long)at, msg);
        return RAFT_IOERR;
    }
    if (skv_sbuf_put(&b, hdr, skv_snap_hdr_write_local(hdr, skv_enc_cutover(&n->enc), at)) ||
        skv_fsm_snap_enc_dump(f, &b) != 0 || !(*bufs = raft_malloc(sizeof **bufs))) {
        raft_free(b.p);
        skv_snap_views_settle(&f->views, 0);   /* drop the pending view */
        return RAFT_NOMEM;
    }
    (*bufs)[0].base = b.p;
    (*bufs)[0].len = b.len;
    *n_bufs = 1;
    if (!f->local_snapshots) {
        int rc = full_now(f, *bufs);
        if (rc != 0) {   /* C-Raft frees nothing of a failed snapshot */
            raft_free((*bufs)[0].base);
            raft_free(*bufs);
            *bufs = NULL;
            *n_bufs = 0;
        }
        return rc;
    }
    skv_enc_crash_point("snapshot", "before-store"); /* view taken, nothing stored */
    return 0;
}

/* Loop thread: the snapshot was stored (C-Raft's log snapshot index moved
 * to it) or not: its view becomes current or is dropped; a fresh snapshot
 * that was asked for (skv_fsm_want_snapshot) puts the threshold back. */
int skv_fsm_snapshot_finalize(struct raft_fsm *rf, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    struct skv_fsm *f = rf->data;
    unsigned i;
    if (f->views.pending && f->views.pending->index == f->raft->log.snapshot.last_index)
        skv_enc_crash_point("snapshot", "after-store"); /* stored, log compacted */
    skv_snap_views_settle(&f->views, f->raft->log.snapshot.last_index);
    if (f->forced_threshold && !f->views.need_fresh) {
        const struct skv_config *c = f->node->conf;
        if (f->raft->snapshot.threshold == 1 && c)
            raft_set_snapshot_threshold(f->raft, c->snapshot_threshold);
        f->forced_threshold = 0;
    }
    for (i = 0; *bufs && i < *n_bufs; i++)
        raft_free((*bufs)[i].base);
    raft_free(*bufs);
    *bufs = NULL;
    *n_bufs = 0;
    return 0;
}

void skv_fsm_want_snapshot(struct skv_fsm *f)
{
    f->views.need_fresh = 1;
    if (f->forced_threshold || f->raft->snapshot.threshold == 1)
        return;   /* already asked (or erase-cleartext forces one) */
    f->forced_threshold = 1;
    raft_set_snapshot_threshold(f->raft, 1);
}

void skv_fsm_close(struct skv_fsm *f)
{
    skv_fsm_txn_free(f);
    skv_fsm_flush(f);   /* normally done at skv_fsm_stop already */
    skv_history_free(&f->history);
    skv_fsm_revs_reset(&f->revs);
    skv_fsm_keys_free(f);
    if (f->views.st)
        skv_snap_views_close(&f->views);
}

/* Delete every existing key under the owned prefixes. */
static int stage_deletes(struct skv_node *n, struct skv_fsm_batch *b)
{
    struct skv_err e = {0, ""};
    size_t i;
    for (i = 0; i < SKV_SNAP_N_PREFIXES; i++) {
        void *it = NULL;
        uint8_t pfx = skv_snap_prefixes[i];
        if (n->st->iter_new(n->db, NULL, &it, &e) != SKV_OK)
            return -1;
        for (n->st->iter_seek(it, &pfx, 1); n->st->iter_valid(it); n->st->iter_next(it)) {
            size_t kl;
            const uint8_t *k = n->st->iter_key(it, &kl);
            if (kl == 0 || k[0] != pfx)
                break;
            if (skv_fsm_batch_del(b, k, kl)) {
                n->st->iter_free(it);
                return -1;
            }
        }
        n->st->iter_free(it);
    }
    return 0;
}

static int restore_write(struct skv_fsm *f, const uint8_t *p, size_t len,
                         const struct skv_snap_hdr *h, uint64_t encidx)
{
    struct skv_node *n = f->node;
    struct skv_err e = {0, ""};
    struct skv_fsm_batch b = {NULL, 0, 0, 0};
    struct skv_snap_rec r;
    struct skv_keys_build kb;
    uint8_t ibuf[8], ebuf[8];
    size_t pos = h->body_off;
    char msg[200];
    int rc = RAFT_NOMEM;

    skv_keys_build_init(&kb);
    if (stage_deletes(n, &b) != 0 ||
        skv_fsm_gap_stage_reset(n->st, n->db, &b, h->applied, msg, sizeof msg) != 0 ||
        skv_fsm_batch_del(&b, skv_fsm_gapto_key, sizeof skv_fsm_gapto_key))
        goto out;
    while (skv_snap_next(p, len, &pos, &r) == 1) {
        if (r.key[0] == SKV_PFX_ENC_SNAP)
            continue;
        skv_keys_build_rec(&kb, r.key, r.key_len);
        if (skv_fsm_batch_put(&b, r.key, r.key_len, r.val, r.val_len))
            goto out;
    }
    skv_put_be64(ibuf, h->applied);
    skv_put_be64(ebuf, encidx);
    if (skv_fsm_batch_put(&b, skv_fsm_applied_key, sizeof skv_fsm_applied_key, ibuf, 8) ||
        skv_fsm_batch_put(&b, skv_fsm_encidx_key, sizeof skv_fsm_encidx_key, ebuf, 8) ||
        skv_keys_build_mark(&kb, &b))
        goto out;
    if (n->st->write(n->db, b.ops, b.n, 1, &e) != SKV_OK) {
        skv_node_halt(n, "fsm: snapshot restore write failed: %s", e.msg);
        rc = RAFT_IOERR;
        goto out;
    }
    f->applied = f->flushed = h->applied;
    f->gap_until = 0;   /* the key space was replaced whole */
    skv_history_reset(&f->history, h->applied); /* watchers from before: 410 */
    f->names_old = -1; /* the layout of the records it brought: looked at again */
    skv_fsm_keys_adopt(f, &kb);
    f->encidx = n->enc.fsm_encidx = encidx;
    rc = 0;
out:
    skv_keys_build_free(&kb);
    skv_fsm_batch_free(&b);
    return rc;
}

int skv_fsm_restore(struct raft_fsm *rf, struct raft_buffer *buf)
{
    struct skv_fsm *f = rf->data;
    struct skv_node *n = f->node;
    const uint8_t *p = buf->base;
    struct skv_snap_hdr h;
    struct skv_snap_rec r, enc_rec = {NULL, 0, NULL, 0};
    size_t pos;
    char msg[200];
    uint64_t encidx = 0;
    int rc;

    if (skv_fsm_flush(f) != 0)
        return RAFT_IOERR;
    if (skv_snap_hdr_parse(p, buf->len, &h, msg, sizeof msg) != 0) {
        skv_node_log(n, SKV_LOG_ERROR, "fsm: %s", msg);
        return RAFT_MALFORMED;
    }
    if (h.version == 4) {   /* a big install: its data is in the spool file */
        if ((rc = skv_fsm_restore_spooled(f, &h, p, buf->len)) == 0)
            raft_free(buf->base);
        return rc;
    }
    for (pos = h.body_off; (rc = skv_snap_next(p, buf->len, &pos, &r)) == 1;)
        if (r.key[0] == SKV_PFX_ENC_SNAP)
            enc_rec = r;
    if (rc != 0 || (h.version >= 2 && h.cutover && !enc_rec.key)) {
        skv_node_log(n, SKV_LOG_ERROR, "fsm: snapshot at index %llu is malformed: refused",
                     (unsigned long long)h.applied);
        return RAFT_MALFORMED;
    }
    if (h.applied <= f->applied) {
        raft_free(buf->base); /* older than local state: no-op */
        return 0;
    }
    if (h.version == 3) {
        /* a local snapshot says the store holds the key space at its
         * index; this one does not (it lost writes it had made durable,
         * or the snapshot came from elsewhere): nothing here can restore
         * it */
        skv_node_log(n, SKV_LOG_ERROR,
                     "fsm: %s: the local snapshot at index %llu holds no key space and the "
                     "store's applied index is only %llu: this store lost state; replace the "
                     "node (members remove, empty data_dir, members add)",
                     skv_error_name(SKV_ErrFsmGap), (unsigned long long)h.applied,
                     (unsigned long long)f->applied);
        return RAFT_CORRUPT;
    }
    skv_enc_crash_point("snapshot", "before-restore"); /* snapshot_put done, FSM behind */
    if (enc_rec.key && (rc = skv_fsm_snap_enc_adopt(f, &h, p, buf->len, &enc_rec, &encidx)) != 0)
        return rc;
    rc = restore_write(f, p, buf->len, &h, encidx);
    if (rc == 0) {
        skv_enc_crash_point("snapshot", "after-restore"); /* key space replaced */
        skv_node_log(n, SKV_LOG_INFO, "fsm: restored snapshot at index %llu (SKVSNAP%d)",
                     (unsigned long long)h.applied, h.version);
        raft_free(buf->base);
    }
    return rc;
}

void skv_fsm_snapshot_meta(struct skv_node *n, uint64_t *cutover, uint64_t *index)
{
    struct skv_ls ls = {n->st, n->db};
    struct raft_snapshot *s = NULL;
    struct skv_snap_hdr h;
    char msg[RAFT_ERRMSG_BUF_SIZE];
    *cutover = *index = 0;
    if (skv_ls_snapshot_get(&ls, &s, msg) != 0 || !s)
        return;
    *index = s->index;
    if (s->n_bufs >= 1 && skv_snap_hdr_parse(s->bufs[0].base, s->bufs[0].len, &h, msg,
                                             sizeof msg) == 0)
        *cutover = h.cutover;
    skv_ls_snap_free(s);
}

int skv_fsm_snapshot_is_local(struct skv_node *n)
{
    struct skv_ls ls = {n->st, n->db};
    struct raft_snapshot *s = NULL;
    struct skv_snap_hdr h;
    char msg[RAFT_ERRMSG_BUF_SIZE];
    int local = 0;
    if (skv_ls_snapshot_get(&ls, &s, msg) != 0 || !s)
        return 0;
    if (s->n_bufs >= 1 && skv_snap_hdr_parse(s->bufs[0].base, s->bufs[0].len, &h, msg,
                                             sizeof msg) == 0)
        local = h.version >= 3;   /* v4: its spool file is gone once restored */
    skv_ls_snap_free(s);
    return local;
}
