/* SPDX-License-Identifier: MIT */
/*
 * test_transport_tcp.c — the real transport-tcp plugin, loaded twice
 * through the core loader (nodes 1 and 2) and talking over 127.0.0.1 on
 * free ports: order and sizes, lazy connect, address change, reconnect
 * after a restart, queue bounds, hostile peers, busy port, prompt stop,
 * and that only the entry symbol is exported (plaintext, insecure: true);
 * then mutual TLS with certificates made by tls_fx.c: frames carry the
 * certificate's id, refused peers (no / self-signed / other-CA / client /
 * expired certificate, a valid certificate announcing another id,
 * plaintext vs TLS), the dialer checking the listener's id, reload,
 * option errors, the identity parser and the log rate limit. Waits are
 * condition variables with deadlines, never sleeps.
 */
#include <sealkv/transport.h>
#include "plugin/loader.h"
#include "skv_test.h"
#include "skv_free_port.h"
#include "tcp_ident.h"
#include "tcp_ratelog.h"
#include "tls_fx.h"

#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <openssl/pem.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024u * 1024u)

static const char *const plain_opts[] = {"insecure", "true", NULL};
static struct tls_fx fx;

struct rx_frame {
    struct rx_frame *next;
    uint64_t from;
    size_t len;
    unsigned char data[];
};

