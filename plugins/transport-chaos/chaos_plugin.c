/* SPDX-License-Identifier: MIT */
/*
 * chaos_plugin.c — the "chaos" transport: the tcp transport (its sources
 * are compiled into this plugin, see local.mk) with run-time fault rules
 * applied to every frame, both directions: outbound in send(), inbound in
 * the deliver() hook of a host table that wraps the real one.
 *
 * Rules (chaos_rules.h) come from the file named by option `rules_file`
 * and are re-read whenever its identity (inode, size, mtime) changes;
 * the plugin's own thread checks every `poll_ms` (50) ms and also
 * releases delayed frames when they are due. A missing or empty file is
 * a healthy network. Frames held for a delay are re-checked against a
 * partition when released (a partition also cuts what is in flight).
 * Delayed frames of one peer and direction keep their order.
 *
 * Options: rules_file (""), poll_ms (50), seed (0 = from node id and
 * clock), max_delay_queue_bytes (64 MiB); every transport-tcp option
 * (TLS: ca_file, cert_file, key_file, insecure) is passed through to the
 * tcp code, and reload()/security() are forwarded to it.
 *
 * Built only with ./configure --enable-fault-injection. Test tool: never
 * configure it in production.
 */
#include <sealkv/transport.h>
#include "chaos_rules.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The tcp plugin's entry, renamed at compile time (local.mk). */
const struct skv_plugin *skv_chaos_tcp_plugin_v1(void);
SKV_PLUGIN_EXPORT const struct skv_plugin *sealkv_plugin_v1(void);

enum { DIR_OUT = 0, DIR_IN = 1 };

struct chaos_item {
    struct chaos_item *next;
    uint64_t due_ms;
    uint64_t peer;
    int dir;                   /* DIR_OUT, DIR_IN */
    size_t len;
    char addr[128];            /* outbound only */
    unsigned char data[];
};

struct chaos_link {            /* per peer: two FIFOs of held frames */
    struct chaos_link *next;
    uint64_t peer;
    struct chaos_item *head[2], *tail[2];
};

struct chaos {
    const struct skv_host *host;       /* the real host */
    struct skv_host wrap;              /* what the tcp code sees */
    const struct skv_plugin *inner;
    const struct skv_transport_ops *iops;
    void *ist;
    const char *rules_file;
    unsigned poll_ms;
    uint64_t max_queue;

