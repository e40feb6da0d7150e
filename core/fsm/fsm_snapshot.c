/* SPDX-License-Identifier: MIT */
/*
 * fsm_snapshot.c — FSM snapshot and restore. The snapshot is one buffer:
 * a SKVSNAP1/SKVSNAP2 header (snap_hdr.h: v2, carrying the cutover index,
 * forever after the Phase-2 cutover) then records
 *   [klen u32 BE][storage key][vlen u32 BE][stored value record]
 * for every key under the FSM-owned prefixes (data, writer registry), and,
 * once encryption is bootstrapped, one SKV_PFX_ENC_SNAP record carrying
 * the cluster's encryption state (fsm_snap_enc.c). Taking one is C-Raft's
 * fsm version 3: on the loop thread a storage view plus the header and the
 * encryption record (cheap, consistent with raft_last_applied), on a
 * worker the dump of the key space from that view (the loop keeps
 * applying meanwhile), on the loop thread the release. Restore validates
 * the whole buffer first, is a no-op when the snapshot is not newer than the
 * local applied index, adopts the encryption state (sidecar first), then
 * replaces the FSM key space in one synced batch (the batch chain restarts
 * at the snapshot's index, fsm_gap.h). No snapshot is taken while the FSM
 * is ahead of raft or below a gap repair's horizon.
 */
#include "fsm/fsm.h"
#include "fsm/fsm_gap.h"
#include "fsm/fsm_snap_enc.h"
#include "util/bytes.h"
#include "util/keys.h"
#include "raftio/raft_log_store.h"
#include "raftio/raft_ls_codec.h"
#include "fsm/snap_hdr.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t fsm_prefixes[] = {SKV_PFX_FSM_DATA, SKV_PFX_WRITERS};

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

/* Append every key/value under `pfx` from `view`. */
static int dump_prefix(struct skv_node *n, void *view, uint8_t pfx, struct skv_buf *b,
                       uint64_t *records)
{
    struct skv_err e = {0, ""};
    void *it = NULL;
    int rc = n->st->iter_new(n->db, view, &it, &e);
    if (rc != SKV_OK)
        return -1;
    for (n->st->iter_seek(it, &pfx, 1); n->st->iter_valid(it); n->st->iter_next(it)) {
        size_t kl, vl;
        const uint8_t *k = n->st->iter_key(it, &kl), *v;
        if (kl == 0 || k[0] != pfx)
            break;
        v = n->st->iter_value(it, &vl);
        if (skv_sbuf_record(b, k, kl, v, vl)) {
            n->st->iter_free(it);
            return -1;
        }
        (*records)++;
    }
    rc = n->st->iter_status(it, &e);
    n->st->iter_free(it);
    return rc == SKV_OK ? 0 : -1;
}

/* A snapshot being taken (C-Raft takes one at a time): the consistent
 * storage view and the parts captured on the loop thread. */
struct skv_fsm_snap {
    void *view;
    uint64_t records;           /* key/value records dumped */
    struct skv_buf b;          /* header, then the dump (worker) */
    struct skv_buf tail;       /* the encryption record, captured at once */
};

static void snap_job_free(struct skv_fsm *f)
{
    struct skv_fsm_snap *j = f->snap;
    if (!j)
        return;
    if (j->view)
        f->node->st->view_release(f->node->db, j->view);
    raft_free(j->b.p);
    raft_free(j->tail.p);
    free(j);
    f->snap = NULL;
}

/* Loop thread (fsm version 3): fix the snapshot's content — a storage
 * view at raft_last_applied, the header and the encryption record, all
 * consistent with that index — without copying the key space. The dump
 * happens in skv_fsm_snapshot_async on a worker, or right here when no
 * snapshot_async is set (an io without async_work, e.g. raft_fixture). */