/* One loaded plugin instance plus what its deliver() received. */
struct node {
    uint64_t id;
    struct skv_conf_plugin conf;
    struct skv_host_hooks hooks;
    struct skv_plugin_inst *inst;
    const struct skv_transport_ops *ops;
    void *st;
    char addr[64];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct rx_frame *head, *tail;
    size_t count;
    int stopped;          /* stop() has returned */
    int late;             /* deliver() calls after stop() returned */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_deliver(void *arg, uint64_t from, const void *data,
                       size_t len)
{
    struct node *n = arg;
    struct rx_frame *f = malloc(sizeof *f + len);
    pthread_mutex_lock(&n->mu);
    if (n->stopped) {
        n->late++;
        free(f);
    } else if (f) {
        f->next = NULL;
        f->from = from;
        f->len = len;
        memcpy(f->data, data, len);
        if (n->tail)
            n->tail->next = f;
        else
            n->head = f;
        n->tail = f;
        n->count++;
    }
    pthread_cond_broadcast(&n->cv);
    pthread_mutex_unlock(&n->mu);
}

static void node_clear_rx(struct node *n)
{
    struct rx_frame *f;
    pthread_mutex_lock(&n->mu);
    while ((f = n->head)) {
        n->head = f->next;
        free(f);
    }
    n->tail = NULL;
    n->count = 0;
    pthread_mutex_unlock(&n->mu);
}

/* Load "tcp" as node `id`; `opts` is a NULL-terminated key,value list. */
static int node_load(struct node *n, uint64_t id, const char *const *opts,
                     struct skv_err *err)
{
    pthread_condattr_t ca;
    size_t i;
    int rc;
    memset(n, 0, sizeof *n);
    n->id = id;
    pthread_mutex_init(&n->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&n->cv, &ca);
    pthread_condattr_destroy(&ca);
    n->conf.name = strdup("tcp");
    for (i = 0; opts && opts[2 * i]; i++) {
        n->conf.options[i].key = strdup(opts[2 * i]);
        n->conf.options[i].value = strdup(opts[2 * i + 1]);
        n->conf.options[i].pos.line = (unsigned)i + 1;
        n->conf.options[i].pos.col = 5;
    }
    n->conf.n_options = i;
    n->hooks.node = n;
    n->hooks.deliver = on_deliver;
    n->hooks.node_id = id;
    n->hooks.log_level = SKV_LOG_WARN;
    rc = skv_plugin_load(SKV_KIND_TRANSPORT, &n->conf, "test.yaml", NULL, 0,
                         &n->hooks, &n->inst, err);
    if (rc == SKV_OK) {
        n->ops = skv_plugin_ops(n->inst);
        n->st = skv_plugin_state(n->inst);
    }
    return rc;
}

static void node_stop(struct node *n)
{
    if (!n->inst)
        return;
    n->ops->stop(n->st);
    pthread_mutex_lock(&n->mu);
    n->stopped = 1;
    pthread_mutex_unlock(&n->mu);
}

static void node_unload(struct node *n)
{
    size_t i;
    if (n->inst) {
        node_stop(n);
        skv_plugin_unload(n->inst);
        n->inst = NULL;
    }
    CU_ASSERT_EQUAL(n->late, 0);
    node_clear_rx(n);
    for (i = 0; i < n->conf.n_options; i++) {
        free(n->conf.options[i].key);
        free(n->conf.options[i].value);
    }
    free(n->conf.name);
    pthread_cond_destroy(&n->cv);
    pthread_mutex_destroy(&n->mu);
}

static void port_addr(char *out, size_t len, unsigned port)
{
    snprintf(out, len, "127.0.0.1:%u", port);
}

/* Start on a fresh free port, retrying if another process grabbed it. */
static int node_start(struct node *n)
{
    struct skv_err err = {0, ""};
    int rc = SKV_ERR_BUSY, tries;
    for (tries = 0; tries < 20 && rc == SKV_ERR_BUSY; tries++) {
        port_addr(n->addr, sizeof n->addr, skv_test_free_port());
        rc = n->ops->start(n->st, n->addr, &err);
    }
    if (rc != SKV_OK)
        fprintf(stderr, "start %s: %s\n", n->addr, err.msg);
    pthread_mutex_lock(&n->mu);
    n->stopped = 0;
    pthread_mutex_unlock(&n->mu);
    return rc;
}

/* Wait until `n` holds at least `want` frames or `ms` pass; the count. */
static size_t wait_count(struct node *n, size_t want, int64_t ms)
{
    int64_t deadline = now_ms() + ms;
    struct timespec ts = {(time_t)(deadline / 1000),
                          (long)(deadline % 1000) * 1000000L};
    size_t got;
    pthread_mutex_lock(&n->mu);
    while (n->count < want && now_ms() < deadline)
        pthread_cond_timedwait(&n->cv, &n->mu, &ts);
    got = n->count;
    pthread_mutex_unlock(&n->mu);
    return got;
}

static size_t frame_size(unsigned i)
{
    if (i == 0)
        return 1;
    if (i == 1)
        return MIB;
    return (i * 7919u) % 20000u + 1;
}

static void frame_fill(unsigned i, unsigned char *buf, size_t len)
{
    size_t j;
    for (j = 0; j < len; j++)
        buf[j] = (unsigned char)(i * 31u + j * 7u + (j >> 8));
}

/* Send frame `i` as two iovs (exercises the copy of a gather list). */
static int send_frame(struct node *a, uint64_t to, const char *addr,
                      unsigned i, unsigned char *buf, struct skv_err *err)
{
    size_t len = frame_size(i);
    struct skv_iov iov[2] = {{buf, len / 2}, {buf + len / 2, len - len / 2}};
    frame_fill(i, buf, len);
    return a->ops->send(a->st, to, addr, iov, 2, err);
}

static int send_str(struct node *a, uint64_t to, const char *addr,
                    const char *s, struct skv_err *err)
{
    struct skv_iov iov = {s, strlen(s)};
    return a->ops->send(a->st, to, addr, &iov, 1, err);
}

/* Check that received frames [first, first+count) are frames
 * idx0.. in order, from `from`. */
static void check_frames(struct node *b, uint64_t from, unsigned idx0,
                         unsigned count, unsigned char *buf)
{
    struct rx_frame *f;
    unsigned i = idx0, bad = 0;
    pthread_mutex_lock(&b->mu);
    for (f = b->head; f && i < idx0 + count; f = f->next, i++) {
        size_t len = frame_size(i);
        frame_fill(i, buf, len);
        if (f->from != from || f->len != len || memcmp(f->data, buf, len))
            bad++;
    }
    pthread_mutex_unlock(&b->mu);
    CU_ASSERT_EQUAL(i, idx0 + count);
    CU_ASSERT_EQUAL(bad, 0);
}

/* Frames idx0.. count each arrived exactly once from `from`, in any
 * order: across a reconnect (a credentials reload) the transport orders
 * frames per connection only (<sealkv/transport.h>), and the tail of the
 * old connection may be delivered after the head of the new one. */
static void check_frames_once(struct node *b, uint64_t from, unsigned idx0,
                              unsigned count, unsigned char *buf)
{
    struct rx_frame *f;
    unsigned char *seen = calloc(count, 1);
    unsigned n = 0, bad = 0, i;
    CU_ASSERT_FATAL(seen != NULL);
    pthread_mutex_lock(&b->mu);
    for (f = b->head; f && n < count; f = f->next, n++) {
        for (i = 0; i < count; i++) {
            size_t len = frame_size(idx0 + i);
            if (seen[i] || f->len != len)
                continue;
            frame_fill(idx0 + i, buf, len);
            if (memcmp(f->data, buf, len) == 0)
                break;
        }
        if (i == count || f->from != from)
            bad++;
        else
            seen[i] = 1;
    }
    pthread_mutex_unlock(&b->mu);
    CU_ASSERT_EQUAL(n, count);
    CU_ASSERT_EQUAL(bad, 0);
    free(seen);
}

static void load_pair(struct node *a, struct node *b)
{
    struct skv_err err = {0, ""};
    CU_ASSERT_FATAL(node_load(a, 1, plain_opts, &err) == SKV_OK);
    CU_ASSERT_FATAL(node_load(b, 2, plain_opts, &err) == SKV_OK);
    CU_ASSERT_EQUAL(a->ops->security(a->st), 0);
}

/* ---- tests ------------------------------------------------------- */

static void test_thousand_frames_in_order(void)
{
    struct node a, b;
    struct skv_err err = {0, ""};
    unsigned char *buf = malloc(MIB);
    unsigned i, failed = 0;
    CU_ASSERT_FATAL(buf != NULL);
    load_pair(&a, &b);
    CU_ASSERT_FATAL(node_start(&a) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&b) == SKV_OK);
    for (i = 0; i < 1000; i++)
        failed += send_frame(&a, 2, b.addr, i, buf, &err) != SKV_OK;
    CU_ASSERT_EQUAL(failed, 0);
    CU_ASSERT_EQUAL(wait_count(&b, 1000, 30000), 1000);
    check_frames(&b, 1, 0, 1000, buf);
    CU_ASSERT_EQUAL(wait_count(&a, 1, 0), 0);
    node_unload(&a);
    node_unload(&b);
    free(buf);
}

static void test_lazy_connect_address_change_reconnect(void)
{
    struct node a, b;
    struct skv_err err = {0, ""};
    unsigned char *buf = malloc(MIB);
    char dead[64];
    unsigned i, tries;
    int rc;
    CU_ASSERT_FATAL(buf != NULL);
    load_pair(&a, &b);
    CU_ASSERT_FATAL(node_start(&a) == SKV_OK);
    port_addr(dead, sizeof dead, skv_test_free_port());
    port_addr(b.addr, sizeof b.addr, skv_test_free_port());
    /* B not listening: first to a dead address, then to B's future one. */
    for (i = 0; i < 10; i++)
        CU_ASSERT_EQUAL(send_frame(&a, 2, i < 5 ? dead : b.addr, i + 2, buf,
                                   &err), SKV_OK);
    CU_ASSERT_FATAL(b.ops->start(b.st, b.addr, &err) == SKV_OK);
    CU_ASSERT_EQUAL(wait_count(&b, 10, 10000), 10);
    check_frames(&b, 1, 2, 10, buf);

    /* Restart B on the same port: A notices and reconnects. */
    node_stop(&b);
    node_clear_rx(&b);
    rc = b.ops->start(b.st, b.addr, &err);
    CU_ASSERT_FATAL(rc == SKV_OK);
    pthread_mutex_lock(&b.mu);
    b.stopped = 0;
    pthread_mutex_unlock(&b.mu);
    for (tries = 0; tries < 40 && wait_count(&b, 1, 250) == 0; tries++)
        CU_ASSERT_EQUAL(send_str(&a, 2, b.addr, "probe", &err), SKV_OK);
    CU_ASSERT_FATAL(wait_count(&b, 1, 0) >= 1);
    CU_ASSERT_EQUAL(b.head->from, 1);
    CU_ASSERT_EQUAL(b.head->len, 5);
    node_unload(&a);
    node_unload(&b);
    free(buf);
}

