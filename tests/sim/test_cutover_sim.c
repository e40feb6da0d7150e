/* SPDX-License-Identifier: MIT */
/*
 * test_cutover_sim.c — deterministic simulation of the Phase-2 raft
 * envelope cutover (DESIGN.md §5 "Phase 2") over C-Raft's raft_fixture,
 * 3 and 5 nodes, driving the REAL core: each simulated node is a struct
 * skv_node opened with skv_node_open_state (storage-leveldb and
 * cipher-sodium plugins, a temp data dir, encryption start-up), whose FSM
 * (core/fsm/fsm.c, fsm_enc.c), encryption state (sidecar, keystore, wrap
 * flag) and cutover barrier (core/intake/cutover.c) are the production ones. The
 * fixture only replaces the raft engine's I/O (in-memory, simulated time).
 *
 * Proposals go through the production intake (core/intake/intake.c:
 * skv_intake_propose — decode check, leader readiness of
 * core/intake/intake_ready.c, skv_cutover_gate, skv_enc_wrap if the wrap
 * flag is on, raft_apply), each node's struct skv_intake initialised over
 * its fixture server; the node tick (skv_intake_tick: cutover poll +
 * readiness) runs after every fixture step through raft_fixture_hook.
 * The harness only mirrors skv_propose's prelude (halted; a follower
 * would forward, the harness asks the leader) and, without changing it,
 * enable-storage-envelope / enable-raft-envelope (core/admin/enc_ops.c):
 * bootstrap 0x04 with epoch-1 registrations for every node, flag 0x05/4;
 * prechecks then skv_cutover_begin. The capability fan-out is elided
 * (every simulated node is capable).
 *
 * An observer runs after every step: for every node, each applied
 * RAFT_COMMAND entry above that node's cutover must be a raft envelope v1
 * under the active raft key (no cleartext above N); the entry AT the
 * cutover must be the cleartext 0x05/5; all non-zero cutover indices agree;
 * no node halts unless the test expects it.
 *
 * Scenarios: 1 happy path; 2 intake gate (user refused in steps 2-6,
 * admin passes in drain, both held from propose to wrap) and drain (N above
 * and after every in-flight entry), 2b drain timeout; 3a-f the leader
 * deposed / partitioned / deposed and re-elected at each step 1-4, 3 and 5
 * nodes, with clients writing on every leader throughout, then the
 * operator retries on the new leader; 4 a follower that applied N leads;
 * 5 a new leader holding N committed but unapplied (readiness); 6a a
 * forged envelope, 6b one corrupted entry in one follower's log (fail
 * closed, applied index stays at N'-1); 7 restart: wrap flag from the
 * sidecar; 8 a retried enable; 9 / 9b snapshot catch-up of a follower
 * that missed N and of a brand-new member.
 *
 * Every loop is bounded by simulated time (raft_fixture_step_until) or a
 * step count; the whole program runs in a few seconds.
 * Environment: SKV_SIM_ONLY=<substring of a test name> runs only those,
 * SKV_SIM_VERBOSE=1 narrates the leader-loss runs.
 */
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

enum { LOSE_DEPOSE = 0, LOSE_PARTITION = 1, LOSE_REELECT = 2 };
static const char *const lose_name[] = {"depose", "partition", "depose + re-elect"};

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

/* ---- small helpers -------------------------------------------------- */

static int verbose(void)
{
    const char *v = getenv("SKV_SIM_VERBOSE");
    return v && *v && strcmp(v, "0") != 0;
}

