/* SPDX-License-Identifier: MIT */
/*
 * test_inbox.c — the inbox (core/node/inbox.c) and its door bell
 * (core/node/wake.c) on a bare node: the frame bytes are bounded (frames
 * beyond the bound are dropped and counted as inbox_full when the loop
 * drains), the bell rings once per drain and rings again after one, and
 * under four producer threads no frame is ever left queued without the
 * bell rung (a lost wake-up would strand it: the check waits on the
 * eventfd itself, with a deadline, never on a timer of its own).
 */
#include "node/node.h"
#include "peer/peer_filter.h"

#include <CUnit/Basic.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tx {
    struct skv_node *n;
    unsigned drains;
};

static void on_bell(void *arg)
{
    struct tx *t = arg;
    t->drains++;
    skv_inbox_drain(t->n);
}

/* A node with only its loop and inbox: frames are freed undispatched
 * (run_state is not SERVING). */
static struct skv_node *bare(struct tx *t, size_t cap)
{
    struct skv_node *n = calloc(1, sizeof *n);
    CU_ASSERT_FATAL(n != NULL);
    CU_ASSERT_FATAL(uv_loop_init(&n->loop) == 0);
    pthread_mutex_init(&n->inbox_mu, NULL);
    skv_list_init(&n->inbox_frames);
    skv_list_init(&n->inbox_admin);
    n->inbox_max_bytes = cap;
    n->run_state = SKV_RUN_STOPPING;
    t->n = n;
    t->drains = 0;
    CU_ASSERT_FATAL(skv_wake_init(&n->inbox_wake, &n->loop, on_bell, t) == 0);
    return n;
}

static void unbare(struct skv_node *n)
{
    skv_inbox_drain(n);   /* frees what a test left queued */
    skv_wake_close(&n->inbox_wake);
    uv_run(&n->loop, UV_RUN_NOWAIT);   /* the close callback */
    CU_ASSERT(uv_loop_close(&n->loop) == 0);
    skv_wake_free(&n->inbox_wake);
    pthread_mutex_destroy(&n->inbox_mu);
    free(n);
}

static int bell_rung(struct skv_node *n, int timeout_ms)
{
    struct pollfd p = {n->inbox_wake.fd, POLLIN, 0};
    return poll(&p, 1, timeout_ms) == 1;
}

static int queued(struct skv_node *n)
{
    int empty;
    pthread_mutex_lock(&n->inbox_mu);
    empty = skv_list_empty(&n->inbox_frames);
    pthread_mutex_unlock(&n->inbox_mu);
    return !empty;
}

static void test_bound(void)
{
    struct tx t;
    struct skv_node *n = bare(&t, 4096);
    static uint8_t buf[1000];
    int i;
    for (i = 0; i < 4; i++)
        skv_inbox_deliver(n, 2, buf, 1000);   /* 4000 of 4096 */
    skv_inbox_deliver(n, 3, buf, 1000);       /* over: dropped */
    skv_inbox_deliver(n, 3, buf, 97);         /* over by one byte: dropped */
    skv_inbox_deliver(n, 2, buf, 96);         /* exactly full */
    CU_ASSERT(n->inbox_bytes == 4096);
    CU_ASSERT(n->inbox_full_drops == 2);
    CU_ASSERT(n->metrics.frames_dropped[SKV_DROP_INBOX_FULL] == 0);   /* counted by the loop */
    CU_ASSERT(bell_rung(n, 0));
    uv_run(&n->loop, UV_RUN_NOWAIT);
    CU_ASSERT(t.drains == 1);
    CU_ASSERT(!queued(n));
    CU_ASSERT(n->inbox_bytes == 0);
    CU_ASSERT(n->inbox_full_drops == 0);
    CU_ASSERT(n->metrics.frames_dropped[SKV_DROP_INBOX_FULL] == 2);
    skv_inbox_deliver(n, 2, buf, 1000);       /* room again after the drain */
    CU_ASSERT(n->inbox_bytes == 1000);
    CU_ASSERT(strcmp(skv_drop_reason_name(SKV_DROP_INBOX_FULL), "inbox_full") == 0);
    unbare(n);
}

static void test_bell_once_per_drain(void)
{
    struct tx t;
    struct skv_node *n = bare(&t, SKV_INBOX_MAX_BYTES);
    static uint8_t buf[16];
    uint64_t v = 0;
    int i;
    CU_ASSERT(!bell_rung(n, 0));
    for (i = 0; i < 5; i++)
        skv_inbox_deliver(n, 2, buf, sizeof buf);
    /* five frames, one ring: the eventfd counter is 1 */
    CU_ASSERT(read(n->inbox_wake.fd, &v, sizeof v) == (ssize_t)sizeof v);
    CU_ASSERT(v == 1);
    skv_inbox_drain(n);                       /* as the callback would */
    CU_ASSERT(!queued(n));
    skv_inbox_deliver(n, 2, buf, sizeof buf); /* after a drain: rings again */
    CU_ASSERT(bell_rung(n, 0));
    uv_run(&n->loop, UV_RUN_NOWAIT);
    CU_ASSERT(t.drains == 1);
    CU_ASSERT(!queued(n));
    CU_ASSERT(!bell_rung(n, 0));
    unbare(n);
}

#define PRODUCERS 4
#define PER_PRODUCER 20000

static void *producer(void *arg)
{
    struct skv_node *n = arg;
    uint8_t b[24] = {0};
    int i;
    for (i = 0; i < PER_PRODUCER; i++)
        skv_inbox_deliver(n, 2, b, (size_t)(i % 24) + 1);
    return NULL;
}

/* Drain as the loop does while four threads deliver; at the end nothing
 * may be queued unless the bell is rung. Bounded: 10 s without a ring
 * while frames are queued fails. */
static void test_no_lost_wakeup(void)
{
    struct tx t;
    struct skv_node *n = bare(&t, SKV_INBOX_MAX_BYTES);
    pthread_t th[PRODUCERS];
    int i, stranded = 0;
    for (i = 0; i < PRODUCERS; i++)
        CU_ASSERT_FATAL(pthread_create(&th[i], NULL, producer, n) == 0);
    for (i = 0; i < 2000 && t.drains < 50; i++)
        if (bell_rung(n, 5))
            uv_run(&n->loop, UV_RUN_NOWAIT);
    for (i = 0; i < PRODUCERS; i++)
        pthread_join(th[i], NULL);
    while (queued(n)) {
        if (!bell_rung(n, 10000)) {
            stranded = 1;
            break;
        }
        uv_run(&n->loop, UV_RUN_NOWAIT);
    }
    CU_ASSERT(!stranded);
    CU_ASSERT(t.drains >= 1);
    CU_ASSERT(n->metrics.frames_dropped[SKV_DROP_INBOX_FULL] == 0);
    unbare(n);
}

int main(void)
{
    CU_pSuite s;
    unsigned fails;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    s = CU_add_suite("inbox", NULL, NULL);
    CU_add_test(s, "frame bytes bounded, drops counted by the loop", test_bound);
    CU_add_test(s, "the bell rings once per drain", test_bell_once_per_drain);
    CU_add_test(s, "four producers: no frame stranded", test_no_lost_wakeup);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return fails ? 1 : 0;
}
