/* SPDX-License-Identifier: MIT */
/*
 * sim_steps.c — stepping the simulated cluster (bounded by simulated
 * time), predicates, elections, the enable-storage-envelope / enable-
 * raft-envelope mirror of core/admin/enc_ops.c and the final checks.
 */
#include "sim_harness.h"

/* ---- stepping ------------------------------------------------------- */

struct pred_box {
    struct sim *s;
    sim_pred pred;
    void *arg;
};

static bool pred_tramp(struct raft_fixture *f, void *arg)
{
    struct pred_box *b = arg;
    (void)f;
    return b->pred(b->s, b->arg);
}

/* Step until pred holds or max_ms of simulated time passed. */
bool sim_until(struct sim *s, sim_pred pred, void *arg, unsigned max_ms)
{
    struct pred_box b = {s, pred, arg};
    if (pred(s, arg))
        return true;
    return raft_fixture_step_until(&s->f, pred_tramp, &b, max_ms);
}

void sim_elapse(struct sim *s, unsigned ms)
{
    raft_fixture_step_until_elapsed(&s->f, ms);
}

bool p_prop_done(struct sim *s, void *arg)
{
    (void)s;
    return ((struct prop *)arg)->done;
}

bool p_cut_done(struct sim *s, void *arg)
{
    (void)s;
    return ((struct snode *)arg)->cut_res.done;
}

bool p_trig_hit(struct sim *s, void *arg)
{
    (void)arg;
    return s->trig_hit;
}

/* Every open, non-halted node applied *(raft_index *)arg. */
bool p_all_applied(struct sim *s, void *arg)
{
    raft_index idx = *(raft_index *)arg;
    unsigned i;
    for (i = 0; i < s->n; i++)
        if (s->nd[i].open && s->nd[i].n->run_state != SKV_RUN_HALTED &&
            raft_fixture_alive(&s->f, i) && raft_last_applied(sraft(&s->nd[i])) < idx)
            return false;
    return true;
}

/* A stable leader (per the fixture) that is ready; arg: unsigned to avoid, or NULL. */
bool p_ready_leader(struct sim *s, void *arg)
{
    unsigned L = raft_fixture_leader_index(&s->f);
    if (L >= s->n || (arg && *(unsigned *)arg == L))
        return false;
    return is_ready(&s->nd[L]);
}

unsigned sim_ready_leader(struct sim *s, const unsigned *avoid, unsigned max_ms)
{
    if (!sim_until(s, p_ready_leader, (void *)avoid, max_ms))
        return s->n;
    return raft_fixture_leader_index(&s->f);
}

int sim_wait_all_applied(struct sim *s, raft_index idx, unsigned max_ms)
{
    return sim_until(s, p_all_applied, &idx, max_ms);
}

/* raft_fixture_depose / _elect only assert() their preconditions (and
 * libraft may be built without asserts): check them here. 0 on success. */
int sim_depose(struct sim *s)
{
    unsigned L = raft_fixture_leader_index(&s->f);
    if (L >= s->n || raft_state(sraft(&s->nd[L])) != RAFT_LEADER)
        return -1;
    raft_fixture_depose(&s->f);
    return s->f.leader_id == 0 ? 0 : -1;
}

int sim_elect(struct sim *s, unsigned i)
{
    unsigned j;
    if (s->f.leader_id != 0)
        return -1;
    for (j = 0; j < s->n; j++)
        if (raft_fixture_alive(&s->f, j) && raft_state(sraft(&s->nd[j])) != RAFT_FOLLOWER)
            return -1;
    raft_fixture_elect(&s->f, i);
    return raft_fixture_leader_index(&s->f) == i ? 0 : -1;
}

/* Put through the leader and wait until every node applied it. */
int sim_put_wait(struct sim *s, unsigned L, const char *key, const char *val, struct prop **out)
{
    struct prop *p = NULL;
    const char *err = sim_put(s, L, SKV_SRC_USER, key, val, &p);
    if (out)
        *out = p;
    if (err) {
        fprintf(stderr, "put %s on node %u refused: %s\n", key, L + 1, err);
        return -1;
    }
    if (!sim_until(s, p_prop_done, p, 5000) || !prop_ok(p) ||
        !sim_wait_all_applied(s, p->index, 5000)) {
        fprintf(stderr, "put %s at %llu did not apply everywhere (status %d)\n", key,
                ULL(p->index), p->status);
        return -1;
    }
    return 0;
}

