/* SPDX-License-Identifier: MIT */
/*
 * sim_halt_restart.c — scenarios 6a, 6b, 7, 8, 8b: forged / corrupted
 * ciphertext above N halts, restart takes the wrap flag from the
 * sidecar, a retried enable, a second begin.
 */
#include "sim_harness.h"

/* ---- 6. corrupted / forged ciphertext above N -------------------------- */

static bool p_all_halted(struct sim *s, void *arg)
{
    (void)arg;
    return count_halted(s) == s->n;
}

void test_forged_envelope_halts(void)
{
    struct sim *s = sim_new(3);
    struct raft_apply *req = calloc(2, sizeof *req);
    struct raft_buffer buf;
    struct skv_node *n;
    uint8_t *p;
    unsigned L, i;
    uint64_t N;
    raft_index I;
    const char *werr = NULL;
    char msg[200];
    void *pl;
    size_t len;
    struct skv_kv_op op;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(req);
    CU_ASSERT_EQUAL_FATAL(sim_enable_storage(s), 0);
    N = sim_cutover(s);
    CU_ASSERT_FATAL(N != 0);
    L = sim_ready_leader(s, NULL, 10000);
    CU_ASSERT_FATAL(L < s->n);
    n = s->nd[L].n;
    /* 40 bytes: version 1, flags 0, the real raft key_id, junk nonce/ct/tag */
    p = raft_malloc(40);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    for (i = 0; i < 40; i++)
        p[i] = (uint8_t)(i * 29u + 7u);
    p[0] = SKV_ENVELOPE_V1;
    p[1] = 0;
    p[2] = (uint8_t)(n->enc.sc.active_raft >> 24);
    p[3] = (uint8_t)(n->enc.sc.active_raft >> 16);
    p[4] = (uint8_t)(n->enc.sc.active_raft >> 8);
    p[5] = (uint8_t)n->enc.sc.active_raft;
    buf.base = p;
    buf.len = 40;
    for (i = 0; i < s->n; i++)
        s->nd[i].expect_halt = 1;
    CU_ASSERT_EQUAL_FATAL(raft_apply(sraft(&s->nd[L]), &req[0], &buf, 1, NULL), 0); /* raw */
    I = req[0].index;
    CU_ASSERT_TRUE(I > N);
    CU_ASSERT_TRUE(sim_until(s, p_all_halted, NULL, 10000));
    /* a valid wrapped entry after it commits, but nobody applies past I-1 */
    memset(&op, 0, sizeof op);
    op.op = SKV_KV_PUT;
    op.key = (const uint8_t *)"after-forged";
    op.key_len = 12;
    op.val = (const uint8_t *)"z";
    op.val_len = 1;
    CU_ASSERT_EQUAL_FATAL(skv_cmd_encode_kv(&op, &pl, &len), 0);
    CU_ASSERT_EQUAL_FATAL(skv_enc_wrap(&n->enc, &pl, &len, &werr, msg, sizeof msg), 0);
    buf.base = pl;
    buf.len = len;
    if (raft_state(sraft(&s->nd[L])) == RAFT_LEADER) {
        CU_ASSERT_EQUAL(raft_apply(sraft(&s->nd[L]), &req[1], &buf, 1, NULL), 0);
    } else {
        raft_free(pl);
    }
    sim_elapse(s, 3000);
    for (i = 0; i < s->n; i++) {
        CU_ASSERT_EQUAL(s->nd[i].n->run_state, SKV_RUN_HALTED);
        CU_ASSERT_EQUAL(raft_last_applied(sraft(&s->nd[i])), I - 1);
        CU_ASSERT_EQUAL(s->nd[i].n->fsm.applied, I - 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(s->nd[i].n->halt_reason, "does not unwrap"));
        CU_ASSERT_EQUAL(s->nd[i].n->exit_code, 3);
    }
    CU_ASSERT_STRING_EQUAL(sim_put(s, L, SKV_SRC_USER, "x", "y", NULL), "ErrHalted");
    CU_ASSERT_EQUAL(s->violations, 0);
    sim_free(s);
    free(req);
}

