/* SPDX-License-Identifier: MIT */
/*
 * test_backup_file.c — the backup producer and file format (issue 16 item
 * 7): the piecewise stream (fsm/snap_stream.h) makes exactly the bytes of
 * skv_snap_expand whatever the piece size, over the real storage-leveldb
 * plugin, and only the FSM prefixes; a file made of head, stream and
 * trailer parses (fsm/backup_file.h), and each kind of damage is refused
 * with its own message.
 */
#include "skv_test.h"

#include <sealkv/storage.h>

#include "fsm/backup_file.h"
#include "fsm/snap_hdr.h"
#include "fsm/snap_stream.h"
#include "fsm/snap_view.h"
#include "plugin/loader.h"
#include "util/bytes.h"
#include "util/keys.h"

#include <sodium.h>

struct fx {
    struct skv_plugin_inst *inst;
    const struct skv_storage_ops *ops;
    char *dir;
    void *db, *view;
};

static int fx_open(struct fx *f)
{
    struct skv_conf_plugin c;
    struct skv_err err = {0, ""};
    char path[600];
    memset(f, 0, sizeof *f);
    memset(&c, 0, sizeof c);
    c.name = (char *)"leveldb";
    if (skv_plugin_load(SKV_KIND_STORAGE, &c, "test.yaml", NULL, 0, NULL, &f->inst, &err) !=
            SKV_OK ||
        !(f->dir = skv_test_tmpdir("backup"))) {
        fprintf(stderr, "load: %s\n", err.msg);
        return -1;
    }
    f->ops = skv_plugin_ops(f->inst);
    snprintf(path, sizeof path, "%s/db", f->dir);
    return f->ops->open(skv_plugin_state(f->inst), path, &f->db, &err) == SKV_OK ? 0 : -1;
}

static void fx_close(struct fx *f)
{
    if (f->view)
        f->ops->view_release(f->db, f->view);
    if (f->db)
        f->ops->close(f->db);
    skv_plugin_unload(f->inst);
    skv_test_rmtree(f->dir);
    free(f->dir);
}

static void put(struct fx *f, uint8_t pfx, unsigned i, size_t vlen)
{
    uint8_t k[16], *v = malloc(vlen ? vlen : 1);
    struct skv_batch_op op;
    struct skv_err err = {0, ""};
    k[0] = pfx;
    skv_put_be32(k + 1, i);
    memset(v, (int)(i & 0xff), vlen);
    memset(&op, 0, sizeof op);
    op.type = SKV_BATCH_PUT;
    op.key = k;
    op.key_len = 5;
    op.val = v;
    op.val_len = vlen;
    CU_ASSERT_EQUAL(f->ops->write(f->db, &op, 1, 0, &err), SKV_OK);
    free(v);
}

/* A store with values, revision records and writer records, plus keys
 * under prefixes a snapshot must not carry (the Raft log, node marks). */
static void fill(struct fx *f)
{
    unsigned i;
    for (i = 0; i < 300; i++)
        put(f, SKV_PFX_FSM_DATA, i, (i * 37) % 700);
    for (i = 0; i < 50; i++)
        put(f, SKV_PFX_FSM_REV, i, 16);
    for (i = 0; i < 3; i++)
        put(f, SKV_PFX_WRITERS, i, 24);
    for (i = 0; i < 20; i++)
        put(f, SKV_PFX_RAFT_LOG, i, 100);
}

static const uint8_t enc_rec[] = {0, 0, 0, 4, SKV_PFX_ENC_SNAP, 'e', 'n', 'c',
                                  0, 0, 0, 3, 'x', 'y', 'z'};

static void expand(struct fx *f, struct raft_buffer *full)
{
    struct skv_snap_view v = {f->view, 77, 1, 1, NULL};
    uint8_t local[SKV_SNAP_HDR_MAX + sizeof enc_rec];
    struct raft_buffer stored;
    char err[200];
    size_t n = skv_snap_hdr_write_local(local, 9, 77);
    memcpy(local + n, enc_rec, sizeof enc_rec);
    stored.base = local;
    stored.len = n + sizeof enc_rec;
    CU_ASSERT_EQUAL_FATAL(skv_snap_expand(f->ops, f->db, &v, &stored, full, err, sizeof err), 0);
}

static void stream_all(struct fx *f, size_t want, struct skv_buf *out)
{
    struct skv_snap_stream *s = NULL;
    char err[200];
    int rc, calls = 0;
    CU_ASSERT_EQUAL_FATAL(skv_snap_stream_open(&s, f->ops, f->db, f->view, 9, 77, enc_rec,
                                               sizeof enc_rec, err, sizeof err), 0);
    do {
        size_t before = out->len;
        rc = skv_snap_stream_next(s, out, want, err, sizeof err);
        CU_ASSERT(rc >= 0);
        if (rc == 1)   /* a piece holds at least `want` bytes unless it ends the form */
            CU_ASSERT(out->len - before >= want);
        calls++;
    } while (rc == 1 && calls < 1000000);
    CU_ASSERT_EQUAL(rc, 0);
    skv_snap_stream_close(s);
}

static void test_stream_equals_expand(void)
{
    static const size_t wants[] = {1, 7, 100, 4096, 1u << 20};
    struct fx f;
    struct raft_buffer full;
    struct skv_err err = {0, ""};
    size_t i;
    CU_ASSERT_FATAL(fx_open(&f) == 0);
    fill(&f);
    CU_ASSERT_EQUAL_FATAL(f.ops->view_new(f.db, &f.view, &err), SKV_OK);
    put(&f, SKV_PFX_FSM_DATA, 999, 10);   /* after the view: in neither */
    expand(&f, &full);
    for (i = 0; i < sizeof wants / sizeof wants[0]; i++) {
        struct skv_buf b = {NULL, 0, 0};
        stream_all(&f, wants[i], &b);
        CU_ASSERT_EQUAL(b.len, full.len);
        CU_ASSERT(b.len == full.len && memcmp(b.p, full.base, b.len) == 0);
        skv_buf_free(&b);
    }
    raft_free(full.base);
    fx_close(&f);
}

