/* SPDX-License-Identifier: MIT */
/*
 * test_fsm_gap.c — the FSM batch chain (core/fsm/fsm_gap.h) over the REAL FSM
 * apply (core/fsm/fsm.c through raft_fsm.apply), the real start-up
 * (skv_node_open_state) and the real storage-leveldb plugin in a temp dir.
 *
 * A lost FSM batch is simulated exactly as power loss leaves it: the
 * process applies every entry (its in-memory applied index moves on), but
 * the unsynced write of the lost entries never reaches the store (a
 * wrapper of the storage ops drops it). Every ~17th index is a raft
 * barrier/configuration entry that never reaches the FSM, as in C-Raft.
 *
 * Checked: a clean store, a tail loss, a restore and a migrated
 * (marker-less) store are never flagged; a single lost batch, a range near
 * the end, a range far older than the end, a loss at the very start,
 * scattered losses, a loss after a restore or a migration are all refused
 * (ErrFsmGap naming the entry, `sealkv verify` reporting it); with the
 * entries in the local log the start repairs, refuses snapshots until the
 * horizon, and replay ends in the state of a store that lost nothing;
 * repair is refused when the log lacks entries or an encryption entry
 * would be re-applied.
 *
 * Suite "revisions" (the same fixture): per-key mod / create indexes
 * (fsm_rev.h) and compare-and-swap entries (0x06) over the real apply,
 * inside one commit round (the compare sees the round's pending writes)
 * and across flushes; a key stored without a revision record (written
 * before revisions) reads as 0 / 0 and is CAS-able with prev_index 0;
 * the 0x06 codec's refusals.
 */
#include "skv_test.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <raft.h>

#include "util/bytes.h"
#include "cmd/command.h"
#include "config/config.h"
#include "fsm/fsm.h"
#include "fsm/fsm_gap.h"
#include "cmd/cmd_decode.h"
#include "intake/intake.h"
#include "util/keys.h"
#include "node/node.h"
#include "raftio/raft_log_store.h"
#include "verify/verify.h"

#define N_ENTRIES 120u
#define HOLE(i) ((i) % 17 == 0) /* a barrier / configuration entry */
#define ULL(x) ((unsigned long long)(x))

/* ---- storage wrapper: test-only statics (one store open at a time) ---- */

static int gx_drop;   /* non-zero: unsynced writes are lost */
static unsigned gx_writes; /* storage batches written (counted while gx_count) */
static int gx_count;
static const struct skv_storage_ops *gx_real;
static struct skv_storage_ops gx_ops;

static int gx_write(void *db, const struct skv_batch_op *ops, size_t n, int sync,
                    struct skv_err *e)
{
    if (gx_count)
        gx_writes++;
    if (gx_drop && !sync)
        return SKV_OK;  /* the WAL record never reaches the disk */
    return gx_real->write(db, ops, n, sync, e);
}

/* ---- one node's state ------------------------------------------------- */

struct gx {
    char *root;
    char yaml[600];
    struct skv_config conf;
    struct skv_node *n;
    struct raft raft;   /* only last_applied is used (raft_last_applied) */
    char err[2048];
};

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ssize_t w;
    if (fd < 0)
        return -1;
    w = write(fd, text, strlen(text));
    close(fd);
    return w == (ssize_t)strlen(text) ? 0 : -1;
}

static struct gx *gx_new(void)
{
    struct gx *g = calloc(1, sizeof *g);
    char text[1200];
    CU_ASSERT_FATAL(g != NULL);
    g->root = skv_test_tmpdir("fsmgap");
    CU_ASSERT_FATAL(g->root != NULL);
    snprintf(g->yaml, sizeof g->yaml, "%s/n1.yaml", g->root);
    snprintf(text, sizeof text,
             "node: { id: 1, address: \"127.0.0.1:17301\", data_dir: \"%s/d\" }\n"
             "plugins: { transport: { name: tcp, options: { insecure: true } } }\n"
             "log: { level: error }\n", g->root);
    CU_ASSERT_FATAL(write_file(g->yaml, text) == 0);
    return g;
}

/* skv_node_open_state (the start-up under test); 0 or -1 with g->err. */
static int gx_open(struct gx *g)
{
    g->err[0] = 0;
    memset(&g->conf, 0, sizeof g->conf);
    if (skv_config_load(g->yaml, &g->conf, g->err, sizeof g->err) != 0)
        return -1;
    g->n = calloc(1, sizeof *g->n);
    CU_ASSERT_FATAL(g->n != NULL);
    if (skv_node_open_state(g->n, &g->conf, g->err, sizeof g->err) != 0) {
        skv_node_close(g->n);
        skv_config_free(&g->conf);
        free(g->n);
        g->n = NULL;
        return -1;
    }
    memset(&g->raft, 0, sizeof g->raft);
    g->n->fsm.raft = &g->raft;
    gx_real = g->n->st;
    gx_ops = *gx_real;
    gx_ops.write = gx_write;
    g->n->st = &gx_ops;
    return 0;
}

