/* SPDX-License-Identifier: MIT */
/*
 * sim_gate.c — scenarios 1, 2, 2b: happy path, the intake gate and
 * drain, drain timeout.
 */
#include "sim_harness.h"

/* ---- 1. happy path ---------------------------------------------------- */

void test_happy_path_3(void)
{
    struct sim *s = sim_new(3);
    char key[32], val[32];
    struct prop *pre[3] = {0}, *p = NULL;
    unsigned L, i, k;
    uint64_t N;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    L = sim_ready_leader(s, NULL, 10000);
    CU_ASSERT_FATAL(L < s->n);
    for (k = 0; k < 3; k++) {
        snprintf(key, sizeof key, "pre-%u", k);
        snprintf(val, sizeof val, "clear-%u", k);
        CU_ASSERT_EQUAL(sim_put_wait(s, L, key, val, &pre[k]), 0);
    }
    CU_ASSERT_EQUAL_FATAL(sim_enable_storage(s), 0);
    for (k = 0; k < 3; k++) {
        snprintf(key, sizeof key, "mid-%u", k);
        snprintf(val, sizeof val, "sealed-%u", k);
        CU_ASSERT_EQUAL(sim_put_wait(s, L, key, val, NULL), 0);
    }
    for (i = 0; i < s->n; i++)
        CU_ASSERT_FALSE(wrap_on(&s->nd[i]));
    N = sim_cutover(s);
    CU_ASSERT_FATAL(N != 0);
    CU_ASSERT_EQUAL(s->nd[L].cut_res.index, N);
    CU_ASSERT_EQUAL(s->nd[L].n->intake.cut.step, SKV_CUT_IDLE);
    CU_ASSERT_EQUAL(s->nd[L].n->intake.cut.runs, 1);
    for (k = 0; k < 5; k++) {
        snprintf(key, sizeof key, "post-%u", k);
        snprintf(val, sizeof val, "wrapped-%u", k);
        CU_ASSERT_EQUAL(sim_put_wait(s, L, key, val, &p), 0);
        CU_ASSERT_TRUE(p && p->wrapped && p->index > N);
    }
    check_final(s, N);
    for (i = 0; i < s->n; i++) {
        for (k = 0; k < 3; k++) {
            const struct raft_entry *e = pre[k] ? log_get(sraft(&s->nd[i]), pre[k]->index) : NULL;
            CU_ASSERT_TRUE(e && ((const uint8_t *)e->buf.base)[0] == SKV_CMD_KV); /* below N: clear */
            snprintf(key, sizeof key, "pre-%u", k);
            snprintf(val, sizeof val, "clear-%u", k);
            CU_ASSERT_TRUE(value_is(&s->nd[i], key, val));
            snprintf(key, sizeof key, "mid-%u", k);
            snprintf(val, sizeof val, "sealed-%u", k);
            CU_ASSERT_TRUE(value_is(&s->nd[i], key, val));
        }
        for (k = 0; k < 5; k++) {
            snprintf(key, sizeof key, "post-%u", k);
            snprintf(val, sizeof val, "wrapped-%u", k);
            CU_ASSERT_TRUE(value_is(&s->nd[i], key, val));
        }
    }
    CU_ASSERT_EQUAL(count_halted(s), 0);
    CU_ASSERT_EQUAL(s->violations, 0);
    sim_free(s);
}

/* ---- 2. intake gate and drain ---------------------------------------- */

static unsigned t2_user_leaks, t2_admin_leaks, t2_hold_checks;

static void t2_tick(struct sim *s)
{
    struct snode *sn = s->tick_arg;
    struct skv_cutover *c = &sn->n->intake.cut;
    if (c->step == SKV_CUT_IDLE)
        return;
    if (skv_cutover_gate(c, SKV_SRC_USER) == NULL)
        t2_user_leaks++;
    if (c->step >= SKV_CUT_PROPOSE) {
        t2_hold_checks++;
        if (skv_cutover_gate(c, SKV_SRC_ADMIN) == NULL)
            t2_admin_leaks++;
    }
}

