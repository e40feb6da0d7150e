/* SPDX-License-Identifier: MIT */
/*
 * fsm_restore_spool.c — restore of a snapshot installed through a spool
 * file (snap_hdr.h v4: C-Raft stored and hands us a small reference; the
 * full form is in the data_dir's snapshot-in.spool, raftio/snap_spool.h),
 * and the making of that reference. Memory stays bounded whatever the
 * data set: the file is read through a window (snap_reader.h) and the key
 * space written in batches of at most SKV_RESTORE_BATCH_BYTES.
 *
 *  1. check: the file is the one referenced (token, size, CRC over every
 *     byte), its header is v1/v2 and agrees with the reference, every
 *     record is well formed; the encryption record and this node's own
 *     writer records are kept (small) for the encryption adoption;
 *  2. the encryption state is adopted (sidecar first), as for a snapshot
 *     in memory;
 *  3. the FSM key space is deleted, then written, in bounded batches
 *     (not synced) that leave the FSM's applied index alone;
 *  4. one synced batch moves the applied index (and the batch chain) to
 *     the snapshot's: the install is done; the spool file is removed.
 * A crash anywhere before 4 leaves the reference stored and the applied
 * index below it: the next start restores it again from the file (steps
 * 1-4 are idempotent). Crash points: snapshot:before-restore (1 done),
 * snapshot:mid-restore (the first key-space batch written),
 * snapshot:after-restore (4 done).
 */
#include "fsm/fsm.h"
#include "fsm/fsm_gap.h"
#include "fsm/fsm_snap_enc.h"
#include "fsm/snap_hdr.h"
#include "fsm/snap_reader.h"
#include "fsm/snap_view.h"
#include "cmd/writers.h"
#include "raftio/snap_spool.h"
#include "util/bytes.h"
#include "util/crc32.h"
#include "util/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SKV_RESTORE_BATCH_BYTES (1u << 20)
#define SKV_RESTORE_BATCH_OPS 16384u
#define SKV_RESTORE_KEEP_MAX (1u << 20)   /* encryption + own writer records */

