/* SPDX-License-Identifier: MIT */
/*
 * test_txn_cmd.c — the transaction codecs: the 0x07 entry round-trips
 * (every compare kind and op, empty branches), the decoder refuses every
 * malformed or over-bound payload and a key written twice in a branch
 * (but not a key read and written, nor written once per branch), and the
 * JSON body (txn_json.c) parses strictly into the same structure.
 */
#include "admin/txn_json.h"
#include "cmd/command.h"
#include "cmd/txn_cmd.h"

#include <CUnit/Basic.h>
#include <raft.h>
#include <stdlib.h>
#include <string.h>

#define S(x) (const uint8_t *)(x), sizeof(x) - 1

static void test_round_trip(void)
{
    struct skv_txn_cmp c[3] = {{SKV_TXN_CMP_MOD, S("a"), 42, NULL, 0, 0},
                               {SKV_TXN_CMP_VALUE, S("b"), 0, S("v"), 0},
                               {SKV_TXN_CMP_EXISTS, S("c"), 0, NULL, 0, 1}};
    struct skv_txn_op o[4] = {{SKV_TXN_PUT, S("a"), S("1")}, {SKV_TXN_GET, S("a"), NULL, 0},
                              {SKV_TXN_DEL, S("a"), NULL, 0}, {SKV_TXN_PUT, S("z"), NULL, 0}};
    struct skv_txn t = {c, 3, o, 2, 2}, d;
    char err[200];
    void *p = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(skv_txn_encode(&t, &p, &len), 0);
    CU_ASSERT_EQUAL(((uint8_t *)p)[0], SKV_CMD_TXN);
    CU_ASSERT_EQUAL_FATAL(skv_txn_decode(p, len, &d, err, sizeof err), 0);
    CU_ASSERT_EQUAL(d.n_cmps, 3);
    CU_ASSERT_EQUAL(d.n_success, 2);
    CU_ASSERT_EQUAL(d.n_failure, 2);
    CU_ASSERT_EQUAL(d.cmps[0].mod, 42);
    CU_ASSERT_EQUAL(d.cmps[1].val_len, 1);
    CU_ASSERT_EQUAL(d.cmps[2].exists, 1);
    CU_ASSERT_EQUAL(d.ops[0].op, SKV_TXN_PUT);
    CU_ASSERT_EQUAL(d.ops[3].val_len, 0);
    CU_ASSERT_EQUAL(memcmp(d.ops[3].key, "z", 1), 0);
    skv_txn_free(&d);
    /* every truncation is refused */
    for (size_t n = 0; n < len; n++)
        CU_ASSERT_EQUAL(skv_txn_decode(p, n, &d, err, sizeof err), -1);
    raft_free(p);
    /* empty */
    memset(&t, 0, sizeof t);
    CU_ASSERT_EQUAL_FATAL(skv_txn_encode(&t, &p, &len), 0);
    CU_ASSERT_EQUAL(len, 8);
    CU_ASSERT_EQUAL(skv_txn_decode(p, len, &d, err, sizeof err), 0);
    raft_free(p);
}

static void test_refusals(void)
{
    struct skv_txn_op twice[2] = {{SKV_TXN_PUT, S("k"), S("1")}, {SKV_TXN_DEL, S("k"), NULL, 0}};
    struct skv_txn_op ok[3] = {{SKV_TXN_GET, S("k"), NULL, 0}, {SKV_TXN_PUT, S("k"), S("1")},
                               {SKV_TXN_DEL, S("k"), NULL, 0}};
    struct skv_txn t = {NULL, 0, twice, 2, 0}, d;
    uint8_t *b;
    char err[200];
    void *p = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(skv_txn_encode(&t, &p, &len), 0);
    CU_ASSERT_EQUAL(skv_txn_decode(p, len, &d, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "written twice"));
    raft_free(p);
    t.ops = ok; /* read then write, and one write per branch: fine */
    t.n_success = 2;
    t.n_failure = 1;
    CU_ASSERT_EQUAL_FATAL(skv_txn_encode(&t, &p, &len), 0);
    CU_ASSERT_EQUAL(skv_txn_decode(p, len, &d, err, sizeof err), 0);
    skv_txn_free(&d);
    b = p;
    b[1] = 2; /* version */
    CU_ASSERT_EQUAL(skv_txn_decode(p, len, &d, err, sizeof err), -1);
    b[1] = 1;
    b[8] = 9; /* opcode */
    CU_ASSERT_EQUAL(skv_txn_decode(p, len, &d, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown op"));
    raft_free(p);
    t.n_success = SKV_TXN_MAX_OPS + 1; /* over the bound: not encoded */
    CU_ASSERT_EQUAL(skv_txn_encode(&t, &p, &len), -1);
}

static void test_json(void)
{
    struct skv_txn_json x;
    const char *why = NULL;
    CU_ASSERT_EQUAL_FATAL(skv_txn_json_parse(
        "{\"compare\":[{\"key\":\"YQ==\",\"mod_index\":7},{\"key\":\"Yg==\",\"exists\":false}],"
        "\"success\":[{\"op\":\"put\",\"key\":\"YQ==\",\"value\":\"\"}],"
        "\"failure\":[{\"op\":\"get\",\"key\":\"YQ==\"}]}", &x, &why), 0);
    CU_ASSERT_EQUAL(x.t.n_cmps, 2);
    CU_ASSERT_EQUAL(x.t.cmps[0].mod, 7);
    CU_ASSERT_EQUAL(x.t.cmps[1].exists, 0);
    CU_ASSERT_EQUAL(x.t.ops[0].val_len, 0);
    CU_ASSERT_EQUAL(x.t.n_failure, 1);
    skv_txn_json_free(&x);
    CU_ASSERT_EQUAL(skv_txn_json_parse("{\"compares\":[]}", &x, &why), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "unknown member"));
    CU_ASSERT_EQUAL(skv_txn_json_parse("{\"success\":[{\"op\":\"get\",\"key\":\"\"}]}", &x, &why), -1);
    CU_ASSERT_EQUAL(skv_txn_json_parse("{\"success\":[{\"op\":\"get\",\"key\":\"YQ\"}]}", &x, &why), -1);
    CU_ASSERT_EQUAL(skv_txn_json_parse("{\"compare\":[{\"key\":\"YQ==\",\"mod_index\":-1}]}", &x, &why), -1);
    CU_ASSERT_EQUAL(skv_txn_json_parse("{\"compare\":[{\"key\":\"YQ==\",\"exists\":1}]}", &x, &why), -1);
    CU_ASSERT_EQUAL(skv_txn_json_parse("{\"success\":{}}", &x, &why), -1);
    CU_ASSERT_EQUAL(skv_txn_json_parse("{\"success\":[],\"success\":[]}", &x, &why), -1);
    CU_ASSERT_EQUAL(skv_txn_json_parse(NULL, &x, &why), -1);
}

int main(void)
{
    CU_pSuite s;
    unsigned fails;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("txn codecs", NULL, NULL);
    CU_add_test(s, "0x07 round trip, truncations", test_round_trip);
    CU_add_test(s, "0x07 refusals: twice, version, opcode, bounds", test_refusals);
    CU_add_test(s, "JSON body", test_json);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return fails ? 1 : 0;
}