static void test_address_change_while_connected(void)
{
    struct node a, b, b2;
    struct skv_err err = {0, ""};
    load_pair(&a, &b);
    CU_ASSERT_FATAL(node_load(&b2, 2, plain_opts, &err) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&a) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&b) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&b2) == SKV_OK);
    CU_ASSERT_EQUAL(send_str(&a, 2, b.addr, "old", &err), SKV_OK);
    CU_ASSERT_EQUAL(wait_count(&b, 1, 10000), 1);
    /* Node 2 moved: the connection to the old address is dropped. */
    CU_ASSERT_EQUAL(send_str(&a, 2, b2.addr, "new", &err), SKV_OK);
    CU_ASSERT_EQUAL(wait_count(&b2, 1, 10000), 1);
    pthread_mutex_lock(&b2.mu);
    CU_ASSERT(b2.head && b2.head->from == 1 && b2.head->len == 3 &&
              memcmp(b2.head->data, "new", 3) == 0);
    pthread_mutex_unlock(&b2.mu);
    CU_ASSERT_EQUAL(wait_count(&b, 2, 0), 1);
    node_unload(&a);
    node_unload(&b);
    node_unload(&b2);
}

static void test_queue_bounds_and_bad_sends(void)
{
    static const char *const opts[] = {"max_queue_frames", "4",
                                       "max_queue_bytes", "4096",
                                       "reconnect_min_ms", "20",
                                       "insecure", "true", NULL};
    struct node a, idle;
    struct skv_err err = {0, ""};
    unsigned char *big = calloc(1, MIB), small[3000] = {0};
    struct skv_iov huge[65], iv;
    char dead[64];
    unsigned i;
    CU_ASSERT_FATAL(big != NULL);
    CU_ASSERT_FATAL(node_load(&a, 1, opts, &err) == SKV_OK);
    CU_ASSERT_FATAL(node_load(&idle, 2, plain_opts, &err) == SKV_OK);
    CU_ASSERT_EQUAL(send_str(&idle, 1, "127.0.0.1:1", "x", &err), SKV_ERR_CLOSED);
    CU_ASSERT_FATAL(node_start(&a) == SKV_OK);
    port_addr(dead, sizeof dead, skv_test_free_port());
    for (i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(send_str(&a, 3, dead, "0123456789", &err), SKV_OK);
    CU_ASSERT_EQUAL(send_str(&a, 3, dead, "0123456789", &err), SKV_ERR_FULL);
    CU_ASSERT_EQUAL(err.code, SKV_ERR_FULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "full"));
    iv.base = small;
    iv.len = 3000;
    CU_ASSERT_EQUAL(a.ops->send(a.st, 4, dead, &iv, 1, &err), SKV_OK);
    iv.len = 2000;
    CU_ASSERT_EQUAL(a.ops->send(a.st, 4, dead, &iv, 1, &err), SKV_ERR_FULL);
    iv.len = 1000;
    CU_ASSERT_EQUAL(a.ops->send(a.st, 4, dead, &iv, 1, &err), SKV_OK);
    /* forget drops the queue: room again. */
    a.ops->forget(a.st, 3);
    for (i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(send_str(&a, 3, dead, "0123456789", &err), SKV_OK);
    /* Size and argument checks. */
    for (i = 0; i < 65; i++) {
        huge[i].base = big;
        huge[i].len = MIB;
    }
    CU_ASSERT_EQUAL(a.ops->send(a.st, 5, dead, huge, 65, &err), SKV_ERR_TOOBIG);
    CU_ASSERT_EQUAL(a.ops->send(a.st, 5, dead, huge, 0, &err), SKV_ERR_INVALID);
    iv.len = 0;
    CU_ASSERT_EQUAL(a.ops->send(a.st, 5, dead, &iv, 1, &err), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(send_str(&a, 5, "nohostport", "x", &err), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(send_str(&a, 5, "127.0.0.1:70000", "x", &err), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(send_str(&a, 5, ":80", "x", &err), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(send_str(&a, 0, dead, "x", &err), SKV_ERR_INVALID);
    node_unload(&a);
    node_unload(&idle);
    free(big);
}

static void test_bad_options(void)
{
    static const char *const minmax[] = {"reconnect_min_ms", "500",
                                         "reconnect_max_ms", "100",
                                         "insecure", "true", NULL};
    static const char *const notint[] = {"max_queue_frames", "many",
                                         "insecure", "true", NULL};
    static const char *const zero[] = {"max_queue_bytes", "0", "insecure",
                                       "true", NULL};
    static const char *const unknown[] = {"bogus", "1", "insecure", "true",
                                          NULL};
    const char *const *cases[] = {minmax, notint, zero, unknown};
    struct node n;
    struct skv_err err = {0, ""};
    unsigned i;
    for (i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(node_load(&n, 1, cases[i], &err), SKV_ERR_CONFIG);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[i][0]));
        node_unload(&n);
    }
}

/* Blocking client socket to 127.0.0.1:port of `addr`, or -1. */
static int raw_connect(const char *addr)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)atoi(strrchr(addr, ':') + 1));
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static int raw_send(int fd, const void *p, size_t len)
{
    return send(fd, p, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

/* 1 if the server closes `fd` within `ms` (EOF or reset). Closes fd. */
static int closed_by_server(int fd, int64_t ms)
{
    int64_t deadline = now_ms() + ms;
    char c[256];
    int closed = 0;
    while (!closed && now_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(deadline - now_ms())) > 0)
            closed = recv(fd, c, sizeof c, 0) <= 0;
    }
    close(fd);
    return closed;
}

static void hs_make(unsigned char hs[16], unsigned version, uint64_t id)
{
    unsigned i;
    memcpy(hs, "SKVT", 4);
    hs[4] = (unsigned char)version;
    hs[5] = hs[6] = hs[7] = 0;
    for (i = 0; i < 8; i++)
        hs[8 + i] = (unsigned char)(id >> (8 * i));
}

static void le32(unsigned char out[4], uint32_t v)
{
    out[0] = (unsigned char)v;
    out[1] = (unsigned char)(v >> 8);
    out[2] = (unsigned char)(v >> 16);
    out[3] = (unsigned char)(v >> 24);
}

/* Connect, send handshake(version, id) + `tail`; expect a disconnect. */
static int hostile(const char *addr, unsigned version, const void *tail,
                   size_t tail_len)
{
    unsigned char hs[16];
    int fd = raw_connect(addr);
    if (fd < 0)
        return 0;
    hs_make(hs, version, 77);
    if (raw_send(fd, hs, sizeof hs) != 0 ||
        (tail_len && raw_send(fd, tail, tail_len) != 0)) {
        close(fd);
        return 1; /* already reset by the server */
    }
    return closed_by_server(fd, 5000);
}

static void test_hostile_peers(void)
{
    static const char http[] = "GET / HTTP/1.0\r\nHost: x\r\n\r\n";
    struct node a, b;
    struct skv_err err = {0, ""};
    unsigned char msg[4 + 5 + 4], zero[4], over[4], part[4 + 10] = {0};
    unsigned char hs[16];
    int fd;
    load_pair(&a, &b);
    CU_ASSERT_FATAL(node_start(&a) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&b) == SKV_OK);
    /* Garbage instead of a handshake. */
    fd = raw_connect(b.addr);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(raw_send(fd, http, sizeof http - 1), 0);
    CU_ASSERT(closed_by_server(fd, 5000));
    /* Wrong protocol version. */
    CU_ASSERT(hostile(b.addr, 9, NULL, 0));
    /* Zero and oversized frame lengths. */
    le32(zero, 0);
    CU_ASSERT(hostile(b.addr, 1, zero, 4));
    le32(over, SKV_TRANSPORT_MAX_FRAME + 1);
    CU_ASSERT(hostile(b.addr, 1, over, 4));
    /* A good frame, then a bad length: the good one is delivered. */
    le32(msg, 5);
    memcpy(msg + 4, "hello", 5);
    le32(msg + 9, 0xFFFFFFFFu);
    CU_ASSERT(hostile(b.addr, 1, msg, sizeof msg));
    CU_ASSERT_EQUAL(wait_count(&b, 1, 5000), 1);
    /* Half a handshake, then the client hangs up. */
    hs_make(hs, 1, 78);
    fd = raw_connect(b.addr);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(raw_send(fd, hs, 9), 0);
    close(fd);
    /* A truncated frame, then the client hangs up. */
    le32(part, 100);
    hs_make(hs, 1, 79);
    fd = raw_connect(b.addr);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(raw_send(fd, hs, sizeof hs), 0);
    CU_ASSERT_EQUAL(raw_send(fd, part, sizeof part), 0);
    close(fd);
    /* B still works for a real peer. */
    CU_ASSERT_EQUAL(send_str(&a, 2, b.addr, "still-alive", &err), SKV_OK);
    CU_ASSERT_EQUAL(wait_count(&b, 2, 10000), 2);
    pthread_mutex_lock(&b.mu);
    CU_ASSERT_FATAL(b.count == 2);
    CU_ASSERT_EQUAL(b.head->from, 77);
    CU_ASSERT(b.head->len == 5 && memcmp(b.head->data, "hello", 5) == 0);
    CU_ASSERT_EQUAL(b.tail->from, 1);
    CU_ASSERT(b.tail->len == 11 && memcmp(b.tail->data, "still-alive", 11) == 0);
    pthread_mutex_unlock(&b.mu);
    node_unload(&a);
    node_unload(&b);
}