struct t6 {
    unsigned F;
    raft_index I;
    int flipped;
};

static void t6_tick(struct sim *s)
{
    struct t6 *t = s->tick_arg;
    struct raft *r = sraft(&s->nd[t->F]);
    const struct raft_entry *e;
    if (t->flipped || t->I == 0 || raft_last_index(r) < t->I)
        return;
    e = log_get(r, t->I);
    if (!e || raft_last_applied(r) >= t->I)
        return;
    ((uint8_t *)e->buf.base)[e->buf.len - 1] ^= 0x01; /* one tag bit, in that follower's log */
    t->flipped = 1;
}

void test_corrupt_follower_halts(void)
{
    struct sim *s = sim_new(3);
    struct prop *p = NULL, *q = NULL;
    struct t6 t;
    char key[32];
    unsigned L, i, k;
    uint64_t N;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(sim_enable_storage(s), 0);
    N = sim_cutover(s);
    CU_ASSERT_FATAL(N != 0);
    L = sim_ready_leader(s, NULL, 10000);
    CU_ASSERT_FATAL(L < s->n);
    memset(&t, 0, sizeof t);
    t.F = (L + 1) % s->n;
    s->nd[t.F].expect_halt = 1;
    s->tick = t6_tick;
    s->tick_arg = &t;
    CU_ASSERT_PTR_NULL_FATAL(sim_put(s, L, SKV_SRC_USER, "victim", "v", &p));
    t.I = p->index;
    CU_ASSERT_TRUE(sim_until(s, p_prop_done, p, 5000));
    CU_ASSERT_TRUE(prop_ok(p));
    for (k = 0; k < 3; k++) {
        snprintf(key, sizeof key, "later-%u", k);
        CU_ASSERT_PTR_NULL(sim_put(s, L, SKV_SRC_USER, key, "l", &q));
        if (q)
            CU_ASSERT_TRUE(sim_until(s, p_prop_done, q, 5000));
    }
    sim_elapse(s, 2000);
    s->tick = NULL;
    CU_ASSERT_TRUE(t.flipped);
    CU_ASSERT_EQUAL(s->nd[t.F].n->run_state, SKV_RUN_HALTED);
    CU_ASSERT_EQUAL(raft_last_applied(sraft(&s->nd[t.F])), t.I - 1);
    CU_ASSERT_EQUAL(s->nd[t.F].n->fsm.applied, t.I - 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(s->nd[t.F].n->halt_reason, "does not unwrap"));
    fprintf(stderr, "  halted follower %u: %s\n", t.F + 1, s->nd[t.F].n->halt_reason);
    for (i = 0; i < s->n; i++) {
        if (i == t.F)
            continue;
        CU_ASSERT_EQUAL(s->nd[i].n->run_state == SKV_RUN_HALTED, 0);
        CU_ASSERT_TRUE(q && raft_last_applied(sraft(&s->nd[i])) >= q->index);
        CU_ASSERT_TRUE(value_is(&s->nd[i], "victim", "v"));
        CU_ASSERT_TRUE(value_is(&s->nd[i], "later-2", "l"));
    }
    CU_ASSERT_EQUAL(s->violations, 0);
    sim_free(s);
}

/* ---- 7. start-up wrap flag from the sidecar ----------------------------- */

static int reopen(struct sim *s, unsigned i)
{
    struct snode *sn = &s->nd[i];
    node_close(sn);
    if (node_open(sn) != 0)
        return -1;
    cut_attach(sn);
    return 0;
}