static void gx_close(struct gx *g)
{
    if (!g->n)
        return;
    skv_node_close(g->n);
    skv_config_free(&g->conf);
    free(g->n);
    g->n = NULL;
}

static void gx_free(struct gx *g)
{
    gx_close(g);
    skv_test_rmtree(g->root);
    free(g->root);
    free(g);
}

/* ---- entries ---------------------------------------------------------- */

/* Entry i's command: puts and deletes over 7 keys, a no-op now and then
 * (erase-cleartext's trigger). raft_malloc'd. */
static void payload(uint64_t i, void **p, size_t *len)
{
    char key[16], val[32];
    struct skv_kv_op op;
    if (i % 11 == 0) {
        CU_ASSERT_FATAL((*p = raft_malloc(1)) != NULL);
        *(uint8_t *)*p = SKV_CMD_NOOP;
        *len = 1;
        return;
    }
    snprintf(key, sizeof key, "k%u", (unsigned)(i % 7));
    snprintf(val, sizeof val, "v%llu", ULL(i));
    op.op = i % 5 == 0 ? SKV_KV_DEL : SKV_KV_PUT;
    op.key = (const uint8_t *)key;
    op.key_len = strlen(key);
    op.val = (const uint8_t *)val;
    op.val_len = op.op == SKV_KV_PUT ? strlen(val) : 0;
    CU_ASSERT_FATAL(skv_cmd_encode_kv(&op, p, len) == 0);
}

static int is_lost(uint64_t i, const uint64_t *lost, size_t n_lost)
{
    size_t k;
    for (k = 0; k < n_lost; k++)
        if (lost[k] == i)
            return 1;
    return 0;
}

/* Raft hands entries from..to to the FSM (a hole advances last_applied
 * only), one loop turn each (the FSM's flush after every apply: a batch
 * per entry); the batches of `lost` never reach the disk. */
static void run(struct gx *g, uint64_t from, uint64_t to, const uint64_t *lost, size_t n_lost)
{
    uint64_t i;
    for (i = from; i <= to; i++) {
        struct raft_buffer buf;
        void *res = NULL;
        g->raft.last_applied = i - 1;
        if (!HOLE(i)) {
            payload(i, &buf.base, &buf.len);
            gx_drop = is_lost(i, lost, n_lost);
            CU_ASSERT_EQUAL(g->n->fsm.raft_fsm.apply(&g->n->fsm.raft_fsm, &buf, &res), 0);
            CU_ASSERT_EQUAL(skv_fsm_flush(&g->n->fsm), 0);
            gx_drop = 0;
            raft_free(buf.base);
        }
        g->raft.last_applied = i;
    }
}

/* Store entries from..to in the local raft log (as the node's appends). */
static void store_log(struct gx *g, uint64_t from, uint64_t to)
{
    struct skv_ls ls = {gx_real, g->n->db};
    struct raft_entry *e = calloc(to - from + 1, sizeof *e);
    struct skv_ls_run r;
    char msg[RAFT_ERRMSG_BUF_SIZE];
    uint64_t i;
    CU_ASSERT_FATAL(e != NULL);
    for (i = from; i <= to; i++) {
        struct raft_entry *x = &e[i - from];
        x->term = 1;
        x->type = HOLE(i) ? RAFT_BARRIER : RAFT_COMMAND;
        payload(i, &x->buf.base, &x->buf.len);
    }
    r.first = from;
    r.entries = e;
    r.n = (unsigned)(to - from + 1);
    CU_ASSERT_EQUAL(skv_ls_append(&ls, &r, 1, msg), 0);
    for (i = from; i <= to; i++)
        raft_free(e[i - from].buf.base);
    free(e);
}

static void scan(struct gx *g, struct skv_fsm_gap *gap)
{
    char msg[300];
    CU_ASSERT_FATAL(skv_fsm_gap_scan(gx_real, g->n->db, NULL, g->n->fsm.applied, gap, msg,
                                     sizeof msg) == 0);
}

static void assert_clean(struct gx *g, uint64_t applied)
{
    struct skv_fsm_gap gap;
    scan(g, &gap);
    CU_ASSERT_EQUAL(g->n->fsm.applied, applied);
    CU_ASSERT_EQUAL(skv_fsm_gap_verdict(&gap), SKV_GAP_CLEAN);
    CU_ASSERT_EQUAL(gap.n_marks, 1);
    CU_ASSERT_EQUAL(gap.horizon, 0);
}

/* FNV-1a over the FSM key space (data prefix) and the applied index. */
static uint64_t digest(struct gx *g)
{
    const struct skv_storage_ops *st = gx_real;
    struct skv_err e = {0, ""};
    uint8_t pfx = SKV_PFX_FSM_DATA, ab[8];
    uint64_t h = 1469598103934665603ull;
    void *it = NULL;
    size_t j;
    CU_ASSERT_FATAL(st->iter_new(g->n->db, NULL, &it, &e) == SKV_OK);
    for (st->iter_seek(it, &pfx, 1); st->iter_valid(it); st->iter_next(it)) {
        size_t kl, vl;
        const uint8_t *k = st->iter_key(it, &kl), *v;
        if (kl == 0 || k[0] != pfx)
            break;
        v = st->iter_value(it, &vl);
        for (j = 0; j < kl; j++)
            h = (h ^ k[j]) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
        for (j = 0; j < vl; j++)
            h = (h ^ v[j]) * 1099511628211ull;
        h = (h ^ 0xfe) * 1099511628211ull;
    }
    st->iter_free(it);
    skv_put_be64(ab, g->n->fsm.applied);
    for (j = 0; j < 8; j++)
        h = (h ^ ab[j]) * 1099511628211ull;
    return h;
}

