/* SPDX-License-Identifier: MIT */
/*
 * sim_snapshot.c — scenarios 9, 9b: catch-up by snapshot of a follower
 * that missed N and of a new member.
 */
#include "sim_harness.h"

/* ---- 9. a follower that missed the cutover catches up by snapshot ---- */

void test_snapshot_catch_up(void)
{
    struct sim *s = sim_new(3);
    struct raft *rf;
    char key[32], val[32];
    unsigned L, F, i, k;
    raft_index target;
    uint64_t N;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(sim_enable_storage(s), 0);
    L = sim_ready_leader(s, NULL, 10000);
    CU_ASSERT_FATAL(L < s->n);
    F = (L + 1) % s->n;
    rf = sraft(&s->nd[F]);
    for (i = 0; i < s->n; i++) {
        raft_set_snapshot_threshold(sraft(&s->nd[i]), 8);
        raft_set_snapshot_trailing(sraft(&s->nd[i]), 2);
    }
    CU_ASSERT_EQUAL(sim_put_wait(s, L, "snap-pre", "p", NULL), 0);
    raft_fixture_kill(&s->f, F);
    N = sim_cutover(s);
    CU_ASSERT_FATAL(N != 0);
    for (k = 0; k < 24; k++) {
        snprintf(key, sizeof key, "snap-%u", k);
        snprintf(val, sizeof val, "w%u", k);
        CU_ASSERT_EQUAL(sim_put_wait(s, L, key, val, NULL), 0);
    }
    /* the leader compacted past everything the follower has */
    CU_ASSERT_TRUE(sraft(&s->nd[L])->log.offset > raft_last_index(rf));
    CU_ASSERT_EQUAL(skv_enc_cutover(&s->nd[F].n->enc), 0);
    raft_fixture_revive(&s->f, F);
    target = raft_last_applied(sraft(&s->nd[L]));
    CU_ASSERT_TRUE(sim_wait_all_applied(s, target, 20000));
    CU_ASSERT_TRUE(rf->log.snapshot.last_index >= N); /* installed, not replayed */
    CU_ASSERT_EQUAL(skv_enc_cutover(&s->nd[F].n->enc), N);
    CU_ASSERT_TRUE(wrap_on(&s->nd[F]));
    CU_ASSERT_EQUAL(sim_put_wait(s, L, "snap-post", "q", NULL), 0);
    check_final(s, N);
    for (i = 0; i < s->n; i++) {
        CU_ASSERT_TRUE(value_is(&s->nd[i], "snap-pre", "p"));
        CU_ASSERT_TRUE(value_is(&s->nd[i], "snap-23", "w23"));
        CU_ASSERT_TRUE(value_is(&s->nd[i], "snap-post", "q"));
    }
    /* the snapshot-restored follower leads and wraps */
    CU_ASSERT_EQUAL_FATAL(sim_depose(s), 0);
    CU_ASSERT_EQUAL_FATAL(sim_elect(s, F), 0);
    CU_ASSERT_EQUAL_FATAL(sim_ready_leader(s, NULL, 10000), F);
    CU_ASSERT_EQUAL(sim_put_wait(s, F, "snap-led", "r", NULL), 0);
    for (i = 0; i < s->n; i++)
        CU_ASSERT_TRUE(value_is(&s->nd[i], "snap-led", "r"));
    check_final(s, N);
    CU_ASSERT_EQUAL(count_halted(s), 0);
    CU_ASSERT_EQUAL(s->violations, 0);
    sim_free(s);
}

/* A brand-new member joins after the cutover: the member gate registers
 * it as a writer (a wrapped 0x03 above N), it is added as a voter and
 * catches up by snapshot, adopting the boundary, the DEKs and the flags. */
struct change_req {
    struct raft_change req;
    int done, status;
};

static void change_cb(struct raft_change *req, int status)
{
    struct change_req *c = req->data;
    c->done = 1;
    c->status = status;
}

static bool p_change_done(struct sim *s, void *arg)
{
    (void)s;
    return ((struct change_req *)arg)->done;
}

static struct raft_transfer t9_transfer;
static int t9_transferred;

static void t9_transfer_cb(struct raft_transfer *req)
{
    (void)req;
    t9_transferred = 1;
}