void test_restart_wrap_from_sidecar(void)
{
    struct sim *s = sim_new(3);
    const struct skv_sidecar_key *key;
    struct skv_writer_reg regs[2];
    struct prop *p = NULL, *rp = NULL;
    const struct raft_entry *e;
    struct skv_envelope_hdr h;
    struct skv_enc_err ee;
    unsigned L, F, k;
    uint64_t N;
    void *pl = NULL;
    size_t len = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(sim_enable_storage(s), 0);
    L = sim_ready_leader(s, NULL, 10000);
    F = (L + 1) % s->n;
    /* before the cutover: a restart comes up with wrap off */
    CU_ASSERT_EQUAL_FATAL(reopen(s, F), 0);
    CU_ASSERT_FALSE(wrap_on(&s->nd[F]));
    CU_ASSERT_EQUAL(skv_enc_cutover(&s->nd[F].n->enc), 0);
    CU_ASSERT_TRUE(skv_enc_bootstrapped(&s->nd[F].n->enc));
    CU_ASSERT_EQUAL(sim_put_wait(s, L, "k-before", "b", NULL), 0);
    CU_ASSERT_TRUE(value_is(&s->nd[F], "k-before", "b"));
    N = sim_cutover(s);
    CU_ASSERT_FATAL(N != 0);
    /* after: the sidecar's cutover turns wrap on at start-up */
    CU_ASSERT_EQUAL_FATAL(reopen(s, F), 0);
    CU_ASSERT_TRUE(wrap_on(&s->nd[F]));
    CU_ASSERT_EQUAL(skv_enc_cutover(&s->nd[F].n->enc), N);
    CU_ASSERT_EQUAL(s->nd[F].n->enc.sc.raft_envelope_cutover_index, N);
    CU_ASSERT_EQUAL(sim_put_wait(s, L, "k-after", "a", NULL), 0);
    CU_ASSERT_TRUE(value_is(&s->nd[F], "k-after", "a"));
    /* the restarted node leads: its proposals (its writer registration at
     * the bumped epoch first, as enc_ops.c does) are wrapped with its own
     * node16 ‖ epoch nonces */
    CU_ASSERT_EQUAL_FATAL(sim_depose(s), 0);
    CU_ASSERT_EQUAL_FATAL(sim_elect(s, F), 0);
    CU_ASSERT_EQUAL_FATAL(sim_ready_leader(s, NULL, 10000), F);
    for (k = 0; k < 2; k++) {
        uint32_t id = k ? s->nd[F].n->enc.sc.active_raft : s->nd[F].n->enc.sc.active_storage;
        key = skv_sidecar_find(&s->nd[F].n->enc.sc, id);
        CU_ASSERT_PTR_NOT_NULL_FATAL(key);
        CU_ASSERT_TRUE(key->local_epoch >= 3); /* bumped by each of the two restarts */
        regs[k].key_id = id;
        regs[k].node_id = F + 1;
        regs[k].local_epoch = key->local_epoch;
    }
    CU_ASSERT_EQUAL_FATAL(skv_writers_encode_reg(regs, 2, &pl, &len), SKV_OK);
    CU_ASSERT_PTR_NULL(sim_propose(s, F, SKV_SRC_ADMIN, pl, len, &rp));
    CU_ASSERT_EQUAL(sim_put_wait(s, F, "k-led", "l", &p), 0);
    CU_ASSERT_TRUE(rp && prop_ok(rp) && rp->wrapped);
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_TRUE(p->wrapped);
    e = log_get(sraft(&s->nd[F]), p->index);
    memset(&h, 0, sizeof h);
    memset(&ee, 0, sizeof ee);
    CU_ASSERT_TRUE_FATAL(e && skv_envelope_parse(e->buf.base, e->buf.len, &h, &ee) == SKV_OK);
    key = skv_sidecar_find(&s->nd[F].n->enc.sc, h.key_id);
    CU_ASSERT_PTR_NOT_NULL_FATAL(key);
    CU_ASSERT_EQUAL(((unsigned)h.nonce[0] << 8) | h.nonce[1], skv_node_id16(F + 1));
    CU_ASSERT_EQUAL(((unsigned)h.nonce[2] << 8) | h.nonce[3], key->local_epoch);
    CU_ASSERT_TRUE(sim_wait_all_applied(s, p->index, 5000));
    check_final(s, N);
    for (k = 0; k < s->n; k++) {
        CU_ASSERT_TRUE(value_is(&s->nd[k], "k-before", "b"));
        CU_ASSERT_TRUE(value_is(&s->nd[k], "k-after", "a"));
        CU_ASSERT_TRUE(value_is(&s->nd[k], "k-led", "l"));
    }
    CU_ASSERT_EQUAL(count_halted(s), 0);
    CU_ASSERT_EQUAL(s->violations, 0);
    sim_free(s);
}

