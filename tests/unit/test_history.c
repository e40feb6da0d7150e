/* SPDX-License-Identifier: MIT */
/*
 * test_history.c — the FSM's change history behind watch
 * (fsm_history.h): puts, deletes and batches recorded per index, refused
 * or non-KV entries advancing the index only, prefix matching, resuming
 * after any index, whole-index caps, the 410 horizon after a reset
 * (start-up, snapshot restore) and after dropping the oldest indexes.
 */
#include "fsm/fsm_history.h"
#include "cmd/command.h"
#include "util/bytes.h"

#include <CUnit/Basic.h>
#include <raft.h>
#include <stdlib.h>
#include <string.h>

static void put_cmd(struct skv_fsm_history *h, uint64_t idx, uint8_t op, const char *k,
                    const char *v)
{
    struct skv_kv_op o = {op, (const uint8_t *)k, strlen(k), (const uint8_t *)v,
                          v ? strlen(v) : 0};
    void *p = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(skv_cmd_encode_kv(&o, &p, &len), 0);
    skv_history_applied(h, idx, p, len);
    raft_free(p);
}

/* A 0x01 batch of two puts. */
static void batch_cmd(struct skv_fsm_history *h, uint64_t idx, const char *k1, const char *k2)
{
    uint8_t b[64], *q = b;
    const char *ks[2] = {k1, k2};
    *q++ = SKV_CMD_KV_BATCH;
    skv_put_be32(q, 2), q += 4;
    for (int i = 0; i < 2; i++) {
        *q++ = SKV_KV_PUT;
        skv_put_be32(q, (uint32_t)strlen(ks[i])), q += 4;
        memcpy(q, ks[i], strlen(ks[i])), q += strlen(ks[i]);
        skv_put_be32(q, 1), q += 4;
        *q++ = 'v';
    }
    skv_history_applied(h, idx, b, (size_t)(q - b));
}

static long collect(const struct skv_fsm_history *h, uint64_t from, const char *pfx,
                    size_t max, char *out, uint64_t *covered)
{
    struct skv_buf b = {0};
    long n = skv_history_collect(h, from, (const uint8_t *)pfx, strlen(pfx), max, 1u << 20,
                                 &b, covered);
    out[0] = 0;
    if (b.len) {
        memcpy(out, b.p, b.len < 4095 ? b.len : 4095);
        out[b.len < 4095 ? b.len : 4095] = 0;
    }
    skv_buf_free(&b);
    return n;
}

static void test_record_and_collect(void)
{
    struct skv_fsm_history h;
    char out[4096];
    uint64_t cov = 0;
    skv_history_init(&h);
    skv_history_reset(&h, 10);
    put_cmd(&h, 11, SKV_KV_PUT, "app/a", "1");
    skv_history_applied(&h, 12, (const uint8_t *)"\x02", 1); /* no-op: index only */
    put_cmd(&h, 13, SKV_KV_PUT, "other", "x");
    put_cmd(&h, 14, SKV_KV_DEL, "app/a", NULL);
    skv_history_applied(&h, 15, NULL, 0);                    /* refused entry */
    CU_ASSERT_EQUAL(h.n_events, 3);
    CU_ASSERT_EQUAL(collect(&h, 10, "app/", 100, out, &cov), 2);
    CU_ASSERT_EQUAL(cov, 15);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"index\":11,\"type\":\"put\",\"key\":\"YXBwL2E=\","
                                       "\"value\":\"MQ==\"}"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, ",{\"index\":14,\"type\":\"delete\",\"key\":\"YXBwL2E=\"}"));
    CU_ASSERT_EQUAL(collect(&h, 11, "app/", 100, out, &cov), 1); /* resume after 11 */
    CU_ASSERT_EQUAL(collect(&h, 14, "app/", 100, out, &cov), 0);
    CU_ASSERT_EQUAL(cov, 15);
    CU_ASSERT_EQUAL(collect(&h, 10, "", 100, out, &cov), 3);
    CU_ASSERT_TRUE(skv_history_has(&h, 11, (const uint8_t *)"app/", 4));
    CU_ASSERT_FALSE(skv_history_has(&h, 14, (const uint8_t *)"app/", 4));
    CU_ASSERT_FALSE(skv_history_has(&h, 10, (const uint8_t *)"zzz", 3));
    put_cmd(&h, 15, SKV_KV_PUT, "late", "x"); /* at or below last_index: ignored */
    CU_ASSERT_EQUAL(h.n_events, 3);
    skv_history_free(&h);
}

