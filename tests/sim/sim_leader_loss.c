/* SPDX-License-Identifier: MIT */
/*
 * sim_leader_loss.c — scenarios 3a-f, 4, 5: the leader lost at each
 * barrier step (depose, partition, re-elect; 3 and 5 nodes), a follower
 * that applied N leads, a new leader holding N committed but unapplied.
 */
#include "sim_harness.h"

enum { LOSE_DEPOSE = 0, LOSE_PARTITION = 1, LOSE_REELECT = 2 };
static const char *const lose_name[] = {"depose", "partition", "depose + re-elect"};

/* ---- 3. leader lost at each barrier step ------------------------------ */

static bool p_new_stable_leader(struct sim *s, void *arg)
{
    unsigned old = *(unsigned *)arg, L = raft_fixture_leader_index(&s->f);
    return L < s->n && L != old;
}

static bool p_step2_point(struct sim *s, void *arg)
{
    /* drain in progress: the drained writes reached every follower's log */
    unsigned L = *(unsigned *)arg, j;
    struct skv_cutover *c = &s->nd[L].n->intake.cut;
    if (c->step != SKV_CUT_DRAIN)
        return true; /* moved on (or ended): act now anyway */
    for (j = 0; j < s->n; j++)
        if (j != L && raft_last_index(sraft(&s->nd[j])) < c->drain_target)
            return false;
    return true;
}

static bool p_step4_point(struct sim *s, void *arg)
{
    /* N reached a follower's log, the leader has not applied it yet */
    unsigned L = *(unsigned *)arg, j;
    struct skv_cutover *c = &s->nd[L].n->intake.cut;
    if (c->step != SKV_CUT_WAIT_APPLY)
        return true;
    for (j = 0; j < s->n; j++)
        if (j != L && raft_last_index(sraft(&s->nd[j])) >= c->index)
            return true;
    return false;
}

/* Cut every link of node L both ways. Saturated too: the fixture only
 * counts a saturated link as "not connected" when it judges a leader
 * stable. */
static void isolate(struct sim *s, unsigned L)
{
    unsigned j;
    for (j = 0; j < s->n; j++)
        if (j != L) {
            raft_fixture_disconnect(&s->f, L, j);
            raft_fixture_disconnect(&s->f, j, L);
            raft_fixture_saturate(&s->f, L, j);
            raft_fixture_saturate(&s->f, j, L);
        }
}

static void lose_leader(struct sim *s, unsigned L, int mode)
{
    struct raft *rl = sraft(&s->nd[L]);
    if (mode == LOSE_REELECT) { /* the old leader wins the next term */
        CU_ASSERT_EQUAL_FATAL(sim_depose(s), 0);
        CU_ASSERT_EQUAL_FATAL(sim_elect(s, L), 0);
        return;
    }
    /* keep the old leader from simply winning again */
    raft_fixture_set_randomized_election_timeout(&s->f, L, SIM_LONG_ELECTION);
    if (mode == LOSE_DEPOSE) {
        CU_ASSERT_EQUAL_FATAL(sim_depose(s), 0);
        if (raft_state(rl) == RAFT_FOLLOWER)
            rl->follower_state.randomized_election_timeout = SIM_LONG_ELECTION;
    } else {
        isolate(s, L);
    }
    CU_ASSERT_TRUE(sim_until(s, p_new_stable_leader, &L, 30000));
    raft_fixture_set_randomized_election_timeout(&s->f, L, 1000 + L * 100);
}

static void heal(struct sim *s)
{
    unsigned i, j;
    for (i = 0; i < s->n; i++)
        for (j = 0; j < s->n; j++)
            if (i != j) {
                raft_fixture_reconnect(&s->f, i, j);
                raft_fixture_desaturate(&s->f, i, j);
            }
}