static void test_busy_and_bad_listen_address(void)
{
    static const char *const bad[] = {"127.0.0.1", "127.0.0.1:99999",
                                      "", "[::1", "127.0.0.1:x1", ":::1"};
    struct node a, b;
    struct skv_err err = {0, ""};
    unsigned i;
    load_pair(&a, &b);
    CU_ASSERT_FATAL(node_start(&b) == SKV_OK);
    CU_ASSERT_EQUAL(a.ops->start(a.st, b.addr, &err), SKV_ERR_BUSY);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "in use"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, b.addr));
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(a.ops->start(a.st, bad[i], &err), SKV_ERR_INVALID);
    /* Still usable after the failures; a second start is refused. */
    CU_ASSERT_EQUAL(node_start(&a), SKV_OK);
    CU_ASSERT_EQUAL(a.ops->start(a.st, "127.0.0.1:0", &err), SKV_ERR_INVALID);
    node_unload(&a);
    node_unload(&b);
}

static void test_stop_is_prompt(void)
{
    struct node a, b;
    struct skv_err err = {0, ""};
    unsigned char *buf = calloc(1, 256 * 1024);
    struct skv_iov iov = {buf, 256 * 1024};
    char dead[64];
    int64_t t0;
    unsigned i;
    int idle;
    CU_ASSERT_FATAL(buf != NULL);
    load_pair(&a, &b);
    CU_ASSERT_FATAL(node_start(&a) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&b) == SKV_OK);
    for (i = 0; i < 20; i++)
        CU_ASSERT_EQUAL(send_str(&a, 2, b.addr, "warm-up", &err), SKV_OK);
    CU_ASSERT_EQUAL(wait_count(&b, 20, 10000), 20);
    idle = raw_connect(b.addr); /* never sends its handshake */
    CU_ASSERT(idle >= 0);
    port_addr(dead, sizeof dead, skv_test_free_port());
    for (i = 0; i < 100; i++) {
        CU_ASSERT_EQUAL(a.ops->send(a.st, 2, b.addr, &iov, 1, &err), SKV_OK);
        CU_ASSERT_EQUAL(send_str(&a, 5, dead, "queued", &err), SKV_OK);
    }
    t0 = now_ms();
    node_stop(&b);
    CU_ASSERT(now_ms() - t0 < 2000);
    t0 = now_ms();
    node_stop(&a);
    CU_ASSERT(now_ms() - t0 < 2000);
    CU_ASSERT_EQUAL(send_str(&a, 2, b.addr, "late", &err), SKV_ERR_CLOSED);
    if (idle >= 0)
        close(idle);
    node_unload(&a);
    node_unload(&b);
    free(buf);
}