void test_new_member_by_snapshot(void)
{
    struct sim *s = sim_new(3);
    struct change_req add, assign;
    struct skv_writer_reg regs[2];
    struct prop *rp = NULL;
    struct raft *rl;
    char key[32], val[32], addr[16];
    unsigned L, M = 3, i, k;
    uint64_t N;
    void *pl = NULL;
    size_t len = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(sim_enable_storage(s), 0);
    N = sim_cutover(s);
    CU_ASSERT_FATAL(N != 0);
    L = sim_ready_leader(s, NULL, 10000);
    CU_ASSERT_FATAL(L < s->n);
    rl = sraft(&s->nd[L]);
    for (i = 0; i < s->n; i++) {
        raft_set_snapshot_threshold(sraft(&s->nd[i]), 8);
        raft_set_snapshot_trailing(sraft(&s->nd[i]), 2);
    }
    /* the member gate (enc_ops.c skv_enc_member_gate): epoch-1 registrations */
    regs[0].key_id = s->nd[L].n->enc.sc.active_storage;
    regs[1].key_id = s->nd[L].n->enc.sc.active_raft;
    regs[0].node_id = regs[1].node_id = M + 1;
    regs[0].local_epoch = regs[1].local_epoch = 1;
    CU_ASSERT_EQUAL_FATAL(skv_writers_encode_reg(regs, 2, &pl, &len), SKV_OK);
    CU_ASSERT_PTR_NULL_FATAL(sim_propose(s, L, SKV_SRC_ADMIN, pl, len, &rp));
    CU_ASSERT_TRUE(rp->wrapped && rp->index > N);
    for (k = 0; k < 16; k++) {
        snprintf(key, sizeof key, "m-%u", k);
        snprintf(val, sizeof val, "mv%u", k);
        CU_ASSERT_EQUAL(sim_put_wait(s, L, key, val, NULL), 0);
    }
    CU_ASSERT_TRUE(prop_ok(rp));
    CU_ASSERT_TRUE(rl->log.offset > N); /* N itself is compacted away */
    CU_ASSERT_EQUAL_FATAL(sim_add_node(s, M), 0);
    s->n = M + 1;
    raft_set_snapshot_threshold(sraft(&s->nd[M]), 8);
    raft_set_snapshot_trailing(sraft(&s->nd[M]), 2);
    CU_ASSERT_EQUAL_FATAL(raft_start(sraft(&s->nd[M])), 0);
    memset(&add, 0, sizeof add);
    memset(&assign, 0, sizeof assign);
    add.req.data = &add;
    assign.req.data = &assign;
    snprintf(addr, sizeof addr, "%u", M + 1);
    CU_ASSERT_EQUAL_FATAL(raft_add(rl, &add.req, M + 1, addr, change_cb), 0);
    CU_ASSERT_TRUE(sim_until(s, p_change_done, &add, 10000));
    CU_ASSERT_EQUAL_FATAL(add.status, 0);
    CU_ASSERT_EQUAL_FATAL(raft_assign(rl, &assign.req, M + 1, RAFT_VOTER, change_cb), 0);
    CU_ASSERT_TRUE(sim_until(s, p_change_done, &assign, 20000));
    CU_ASSERT_EQUAL(assign.status, 0);
    CU_ASSERT_EQUAL(sim_put_wait(s, L, "m-post", "mp", NULL), 0);
    CU_ASSERT_TRUE(sim_wait_all_applied(s, raft_last_applied(rl), 10000));
    CU_ASSERT_TRUE(sraft(&s->nd[M])->log.snapshot.last_index >= N);
    CU_ASSERT_EQUAL(skv_enc_cutover(&s->nd[M].n->enc), N);
    CU_ASSERT_TRUE(wrap_on(&s->nd[M]));
    CU_ASSERT_TRUE(skv_enc_bootstrapped(&s->nd[M].n->enc));
    CU_ASSERT_TRUE(s->nd[M].n->enc.sc.storage_envelope_active);
    check_final(s, N);
    for (i = 0; i < s->n; i++) {
        CU_ASSERT_TRUE(value_is(&s->nd[i], "m-0", "mv0"));
        CU_ASSERT_TRUE(value_is(&s->nd[i], "m-post", "mp"));
    }
    /* the newcomer leads (leadership transfer): it wraps with its own nonces */
    memset(&t9_transfer, 0, sizeof t9_transfer);
    t9_transferred = 0;
    CU_ASSERT_EQUAL_FATAL(raft_transfer(rl, &t9_transfer, M + 1, t9_transfer_cb), 0);
    CU_ASSERT_EQUAL_FATAL(sim_ready_leader(s, &L, 10000), M);
    CU_ASSERT_TRUE(t9_transferred);
    CU_ASSERT_EQUAL(sim_put_wait(s, M, "m-led", "ml", NULL), 0);
    for (i = 0; i < s->n; i++)
        CU_ASSERT_TRUE(value_is(&s->nd[i], "m-led", "ml"));
    check_final(s, N);
    CU_ASSERT_EQUAL(count_halted(s), 0);
    CU_ASSERT_EQUAL(s->violations, 0);
    sim_free(s);
}