    pthread_mutex_t mu;                /* everything below */
    pthread_cond_t cv;
    pthread_mutex_t life;              /* start/stop */
    struct chaos_rules rules;
    int have_file;
    dev_t f_dev;
    ino_t f_ino;
    off_t f_size;
    struct timespec f_mtime;
    int running;                       /* hooks may queue */
    int quit;
    int thread_up;
    pthread_t thr;
    uint64_t rng;
    struct chaos_link *links;
    uint64_t queued;
    uint64_t n_part[2], n_drop[2], n_delay[2], n_full[2];
    uint64_t logged_sum;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static unsigned rnd100(struct chaos *c) /* lock held */
{
    uint64_t x = c->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    return (unsigned)((x * UINT64_C(2685821657736338717)) >> 33) % 100u;
}

static struct chaos_link *link_get(struct chaos *c, uint64_t peer) /* lock held */
{
    struct chaos_link *l;
    for (l = c->links; l; l = l->next)
        if (l->peer == peer)
            return l;
    if (!(l = calloc(1, sizeof *l)))
        return NULL;
    l->peer = peer;
    l->next = c->links;
    c->links = l;
    return l;
}

static void link_clear(struct chaos *c, struct chaos_link *l) /* lock held */
{
    int d;
    for (d = 0; d < 2; d++) {
        struct chaos_item *it;
        while ((it = l->head[d])) {
            l->head[d] = it->next;
            c->queued -= it->len;
            free(it);
        }
        l->tail[d] = NULL;
    }
}

static void links_free(struct chaos *c) /* lock held */
{
    struct chaos_link *l;
    while ((l = c->links)) {
        c->links = l->next;
        link_clear(c, l);
        free(l);
    }
}

/* ---- rules file ------------------------------------------------------ */

static void log_rules(struct chaos *c, const struct chaos_rules *r, int nbad,
                      const char *bad)
{
    char buf[700];
    size_t i, o = 0;
    buf[0] = '\0';
    for (i = 0; i < r->n && o + 40 < sizeof buf; i++) {
        const struct chaos_rule *x = &r->r[i];
        char peer[24];
        if (x->peer)
            snprintf(peer, sizeof peer, "%" PRIu64, x->peer);
        else
            snprintf(peer, sizeof peer, "*");
        if (x->partition)
            o += (size_t)snprintf(buf + o, sizeof buf - o, " [partition %s]", peer);
        else if (x->drop_pct)
            o += (size_t)snprintf(buf + o, sizeof buf - o, " [drop %s %u%%]", peer, x->drop_pct);
        else
            o += (size_t)snprintf(buf + o, sizeof buf - o, " [delay %s %ums]", peer, x->delay_ms);
    }
    c->host->log(c->host->ctx, SKV_LOG_INFO, "chaos: rules from %s: %zu rule(s)%s%s",
                 c->rules_file, r->n, r->n ? ":" : " (healthy)", buf);
    if (nbad)
        c->host->log(c->host->ctx, SKV_LOG_WARN,
                     "chaos: %s: %d bad line(s) ignored, first: %s", c->rules_file,
                     nbad, bad);
}

/* Re-read the rules file if it changed. Any thread but not with mu held. */
static void rules_reload(struct chaos *c, int force)
{
    struct stat st;
    struct chaos_rules nr;
    char bad[160] = "";
    char *text = NULL;
    size_t len = 0;
    int nbad = 0, fd;

    if (!c->rules_file || !*c->rules_file)
        return;
    if (stat(c->rules_file, &st) != 0) {
        pthread_mutex_lock(&c->mu);
        if (c->have_file || force) {
            c->have_file = 0;
            c->rules.n = 0;
            pthread_mutex_unlock(&c->mu);
            memset(&nr, 0, sizeof nr);
            log_rules(c, &nr, 0, "");
            return;
        }
        pthread_mutex_unlock(&c->mu);
        return;
    }
    pthread_mutex_lock(&c->mu);
    if (!force && c->have_file && c->f_dev == st.st_dev && c->f_ino == st.st_ino &&
        c->f_size == st.st_size && c->f_mtime.tv_sec == st.st_mtim.tv_sec &&
        c->f_mtime.tv_nsec == st.st_mtim.tv_nsec) {
        pthread_mutex_unlock(&c->mu);
        return;
    }
    pthread_mutex_unlock(&c->mu);

    fd = open(c->rules_file, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        size_t cap = 65536;
        ssize_t r;
        text = malloc(cap);
        while (text && len < cap && (r = read(fd, text + len, cap - len)) != 0) {
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            len += (size_t)r;
        }
        close(fd);
    }
    memset(&nr, 0, sizeof nr);
    if (text)
        nbad = chaos_rules_parse(text, len, &nr, bad, sizeof bad);
    free(text);
    pthread_mutex_lock(&c->mu);
    c->rules = nr;
    c->have_file = 1;
    c->f_dev = st.st_dev;
    c->f_ino = st.st_ino;
    c->f_size = st.st_size;
    c->f_mtime = st.st_mtim;
    pthread_mutex_unlock(&c->mu);
    log_rules(c, &nr, nbad, bad);
}

/* ---- the fault decision ----------------------------------------------- */

enum verdict { PASS, DROP, HOLD };

/* Lock held. What to do with a frame for/from `peer` now; the due time
 * of a held frame in *due. */
static int decide(struct chaos *c, int dir, uint64_t peer, struct chaos_link **lp,
                  uint64_t *due)
{
    struct chaos_effect e;
    struct chaos_link *l;
    chaos_rules_effect(&c->rules, peer, &e);
    if (e.partition) {
        c->n_part[dir]++;
        return DROP;
    }
    if (e.drop_pct && rnd100(c) < e.drop_pct) {
        c->n_drop[dir]++;
        return DROP;
    }
    l = link_get(c, peer);
    if (!l) /* out of memory: behave like a lost frame */
        return DROP;
    *lp = l;
    if (e.delay_ms == 0 && !l->head[dir])
        return PASS;
    *due = mono_ms() + e.delay_ms;
    if (l->tail[dir] && l->tail[dir]->due_ms > *due)
        *due = l->tail[dir]->due_ms; /* keep the order */
    c->n_delay[dir]++;
    return HOLD;
}

static void enqueue(struct chaos *c, struct chaos_link *l, int dir,
                    struct chaos_item *it) /* lock held */
{
    it->next = NULL;
    it->peer = l->peer;
    it->dir = dir;
    if (l->tail[dir])
        l->tail[dir]->next = it;
    else
        l->head[dir] = it;
    l->tail[dir] = it;
    c->queued += it->len;
    pthread_cond_signal(&c->cv);
}

static int chaos_send(void *state, uint64_t peer_id, const char *address,
                      const struct skv_iov *iov, unsigned n, struct skv_err *err)
{
    struct chaos *c = state;
    struct chaos_link *l = NULL;
    struct chaos_item *it;
    uint64_t due = 0;
    size_t total = 0, o = 0;
    unsigned i;
    int v;

    pthread_mutex_lock(&c->mu);
    if (!c->running) {
        pthread_mutex_unlock(&c->mu);
        return skv_err_set(err, SKV_ERR_CLOSED, "transport not started");
    }
    v = decide(c, DIR_OUT, peer_id, &l, &due);
    pthread_mutex_unlock(&c->mu);
    if (v == DROP)
        return SKV_OK; /* lost on the wire: Raft copes */
    if (v == PASS)
        return c->iops->send(c->ist, peer_id, address, iov, n, err);

    for (i = 0; i < n; i++) {
        if (iov[i].len && !iov[i].base)
            return skv_err_set(err, SKV_ERR_INVALID, "send: iov[%u] has NULL base", i);
        if (iov[i].len > SKV_TRANSPORT_MAX_FRAME - total)
            return skv_err_set(err, SKV_ERR_TOOBIG, "send: frame larger than %u bytes",
                               SKV_TRANSPORT_MAX_FRAME);
        total += iov[i].len;
    }
    if (total == 0 || !address || !*address || strlen(address) >= sizeof it->addr)
        return skv_err_set(err, SKV_ERR_INVALID, "send: empty frame or bad address");
    if (!(it = malloc(sizeof *it + total)))
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        if (iov[i].len)
            memcpy(it->data + o, iov[i].base, iov[i].len);
        o += iov[i].len;
    }
    it->len = total;
    it->due_ms = due;
    snprintf(it->addr, sizeof it->addr, "%s", address);
    pthread_mutex_lock(&c->mu);
    if (!c->running || c->queued + total > c->max_queue) {
        c->n_full[DIR_OUT] += c->running;
        pthread_mutex_unlock(&c->mu);
        free(it);
        return c->running ? skv_err_set(err, SKV_ERR_FULL, "chaos delay queue full")
                          : SKV_OK;
    }
    enqueue(c, l, DIR_OUT, it);
    pthread_mutex_unlock(&c->mu);
    return SKV_OK;
}

