/* SPDX-License-Identifier: MIT */
/*
 * test_fpset.c — the key fingerprint multiset (core/util/fpset.c)
 * against a reference model: random adds and removes over a small
 * domain whose fingerprints share home slots and wrap the table's end
 * (the backward shift of a removal must keep every other instance
 * findable), counted instances (two keys with one fingerprint), growth
 * with everything kept, incremental growth (removals while the old table
 * is still being moved; no add moves more than a step), and the keyed
 * fingerprint itself.
 */
#include "util/fpset.h"

#include <CUnit/Basic.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define DOM 64

/* Fingerprints crowding a few home slots of a 1024-slot table: low bits
 * 0, 1, 1022, 1023 (the end wraps), high bits distinct. */
static uint64_t dom_fp(unsigned i)
{
    static const uint64_t lows[4] = {0, 1, 1022, 1023};
    return ((uint64_t)(i + 1) << 32) | lows[i % 4];
}

static void test_model(void)
{
    struct skv_fpset s;
    unsigned count[DOM] = {0}, i, step;
    size_t total = 0;
    uint32_t rnd = 12345;
    skv_fpset_init(&s);
    for (step = 0; step < 200000; step++) {
        rnd = rnd * 1103515245u + 12345u;
        i = (rnd >> 8) % DOM;
        if ((rnd >> 20) % 3 != 0 && total < 600) { /* stays under one table size */
            CU_ASSERT_FATAL(skv_fpset_add(&s, dom_fp(i)) == 0);
            count[i]++, total++;
        } else {
            int had = count[i] > 0;
            CU_ASSERT_FATAL(skv_fpset_del(&s, dom_fp(i)) == had);
            if (had)
                count[i]--, total--;
        }
        if (step % 97 == 0) {
            unsigned k;
            for (k = 0; k < DOM; k++)
                CU_ASSERT_FATAL(skv_fpset_has(&s, dom_fp(k)) == (count[k] > 0));
            CU_ASSERT_FATAL(s.n == total);
        }
    }
    skv_fpset_free(&s);
}

/* Random adds and removes across four growths, with removals while a
 * growth is under way: the instances still in the old table (moved or
 * not, crowded at one home slot or wrapping its end) stay findable, and
 * each is counted once. */
static void test_model_growing(void)
{
    enum { BIG = 4096 };
    static unsigned count[BIG];
    struct skv_fpset s;
    size_t total = 0, step, grows = 0, dels_in_growth = 0;
    uint32_t rnd = 777;
    memset(count, 0, sizeof count);
    skv_fpset_init(&s);
    for (step = 0; step < 400000; step++) {
        unsigned i, k;
        uint64_t fp;
        int adding;
        rnd = rnd * 1103515245u + 12345u;
        i = (rnd >> 4) % BIG;
        /* a quarter crowd four home slots (dom_fp), the rest spread */
        fp = i < DOM ? dom_fp(i) : ((uint64_t)(i + 1) << 40) | ((uint64_t)i * 2654435761u);
        adding = step < 200000 ? (rnd >> 24) % 4 != 0 : (rnd >> 24) % 4 == 0;
        if (adding && total < 6000) {
            void *before = s.old;
            CU_ASSERT_FATAL(skv_fpset_add(&s, fp) == 0);
            count[i]++, total++;
            grows += before == NULL && s.old != NULL;
        } else {
            int had = count[i] > 0;
            dels_in_growth += s.old != NULL;
            CU_ASSERT_FATAL(skv_fpset_del(&s, fp) == had);
            if (had)
                count[i]--, total--;
        }
        CU_ASSERT_FATAL(s.n == total);
        if (step % 101 == 0 && !s.old) { /* no growth under way: tab holds them all */
            size_t used = 0;
            for (size_t j = 0; j < s.cap; j++)
                used += s.tab[j] != 0;
            CU_ASSERT_FATAL(used == total);
        }
        if (step % 101 == 0 || s.old)
            for (k = 0; k < BIG; k += s.old ? 7 : 1) {
                uint64_t f = k < DOM ? dom_fp(k) : ((uint64_t)(k + 1) << 40) | ((uint64_t)k * 2654435761u);
                CU_ASSERT_FATAL(skv_fpset_has(&s, f) == (count[k] > 0));
            }
    }
    CU_ASSERT(grows >= 3);           /* 1024 -> 2048 -> 4096 -> 8192 -> 16384 */
    CU_ASSERT(dels_in_growth > 100); /* removals met a growth under way */
    skv_fpset_free(&s);
}

/* No add moves more than SKV_FPSET_MOVE_STEP old slots: the cost of a
 * growth is spread over the adds after it, not paid by one. */