void test_barrier_gate_and_drain(void)
{
    enum { K = 6 };
    struct sim *s = sim_new(3);
    struct prop *u[K], *adm = NULL, *after = NULL;
    char key[32];
    const char *err;
    uint64_t already = 0, N;
    raft_index max_u = 0;
    struct snode *sn;
    unsigned L, k, st;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(sim_enable_storage(s), 0);
    L = sim_ready_leader(s, NULL, 10000);
    CU_ASSERT_FATAL(L < s->n);
    sn = &s->nd[L];
    for (k = 0; k < K; k++) { /* in flight when the barrier starts */
        snprintf(key, sizeof key, "inflight-%u", k);
        CU_ASSERT_PTR_NULL(sim_put(s, L, SKV_SRC_USER, key, "x", &u[k]));
        CU_ASSERT_PTR_NOT_NULL_FATAL(u[k]);
        CU_ASSERT_FALSE(u[k]->wrapped);
        if (u[k]->index > max_u)
            max_u = u[k]->index;
    }
    t2_user_leaks = t2_admin_leaks = t2_hold_checks = 0;
    s->tick = t2_tick;
    s->tick_arg = sn;
    err = sim_enable_raft(s, L, &already);
    CU_ASSERT_PTR_NULL_FATAL(err);
    /* steps 1-2 ran inside begin; the in-flight writes keep it in drain */
    CU_ASSERT_EQUAL(sn->n->intake.cut.step, SKV_CUT_DRAIN);
    CU_ASSERT_TRUE(sn->n->intake.cut.drain_target >= max_u);
    err = sim_put(s, L, SKV_SRC_USER, "refused", "x", NULL);
    CU_ASSERT_TRUE(err && strcmp(err, "ErrEnvelopeCutoverInProgress") == 0);
    /* source=admin passes in steps 1-2: the barrier's own kind of proposal
     * must not deadlock on the gate */
    CU_ASSERT_PTR_NULL(sim_put(s, L, SKV_SRC_ADMIN, "admin-during-drain", "a", &adm));
    CU_ASSERT_PTR_NOT_NULL_FATAL(adm);
    CU_ASSERT_FALSE(adm->wrapped);
    /* a second enable while one runs */
    CU_ASSERT_STRING_EQUAL(sim_enable_raft(s, L, &already), "ErrEnvelopeCutoverInProgress");
    CU_ASSERT_TRUE(sim_until(s, p_cut_done, sn, 10000));
    CU_ASSERT_EQUAL_FATAL(sn->cut_res.rc, SKV_OK);
    N = sn->cut_res.index;
    s->tick = NULL;
    /* every step 1..6 was entered, in one run */
    for (st = SKV_CUT_CLOSE; st <= SKV_CUT_REOPEN; st++)
        CU_ASSERT_TRUE(sn->steps_seen & (1u << st));
    /* drain: N above everything accepted before, all applied before step 3 */
    CU_ASSERT_TRUE(N > max_u);
    CU_ASSERT_TRUE(sn->applied_at[SKV_CUT_PROPOSE] >= max_u);
    CU_ASSERT_TRUE(sn->applied_at[SKV_CUT_PROPOSE] >= sn->n->intake.cut.drain_target);
    for (k = 0; k < K; k++)
        CU_ASSERT_TRUE(prop_ok(u[k]) && u[k]->index < N);
    CU_ASSERT_TRUE(adm->index < N);
    /* user intake closed from step 2 through 6 (step 1 closes it in the same
     * synchronous call as step 2 starts: nothing can interleave) */
    for (st = SKV_CUT_DRAIN; st <= SKV_CUT_REOPEN; st++) {
        CU_ASSERT_PTR_NOT_NULL(sn->gate_user_at[st]);
        if (sn->gate_user_at[st])
            CU_ASSERT_STRING_EQUAL(sn->gate_user_at[st], "ErrEnvelopeCutoverInProgress");
    }
    /* admin open in drain, held from the propose step on until wrap is set */
    CU_ASSERT_PTR_NULL(sn->gate_admin_at[SKV_CUT_DRAIN]);
    for (st = SKV_CUT_WAIT_APPLY; st <= SKV_CUT_REOPEN; st++)
        CU_ASSERT_PTR_NOT_NULL(sn->gate_admin_at[st]);
    CU_ASSERT_EQUAL(t2_user_leaks, 0);
    CU_ASSERT_EQUAL(t2_admin_leaks, 0);
    /* reopened: both sources pass, and user writes are wrapped */
    CU_ASSERT_PTR_NULL(skv_cutover_gate(&sn->n->intake.cut, SKV_SRC_USER));
    CU_ASSERT_PTR_NULL(skv_cutover_gate(&sn->n->intake.cut, SKV_SRC_ADMIN));
    CU_ASSERT_EQUAL(sim_put_wait(s, L, "after", "y", &after), 0);
    CU_ASSERT_TRUE(after && after->wrapped && after->index > N);
    CU_ASSERT_TRUE(sim_wait_all_applied(s, N, 5000));
    check_final(s, N);
    for (k = 0; k < s->n; k++) {
        CU_ASSERT_TRUE(value_is(&s->nd[k], "inflight-0", "x"));
        CU_ASSERT_TRUE(value_is(&s->nd[k], "admin-during-drain", "a"));
        CU_ASSERT_TRUE(value_is(&s->nd[k], "after", "y"));
    }
    CU_ASSERT_EQUAL(count_halted(s), 0);
    CU_ASSERT_EQUAL(s->violations, 0);
    sim_free(s);
}

