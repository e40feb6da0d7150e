/* SPDX-License-Identifier: MIT */
/*
 * test_transport_chaos.c — the chaos transport (built with
 * --enable-fault-injection): the rules parser and matcher, then the real
 * plugin loaded twice through the core loader (nodes 1 and 2) on
 * 127.0.0.1: healthy traffic both ways, a partition written to the rules
 * file at run time cuts both directions and healing restores them,
 * drop 100% and drop 50%, a delay holds frames at least that long and
 * keeps their order, tcp options pass through while unknown ones are
 * refused, and only the entry symbol is exported.
 */
#include <sealkv/transport.h>
#include "chaos_rules.h"
#include "plugin/loader.h"
#include "skv_test.h"
#include "skv_free_port.h"

#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct rx {
    struct rx *next;
    uint64_t from;
    int64_t at_ms;
    size_t len;
    char data[64];
};

struct node {
    uint64_t id;
    char rules[512];
    struct skv_conf_plugin conf;
    struct skv_host_hooks hooks;
    struct skv_plugin_inst *inst;
    const struct skv_transport_ops *ops;
    void *st;
    char addr[64];
    pthread_mutex_t mu;
    struct rx *head, *tail;
    size_t count;
};

static char *tmpdir;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void on_deliver(void *arg, uint64_t from, const void *data, size_t len)
{
    struct node *n = arg;
    struct rx *r = calloc(1, sizeof *r);
    if (!r)
        return;
    r->from = from;
    r->at_ms = now_ms();
    r->len = len < sizeof r->data - 1 ? len : sizeof r->data - 1;
    memcpy(r->data, data, r->len);
    pthread_mutex_lock(&n->mu);
    if (n->tail)
        n->tail->next = r;
    else
        n->head = r;
    n->tail = r;
    n->count++;
    pthread_mutex_unlock(&n->mu);
}

static size_t rx_count(struct node *n)
{
    size_t c;
    pthread_mutex_lock(&n->mu);
    c = n->count;
    pthread_mutex_unlock(&n->mu);
    return c;
}

static void rx_clear(struct node *n)
{
    struct rx *r;
    pthread_mutex_lock(&n->mu);
    while ((r = n->head)) {
        n->head = r->next;
        free(r);
    }
    n->tail = NULL;
    n->count = 0;
    pthread_mutex_unlock(&n->mu);
}

/* wait until n received `want` frames or `ms` passed */
static size_t wait_rx(struct node *n, size_t want, int ms)
{
    int64_t end = now_ms() + ms;
    while (rx_count(n) < want && now_ms() < end)
        sleep_ms(5);
    return rx_count(n);
}