static void run_leader_loss(unsigned nn, int mode, int at_step)
{
    enum { K = 4 };
    struct sim *s = sim_new(nn);
    uint64_t already = 0, N, proposed;
    struct cut_res old_done;
    unsigned L, k, old_bad, bg_above = 0;
    char key[32];
    const char *err;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    fprintf(stderr, "  [%u nodes, %s at step %d]\n", nn, lose_name[mode], at_step);
    CU_ASSERT_EQUAL_FATAL(sim_enable_storage(s), 0);
    L = sim_ready_leader(s, NULL, 10000);
    CU_ASSERT_FATAL(L < s->n);
    s->bg_on = 1;
    for (k = 0; k < K; k++) {
        snprintf(key, sizeof key, "drained-%u", k);
        CU_ASSERT_PTR_NULL(sim_put(s, L, SKV_SRC_USER, key, "d", NULL));
    }
    s->trig_node = L;
    s->trig_step = at_step;
    s->trig_hit = 0;
    err = sim_enable_raft(s, L, &already);
    CU_ASSERT_PTR_NULL_FATAL(err);
    switch (at_step) {
    case 1: /* intake just closed, the drained writes not even sent */
        CU_ASSERT_TRUE(s->trig_hit);
        break;
    case 2: /* drain under way: the writes reached the followers */
        CU_ASSERT_TRUE(sim_until(s, p_step2_point, &L, 5000));
        CU_ASSERT_EQUAL(s->nd[L].n->intake.cut.step, SKV_CUT_DRAIN);
        break;
    case 3: /* the cutover entry is only in the leader's log */
        CU_ASSERT_TRUE(sim_until(s, p_trig_hit, NULL, 5000));
        break;
    default: /* the cutover entry reached a follower, not applied on the leader */
        CU_ASSERT_TRUE(sim_until(s, p_trig_hit, NULL, 5000));
        CU_ASSERT_TRUE(sim_until(s, p_step4_point, &L, 5000));
        CU_ASSERT_EQUAL(s->nd[L].n->intake.cut.step, SKV_CUT_WAIT_APPLY);
        break;
    }
    proposed = s->nd[L].n->intake.cut.index;
    lose_leader(s, L, mode);
    /* the old leader's barrier ended (reported) without a success */
    CU_ASSERT_TRUE(sim_until(s, p_cut_done, &s->nd[L], 10000));
    CU_ASSERT_EQUAL(s->nd[L].n->intake.cut.step, SKV_CUT_IDLE);
    old_done = s->nd[L].cut_res;
    if (s->nd[L].cut_res.done && s->nd[L].cut_res.rc == SKV_OK)
        fprintf(stderr, "  note: the old leader reported success at %llu\n",
                ULL(s->nd[L].cut_res.index));
    CU_ASSERT_PTR_NULL(skv_cutover_gate(&s->nd[L].n->intake.cut, SKV_SRC_USER));
    /* operator retries on the new leader until success */
    N = sim_cutover_retry(s, 8);
    CU_ASSERT_FATAL(N != 0);
    if (at_step <= 2)
        CU_ASSERT_TRUE(proposed == 0);
    if (proposed && N != proposed)
        fprintf(stderr, "  note: first cutover entry %llu lost, final cutover %llu\n",
                ULL(proposed), ULL(N));
    if (verbose())
        fprintf(stderr, "    old leader %u: proposed %llu, reported %s; new leader %u; final N %llu; "
                "wrap on old leader %d; bg %u/%u accepted; t=%llu ms, %lu steps\n", L + 1,
                ULL(proposed), old_done.rc == SKV_OK ? "success" : old_done.error,
                raft_fixture_leader_index(&s->f) + 1, ULL(N), wrap_on(&s->nd[L]), s->bg_accepted,
                s->bg_tried, ULL(raft_fixture_time(&s->f)), s->steps);
    sim_elapse(s, 500); /* clients keep writing on the new leader */
    heal(s);
    sim_elapse(s, 1500);
    s->bg_on = 0;
    for (k = 0; k < s->n_props; k++)
        if (s->props[k].bg && prop_ok(&s->props[k]) && s->props[k].index > N) {
            bg_above++;
            CU_ASSERT_TRUE(s->props[k].wrapped);
        }
    CU_ASSERT_TRUE(bg_above > 0);
    L = sim_ready_leader(s, NULL, 20000);
    CU_ASSERT_FATAL(L < s->n);
    CU_ASSERT_EQUAL(sim_put_wait(s, L, "final", "f", NULL), 0);
    CU_ASSERT_TRUE(sim_wait_all_applied(s, raft_last_applied(sraft(&s->nd[L])), 10000));
    check_final(s, N);
    for (k = 0; k < s->n; k++)
        CU_ASSERT_TRUE(value_is(&s->nd[k], "final", "f"));
    old_bad = check_bg_values(s);
    CU_ASSERT_EQUAL(old_bad, 0);
    CU_ASSERT_TRUE(s->bg_accepted > 0);
    CU_ASSERT_EQUAL(count_halted(s), 0);
    CU_ASSERT_EQUAL(s->violations, 0);
    sim_free(s);
}