__attribute__((format(printf, 2, 3)))
static void violation(struct sim *s, const char *fmt, ...)
{
    va_list ap;
    s->violations++;
    if (s->violations > 20)
        return;
    fprintf(stderr, "VIOLATION (step %lu, t=%llu): ", s->steps,
            ULL(raft_fixture_time(&s->f)));
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static struct raft *sraft(struct snode *sn)
{
    return raft_fixture_get(&sn->s->f, sn->i);
}

/* logGet of C-Raft 0.15 over the public struct raft_log. */
static const struct raft_entry *log_get(struct raft *r, raft_index index)
{
    const struct raft_log *l = &r->log;
    size_t n = l->front <= l->back ? l->back - l->front : l->size - l->front + l->back;
    if (n == 0 || index <= l->offset || index > l->offset + n)
        return NULL;
    return &l->entries[(l->front + (size_t)(index - 1 - l->offset)) % l->size];
}

static int is_raft_envelope(struct skv_node *n, const struct raft_entry *e)
{
    struct skv_envelope_hdr h;
    struct skv_enc_err ee;
    memset(&h, 0, sizeof h);
    memset(&ee, 0, sizeof ee);
    return skv_envelope_parse(e->buf.base, e->buf.len, &h, &ee) == SKV_OK &&
           h.version == SKV_ENVELOPE_V2 && h.key_id == n->enc.sc.active_raft &&
           e->buf.len >= SKV_ENVELOPE_OVERHEAD + 1;
}

static int is_cutover_entry(const struct raft_entry *e)
{
    const uint8_t *p = e->buf.base;
    return e->type == RAFT_COMMAND && e->buf.len == 2 && p[0] == SKV_CMD_ENC_ROTATION &&
           p[1] == SKV_ROT_ENABLE_RAFT;
}

static int wrap_on(struct snode *sn)
{
    return atomic_load(&sn->n->enc.wrap);
}

/* ---- proposals: the production intake (core/intake/intake.c) -------- */

static int is_ready(struct snode *sn)
{
    struct raft *r = sraft(sn);
    return raft_state(r) == RAFT_LEADER && sn->n->intake.ready_term == r->current_term;
}

/* One call's answer: filled by the intake's callback, at once (refused),
 * later (accepted: into the proposal), or when intake reopens (a user
 * proposal refused by the cutover gate; nobody waits for it then). */
struct answer {
    struct prop *p;     /* accepted: where the outcome goes */
    int in_call;        /* the caller still reads the answer */
    int answered;
    const char *error;
};

static void answer_cb(void *arg, const struct skv_propose_result *r)
{
    struct answer *a = arg;
    if (a->p) {
        a->p->done = 1;
        a->p->status = r->rc;
        a->p->result = r->error;
    }
    if (a->in_call) {
        a->answered = 1;
        a->error = r->error;
        return;
    }
    free(a);
}

/* NULL when accepted (*out, if given, is the in-flight proposal), else the
 * stable error name the intake answers with (for a deferred gate refusal
 * the one it will answer with). Takes `payload`. The prelude is
 * skv_propose's (core/intake/propose.c): halted, then a follower would
 * forward — the harness asks the leader instead. */
static const char *sim_propose(struct sim *s, unsigned i, int source, void *payload, size_t len,
                               struct prop **out)
{
    struct snode *sn = &s->nd[i];
    struct skv_node *n = sn->n;
    struct answer *a;
    const char *err;
    struct prop *p;
    uint64_t index;
    if (out)
        *out = NULL;
    if (!sn->open || n->run_state == SKV_RUN_HALTED) {
        raft_free(payload);
        return "ErrHalted";
    }
    if (raft_state(sraft(sn)) != RAFT_LEADER) {
        raft_free(payload);
        return "ErrNotLeader";
    }
    if (s->n_props >= SIM_PROPS || !(a = calloc(1, sizeof *a))) {
        raft_free(payload);
        return "ErrSimPoolFull";
    }
    p = &s->props[s->n_props];
    memset(p, 0, sizeof *p);
    p->s = s;
    p->node = i;
    p->wrapped = atomic_load(&n->enc.wrap);
    a->p = p;
    a->in_call = 1;
    index = skv_intake_propose(&n->intake, source, payload, len, answer_cb, a);
    a->in_call = 0;
    if (index != 0) {
        s->n_props++;
        p->index = index;
        if (out)
            *out = p;
        return NULL;
    }
    a->p = NULL;
    if (!a->answered) /* deferred: answered (and freed) when intake reopens */
        return "ErrEnvelopeCutoverInProgress";
    err = a->error ? a->error : "ErrUnknown";
    free(a);
    return err;
}

static const char *sim_put(struct sim *s, unsigned i, int source, const char *key,
                           const char *val, struct prop **out)
{
    struct skv_kv_op op;
    struct prop *p = NULL;
    const char *err;
    void *buf = NULL;
    size_t len = 0;
    memset(&op, 0, sizeof op);
    op.op = SKV_KV_PUT;
    op.key = (const uint8_t *)key;
    op.key_len = strlen(key);
    op.val = (const uint8_t *)val;
    op.val_len = strlen(val);
    if (skv_cmd_encode_kv(&op, &buf, &len) != 0)
        return "ErrNoMemory";
    err = sim_propose(s, i, source, buf, len, &p);
    if (p) {
        snprintf(p->key, sizeof p->key, "%s", key);
        snprintf(p->val, sizeof p->val, "%s", val);
    }
    if (out)
        *out = p;
    return err;
}

static int prop_ok(const struct prop *p)
{
    return p && p->done && p->status == 0 && p->result == NULL;
}

/* ---- the per-step hook: node tick + observer ------------------------ */

static void observe(struct snode *sn)
{
    struct sim *s = sn->s;
    struct skv_node *n = sn->n;
    struct raft *r = sraft(sn);
    uint64_t cut = skv_enc_cutover(&n->enc);
    raft_index la = raft_last_applied(r), i;
    if (cut != 0 && cut != sn->seen_cut) {
        const struct raft_entry *e = log_get(r, cut);
        if (e && !is_cutover_entry(e))
            violation(s, "node %u: the entry at its cutover %llu is not the cleartext 0x05/5",
                      sn->i + 1, ULL(cut));
        if (sn->seen_cut != 0)
            violation(s, "node %u: cutover moved from %llu to %llu", sn->i + 1,
                      ULL(sn->seen_cut), ULL(cut));
        sn->seen_cut = cut;
    }
    if (cut != 0)
        for (i = (sn->checked > cut ? sn->checked : cut) + 1; i <= la; i++) {
            const struct raft_entry *e = log_get(r, i);
            if (e && e->type == RAFT_COMMAND && !is_raft_envelope(n, e))
                violation(s, "node %u applied entry %llu above its cutover %llu as cleartext "
                          "(first byte 0x%02x, %zu bytes)", sn->i + 1, ULL(i), ULL(cut),
                          e->buf.len ? ((const uint8_t *)e->buf.base)[0] : 0, e->buf.len);
        }
    if (la > sn->checked)
        sn->checked = la;
    if (n->run_state == SKV_RUN_HALTED && !sn->expect_halt && !sn->halt_reported) {
        sn->halt_reported = 1;
        violation(s, "node %u halted: %s", sn->i + 1, n->halt_reason);
    }
}

static void bg_write(struct sim *s)
{
    unsigned i;
    for (i = 0; i < s->n; i++) {
        struct prop *p = NULL;
        char key[32], val[32];
        if (!s->nd[i].open || raft_state(sraft(&s->nd[i])) != RAFT_LEADER)
            continue;
        snprintf(key, sizeof key, "bg-%u", s->bg_seq);
        snprintf(val, sizeof val, "v%u-n%u", s->bg_seq, i + 1);
        s->bg_tried++;
        if (sim_put(s, i, SKV_SRC_USER, key, val, &p) == NULL && p) {
            p->bg = 1;
            s->bg_seq++;
            s->bg_accepted++;
        }
    }
}

static void sim_hook(struct raft_fixture *f, struct raft_fixture_event *ev)
{
    struct sim *s = (struct sim *)f;
    uint64_t any_cut = 0;
    unsigned i;
    (void)ev;
    s->steps++;
    for (i = 0; i < s->n; i++) {
        struct snode *sn = &s->nd[i];
        if (!sn->open || sn->n->run_state == SKV_RUN_HALTED)
            continue;
        skv_intake_tick(&sn->n->intake); /* the node tick */
    }
    for (i = 0; i < s->n; i++) {
        struct snode *sn = &s->nd[i];
        uint64_t c;
        if (!sn->open)
            continue;
        observe(sn);
        c = skv_enc_cutover(&sn->n->enc);
        if (c && any_cut && c != any_cut)
            violation(s, "cutover indices differ: node %u has %llu, another %llu", i + 1,
                      ULL(c), ULL(any_cut));
        if (c)
            any_cut = c;
    }
    if (s->bg_on && s->bg_accepted < SIM_BG_MAX && raft_fixture_time(f) >= s->bg_next) {
        s->bg_next = raft_fixture_time(f) + SIM_BG_EVERY_MS;
        bg_write(s);
    }
    if (s->tick)
        s->tick(s);
}

/* ---- the barrier's seams ------------------------------------------- */

static uint64_t sim_now(void *host)
{
    struct snode *sn = host;
    return raft_fixture_time(&sn->s->f);
}

static void sim_on_step(void *host, int step)
{
    struct snode *sn = host;
    struct sim *s = sn->s;
    if (step < 0 || step > 7)
        return;
    sn->steps_seen |= 1u << step;
    /* entered from inside fsm->apply, C-Raft's last_applied is still
     * index - 1: the barrier's own applied index counts that entry */
    sn->applied_at[step] = raft_last_applied(sraft(sn));
    if (sn->n->intake.cut.applied_hint > sn->applied_at[step])
        sn->applied_at[step] = sn->n->intake.cut.applied_hint;
    sn->last_at[step] = raft_last_index(sraft(sn));
    sn->gate_user_at[step] = skv_cutover_gate(&sn->n->intake.cut, SKV_SRC_USER);
    sn->gate_admin_at[step] = skv_cutover_gate(&sn->n->intake.cut, SKV_SRC_ADMIN);
    if (s->trig_step == step && s->trig_node == sn->i)
        s->trig_hit = 1;
}

static void cut_done(void *arg, int rc, const char *error, const char *message, uint64_t index)
{
    struct snode *sn = arg;
    sn->cut_res.done = 1;
    sn->cut_res.rc = rc;
    snprintf(sn->cut_res.error, sizeof sn->cut_res.error, "%s", error ? error : "");
    sn->cut_res.index = index;
    (void)message;
}

/* ---- node open / close ----------------------------------------------- */

static int write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ssize_t w;
    if (fd < 0)
        return -1;
    w = write(fd, data, len);
    close(fd);
    return w == (ssize_t)len ? 0 : -1;
}

