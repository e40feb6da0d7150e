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
 * snapshot:after-restore (4 done). The steps are separate calls
 * (fsm_restore_spool.h): skv_fsm_restore_spooled runs them all on the
 * loop (C-Raft's restore at start-up), fsm_install.c runs 1 and 3-4 on
 * a worker while the node serves.
 */
#include "fsm/fsm_restore_spool.h"
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
#include <unistd.h>

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

static int src_read(void *arg, uint64_t off, void *buf, size_t n, char *err, size_t errlen)
{
    struct skv_spool_job *j = arg;
    if (j->cancel && atomic_load(j->cancel)) {
        snprintf(err, errlen, "cancelled");
        return -1;
    }
    if (skv_spool_read(&j->r, off, buf, n, err, errlen) != 0)
        return -1;
    j->crc = skv_crc32(j->crc, buf, n);
    return 0;
}

int skv_spool_job_init(struct skv_spool_job *j, struct skv_fsm *f, const struct skv_snap_hdr *ref_h,
                       const uint8_t *p, size_t len)
{
    struct skv_node *n = f->node;
    memset(j, 0, sizeof *j);
    skv_keys_build_init(&j->kb);
    j->r.fd = -1;
    j->st = n->st;
    j->db = n->db;
    j->dir = n->conf->data_dir;
    j->node_id = n->conf->node_id;
    j->ref_h = *ref_h;
    if (len - ref_h->body_off != SKV_SPOOL_REF_LEN) {
        skv_node_log(n, SKV_LOG_ERROR, "fsm: spooled snapshot reference at %llu: %zu bytes: "
                     "refused", (unsigned long long)ref_h->applied, len);
        return RAFT_MALFORMED;
    }
    skv_spool_ref_decode(p + ref_h->body_off, &j->m);
    return ref_h->applied <= f->applied ? 1 : 0;   /* 1: restored already */
}

/* Open the referenced spool file and parse its header (v1/v2 agreeing
 * with the reference). j->crc covers the header. */
static int src_open(struct skv_spool_job *j)
{
    uint8_t head[64];
    size_t n = j->m.total < sizeof head ? (size_t)j->m.total : sizeof head;
    if (skv_spool_open(&j->r, j->dir, &j->m, j->err, sizeof j->err) != 0)
        return -1;
    if (skv_spool_read(&j->r, 0, head, n, j->err, sizeof j->err) != 0 ||
        skv_snap_hdr_parse(head, n, &j->h, j->err, sizeof j->err) != 0)
        return -1;
    if (j->h.version > 2 || j->h.applied != j->ref_h.applied ||
        j->h.cutover != j->ref_h.cutover) {
        snprintf(j->err, sizeof j->err, "the spooled snapshot's header (SKVSNAP%d, index %llu) "
                 "differs from its reference", j->h.version, (unsigned long long)j->h.applied);
        return -1;
    }
    j->crc = skv_crc32(0, head, j->h.body_off);
    return 0;
}

/* This node's own writer registration (the encryption adoption reads it). */
static int own_writer(const struct skv_spool_job *j, const struct skv_snap_rec *r)
{
    return r->key[0] == SKV_PFX_WRITERS && r->key_len == SKV_WRITERS_KEY_LEN &&
           r->val_len == SKV_WRITERS_VAL_LEN && skv_get_be64(r->val) == j->node_id;
}

/* Step 1: every byte checked (CRC, records); keep: the records the
 * encryption adoption needs, as a small snapshot body. */
int skv_spool_job_check(struct skv_spool_job *j)
{
    struct skv_snap_rd rd;
    struct skv_snap_rec r;
    int rc;
    if (src_open(j) != 0)
        return -1;
    skv_snap_rd_init(&rd, src_read, j, j->m.total, j->h.body_off);
    while ((rc = skv_snap_rd_next(&rd, &r, j->err, sizeof j->err)) == 1) {
        int enc = r.key[0] == SKV_PFX_ENC_SNAP;
        if (!enc && !own_writer(j, &r))
            continue;
        if (j->keep.len + r.key_len + r.val_len > SKV_RESTORE_KEEP_MAX ||
            skv_sbuf_record(&j->keep, r.key, r.key_len, r.val, r.val_len) != 0) {
            snprintf(j->err, sizeof j->err, "too many encryption or writer records");
            rc = -1;
            break;
        }
        j->have_enc |= enc;
    }
    skv_snap_rd_free(&rd);
    if (rc != 0)
        return -1;
    if (j->crc != j->m.crc) {
        snprintf(j->err, sizeof j->err, "the spool file's checksum does not match what was "
                 "received");
        return -1;
    }
    if (j->h.version >= 2 && j->h.cutover && !j->have_enc) {
        snprintf(j->err, sizeof j->err, "SKVSNAP2 without its encryption record");
        return -1;
    }
    return 0;
}

/* Step 2 (loop): the encryption state of the snapshot, sidecar first. */
int skv_spool_job_adopt(struct skv_spool_job *j, struct skv_fsm *f)
{
    struct skv_snap_hdr kh = j->h;
    struct skv_snap_rec r, enc_rec = {NULL, 0, NULL, 0};
    size_t pos = 0;
    skv_enc_crash_point("snapshot", "before-restore"); /* stored, checked, FSM behind */
    kh.body_off = 0;   /* the kept records stand for the whole body */
    while (j->have_enc && skv_snap_next(j->keep.p, j->keep.len, &pos, &r) == 1)
        if (r.key[0] == SKV_PFX_ENC_SNAP)
            enc_rec = r;
    j->encidx = 0;
    if (!enc_rec.key)
        return 0;
    return skv_fsm_snap_enc_adopt(f, &kh, j->keep.p, j->keep.len, &enc_rec, &j->encidx);
}

/* Write b and empty it: 0, or -1 (j->err). The key-space batches need no
 * sync of their own: until the final synced batch moves the applied
 * index, a crash that loses any of them is repaired by restoring again
 * from the spool file at the next start; the final sync makes every
 * earlier one durable. */
static int flush(struct skv_spool_job *j, struct skv_fsm_batch *b, int sync)
{
    struct skv_err e = {0, ""};
    int rc = 0;
    if (!sync && j->cancel && atomic_load(j->cancel)) {
        snprintf(j->err, sizeof j->err, "cancelled");
        rc = -1;
    } else if (b->n && j->st->write(j->db, b->ops, b->n, sync, &e) != SKV_OK) {
        snprintf(j->err, sizeof j->err, "snapshot restore write failed: %s", e.msg);
        rc = -1;
    } else if (!sync && j->pause_ms) {
        usleep(j->pause_ms * 1000u);
    }
    skv_fsm_batch_free(b);
    return rc;
}

static int batch_full(const struct skv_fsm_batch *b)
{
    return b->bytes >= SKV_RESTORE_BATCH_BYTES || b->n >= SKV_RESTORE_BATCH_OPS;
}

/* Step 3a: delete every key under one FSM prefix, in bounded batches. */
static int delete_prefix(struct skv_spool_job *j, uint8_t pfx)
{
    struct skv_fsm_batch b = {NULL, 0, 0, 0};
    struct skv_err e = {0, ""};
    void *it = NULL;
    int rc = 0;
    if (j->st->iter_new(j->db, NULL, &it, &e) != SKV_OK) {
        snprintf(j->err, sizeof j->err, "%s", e.msg);
        return -1;
    }
    for (j->st->iter_seek(it, &pfx, 1); rc == 0 && j->st->iter_valid(it); j->st->iter_next(it)) {
        size_t kl;
        const uint8_t *k = j->st->iter_key(it, &kl);
        if (kl == 0 || k[0] != pfx)
            break;
        if (skv_fsm_batch_del(&b, k, kl)) {
            snprintf(j->err, sizeof j->err, "out of memory");
            rc = -1;
        } else if (batch_full(&b)) {
            rc = flush(j, &b, 0);
        }
    }
    j->st->iter_free(it);
    if (rc == 0)
        return flush(j, &b, 0);
    skv_fsm_batch_free(&b);
    return -1;
}

/* Step 3b: every record of the spool but the encryption record. */
static int put_pass(struct skv_spool_job *j)
{
    struct skv_fsm_batch b = {NULL, 0, 0, 0};
    struct skv_snap_rd rd;
    struct skv_snap_rec r;
    int rc, wrote = 0;
    skv_snap_rd_init(&rd, src_read, j, j->r.total, j->h.body_off);
    while ((rc = skv_snap_rd_next(&rd, &r, j->err, sizeof j->err)) == 1) {
        if (r.key[0] == SKV_PFX_ENC_SNAP)
            continue;
        skv_keys_build_rec(&j->kb, r.key, r.key_len);
        if (skv_fsm_batch_put(&b, r.key, r.key_len, r.val, r.val_len)) {
            snprintf(j->err, sizeof j->err, "out of memory");
            rc = -1;
            break;
        }
        if (batch_full(&b)) {
            if ((rc = flush(j, &b, 0)) != 0)
                break;
            if (!wrote++)   /* part of the new key space is written */
                skv_enc_crash_point("snapshot", "mid-restore");
        }
    }
    skv_snap_rd_free(&rd);
    if (rc == 0)
        return flush(j, &b, 0);
    skv_fsm_batch_free(&b);
    return -1;
}

/* Step 4: the applied index, the encryption index and the batch chain
 * move to the snapshot's, in one synced batch. */
static int finish(struct skv_spool_job *j)
{
    struct skv_fsm_batch b = {NULL, 0, 0, 0};
    uint8_t ibuf[8], ebuf[8];
    skv_put_be64(ibuf, j->h.applied);
    skv_put_be64(ebuf, j->encidx);
    if (skv_fsm_gap_stage_reset(j->st, j->db, &b, j->h.applied, j->err, sizeof j->err) != 0 ||
        skv_fsm_batch_del(&b, skv_fsm_gapto_key, sizeof skv_fsm_gapto_key) ||
        skv_fsm_batch_put(&b, skv_fsm_applied_key, sizeof skv_fsm_applied_key, ibuf, 8) ||
        skv_fsm_batch_put(&b, skv_fsm_encidx_key, sizeof skv_fsm_encidx_key, ebuf, 8) ||
        skv_keys_build_mark(&j->kb, &b)) {
        skv_fsm_batch_free(&b);
        if (!j->err[0])
            snprintf(j->err, sizeof j->err, "out of memory");
        return -1;
    }
    return flush(j, &b, 1);
}

int skv_spool_job_write(struct skv_spool_job *j)
{
    struct skv_fsm_batch b = {NULL, 0, 0, 0};
    size_t i;
    /* the key set's marker goes first: finish() writes it anew */
    if (skv_fsm_batch_del(&b, skv_fsm_revsall_key, sizeof skv_fsm_revsall_key)) {
        snprintf(j->err, sizeof j->err, "out of memory");
        return -1;
    }
    if (flush(j, &b, 0) != 0)
        return -1;
    for (i = 0; i < SKV_SNAP_N_PREFIXES; i++)
        if (delete_prefix(j, skv_snap_prefixes[i]) != 0)
            return -1;
    return put_pass(j) != 0 || finish(j) != 0 ? -1 : 0;
}

void skv_spool_job_done(struct skv_spool_job *j, struct skv_fsm *f)
{
    struct skv_node *n = f->node;
    f->applied = f->flushed = j->h.applied;
    f->gap_until = 0;   /* the key space was replaced whole */
    skv_history_reset(&f->history, j->h.applied); /* watchers from before: 410 */
    f->names_old = -1; /* the layout of the records it brought: looked at again */
    skv_fsm_keys_adopt(f, &j->kb);
    f->encidx = n->enc.fsm_encidx = j->encidx;
    skv_enc_crash_point("snapshot", "after-restore"); /* key space replaced */
    skv_spool_remove(j->dir, 1);
    skv_node_log(n, SKV_LOG_INFO, "fsm: restored snapshot at index %llu (SKVSNAP%d, %llu bytes "
                 "from the spool file, in bounded batches)", (unsigned long long)j->h.applied,
                 j->h.version, (unsigned long long)j->m.total);
}

void skv_spool_job_free(struct skv_spool_job *j)
{
    skv_spool_close(&j->r);
    skv_keys_build_free(&j->kb);
    raft_free(j->keep.p);
    j->keep.p = NULL;
}

/* The whole restore on the loop (C-Raft's restore: at start-up, or an
 * io without spool_install). */
int skv_fsm_restore_spooled(struct skv_fsm *f, const struct skv_snap_hdr *ref_h,
                            const uint8_t *p, size_t len)
{
    struct skv_node *n = f->node;
    struct skv_spool_job j;
    int rc = skv_spool_job_init(&j, f, ref_h, p, len);
    if (rc == 1) {   /* restored already */
        skv_spool_remove(n->conf->data_dir, 1);
        return 0;
    }
    if (rc == 0 && skv_spool_job_check(&j) != 0) {
        skv_node_log(n, SKV_LOG_ERROR, "fsm: the snapshot at index %llu installed through the "
                     "spool file cannot be restored: %s", (unsigned long long)ref_h->applied,
                     j.err);
        rc = RAFT_CORRUPT;
    }
    if (rc == 0 && (rc = skv_spool_job_adopt(&j, f)) == 0 && skv_spool_job_write(&j) != 0) {
        skv_node_halt(n, "fsm: snapshot restore from the spool file: %s", j.err);
        rc = RAFT_IOERR;
    }
    if (rc == 0)
        skv_spool_job_done(&j, f);
    skv_spool_job_free(&j);
    return rc;
}