static void leader_loss_all_steps(unsigned nn, int mode)
{
    int st;
    for (st = 1; st <= 4; st++)
        run_leader_loss(nn, mode, st);
}

void test_depose_3(void) { leader_loss_all_steps(3, LOSE_DEPOSE); }
void test_partition_3(void) { leader_loss_all_steps(3, LOSE_PARTITION); }
void test_depose_5(void) { leader_loss_all_steps(5, LOSE_DEPOSE); }
void test_partition_5(void) { leader_loss_all_steps(5, LOSE_PARTITION); }
void test_reelect_3(void) { leader_loss_all_steps(3, LOSE_REELECT); }
void test_reelect_5(void) { leader_loss_all_steps(5, LOSE_REELECT); }

/* ---- 4. a follower that applied the cutover leads ---------------------- */

void test_follower_leads_wraps(void)
{
    struct sim *s = sim_new(3);
    struct prop *p = NULL;
    const struct raft_entry *e;
    unsigned L, F, k;
    uint64_t N;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(sim_enable_storage(s), 0);
    N = sim_cutover(s);
    CU_ASSERT_FATAL(N != 0);
    L = raft_fixture_leader_index(&s->f);
    F = (L + 1) % s->n;
    CU_ASSERT_TRUE(wrap_on(&s->nd[F])); /* set by its own apply of N */
    CU_ASSERT_EQUAL(s->nd[F].n->intake.cut.step, SKV_CUT_IDLE);
    CU_ASSERT_EQUAL(s->nd[F].n->intake.cut.runs, 0);
    CU_ASSERT_EQUAL_FATAL(sim_depose(s), 0);
    CU_ASSERT_EQUAL_FATAL(sim_elect(s, F), 0);
    CU_ASSERT_EQUAL_FATAL(sim_ready_leader(s, NULL, 10000), F);
    CU_ASSERT_EQUAL(sim_put_wait(s, F, "from-follower", "ff", &p), 0);
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_TRUE(p->wrapped);
    e = log_get(sraft(&s->nd[F]), p->index);
    CU_ASSERT_TRUE(e && is_raft_envelope(s->nd[F].n, e));
    check_final(s, N);
    for (k = 0; k < s->n; k++)
        CU_ASSERT_TRUE(value_is(&s->nd[k], "from-follower", "ff"));
    CU_ASSERT_EQUAL(count_halted(s), 0);
    CU_ASSERT_EQUAL(s->violations, 0);
    sim_free(s);
}

/* ---- 5. new leader with N committed but not applied locally ------------ */

struct t5 {
    unsigned old;
    uint64_t N;
    unsigned window, accepted, bad;
    struct prop *first;
};