static void test_only_entry_symbol_exported(void)
{
    static const char *const internal[] = {
        "tcp_peer_table_send", "tcp_listener_start", "tcp_io_write_all",
        "tcp_handshake_encode", "tcp_queue_push", "tcp_addr_connect"};
    struct node a;
    struct skv_err err = {0, ""};
    void *dl;
    unsigned i;
    CU_ASSERT_FATAL(node_load(&a, 1, plain_opts, &err) == SKV_OK);
    dl = dlopen(skv_plugin_path(a.inst), RTLD_NOW | RTLD_NOLOAD);
    CU_ASSERT_FATAL(dl != NULL);
    CU_ASSERT_PTR_NOT_NULL(dlsym(dl, SKV_PLUGIN_ENTRY));
    for (i = 0; i < sizeof internal / sizeof internal[0]; i++)
        CU_ASSERT_PTR_NULL(dlsym(dl, internal[i]));
    dlclose(dl);
    node_unload(&a);
}

/* ---- mutual TLS ---------------------------------------------------- */

/* Options for a TLS node: CA file `ca` (a tls_fx name) and the
 * certificate/key pair `name`; `extra` (may be NULL) appended. */
struct tls_opts {
    char ca[128], crt[128], key[128];
    const char *kv[16];
};

static const char *const *tls_opts(struct tls_opts *o, const char *ca,
                                   const char *name)
{
    const char *kv[] = {"ca_file", tls_fx_path(&fx, ca, "crt", o->ca, sizeof o->ca),
                        "cert_file", tls_fx_path(&fx, name, "crt", o->crt, sizeof o->crt),
                        "key_file", tls_fx_path(&fx, name, "key", o->key, sizeof o->key),
                        "reconnect_min_ms", "20", "reconnect_max_ms", "100",
                        NULL};
    memcpy(o->kv, kv, sizeof kv);
    return o->kv;
}

static int tls_load(struct node *n, uint64_t id, const char *ca,
                    const char *name, struct skv_err *err)
{
    struct tls_opts o;
    return node_load(n, id, tls_opts(&o, ca, name), err);
}

static unsigned addr_port(const char *addr)
{
    return (unsigned)atoi(strrchr(addr, ':') + 1);
}

static int suite_init(void)
{
    return tls_fx_init(&fx) ||
           tls_fx_issue(&fx, "n1", "urn:sealkv:node:1", TLS_FX_CA1, 0, 0) ||
           tls_fx_issue(&fx, "n2", "urn:sealkv:node:2", TLS_FX_CA1, 0, 0) ||
           tls_fx_issue(&fx, "n3", "urn:sealkv:node:3", TLS_FX_CA1, 0, 0) ||
           tls_fx_issue(&fx, "n1new", "urn:sealkv:node:1", TLS_FX_CA1, 0, 0) ||
           tls_fx_issue(&fx, "n1ca2", "urn:sealkv:node:1", TLS_FX_CA2, 0, 0) ||
           tls_fx_issue(&fx, "o2", "urn:sealkv:node:2", TLS_FX_CA2, 0, 0) ||
           tls_fx_issue(&fx, "s2", "urn:sealkv:node:2", TLS_FX_SELF, 0, 0) ||
           tls_fx_issue(&fx, "cl", "urn:sealkv:client:alice", TLS_FX_CA1, 1, 0) ||
           tls_fx_issue(&fx, "ex1", "urn:sealkv:node:1", TLS_FX_CA1, 0, 1) ||
           tls_fx_issue(&fx, "noid", NULL, TLS_FX_CA1, 0, 0) ||
           tls_fx_issue(&fx, "lead0", "urn:sealkv:node:01", TLS_FX_CA1, 0, 0) ||
           tls_fx_copy(&fx, "n1", "a1") ? -1 : 0;
}

static int suite_clean(void)
{
    tls_fx_fini(&fx);
    return 0;
}

static void test_tls_frames_carry_cert_id(void)
{
    struct node a, b;
    struct skv_err err = {0, ""};
    unsigned char *buf = malloc(MIB);
    unsigned i, failed = 0;
    CU_ASSERT_FATAL(buf != NULL);
    CU_ASSERT_FATAL(tls_load(&a, 1, "ca1", "n1", &err) == SKV_OK);
    CU_ASSERT_FATAL(tls_load(&b, 2, "ca1", "n2", &err) == SKV_OK);
    CU_ASSERT_EQUAL(a.ops->security(a.st), SKV_TRANSPORT_SEC_AUTHENTICATED |
                                               SKV_TRANSPORT_SEC_ENCRYPTED);
    CU_ASSERT_FATAL(node_start(&a) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&b) == SKV_OK);
    for (i = 0; i < 300; i++)
        failed += send_frame(&a, 2, b.addr, i, buf, &err) != SKV_OK;
    CU_ASSERT_EQUAL(failed, 0);
    CU_ASSERT_EQUAL(wait_count(&b, 300, 30000), 300);
    check_frames(&b, 1, 0, 300, buf);
    node_unload(&a);
    node_unload(&b);
    free(buf);
}