/* The FSM applied index the last non-hole entry <= i leaves. */
static uint64_t last_fsm(uint64_t i)
{
    while (i > 0 && HOLE(i))
        i--;
    return i;
}

/* `sealkv verify` on the stopped node: 1 if it reports ErrFsmGap. */
static int verify_flags_gap(struct gx *g)
{
    struct skv_verify_report *r = calloc(1, sizeof *r);
    char err[512];
    size_t i;
    int found = 0;
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT_FATAL(skv_verify_run(g->yaml, 0, r, err, sizeof err) == 0);
    for (i = 0; i < r->n_listed; i++)
        if (strcmp(r->listed[i].kind, "ErrFsmGap") == 0)
            found = 1;
    if (!found)
        CU_ASSERT_EQUAL(r->n_anomalies, 0);
    free(r);
    return found;
}

/* Raft hands entries from..to (no hole) to the FSM in one loop turn:
 * no flush in between. */
static void apply_range(struct gx *g, uint64_t from, uint64_t to)
{
    uint64_t i;
    for (i = from; i <= to; i++) {
        struct raft_buffer buf;
        void *res = NULL;
        g->raft.last_applied = i - 1;
        payload(i, &buf.base, &buf.len);
        CU_ASSERT_EQUAL(g->n->fsm.raft_fsm.apply(&g->n->fsm.raft_fsm, &buf, &res), 0);
        raft_free(buf.base);
        g->raft.last_applied = i;
    }
}

/* Entries from..to applied in one commit round: no storage write until
 * the flush, then exactly one. */
static void run_round(struct gx *g, uint64_t from, uint64_t to, int lose)
{
    gx_writes = 0;
    gx_count = 1;
    apply_range(g, from, to);
    CU_ASSERT_EQUAL(gx_writes, 0);
    CU_ASSERT_EQUAL(g->n->fsm.applied, to);
    gx_drop = lose;
    CU_ASSERT_EQUAL(skv_fsm_flush(&g->n->fsm), 0);
    gx_drop = 0;
    CU_ASSERT_EQUAL(gx_writes, 1);
    CU_ASSERT_EQUAL(skv_fsm_flush(&g->n->fsm), 0);   /* nothing left: no write */
    CU_ASSERT_EQUAL(gx_writes, 1);
    gx_count = 0;
}

/* ---- batching per commit round ---------------------------------------- */

/* A round of entries is one batch: the chain steps from the previous
 * batch to the round's last entry; a read flushes first; a lost round is
 * a gap named after the batch before it. */
static void test_round_batch(void)
{
    struct gx *g = gx_new();
    struct skv_err e = {0, ""};
    uint8_t *v = NULL;
    size_t vl = 0;
    CU_ASSERT_FATAL(gx_open(g) == 0);
    run_round(g, 1, 16, 0);
    assert_clean(g, 16);
    apply_range(g, 17, 20); /* applied, pending: a read sees them */
    /* 19 put k5 = v19, 20 deleted k6 (put by 13) */
    CU_ASSERT_EQUAL(skv_fsm_get(&g->n->fsm, (const uint8_t *)"k5", 2, &v, &vl, NULL, &e), SKV_OK);
    CU_ASSERT(vl == 3 && v && memcmp(v, "v19", 3) == 0);
    free(v);
    CU_ASSERT_EQUAL(skv_fsm_get(&g->n->fsm, (const uint8_t *)"k6", 2, &v, &vl, NULL, &e),
                    SKV_ERR_NOTFOUND);
    assert_clean(g, 20);
    run_round(g, 21, 33, 1);   /* the round's one batch is lost */
    run_round(g, 35, 40, 0);
    gx_close(g);
    CU_ASSERT_EQUAL(gx_open(g), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(g->err, "the first one right after entry 20 "));
    gx_free(g);
}

/* ---- detection -------------------------------------------------------- */

static void test_clean(void)
{
    struct gx *g = gx_new();
    CU_ASSERT_FATAL(gx_open(g) == 0);
    assert_clean(g, 0);   /* a new store starts the chain at 0 */
    run(g, 1, N_ENTRIES, NULL, 0);
    assert_clean(g, last_fsm(N_ENTRIES));
    gx_close(g);
    CU_ASSERT_FALSE(verify_flags_gap(g));
    CU_ASSERT_FATAL(gx_open(g) == 0);
    assert_clean(g, last_fsm(N_ENTRIES));
    gx_free(g);
}

/* Lose `lost`, restart: refused with ErrFsmGap naming the entry after
 * which the first batch was lost; verify reports it too. */