int skv_fsm_spool_ref(const uint8_t *head, size_t head_len, const struct skv_spool_meta *m,
                      struct raft_buffer *ref, char *err, size_t errlen)
{
    struct skv_snap_hdr h;
    uint8_t *p;
    size_t hl;
    if (skv_snap_hdr_parse(head, head_len, &h, err, errlen) != 0)
        return -1;
    if (h.version > 2) {
        snprintf(err, errlen, "a SKVSNAP%d snapshot is never sent: refused", h.version);
        return -1;
    }
    if (h.body_off > m->total) {
        snprintf(err, errlen, "snapshot shorter than its header");
        return -1;
    }
    if (!(p = raft_malloc(SKV_SNAP_HDR_MAX + SKV_SPOOL_REF_LEN))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    hl = skv_snap_hdr_write_spooled(p, h.cutover, h.applied);
    skv_spool_ref_encode(p + hl, m);
    ref->base = p;
    ref->len = hl + SKV_SPOOL_REF_LEN;
    return 0;
}

struct spool_src {
    struct skv_spool_r r;
    uint32_t crc;
};

static int src_read(void *arg, uint64_t off, void *buf, size_t n, char *err, size_t errlen)
{
    struct spool_src *s = arg;
    if (skv_spool_read(&s->r, off, buf, n, err, errlen) != 0)
        return -1;
    s->crc = skv_crc32(s->crc, buf, n);
    return 0;
}

/* Open the referenced spool file and parse its header (h: v1/v2 agreeing
 * with the reference's ref_h). src->crc covers the header. */
static int src_open(struct skv_fsm *f, const struct skv_spool_meta *m,
                    const struct skv_snap_hdr *ref_h, struct spool_src *src,
                    struct skv_snap_hdr *h, char *err, size_t errlen)
{
    uint8_t head[64];
    size_t n = m->total < sizeof head ? (size_t)m->total : sizeof head;
    if (skv_spool_open(&src->r, f->node->conf->data_dir, m, err, errlen) != 0)
        return -1;
    if (skv_spool_read(&src->r, 0, head, n, err, errlen) != 0 ||
        skv_snap_hdr_parse(head, n, h, err, errlen) != 0)
        return -1;
    if (h->version > 2 || h->applied != ref_h->applied || h->cutover != ref_h->cutover) {
        snprintf(err, errlen, "the spooled snapshot's header (SKVSNAP%d, index %llu) differs "
                 "from its reference", h->version, (unsigned long long)h->applied);
        return -1;
    }
    src->crc = skv_crc32(0, head, h->body_off);
    return 0;
}

/* This node's own writer registration (the encryption adoption reads it). */
static int own_writer(const struct skv_fsm *f, const struct skv_snap_rec *r)
{
    return r->key[0] == SKV_PFX_WRITERS && r->key_len == SKV_WRITERS_KEY_LEN &&
           r->val_len == SKV_WRITERS_VAL_LEN &&
           skv_get_be64(r->val) == f->node->conf->node_id;
}

/* Step 1: every byte checked (CRC, records); keep: the records the
 * encryption adoption needs, as a small snapshot body. */
static int check_pass(struct skv_fsm *f, const struct skv_spool_meta *m, struct spool_src *src,
                      const struct skv_snap_hdr *h, struct skv_buf *keep, int *have_enc,
                      char *err, size_t errlen)
{
    struct skv_snap_rd rd;
    struct skv_snap_rec r;
    int rc;
    *have_enc = 0;
    skv_snap_rd_init(&rd, src_read, src, m->total, h->body_off);
    while ((rc = skv_snap_rd_next(&rd, &r, err, errlen)) == 1) {
        int enc = r.key[0] == SKV_PFX_ENC_SNAP;
        if (!enc && !own_writer(f, &r))
            continue;
        if (keep->len + r.key_len + r.val_len > SKV_RESTORE_KEEP_MAX ||
            skv_sbuf_record(keep, r.key, r.key_len, r.val, r.val_len) != 0) {
            snprintf(err, errlen, "too many encryption or writer records");
            rc = -1;
            break;
        }
        *have_enc |= enc;
    }
    skv_snap_rd_free(&rd);
    if (rc != 0)
        return -1;
    if (src->crc != m->crc) {
        snprintf(err, errlen, "the spool file's checksum does not match what was received");
        return -1;
    }
    if (h->version >= 2 && h->cutover && !*have_enc) {
        snprintf(err, errlen, "SKVSNAP2 without its encryption record");
        return -1;
    }
    return 0;
}

/* Write b and empty it: 0, or -1 after halting the node. The key-space
 * batches need no sync of their own: until the final synced batch moves
 * the applied index, a crash that loses any of them is repaired by
 * restoring again from the spool file at the next start; the final
 * sync makes every earlier one durable. */
static int flush(struct skv_node *n, struct skv_fsm_batch *b, int sync)
{
    struct skv_err e = {0, ""};
    int rc = 0;
    if (b->n && n->st->write(n->db, b->ops, b->n, sync, &e) != SKV_OK) {
        skv_node_halt(n, "fsm: snapshot restore write failed: %s", e.msg);
        rc = -1;
    }
    skv_fsm_batch_free(b);
    return rc;
}

static int batch_full(const struct skv_fsm_batch *b)
{
    return b->bytes >= SKV_RESTORE_BATCH_BYTES || b->n >= SKV_RESTORE_BATCH_OPS;
}

/* Step 3a: delete every key under the FSM prefixes, in bounded batches. */
static int delete_pass(struct skv_node *n)
{
    struct skv_fsm_batch b = {NULL, 0, 0, 0};
    struct skv_err e = {0, ""};
    size_t i;
    int rc = 0;
    for (i = 0; rc == 0 && i < SKV_SNAP_N_PREFIXES; i++) {
        void *it = NULL;
        uint8_t pfx = skv_snap_prefixes[i];
        if (n->st->iter_new(n->db, NULL, &it, &e) != SKV_OK) {
            skv_node_halt(n, "fsm: snapshot restore: %s", e.msg);
            return -1;
        }
        for (n->st->iter_seek(it, &pfx, 1); rc == 0 && n->st->iter_valid(it);
             n->st->iter_next(it)) {
            size_t kl;
            const uint8_t *k = n->st->iter_key(it, &kl);
            if (kl == 0 || k[0] != pfx)
                break;
            if (skv_fsm_batch_del(&b, k, kl))
                rc = -1;
            else if (batch_full(&b))
                rc = flush(n, &b, 0);
        }
        n->st->iter_free(it);
    }
    if (rc == 0)
        return flush(n, &b, 0);
    skv_fsm_batch_free(&b);
    return -1;
}

/* Step 3b: every record of the spool but the encryption record. */
static int put_pass(struct skv_fsm *f, struct spool_src *src, const struct skv_snap_hdr *h,
                    char *err, size_t errlen)
{
    struct skv_fsm_batch b = {NULL, 0, 0, 0};
    struct skv_snap_rd rd;
    struct skv_snap_rec r;
    int rc, wrote = 0;
    skv_snap_rd_init(&rd, src_read, src, src->r.total, h->body_off);
    while ((rc = skv_snap_rd_next(&rd, &r, err, errlen)) == 1) {
        if (r.key[0] == SKV_PFX_ENC_SNAP)
            continue;
        if (skv_fsm_batch_put(&b, r.key, r.key_len, r.val, r.val_len)) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        if (batch_full(&b)) {
            if ((rc = flush(f->node, &b, 0)) != 0)
                break;
            if (!wrote++)   /* part of the new key space is written */
                skv_enc_crash_point("snapshot", "mid-restore");
        }
    }
    skv_snap_rd_free(&rd);
    if (rc == 0)
        return flush(f->node, &b, 0);
    skv_fsm_batch_free(&b);
    return -1;
}

/* Step 4: the applied index, the encryption index and the batch chain
 * move to the snapshot's, in one synced batch. */
static int finish(struct skv_fsm *f, const struct skv_snap_hdr *h, uint64_t encidx)
{
    struct skv_node *n = f->node;
    struct skv_fsm_batch b = {NULL, 0, 0, 0};
    uint8_t ibuf[8], ebuf[8];
    char msg[200];
    skv_put_be64(ibuf, h->applied);
    skv_put_be64(ebuf, encidx);
    if (skv_fsm_gap_stage_reset(n->st, n->db, &b, h->applied, msg, sizeof msg) != 0 ||
        skv_fsm_batch_del(&b, skv_fsm_gapto_key, sizeof skv_fsm_gapto_key) ||
        skv_fsm_batch_put(&b, skv_fsm_applied_key, sizeof skv_fsm_applied_key, ibuf, 8) ||
        skv_fsm_batch_put(&b, skv_fsm_encidx_key, sizeof skv_fsm_encidx_key, ebuf, 8)) {
        skv_fsm_batch_free(&b);
        skv_node_halt(n, "fsm: snapshot restore: out of memory");
        return -1;
    }
    if (flush(n, &b, 1) != 0)
        return -1;
    f->applied = f->flushed = h->applied;
    f->gap_until = 0;   /* the key space was replaced whole */
    skv_history_reset(&f->history, h->applied); /* watchers from before: 410 */
    f->names_old = -1; /* the layout of the records it brought: looked at again */
    f->encidx = n->enc.fsm_encidx = encidx;
    return 0;
}

/* Steps 2-4, the file checked. */
static int install(struct skv_fsm *f, struct spool_src *src, const struct skv_snap_hdr *h,
                   const struct skv_buf *keep, int have_enc, char *err, size_t errlen)
{
    struct skv_snap_hdr kh = *h;
    struct skv_snap_rec r, enc_rec = {NULL, 0, NULL, 0};
    uint64_t encidx = 0;
    size_t pos = 0;
    int rc;
    skv_enc_crash_point("snapshot", "before-restore"); /* stored, checked, FSM behind */
    kh.body_off = 0;   /* the kept records stand for the whole body */
    while (have_enc && skv_snap_next(keep->p, keep->len, &pos, &r) == 1)
        if (r.key[0] == SKV_PFX_ENC_SNAP)
            enc_rec = r;
    if (enc_rec.key &&
        (rc = skv_fsm_snap_enc_adopt(f, &kh, keep->p, keep->len, &enc_rec, &encidx)) != 0)
        return rc;
    if (delete_pass(f->node) != 0 || put_pass(f, src, h, err, errlen) != 0 ||
        finish(f, h, encidx) != 0) {
        if (!f->node->halt_reason[0])
            skv_node_halt(f->node, "fsm: snapshot restore from the spool file: %s", err);
        return RAFT_IOERR;
    }
    return 0;
}

int skv_fsm_restore_spooled(struct skv_fsm *f, const struct skv_snap_hdr *ref_h,
                            const uint8_t *p, size_t len)
{
    struct skv_node *n = f->node;
    struct skv_spool_meta m;
    struct spool_src src = {{-1, 0}, 0};
    struct skv_snap_hdr h;
    struct skv_buf keep = {NULL, 0, 0};
    char err[300] = "";
    int have_enc = 0, rc = RAFT_CORRUPT;
    if (len - ref_h->body_off != SKV_SPOOL_REF_LEN) {
        skv_node_log(n, SKV_LOG_ERROR, "fsm: spooled snapshot reference at %llu: %zu bytes: "
                     "refused", (unsigned long long)ref_h->applied, len);
        return RAFT_MALFORMED;
    }
    skv_spool_ref_decode(p + ref_h->body_off, &m);
    if (ref_h->applied <= f->applied) {   /* restored already */
        skv_spool_remove(n->conf->data_dir, 1);
        return 0;
    }
    if (src_open(f, &m, ref_h, &src, &h, err, sizeof err) == 0 &&
        check_pass(f, &m, &src, &h, &keep, &have_enc, err, sizeof err) == 0)
        rc = install(f, &src, &h, &keep, have_enc, err, sizeof err);
    else
        skv_node_log(n, SKV_LOG_ERROR, "fsm: the snapshot at index %llu installed through the "
                     "spool file cannot be restored: %s", (unsigned long long)ref_h->applied,
                     err);
    skv_spool_close(&src.r);
    raft_free(keep.p);
    if (rc != 0)
        return rc;
    skv_enc_crash_point("snapshot", "after-restore"); /* key space replaced */
    skv_spool_remove(n->conf->data_dir, 1);
    skv_node_log(n, SKV_LOG_INFO, "fsm: restored snapshot at index %llu (SKVSNAP%d, %llu bytes "
                 "from the spool file, in bounded batches)", (unsigned long long)h.applied,
                 h.version, (unsigned long long)m.total);
    return 0;
}