/* An applied compare-and-swap (0x06) is a change like a put or delete. */
static void test_cas_entry(void)
{
    struct skv_fsm_history h;
    struct skv_kv_op o = {SKV_KV_PUT, (const uint8_t *)"app/c", 5, (const uint8_t *)"2", 1};
    struct skv_kv_cond c = {SKV_COND_MOD, 11};
    char out[4096];
    uint64_t cov = 0;
    void *p = NULL;
    size_t len = 0;
    skv_history_init(&h);
    skv_history_reset(&h, 10);
    CU_ASSERT_EQUAL_FATAL(skv_cmd_encode_kv_cas(&o, &c, &p, &len), 0);
    skv_history_applied(&h, 12, p, len);
    raft_free(p);
    CU_ASSERT_EQUAL(h.n_events, 1);
    CU_ASSERT_EQUAL(collect(&h, 10, "app/", 100, out, &cov), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"index\":12,\"type\":\"put\",\"key\":\"YXBwL2M=\""));
    skv_history_free(&h);
}

static void test_whole_indexes(void)
{
    struct skv_fsm_history h;
    char out[4096];
    uint64_t cov = 0;
    skv_history_init(&h);
    skv_history_reset(&h, 0);
    put_cmd(&h, 1, SKV_KV_PUT, "a1", "x");
    batch_cmd(&h, 2, "a2", "a3");
    put_cmd(&h, 3, SKV_KV_PUT, "a4", "x");
    /* a cap of 2 lands inside index 2: the whole index comes, then stop */
    CU_ASSERT_EQUAL(collect(&h, 0, "a", 2, out, &cov), 3);
    CU_ASSERT_EQUAL(cov, 2);
    CU_ASSERT_EQUAL(collect(&h, cov, "a", 2, out, &cov), 1);
    CU_ASSERT_EQUAL(cov, 3);
    skv_history_free(&h);
}

static void test_horizon(void)
{
    struct skv_fsm_history h;
    char out[4096];
    uint64_t cov = 0, i;
    skv_history_init(&h);
    skv_history_reset(&h, 100);   /* start-up at applied 100 */
    CU_ASSERT_EQUAL(collect(&h, 99, "", 10, out, &cov), -1); /* 100 unknown */
    CU_ASSERT_EQUAL(collect(&h, 100, "", 10, out, &cov), 0);
    CU_ASSERT_EQUAL(cov, 100);
    put_cmd(&h, 101, SKV_KV_PUT, "k", "v");
    skv_history_reset(&h, 500);   /* snapshot restore */
    CU_ASSERT_EQUAL(h.n_events, 0);
    CU_ASSERT_EQUAL(collect(&h, 101, "", 10, out, &cov), -1);
    CU_ASSERT_TRUE(skv_history_has(&h, 101, NULL, 0) == 0);
    /* past the event bound the oldest indexes go, whole */
    for (i = 501; i <= 501 + SKV_HISTORY_MAX_EVENTS; i++)
        put_cmd(&h, i, SKV_KV_PUT, "k", "v");
    CU_ASSERT_EQUAL(h.n_events, SKV_HISTORY_MAX_EVENTS);
    CU_ASSERT_EQUAL(h.first_index, 502);
    CU_ASSERT_EQUAL(collect(&h, 500, "", 10, out, &cov), -1);
    CU_ASSERT_EQUAL(collect(&h, 501, "", 10, out, &cov), 10);
    skv_history_free(&h);
    skv_history_free(&h); /* idempotent */
}

int main(void)
{
    CU_pSuite s;
    unsigned fails;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("fsm_history", NULL, NULL);
    CU_add_test(s, "puts, deletes, no-ops, prefixes, resume", test_record_and_collect);
    CU_add_test(s, "an applied compare-and-swap is a change", test_cas_entry);
    CU_add_test(s, "caps keep an index whole", test_whole_indexes);
    CU_add_test(s, "the 410 horizon: reset and dropped indexes", test_horizon);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return fails ? 1 : 0;
}