/* A bare TLS client presenting `name` announces `id` and sends a frame:
 * 1 if the listener closes the connection. */
static int tls_hostile(const char *addr, const char *name, unsigned version,
                       uint64_t id)
{
    unsigned char msg[16 + 4 + 5];
    SSL *ssl = tls_fx_dial(&fx, addr_port(addr), name);
    int closed;
    if (!ssl)
        return 0;
    hs_make(msg, version, id);
    le32(msg + 16, 5);
    memcpy(msg + 20, "hello", 5);
    (void)SSL_write(ssl, msg, sizeof msg); /* may fail: already refused */
    closed = tls_fx_closed_by_server(ssl);
    tls_fx_close(ssl);
    return closed;
}

static void test_tls_refuses_bad_peers(void)
{
    struct node a, b;
    struct skv_err err = {0, ""};
    unsigned char hs[16];
    int fd;
    CU_ASSERT_FATAL(tls_load(&a, 1, "ca1", "n1", &err) == SKV_OK);
    CU_ASSERT_FATAL(tls_load(&b, 2, "ca1", "n2", &err) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&a) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&b) == SKV_OK);
    CU_ASSERT(tls_hostile(b.addr, NULL, 2, 1));      /* no certificate */
    CU_ASSERT(tls_hostile(b.addr, "s2", 2, 2));      /* self-signed */
    CU_ASSERT(tls_hostile(b.addr, "o2", 2, 2));      /* other CA */
    CU_ASSERT(tls_hostile(b.addr, "cl", 2, 1));      /* client cert */
    CU_ASSERT(tls_hostile(b.addr, "ex1", 2, 1));     /* expired */
    CU_ASSERT(tls_hostile(b.addr, "n3", 2, 2));      /* id 3 says 2 */
    CU_ASSERT(tls_hostile(b.addr, "n1", 1, 1));      /* v1 inside TLS */
    /* A plaintext peer at a TLS listener. */
    hs_make(hs, 1, 1);
    fd = raw_connect(b.addr);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(raw_send(fd, hs, sizeof hs), 0);
    CU_ASSERT(closed_by_server(fd, 5000));
    CU_ASSERT_EQUAL(wait_count(&b, 1, 200), 0);
    /* The right certificate announcing its own id is accepted. */
    CU_ASSERT(!tls_hostile(b.addr, "n3", 2, 3));
    CU_ASSERT_EQUAL(wait_count(&b, 1, 5000), 1);
    CU_ASSERT_EQUAL(send_str(&a, 2, b.addr, "real", &err), SKV_OK);
    CU_ASSERT_EQUAL(wait_count(&b, 2, 10000), 2);
    pthread_mutex_lock(&b.mu);
    CU_ASSERT(b.head && b.head->from == 3 && b.tail->from == 1);
    pthread_mutex_unlock(&b.mu);
    node_unload(&a);
    node_unload(&b);
}

static void test_tls_dialer_checks_listener_id(void)
{
    struct node a, c;
    struct skv_err err = {0, ""};
    CU_ASSERT_FATAL(tls_load(&a, 1, "ca1", "n1", &err) == SKV_OK);
    CU_ASSERT_FATAL(tls_load(&c, 3, "ca1", "n3", &err) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&a) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&c) == SKV_OK);
    /* A thinks node 2 lives at C's address: C proves it is node 3. */
    CU_ASSERT_EQUAL(send_str(&a, 2, c.addr, "for-2", &err), SKV_OK);
    CU_ASSERT_EQUAL(wait_count(&c, 1, 1000), 0);
    CU_ASSERT_EQUAL(send_str(&a, 3, c.addr, "for-3", &err), SKV_OK);
    CU_ASSERT_EQUAL(wait_count(&c, 1, 10000), 1);
    CU_ASSERT_EQUAL(wait_count(&c, 2, 200), 1);
    pthread_mutex_lock(&c.mu);
    CU_ASSERT(c.head && c.head->from == 1 && c.head->len == 5 &&
              memcmp(c.head->data, "for-3", 5) == 0);
    pthread_mutex_unlock(&c.mu);
    node_unload(&a);
    node_unload(&c);
}

static void test_tls_vs_plaintext(void)
{
    struct node a, b, pa, pb;
    struct skv_err err = {0, ""};
    CU_ASSERT_FATAL(tls_load(&a, 1, "ca1", "n1", &err) == SKV_OK);
    CU_ASSERT_FATAL(tls_load(&b, 2, "ca1", "n2", &err) == SKV_OK);
    CU_ASSERT_FATAL(node_load(&pa, 1, plain_opts, &err) == SKV_OK);
    CU_ASSERT_FATAL(node_load(&pb, 2, plain_opts, &err) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&a) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&b) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&pa) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&pb) == SKV_OK);
    CU_ASSERT_EQUAL(send_str(&pa, 2, b.addr, "plain-to-tls", &err), SKV_OK);
    CU_ASSERT_EQUAL(send_str(&a, 2, pb.addr, "tls-to-plain", &err), SKV_OK);
    CU_ASSERT_EQUAL(wait_count(&b, 1, 1000), 0);
    CU_ASSERT_EQUAL(wait_count(&pb, 1, 200), 0);
    node_unload(&a);
    node_unload(&b);
    node_unload(&pa);
    node_unload(&pb);
}

/* Send frames idx0.. count from a to b (node 2). */
static unsigned send_run(struct node *a, struct node *b, unsigned idx0,
                         unsigned count, unsigned char *buf)
{
    struct skv_err err = {0, ""};
    unsigned i, failed = 0;
    for (i = idx0; i < idx0 + count; i++)
        failed += send_frame(a, 2, b->addr, i + 2, buf, &err) != SKV_OK;
    return failed;
}

