/*
 * tcp_listener.c — accepts inbound connections and runs one reader thread
 * per connection: handshake first, then frames to host->deliver(). A bad
 * handshake, a bad frame length or a socket error closes only that
 * connection. Finished readers are joined ("reaped") by the listener
 * thread; stop joins the rest.
 */
#define _GNU_SOURCE /* accept4 */
#include "tcp_listener.h"
#include "tcp_addr.h"
#include "tcp_frame.h"
#include "tcp_io.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TCP_HANDSHAKE_TIMEOUT_MS 5000
#define TCP_MAX_INBOUND 512
#define TCP_ACCEPT_PAUSE_MS 100

struct tcp_conn {
    struct tcp_conn *next;
    struct tcp_listener *l;
    int fd;
    pthread_t thread;
    int done;                    /* reader finished; under l->lock */
    char from[TCP_ADDR_STR_MAX]; /* remote address, for log lines */
};

struct tcp_listener {
    const struct skv_host *host;
    int fd;       /* listening socket */
    int stop_fd;  /* wake fd: fired once by stop */
    int reap_fd;  /* eventfd counter: a reader finished */
    pthread_t thread;
    pthread_mutex_t lock;
    struct tcp_conn *conns;
    unsigned n_conns;
    char addr[TCP_ADDR_STR_MAX];
};

#define LOG(l, lvl, ...) (l)->host->log((l)->host->ctx, (lvl), __VA_ARGS__)

static void read_frames(struct tcp_conn *c, uint64_t from)
{
    struct tcp_listener *l = c->l;
    struct tcp_rbuf rb = {NULL, 0};
    struct skv_err err = {0, ""};
    size_t len = 0;
    int rc;
    while ((rc = tcp_frame_read(c->fd, l->stop_fd, &rb, &len, &err)) ==
           TCP_FRAME_OK) {
        l->host->deliver(l->host->ctx, from, rb.data, len);
        tcp_rbuf_shrink(&rb);
    }
    tcp_rbuf_free(&rb);
    if (rc == TCP_FRAME_EOF)
        LOG(l, SKV_LOG_DEBUG, "node %" PRIu64 " (%s) closed its connection",
            from, c->from);
    else if (rc != TCP_FRAME_STOP)
        LOG(l, SKV_LOG_WARN, "closing connection from node %" PRIu64
            " (%s): %s", from, c->from, err.msg);
}

static void *reader_main(void *arg)
{
    struct tcp_conn *c = arg;
    struct tcp_listener *l = c->l;
    struct skv_err err = {0, ""};
    uint64_t from = 0;
    int rc = tcp_frame_read_handshake(c->fd, l->stop_fd,
                                      tcp_now_ms() + TCP_HANDSHAKE_TIMEOUT_MS,
                                      &from, &err);
    if (rc == TCP_FRAME_OK) {
        LOG(l, SKV_LOG_DEBUG, "inbound connection from node %" PRIu64
            " (%s)", from, c->from);
        read_frames(c, from);
    } else if (rc != TCP_FRAME_STOP) {
        LOG(l, SKV_LOG_WARN, "closing connection from %s: %s", c->from,
            err.msg);
    }
    close(c->fd);
    c->fd = -1;
    pthread_mutex_lock(&l->lock);
    c->done = 1;
    pthread_mutex_unlock(&l->lock);
    tcp_wake_fire(l->reap_fd);
    return NULL;
}

/* Join and free finished readers (all of them when `all`). */
static void reap(struct tcp_listener *l, int all)
{
    struct tcp_conn *dead = NULL, **pp, *c;
    pthread_mutex_lock(&l->lock);
    for (pp = &l->conns; (c = *pp);) {
        if (all || c->done) {
            *pp = c->next;
            c->next = dead;
            dead = c;
            l->n_conns--;
        } else {
            pp = &c->next;
        }
    }
    pthread_mutex_unlock(&l->lock);
    while ((c = dead)) {
        dead = c->next;
        pthread_join(c->thread, NULL);
        free(c);
    }
}