static void expect_refused(const uint64_t *lost, size_t n_lost, uint64_t after)
{
    struct gx *g = gx_new();
    char want[80];
    CU_ASSERT_FATAL(gx_open(g) == 0);
    run(g, 1, N_ENTRIES, lost, n_lost);
    gx_close(g);
    CU_ASSERT_EQUAL(gx_open(g), -1);
    snprintf(want, sizeof want, "the first one right after entry %llu ", ULL(after));
    CU_ASSERT_PTR_NOT_NULL(strstr(g->err, "ErrFsmGap"));
    CU_ASSERT_PTR_NOT_NULL(strstr(g->err, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(g->err, "members remove"));
    if (!strstr(g->err, want))
        fprintf(stderr, "\n  got: %s\n  want: %s\n", g->err, want);
    CU_ASSERT_TRUE(verify_flags_gap(g));
    CU_ASSERT_EQUAL(gx_open(g), -1);   /* every start, not only the first */
    gx_free(g);
}

static void test_single_lost(void)
{
    static const uint64_t lost[] = {50};
    expect_refused(lost, 1, 49);
}

static void test_lost_after_hole(void)
{
    static const uint64_t lost[] = {52};   /* 51 is a barrier: previous batch 50 */
    expect_refused(lost, 1, 50);
}

static void test_range_near_end(void)
{
    static const uint64_t lost[] = {115, 116, 117, 118};
    expect_refused(lost, 4, 114);
}

static void test_range_old(void)
{
    static const uint64_t lost[] = {20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};
    expect_refused(lost, 11, 19);
}

static void test_lost_at_start(void)
{
    static const uint64_t one[] = {1}, three[] = {1, 2, 3};
    expect_refused(one, 1, 0);
    expect_refused(three, 3, 0);
}

static void test_scattered(void)
{
    static const uint64_t lost[] = {10, 40, 90, 119};
    expect_refused(lost, 4, 9);
}

static void test_tail_loss_clean(void)
{
    static const uint64_t lost[] = {118, 119, 120};
    struct gx *g = gx_new();
    CU_ASSERT_FATAL(gx_open(g) == 0);
    run(g, 1, N_ENTRIES, lost, 3);
    gx_close(g);
    CU_ASSERT_FATAL(gx_open(g) == 0);
    assert_clean(g, 117);   /* raft re-applies 118..120 as usual */
    run(g, 1, N_ENTRIES, NULL, 0);
    assert_clean(g, last_fsm(N_ENTRIES));
    gx_free(g);
}

/* ---- restore ---------------------------------------------------------- */

/* A snapshot of a store that applied 1..at (raft_malloc'd copy). */
static struct raft_buffer take_snapshot(uint64_t at)
{
    struct gx *a = gx_new();
    struct raft_buffer *bufs = NULL, out = {NULL, 0};
    unsigned nb = 0;
    char err[200];
    CU_ASSERT_FATAL(gx_open(a) == 0);
    run(a, 1, at, NULL, 0);
    a->n->fsm.local_snapshots = 1;   /* as under the node's own raft_io */
    CU_ASSERT_FATAL(skv_fsm_snapshot(&a->n->fsm.raft_fsm, &bufs, &nb) == 0);
    CU_ASSERT_FATAL(nb == 1);
    /* the local snapshot, expanded from its view as a leader sends it */
    CU_ASSERT_FATAL(skv_snap_expand(a->n->st, a->n->db, a->n->fsm.views.pending, &bufs[0], &out,
                                    err, sizeof err) == 0);
    skv_fsm_snapshot_finalize(&a->n->fsm.raft_fsm, &bufs, &nb);
    gx_free(a);
    return out;
}

static void restore_then(const uint64_t *lost, size_t n_lost, int refused)
{
    struct raft_buffer snap = take_snapshot(60);
    struct gx *g = gx_new();
    CU_ASSERT_FATAL(gx_open(g) == 0);
    run(g, 1, 20, NULL, 0);
    g->raft.last_applied = 60;
    CU_ASSERT_FATAL(skv_fsm_restore(&g->n->fsm.raft_fsm, &snap) == 0);
    assert_clean(g, 60);
    run(g, 61, 80, lost, n_lost);
    gx_close(g);
    if (refused) {
        CU_ASSERT_EQUAL(gx_open(g), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(g->err, "right after entry 60 "));
    } else {
        CU_ASSERT_FATAL(gx_open(g) == 0);
        assert_clean(g, 80);
    }
    gx_free(g);
}

/* Barriers (one per linearizable read) and configuration changes never
 * reach the FSM: a local snapshot taken right after some must still leave
 * the store's applied index at the snapshot's, or the next start refused
 * the node as "lost state" (ErrFsmGap; seen after a restart under reads). */
static void test_snapshot_after_barriers(void)
{
    struct gx *g = gx_new();
    struct raft_buffer *bufs = NULL, copy;
    unsigned nb = 0;
    CU_ASSERT_FATAL(gx_open(g) == 0);
    run(g, 1, 40, NULL, 0);
    g->raft.last_applied = 42;              /* 41, 42: barriers */
    g->n->fsm.local_snapshots = 1;
    CU_ASSERT_FATAL(skv_fsm_snapshot(&g->n->fsm.raft_fsm, &bufs, &nb) == 0);
    CU_ASSERT_EQUAL(g->n->fsm.applied, 42);
    CU_ASSERT_EQUAL(g->n->fsm.flushed, 42);
    copy.len = bufs[0].len;                 /* as stored: restored at the next start */
    copy.base = raft_malloc(copy.len);
    memcpy(copy.base, bufs[0].base, copy.len);
    skv_fsm_snapshot_finalize(&g->n->fsm.raft_fsm, &bufs, &nb);
    gx_close(g);
    CU_ASSERT_FATAL(gx_open(g) == 0);
    g->raft.last_applied = 42;
    CU_ASSERT_EQUAL(skv_fsm_restore(&g->n->fsm.raft_fsm, &copy), 0); /* not RAFT_CORRUPT */
    assert_clean(g, 42);
    gx_free(g);
}

static void test_restore(void)
{
    static const uint64_t first[] = {61};
    restore_then(NULL, 0, 0);
    restore_then(first, 1, 1);   /* the first batch after the restore */
}

/* ---- migration from a store without markers --------------------------- */

static void drop_markers(struct gx *g)
{
    struct skv_fsm_batch b = {NULL, 0, 0, 0};
    struct skv_err e = {0, ""};
    char msg[200];
    uint8_t k[SKV_FSM_MARK_KEY_LEN];
    CU_ASSERT_FATAL(skv_fsm_gap_stage_reset(gx_real, g->n->db, &b, 0, msg, sizeof msg) == 0);
    skv_fsm_mark_key(k, 0);   /* and not even the reset's own marker */
    CU_ASSERT_FATAL(skv_fsm_batch_del(&b, k, sizeof k) == 0);
    CU_ASSERT_FATAL(gx_real->write(g->n->db, b.ops, b.n, 1, &e) == SKV_OK);
    skv_fsm_batch_free(&b);
}

static void migrate_then(const uint64_t *lost, size_t n_lost, int refused)
{
    struct gx *g = gx_new();
    struct skv_fsm_gap gap;
    CU_ASSERT_FATAL(gx_open(g) == 0);
    run(g, 1, 40, NULL, 0);
    drop_markers(g);            /* as an older release left it */
    scan(g, &gap);
    CU_ASSERT_EQUAL(skv_fsm_gap_verdict(&gap), SKV_GAP_UNMARKED);
    gx_close(g);
    CU_ASSERT_FALSE(verify_flags_gap(g));   /* unmarked is no anomaly */
    CU_ASSERT_FATAL(gx_open(g) == 0);
    assert_clean(g, 40);        /* the chain starts at the applied index */
    run(g, 41, 60, lost, n_lost);
    gx_close(g);
    if (refused) {
        CU_ASSERT_EQUAL(gx_open(g), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(g->err, "right after entry 40 "));
    } else {
        CU_ASSERT_FATAL(gx_open(g) == 0);
        assert_clean(g, 60);
    }
    gx_free(g);
}

static void test_migration(void)
{
    static const uint64_t first[] = {41};
    migrate_then(NULL, 0, 0);
    migrate_then(first, 1, 1);
}

/* ---- repair ----------------------------------------------------------- */

static void test_repair(void)
{
    /* 118 is the last write to its key: the loss shows in the data */
    static const uint64_t lost[] = {50, 52, 53, 90, 118};
    struct gx *ref = gx_new(), *g = gx_new();
    struct raft_buffer *bufs = NULL;
    struct skv_fsm_gap gap;
    unsigned nb = 0;
    uint64_t want;
    CU_ASSERT_FATAL(gx_open(ref) == 0);
    run(ref, 1, N_ENTRIES, NULL, 0);
    want = digest(ref);
    gx_free(ref);

    CU_ASSERT_FATAL(gx_open(g) == 0);
    store_log(g, 1, N_ENTRIES);
    run(g, 1, N_ENTRIES, lost, 5);
    CU_ASSERT_NOT_EQUAL(digest(g), want);   /* sanity: the loss shows */
    gx_close(g);
    CU_ASSERT_FATAL(gx_open(g) == 0);       /* repaired at start */
    CU_ASSERT_EQUAL(g->n->fsm.applied, 49);
    CU_ASSERT_EQUAL(g->n->fsm.gap_until, last_fsm(N_ENTRIES));
    scan(g, &gap);
    CU_ASSERT_EQUAL(skv_fsm_gap_verdict(&gap), SKV_GAP_CLEAN);
    CU_ASSERT_EQUAL(gap.horizon, last_fsm(N_ENTRIES));
    g->raft.last_applied = 49;              /* no snapshot of a mixed state */
    CU_ASSERT_EQUAL(skv_fsm_snapshot(&g->n->fsm.raft_fsm, &bufs, &nb), RAFT_BUSY);

    gx_close(g);                            /* a crash before re-apply: same */
    CU_ASSERT_FATAL(gx_open(g) == 0);
    CU_ASSERT_EQUAL(g->n->fsm.gap_until, last_fsm(N_ENTRIES));
    run(g, 1, N_ENTRIES, NULL, 0);          /* raft replays; <= 49 skipped */
    CU_ASSERT_EQUAL(g->n->fsm.gap_until, 0);
    assert_clean(g, last_fsm(N_ENTRIES));
    CU_ASSERT_EQUAL(digest(g), want);
    gx_close(g);
    CU_ASSERT_FATAL(gx_open(g) == 0);
    assert_clean(g, last_fsm(N_ENTRIES));
    CU_ASSERT_EQUAL(digest(g), want);
    gx_free(g);
}

static void test_repair_refused_short_log(void)
{
    static const uint64_t lost[] = {110};
    struct gx *g = gx_new();
    CU_ASSERT_FATAL(gx_open(g) == 0);
    store_log(g, 1, 100);
    run(g, 1, N_ENTRIES, lost, 1);
    gx_close(g);
    CU_ASSERT_EQUAL(gx_open(g), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(g->err, "no longer holds every entry 110..120"));
    gx_free(g);
}

static void test_repair_refused_enc(void)
{
    static const uint64_t lost[] = {50};
    struct gx *g = gx_new();
    struct skv_err e = {0, ""};
    struct skv_batch_op op;
    uint8_t v[8];
    CU_ASSERT_FATAL(gx_open(g) == 0);
    store_log(g, 1, N_ENTRIES);
    run(g, 1, N_ENTRIES, lost, 1);
    /* as if entry 100 were an encryption entry (its batch is synced) */
    skv_put_be64(v, 100);
    memset(&op, 0, sizeof op);
    op.type = SKV_BATCH_PUT;
    op.key = skv_fsm_encidx_key;
    op.key_len = sizeof skv_fsm_encidx_key;
    op.val = v;
    op.val_len = 8;
    CU_ASSERT_FATAL(gx_real->write(g->n->db, &op, 1, 1, &e) == SKV_OK);
    gx_close(g);
    CU_ASSERT_EQUAL(gx_open(g), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(g->err, "encryption entry 100"));
    gx_free(g);
}


/* ---- revisions and compare-and-swap ------------------------------------ */

/* Apply one payload (raft_malloc'd, consumed) as entry `i` in the current
 * round; the FSM's refusal, or NULL when applied. */
static const struct skv_apply_refusal *rv_apply(struct gx *g, uint64_t i, void *p, size_t len)
{
    struct raft_buffer buf;
    void *res = NULL;
    buf.base = p;
    buf.len = len;
    g->raft.last_applied = i - 1;
    CU_ASSERT_EQUAL(g->n->fsm.raft_fsm.apply(&g->n->fsm.raft_fsm, &buf, &res), 0);
    raft_free(p);
    g->raft.last_applied = i;
    return res;
}

static const struct skv_apply_refusal *rv_kv(struct gx *g, uint64_t i, uint8_t opc,
                                             const char *key, const char *val, uint8_t cond,
                                             uint64_t prev)
{
    struct skv_kv_op op;
    struct skv_kv_cond c;
    void *p;
    size_t len;
    op.op = opc;
    op.key = (const uint8_t *)key;
    op.key_len = strlen(key);
    op.val = (const uint8_t *)(val ? val : "");
    op.val_len = val ? strlen(val) : 0;
    c.kind = cond;
    c.prev = prev;
    CU_ASSERT_FATAL((cond ? skv_cmd_encode_kv_cas(&op, &c, &p, &len)
                          : skv_cmd_encode_kv(&op, &p, &len)) == 0);
    return rv_apply(g, i, p, len);
}

/* key reads with value and revision (mod, create); NULL val: absent */
static int rv_is(struct gx *g, const char *key, const char *val, uint64_t mod, uint64_t create)
{
    struct skv_err e = {0, ""};
    struct skv_rev r;
    uint8_t *v = NULL;
    size_t vl = 0;
    int rc = skv_fsm_get(&g->n->fsm, (const uint8_t *)key, strlen(key), &v, &vl, &r, &e);
    int ok = val ? rc == SKV_OK && vl == strlen(val) && memcmp(v, val, vl) == 0 &&
                       r.mod == mod && r.create == create
                 : rc == SKV_ERR_NOTFOUND;
    if (!ok)
        fprintf(stderr, "\n  %s: rc %d mod %llu create %llu\n", key, rc, ULL(r.mod),
                ULL(r.create));
    free(v);
    return ok;
}

static int refused_with(const struct skv_apply_refusal *r, uint64_t mod)
{
    return r && strcmp(r->error, "ErrCompareFailed") == 0 && r->mod_index == mod;
}

/* One commit round (no flush until the end): every compare sees the
 * writes staged before it. */
static void test_rev_round(void)
{
    struct gx *g = gx_new();
    uint8_t batch[64];
    size_t n = 0;
    void *p;
    CU_ASSERT_FATAL(gx_open(g) == 0);
    CU_ASSERT_PTR_NULL(rv_kv(g, 1, SKV_KV_PUT, "k", "a", 0, 0));
    CU_ASSERT_PTR_NULL(rv_kv(g, 2, SKV_KV_PUT, "k", "b", 0, 0));
    CU_ASSERT_PTR_NULL(rv_kv(g, 3, SKV_KV_PUT, "k", "c", SKV_COND_MOD, 2));
    CU_ASSERT_TRUE(refused_with(rv_kv(g, 4, SKV_KV_PUT, "k", "x", SKV_COND_MOD, 2), 3));
    CU_ASSERT_PTR_NULL(rv_kv(g, 5, SKV_KV_PUT, "n", "1", SKV_COND_ABSENT, 0));
    CU_ASSERT_TRUE(refused_with(rv_kv(g, 6, SKV_KV_PUT, "n", "2", SKV_COND_ABSENT, 0), 5));
    CU_ASSERT_TRUE(refused_with(rv_kv(g, 7, SKV_KV_DEL, "n", NULL, SKV_COND_MOD, 4), 5));
    CU_ASSERT_PTR_NULL(rv_kv(g, 8, SKV_KV_DEL, "k", NULL, 0, 0));
    CU_ASSERT_TRUE(refused_with(rv_kv(g, 9, SKV_KV_PUT, "k", "y", SKV_COND_PRESENT, 0), 0));
    CU_ASSERT_PTR_NULL(rv_kv(g, 10, SKV_KV_PUT, "k", "d", 0, 0));
    /* a 0x01 batch putting one key twice: created by the batch's index */
    batch[n++] = SKV_CMD_KV_BATCH;
    skv_put_be32(batch + n, 2), n += 4;
    batch[n++] = SKV_KV_PUT, skv_put_be32(batch + n, 1), n += 4, batch[n++] = 'b';
    skv_put_be32(batch + n, 1), n += 4, batch[n++] = '1';
    batch[n++] = SKV_KV_PUT, skv_put_be32(batch + n, 1), n += 4, batch[n++] = 'b';
    skv_put_be32(batch + n, 1), n += 4, batch[n++] = '2';
    CU_ASSERT_FATAL((p = raft_malloc(n)) != NULL);
    memcpy(p, batch, n);
    CU_ASSERT_PTR_NULL(rv_apply(g, 11, p, n));
    CU_ASSERT_EQUAL(g->n->fsm.flushed, 0); /* all of it still pending */
    CU_ASSERT_TRUE(rv_is(g, "k", "d", 10, 10)); /* the read flushes */
    CU_ASSERT_TRUE(rv_is(g, "n", "1", 5, 5));
    CU_ASSERT_TRUE(rv_is(g, "b", "2", 11, 11));
    /* across rounds, from the store */
    CU_ASSERT_PTR_NULL(rv_kv(g, 12, SKV_KV_DEL, "n", NULL, SKV_COND_MOD, 5));
    CU_ASSERT_EQUAL(skv_fsm_flush(&g->n->fsm), 0);
    CU_ASSERT_TRUE(rv_is(g, "n", NULL, 0, 0));
    CU_ASSERT_PTR_NULL(rv_kv(g, 13, SKV_KV_PUT, "k", "e", SKV_COND_PRESENT, 0));
    CU_ASSERT_TRUE(rv_is(g, "k", "e", 13, 10));
    /* survives a restart */
    gx_close(g);
    CU_ASSERT_FATAL(gx_open(g) == 0);
    CU_ASSERT_TRUE(rv_is(g, "k", "e", 13, 10));
    CU_ASSERT_TRUE(refused_with(rv_kv(g, 14, SKV_KV_PUT, "k", "f", SKV_COND_MOD, 10), 13));
    gx_free(g);
}

/* A value stored before revisions (no record): 0 / 0, CAS-able with
 * prev_index 0; its create index stays unknown across overwrites. */
static void test_rev_legacy(void)
{
    struct gx *g = gx_new();
    struct skv_err e = {0, ""};
    struct skv_batch_op op;
    uint8_t key[2] = {SKV_PFX_FSM_REV, 'k'};
    CU_ASSERT_FATAL(gx_open(g) == 0);
    CU_ASSERT_PTR_NULL(rv_kv(g, 1, SKV_KV_PUT, "k", "old", 0, 0));
    CU_ASSERT_EQUAL(skv_fsm_flush(&g->n->fsm), 0);
    memset(&op, 0, sizeof op);
    op.type = SKV_BATCH_DEL;
    op.key = key;
    op.key_len = sizeof key;
    CU_ASSERT_FATAL(gx_real->write(g->n->db, &op, 1, 1, &e) == SKV_OK);
    CU_ASSERT_TRUE(rv_is(g, "k", "old", 0, 0));
    CU_ASSERT_TRUE(refused_with(rv_kv(g, 2, SKV_KV_PUT, "k", "x", SKV_COND_ABSENT, 0), 0));
    CU_ASSERT_TRUE(refused_with(rv_kv(g, 3, SKV_KV_PUT, "k", "x", SKV_COND_MOD, 1), 0));
    CU_ASSERT_PTR_NULL(rv_kv(g, 4, SKV_KV_PUT, "k", "new", SKV_COND_MOD, 0));
    CU_ASSERT_TRUE(rv_is(g, "k", "new", 4, 0));
    gx_free(g);
}

/* The 0x06 codec: one spelling, every length and field checked. */
static void test_cas_codec(void)
{
    struct skv_kv_op op = {SKV_KV_PUT, (const uint8_t *)"key", 3, (const uint8_t *)"val", 3}, d;
    struct skv_kv_cond c = {SKV_COND_MOD, 42}, dc;
    struct skv_cmd cmd;
    char err[200];
    uint8_t *p, bad[64];
    size_t len, i;
    CU_ASSERT_FATAL(skv_cmd_encode_kv_cas(&op, &c, (void **)&p, &len) == 0);
    CU_ASSERT_EQUAL(len, SKV_CMD_CAS_HDR + 6);
    CU_ASSERT_EQUAL(skv_cmd_decode_kv_cas(p, len, &d, &dc, err, sizeof err), 0);
    CU_ASSERT(d.op == SKV_KV_PUT && d.key_len == 3 && memcmp(d.key, "key", 3) == 0 &&
              d.val_len == 3 && dc.kind == SKV_COND_MOD && dc.prev == 42);
    CU_ASSERT_EQUAL(skv_cmd_decode(p, len, &cmd, err, sizeof err), 0);
    CU_ASSERT(cmd.tag == SKV_CMD_KV_CAS && cmd.cond.prev == 42);
    skv_cmd_free(&cmd);
    for (i = 0; i < SKV_CMD_CAS_HDR + 3; i++) /* truncated anywhere in header or key */
        CU_ASSERT_EQUAL(skv_cmd_decode(p, i, &cmd, err, sizeof err), -1);
    memcpy(bad, p, len);
    bad[2] = 4; /* unknown condition */
    CU_ASSERT_EQUAL(skv_cmd_decode(bad, len, &cmd, err, sizeof err), -1);
    bad[2] = SKV_COND_ABSENT; /* an index with a condition that takes none */
    CU_ASSERT_EQUAL(skv_cmd_decode(bad, len, &cmd, err, sizeof err), -1);
    bad[1] = 3, bad[2] = SKV_COND_MOD; /* unknown opcode */
    CU_ASSERT_EQUAL(skv_cmd_decode(bad, len, &cmd, err, sizeof err), -1);
    bad[1] = SKV_KV_DEL; /* a delete with value bytes */
    CU_ASSERT_EQUAL(skv_cmd_decode(bad, len, &cmd, err, sizeof err), -1);
    CU_ASSERT_EQUAL(skv_cmd_decode(bad, len - 3, &cmd, err, sizeof err), 0);
    skv_cmd_free(&cmd);
    bad[2] = SKV_COND_ABSENT, memset(bad + 3, 0, 8); /* delete-if-absent */
    CU_ASSERT_EQUAL(skv_cmd_decode(bad, len - 3, &cmd, err, sizeof err), -1);
    memcpy(bad, p, len);
    skv_put_be32(bad + 11, 0); /* empty key */
    CU_ASSERT_EQUAL(skv_cmd_decode(bad, len, &cmd, err, sizeof err), -1);
    skv_put_be32(bad + 11, 7); /* key longer than the payload */
    CU_ASSERT_EQUAL(skv_cmd_decode(bad, len, &cmd, err, sizeof err), -1);
    skv_put_be32(bad + 11, SKV_MAX_KEY + 1);
    CU_ASSERT_EQUAL(skv_cmd_decode(bad, len, &cmd, err, sizeof err), -1);
    raft_free(p);
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("fsm_gap", NULL, NULL);
    CU_add_test(s, "clean store never flagged", test_clean);
    CU_add_test(s, "single lost batch", test_single_lost);
    CU_add_test(s, "lost batch after a barrier index", test_lost_after_hole);
    CU_add_test(s, "lost range near the end", test_range_near_end);
    CU_add_test(s, "lost range far older than the end", test_range_old);
    CU_add_test(s, "loss at the very start", test_lost_at_start);
    CU_add_test(s, "scattered losses", test_scattered);
    CU_add_test(s, "tail loss is no gap", test_tail_loss_clean);
    CU_add_test(s, "snapshot restore", test_restore);
    CU_add_test(s, "a snapshot right after barriers", test_snapshot_after_barriers);
    CU_add_test(s, "one batch per commit round", test_round_batch);
    CU_add_test(s, "migration from a marker-less store", test_migration);
    CU_add_test(s, "repair from the local log", test_repair);
    CU_add_test(s, "no repair without the entries", test_repair_refused_short_log);
    CU_add_test(s, "no repair over an encryption entry", test_repair_refused_enc);
    s = CU_add_suite("revisions", NULL, NULL);
    CU_add_test(s, "revisions and CAS inside one commit round", test_rev_round);
    CU_add_test(s, "a key stored before revisions", test_rev_legacy);
    CU_add_test(s, "conditional command codec", test_cas_codec);
    return skv_test_run();
}