static void test_tls_reload(void)
{
    struct node a, b;
    struct skv_err err = {0, ""};
    unsigned char *buf = malloc(MIB);
    char crt[128];
    CU_ASSERT_FATAL(buf != NULL);
    CU_ASSERT_FATAL(tls_fx_copy(&fx, "n1", "a1") == 0);
    CU_ASSERT_FATAL(tls_load(&a, 1, "cas", "a1", &err) == SKV_OK);
    CU_ASSERT_FATAL(tls_load(&b, 2, "ca1", "n2", &err) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&a) == SKV_OK);
    CU_ASSERT_FATAL(node_start(&b) == SKV_OK);
    /* Rotate to a new key and certificate in the middle of a stream:
     * every frame arrives, exactly once (in order per connection). */
    CU_ASSERT_EQUAL(send_run(&a, &b, 0, 100, buf), 0);
    CU_ASSERT_FATAL(tls_fx_copy(&fx, "n1new", "a1") == 0);
    CU_ASSERT_EQUAL(a.ops->reload(a.st, &err), SKV_OK);
    CU_ASSERT_EQUAL(send_run(&a, &b, 100, 100, buf), 0);
    CU_ASSERT_EQUAL(wait_count(&b, 200, 30000), 200);
    check_frames_once(&b, 1, 2, 200, buf);
    /* A bad reload keeps the old credentials. */
    CU_ASSERT_FATAL(tls_fx_copy(&fx, "n2", "a1") == 0);
    CU_ASSERT_EQUAL(a.ops->reload(a.st, &err), SKV_ERR_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cert_file"));
    CU_ASSERT_FATAL(truncate(tls_fx_path(&fx, "a1", "crt", crt, sizeof crt),
                             10) == 0);
    CU_ASSERT_EQUAL(a.ops->reload(a.st, &err), SKV_ERR_CONFIG);
    CU_ASSERT_EQUAL(a.ops->security(a.st), SKV_TRANSPORT_SEC_AUTHENTICATED |
                                               SKV_TRANSPORT_SEC_ENCRYPTED);
    CU_ASSERT_EQUAL(send_run(&a, &b, 200, 10, buf), 0);
    CU_ASSERT_EQUAL(wait_count(&b, 210, 10000), 210);
    /* New credentials are really used: a CA-2 certificate (A trusts both
     * CAs) is refused by B, which trusts CA 1 only. */
    CU_ASSERT_FATAL(tls_fx_copy(&fx, "n1ca2", "a1") == 0);
    CU_ASSERT_EQUAL(a.ops->reload(a.st, &err), SKV_OK);
    CU_ASSERT_EQUAL(send_str(&a, 2, b.addr, "refused", &err), SKV_OK);
    CU_ASSERT_EQUAL(wait_count(&b, 211, 1000), 210);
    node_unload(&a);
    node_unload(&b);
    free(buf);
}

/* Loading node `id` with (ca, cert, key) fails with SKV_ERR_CONFIG and a
 * message containing `want1` and `want2`. */
static void bad_tls(uint64_t id, const char *ca, const char *crt,
                    const char *key, const char *want1, const char *want2)
{
    const char *kv[] = {"ca_file", ca, "cert_file", crt, "key_file", key,
                        NULL};
    struct skv_err err = {0, ""};
    struct node n;
    CU_ASSERT_EQUAL(node_load(&n, id, kv, &err), SKV_ERR_CONFIG);
    if (!strstr(err.msg, want1) || !strstr(err.msg, want2))
        fprintf(stderr, "unexpected message: %s\n", err.msg);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, want1));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, want2));
    node_unload(&n);
}

static void test_tls_option_errors(void)
{
    char ca[128], c1[128], k1[128], k2[128], o2[128], cl[128], kcl[128],
        ex[128], kex[128], noid[128], knoid[128], c2[128], junk[128],
        wide[128], l0[128], kl0[128], ko2[128];
    struct skv_err err = {0, ""};
    struct node n;
    FILE *f;
    tls_fx_path(&fx, "ca1", "crt", ca, sizeof ca);
    tls_fx_path(&fx, "n1", "crt", c1, sizeof c1);
    tls_fx_path(&fx, "n1", "key", k1, sizeof k1);
    tls_fx_path(&fx, "n2", "crt", c2, sizeof c2);
    tls_fx_path(&fx, "n2", "key", k2, sizeof k2);
    tls_fx_path(&fx, "o2", "crt", o2, sizeof o2);
    tls_fx_path(&fx, "o2", "key", ko2, sizeof ko2);
    tls_fx_path(&fx, "cl", "crt", cl, sizeof cl);
    tls_fx_path(&fx, "cl", "key", kcl, sizeof kcl);
    tls_fx_path(&fx, "ex1", "crt", ex, sizeof ex);
    tls_fx_path(&fx, "ex1", "key", kex, sizeof kex);
    tls_fx_path(&fx, "noid", "crt", noid, sizeof noid);
    tls_fx_path(&fx, "noid", "key", knoid, sizeof knoid);
    tls_fx_path(&fx, "lead0", "crt", l0, sizeof l0);
    tls_fx_path(&fx, "lead0", "key", kl0, sizeof kl0);
    tls_fx_path(&fx, "junk", "txt", junk, sizeof junk);
    tls_fx_path(&fx, "wide", "key", wide, sizeof wide);
    f = fopen(junk, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("not a certificate\n", f);
    fclose(f);
    CU_ASSERT_FATAL(chmod(junk, 0600) == 0);
    /* Nothing configured: TLS is the default and needs its files. */
    CU_ASSERT_EQUAL(node_load(&n, 1, NULL, &err), SKV_ERR_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "ca_file"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "insecure"));
    node_unload(&n);
    bad_tls(1, ca, "", k1, "cert_file", "required");
    bad_tls(1, ca, c1, "", "key_file", "required");
    bad_tls(1, "/nonexistent/ca.pem", c1, k1, "ca_file", "cannot read");
    bad_tls(1, junk, c1, k1, "ca_file", "PEM");
    bad_tls(1, ca, junk, k1, "cert_file", "PEM");
    bad_tls(1, ca, c1, junk, "key_file", "PEM");
    bad_tls(1, ca, c1, k2, "key_file", "does not match");
    bad_tls(2, ca, o2, ko2, "cert_file", "CA");
    bad_tls(1, ca, cl, kcl, "cert_file", "client");
    bad_tls(1, ca, ex, kex, "cert_file", "expired");
    bad_tls(1, ca, noid, knoid, "cert_file", "node identity");
    bad_tls(1, ca, l0, kl0, "cert_file", "leading zeros");
    bad_tls(1, ca, c2, k2, "cert_file", "for node 2 but this is node 1");
    CU_ASSERT_FATAL(tls_fx_copy(&fx, "n1", "wide") == 0);
    CU_ASSERT_FATAL(chmod(wide, 0644) == 0);
    bad_tls(1, ca, c1, wide, "key_file", "readable by other users");
    unlink(junk);
}