/* The deliver() the tcp code calls (its reader threads). */
static void chaos_deliver(struct chaos *c, uint64_t from, const void *data, size_t len)
{
    struct chaos_link *l = NULL;
    struct chaos_item *it;
    uint64_t due = 0;
    int v;
    pthread_mutex_lock(&c->mu);
    v = c->running ? decide(c, DIR_IN, from, &l, &due) : PASS;
    pthread_mutex_unlock(&c->mu);
    if (v == DROP)
        return;
    if (v == PASS) {
        c->host->deliver(c->host->ctx, from, data, len);
        return;
    }
    if (!(it = malloc(sizeof *it + len)))
        return;
    memcpy(it->data, data, len);
    it->len = len;
    it->due_ms = due;
    it->addr[0] = '\0';
    pthread_mutex_lock(&c->mu);
    if (!c->running || c->queued + len > c->max_queue) {
        c->n_full[DIR_IN]++;
        pthread_mutex_unlock(&c->mu);
        free(it);
        return;
    }
    enqueue(c, l, DIR_IN, it);
    pthread_mutex_unlock(&c->mu);
}

/* ---- the chaos thread: rules polling, delayed frames ------------------- */

static void log_counters(struct chaos *c) /* lock held; logs without it */
{
    uint64_t s = c->n_part[0] + c->n_part[1] + c->n_drop[0] + c->n_drop[1] +
                 c->n_delay[0] + c->n_delay[1] + c->n_full[0] + c->n_full[1];
    uint64_t p0 = c->n_part[0], p1 = c->n_part[1], d0 = c->n_drop[0], d1 = c->n_drop[1];
    uint64_t h0 = c->n_delay[0], h1 = c->n_delay[1], f0 = c->n_full[0], f1 = c->n_full[1];
    if (s == c->logged_sum)
        return;
    c->logged_sum = s;
    pthread_mutex_unlock(&c->mu);
    c->host->log(c->host->ctx, SKV_LOG_INFO,
                 "chaos: frames out/in: partitioned %" PRIu64 "/%" PRIu64
                 ", dropped %" PRIu64 "/%" PRIu64 ", delayed %" PRIu64 "/%" PRIu64
                 ", queue full %" PRIu64 "/%" PRIu64,
                 p0, p1, d0, d1, h0, h1, f0, f1);
    pthread_mutex_lock(&c->mu);
}

