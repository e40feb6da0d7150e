/* SPDX-License-Identifier: MIT */
/*
 * sim_harness.h — the Phase-2 cutover simulation's harness (see
 * test_cutover_sim.c for what is simulated and checked): the simulated
 * cluster (struct sim, one struct snode per node over a raft_fixture
 * server, each a real struct skv_node), proposals through the production
 * intake, the per-step hook (node tick + observer), stepping and
 * predicates, the enc_ops mirror. Scenario files include only this.
 */
#ifndef SKV_SIM_HARNESS_H
#define SKV_SIM_HARNESS_H

#include "skv_test.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include <raft.h>
#include <raft/fixture.h>

#include "cmd/command.h"
#include "config/config.h"
#include "intake/cutover.h"
#include "enc/enc.h"
#include "cmd/enc_cmd.h"
#include "crypto/envelope.h"
#include "fsm/fsm.h"
#include "node/node.h"
#include "crypto/nonce.h"
#include "intake/intake.h"
#include "enc/sidecar.h"
#include "cmd/writers.h"

#define SIM_MAX 5
#define SIM_PROPS 4096
#define SIM_BG_EVERY_MS 40      /* background writer: one try per leader per 40 ms */
#define SIM_BG_MAX 120          /* ... at most this many accepted writes per sim */
#define SIM_CUT_TIMEOUT_MS 5000  /* the core uses 5 election timeouts */
#define SIM_LONG_ELECTION 8000   /* keeps a node from winning the next election */

#define ULL(x) ((unsigned long long)(x))


struct sim;

struct prop {
    struct sim *s;
    unsigned node;
    int done, status, wrapped, bg;
    const char *result;
    raft_index index;
    char key[32], val[32];
};

struct cut_res {
    int done, rc;
    char error[64];
    uint64_t index;
};

struct snode {
    struct sim *s;
    unsigned i;
    struct skv_node *n;
    struct skv_config conf;
    int open;
    char dir[600], yaml[640];

    /* observer */
    raft_index checked;
    uint64_t seen_cut;
    int expect_halt, halt_reported;

    /* barrier observation (cut.on_step) */
    struct cut_res cut_res;
    unsigned steps_seen;                 /* bit per enum skv_cut_step */
    raft_index applied_at[8], last_at[8];
    const char *gate_user_at[8], *gate_admin_at[8];
};

struct sim {
    struct raft_fixture f; /* first member: the hook gets the sim back from it */
    unsigned n;
    struct snode nd[SIM_MAX];
    char *root;
    char kek[600];
    struct prop *props;
    unsigned n_props;
    unsigned violations;
    unsigned long steps;

    /* background user writer (every leader, every SIM_BG_EVERY_MS) */
    int bg_on;
    raft_time bg_next;
    unsigned bg_seq, bg_tried, bg_accepted;

    /* on_step trigger: set trig_hit when trig_node enters trig_step */
    int trig_step, trig_hit;
    unsigned trig_node;

    /* per-test extra work after every step */
    void (*tick)(struct sim *s);
    void *tick_arg;
};


/* a condition sim_until steps towards */
typedef bool (*sim_pred)(struct sim *s, void *arg);

/* sim_harness.c: helpers, proposals, the hook, the barrier's seams, open/close */
int verbose(void);
__attribute__((format(printf, 2, 3)))
void violation(struct sim *s, const char *fmt, ...);
struct raft *sraft(struct snode *sn);
const struct raft_entry *log_get(struct raft *r, raft_index index);
int is_raft_envelope(struct skv_node *n, const struct raft_entry *e);
int is_cutover_entry(const struct raft_entry *e);
int wrap_on(struct snode *sn);
int is_ready(struct snode *sn);
const char *sim_propose(struct sim *s, unsigned i, int source, void *payload, size_t len,
                        struct prop **out);
const char *sim_put(struct sim *s, unsigned i, int source, const char *key,
                    const char *val, struct prop **out);
int prop_ok(const struct prop *p);
void sim_hook(struct raft_fixture *f, struct raft_fixture_event *ev);
uint64_t sim_now(void *host);
void sim_on_step(void *host, int step);
void cut_done(void *arg, int rc, const char *error, const char *message, uint64_t index);
void sim_free(struct sim *s);
struct sim *sim_new(unsigned nn);
void cut_attach(struct snode *sn);
int node_open(struct snode *sn);
void node_close(struct snode *sn);
int sim_add_node(struct sim *s, unsigned i);

/* sim_steps.c: stepping, predicates, enable-storage/raft-envelope, final checks */
bool sim_until(struct sim *s, sim_pred pred, void *arg, unsigned max_ms);
void sim_elapse(struct sim *s, unsigned ms);
bool p_prop_done(struct sim *s, void *arg);
bool p_cut_done(struct sim *s, void *arg);
bool p_trig_hit(struct sim *s, void *arg);
bool p_all_applied(struct sim *s, void *arg);
bool p_ready_leader(struct sim *s, void *arg);
unsigned sim_ready_leader(struct sim *s, const unsigned *avoid, unsigned max_ms);
int sim_wait_all_applied(struct sim *s, raft_index idx, unsigned max_ms);
int sim_depose(struct sim *s);
int sim_elect(struct sim *s, unsigned i);
int sim_put_wait(struct sim *s, unsigned L, const char *key, const char *val, struct prop **out);
int value_is(struct snode *sn, const char *key, const char *val);
unsigned check_bg_values(struct sim *s);
int sim_enable_storage(struct sim *s);
const char *sim_enable_raft(struct sim *s, unsigned i, uint64_t *already);
uint64_t sim_cutover_retry(struct sim *s, unsigned attempts);
uint64_t sim_cutover(struct sim *s);
unsigned count_halted(struct sim *s);
void check_final(struct sim *s, uint64_t N);

/* scenarios (sim_gate.c, sim_leader_loss.c, sim_halt_restart.c, sim_snapshot.c) */
void test_happy_path_3(void);
void test_barrier_gate_and_drain(void);
void test_drain_timeout(void);
void test_depose_3(void);
void test_partition_3(void);
void test_depose_5(void);
void test_partition_5(void);
void test_reelect_3(void);
void test_reelect_5(void);
void test_follower_leads_wraps(void);
void test_commit_not_applied_3(void);
void test_commit_not_applied_5(void);
void test_forged_envelope_halts(void);
void test_corrupt_follower_halts(void);
void test_restart_wrap_from_sidecar(void);
void test_retry_after_success(void);
void test_second_begin_after_success(void);
void test_snapshot_catch_up(void);
void test_new_member_by_snapshot(void);

#endif /* SKV_SIM_HARNESS_H */