static void test_tls_identity_parser(void)
{
    static const char *const names[] = {"n1", "n3", "cl", "noid", "lead0"};
    static const int ok[] = {1, 1, 0, 0, 0};
    static const uint64_t want[] = {1, 3, 0, 0, 0};
    char path[128], why[200];
    uint64_t id;
    unsigned i;
    for (i = 0; i < 5; i++) {
        FILE *f = fopen(tls_fx_path(&fx, names[i], "crt", path, sizeof path),
                        "r");
        X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
        CU_ASSERT_FATAL(x != NULL);
        id = 0;
        CU_ASSERT_EQUAL(tcp_ident_node_id(x, &id, why, sizeof why) == 0,
                        ok[i]);
        CU_ASSERT_EQUAL(id, want[i]);
        X509_free(x);
        fclose(f);
    }
    CU_ASSERT_EQUAL(tcp_ident_parse_id("18446744073709551615", 20, &id), 0);
    CU_ASSERT_EQUAL(id, UINT64_MAX);
    CU_ASSERT_EQUAL(tcp_ident_parse_id("18446744073709551616", 20, &id), -1);
    CU_ASSERT_EQUAL(tcp_ident_parse_id("0", 1, &id), -1);
    CU_ASSERT_EQUAL(tcp_ident_parse_id("+1", 2, &id), -1);
    CU_ASSERT_EQUAL(tcp_ident_parse_id("", 0, &id), -1);
    CU_ASSERT_EQUAL(tcp_ident_parse_id("1 ", 2, &id), -1);
}

static void test_refusal_log_rate_limit(void)
{
    struct tcp_ratelog r;
    unsigned sup = 99, i, allowed = 0;
    CU_ASSERT_FATAL(tcp_ratelog_init(&r) == 0);
    CU_ASSERT(tcp_ratelog_allow(&r, "10.0.0.1:5", 1000, &sup));
    CU_ASSERT_EQUAL(sup, 0);
    for (i = 0; i < 1000; i++)
        allowed += tcp_ratelog_allow(&r, "10.0.0.1:6", 1000 + i, &sup);
    CU_ASSERT_EQUAL(allowed, 0);
    CU_ASSERT(tcp_ratelog_allow(&r, "10.0.0.2:5", 1500, &sup)); /* other */
    CU_ASSERT(tcp_ratelog_allow(&r, "10.0.0.1:7", 1000 + TCP_RATELOG_MS, &sup));
    CU_ASSERT_EQUAL(sup, 1000);
    for (i = 0; i < 200; i++) /* more hosts than slots: still bounded */
        CU_ASSERT(tcp_ratelog_allow(&r, i % 2 ? "[::1]:1" : "h:1", 0, &sup) ||
                  i > 1);
    tcp_ratelog_destroy(&r);
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("transport-tcp", suite_init, suite_clean);
    if (!s ||
        !CU_add_test(s, "1000 frames in order, 1 B to 1 MiB",
                     test_thousand_frames_in_order) ||
        !CU_add_test(s, "lazy connect, address change, reconnect",
                     test_lazy_connect_address_change_reconnect) ||
        !CU_add_test(s, "address change while connected",
                     test_address_change_while_connected) ||
        !CU_add_test(s, "queue bounds and bad sends",
                     test_queue_bounds_and_bad_sends) ||
        !CU_add_test(s, "bad options refused", test_bad_options) ||
        !CU_add_test(s, "hostile peers are disconnected",
                     test_hostile_peers) ||
        !CU_add_test(s, "busy port and bad listen address",
                     test_busy_and_bad_listen_address) ||
        !CU_add_test(s, "stop is prompt with queued data",
                     test_stop_is_prompt) ||
        !CU_add_test(s, "only the entry symbol is exported",
                     test_only_entry_symbol_exported) ||
        !CU_add_test(s, "TLS: frames carry the certificate's id",
                     test_tls_frames_carry_cert_id) ||
        !CU_add_test(s, "TLS: bad peers refused, nothing delivered",
                     test_tls_refuses_bad_peers) ||
        !CU_add_test(s, "TLS: dialer checks the listener's id",
                     test_tls_dialer_checks_listener_id) ||
        !CU_add_test(s, "TLS vs plaintext fails cleanly",
                     test_tls_vs_plaintext) ||
        !CU_add_test(s, "TLS: reload, bad reload keeps the old",
                     test_tls_reload) ||
        !CU_add_test(s, "TLS: option errors name the option",
                     test_tls_option_errors) ||
        !CU_add_test(s, "identity parser", test_tls_identity_parser) ||
        !CU_add_test(s, "refusal log rate limit",
                     test_refusal_log_rate_limit)) {
        CU_cleanup_registry();
        return 99;
    }
    return skv_test_run();
}