/* ---- the file ------------------------------------------------------------ */

static const char *manifest_ok =
    "{\"format\":1,\"node_id\":2,\"index\":77,\"term\":3,\"cutover\":9,\"created_ms\":1,"
    "\"storage_envelope_active\":true,\"keys\":[{\"key_id\":5,\"purpose\":\"storage\","
    "\"kek_id\":\"00112233445566778899aabbccddeeff\",\"suite\":\"aes-256-gcm\"}]}";

/* head(manifest) + snap + a trailer with a correct checksum */
static void make_file(struct skv_buf *out, const char *manifest, const uint8_t *snap,
                      size_t snap_len)
{
    uint8_t h[SKV_BACKUP_HASH_LEN], t[SKV_BACKUP_TRAILER_LEN];
    out->len = 0;
    CU_ASSERT_EQUAL_FATAL(skv_backup_head(out, manifest), 0);
    CU_ASSERT_EQUAL_FATAL(skv_buf_append(out, snap, snap_len), 0);
    crypto_generichash(h, sizeof h, out->p, out->len, NULL, 0);
    skv_backup_trailer(t, snap_len, h);
    CU_ASSERT_EQUAL_FATAL(skv_buf_append(out, t, sizeof t), 0);
}

static int refused(const struct skv_buf *b, const char *why)
{
    struct skv_backup_info *in = calloc(1, sizeof *in);
    char err[300] = "";
    int rc = skv_backup_parse(b->p, b->len, in, err, sizeof err);
    free(in);
    if (rc == 0 || !strstr(err, why)) {
        fprintf(stderr, "expected a refusal with '%s', got rc %d '%s'\n", why, rc, err);
        return 0;
    }
    return 1;
}

static void test_file_round_trip_and_refusals(void)
{
    struct fx f;
    struct skv_err err = {0, ""};
    struct skv_buf snap = {NULL, 0, 0}, file = {NULL, 0, 0}, other = {NULL, 0, 0};
    struct skv_backup_info *in = calloc(1, sizeof *in);
    uint8_t local[SKV_SNAP_HDR_MAX];
    char msg[300];
    CU_ASSERT_FATAL(fx_open(&f) == 0 && in != NULL);
    fill(&f);
    CU_ASSERT_EQUAL_FATAL(f.ops->view_new(f.db, &f.view, &err), SKV_OK);
    stream_all(&f, 4096, &snap);
    make_file(&file, manifest_ok, snap.p, snap.len);
    CU_ASSERT_EQUAL(skv_backup_parse(file.p, file.len, in, msg, sizeof msg), 0);
    CU_ASSERT_EQUAL(in->index, 77);
    CU_ASSERT_EQUAL(in->term, 3);
    CU_ASSERT_EQUAL(in->cutover, 9);
    CU_ASSERT_EQUAL(in->n_records, 353);   /* 300 values, 50 revisions, 3 writers */
    CU_ASSERT_EQUAL(in->has_enc, 1);
    CU_ASSERT_EQUAL(in->n_keys, 1);
    CU_ASSERT_EQUAL(in->keys[0].key_id, 5);
    CU_ASSERT_STRING_EQUAL(in->keys[0].kek_id, "00112233445566778899aabbccddeeff");

    /* damage: one flipped byte anywhere before the trailer, a cut */
    file.p[file.len / 2] ^= 1;
    CU_ASSERT(refused(&file, "checksum mismatch"));
    file.p[file.len / 2] ^= 1;
    file.len -= 10;
    CU_ASSERT(refused(&file, "trailer"));
    file.len += 10;
    memcpy(file.p, "SKVBKUP9", 8);
    CU_ASSERT(refused(&file, "not a sealkv backup"));
    /* well-framed files whose content disagrees */
    make_file(&other, "{\"format\":1,\"node_id\":2,\"index\":78,\"term\":3,\"cutover\":9,"
              "\"created_ms\":1,\"storage_envelope_active\":true,\"keys\":[]}",
              snap.p, snap.len);
    CU_ASSERT(refused(&other, "the manifest says 78"));
    make_file(&other, "{\"format\":2}", snap.p, snap.len);
    CU_ASSERT(refused(&other, "format must be 1"));
    make_file(&other, "[1,2]", snap.p, snap.len);
    CU_ASSERT(refused(&other, "not a JSON object"));
    make_file(&other, manifest_ok, snap.p, snap.len - sizeof enc_rec); /* no enc record */
    CU_ASSERT(refused(&other, "encryption records"));
    make_file(&other, manifest_ok, snap.p, snap.len - 3);   /* a record cut */
    CU_ASSERT(refused(&other, "malformed"));
    make_file(&other, manifest_ok, local, skv_snap_hdr_write_local(local, 9, 77));
    CU_ASSERT(refused(&other, "local snapshot"));
    skv_buf_free(&snap);
    skv_buf_free(&file);
    skv_buf_free(&other);
    free(in);
    fx_close(&f);
}

int main(void)
{
    CU_pSuite s;
    unsigned fails;
    if (sodium_init() < 0 || CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("backup_file", NULL, NULL);
    CU_add_test(s, "the stream makes skv_snap_expand's bytes, any piece size",
                test_stream_equals_expand);
    CU_add_test(s, "a file round trip; damage and disagreement refused",
                test_file_round_trip_and_refusals);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return fails ? 1 : 0;
}
