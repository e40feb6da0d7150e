/* SPDX-License-Identifier: MIT */
/*
 * raft_io_net.c — the raft_io adapter's messaging: send (wire-encode and
 * hand to the transport at once, callback deferred to the idle handle),
 * recv (fill in the sender's address, pass to raft or free), and the
 * small id → address book used for that.
 */
#include "raftio/raft_io_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/wire.h"

/* ---- address book --------------------------------------------------------- */

static struct skv_rio_peer *book_find(const struct skv_rio *rio, raft_id id)
{
    for (size_t i = 0; i < rio->n_peers; i++)
        if (rio->peers[i].id == id)
            return &rio->peers[i];
    return NULL;
}

static int book_set(struct skv_rio *rio, raft_id id, const char *address)
{
    struct skv_rio_peer *p = book_find(rio, id);
    char *copy;
    if (p && strcmp(p->address, address) == 0)
        return 0;
    if (!(copy = strdup(address)))
        return RAFT_NOMEM;
    if (!p) {
        struct skv_rio_peer *v =
            realloc(rio->peers, (rio->n_peers + 1) * sizeof *v);
        if (!v) {
            free(copy);
            return RAFT_NOMEM;
        }
        rio->peers = v;
        p = &v[rio->n_peers++];
        p->id = id;
        p->address = NULL;
    }
    free(p->address);
    p->address = copy;
    return 0;
}

void skv_rio_peers_free(struct skv_rio *rio)
{
    for (size_t i = 0; i < rio->n_peers; i++)
        free(rio->peers[i].address);
    free(rio->peers);
    rio->peers = NULL;
    rio->n_peers = 0;
}

int skv_raftio_set_peer_address(struct raft_io *io, raft_id id,
                                const char *address)
{
    struct skv_rio *rio = io ? io->impl : NULL;
    if (!rio || id == 0 || !address || !*address)
        return RAFT_INVALID;
    return book_set(rio, id, address);
}

/* Sender address: message, raft configuration, address book, or "". */
static const char *resolve(const struct skv_rio *rio,
                           const struct raft_message *m)
{
    /* raft_init() points io->data at the struct raft, and C-Raft's own
     * recv callback relies on that: it is the raft driving us. */
    const struct raft *r =
        rio->env.raft ? rio->env.raft : (const struct raft *)rio->io->data;
    const struct skv_rio_peer *p;
    if (m->server_address && *m->server_address)
        return m->server_address;
    for (unsigned i = 0; r && i < r->configuration.n; i++)
        if (r->configuration.servers[i].id == m->server_id &&
            r->configuration.servers[i].address)
            return r->configuration.servers[i].address;
    if ((p = book_find(rio, m->server_id)))
        return p->address;
    skv_rio_logf(rio, SKV_LOG_DEBUG,
                 "raft message from %llu: sender address unknown",
                 m->server_id);
    return "";
}

/* ---- send -------------------------------------------------------------- */

static int map_send_rc(const struct skv_rio *rio, int rc,
                       const struct raft_message *m, const struct skv_err *e)
{
    if (rc == SKV_OK)
        return 0;
    skv_rio_logf(rio, rc == SKV_ERR_FULL ? SKV_LOG_DEBUG : SKV_LOG_WARN,
                 "raft send to %llu (%s) dropped: %s", m->server_id,
                 m->server_address,
                 e->msg[0] ? e->msg : skv_strerror(rc));
    return rc == SKV_ERR_TOOBIG ? RAFT_TOOBIG : RAFT_NOCONNECTION;
}

int skv_rio_transmit(struct skv_rio *rio, const struct raft_message *m)
{
    const struct skv_raftio_env *env = &rio->env;
    struct skv_buf wb = {0};
    struct skv_err e = {0};
    struct skv_iov iov;
    char why[RAFT_ERRMSG_BUF_SIZE];
    int rc;
    if (!env->tr || !env->tr->send || !m->server_address)
        return RAFT_NOCONNECTION;
    if (skv_wire_encode_raft_from(&wb, env->self_id ? env->self_id : rio->id,
                                  rio->address, m, why, sizeof why) != 0) {
        skv_buf_free(&wb);
        skv_rio_logf(rio, SKV_LOG_WARN, "raft send to %llu: %s",
                     m->server_id, why);
        return RAFT_IOERR;
    }
    if (env->store_ident && skv_wire_stamp_ident(&wb, env->store_ident) != 0) {
        skv_buf_free(&wb);
        skv_rio_logf(rio, SKV_LOG_WARN, "raft send to %llu: out of memory", m->server_id);
        return RAFT_NOMEM;
    }
    iov = (struct skv_iov){wb.p, wb.len};
    rc = env->tr->send(env->tr_state, m->server_id, m->server_address, &iov,
                       1, &e);
    skv_buf_free(&wb);
    return map_send_rc(rio, rc, m, &e);
}

int skv_rio_send(struct raft_io *io, struct raft_io_send *req,
                 const struct raft_message *message, raft_io_send_cb cb)
{
    struct skv_rio *rio = io->impl;
    int rc;
    struct skv_rio_send *s = skv_rio_new(io, sizeof *s, &rc);
    if (!s)
        return rc;
    req->cb = cb;
    if (message->server_id && message->server_address &&
        *message->server_address)
        (void)book_set(rio, message->server_id, message->server_address);
    if (!rio->silenced && (rc = skv_rio_xfer_start(rio, req, message)) != 0) {
        free(s); /* in chunks (raft_io_xfer.c), or out of memory */
        if (rc < 0)
            snprintf(io->errmsg, sizeof io->errmsg, "out of memory");
        return rc < 0 ? RAFT_NOMEM : 0;
    }
    s->req = req;
    s->status = rio->silenced ? RAFT_NOCONNECTION : skv_rio_transmit(rio, message);
    SKV_RIO_FIFO_PUSH(rio->s_head, rio->s_tail, s);
    skv_rio_wake(rio);
    return 0;
}