int value_is(struct snode *sn, const char *key, const char *val)
{
    struct skv_err e = {0, ""};
    uint8_t *v = NULL;
    size_t vl = 0;
    int ok;
    if (skv_fsm_get(&sn->n->fsm, (const uint8_t *)key, strlen(key), &v, &vl, NULL, &e) != SKV_OK) {
        fprintf(stderr, "node %u: get %s: %s\n", sn->i + 1, key, e.msg);
        return 0;
    }
    ok = vl == strlen(val) && memcmp(v, val, vl) == 0;
    if (!ok)
        fprintf(stderr, "node %u: %s = '%.*s', expected '%s'\n", sn->i + 1, key, (int)vl,
                (const char *)v, val);
    free(v);
    return ok;
}

/* Every successful background write reads back on every open, non-halted node. */
unsigned check_bg_values(struct sim *s)
{
    unsigned i, k, bad = 0, good = 0;
    for (k = 0; k < s->n_props; k++) {
        struct prop *p = &s->props[k];
        if (!p->bg || !prop_ok(p))
            continue;
        good++;
        for (i = 0; i < s->n; i++)
            if (s->nd[i].open && s->nd[i].n->run_state != SKV_RUN_HALTED &&
                !value_is(&s->nd[i], p->key, p->val))
                bad++;
    }
    (void)good;
    return bad;
}

/* ---- enable-storage-envelope / enable-raft-envelope (enc_ops.c) ------ */

/* Bootstrap 0x04 (fresh DEKs from the leader's keystore, epoch-1
 * registrations for every node) then the flag 0x05/4, both source=admin. */
int sim_enable_storage(struct sim *s)
{
    unsigned L = sim_ready_leader(s, NULL, 10000), i;
    struct skv_enc_bootstrap b;
    struct skv_enc_err ee;
    struct skv_node *n;
    struct prop *pb = NULL, *pf = NULL;
    void *p = NULL;
    size_t len = 0;
    if (L >= s->n)
        return -1;
    n = s->nd[L].n;
    memset(&b, 0, sizeof b);
    memset(&ee, 0, sizeof ee);
    snprintf(b.suite, sizeof b.suite, "%s", n->enc.suite);
    b.created_ms = 1700000000000ull;
    if (skv_keystore_new_dek(n->enc.ks, SKV_PURPOSE_STORAGE, b.suite, &b.storage_id,
                             b.storage_wrapped, &ee) != SKV_OK ||
        skv_keystore_new_dek(n->enc.ks, SKV_PURPOSE_RAFT, b.suite, &b.raft_id, b.raft_wrapped,
                             &ee) != SKV_OK || b.storage_id == b.raft_id) {
        fprintf(stderr, "new_dek: %s\n", ee.err.msg);
        return -1;
    }
    b.regs = calloc(2 * s->n, sizeof *b.regs);
    if (!b.regs)
        return -1;
    for (i = 0; i < s->n; i++) {
        b.regs[b.n_regs].key_id = b.storage_id;
        b.regs[b.n_regs].node_id = i + 1;
        b.regs[b.n_regs++].local_epoch = 1;
        b.regs[b.n_regs].key_id = b.raft_id;
        b.regs[b.n_regs].node_id = i + 1;
        b.regs[b.n_regs++].local_epoch = 1;
    }
    i = (unsigned)skv_enc_encode_bootstrap(&b, &p, &len);
    free(b.regs);
    if (i != 0 || sim_propose(s, L, SKV_SRC_ADMIN, p, len, &pb) != NULL)
        return -1;
    if (skv_enc_encode_rotation(SKV_ROT_ENABLE_STORAGE, &p, &len) != 0 ||
        sim_propose(s, L, SKV_SRC_ADMIN, p, len, &pf) != NULL)
        return -1;
    if (!sim_until(s, p_prop_done, pf, 5000) || !prop_ok(pb) || !prop_ok(pf) ||
        !sim_wait_all_applied(s, pf->index, 5000))
        return -1;
    for (i = 0; i < s->n; i++)
        if (!skv_enc_bootstrapped(&s->nd[i].n->enc) ||
            !s->nd[i].n->enc.sc.storage_envelope_active)
            return -1;
    return 0;
}

