/* SPDX-License-Identifier: MIT */
/*
 * test_writers.c — the writer registry (core/cmd/writers*.c) over the real
 * storage-leveldb plugin loaded through the core loader: the 0x03 payload
 * codec (round trip, every truncation), and each apply-time rule, alone,
 * across batches and within one batch.
 */
#include "skv_test.h"

#include <raft.h>

#include "cmd/command.h"
#include "util/keys.h"
#include "plugin/loader.h"
#include "cmd/writers.h"

static struct skv_plugin_inst *g_inst;
static const struct skv_storage_ops *g_st;
static char *g_dir;
static void *g_db;
static int g_seq;

static int suite_init(void)
{
    struct skv_conf_plugin c;
    struct skv_err err = {0};
    int rc;
    memset(&c, 0, sizeof c);
    c.name = strdup("leveldb");
    rc = skv_plugin_load(SKV_KIND_STORAGE, &c, "test.yaml", NULL, 0, NULL,
                         &g_inst, &err);
    free(c.name);
    if (rc != SKV_OK) {
        fprintf(stderr, "load leveldb plugin: %s\n", err.msg);
        return -1;
    }
    g_st = skv_plugin_ops(g_inst);
    return (g_dir = skv_test_tmpdir("writers")) ? 0 : -1;
}

static int suite_clean(void)
{
    skv_plugin_unload(g_inst);
    skv_test_rmtree(g_dir);
    free(g_dir);
    return 0;
}

/* A fresh, empty store for each test. */
static void db_open(void)
{
    char path[600];
    struct skv_err err = {0};
    snprintf(path, sizeof path, "%s/db%d", g_dir, g_seq++);
    CU_ASSERT_EQUAL_FATAL(g_st->open(skv_plugin_state(g_inst), path, &g_db, &err),
                          SKV_OK);
}

static void db_close(void)
{
    g_st->close(g_db);
    g_db = NULL;
}

/* check_and_stage, then write the ops (as the FSM would). */
static int apply(const struct skv_writer_reg *e, size_t n, const char **reject)
{
    struct skv_writers_stage st;
    struct skv_err err = {0};
    int rc = skv_writers_check_and_stage(g_st, g_db, e, n, &st, reject, &err);
    if (rc != SKV_OK) {
        CU_ASSERT_EQUAL(st.n_ops, 0);
        CU_ASSERT_PTR_NULL(st.ops);
        return rc;
    }
    CU_ASSERT_PTR_NULL(*reject);
    if (st.n_ops) /* an equal-epoch retry stages nothing */
        CU_ASSERT_EQUAL_FATAL(g_st->write(g_db, st.ops, st.n_ops, 1, &err), SKV_OK);
    skv_writers_stage_free(&st);
    return rc;
}

static uint32_t epoch_of(uint32_t key_id, uint64_t node_id)
{
    struct skv_err err = {0};
    uint64_t id = 0;
    uint32_t ep = 0;
    int rc = skv_writers_get(g_st, g_db, key_id, skv_node_id16(node_id), &id,
                             &ep, &err);
    if (rc == SKV_ERR_NOTFOUND)
        return UINT32_MAX;
    CU_ASSERT_EQUAL(rc, SKV_OK);
    CU_ASSERT_EQUAL(id, node_id);
    return ep;
}

/* ---- codec ---------------------------------------------------------------- */

static const struct skv_writer_reg sample[] = {
    {0x12345678u, 1, 1},
    {0xFFFFFFFFu, 0xFEDCBA9876543210ull, 0xFFFFFFFFu},
    {7, 3, 0},
};