static void cut_attach(struct snode *sn)
{
    struct skv_node *n = sn->n;
    n->fsm.raft = sraft(sn);
    skv_intake_init(&n->intake, sraft(sn), &n->enc, &n->metrics, sn->conf.log_level, sim_now, sn,
                    SIM_CUT_TIMEOUT_MS);
    n->intake.cut.on_step = sim_on_step;
}

static int node_open(struct snode *sn)
{
    char err[SKV_CONF_ERR_MAX];
    memset(&sn->conf, 0, sizeof sn->conf);
    if (skv_config_load(sn->yaml, &sn->conf, err, sizeof err) != 0) {
        fprintf(stderr, "config %s: %s\n", sn->yaml, err);
        return -1;
    }
    if (skv_node_open_state(sn->n, &sn->conf, err, sizeof err) != 0) {
        fprintf(stderr, "node %u: skv_node_open_state: %s\n", sn->i + 1, err);
        skv_node_close(sn->n);
        skv_config_free(&sn->conf);
        return -1;
    }
    sn->open = 1;
    return 0;
}

static void node_close(struct snode *sn)
{
    if (!sn->open)
        return;
    skv_node_close(sn->n);
    skv_config_free(&sn->conf);
    memset(sn->n, 0, sizeof *sn->n);
    sn->open = 0;
}