/* enable-raft-envelope on node i (skv_op_enc_enable_raft + raft_cap_done,
 * capability fan-out elided): NULL when the barrier started (its outcome
 * lands in nd[i].cut_res), "AlreadyActive" with *already, or the error. */
const char *sim_enable_raft(struct sim *s, unsigned i, uint64_t *already)
{
    struct snode *sn = &s->nd[i];
    struct skv_node *n = sn->n;
    if (!(n->enc.enabled && n->enc.ks))
        return "ErrEncryptionDisabled";
    if (!skv_enc_bootstrapped(&n->enc))
        return "ErrEncryptionNotBootstrapped";
    if (skv_enc_cutover(&n->enc) != 0) {
        *already = skv_enc_cutover(&n->enc);
        return "AlreadyActive";
    }
    if (n->intake.cut.step != SKV_CUT_IDLE)
        return "ErrEnvelopeCutoverInProgress";
    if (raft_state(sraft(sn)) != RAFT_LEADER)
        return "ErrNotLeader"; /* the core forwards to the leader */
    /* capability fan-out: every simulated node is capable */
    if (skv_enc_cutover(&n->enc) != 0) {
        *already = skv_enc_cutover(&n->enc);
        return "AlreadyActive";
    }
    memset(&sn->cut_res, 0, sizeof sn->cut_res);
    if (!skv_intake_ready(&n->intake) || skv_cutover_begin(&n->intake.cut, cut_done, sn) != SKV_OK)
        return "ErrEnvelopeCutoverInProgress";
    return NULL;
}

/* Operator loop: retry enable-raft-envelope on the current leader until it
 * reports success (or already active). Returns the index, 0 on failure. */
uint64_t sim_cutover_retry(struct sim *s, unsigned attempts)
{
    unsigned a;
    for (a = 0; a < attempts; a++) {
        uint64_t already = 0;
        unsigned L = sim_ready_leader(s, NULL, 20000);
        const char *err;
        if (L >= s->n)
            continue;
        err = sim_enable_raft(s, L, &already);
        if (err && strcmp(err, "AlreadyActive") == 0)
            return already;
        if (err) {
            sim_elapse(s, 200);
            continue;
        }
        if (!sim_until(s, p_cut_done, &s->nd[L], 15000))
            continue;
        if (s->nd[L].cut_res.rc == SKV_OK)
            return s->nd[L].cut_res.index;
        fprintf(stderr, "cutover attempt %u on node %u: %s\n", a + 1, L + 1,
                s->nd[L].cut_res.error);
    }
    return 0;
}

/* Drive the happy-path cutover on the current leader; returns N or 0. */
uint64_t sim_cutover(struct sim *s)
{
    uint64_t N = sim_cutover_retry(s, 3);
    if (N && !sim_wait_all_applied(s, N, 5000))
        return 0;
    return N;
}

unsigned count_halted(struct sim *s)
{
    unsigned i, k = 0;
    for (i = 0; i < s->n; i++)
        if (s->nd[i].open && s->nd[i].n->run_state == SKV_RUN_HALTED)
            k++;
    return k;
}

/* Final scan of every node's applied log against the final cutover N. */
void check_final(struct sim *s, uint64_t N)
{
    unsigned i;
    for (i = 0; i < s->n; i++) {
        struct snode *sn = &s->nd[i];
        struct raft *r = sraft(sn);
        const struct raft_entry *e;
        raft_index k;
        if (!sn->open)
            continue;
        CU_ASSERT_EQUAL(skv_enc_cutover(&sn->n->enc), N);
        CU_ASSERT_EQUAL(sn->n->enc.sc.raft_envelope_cutover_index, N);
        CU_ASSERT_TRUE(wrap_on(sn));
        e = log_get(r, N);
        if (e || r->log.offset < N) /* unless compacted into a snapshot */
            CU_ASSERT_TRUE(e != NULL && is_cutover_entry(e)); /* strict >: N is cleartext */
        for (k = N + 1; k <= raft_last_applied(r); k++)
            if ((e = log_get(r, k)) && e->type == RAFT_COMMAND && !is_raft_envelope(sn->n, e)) {
                fprintf(stderr, "node %u: applied entry %llu above %llu is cleartext\n", i + 1,
                        ULL(k), ULL(N));
                CU_FAIL("cleartext above the cutover");
            }
    }
}