static void *chaos_thread(void *arg)
{
    struct chaos *c = arg;
    uint64_t next_poll = 0, next_log = mono_ms() + 2000;
    pthread_mutex_lock(&c->mu);
    while (!c->quit) {
        uint64_t now = mono_ms(), wake;
        struct chaos_item *ready = NULL, **rt = &ready, *it;
        struct chaos_link *l;
        int d;
        if (now >= next_poll) {
            pthread_mutex_unlock(&c->mu);
            rules_reload(c, 0);
            pthread_mutex_lock(&c->mu);
            next_poll = now + c->poll_ms;
            continue;
        }
        if (now >= next_log) {
            log_counters(c);
            next_log = now + 2000;
        }
        /* collect the due frames */
        for (l = c->links; l; l = l->next)
            for (d = 0; d < 2; d++)
                while ((it = l->head[d]) && it->due_ms <= now) {
                    struct chaos_effect e;
                    l->head[d] = it->next;
                    if (!l->head[d])
                        l->tail[d] = NULL;
                    c->queued -= it->len;
                    chaos_rules_effect(&c->rules, l->peer, &e);
                    if (e.partition) { /* cut while in flight */
                        c->n_part[d]++;
                        free(it);
                        continue;
                    }
                    it->next = NULL;
                    *rt = it;
                    rt = &it->next;
                }
        if (ready) {
            pthread_mutex_unlock(&c->mu);
            while ((it = ready)) {
                ready = it->next;
                if (it->dir == DIR_OUT) {
                    /* transport-tcp's send is thread-safe (its own locks);
                     * the frame was admitted earlier, so a failure is a
                     * lost frame */
                    struct skv_iov iov = {it->data, it->len};
                    struct skv_err err = {0, ""};
                    (void)c->iops->send(c->ist, it->peer, it->addr, &iov, 1, &err);
                } else {
                    c->host->deliver(c->host->ctx, it->peer, it->data, it->len);
                }
                free(it);
            }
            pthread_mutex_lock(&c->mu);
            continue;
        }
        wake = next_poll < next_log ? next_poll : next_log;
        for (l = c->links; l; l = l->next)
            for (d = 0; d < 2; d++)
                if (l->head[d] && l->head[d]->due_ms < wake)
                    wake = l->head[d]->due_ms;
        if (wake > now) {
            struct timespec ts;
            uint64_t ms = wake - now;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += (time_t)(ms / 1000);
            ts.tv_nsec += (long)(ms % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&c->cv, &c->mu, &ts);
        }
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* ---- the host table handed to the tcp code ------------------------------ */

static void w_log(void *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void w_log(void *ctx, int level, const char *fmt, ...)
{
    struct chaos *c = ctx;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->host->log(c->host->ctx, level, "%s", buf);
}

static int w_opt_string(void *ctx, const char *key, const char *def, const char **out,
                        struct skv_err *err)
{
    struct chaos *c = ctx;
    return c->host->opt_string(c->host->ctx, key, def, out, err);
}

static int w_opt_int(void *ctx, const char *key, int64_t def, int64_t min, int64_t max,
                     int64_t *out, struct skv_err *err)
{
    struct chaos *c = ctx;
    return c->host->opt_int(c->host->ctx, key, def, min, max, out, err);
}

static int w_opt_bool(void *ctx, const char *key, int def, int *out, struct skv_err *err)
{
    struct chaos *c = ctx;
    return c->host->opt_bool(c->host->ctx, key, def, out, err);
}

static uint64_t w_now_ms(void *ctx)
{
    struct chaos *c = ctx;
    return c->host->now_ms(c->host->ctx);
}

static uint64_t w_wall_ms(void *ctx)
{
    struct chaos *c = ctx;
    return c->host->wall_ms(c->host->ctx);
}

static void w_deliver(void *ctx, uint64_t from, const void *data, size_t len)
{
    chaos_deliver(ctx, from, data, len);
}

static int w_admin_call(void *ctx, const struct skv_admin_req *req, skv_admin_done_fn done,
                        void *arg)
{
    struct chaos *c = ctx;
    return c->host->admin_call(c->host->ctx, req, done, arg);
}

static uint64_t w_node_id(void *ctx)
{
    struct chaos *c = ctx;
    return c->host->node_id(c->host->ctx);
}

static void build_wrap(struct chaos *c)
{
    const struct skv_host *h = c->host;
    struct skv_host *w = &c->wrap;
    memset(w, 0, sizeof *w);
    w->struct_size = h->struct_size < sizeof *w ? h->struct_size : (uint32_t)sizeof *w;
    w->abi_minor = h->abi_minor;
    w->ctx = c;
#define WRAP(field, fn)                                                                  \
    if (SKV_HAS(h, struct skv_host, field))                                               \
        w->field = fn;
    WRAP(log, w_log)
    WRAP(opt_string, w_opt_string)
    WRAP(opt_int, w_opt_int)
    WRAP(opt_bool, w_opt_bool)
    WRAP(now_ms, w_now_ms)
    WRAP(wall_ms, w_wall_ms)
    WRAP(deliver, w_deliver)
    WRAP(admin_call, w_admin_call)
    WRAP(node_id, w_node_id)
#undef WRAP
}

/* ---- ops ------------------------------------------------------------------ */

static int chaos_init(const struct skv_host *host, void **state, struct skv_err *err)
{
    struct chaos *c;
    int64_t poll, seed, maxq;
    pthread_condattr_t ca;
    int rc;
    if (!SKV_HAS(host, struct skv_host, deliver) || !host->log || !host->opt_int ||
        !host->opt_string)
        return skv_err_set(err, SKV_ERR_UNSUPPORTED,
                           "host table lacks log/opt_int/opt_string/deliver");
    if (!(c = calloc(1, sizeof *c)))
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    c->host = host;
    if ((rc = host->opt_string(host->ctx, "rules_file", "", &c->rules_file, err)) ||
        (rc = host->opt_int(host->ctx, "poll_ms", 50, 1, 10000, &poll, err)) ||
        (rc = host->opt_int(host->ctx, "seed", 0, 0, INT64_MAX, &seed, err)) ||
        (rc = host->opt_int(host->ctx, "max_delay_queue_bytes", 64 << 20, 1,
                            INT64_C(1) << 40, &maxq, err))) {
        free(c);
        return rc;
    }
    c->poll_ms = (unsigned)poll;
    c->max_queue = (uint64_t)maxq;
    c->rng = seed ? (uint64_t)seed
                  : (SKV_HAS(host, struct skv_host, node_id) ? host->node_id(host->ctx) : 1) *
                            UINT64_C(0x9E3779B97F4A7C15) ^ mono_ms();
    if (!c->rng)
        c->rng = 1;
    c->inner = skv_chaos_tcp_plugin_v1();
    c->iops = c->inner->ops;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_mutex_init(&c->mu, NULL) || pthread_mutex_init(&c->life, NULL) ||
        pthread_cond_init(&c->cv, &ca)) {
        pthread_condattr_destroy(&ca);
        free(c);
        return skv_err_set(err, SKV_ERR_NOMEM, "cannot create mutex");
    }
    pthread_condattr_destroy(&ca);
    build_wrap(c);
    rc = c->inner->init(&c->wrap, &c->ist, err);
    if (rc != SKV_OK) {
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        pthread_mutex_destroy(&c->life);
        free(c);
        return rc;
    }
    host->log(host->ctx, SKV_LOG_WARN,
              "chaos transport (fault injection, tests only): rules file '%s', poll %u ms",
              c->rules_file, c->poll_ms);
    *state = c;
    return SKV_OK;
}

static int chaos_start(void *state, const char *listen_address, struct skv_err *err)
{
    struct chaos *c = state;
    int rc;
    pthread_mutex_lock(&c->life);
    if (c->thread_up) {
        pthread_mutex_unlock(&c->life);
        return skv_err_set(err, SKV_ERR_INVALID, "transport already started");
    }
    rules_reload(c, 1); /* rules apply from the first frame */
    pthread_mutex_lock(&c->mu);
    c->running = 1;
    c->quit = 0;
    pthread_mutex_unlock(&c->mu);
    rc = c->iops->start(c->ist, listen_address, err);
    if (rc == SKV_OK && pthread_create(&c->thr, NULL, chaos_thread, c) != 0) {
        c->iops->stop(c->ist);
        rc = skv_err_set(err, SKV_ERR_NOMEM, "cannot start the chaos thread");
    }
    if (rc != SKV_OK) {
        pthread_mutex_lock(&c->mu);
        c->running = 0;
        pthread_mutex_unlock(&c->mu);
    }
    c->thread_up = rc == SKV_OK;
    pthread_mutex_unlock(&c->life);
    return rc;
}

static void chaos_stop(void *state)
{
    struct chaos *c = state;
    pthread_mutex_lock(&c->life);
    if (c->thread_up) {
        pthread_mutex_lock(&c->mu);
        c->running = 0; /* hooks stop queueing; held frames are lost */
        c->quit = 1;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thr, NULL);
        c->iops->stop(c->ist); /* joins the readers: no deliver() after this */
        pthread_mutex_lock(&c->mu);
        links_free(c);
        pthread_mutex_unlock(&c->mu);
        c->thread_up = 0;
    }
    pthread_mutex_unlock(&c->life);
}

static void chaos_forget(void *state, uint64_t peer_id)
{
    struct chaos *c = state;
    struct chaos_link *l;
    pthread_mutex_lock(&c->mu);
    for (l = c->links; l; l = l->next)
        if (l->peer == peer_id)
            link_clear(c, l);
    pthread_mutex_unlock(&c->mu);
    if (SKV_HAS(c->iops, struct skv_transport_ops, forget))
        c->iops->forget(c->ist, peer_id);
}

/* Credentials and security are the tcp code's: forwarded unchanged. */
static int chaos_reload(void *state, struct skv_err *err)
{
    struct chaos *c = state;
    if (SKV_HAS(c->iops, struct skv_transport_ops, reload))
        return c->iops->reload(c->ist, err);
    return SKV_OK;
}

static uint32_t chaos_security(void *state)
{
    struct chaos *c = state;
    if (SKV_HAS(c->iops, struct skv_transport_ops, security))
        return c->iops->security(c->ist);
    return 0;
}

static void chaos_fini(void *state)
{
    struct chaos *c = state;
    if (!c)
        return;
    chaos_stop(c);
    c->inner->fini(c->ist);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    pthread_mutex_destroy(&c->life);
    free(c);
}

static const struct skv_transport_ops chaos_ops = {
    .struct_size = sizeof(struct skv_transport_ops),
    .start = chaos_start,
    .send = chaos_send,
    .stop = chaos_stop,
    .forget = chaos_forget,
    .reload = chaos_reload,
    .security = chaos_security,
};

static const struct skv_plugin chaos_plugin = {
    .abi_major = SKV_ABI_MAJOR,
    .abi_minor = SKV_ABI_MINOR,
    .struct_size = sizeof(struct skv_plugin),
    .kind = SKV_KIND_TRANSPORT,
    .name = "chaos",
    .version = "0.1.0",
    .description = "transport-tcp with run-time drop/delay/partition rules (tests only)",
    .init = chaos_init,
    .fini = chaos_fini,
    .ops = &chaos_ops,
};

const struct skv_plugin *sealkv_plugin_v1(void)
{
    return &chaos_plugin;
}