static void sim_free(struct sim *s)
{
    unsigned i;
    if (!s)
        return;
    raft_fixture_hook(&s->f, NULL);
    raft_fixture_close(&s->f);
    for (i = 0; i < s->n; i++) {
        node_close(&s->nd[i]);
        free(s->nd[i].n);
    }
    skv_test_rmtree(s->root);
    free(s->root);
    free(s->props);
    free(s);
}

/* Node i (id i + 1): its YAML, skv_node_open_state, a fixture server
 * over its FSM, the barrier attached to that server. */
static int sim_add_node(struct sim *s, unsigned i)
{
    struct snode *sn = &s->nd[i];
    char text[2048];
    int rv;
    sn->s = s;
    sn->i = i;
    snprintf(sn->dir, sizeof sn->dir, "%s/n%u", s->root, i + 1);
    snprintf(sn->yaml, sizeof sn->yaml, "%s/n%u.yaml", s->root, i + 1);
    snprintf(text, sizeof text,
             "node: { id: %u, address: \"127.0.0.1:%u\", data_dir: \"%s\" }\n"
             "encryption: { enabled: true, kek_file: \"%s\" }\n"
             /* raft_fixture carries the messages: the transport plugin is
              * loaded but never started, so it needs no certificates */
             "plugins: { transport: { name: tcp, options: { insecure: true } } }\n"
             "log: { level: warn }\n",
             i + 1, 17100 + i + 1, sn->dir, s->kek);
    if (write_file(sn->yaml, text, strlen(text), 0600) != 0 ||
        !(sn->n = calloc(1, sizeof *sn->n)) || node_open(sn) != 0)
        return -1;
    if ((rv = raft_fixture_grow(&s->f, &sn->n->fsm.raft_fsm)) != 0) {
        /* it counted the server before initialising it: do not let
         * raft_fixture_close close a server that never was */
        s->f.n--;
        fprintf(stderr, "node %u: raft_fixture_grow: %s\n", i + 1, raft_strerror(rv));
        return -1;
    }
    cut_attach(sn);
    raft_set_pre_vote(sraft(sn), true);               /* as core/node/node.c */
    raft_set_snapshot_threshold(sraft(sn), 1u << 30); /* keep every entry observable */
    return 0;
}