/* A drain that cannot finish (no quorum) times out before step 3: intake
 * reopens, an error is reported, and no cutover entry was proposed. */
void test_drain_timeout(void)
{
    struct sim *s = sim_new(3);
    struct prop *p = NULL;
    uint64_t already = 0, N;
    raft_index k, before;
    unsigned L, j;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(sim_enable_storage(s), 0);
    L = sim_ready_leader(s, NULL, 10000);
    CU_ASSERT_FATAL(L < s->n);
    s->nd[L].n->intake.cut.timeout_ms = 300; /* shorter than the leader's step-down */
    for (j = 0; j < s->n; j++)
        if (j != L)
            raft_fixture_kill(&s->f, j);
    CU_ASSERT_PTR_NULL(sim_put(s, L, SKV_SRC_USER, "stuck", "s", &p));
    before = raft_last_index(sraft(&s->nd[L]));
    CU_ASSERT_PTR_NULL_FATAL(sim_enable_raft(s, L, &already));
    CU_ASSERT_EQUAL(s->nd[L].n->intake.cut.step, SKV_CUT_DRAIN);
    CU_ASSERT_TRUE(sim_until(s, p_cut_done, &s->nd[L], 5000));
    CU_ASSERT_EQUAL(s->nd[L].cut_res.rc, SKV_ERR_AGAIN);
    CU_ASSERT_STRING_EQUAL(s->nd[L].cut_res.error, "ErrTimeout");
    CU_ASSERT_EQUAL(s->nd[L].cut_res.index, 0);
    CU_ASSERT_EQUAL(s->nd[L].n->intake.cut.step, SKV_CUT_IDLE);
    CU_ASSERT_PTR_NULL(skv_cutover_gate(&s->nd[L].n->intake.cut, SKV_SRC_USER));
    CU_ASSERT_FALSE(s->nd[L].steps_seen & (1u << SKV_CUT_PROPOSE));
    CU_ASSERT_FALSE(wrap_on(&s->nd[L]));
    for (k = before + 1; k <= raft_last_index(sraft(&s->nd[L])); k++) {
        const struct raft_entry *e = log_get(sraft(&s->nd[L]), k);
        CU_ASSERT_FALSE(e && is_cutover_entry(e));
    }
    for (j = 0; j < s->n; j++)
        if (j != L)
            raft_fixture_revive(&s->f, j);
    s->nd[L].n->intake.cut.timeout_ms = SIM_CUT_TIMEOUT_MS;
    N = sim_cutover_retry(s, 5);
    CU_ASSERT_FATAL(N != 0);
    CU_ASSERT_TRUE(sim_wait_all_applied(s, N, 10000));
    L = sim_ready_leader(s, NULL, 10000);
    CU_ASSERT_FATAL(L < s->n);
    CU_ASSERT_EQUAL(sim_put_wait(s, L, "after-timeout", "t", NULL), 0);
    check_final(s, N);
    for (j = 0; j < s->n; j++)
        CU_ASSERT_TRUE(value_is(&s->nd[j], "after-timeout", "t"));
    CU_ASSERT_EQUAL(count_halted(s), 0);
    CU_ASSERT_EQUAL(s->violations, 0);
    sim_free(s);
}

