/* SPDX-License-Identifier: MIT */
/*
 * chaos_impl.h — internal to transport-chaos: the plugin state shared by
 * chaos_plugin.c (host wrap, ops, descriptor) and chaos_net.c (per-peer
 * queues, rules reloading, the fault decision, send/deliver hooks and the
 * chaos thread).
 */
#ifndef SKV_CHAOS_IMPL_H
#define SKV_CHAOS_IMPL_H

#include <sealkv/transport.h>
#include "chaos_rules.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

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

uint64_t chaos_mono_ms(void);
/* Drop one link's held frames (lock held). */
void chaos_link_clear(struct chaos *c, struct chaos_link *l);
/* Drop every link and its frames (lock held). */
void chaos_links_free(struct chaos *c);
/* Re-read the rules file if its identity changed (or always, force). */
void chaos_rules_reload(struct chaos *c, int force);
/* The transport's send(), with the rules applied outbound. */
int chaos_send(void *state, uint64_t peer_id, const char *address,
               const struct skv_iov *iov, unsigned n, struct skv_err *err);
/* The wrapped host's deliver(), with the rules applied inbound. */
void chaos_deliver(struct chaos *c, uint64_t from, const void *data, size_t len);
/* Rules polling and release of delayed frames, until c->quit. */
void *chaos_thread(void *arg);

#endif /* SKV_CHAOS_IMPL_H */