static void test_growth_incremental(void)
{
    struct skv_fpset s;
    uint64_t fp = 0;
    size_t grows = 0;
    skv_fpset_init(&s);
    for (unsigned i = 0; i < 200000; i++) {
        size_t moved = s.moved, cap = s.cap;
        int growing = s.old != NULL;
        fp = fp * 6364136223846793005u + 1442695040888963407u;
        CU_ASSERT_FATAL(skv_fpset_add(&s, fp | 1) == 0);
        if (s.cap != cap && cap) {   /* this add started a growth */
            grows++;
            CU_ASSERT_FATAL(s.old != NULL && s.old_cap == cap);
            CU_ASSERT_FATAL(s.moved <= SKV_FPSET_MOVE_STEP);
        } else if (growing && s.old) {
            CU_ASSERT_FATAL(s.moved > moved && s.moved - moved <= SKV_FPSET_MOVE_STEP);
        }
    }
    CU_ASSERT(grows >= 6);
    CU_ASSERT(s.n == 200000 && s.n * 10 <= s.cap * 7);
    skv_fpset_free(&s);
}

static void test_counted(void)
{
    struct skv_fpset s;
    skv_fpset_init(&s);
    CU_ASSERT(skv_fpset_has(&s, 7) == 0);
    CU_ASSERT(skv_fpset_del(&s, 7) == 0);   /* empty table: nothing to remove */
    CU_ASSERT(skv_fpset_add(&s, 7) == 0);
    CU_ASSERT(skv_fpset_add(&s, 7) == 0);   /* a second key, same fingerprint */
    CU_ASSERT(skv_fpset_del(&s, 7) == 1);
    CU_ASSERT(skv_fpset_has(&s, 7) == 1);   /* the other one still counts */
    CU_ASSERT(skv_fpset_del(&s, 7) == 1);
    CU_ASSERT(skv_fpset_has(&s, 7) == 0);
    CU_ASSERT(skv_fpset_del(&s, 7) == 0);
    CU_ASSERT(skv_fpset_add(&s, 0) == -1);  /* 0 marks an empty slot */
    CU_ASSERT(skv_fpset_add(&s, SKV_FPSET_GONE) == -1); /* a removed one */
    CU_ASSERT(skv_fpset_has(&s, SKV_FPSET_GONE) == 0);
    CU_ASSERT(skv_fpset_del(&s, SKV_FPSET_GONE) == 0);
    CU_ASSERT(s.n == 0);
    skv_fpset_free(&s);
}

static void test_grow(void)
{
    struct skv_fpset s;
    char key[32];
    unsigned i;
    skv_fpset_init(&s);
    for (i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "user/%u", i);
        CU_ASSERT_FATAL(skv_fpset_add(&s, skv_fpset_fp(&s, (const uint8_t *)key, strlen(key))) == 0);
    }
    CU_ASSERT(s.n == 100000);
    CU_ASSERT(s.n * 10 <= s.cap * 7);       /* at most 0.7 full */
    for (i = 0; i < 100000; i += 2) {
        snprintf(key, sizeof key, "user/%u", i);
        CU_ASSERT_FATAL(skv_fpset_del(&s, skv_fpset_fp(&s, (const uint8_t *)key, strlen(key))) == 1);
    }
    for (i = 1; i < 100000; i += 2) {
        snprintf(key, sizeof key, "user/%u", i);
        CU_ASSERT_FATAL(skv_fpset_has(&s, skv_fpset_fp(&s, (const uint8_t *)key, strlen(key))));
    }
    CU_ASSERT(s.n == 50000);
    skv_fpset_free(&s);
}

static void test_fp(void)
{
    struct skv_fpset a, b;
    const uint8_t k[] = "key";
    skv_fpset_init(&a);
    skv_fpset_init(&b);
    CU_ASSERT(skv_fpset_fp(&a, k, 3) == skv_fpset_fp(&a, k, 3));
    CU_ASSERT(skv_fpset_fp(&a, k, 3) != 0);
    CU_ASSERT(skv_fpset_fp(&a, k, 3) != skv_fpset_fp(&a, k, 2));
    CU_ASSERT(memcmp(a.seed, b.seed, sizeof a.seed) != 0); /* a seed per set */
    CU_ASSERT(skv_fpset_fp(&a, k, 3) != skv_fpset_fp(&b, k, 3));
    skv_fpset_free(&a);
    skv_fpset_free(&b);
}

int main(void)
{
    CU_pSuite s;
    unsigned fails;
    if (sodium_init() < 0 || CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("fpset", NULL, NULL);
    CU_add_test(s, "random adds and removes match a model", test_model);
    CU_add_test(s, "random adds and removes across growths match a model", test_model_growing);
    CU_add_test(s, "growth moves a bounded number of slots per add", test_growth_incremental);
    CU_add_test(s, "instances are counted", test_counted);
    CU_add_test(s, "growth keeps every key", test_grow);
    CU_add_test(s, "keyed fingerprints", test_fp);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return fails ? 1 : 0;
}
