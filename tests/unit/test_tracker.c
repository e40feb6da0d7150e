/* SPDX-License-Identifier: MIT */
/*
 * test_tracker.c — the tracker of requests awaiting a peer's answer
 * (core/peer/tracker.c): ids count up from the seed, expects() matches id
 * AND peer, the expiry rule (deadline; a leader-bound request older than
 * the grace fails once the leader changes, a younger one does not, a
 * fan-out ignores the leader), pop order for fail-all.
 */
#include "peer/tracker.h"

#include <CUnit/Basic.h>
#include <stddef.h>

static void test_ids_and_expects(void)
{
    struct skv_tracker t;
    struct skv_tracked a, b;
    skv_tracker_init(&t, 41);
    CU_ASSERT_EQUAL(skv_tracker_next_id(&t), 42);
    skv_tracker_add(&t, &a, 42, 7, 1, 1000, 10000);
    skv_tracker_add(&t, &b, skv_tracker_next_id(&t), 8, 1, 1000, 10000);
    CU_ASSERT_EQUAL(b.id, 43);
    CU_ASSERT(skv_tracker_expects(&t, 7, 42));
    CU_ASSERT(!skv_tracker_expects(&t, 8, 42));     /* wrong peer */
    CU_ASSERT(!skv_tracker_expects(&t, 7, 44));     /* unknown id */
    CU_ASSERT_PTR_EQUAL(skv_tracker_find(&t, 43), &b);
    skv_tracker_del(&a);
    CU_ASSERT_PTR_NULL(skv_tracker_find(&t, 42));
    CU_ASSERT_PTR_EQUAL(skv_tracker_pop(&t), &b);
    CU_ASSERT_PTR_NULL(skv_tracker_pop(&t));
}

static void test_expiry(void)
{
    struct skv_tracker t;
    struct skv_tracked a, b, c;
    enum skv_track_end end = 0;
    skv_tracker_init(&t, 0);
    skv_tracker_add(&t, &a, 1, 7, 1, 1000, 10000);  /* to leader 7 */
    skv_tracker_add(&t, &b, 2, 0, 0, 1000, 2000);   /* fan-out */
    skv_tracker_add(&t, &c, 3, 7, 1, 1400, 10000);  /* to leader 7, younger */
    /* leader unchanged: nothing before the deadline */
    CU_ASSERT_PTR_NULL(skv_tracker_take_due(&t, 1500, 7, &end));
    /* the leader changed: only what is older than the grace */
    CU_ASSERT_PTR_EQUAL(skv_tracker_take_due(&t, 1500 + 1, 9, &end), &a);
    CU_ASSERT_EQUAL(end, SKV_TRACK_LEADER_CHANGED);
    CU_ASSERT_PTR_NULL(skv_tracker_take_due(&t, 1501, 9, &end));
    /* deadline: the fan-out ends on time whatever the leader */
    CU_ASSERT_PTR_EQUAL(skv_tracker_take_due(&t, 3000, 7, &end), &b);
    CU_ASSERT_EQUAL(end, SKV_TRACK_TIMEOUT);
    CU_ASSERT_PTR_EQUAL(skv_tracker_take_due(&t, 11400, 7, &end), &c);
    CU_ASSERT_EQUAL(end, SKV_TRACK_TIMEOUT);
    CU_ASSERT_PTR_NULL(skv_tracker_pop(&t));
}

int main(void)
{
    CU_pSuite s;
    unsigned fails;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("tracker", NULL, NULL);
    CU_add_test(s, "ids, expects, find, del, pop", test_ids_and_expects);
    CU_add_test(s, "deadline and leader-change expiry", test_expiry);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return fails ? 1 : 0;
}