static void t5_tick(struct sim *s)
{
    struct t5 *t = s->tick_arg;
    unsigned j;
    for (j = 0; j < s->n; j++) {
        struct raft *r = sraft(&s->nd[j]);
        struct prop *p = NULL;
        const char *err;
        int had_wrap, applied;
        char key[32];
        if (j == t->old || raft_state(r) != RAFT_LEADER || t->accepted >= 3)
            continue;
        had_wrap = wrap_on(&s->nd[j]);
        applied = raft_last_applied(r) >= t->N;
        snprintf(key, sizeof key, "t5-%u", t->accepted);
        err = sim_put(s, j, SKV_SRC_USER, key, "v5", &p);
        if (err && strcmp(err, "ErrLeaderNotReady") == 0 && !applied && !had_wrap)
            t->window++; /* a leader that has N unapplied, wrap off: refused */
        if (!err && p) {
            if (!p->wrapped || !applied) {
                fprintf(stderr, "node %u accepted a proposal at %llu with wrap %d, applied %d\n",
                        j + 1, ULL(p->index), p->wrapped, applied);
                t->bad++;
            }
            if (!t->first)
                t->first = p;
            t->accepted++;
        }
    }
}

static void run_commit_not_applied(unsigned nn)
{
    struct sim *s = sim_new(nn);
    struct t5 t;
    uint64_t already = 0;
    unsigned L, j, lagging = 0, k;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(sim_enable_storage(s), 0);
    L = sim_ready_leader(s, NULL, 10000);
    CU_ASSERT_FATAL(L < s->n);
    CU_ASSERT_PTR_NULL_FATAL(sim_enable_raft(s, L, &already));
    CU_ASSERT_TRUE(sim_until(s, p_cut_done, &s->nd[L], 10000));
    CU_ASSERT_EQUAL_FATAL(s->nd[L].cut_res.rc, SKV_OK);
    memset(&t, 0, sizeof t);
    t.old = L;
    t.N = s->nd[L].cut_res.index;
    /* committed (the leader applied it); followers hold N, not applied yet */
    for (j = 0; j < s->n; j++)
        if (j != L && raft_last_index(sraft(&s->nd[j])) >= t.N &&
            raft_last_applied(sraft(&s->nd[j])) < t.N && !wrap_on(&s->nd[j]))
            lagging++;
    CU_ASSERT_TRUE(lagging > 0);
    isolate(s, L);
    s->tick = t5_tick;
    s->tick_arg = &t;
    CU_ASSERT_TRUE(sim_until(s, p_new_stable_leader, &L, 30000));
    for (k = 0; k < 200 && t.accepted < 3; k++)
        sim_elapse(s, 50);
    s->tick = NULL;
    if (verbose())
        fprintf(stderr, "    N %llu, %u lagging followers; refused while unapplied: %u; accepted %u "
                "(first at %llu)\n", ULL(t.N), lagging, t.window, t.accepted,
                ULL(t.first ? t.first->index : 0));
    CU_ASSERT_TRUE(t.window > 0);  /* the hazard was there and refused */
    CU_ASSERT_TRUE(t.accepted > 0);
    CU_ASSERT_EQUAL(t.bad, 0);
    heal(s);
    L = sim_ready_leader(s, NULL, 20000);
    CU_ASSERT_FATAL(L < s->n);
    CU_ASSERT_EQUAL(sim_put_wait(s, L, "t5-final", "f", NULL), 0);
    CU_ASSERT_TRUE(sim_wait_all_applied(s, raft_last_applied(sraft(&s->nd[L])), 10000));
    check_final(s, t.N);
    for (k = 0; k < s->n; k++)
        CU_ASSERT_TRUE(value_is(&s->nd[k], "t5-0", "v5"));
    CU_ASSERT_EQUAL(count_halted(s), 0);
    CU_ASSERT_EQUAL(s->violations, 0);
    sim_free(s);
}

void test_commit_not_applied_3(void) { run_commit_not_applied(3); }
void test_commit_not_applied_5(void) { run_commit_not_applied(5); }