int skv_fsm_snapshot(struct raft_fsm *rf, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    struct skv_fsm *f = rf->data;
    struct skv_node *n = f->node;
    struct skv_err e = {0, ""};
    struct skv_fsm_snap *j;
    uint8_t hdr[SKV_SNAP_HDR_MAX];
    size_t hl;

    *bufs = NULL;
    *n_bufs = 0;
    if (f->snap)
        return RAFT_BUSY;       /* C-Raft retries at a later apply */
    /* After a restart the FSM can be ahead of raft's last_applied (it
     * applied entries committed by the others before this node's own
     * append was stored; replay skips them). A snapshot now would be
     * labelled last_applied but hold later entries, and a follower
     * installing it would apply those again: wait until replay caught up
     * (docs/DURABILITY.md). */
    if (f->applied > raft_last_applied(f->raft))
        return RAFT_BUSY;
    /* After a gap repair (fsm_gap.h) the FSM may hold effects of entries
     * above its applied index until re-apply reaches the horizon. */
    if (f->applied < f->gap_until)
        return RAFT_BUSY;
    if (!(j = calloc(1, sizeof *j)))
        return RAFT_NOMEM;
    f->snap = j;
    if (n->st->view_new(n->db, &j->view, &e) != SKV_OK) {
        j->view = NULL;
        snap_job_free(f);
        return RAFT_IOERR;
    }
    hl = skv_snap_hdr_write(hdr, skv_enc_cutover(&n->enc), raft_last_applied(f->raft));
    if (skv_sbuf_put(&j->b, hdr, hl) || skv_fsm_snap_enc_dump(f, &j->tail) != 0) {
        snap_job_free(f);
        return RAFT_NOMEM;
    }
    if (!rf->snapshot_async) {  /* an io without async_work: dump now */
        int rc = skv_fsm_snapshot_async(rf, bufs, n_bufs);
        if (rc != 0)
            snap_job_free(f);
        return rc;
    }
    return 0;
}

/* Worker thread (io->async_work): dump the FSM key space from the view,
 * then the encryption record; the one buffer is handed to C-Raft. Touches
 * only the job and thread-safe storage calls. */
int skv_fsm_snapshot_async(struct raft_fsm *rf, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    struct skv_fsm *f = rf->data;
    struct skv_node *n = f->node;
    struct skv_fsm_snap *j = f->snap;
    size_t i;

    if (!j)
        return RAFT_INVALID;
    for (i = 0; i < sizeof fsm_prefixes; i++)
        if (dump_prefix(n, j->view, fsm_prefixes[i], &j->b, &j->records))
            return RAFT_NOMEM;
    if (j->tail.len && skv_sbuf_put(&j->b, j->tail.p, j->tail.len))
        return RAFT_NOMEM;
    n->st->view_release(n->db, j->view);  /* let compaction drop old data */
    j->view = NULL;
    if (!(*bufs = raft_malloc(sizeof **bufs)))
        return RAFT_NOMEM;
    (*bufs)[0].base = j->b.p;
    (*bufs)[0].len = j->b.len;
    *n_bufs = 1;
    j->b.p = NULL;              /* now C-Raft's, until finalize */
    j->b.len = j->b.cap = 0;
    return 0;
}

/* Snapshot cadence. A snapshot costs O(live records) — dump, CRC, one
 * synced write of the whole FSM, during which the log's appends wait —
 * while C-Raft's threshold counts entries, so a fixed threshold makes the
 * cost per write grow with the data set (at 8192 and 100k keys, each write
 * paid for ~12 records of snapshot). So after each snapshot the threshold
 * becomes SKV_SNAP_GROWTH x its record count: amortized, at most 1/4 of a
 * record per entry. Never below raft.snapshot_threshold, and the entries
 * it lets C-Raft keep in memory stay within SKV_SNAP_MAX_LOG_BYTES (about
 * that many bytes of log at the snapshot's mean record size). The
 * threshold is left alone while someone else set it (erase-cleartext
 * forces 1 for one snapshot). */
#define SKV_SNAP_GROWTH 4u
#define SKV_SNAP_MAX_LOG_BYTES (256u * 1024u * 1024u)

static void adapt_threshold(struct skv_fsm *f, const struct skv_fsm_snap *j, size_t bytes)
{
    const struct skv_config *c = f->node->conf;
    unsigned cur = f->raft->snapshot.threshold, base = c ? c->snapshot_threshold : 0;
    uint64_t want, cap;
    if (!j || !base || (cur != base && cur != f->snap_threshold))
        return;
    want = SKV_SNAP_GROWTH * j->records;
    cap = j->records ? SKV_SNAP_MAX_LOG_BYTES / (bytes / j->records + 1) : base;
    if (want > cap)
        want = cap;
    if (want < base)
        want = base;
    if (want > UINT_MAX)
        want = UINT_MAX;
    if (want != cur)
        raft_set_snapshot_threshold(f->raft, (unsigned)want);
    f->snap_threshold = (unsigned)want;
}

/* Loop thread: the snapshot was stored (or failed): adapt the cadence,
 * free what we made. */