static void add_conn(struct tcp_listener *l, int fd, const char *from)
{
    struct tcp_conn *c = calloc(1, sizeof *c);
    int e;
    if (!c) {
        LOG(l, SKV_LOG_ERROR, "out of memory: dropping connection from %s",
            from);
        close(fd);
        return;
    }
    c->l = l;
    c->fd = fd;
    snprintf(c->from, sizeof c->from, "%s", from);
    pthread_mutex_lock(&l->lock);
    e = pthread_create(&c->thread, NULL, reader_main, c);
    if (e == 0) {
        c->next = l->conns;
        l->conns = c;
        l->n_conns++;
    }
    pthread_mutex_unlock(&l->lock);
    if (e != 0) {
        LOG(l, SKV_LOG_ERROR, "cannot start reader for %s: %s", from,
            strerror(e));
        close(fd);
        free(c);
    }
}

/* Accept one connection; returns a pause in ms (fd exhaustion) or 0. */
static int accept_one(struct tcp_listener *l)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char from[TCP_ADDR_STR_MAX];
    unsigned n;
    int fd = accept4(l->fd, (struct sockaddr *)&ss, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
            errno == ECONNABORTED)
            return 0;
        LOG(l, SKV_LOG_WARN, "accept on %s failed: %s", l->addr,
            strerror(errno));
        return TCP_ACCEPT_PAUSE_MS;
    }
    tcp_addr_format((const struct sockaddr *)&ss, len, from, sizeof from);
    pthread_mutex_lock(&l->lock);
    n = l->n_conns;
    pthread_mutex_unlock(&l->lock);
    if (n >= TCP_MAX_INBOUND) {
        LOG(l, SKV_LOG_WARN, "refusing connection from %s: %u inbound "
            "connections already", from, n);
        close(fd);
        return 0;
    }
    tcp_addr_tune(fd);
    add_conn(l, fd, from);
    return 0;
}

static void *listener_main(void *arg)
{
    struct tcp_listener *l = arg;
    int pause_ms = 0;
    for (;;) {
        struct pollfd p[3] = {{.fd = l->stop_fd, .events = POLLIN},
                              {.fd = l->reap_fd, .events = POLLIN},
                              {.fd = l->fd, .events = POLLIN}};
        int n = poll(p, pause_ms ? 2 : 3, pause_ms ? pause_ms : -1);
        pause_ms = 0;
        if (n < 0 && errno != EINTR) {
            LOG(l, SKV_LOG_ERROR, "poll failed: %s", strerror(errno));
            pause_ms = TCP_ACCEPT_PAUSE_MS;
            continue;
        }
        if (p[0].revents)
            break;
        if (p[1].revents) {
            tcp_wake_drain(l->reap_fd);
            reap(l, 0);
        }
        if (p[2].revents)
            pause_ms = accept_one(l);
    }
    return NULL;
}

static void listener_free(struct tcp_listener *l)
{
    if (l->fd >= 0)
        close(l->fd);
    if (l->stop_fd >= 0)
        close(l->stop_fd);
    if (l->reap_fd >= 0)
        close(l->reap_fd);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

int tcp_listener_start(const struct skv_host *host, const char *address,
                       struct tcp_listener **out, struct skv_err *err)
{
    struct tcp_listener *l = calloc(1, sizeof *l);
    int rc, e;
    *out = NULL;
    if (!l)
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    l->host = host;
    l->stop_fd = l->reap_fd = -1;
    pthread_mutex_init(&l->lock, NULL);
    rc = tcp_addr_listen(address, &l->fd, err);
    if (rc != SKV_OK) {
        l->fd = -1;
        listener_free(l);
        return rc;
    }
    tcp_addr_local(l->fd, l->addr, sizeof l->addr);
    l->stop_fd = tcp_wake_new();
    l->reap_fd = tcp_wake_new();
    if (l->stop_fd < 0 || l->reap_fd < 0) {
        e = errno;
        listener_free(l);
        return skv_err_set(err, SKV_ERR_IO, "eventfd: %s", strerror(e));
    }
    e = pthread_create(&l->thread, NULL, listener_main, l);
    if (e != 0) {
        listener_free(l);
        return skv_err_set(err, SKV_ERR_NOMEM,
                           "cannot start listener thread: %s", strerror(e));
    }
    LOG(l, SKV_LOG_INFO, "listening on %s", l->addr);
    *out = l;
    return SKV_OK;
}

void tcp_listener_stop(struct tcp_listener *l)
{
    if (!l)
        return;
    tcp_wake_fire(l->stop_fd);
    pthread_join(l->thread, NULL);
    reap(l, 1);
    LOG(l, SKV_LOG_INFO, "stopped listening on %s", l->addr);
    listener_free(l);
}
