/* SPDX-License-Identifier: MIT */
/*
 * test_snap_stream.c — snapshots that travel without being held whole in
 * memory (issue 15), over the real storage-leveldb plugin and the real
 * FSM restore:
 *  - the iterator (fsm/snap_iter.h) produces, from a storage view, exactly
 *    the full form (header, every record under the FSM prefixes, the
 *    encryption record) in pieces of any size (1 byte, odd sizes, chunk
 *    size, all at once), records bigger than a piece included; writes
 *    after the view are not seen; the size pass and skv_snap_expand agree;
 *    it refuses what it must (no view / another index: RAFT_BUSY, a
 *    spooled v4: RAFT_BUSY, a full one: 1, garbage: RAFT_CORRUPT);
 *  - the spool file (raftio/snap_spool.h): over the cap or the free space
 *    refused before any file exists, a write past the announced total and
 *    a short finish refused, commit makes .part into .spool and refuses a
 *    file of another transfer, abort removes it;
 *  - the record reader (fsm/snap_reader.h) over hostile bytes: a window
 *    smaller than a record, truncation, a zero key, a length past the end,
 *    a record over the cap, a foreign key prefix;
 *  - the restore of a spooled snapshot (fsm_restore_spool.c) on another
 *    store: the key space becomes the view's exactly (old keys gone, keys
 *    outside the FSM prefixes kept), the applied index moves, the spool
 *    file is removed; a spool with one flipped byte is refused (checksum)
 *    before anything is written; a reference whose index is not above
 *    the applied one is a no-op.
 */
#include "skv_test.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <raft.h>

#include "config/config.h"
#include "fsm/fsm.h"
#include "fsm/fsm_snap_enc.h"
#include "fsm/snap_hdr.h"
#include "fsm/snap_iter.h"
#include "fsm/snap_reader.h"
#include "fsm/snap_view.h"
#include "node/node.h"
#include "raftio/snap_spool.h"
#include "util/bytes.h"
#include "util/keys.h"

#define INDEX 77u
#define BIG_VAL (300u * 1024u)   /* a record over several pieces */

