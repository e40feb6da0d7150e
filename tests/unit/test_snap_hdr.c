/* SPDX-License-Identifier: MIT */
/*
 * test_snap_hdr.c — the SKVSNAP1/2/3/4 snapshot header: every version
 * round-trips, v2 is written exactly when a cutover exists, the local v3
 * carries any cutover (0 too), unknown
 * trailing v2 header fields are skipped, an unknown version, a truncated
 * header, a bad length and a v2 with cutover 0 are refused.
 */
#include "fsm/snap_hdr.h"

#include <CUnit/Basic.h>
#include <string.h>

static void test_round_trip(void)
{
    uint8_t b[SKV_SNAP_HDR_MAX];
    struct skv_snap_hdr h;
    char err[128];
    size_t n = skv_snap_hdr_write(b, 0, 42);
    CU_ASSERT_EQUAL(n, 16);
    CU_ASSERT_EQUAL(memcmp(b, "SKVSNAP1", 8), 0);
    CU_ASSERT_EQUAL_FATAL(skv_snap_hdr_parse(b, n, &h, err, sizeof err), 0);
    CU_ASSERT_EQUAL(h.version, 1);
    CU_ASSERT_EQUAL(h.cutover, 0);
    CU_ASSERT_EQUAL(h.applied, 42);
    CU_ASSERT_EQUAL(h.body_off, 16);
    n = skv_snap_hdr_write(b, 33, 99);
    CU_ASSERT_EQUAL(n, 26);
    CU_ASSERT_EQUAL(memcmp(b, "SKVSNAP2", 8), 0);
    CU_ASSERT_EQUAL_FATAL(skv_snap_hdr_parse(b, n, &h, err, sizeof err), 0);
    CU_ASSERT_EQUAL(h.version, 2);
    CU_ASSERT_EQUAL(h.cutover, 33);
    CU_ASSERT_EQUAL(h.applied, 99);
    CU_ASSERT_EQUAL(h.body_off, 26);
    n = skv_snap_hdr_write_local(b, 0, 7);   /* local, before the cutover */
    CU_ASSERT_EQUAL(memcmp(b, "SKVSNAP3", 8), 0);
    CU_ASSERT_EQUAL_FATAL(skv_snap_hdr_parse(b, n, &h, err, sizeof err), 0);
    CU_ASSERT_EQUAL(h.version, 3);
    CU_ASSERT_EQUAL(h.cutover, 0);
    CU_ASSERT_EQUAL(h.applied, 7);
    n = skv_snap_hdr_write_local(b, 4, 1u << 20);
    CU_ASSERT_EQUAL_FATAL(skv_snap_hdr_parse(b, n, &h, err, sizeof err), 0);
    CU_ASSERT_EQUAL(h.version, 3);
    CU_ASSERT_EQUAL(h.cutover, 4);
    CU_ASSERT_EQUAL(h.applied, 1u << 20);
    CU_ASSERT_EQUAL(h.body_off, n);
    n = skv_snap_hdr_write_spooled(b, 6, 70);   /* a spooled install's reference */
    CU_ASSERT_EQUAL(memcmp(b, "SKVSNAP4", 8), 0);
    CU_ASSERT_EQUAL_FATAL(skv_snap_hdr_parse(b, n, &h, err, sizeof err), 0);
    CU_ASSERT_EQUAL(h.version, 4);
    CU_ASSERT_EQUAL(h.cutover, 6);
    CU_ASSERT_EQUAL(h.applied, 70);
    CU_ASSERT_EQUAL(h.body_off, n);
}

static void test_trailing_fields_skipped(void)
{
    /* hlen 12: cutover u64 + 4 bytes of a future field */
    static const uint8_t b[] = {'S', 'K', 'V', 'S', 'N', 'A', 'P', '2', 0, 12,
                                0, 0, 0, 0, 0, 0, 0, 7, 0xde, 0xad, 0xbe, 0xef,
                                0, 0, 0, 0, 0, 0, 1, 0, 'x'};
    struct skv_snap_hdr h;
    char err[128];
    CU_ASSERT_EQUAL_FATAL(skv_snap_hdr_parse(b, sizeof b, &h, err, sizeof err), 0);
    CU_ASSERT_EQUAL(h.cutover, 7);
    CU_ASSERT_EQUAL(h.applied, 256);
    CU_ASSERT_EQUAL(h.body_off, sizeof b - 1);
}

static void test_refusals(void)
{
    uint8_t b[SKV_SNAP_HDR_MAX];
    struct skv_snap_hdr h;
    char err[128];
    size_t n = skv_snap_hdr_write(b, 5, 9), i;
    for (i = 0; i < n; i++) /* every truncation */
        CU_ASSERT_EQUAL(skv_snap_hdr_parse(b, i, &h, err, sizeof err), -1);
    b[7] = '5';
    CU_ASSERT_EQUAL(skv_snap_hdr_parse(b, n, &h, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown snapshot version SKVSNAP5"));
    b[7] = '2';
    b[9] = 7; /* hlen below the cutover field */
    CU_ASSERT_EQUAL(skv_snap_hdr_parse(b, n, &h, err, sizeof err), -1);
    b[9] = 8;
    memset(b + 10, 0, 8); /* v2 with cutover 0 */
    CU_ASSERT_EQUAL(skv_snap_hdr_parse(b, n, &h, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "cutover index 0"));
    CU_ASSERT_EQUAL(skv_snap_hdr_parse((const uint8_t *)"NOTASNAPSHOT....", 16, &h, err,
                                       sizeof err), -1);
}

int main(void)
{
    CU_pSuite s;
    unsigned fails;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("snap_hdr", NULL, NULL);
    CU_add_test(s, "v1, v2, v3 and v4 round trip", test_round_trip);
    CU_add_test(s, "unknown trailing v2 fields are skipped", test_trailing_fields_skipped);
    CU_add_test(s, "truncation, unknown version, bad length, v2 cutover 0", test_refusals);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return fails ? 1 : 0;
}