/* write the rules file atomically (tmp + rename: a new inode) */
static void set_rules(struct node *n, const char *text)
{
    char tmp[600];
    FILE *f;
    snprintf(tmp, sizeof tmp, "%s.tmp", n->rules);
    f = fopen(tmp, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs(text, f);
    fclose(f);
    CU_ASSERT_FATAL(rename(tmp, n->rules) == 0);
    sleep_ms(200); /* > poll_ms (20) with margin */
}

static void add_opt(struct node *n, const char *k, const char *v)
{
    size_t i = n->conf.n_options++;
    n->conf.options[i].key = strdup(k);
    n->conf.options[i].value = strdup(v);
    n->conf.options[i].pos.line = (unsigned)i + 1;
    n->conf.options[i].pos.col = 5;
}

/* load "chaos" as node `id` with rules file <tmp>/rules<id>; extra
 * options as a NULL-terminated key,value list */
static int node_load(struct node *n, uint64_t id, const char *const *extra,
                     struct skv_err *err)
{
    size_t i;
    int rc;
    memset(n, 0, sizeof *n);
    n->id = id;
    pthread_mutex_init(&n->mu, NULL);
    snprintf(n->rules, sizeof n->rules, "%s/rules%llu", tmpdir, (unsigned long long)id);
    unlink(n->rules);
    n->conf.name = strdup("chaos");
    add_opt(n, "rules_file", n->rules);
    add_opt(n, "poll_ms", "20");
    add_opt(n, "seed", "12345");
    add_opt(n, "insecure", "true"); /* TLS is covered by test_transport_tcp */
    for (i = 0; extra && extra[2 * i]; i++)
        add_opt(n, extra[2 * i], extra[2 * i + 1]);
    n->hooks.node = n;
    n->hooks.deliver = on_deliver;
    n->hooks.node_id = id;
    n->hooks.log_level = SKV_LOG_WARN;
    rc = skv_plugin_load(SKV_KIND_TRANSPORT, &n->conf, "test.yaml", NULL, 0, &n->hooks,
                         &n->inst, err);
    if (rc == SKV_OK) {
        n->ops = skv_plugin_ops(n->inst);
        n->st = skv_plugin_state(n->inst);
    }
    return rc;
}

static int node_start(struct node *n)
{
    struct skv_err err = {0, ""};
    int rc = SKV_ERR_BUSY, tries;
    for (tries = 0; tries < 20 && rc == SKV_ERR_BUSY; tries++) {
        snprintf(n->addr, sizeof n->addr, "127.0.0.1:%u", skv_test_free_port());
        rc = n->ops->start(n->st, n->addr, &err);
    }
    if (rc != SKV_OK)
        fprintf(stderr, "start %s: %s\n", n->addr, err.msg);
    return rc;
}

static void node_unload(struct node *n)
{
    size_t i;
    if (n->inst) {
        n->ops->stop(n->st);
        skv_plugin_unload(n->inst);
        n->inst = NULL;
    }
    rx_clear(n);
    for (i = 0; i < n->conf.n_options; i++) {
        free(n->conf.options[i].key);
        free(n->conf.options[i].value);
    }
    free(n->conf.name);
    unlink(n->rules);
    pthread_mutex_destroy(&n->mu);
}

static int send_str(struct node *a, uint64_t to, const char *addr, const char *s)
{
    struct skv_err err = {0, ""};
    struct skv_iov iov[2] = {{s, 1}, {s + 1, strlen(s) - 1}};
    return a->ops->send(a->st, to, addr, iov, 2, &err);
}

/* send `count` numbered frames a → b */
static void send_n(struct node *a, struct node *b, unsigned count)
{
    unsigned i;
    char buf[32];
    for (i = 0; i < count; i++) {
        snprintf(buf, sizeof buf, "f%u", i);
        CU_ASSERT_EQUAL(send_str(a, b->id, b->addr, buf), SKV_OK);
    }
}

static void start_pair(struct node *a, struct node *b)
{
    struct skv_err err = {0, ""};
    CU_ASSERT_FATAL(node_load(a, 1, NULL, &err) == SKV_OK);
    CU_ASSERT_FATAL(node_load(b, 2, NULL, &err) == SKV_OK);
    CU_ASSERT_FATAL(node_start(a) == SKV_OK);
    CU_ASSERT_FATAL(node_start(b) == SKV_OK);
}

/* ---- rules ------------------------------------------------------------- */

static void test_rules_parse(void)
{
    static const char text[] =
        "# comment\n"
        "\n"
        "partition 3\n"
        "  drop 2 40   # trailing comment\n"
        "delay * 150\n"
        "drop 2 70\n"
        "drop 2 101\n"         /* bad: pct */
        "partition 0\n"        /* bad: id 0 */
        "partition\n"          /* bad: arity */
        "block 2\n"            /* bad: unknown */
        "delay 4 x\n";         /* bad: ms */
    struct chaos_rules r;
    struct chaos_effect e;
    char bad[160];
    CU_ASSERT_EQUAL(chaos_rules_parse(text, sizeof text - 1, &r, bad, sizeof bad), 5);
    CU_ASSERT_EQUAL(r.n, 4);
    CU_ASSERT_PTR_NOT_NULL(strstr(bad, "line 7"));
    chaos_rules_effect(&r, 2, &e);
    CU_ASSERT(!e.partition && e.drop_pct == 70 && e.delay_ms == 150);
    chaos_rules_effect(&r, 3, &e);
    CU_ASSERT(e.partition && e.drop_pct == 0 && e.delay_ms == 150);
    chaos_rules_effect(&r, 0, &e); /* unknown sender: only `*` rules */
    CU_ASSERT(!e.partition && e.drop_pct == 0 && e.delay_ms == 150);
    CU_ASSERT_EQUAL(chaos_rules_parse("", 0, &r, bad, sizeof bad), 0);
    CU_ASSERT_EQUAL(r.n, 0);
    chaos_rules_effect(&r, 2, &e);
    CU_ASSERT(!e.partition && !e.drop_pct && !e.delay_ms);
    /* no trailing newline, CR-free single rule */
    CU_ASSERT_EQUAL(chaos_rules_parse("partition *", 11, &r, bad, sizeof bad), 0);
    chaos_rules_effect(&r, 77, &e);
    CU_ASSERT(e.partition);
}

/* ---- the plugin --------------------------------------------------------- */

static void test_partition_both_ways_then_heal(void)
{
    struct node a, b;
    start_pair(&a, &b);
    send_n(&a, &b, 5);
    send_n(&b, &a, 5);
    CU_ASSERT_EQUAL(wait_rx(&b, 5, 5000), 5);
    CU_ASSERT_EQUAL(wait_rx(&a, 5, 5000), 5);
    CU_ASSERT_EQUAL(b.head->from, 1);

    /* only node 1's rules name node 2: both directions are cut */
    set_rules(&a, "partition 2\n");
    rx_clear(&a);
    rx_clear(&b);
    send_n(&a, &b, 20);
    send_n(&b, &a, 20);
    sleep_ms(300);
    CU_ASSERT_EQUAL(rx_count(&b), 0);
    CU_ASSERT_EQUAL(rx_count(&a), 0);

    /* a rule for another peer does not cut node 2 */
    set_rules(&a, "partition 9\n");
    send_n(&a, &b, 3);
    CU_ASSERT_EQUAL(wait_rx(&b, 3, 5000), 3);
    rx_clear(&b);

    /* `*` cuts every peer; an empty file heals */
    set_rules(&a, "partition *\n");
    send_n(&b, &a, 3);
    sleep_ms(200);
    CU_ASSERT_EQUAL(rx_count(&a), 0);
    set_rules(&a, "");
    send_n(&a, &b, 4);
    send_n(&b, &a, 4);
    CU_ASSERT_EQUAL(wait_rx(&b, 4, 5000), 4);
    CU_ASSERT_EQUAL(wait_rx(&a, 4, 5000), 4);

    /* a removed file is a healthy network too */
    set_rules(&a, "partition 2\n");
    unlink(a.rules);
    sleep_ms(200);
    rx_clear(&b);
    send_n(&a, &b, 2);
    CU_ASSERT_EQUAL(wait_rx(&b, 2, 5000), 2);
    node_unload(&a);
    node_unload(&b);
}

static void test_drop(void)
{
    struct node a, b;
    size_t got;
    start_pair(&a, &b);
    set_rules(&b, "drop 1 100\n"); /* inbound at node 2 */
    send_n(&a, &b, 50);
    sleep_ms(300);
    CU_ASSERT_EQUAL(rx_count(&b), 0);
    set_rules(&b, "");
    set_rules(&a, "drop 2 50\n"); /* outbound at node 1 */
    send_n(&a, &b, 400);
    sleep_ms(500);
    got = rx_count(&b);
    CU_ASSERT(got >= 120 && got <= 280);
    fprintf(stderr, "drop 50%%: %zu of 400 frames arrived\n", got);
    node_unload(&a);
    node_unload(&b);
}

static void test_delay_keeps_order(void)
{
    struct node a, b;
    struct rx *r;
    int64_t t0;
    unsigned i = 0, bad = 0;
    start_pair(&a, &b);
    set_rules(&a, "delay 2 300\n");
    t0 = now_ms();
    send_n(&a, &b, 30);
    set_rules(&a, ""); /* frames sent now queue behind the held ones */
    for (i = 30; i < 40; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "f%u", i);
        CU_ASSERT_EQUAL(send_str(&a, 2, b.addr, buf), SKV_OK);
    }
    CU_ASSERT_EQUAL(wait_rx(&b, 40, 5000), 40);
    CU_ASSERT(b.head && b.head->at_ms - t0 >= 290);
    for (r = b.head, i = 0; r; r = r->next, i++) {
        char want[32];
        snprintf(want, sizeof want, "f%u", i);
        bad += strcmp(r->data, want) != 0;
    }
    CU_ASSERT_EQUAL(bad, 0);

    /* inbound delay */
    rx_clear(&a);
    set_rules(&a, "delay 2 250\n");
    t0 = now_ms();
    send_n(&b, &a, 3);
    CU_ASSERT_EQUAL(wait_rx(&a, 3, 5000), 3);
    CU_ASSERT(a.head && a.head->at_ms - t0 >= 240);

    /* a partition cuts frames still held */
    set_rules(&a, "delay 2 1000\n");
    rx_clear(&b);
    send_n(&a, &b, 5);
    set_rules(&a, "delay 2 1000\npartition 2\n");
    sleep_ms(1200);
    CU_ASSERT_EQUAL(rx_count(&b), 0);
    /* stop with frames held is prompt and delivers nothing late */
    set_rules(&a, "delay 2 5000\n");
    send_n(&a, &b, 5);
    t0 = now_ms();
    node_unload(&a);
    CU_ASSERT(now_ms() - t0 < 2000);
    node_unload(&b);
}