static struct sim *sim_new(unsigned nn)
{
    struct raft_configuration c;
    struct sim *s = calloc(1, sizeof *s);
    uint8_t kek[SKV_KEK_LEN];
    unsigned i;
    int rv;
    if (!s)
        return NULL;
    s->n = nn;
    s->trig_step = -1;
    s->props = calloc(SIM_PROPS, sizeof *s->props);
    s->root = skv_test_tmpdir("cutsim");
    if (!s->props || !s->root) {
        free(s->props);
        free(s->root);
        free(s);
        return NULL;
    }
    for (i = 0; i < sizeof kek; i++)
        kek[i] = (uint8_t)(0x5a ^ (i * 37u));
    snprintf(s->kek, sizeof s->kek, "%s/kek.key", s->root);
    if (write_file(s->kek, kek, sizeof kek, 0600) != 0 || raft_fixture_initialize(&s->f) != 0) {
        fprintf(stderr, "cannot write %s or initialise the fixture\n", s->kek);
        goto fail;
    }
    for (i = 0; i < nn; i++)
        if (sim_add_node(s, i) != 0)
            goto fail;
    if (raft_fixture_configuration(&s->f, nn, &c) != 0)
        goto fail;
    rv = raft_fixture_bootstrap(&s->f, &c);
    raft_configuration_close(&c);
    if (rv != 0 || (rv = raft_fixture_start(&s->f)) != 0) {
        fprintf(stderr, "fixture bootstrap/start: %s\n", raft_strerror(rv));
        goto fail;
    }
    raft_fixture_hook(&s->f, sim_hook);
    raft_fixture_elect(&s->f, 0);
    if (raft_fixture_leader_index(&s->f) != 0) {
        fprintf(stderr, "node 1 did not win the first election\n");
        goto fail;
    }
    return s;
fail:
    fprintf(stderr, "sim_new(%u) failed\n", nn);
    sim_free(s);
    return NULL;
}

