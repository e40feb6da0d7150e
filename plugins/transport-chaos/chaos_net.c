/* SPDX-License-Identifier: MIT */
/*
 * chaos_net.c — transport-chaos's fault machinery: per-peer FIFOs of held
 * frames, reloading the rules file, the per-frame decision (partition,
 * drop, delay), the send()/deliver() hooks, and the chaos thread that
 * polls the rules and releases delayed frames. See chaos_plugin.c for the
 * plugin as a whole.
 */
#include "chaos_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t chaos_mono_ms(void)
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

void chaos_link_clear(struct chaos *c, struct chaos_link *l) /* lock held */
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

void chaos_links_free(struct chaos *c) /* lock held */
{
    struct chaos_link *l;
    while ((l = c->links)) {
        c->links = l->next;
        chaos_link_clear(c, l);
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
void chaos_rules_reload(struct chaos *c, int force)
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
    *due = chaos_mono_ms() + e.delay_ms;
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

int chaos_send(void *state, uint64_t peer_id, const char *address,
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
void chaos_deliver(struct chaos *c, uint64_t from, const void *data, size_t len)
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

void *chaos_thread(void *arg)
{
    struct chaos *c = arg;
    uint64_t next_poll = 0, next_log = chaos_mono_ms() + 2000;
    pthread_mutex_lock(&c->mu);
    while (!c->quit) {
        uint64_t now = chaos_mono_ms(), wake;
        struct chaos_item *ready = NULL, **rt = &ready, *it;
        struct chaos_link *l;
        int d;
        if (now >= next_poll) {
            pthread_mutex_unlock(&c->mu);
            chaos_rules_reload(c, 0);
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