static void test_options(void)
{
    static const char *const tcp_opt[] = {"max_queue_frames", "8", NULL};
    static const char *const unknown[] = {"no_such_option", "1", NULL};
    static const char *const bad_poll[] = {"poll_ms", "0", NULL};
    struct node a;
    struct skv_err err = {0, ""};
    CU_ASSERT_EQUAL(node_load(&a, 1, tcp_opt, &err), SKV_OK);
    /* reload and security are the tcp code's, forwarded. */
    CU_ASSERT_EQUAL(a.ops->security(a.st), 0);
    CU_ASSERT_EQUAL(a.ops->reload(a.st, &err), SKV_OK);
    node_unload(&a);
    CU_ASSERT_NOT_EQUAL(node_load(&a, 1, unknown, &err), SKV_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no_such_option"));
    node_unload(&a);
    CU_ASSERT_NOT_EQUAL(node_load(&a, 1, bad_poll, &err), SKV_OK);
    node_unload(&a);
}

static void test_only_entry_symbol_exported(void)
{
    static const char *const internal[] = {"skv_chaos_tcp_plugin_v1", "chaos_rules_parse",
                                           "tcp_peer_table_send", "tcp_listener_start"};
    struct node a;
    struct skv_err err = {0, ""};
    void *dl;
    unsigned i;
    CU_ASSERT_FATAL(node_load(&a, 1, NULL, &err) == SKV_OK);
    CU_ASSERT_STRING_EQUAL(skv_plugin_desc(a.inst)->name, "chaos");
    dl = dlopen(skv_plugin_path(a.inst), RTLD_NOW | RTLD_NOLOAD);
    CU_ASSERT_FATAL(dl != NULL);
    CU_ASSERT_PTR_NOT_NULL(dlsym(dl, SKV_PLUGIN_ENTRY));
    for (i = 0; i < sizeof internal / sizeof internal[0]; i++)
        CU_ASSERT_PTR_NULL(dlsym(dl, internal[i]));
    dlclose(dl);
    node_unload(&a);
}

int main(void)
{
    CU_pSuite s;
    int rc;
    if (!(tmpdir = skv_test_tmpdir("chaos")))
        return 99;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("transport-chaos", NULL, NULL);
    if (!s || !CU_add_test(s, "rules: parse, bad lines, combine", test_rules_parse) ||
        !CU_add_test(s, "partition both ways at run time, heal",
                     test_partition_both_ways_then_heal) ||
        !CU_add_test(s, "drop 100% and 50%", test_drop) ||
        !CU_add_test(s, "delay holds frames, keeps order; partition cuts held frames",
                     test_delay_keeps_order) ||
        !CU_add_test(s, "options: tcp pass-through, unknown refused", test_options) ||
        !CU_add_test(s, "only the entry symbol is exported",
                     test_only_entry_symbol_exported)) {
        CU_cleanup_registry();
        return 99;
    }
    rc = skv_test_run();
    skv_test_rmtree(tmpdir);
    free(tmpdir);
    return rc;
}