/* ---- 8. a retried enable after success ---------------------------------- */

void test_retry_after_success(void)
{
    struct sim *s = sim_new(3);
    uint64_t N, already = 0;
    unsigned L, F, i;
    const char *err;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(sim_enable_storage(s), 0);
    N = sim_cutover(s);
    CU_ASSERT_FATAL(N != 0);
    L = sim_ready_leader(s, NULL, 10000);
    CU_ASSERT_FATAL(L < s->n);
    for (i = 0; i < s->n; i++) { /* leader and followers alike answer the one index */
        already = 0;
        err = sim_enable_raft(s, i, &already);
        CU_ASSERT_TRUE(err && strcmp(err, "AlreadyActive") == 0);
        CU_ASSERT_EQUAL(already, N);
    }
    CU_ASSERT_EQUAL(s->nd[L].n->intake.cut.runs, 1);
    /* and after a leader change */
    F = (L + 1) % s->n;
    CU_ASSERT_EQUAL_FATAL(sim_depose(s), 0);
    CU_ASSERT_EQUAL_FATAL(sim_elect(s, F), 0);
    CU_ASSERT_EQUAL_FATAL(sim_ready_leader(s, NULL, 10000), F);
    already = 0;
    CU_ASSERT_EQUAL(sim_cutover_retry(s, 3), N);
    err = sim_enable_raft(s, F, &already);
    CU_ASSERT_TRUE(err && strcmp(err, "AlreadyActive") == 0);
    CU_ASSERT_EQUAL(already, N);
    CU_ASSERT_EQUAL(s->nd[F].n->intake.cut.runs, 0);
    CU_ASSERT_EQUAL(sim_put_wait(s, F, "after-retry", "r", NULL), 0);
    check_final(s, N);
    CU_ASSERT_EQUAL(count_halted(s), 0);
    CU_ASSERT_EQUAL(s->violations, 0);
    sim_free(s);
}

/* The barrier itself (skv_cutover_begin) started again after a completed
 * cutover, bypassing enc_ops.c's prechecks: it must be refused up front
 * (a raw 0x05/5 above N would land cleartext and halt every replica). */
void test_second_begin_after_success(void)
{
    struct sim *s = sim_new(3);
    uint64_t N;
    unsigned L, i;
    int rc;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(sim_enable_storage(s), 0);
    N = sim_cutover(s);
    CU_ASSERT_FATAL(N != 0);
    L = sim_ready_leader(s, NULL, 10000);
    CU_ASSERT_FATAL(L < s->n);
    memset(&s->nd[L].cut_res, 0, sizeof s->nd[L].cut_res);
    for (i = 0; i < s->n; i++)
        s->nd[i].expect_halt = 1; /* judged below, not by the observer */
    rc = skv_cutover_begin(&s->nd[L].n->intake.cut, cut_done, &s->nd[L]);
    if (rc == SKV_OK)
        sim_until(s, p_cut_done, &s->nd[L], 10000);
    sim_elapse(s, 1000);
    fprintf(stderr, "  second begin: rc %d, done %d (rc %d %s, index %llu), halted %u/%u\n", rc,
            s->nd[L].cut_res.done, s->nd[L].cut_res.rc, s->nd[L].cut_res.error,
            ULL(s->nd[L].cut_res.index), count_halted(s), s->n);
    /* either refused up front, or the FSM answers AlreadyActive; never a
     * cleartext entry above N that halts the replicas */
    CU_ASSERT_EQUAL(count_halted(s), 0);
    for (i = 0; i < s->n; i++)
        CU_ASSERT_EQUAL(skv_enc_cutover(&s->nd[i].n->enc), N);
    sim_free(s);
}