struct sx {
    char *root;
    char yaml[600];
    char dir[600];
    struct skv_config conf;
    struct skv_node *n;
    struct raft raft;
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

static struct sx *sx_open(void)
{
    struct sx *s = calloc(1, sizeof *s);
    char text[1200];
    CU_ASSERT_FATAL(s != NULL);
    s->root = skv_test_tmpdir("snapstream");
    CU_ASSERT_FATAL(s->root != NULL);
    snprintf(s->yaml, sizeof s->yaml, "%s/n1.yaml", s->root);
    snprintf(s->dir, sizeof s->dir, "%s/d", s->root);
    snprintf(text, sizeof text,
             "node: { id: 1, address: \"127.0.0.1:17331\", data_dir: \"%s\" }\n"
             "plugins: { transport: { name: tcp, options: { insecure: true } } }\n"
             "log: { level: error }\n", s->dir);
    CU_ASSERT_FATAL(write_file(s->yaml, text) == 0);
    CU_ASSERT_FATAL(skv_config_load(s->yaml, &s->conf, s->err, sizeof s->err) == 0);
    CU_ASSERT_FATAL((s->n = calloc(1, sizeof *s->n)) != NULL);
    CU_ASSERT_FATAL(skv_node_open_state(s->n, &s->conf, s->err, sizeof s->err) == 0);
    s->n->fsm.raft = &s->raft;
    return s;
}

static void sx_free(struct sx *s)
{
    skv_node_close(s->n);
    skv_config_free(&s->conf);
    free(s->n);
    skv_test_rmtree(s->root);
    free(s->root);
    free(s);
}

static void put(struct sx *s, uint8_t pfx, const char *k, const void *v, size_t vl)
{
    uint8_t key[64];
    size_t kl = strlen(k);
    struct skv_batch_op op;
    struct skv_err e = {0, ""};
    key[0] = pfx;
    memcpy(key + 1, k, kl);
    op = (struct skv_batch_op){SKV_BATCH_PUT, 0, key, kl + 1, v, vl};
    CU_ASSERT_FATAL(s->n->st->write(s->n->db, &op, 1, 1, &e) == SKV_OK);
}

static const uint8_t enc_rec_key[4] = {SKV_PFX_ENC_SNAP, 'e', 'n', 'c'};

/* The records the source store holds under the FSM prefixes (their
 * expected full form is built alongside); big: BIG_VAL bytes of pattern. */
static void fill_source(struct sx *s, uint8_t *big)
{
    char k[32], v[32];
    unsigned i;
    for (i = 0; i < BIG_VAL; i++)
        big[i] = (uint8_t)(i * 7 + 3);
    for (i = 0; i < 200; i++) {
        snprintf(k, sizeof k, "key%03u", i);
        snprintf(v, sizeof v, "value-%u", i * i);
        put(s, SKV_PFX_FSM_DATA, k, v, strlen(v));
        put(s, SKV_PFX_FSM_REV, k, "revrecord", 9);
    }
    put(s, SKV_PFX_FSM_DATA, "zbig", big, BIG_VAL);
    put(s, SKV_PFX_FSM_DATA, "zempty", "", 0);
    put(s, SKV_PFX_WRITERS, "wr1", "0123456789ab", 12);
    put(s, SKV_PFX_NODE, "notmine", "x", 1);   /* outside: never in a snapshot */
}

/* The full form read straight from the store (no view: nothing changed). */
static void expected_full(struct sx *s, uint64_t cutover, const struct skv_buf *tail,
                          struct skv_buf *out)
{
    uint8_t hdr[SKV_SNAP_HDR_MAX];
    size_t i;
    CU_ASSERT_FATAL(skv_sbuf_put(out, hdr, skv_snap_hdr_write(hdr, cutover, INDEX)) == 0);
    for (i = 0; i < SKV_SNAP_N_PREFIXES; i++) {
        const struct skv_storage_ops *st = s->n->st;
        void *it;
        struct skv_err e = {0, ""};
        uint8_t pfx = skv_snap_prefixes[i];
        CU_ASSERT_FATAL(st->iter_new(s->n->db, NULL, &it, &e) == SKV_OK);
        for (st->iter_seek(it, &pfx, 1); st->iter_valid(it); st->iter_next(it)) {
            size_t kl, vl;
            const uint8_t *k = st->iter_key(it, &kl);
            const void *v;
            if (kl == 0 || k[0] != pfx)
                break;
            v = st->iter_value(it, &vl);
            CU_ASSERT_FATAL(skv_sbuf_record(out, k, kl, v, vl) == 0);
        }
        st->iter_free(it);
    }
    CU_ASSERT_FATAL(skv_sbuf_put(out, tail->p, tail->len) == 0);
}

/* The stored local snapshot: v3 header + the encryption record (tail). */
static void local_snapshot(uint64_t cutover, const struct skv_buf *tail, struct skv_buf *out)
{
    uint8_t hdr[SKV_SNAP_HDR_MAX];
    CU_ASSERT_FATAL(skv_sbuf_put(out, hdr, skv_snap_hdr_write_local(hdr, cutover, INDEX)) == 0);
    CU_ASSERT_FATAL(skv_sbuf_put(out, tail->p, tail->len) == 0);
}

/* The whole form through the iterator in pieces of `piece` bytes. */
static void iterate(struct sx *s, const struct skv_snap_view *v, const struct skv_buf *local,
                    size_t piece, struct skv_buf *out)
{
    struct skv_snap_iter *it = NULL;
    uint8_t *buf = malloc(piece);
    char err[256];
    size_t n;
    CU_ASSERT_FATAL(buf != NULL);
    CU_ASSERT_FATAL(skv_snap_iter_open(s->n->st, s->n->db, v, local->p, local->len, &it, err,
                                       sizeof err) == 0);
    do {
        CU_ASSERT_FATAL(skv_snap_iter_next(it, buf, piece, &n, err, sizeof err) == 0);
        CU_ASSERT_FATAL(skv_sbuf_put(out, buf, n) == 0);
    } while (n == piece);
    CU_ASSERT_EQUAL(skv_snap_iter_pos(it), out->len);
    CU_ASSERT_EQUAL(skv_snap_iter_next(it, buf, piece, &n, err, sizeof err), 0);
    CU_ASSERT_EQUAL(n, 0);   /* and stays at the end */
    skv_snap_iter_close(it);
    free(buf);
}

/* A view at INDEX, current (as after a stored local snapshot). */
static struct skv_snap_view *take_view(struct sx *s)
{
    char err[256];
    CU_ASSERT_FATAL(skv_snap_views_take(&s->n->fsm.views, INDEX, err, sizeof err) == 0);
    skv_snap_views_settle(&s->n->fsm.views, INDEX);
    CU_ASSERT_FATAL(s->n->fsm.views.cur != NULL);
    return s->n->fsm.views.cur;
}

static void enc_tail(struct skv_buf *tail)
{
    static const char v[] = "\0\0\0\0\0\0\0\x05{\"sidecar\":\"json\"}";
    CU_ASSERT_FATAL(skv_sbuf_record(tail, enc_rec_key, sizeof enc_rec_key, v, sizeof v - 1) == 0);
}

static void test_iter_pieces(void)
{
    static const size_t pieces[] = {1, 7, 4093, 65536, 4u << 20};
    struct sx *s = sx_open();
    struct skv_buf tail = {0}, local = {0}, want = {0};
    uint8_t *big = malloc(BIG_VAL);
    struct skv_snap_view *v;
    struct raft_buffer stored, full = {NULL, 0};
    uint64_t size = 0;
    char err[256];
    size_t i;
    CU_ASSERT_FATAL(big != NULL);
    fill_source(s, big);
    enc_tail(&tail);
    local_snapshot(9, &tail, &local);
    expected_full(s, 9, &tail, &want);
    v = take_view(s);
    /* written after the view: not in the snapshot */
    put(s, SKV_PFX_FSM_DATA, "key000", "changed", 7);
    put(s, SKV_PFX_FSM_DATA, "later", "x", 1);
    CU_ASSERT_EQUAL(skv_snap_full_size(s->n->st, s->n->db, v, local.p, local.len, &size, err,
                                       sizeof err), 0);
    CU_ASSERT_EQUAL(size, want.len);
    CU_ASSERT(want.len > 200 * 40 + BIG_VAL);
    for (i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        struct skv_buf got = {0};
        iterate(s, v, &local, pieces[i], &got);
        CU_ASSERT_EQUAL(got.len, want.len);
        CU_ASSERT(got.len == want.len && memcmp(got.p, want.p, want.len) == 0);
        raft_free(got.p);
    }
    stored = (struct raft_buffer){local.p, local.len};
    CU_ASSERT_EQUAL_FATAL(skv_snap_expand(s->n->st, s->n->db, v, &stored, &full, err,
                                          sizeof err), 0);
    CU_ASSERT(full.len == want.len && memcmp(full.base, want.p, want.len) == 0);
    raft_free(full.base);
    raft_free(tail.p);
    raft_free(local.p);
    raft_free(want.p);
    free(big);
    sx_free(s);
}

static void test_iter_refusals(void)
{
    struct sx *s = sx_open();
    struct skv_buf tail = {0}, local = {0};
    struct skv_snap_iter *it = NULL;
    struct skv_snap_view *v;
    uint8_t b[SKV_SNAP_HDR_MAX + SKV_SPOOL_REF_LEN] = {0};
    uint64_t size;
    char err[256];
    size_t n;
    enc_tail(&tail);
    local_snapshot(0, &tail, &local);
    CU_ASSERT_EQUAL(skv_snap_iter_open(s->n->st, s->n->db, NULL, local.p, local.len, &it, err,
                                       sizeof err), RAFT_BUSY);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no storage view"));
    CU_ASSERT_FATAL(skv_snap_views_take(&s->n->fsm.views, INDEX + 1, err, sizeof err) == 0);
    skv_snap_views_settle(&s->n->fsm.views, INDEX + 1);
    v = s->n->fsm.views.cur;   /* at another index */
    CU_ASSERT_EQUAL(skv_snap_iter_open(s->n->st, s->n->db, v, local.p, local.len, &it, err,
                                       sizeof err), RAFT_BUSY);
    CU_ASSERT_EQUAL(skv_snap_full_size(s->n->st, s->n->db, v, local.p, local.len, &size, err,
                                       sizeof err), RAFT_BUSY);
    n = skv_snap_hdr_write(b, 0, INDEX);   /* already full */
    CU_ASSERT_EQUAL(skv_snap_iter_open(s->n->st, s->n->db, v, b, n, &it, err, sizeof err), 1);
    n = skv_snap_hdr_write_spooled(b, 0, INDEX + 1);   /* a spooled install */
    CU_ASSERT_EQUAL(skv_snap_iter_open(s->n->st, s->n->db, v, b, n + SKV_SPOOL_REF_LEN, &it,
                                       err, sizeof err), RAFT_BUSY);
    CU_ASSERT_EQUAL(skv_snap_iter_open(s->n->st, s->n->db, v, (const uint8_t *)"garbage!", 8,
                                       &it, err, sizeof err), RAFT_CORRUPT);
    CU_ASSERT_PTR_NULL(it);
    raft_free(tail.p);
    raft_free(local.p);
    sx_free(s);
}

/* ---- the spool file ---------------------------------------------------- */

static int exists(const char *dir, int complete)
{
    char p[4096];
    struct stat sb;
    CU_ASSERT_FATAL(skv_spool_path(p, sizeof p, dir, complete) == 0);
    return stat(p, &sb) == 0;
}

static void test_spool_file(void)
{
    char *dir = skv_test_tmpdir("spool");
    struct skv_spool_w w, w2;
    struct skv_spool_meta m, m2;
    struct skv_spool_r r;
    uint8_t data[1000], back[1000];
    struct statvfs sv;
    uint64_t avail;
    char err[512];
    unsigned i;
    for (i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)i;
    skv_spool_w_init(&w);
    skv_spool_w_init(&w2);
    CU_ASSERT_EQUAL(skv_spool_begin(&w, dir, SKV_SPOOL_MAX + 1, 0, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "over the cap"));
    CU_ASSERT_FATAL(statvfs(dir, &sv) == 0);
    avail = (uint64_t)sv.f_bavail * sv.f_frsize;
    if (avail <= SKV_SPOOL_MAX) {   /* what is free, but not its 64 MiB spare */
        CU_ASSERT_EQUAL(skv_spool_begin(&w, dir, avail, 0, err, sizeof err), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "does not fit"));
    }
    CU_ASSERT_FALSE(exists(dir, 0));   /* refused before any file exists */
    CU_ASSERT_FATAL(skv_spool_begin(&w, dir, sizeof data, 0, err, sizeof err) == 0);
    CU_ASSERT_TRUE(exists(dir, 0));
    CU_ASSERT_EQUAL(skv_spool_write(&w, data, 600, err, sizeof err), 0);
    CU_ASSERT_EQUAL(skv_spool_finish(&w, &m, err, sizeof err), -1);   /* short */
    CU_ASSERT_EQUAL(skv_spool_write(&w, data + 600, 401, err, sizeof err), -1);   /* past */
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "past the announced"));
    CU_ASSERT_EQUAL(skv_spool_write(&w, data + 600, 400, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(skv_spool_finish(&w, &m, err, sizeof err), 0);
    CU_ASSERT_EQUAL(m.total, sizeof data);
    m2 = m;
    m2.token[0] ^= 1;   /* another transfer's reference */
    CU_ASSERT_EQUAL(skv_spool_commit(dir, &m2, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not the snapshot expected"));
    CU_ASSERT_EQUAL_FATAL(skv_spool_commit(dir, &m, err, sizeof err), 0);
    CU_ASSERT_FALSE(exists(dir, 0));
    CU_ASSERT_TRUE(exists(dir, 1));
    CU_ASSERT_EQUAL_FATAL(skv_spool_open(&r, dir, &m, err, sizeof err), 0);
    CU_ASSERT_EQUAL(skv_spool_read(&r, 0, back, sizeof back, err, sizeof err), 0);
    CU_ASSERT_EQUAL(memcmp(back, data, sizeof data), 0);
    CU_ASSERT_EQUAL(skv_spool_read(&r, 1, back, sizeof back, err, sizeof err), -1);
    skv_spool_close(&r);
    CU_ASSERT_EQUAL(skv_spool_open(&r, dir, &m2, err, sizeof err), -1);
    /* a transfer aborted leaves nothing; remove takes the complete one */
    CU_ASSERT_FATAL(skv_spool_begin(&w2, dir, 10, 0, err, sizeof err) == 0);
    skv_spool_abort(&w2);
    /* an open total (sized while sent): no up-front refusal even where
     * the bound does not fit; each write is checked (cap, free space);
     * the size is what was written */
    CU_ASSERT_FATAL(skv_spool_begin(&w2, dir, SKV_SPOOL_MAX, 1, err, sizeof err) == 0);
    CU_ASSERT_EQUAL(skv_spool_write(&w2, data, 700, err, sizeof err), 0);
    CU_ASSERT_EQUAL(skv_spool_write(&w2, data + 700, 300, err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(skv_spool_finish(&w2, &m2, err, sizeof err), 0);
    CU_ASSERT_EQUAL(m2.total, sizeof data);
    skv_spool_remove(dir, 0);
    CU_ASSERT_FATAL(skv_spool_begin(&w2, dir, SKV_SPOOL_MAX + 1000, 1, err, sizeof err) == 0);
    w2.got = SKV_SPOOL_MAX - 10;   /* as if that much had come: 20 more pass the cap */
    CU_ASSERT_EQUAL(skv_spool_write(&w2, data, 20, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "passes the cap"));
    skv_spool_abort(&w2);
    CU_ASSERT_FALSE(exists(dir, 0));
    skv_spool_remove(dir, 1);
    CU_ASSERT_FALSE(exists(dir, 1));
    skv_test_rmtree(dir);
    free(dir);
}

/* ---- the record reader over hostile bytes ------------------------------ */

struct mem_src {
    const uint8_t *p;
    size_t len;
};

static int mem_read(void *arg, uint64_t off, void *buf, size_t n, char *err, size_t errlen)
{
    struct mem_src *m = arg;
    if (off > m->len || n > m->len - off) {
        snprintf(err, errlen, "read past the end");
        return -1;
    }
    memcpy(buf, m->p + off, n);
    return 0;
}

/* Records of p[0..len) from offset 0: their count, or -1 (err set). */
static int read_all(const uint8_t *p, size_t len, char *err, size_t errlen)
{
    struct mem_src m = {p, len};
    struct skv_snap_rd rd;
    struct skv_snap_rec r;
    int rc, n = 0;
    skv_snap_rd_init(&rd, mem_read, &m, len, 0);
    while ((rc = skv_snap_rd_next(&rd, &r, err, errlen)) == 1)
        n++;
    skv_snap_rd_free(&rd);
    return rc < 0 ? -1 : n;
}

static void test_reader_hostile(void)
{
    struct skv_buf b = {0};
    uint8_t key[3] = {SKV_PFX_FSM_DATA, 'a', 'b'}, *big = calloc(1, 3u << 20);
    char err[256];
    size_t i;
    CU_ASSERT_FATAL(big != NULL);
    for (i = 0; i < 5; i++)
        CU_ASSERT_FATAL(skv_sbuf_record(&b, key, sizeof key, "v", 1) == 0);
    /* a record three times the window: read whole */
    CU_ASSERT_FATAL(skv_sbuf_record(&b, key, sizeof key, big, 3u << 20) == 0);
    CU_ASSERT_FATAL(skv_sbuf_record(&b, enc_rec_key, sizeof enc_rec_key, "e", 1) == 0);
    CU_ASSERT_EQUAL(read_all(b.p, b.len, err, sizeof err), 7);
    CU_ASSERT_EQUAL(read_all(b.p, b.len - 1, err, sizeof err), -1);   /* truncated */
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "malformed"));
    CU_ASSERT_EQUAL(read_all(b.p, 5, err, sizeof err), -1);
    skv_put_be32(b.p, 0);   /* a zero-length key */
    CU_ASSERT_EQUAL(read_all(b.p, b.len, err, sizeof err), -1);
    skv_put_be32(b.p, 0xffffffffu);   /* a key past the end */
    CU_ASSERT_EQUAL(read_all(b.p, b.len, err, sizeof err), -1);
    skv_put_be32(b.p, 3);
    skv_put_be32(b.p + 7, SKV_SNAP_REC_MAX);   /* a value over the cap */
    CU_ASSERT_EQUAL(read_all(b.p, b.len, err, sizeof err), -1);
    skv_put_be32(b.p + 7, 1);
    b.p[4] = SKV_PFX_RAFT_LOG;   /* not an FSM prefix */
    CU_ASSERT_EQUAL(read_all(b.p, b.len, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "is not the FSM's"));
    b.p[4] = SKV_PFX_FSM_DATA;
    CU_ASSERT_EQUAL(read_all(b.p, b.len, err, sizeof err), 7);
    CU_ASSERT_EQUAL(read_all(b.p, 0, err, sizeof err), 0);
    raft_free(b.p);
    free(big);
}

/* ---- restoring a spooled snapshot -------------------------------------- */

static int has_key(struct sx *s, uint8_t pfx, const char *k)
{
    uint8_t key[64];
    void *val = NULL;
    size_t vl, kl = strlen(k);
    struct skv_err e = {0, ""};
    int rc;
    key[0] = pfx;
    memcpy(key + 1, k, kl);
    rc = s->n->st->get(s->n->db, NULL, key, kl + 1, &val, &vl, &e);
    s->n->st->free_buf(s->n->db, val);
    return rc == SKV_OK;
}

/* Spool `full` into s's data_dir as a received transfer, committed. */
static void spool_into(struct sx *s, const struct skv_buf *full, struct skv_spool_meta *m)
{
    struct skv_spool_w w;
    char err[512];
    size_t off;
    skv_spool_w_init(&w);
    CU_ASSERT_FATAL(skv_spool_begin(&w, s->dir, full->len, 0, err, sizeof err) == 0);
    for (off = 0; off < full->len; off += 100000) {
        size_t n = full->len - off < 100000 ? full->len - off : 100000;
        CU_ASSERT_FATAL(skv_spool_write(&w, full->p + off, n, err, sizeof err) == 0);
    }
    CU_ASSERT_FATAL(skv_spool_finish(&w, m, err, sizeof err) == 0);
    CU_ASSERT_FATAL(skv_spool_commit(s->dir, m, err, sizeof err) == 0);
}

static int restore_ref(struct sx *s, const struct skv_buf *full, const struct skv_spool_meta *m)
{
    struct raft_buffer ref;
    char err[256];
    int rc;
    CU_ASSERT_FATAL(skv_fsm_spool_ref(full->p, full->len < 64 ? full->len : 64, m, &ref, err,
                                      sizeof err) == 0);
    rc = skv_fsm_restore(&s->n->fsm.raft_fsm, &ref);
    if (rc != 0)
        raft_free(ref.base);   /* freed by the restore only on success */
    return rc;
}

static void flip(struct sx *s, uint64_t at)
{
    char p[4096];
    uint8_t c;
    int fd;
    CU_ASSERT_FATAL(skv_spool_path(p, sizeof p, s->dir, 1) == 0);
    CU_ASSERT_FATAL((fd = open(p, O_RDWR)) >= 0);
    CU_ASSERT_FATAL(pread(fd, &c, 1, (off_t)(SKV_SPOOL_HDR + at)) == 1);
    c ^= 0x40;
    CU_ASSERT_FATAL(pwrite(fd, &c, 1, (off_t)(SKV_SPOOL_HDR + at)) == 1);
    close(fd);
}

static void test_restore_spooled(void)
{
    struct sx *src = sx_open(), *dst = sx_open();
    struct skv_buf none = {0}, want = {0}, got = {0};
    struct skv_spool_meta m;
    uint8_t *big = malloc(BIG_VAL);
    CU_ASSERT_FATAL(big != NULL);
    fill_source(src, big);
    expected_full(src, 0, &none, &want);   /* v1: before the cutover, no encryption */
    put(dst, SKV_PFX_FSM_DATA, "old1", "gone", 4);
    put(dst, SKV_PFX_FSM_DATA, "key005", "stale", 5);
    put(dst, SKV_PFX_NODE, "keepme", "x", 1);
    spool_into(dst, &want, &m);
    flip(dst, want.len / 2);   /* one byte wrong: refused before any write */
    CU_ASSERT_EQUAL(restore_ref(dst, &want, &m), RAFT_CORRUPT);
    CU_ASSERT_TRUE(has_key(dst, SKV_PFX_FSM_DATA, "old1"));
    CU_ASSERT_EQUAL(dst->n->fsm.applied, 0);
    flip(dst, want.len / 2);
    CU_ASSERT_EQUAL_FATAL(restore_ref(dst, &want, &m), 0);
    CU_ASSERT_EQUAL(dst->n->fsm.applied, INDEX);
    CU_ASSERT_FALSE(has_key(dst, SKV_PFX_FSM_DATA, "old1"));
    CU_ASSERT_TRUE(has_key(dst, SKV_PFX_NODE, "keepme"));
    CU_ASSERT_FALSE(exists(dst->dir, 1));   /* the spool file is gone */
    expected_full(dst, 0, &none, &got);
    CU_ASSERT(got.len == want.len && memcmp(got.p, want.p, want.len) == 0);
    /* stored again at the next start: restored already, a no-op */
    CU_ASSERT_EQUAL(restore_ref(dst, &want, &m), 0);
    raft_free(want.p);
    raft_free(got.p);
    free(big);
    sx_free(src);
    sx_free(dst);
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("snap_stream", NULL, NULL);
    CU_add_test(s, "iterator: the full form in pieces of any size", test_iter_pieces);
    CU_add_test(s, "iterator: refusals", test_iter_refusals);
    CU_add_test(s, "spool file", test_spool_file);
    CU_add_test(s, "record reader over hostile bytes", test_reader_hostile);
    CU_add_test(s, "restore of a spooled snapshot", test_restore_spooled);
    return skv_test_run();
}