void skv_rio_send_done(struct skv_rio *rio, struct raft_io_send *req, int status)
{
    struct skv_rio_send *s = calloc(1, sizeof *s);
    if (!s) { /* cannot defer: fire now (the callback tolerates it) */
        if (req->cb)
            req->cb(req, status);
        return;
    }
    s->req = req;
    s->status = status;
    SKV_RIO_FIFO_PUSH(rio->s_head, rio->s_tail, s);
    if (!rio->closing)
        skv_rio_wake(rio);
}

void skv_rio_sends_fire(struct skv_rio *rio)
{
    struct skv_rio_send *s = rio->s_head;
    rio->s_head = rio->s_tail = NULL;
    while (s) {
        struct skv_rio_send *next = s->next;
        struct raft_io_send *req = s->req;
        int status = s->status;
        free(s);
        if (req->cb)
            req->cb(req, status);
        s = next;
    }
}

/* ---- recv -------------------------------------------------------------- */

void skv_rio_install_drop(struct skv_rio *rio)
{
    if (!rio->install_parked)
        return;
    skv_wire_raft_message_free(rio->install_parked);
    free(rio->install_parked);
    rio->install_parked = NULL;
}

/* Park `m` (ownership moves here); 0, or -1 when out of memory. */
static int install_park(struct skv_rio *rio, struct raft_message *m)
{
    struct raft_message *copy = malloc(sizeof *copy);
    if (!copy)
        return -1;
    skv_rio_install_drop(rio); /* a newer snapshot supersedes it */
    *copy = *m;
    copy->server_address = NULL; /* resolved again when delivered */
    rio->install_parked = copy;
    skv_rio_logf(rio, SKV_LOG_DEBUG,
                 "raft: snapshot %llu from %llu held until our snapshot write ends",
                 (unsigned long long)m->install_snapshot.last_index,
                 (unsigned long long)m->server_id);
    return 0;
}

static void deliver(struct skv_rio *rio, struct raft_message *m);

void skv_rio_install_deliver(struct skv_rio *rio)
{
    struct raft_message *m = rio->install_parked;
    if (!m || rio->snap_puts > 0)
        return;
    rio->install_parked = NULL;
    if (!rio->started || rio->closing || rio->silenced || !rio->recv_cb)
        skv_wire_raft_message_free(m);
    else
        deliver(rio, m);   /* admitted when it arrived: not checked again */
    free(m);
}

void skv_raftio_recv(struct raft_io *io, struct raft_message *m)
{
    struct skv_rio *rio = io ? io->impl : NULL;
    if (!m)
        return;
    if (!rio || !rio->started || rio->closing || rio->silenced || !rio->recv_cb) {
        skv_wire_raft_message_free(m);
        return;
    }
    /* refuses local-only data; takes the chunks sent before it */
    if (skv_rio_xfer_take(rio, m) != 0) {
        skv_wire_raft_message_free(m);
        return;
    }
    deliver(rio, m);
}

/* An InstallSnapshot carrying a spooled snapshot's reference
 * (raft_io_xin.c): 1 or 0. */
static int spooled_ref(const struct skv_rio *rio, const struct raft_message *m)
{
    const struct raft_install_snapshot *is = &m->install_snapshot;
    return m->type == RAFT_IO_INSTALL_SNAPSHOT && rio->env.spool_dir && is->data.len >= 8 &&
           memcmp(is->data.base, "SKVSNAP4", 8) == 0;
}

/* Raft did not store such a reference (it has that snapshot already, or
 * is busy: C-Raft 0.15 then frees the data silently): its spool file is
 * garbage the size of the data set. */
static void spool_unused(struct skv_rio *rio, raft_index index)
{
    skv_spool_remove(rio->env.spool_dir, 0);
    skv_rio_logf(rio, SKV_LOG_INFO, "raft: snapshot %llu not taken by raft (it has it or is "
                 "busy): spool file removed", (unsigned long long)index);
}

/* Hand an admitted message to raft (or park an InstallSnapshot). */
static void deliver(struct skv_rio *rio, struct raft_message *m)
{
    unsigned puts = rio->snap_puts;
    raft_index index = m->install_snapshot.last_index;
    int spooled;
    const char *orig;
    char *addr;
    if (m->type == RAFT_IO_INSTALL_SNAPSHOT && rio->snap_puts > 0 &&
        install_park(rio, m) == 0)
        return;
    /* A copy: raft may replace its configuration (freeing the string we
     * found there) while it still uses the address to reply. */
    if (!(addr = strdup(resolve(rio, m)))) {
        skv_rio_logf(rio, SKV_LOG_WARN, "raft recv: out of memory, dropped");
        skv_wire_raft_message_free(m);
        return;
    }
    orig = m->server_address;
    m->server_address = addr;
    spooled = spooled_ref(rio, m);   /* before: raft may free the data */
    rio->recv_cb(rio->io, m);
    m->server_address = orig; /* never leave the caller a freed pointer */
    free(addr);
    if (spooled && rio->snap_puts == puts)
        spool_unused(rio, index);
}