/* ---- stepping ------------------------------------------------------- */

typedef bool (*sim_pred)(struct sim *s, void *arg);
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
static bool sim_until(struct sim *s, sim_pred pred, void *arg, unsigned max_ms)
{
    struct pred_box b = {s, pred, arg};
    if (pred(s, arg))
        return true;
    return raft_fixture_step_until(&s->f, pred_tramp, &b, max_ms);
}

static void sim_elapse(struct sim *s, unsigned ms)
{
    raft_fixture_step_until_elapsed(&s->f, ms);
}

static bool p_prop_done(struct sim *s, void *arg)
{
    (void)s;
    return ((struct prop *)arg)->done;
}

static bool p_cut_done(struct sim *s, void *arg)
{
    (void)s;
    return ((struct snode *)arg)->cut_res.done;
}

static bool p_trig_hit(struct sim *s, void *arg)
{
    (void)arg;
    return s->trig_hit;
}

/* Every open, non-halted node applied *(raft_index *)arg. */
static bool p_all_applied(struct sim *s, void *arg)
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
static bool p_ready_leader(struct sim *s, void *arg)
{
    unsigned L = raft_fixture_leader_index(&s->f);
    if (L >= s->n || (arg && *(unsigned *)arg == L))
        return false;
    return is_ready(&s->nd[L]);
}

static unsigned sim_ready_leader(struct sim *s, const unsigned *avoid, unsigned max_ms)
{
    if (!sim_until(s, p_ready_leader, (void *)avoid, max_ms))
        return s->n;
    return raft_fixture_leader_index(&s->f);
}

static int sim_wait_all_applied(struct sim *s, raft_index idx, unsigned max_ms)
{
    return sim_until(s, p_all_applied, &idx, max_ms);
}

/* raft_fixture_depose / _elect only assert() their preconditions (and
 * libraft may be built without asserts): check them here. 0 on success. */
static int sim_depose(struct sim *s)
{
    unsigned L = raft_fixture_leader_index(&s->f);
    if (L >= s->n || raft_state(sraft(&s->nd[L])) != RAFT_LEADER)
        return -1;
    raft_fixture_depose(&s->f);
    return s->f.leader_id == 0 ? 0 : -1;
}

static int sim_elect(struct sim *s, unsigned i)
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
static int sim_put_wait(struct sim *s, unsigned L, const char *key, const char *val, struct prop **out)
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