static void test_codec_round_trip(void)
{
    void *buf = NULL;
    size_t len = 0, n = 0, i;
    struct skv_writer_reg *got = NULL;
    struct skv_err err = {0};
    const uint8_t *p;
    CU_ASSERT_EQUAL_FATAL(skv_writers_encode_reg(sample, 3, &buf, &len), SKV_OK);
    p = buf;
    CU_ASSERT_EQUAL(len, 5 + 3 * 16);
    CU_ASSERT_EQUAL(p[0], SKV_CMD_WRITER_REG);
    CU_ASSERT_EQUAL(p[4], 3);                    /* count BE */
    CU_ASSERT_EQUAL(p[5], 0x12);                 /* key_id BE */
    CU_ASSERT_EQUAL(p[5 + 16 + 4], 0xFE);        /* node_id BE */
    CU_ASSERT_EQUAL(p[5 + 15], 1);               /* epoch BE, low byte */
    CU_ASSERT_EQUAL_FATAL(skv_writers_decode_reg(buf, len, &got, &n, &err), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    for (i = 0; i < n; i++) {
        CU_ASSERT_EQUAL(got[i].key_id, sample[i].key_id);
        CU_ASSERT_EQUAL(got[i].node_id, sample[i].node_id);
        CU_ASSERT_EQUAL(got[i].local_epoch, sample[i].local_epoch);
    }
    free(got);
    raft_free(buf);
    CU_ASSERT_EQUAL(skv_writers_encode_reg(sample, 0, &buf, &len), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(skv_writers_encode_reg(sample, SKV_WRITERS_MAX_BATCH + 1, &buf, &len),
                    SKV_ERR_INVALID);
}

static void test_codec_rejects(void)
{
    uint8_t *buf, *big;
    void *vb = NULL;
    size_t len = 0, n = 9, cut;
    struct skv_writer_reg *got = NULL;
    struct skv_err err = {0};
    CU_ASSERT_EQUAL_FATAL(skv_writers_encode_reg(sample, 3, &vb, &len), SKV_OK);
    buf = vb;
    for (cut = 0; cut < len; cut++) {
        CU_ASSERT_EQUAL(skv_writers_decode_reg(buf, cut, &got, &n, &err), SKV_ERR_INVALID);
        CU_ASSERT_PTR_NULL(got);
        CU_ASSERT_EQUAL(n, 0);
    }
    big = malloc(len + 1);       /* one trailing byte */
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memcpy(big, buf, len);
    big[len] = 0;
    CU_ASSERT_EQUAL(skv_writers_decode_reg(big, len + 1, &got, &n, &err), SKV_ERR_INVALID);
    big[0] = SKV_CMD_ENC_BOOTSTRAP; /* wrong tag */
    CU_ASSERT_EQUAL(skv_writers_decode_reg(big, len, &got, &n, &err), SKV_ERR_INVALID);
    big[0] = SKV_CMD_WRITER_REG;
    big[4] = 0;                     /* count 0 */
    CU_ASSERT_EQUAL(skv_writers_decode_reg(big, 5, &got, &n, &err), SKV_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "count 0"));
    big[4] = 2;                     /* count says 2, bytes say 3 */
    CU_ASSERT_EQUAL(skv_writers_decode_reg(big, len, &got, &n, &err), SKV_ERR_INVALID);
    big[1] = 0xFF;                  /* huge count: refused, nothing allocated */
    CU_ASSERT_EQUAL(skv_writers_decode_reg(big, len, &got, &n, &err), SKV_ERR_INVALID);
    CU_ASSERT_PTR_NULL(got);
    free(big);
    raft_free(buf);
}

/* ---- rules ---------------------------------------------------------------- */

static void test_insert_and_reregister(void)
{
    struct skv_writer_reg r = {42, 5, 1};
    struct skv_writers_stage st;
    struct skv_err err = {0};
    const char *rej = NULL;
    db_open();
    CU_ASSERT_EQUAL(epoch_of(42, 5), UINT32_MAX);
    CU_ASSERT_EQUAL(apply(&r, 1, &rej), SKV_OK);
    CU_ASSERT_EQUAL(epoch_of(42, 5), 1);
    /* equal epoch: a retried registration, accepted with nothing to write */
    CU_ASSERT_EQUAL_FATAL(skv_writers_check_and_stage(g_st, g_db, &r, 1, &st, &rej, &err),
                          SKV_OK);
    CU_ASSERT_EQUAL(st.n_ops, 0);
    skv_writers_stage_free(&st);
    CU_ASSERT_EQUAL(apply(&r, 1, &rej), SKV_OK);
    CU_ASSERT_PTR_NULL(rej);
    CU_ASSERT_EQUAL(epoch_of(42, 5), 1);
    r.local_epoch = 9;
    CU_ASSERT_EQUAL(apply(&r, 1, &rej), SKV_OK);
    CU_ASSERT_EQUAL(epoch_of(42, 5), 9);
    /* lower epoch: rollback, registry unchanged */
    r.local_epoch = 8;
    CU_ASSERT_EQUAL(apply(&r, 1, &rej), SKV_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(rej, "ErrLocalEpochRollback");
    CU_ASSERT_EQUAL(epoch_of(42, 5), 9);
    /* the same node under another DEK is a separate slot */
    r.key_id = 43;
    r.local_epoch = 1;
    CU_ASSERT_EQUAL(apply(&r, 1, &rej), SKV_OK);
    CU_ASSERT_EQUAL(epoch_of(43, 5), 1);
    db_close();
}

static void test_epoch_limits(void)
{
    struct skv_writer_reg r = {42, 5, 0x10000};
    struct skv_writers_stage st;
    struct skv_err err = {0};
    const char *rej = NULL;
    db_open();
    CU_ASSERT_EQUAL(skv_writers_check_and_stage(g_st, g_db, &r, 1, &st, &rej, &err),
                    SKV_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(rej, "ErrLocalEpochOutOfRange");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "ErrLocalEpochOutOfRange"));
    r.local_epoch = 0xFFFFFFFFu;
    CU_ASSERT_EQUAL(apply(&r, 1, &rej), SKV_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(rej, "ErrLocalEpochOutOfRange");
    r.local_epoch = 0xFFFF;
    CU_ASSERT_EQUAL(apply(&r, 1, &rej), SKV_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(rej, "ErrLocalEpochExhausted");
    CU_ASSERT_EQUAL(epoch_of(42, 5), UINT32_MAX);
    r.local_epoch = 0xFFFE;                        /* the last usable epoch */
    CU_ASSERT_EQUAL(apply(&r, 1, &rej), SKV_OK);
    CU_ASSERT_EQUAL(epoch_of(42, 5), 0xFFFE);
    r.key_id = 0;
    CU_ASSERT_EQUAL(apply(&r, 1, &rej), SKV_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(rej, "ErrInvalidRegistration");
    r.key_id = 42;
    r.node_id = 0;
    CU_ASSERT_EQUAL(apply(&r, 1, &rej), SKV_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(rej, "ErrInvalidRegistration");
    CU_ASSERT_EQUAL(apply(&r, 0, &rej), SKV_ERR_INVALID);
    db_close();
}

/* 1 and 2^32 fold to the same node_id16 (words 0,0,0,1 vs 0,1,0,0). */
static void test_collision(void)
{
    const uint64_t a = 1, b = 1ull << 32, c = 0x0000000000030002ull;
    struct skv_writer_reg r = {42, a, 1};
    const char *rej = NULL;
    CU_ASSERT_EQUAL_FATAL(skv_node_id16(a), 1);
    CU_ASSERT_EQUAL_FATAL(skv_node_id16(b), 1);
    CU_ASSERT_EQUAL_FATAL(skv_node_id16(c), 1);  /* 3 ^ 2 */
    CU_ASSERT_NOT_EQUAL(skv_node_id16(2), 1);
    db_open();
    CU_ASSERT_EQUAL(apply(&r, 1, &rej), SKV_OK);
    r.node_id = b;
    r.local_epoch = 50;  /* even with a higher epoch */
    CU_ASSERT_EQUAL(apply(&r, 1, &rej), SKV_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(rej, "ErrNodeIDCollision");
    r.node_id = c;
    CU_ASSERT_EQUAL(apply(&r, 1, &rej), SKV_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(rej, "ErrNodeIDCollision");
    CU_ASSERT_EQUAL(epoch_of(42, a), 1);         /* holder unchanged */
    /* under another DEK the slot is free */
    r.key_id = 43;
    r.node_id = b;
    CU_ASSERT_EQUAL(apply(&r, 1, &rej), SKV_OK);
    CU_ASSERT_EQUAL(epoch_of(43, b), 50);
    db_close();
}

static void test_batch_duplicates(void)
{
    const struct skv_writer_reg up[] = {{42, 5, 1}, {42, 5, 2}, {42, 5, 7}};
    const struct skv_writer_reg same[] = {{42, 6, 3}, {42, 6, 3}};
    const struct skv_writer_reg coll[] = {{42, 1, 3}, {42, 1ull << 32, 4}};
    struct skv_writers_stage st;
    struct skv_err err = {0};
    const char *rej = NULL;
    db_open();
    /* increasing epochs in one batch: one op carrying the last */
    CU_ASSERT_EQUAL_FATAL(skv_writers_check_and_stage(g_st, g_db, up, 3, &st, &rej,
                                                      &err), SKV_OK);
    CU_ASSERT_EQUAL(st.n_ops, 1);
    CU_ASSERT_EQUAL(st.ops[0].type, SKV_BATCH_PUT);
    CU_ASSERT_EQUAL(st.ops[0].key_len, SKV_WRITERS_KEY_LEN);
    CU_ASSERT_EQUAL(((const uint8_t *)st.ops[0].key)[0], SKV_PFX_WRITERS);
    CU_ASSERT_EQUAL(((const uint8_t *)st.ops[0].val)[11], 7);
    CU_ASSERT_EQUAL(g_st->write(g_db, st.ops, st.n_ops, 1, &err), SKV_OK);
    skv_writers_stage_free(&st);
    CU_ASSERT_EQUAL(epoch_of(42, 5), 7);
    /* the same registration twice: the second needs no write (one op) */
    CU_ASSERT_EQUAL_FATAL(skv_writers_check_and_stage(g_st, g_db, same, 2, &st, &rej,
                                                      &err), SKV_OK);
    CU_ASSERT_EQUAL(st.n_ops, 1);
    skv_writers_stage_free(&st);
    CU_ASSERT_EQUAL(apply(same, 2, &rej), SKV_OK);
    CU_ASSERT_EQUAL(epoch_of(42, 6), 3);
    /* two colliding ids in one batch */
    CU_ASSERT_EQUAL(apply(coll, 2, &rej), SKV_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(rej, "ErrNodeIDCollision");
    CU_ASSERT_EQUAL(epoch_of(42, 1), UINT32_MAX);
    db_close();
}

/* A rollback in the middle rejects the whole batch: no ops, no writes. */
static void test_batch_all_or_nothing(void)
{
    const struct skv_writer_reg first = {42, 5, 4};
    const struct skv_writer_reg batch[] = {{42, 7, 1}, {42, 5, 3}, {43, 9, 1}};
    struct skv_writers_stage st;
    struct skv_err err = {0};
    const char *rej = NULL;
    db_open();
    CU_ASSERT_EQUAL(apply(&first, 1, &rej), SKV_OK);
    memset(&st, 0xA5, sizeof st);
    CU_ASSERT_EQUAL(skv_writers_check_and_stage(g_st, g_db, batch, 3, &st, &rej, &err),
                    SKV_ERR_INVALID);
    CU_ASSERT_STRING_EQUAL(rej, "ErrLocalEpochRollback");
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "entry 1"));
    CU_ASSERT_EQUAL(st.n_ops, 0);
    CU_ASSERT_PTR_NULL(st.ops);
    CU_ASSERT_PTR_NULL(st.recs);
    CU_ASSERT_EQUAL(epoch_of(42, 7), UINT32_MAX);
    CU_ASSERT_EQUAL(epoch_of(43, 9), UINT32_MAX);
    CU_ASSERT_EQUAL(epoch_of(42, 5), 4);
    db_close();
}

/* A malformed stored record is a local error (halt), not a rejection. */
static void test_corrupt_record(void)
{
    uint8_t key[SKV_WRITERS_KEY_LEN];
    const uint8_t junk[3] = {1, 2, 3};
    struct skv_batch_op op = {SKV_BATCH_PUT, 0, key, sizeof key, junk, sizeof junk};
    struct skv_writer_reg r = {42, 5, 9};
    struct skv_writers_stage st;
    struct skv_err err = {0};
    const char *rej = "unset";
    db_open();
    skv_writers_key(42, skv_node_id16(5), key);
    CU_ASSERT_EQUAL_FATAL(g_st->write(g_db, &op, 1, 1, &err), SKV_OK);
    CU_ASSERT_EQUAL(skv_writers_check_and_stage(g_st, g_db, &r, 1, &st, &rej, &err),
                    SKV_ERR_CORRUPT);
    CU_ASSERT_PTR_NULL(rej);
    CU_ASSERT_EQUAL(st.n_ops, 0);
    db_close();
}

/* Proposal bytes → decode → rules → batch, as the FSM will run it. */
static void test_payload_to_batch(void)
{
    const struct skv_writer_reg regs[] = {{100, 1, 1}, {100, 2, 1}, {200, 1, 1}};
    struct skv_writer_reg *got = NULL;
    struct skv_writers_stage st;
    struct skv_err err = {0};
    const char *rej = NULL;
    void *buf = NULL;
    size_t len = 0, n = 0;
    db_open();
    CU_ASSERT_EQUAL_FATAL(skv_writers_encode_reg(regs, 3, &buf, &len), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(skv_writers_decode_reg(buf, len, &got, &n, &err), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(skv_writers_check_and_stage(g_st, g_db, got, n, &st, &rej,
                                                      &err), SKV_OK);
    CU_ASSERT_EQUAL(st.n_ops, 3);
    CU_ASSERT_EQUAL(g_st->write(g_db, st.ops, st.n_ops, 1, &err), SKV_OK);
    skv_writers_stage_free(&st);
    CU_ASSERT_EQUAL(epoch_of(100, 1), 1);
    CU_ASSERT_EQUAL(epoch_of(100, 2), 1);
    CU_ASSERT_EQUAL(epoch_of(200, 1), 1);
    free(got);
    raft_free(buf);
    db_close();
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("writers", suite_init, suite_clean);
    CU_add_test(s, "codec round trip", test_codec_round_trip);
    CU_add_test(s, "codec rejects truncation and bad counts", test_codec_rejects);
    CU_add_test(s, "insert and re-register", test_insert_and_reregister);
    CU_add_test(s, "epoch limits and zero ids", test_epoch_limits);
    CU_add_test(s, "node_id16 collision", test_collision);
    CU_add_test(s, "duplicates within a batch", test_batch_duplicates);
    CU_add_test(s, "batch is all or nothing", test_batch_all_or_nothing);
    CU_add_test(s, "corrupt stored record", test_corrupt_record);
    CU_add_test(s, "payload to batch", test_payload_to_batch);
    return skv_test_run();
}