int skv_fsm_snapshot_finalize(struct raft_fsm *rf, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    struct skv_fsm *f = rf->data;
    unsigned i;
    adapt_threshold(f, f->snap, *bufs && *n_bufs ? (*bufs)[0].len : 0);
    for (i = 0; *bufs && i < *n_bufs; i++)
        raft_free((*bufs)[i].base);
    raft_free(*bufs);
    *bufs = NULL;
    *n_bufs = 0;
    snap_job_free(f);
    return 0;
}

static int owned_prefix(uint8_t p)
{
    return memchr(fsm_prefixes, p, sizeof fsm_prefixes) != NULL || p == SKV_PFX_ENC_SNAP;
}

int skv_snap_next(const uint8_t *p, size_t len, size_t *pos, struct skv_snap_rec *r)
{
    uint32_t kl, vl;
    if (*pos >= len)
        return 0;
    if (len - *pos < 4 || (kl = skv_get_be32(p + *pos)) == 0 || kl > len - *pos - 4)
        return -1;
    r->key = p + *pos + 4;
    r->key_len = kl;
    *pos += 4 + kl;
    if (len - *pos < 4 || (vl = skv_get_be32(p + *pos)) > len - *pos - 4)
        return -1;
    r->val = p + *pos + 4;
    r->val_len = vl;
    *pos += 4 + vl;
    return owned_prefix(r->key[0]) ? 1 : -1;
}

/* Delete every existing key under the owned prefixes. */
static int stage_deletes(struct skv_node *n, struct skv_fsm_batch *b)
{
    struct skv_err e = {0, ""};
    size_t i;
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
    struct skv_fsm_batch b = {NULL, 0, 0};
    struct skv_snap_rec r;
    uint8_t ibuf[8], ebuf[8];
    size_t pos = h->body_off;
    char msg[200];
    int rc = RAFT_NOMEM;

    if (stage_deletes(n, &b) != 0 ||
        skv_fsm_gap_stage_reset(n->st, n->db, &b, h->applied, msg, sizeof msg) != 0 ||
        skv_fsm_batch_del(&b, skv_fsm_gapto_key, sizeof skv_fsm_gapto_key))
        goto out;
    while (skv_snap_next(p, len, &pos, &r) == 1)
        if (r.key[0] != SKV_PFX_ENC_SNAP && skv_fsm_batch_put(&b, r.key, r.key_len, r.val, r.val_len))
            goto out;
    skv_put_be64(ibuf, h->applied);
    skv_put_be64(ebuf, encidx);
    if (skv_fsm_batch_put(&b, skv_fsm_applied_key, sizeof skv_fsm_applied_key, ibuf, 8) ||
        skv_fsm_batch_put(&b, skv_fsm_encidx_key, sizeof skv_fsm_encidx_key, ebuf, 8))
        goto out;
    if (n->st->write(n->db, b.ops, b.n, 1, &e) != SKV_OK) {
        skv_node_halt(n, "fsm: snapshot restore write failed: %s", e.msg);
        rc = RAFT_IOERR;
        goto out;
    }
    f->applied = h->applied;
    f->gap_until = 0;   /* the key space was replaced whole */
    f->encidx = n->enc.fsm_encidx = encidx;
    rc = 0;
out:
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

    if (skv_snap_hdr_parse(p, buf->len, &h, msg, sizeof msg) != 0) {
        skv_node_log(n, SKV_LOG_ERROR, "fsm: %s", msg);
        return RAFT_MALFORMED;
    }
    for (pos = h.body_off; (rc = skv_snap_next(p, buf->len, &pos, &r)) == 1;)
        if (r.key[0] == SKV_PFX_ENC_SNAP)
            enc_rec = r;
    if (rc != 0 || (h.version == 2 && !enc_rec.key)) {
        skv_node_log(n, SKV_LOG_ERROR, "fsm: snapshot at index %llu is malformed: refused",
                     (unsigned long long)h.applied);
        return RAFT_MALFORMED;
    }
    if (h.applied <= f->applied) {
        raft_free(buf->base); /* older than local state: no-op */
        return 0;
    }
    skv_enc_crash_point("snapshot", "before-restore"); /* snapshot_put done, FSM behind */
    if (enc_rec.key && (rc = skv_fsm_snap_enc_adopt(f, &h, p, buf->len, &enc_rec, &encidx)) != 0)
        return rc;
    rc = restore_write(f, p, buf->len, &h, encidx);
    if (rc == 0) {
        skv_node_log(n, SKV_LOG_INFO, "fsm: restored snapshot at index %llu (%s)",
                     (unsigned long long)h.applied, h.version == 2 ? "SKVSNAP2" : "SKVSNAP1");
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
