/* SPDX-License-Identifier: MIT */
/*
 * sim_harness.c — the simulation harness: small helpers, proposals
 * through the production intake (skv_intake_propose), the per-step hook
 * (node tick + observer), the barrier seams, node and cluster
 * open/close.
 */
#include "sim_harness.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- small helpers -------------------------------------------------- */

int verbose(void)
{
    const char *v = getenv("SKV_SIM_VERBOSE");
    return v && *v && strcmp(v, "0") != 0;
}

__attribute__((format(printf, 2, 3)))
void violation(struct sim *s, const char *fmt, ...)
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

struct raft *sraft(struct snode *sn)
{
    return raft_fixture_get(&sn->s->f, sn->i);
}

/* logGet of C-Raft 0.15 over the public struct raft_log. */
const struct raft_entry *log_get(struct raft *r, raft_index index)
{
    const struct raft_log *l = &r->log;
    size_t n = l->front <= l->back ? l->back - l->front : l->size - l->front + l->back;
    if (n == 0 || index <= l->offset || index > l->offset + n)
        return NULL;
    return &l->entries[(l->front + (size_t)(index - 1 - l->offset)) % l->size];
}

int is_raft_envelope(struct skv_node *n, const struct raft_entry *e)
{
    struct skv_envelope_hdr h;
    struct skv_enc_err ee;
    memset(&h, 0, sizeof h);
    memset(&ee, 0, sizeof ee);
    return skv_envelope_parse(e->buf.base, e->buf.len, &h, &ee) == SKV_OK &&
           h.version == SKV_ENVELOPE_V2 && h.key_id == n->enc.sc.active_raft &&
           e->buf.len >= SKV_ENVELOPE_OVERHEAD + 1;
}

int is_cutover_entry(const struct raft_entry *e)
{
    const uint8_t *p = e->buf.base;
    return e->type == RAFT_COMMAND && e->buf.len == 2 && p[0] == SKV_CMD_ENC_ROTATION &&
           p[1] == SKV_ROT_ENABLE_RAFT;
}

int wrap_on(struct snode *sn)
{
    return atomic_load(&sn->n->enc.wrap);
}

/* ---- proposals: the production intake (core/intake/intake.c) -------- */

int is_ready(struct snode *sn)
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
const char *sim_propose(struct sim *s, unsigned i, int source, void *payload, size_t len,
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

const char *sim_put(struct sim *s, unsigned i, int source, const char *key,
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

int prop_ok(const struct prop *p)
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

void sim_hook(struct raft_fixture *f, struct raft_fixture_event *ev)
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

uint64_t sim_now(void *host)
{
    struct snode *sn = host;
    return raft_fixture_time(&sn->s->f);
}

void sim_on_step(void *host, int step)
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

void cut_done(void *arg, int rc, const char *error, const char *message, uint64_t index)
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

void cut_attach(struct snode *sn)
{
    struct skv_node *n = sn->n;
    n->fsm.raft = sraft(sn);
    skv_intake_init(&n->intake, sraft(sn), &n->enc, &n->metrics, sn->conf.log_level, sim_now, sn,
                    SIM_CUT_TIMEOUT_MS);
    n->intake.cut.on_step = sim_on_step;
}

int node_open(struct snode *sn)
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

void node_close(struct snode *sn)
{
    if (!sn->open)
        return;
    skv_node_close(sn->n);
    skv_config_free(&sn->conf);
    memset(sn->n, 0, sizeof *sn->n);
    sn->open = 0;
}

void sim_free(struct sim *s)
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
int sim_add_node(struct sim *s, unsigned i)
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

struct sim *sim_new(unsigned nn)
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