static int value_is(struct snode *sn, const char *key, const char *val)
{
    struct skv_err e = {0, ""};
    uint8_t *v = NULL;
    size_t vl = 0;
    int ok;
    if (skv_fsm_get(&sn->n->fsm, (const uint8_t *)key, strlen(key), &v, &vl, &e) != SKV_OK) {
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
static unsigned check_bg_values(struct sim *s)
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
static int sim_enable_storage(struct sim *s)
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
static const char *sim_enable_raft(struct sim *s, unsigned i, uint64_t *already)
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
static uint64_t sim_cutover_retry(struct sim *s, unsigned attempts)
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
static uint64_t sim_cutover(struct sim *s)
{
    uint64_t N = sim_cutover_retry(s, 3);
    if (N && !sim_wait_all_applied(s, N, 5000))
        return 0;
    return N;
}

static unsigned count_halted(struct sim *s)
{
    unsigned i, k = 0;
    for (i = 0; i < s->n; i++)
        if (s->nd[i].open && s->nd[i].n->run_state == SKV_RUN_HALTED)
            k++;
    return k;
}

/* Final scan of every node's applied log against the final cutover N. */
static void check_final(struct sim *s, uint64_t N)
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

/* ---- 1. happy path ---------------------------------------------------- */

static void test_happy_path_3(void)
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

static void test_barrier_gate_and_drain(void)
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
static void test_drain_timeout(void)
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

static void test_depose_3(void) { leader_loss_all_steps(3, LOSE_DEPOSE); }
static void test_partition_3(void) { leader_loss_all_steps(3, LOSE_PARTITION); }
static void test_depose_5(void) { leader_loss_all_steps(5, LOSE_DEPOSE); }
static void test_partition_5(void) { leader_loss_all_steps(5, LOSE_PARTITION); }
static void test_reelect_3(void) { leader_loss_all_steps(3, LOSE_REELECT); }
static void test_reelect_5(void) { leader_loss_all_steps(5, LOSE_REELECT); }

/* ---- 4. a follower that applied the cutover leads ---------------------- */

static void test_follower_leads_wraps(void)
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

static void test_commit_not_applied_3(void) { run_commit_not_applied(3); }
static void test_commit_not_applied_5(void) { run_commit_not_applied(5); }

/* ---- 6. corrupted / forged ciphertext above N -------------------------- */

static bool p_all_halted(struct sim *s, void *arg)
{
    (void)arg;
    return count_halted(s) == s->n;
}

static void test_forged_envelope_halts(void)
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

static void test_corrupt_follower_halts(void)
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

static void test_restart_wrap_from_sidecar(void)
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

static void test_retry_after_success(void)
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
static void test_second_begin_after_success(void)
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

/* ---- 9. a follower that missed the cutover catches up by snapshot ---- */

static void test_snapshot_catch_up(void)
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

static void test_new_member_by_snapshot(void)
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

/* ---- main ------------------------------------------------------------- */

/* SKV_SIM_ONLY=<substring of a test name> runs just the matching tests. */
static int add(CU_pSuite su, const char *name, CU_TestFunc fn)
{
    const char *only = getenv("SKV_SIM_ONLY");
    if (only && *only && !strstr(name, only))
        return 1;
    return CU_add_test(su, name, fn) != NULL;
}

int main(void)
{
    CU_pSuite su;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    su = CU_add_suite("cutover_sim", NULL, NULL);
    if (!su ||
        !add(su, "1 happy path, 3 nodes", test_happy_path_3) ||
        !add(su, "2 gate closes user intake, admin passes, drain", test_barrier_gate_and_drain) ||
        !add(su, "2b drain timeout reopens intake, proposes nothing", test_drain_timeout) ||
        !add(su, "3a leader deposed at steps 1-4, 3 nodes", test_depose_3) ||
        !add(su, "3b leader partitioned at steps 1-4, 3 nodes", test_partition_3) ||
        !add(su, "3c leader deposed at steps 1-4, 5 nodes", test_depose_5) ||
        !add(su, "3d leader partitioned at steps 1-4, 5 nodes", test_partition_5) ||
        !add(su, "3e leader deposed and re-elected at steps 1-4, 3 nodes", test_reelect_3) ||
        !add(su, "3f leader deposed and re-elected at steps 1-4, 5 nodes", test_reelect_5) ||
        !add(su, "4 a follower that applied N leads and wraps", test_follower_leads_wraps) ||
        !add(su, "5a new leader with N committed, unapplied (3)", test_commit_not_applied_3) ||
        !add(su, "5b new leader with N committed, unapplied (5)", test_commit_not_applied_5) ||
        !add(su, "6a forged envelope above N halts every replica", test_forged_envelope_halts) ||
        !add(su, "6b corrupted entry halts that follower only", test_corrupt_follower_halts) ||
        !add(su, "7 restart: wrap flag from the sidecar", test_restart_wrap_from_sidecar) ||
        !add(su, "8 retried enable reports the same index", test_retry_after_success) ||
        !add(su, "9 a follower that missed N catches up by snapshot", test_snapshot_catch_up) ||
        !add(su, "9b a new member joins after N by snapshot", test_new_member_by_snapshot) ||
        !add(su, "8b second skv_cutover_begin after success", test_second_begin_after_success)) {
        CU_cleanup_registry();
        return 99;
    }
    return skv_test_run();
}
