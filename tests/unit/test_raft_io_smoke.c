/* SPDX-License-Identifier: MIT */
/*
 * test_raft_io_smoke.c — the adapter really drives C-Raft: a single-node
 * raft over the real storage-leveldb plugin bootstraps, elects itself,
 * applies commands, takes snapshots (small threshold, so snapshot_put with
 * trailing entries runs), closes, restarts from the store (snapshot
 * restore + replay of the trailing log) and applies more. Every wait is
 * bounded by a loop timer.
 */
#include "raft_io_fx.h"

static struct fx F;

static int suite_init(void) { return 0; }
static int suite_clean(void) { return 0; }

/* ---- a trivial FSM: counts commands, snapshot = the count ------------ */

struct cfsm {
    uint64_t count;
    unsigned snapshots, restores;
};
static struct cfsm M;

static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf,
                     void **result)
{
    struct cfsm *s = fsm->data;
    if (buf->len < 3 || memcmp(buf->base, "cmd", 3) != 0)
        return RAFT_MALFORMED;
    s->count++;
    *result = NULL;
    return 0;
}

static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[],
                        unsigned *n_bufs)
{
    struct cfsm *s = fsm->data;
    *bufs = raft_malloc(sizeof **bufs);
    if (!*bufs)
        return RAFT_NOMEM;
    (*bufs)[0].len = sizeof s->count;
    (*bufs)[0].base = raft_malloc(sizeof s->count);
    if (!(*bufs)[0].base) {
        raft_free(*bufs);
        return RAFT_NOMEM;
    }
    memcpy((*bufs)[0].base, &s->count, sizeof s->count);
    *n_bufs = 1;
    s->snapshots++;
    return 0;
}

static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    struct cfsm *s = fsm->data;
    if (buf->len != sizeof s->count)
        return RAFT_MALFORMED;
    memcpy(&s->count, buf->base, sizeof s->count);
    raft_free(buf->base);
    s->restores++;
    return 0;
}

static struct raft_fsm Fsm = {.version = 1,
                              .data = &M,
                              .apply = fsm_apply,
                              .snapshot = fsm_snapshot,
                              .restore = fsm_restore};

/* ---- raft plumbing ------------------------------------------------------- */

static struct raft R;
static int raft_closed, applied, apply_failures;
static struct raft_apply reqs[32];

static void apply_cb(struct raft_apply *req, int status, void *result)
{
    (void)req, (void)result;
    if (status != 0)
        apply_failures++;
    applied++;
}

static void on_raft_closed(struct raft *r)
{
    (void)r;
    raft_closed = 1;
}

static int propose(int i)
{
    struct raft_buffer buf;
    char text[32];
    snprintf(text, sizeof text, "cmd%d", i);
    buf.len = strlen(text);
    buf.base = raft_malloc(buf.len);
    if (!buf.base)
        return RAFT_NOMEM;
    memcpy(buf.base, text, buf.len);
    return raft_apply(&R, &reqs[i], &buf, 1, apply_cb);
}

static void raft_open(void)
{
    CU_ASSERT_EQUAL_FATAL(fx_io_open(&F), 0);
    memset(&R, 0, sizeof R);
    CU_ASSERT_EQUAL_FATAL(raft_init(&R, &F.io, &Fsm, 1, "127.0.0.1:9001"), 0);
    raft_set_snapshot_threshold(&R, 4);
    raft_set_snapshot_trailing(&R, 2);
}

static void raft_shut(void)
{
    raft_closed = 0;
    raft_close(&R, on_raft_closed);
    CU_ASSERT_FATAL(fx_wait(&F, &raft_closed, 1, 5000));
    skv_raftio_destroy(&F.io);
    F.io_open = 0;
}

static void deadline_cb(uv_timer_t *t) { *(int *)t->data = 1; }

static int wait_snapshot_stored(unsigned ms)
{
    uv_timer_t t;
    int expired = 0;
    uv_timer_init(&F.loop, &t);
    t.data = &expired;
    uv_timer_start(&t, deadline_cb, ms, 0);
    while (R.log.snapshot.last_index == 0 && !expired)
        uv_run(&F.loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&F.loop, UV_RUN_NOWAIT);
    return R.log.snapshot.last_index != 0;
}

static void test_single_node(void)
{
    struct raft_configuration c;
    struct fx_loaded l;
    if (fx_setup(&F) != 0)
        CU_FAIL_FATAL("fixture setup failed");
    memset(&M, 0, sizeof M);
    raft_open();
    fx_conf(&c, 1);
    CU_ASSERT_EQUAL_FATAL(raft_bootstrap(&R, &c), 0);
    raft_configuration_close(&c);
    CU_ASSERT_EQUAL_FATAL(raft_start(&R), 0);
    CU_ASSERT_EQUAL_FATAL(raft_state(&R), RAFT_LEADER);

    applied = apply_failures = 0;
    for (int i = 0; i < 12; i++)
        CU_ASSERT_EQUAL_FATAL(propose(i), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &applied, 12, 10000));
    CU_ASSERT_EQUAL(apply_failures, 0);
    CU_ASSERT_EQUAL(M.count, 12);
    CU_ASSERT(M.snapshots >= 1); /* threshold 4: a snapshot was taken */
    /* raft records it once snapshot_put's callback reported success */
    CU_ASSERT_FATAL(wait_snapshot_stored(5000));
    raft_shut();

    /* what the store holds: a snapshot and its trailing entries */
    CU_ASSERT_EQUAL_FATAL(fx_io_open(&F), 0);
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL(l.term, 1); /* a lone voter self-elects in term 1 */
    CU_ASSERT_PTR_NOT_NULL_FATAL(l.snap);
    CU_ASSERT(l.snap->index >= 4);
    CU_ASSERT(l.start >= 2 && l.start <= l.snap->index + 1);
    CU_ASSERT(l.start + l.n - 1 >= 13); /* conf + barrier? + 12 commands */
    fx_loaded_free(&l);
    CU_ASSERT(fx_io_close(&F));

    /* restart from the store: restore + replay, then more commands */
    memset(&M, 0, sizeof M);
    raft_open();
    CU_ASSERT_EQUAL_FATAL(raft_start(&R), 0);
    CU_ASSERT_EQUAL(M.restores, 1);
    CU_ASSERT_EQUAL_FATAL(raft_state(&R), RAFT_LEADER);
    applied = 0;
    for (int i = 12; i < 15; i++)
        CU_ASSERT_EQUAL_FATAL(propose(i), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &applied, 3, 10000));
    CU_ASSERT_EQUAL(apply_failures, 0);
    CU_ASSERT_EQUAL(M.count, 15); /* nothing lost, nothing applied twice */
    CU_ASSERT(raft_last_applied(&R) >= 16);
    raft_shut();
    fx_teardown(&F);
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("raft_io drives C-Raft", suite_init, suite_clean);
    if (!s || !CU_add_test(s, "single node: bootstrap, apply, snapshot, restart",
                           test_single_node)) {
        CU_cleanup_registry();
        return 99;
    }
    return skv_test_run();
}
