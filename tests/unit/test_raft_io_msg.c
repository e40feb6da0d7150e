/* SPDX-License-Identifier: MIT */
/*
 * test_raft_io_msg.c — the raft_io adapter's loop-side contract: send
 * (wire-encoded, handed to the transport at once, callback deferred and
 * ordered), recv (ownership, sender address resolution), the tick timer,
 * time/random, async_work and the close sequence (cancellation, ordering,
 * no synchronous close callback, destroy without close).
 */
#include "raft_io_fx.h"

#include <sys/stat.h>

#include "raftio/raft_log_store.h"
#include "wire/wire.h"

static struct fx F;

static int suite_init(void) { return 0; }
static int suite_clean(void) { return 0; }

#define SETUP()                                          \
    do {                                                 \
        if (fx_setup(&F) != 0 || fx_io_open(&F) != 0) {  \
            CU_FAIL_FATAL("fixture setup failed");       \
        }                                                \
    } while (0)

/* ---- fake transport --------------------------------------------------- */

struct ftr {
    int n;
    int rc;
    uint64_t peer;
    char addr[64];
    unsigned char frame[8192];
    size_t len;
};
static struct ftr T;

static int ftr_send(void *state, uint64_t peer, const char *address,
                    const struct skv_iov *iov, unsigned n, struct skv_err *err)
{
    struct ftr *t = state;
    t->n++;
    if (t->rc != SKV_OK)
        return skv_err_set(err, t->rc, "fake transport: %s", skv_strerror(t->rc));
    t->peer = peer;
    snprintf(t->addr, sizeof t->addr, "%s", address);
    t->len = 0;
    for (unsigned i = 0; i < n; i++) {
        if (t->len + iov[i].len > sizeof t->frame)
            return skv_err_set(err, SKV_ERR_TOOBIG, "too big for the fake");
        memcpy(t->frame + t->len, iov[i].base, iov[i].len);
        t->len += iov[i].len;
    }
    return SKV_OK;
}

static const struct skv_transport_ops ftr_ops = {
    .struct_size = sizeof(struct skv_transport_ops),
    .send = ftr_send,
};

static void setup_with_transport(void)
{
    memset(&T, 0, sizeof T);
    if (fx_setup(&F) != 0)
        CU_FAIL_FATAL("fixture setup failed");
    F.tr = &ftr_ops;
    F.tr_state = &T;
    if (fx_io_open(&F) != 0)
        CU_FAIL_FATAL("io open failed");
}

/* ---- send ------------------------------------------------------------ */

static int seq;
static int send_status[8], send_seq[8], sends_done;
static struct raft_io_send send_req[8];

static void send_cb(struct raft_io_send *req, int status)
{
    int i = (int)(req - send_req);
    send_status[i] = status;
    send_seq[i] = ++seq;
    sends_done++;
}

static void rv_msg(struct raft_message *m, raft_id to, raft_term term)
{
    memset(m, 0, sizeof *m);
    m->type = RAFT_IO_REQUEST_VOTE;
    m->server_id = to;
    m->server_address = to == 2 ? "127.0.0.1:9002" : "127.0.0.1:9003";
    m->request_vote.term = term;
    m->request_vote.candidate_id = 1;
    m->request_vote.last_log_index = 7;
    m->request_vote.last_log_term = 2;
}

static void test_send(void)
{
    struct raft_message m;
    struct raft_entry ents[2] = {{3, RAFT_COMMAND, {"abc", 3}, NULL},
                                 {3, RAFT_BARRIER, {NULL, 0}, NULL}};
    struct skv_frame fr;
    char why[256];
    setup_with_transport();
    seq = sends_done = 0;
    rv_msg(&m, 2, 5);
    CU_ASSERT_EQUAL(F.io.send(&F.io, &send_req[0], &m, send_cb), 0);
    CU_ASSERT_EQUAL(T.n, 1);          /* handed over at once */
    CU_ASSERT_EQUAL(sends_done, 0);   /* callback deferred */
    CU_ASSERT_FATAL(fx_wait(&F, &sends_done, 1, 5000));
    CU_ASSERT_EQUAL(send_status[0], 0);
    CU_ASSERT_EQUAL(T.peer, 2);
    CU_ASSERT_STRING_EQUAL(T.addr, "127.0.0.1:9002");
    CU_ASSERT_EQUAL_FATAL(skv_wire_decode(T.frame, T.len, &fr, why, sizeof why), 0);
    CU_ASSERT_EQUAL(fr.type, SKV_FRAME_RAFT);
    CU_ASSERT_EQUAL(fr.from_id, 1);
    CU_ASSERT_EQUAL(fr.u.raft.type, RAFT_IO_REQUEST_VOTE);
    CU_ASSERT_EQUAL(fr.u.raft.request_vote.term, 5);
    CU_ASSERT_EQUAL(fr.u.raft.request_vote.last_log_index, 7);
    skv_wire_raft_message_free(&fr.u.raft);

    /* append entries: entries copied into the frame */
    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_APPEND_ENTRIES;
    m.server_id = 3;
    m.server_address = "127.0.0.1:9003";
    m.append_entries.term = 3;
    m.append_entries.entries = ents;
    m.append_entries.n_entries = 2;
    CU_ASSERT_EQUAL(F.io.send(&F.io, &send_req[1], &m, send_cb), 0);
    CU_ASSERT_EQUAL_FATAL(skv_wire_decode(T.frame, T.len, &fr, why, sizeof why), 0);
    CU_ASSERT_EQUAL_FATAL(fr.u.raft.append_entries.n_entries, 2);
    CU_ASSERT_EQUAL(fr.u.raft.append_entries.entries[0].buf.len, 3);
    CU_ASSERT(memcmp(fr.u.raft.append_entries.entries[0].buf.base, "abc", 3) == 0);
    CU_ASSERT_EQUAL(fr.u.raft.append_entries.entries[1].type, RAFT_BARRIER);
    skv_wire_raft_message_free(&fr.u.raft);

    /* a full queue is a drop: RAFT_NOCONNECTION, still asynchronous */
    T.rc = SKV_ERR_FULL;
    rv_msg(&m, 2, 6);
    CU_ASSERT_EQUAL(F.io.send(&F.io, &send_req[2], &m, send_cb), 0);
    CU_ASSERT_EQUAL(sends_done, 1);
    CU_ASSERT_FATAL(fx_wait(&F, &sends_done, 3, 5000));
    CU_ASSERT_EQUAL(send_status[1], 0);
    CU_ASSERT_EQUAL(send_status[2], RAFT_NOCONNECTION);
    CU_ASSERT(send_seq[1] < send_seq[2]); /* in order */
    fx_teardown(&F);
}

static void test_send_without_transport(void)
{
    struct raft_message m;
    SETUP();
    seq = sends_done = 0;
    rv_msg(&m, 2, 1);
    CU_ASSERT_EQUAL(F.io.send(&F.io, &send_req[0], &m, send_cb), 0);
    CU_ASSERT_EQUAL(sends_done, 0);
    CU_ASSERT_FATAL(fx_wait(&F, &sends_done, 1, 5000));
    CU_ASSERT_EQUAL(send_status[0], RAFT_NOCONNECTION);
    fx_teardown(&F);
}

/* ---- recv ------------------------------------------------------------ */

static int recvd;
static char recv_addr[64];
static raft_id recv_from;
static unsigned recv_n_entries;

static void recv_cb(struct raft_io *io, struct raft_message *m)
{
    (void)io;
    recvd++;
    recv_from = m->server_id;
    snprintf(recv_addr, sizeof recv_addr, "%s", m->server_address ? m->server_address : "(null)");
    recv_n_entries = m->type == RAFT_IO_APPEND_ENTRIES ? m->append_entries.n_entries : 0;
    skv_wire_raft_message_free(m); /* plays raft: it owns the heap parts */
}

static void tick_noop(struct raft_io *io) { (void)io; }

/* An AppendEntries as the wire codec hands it over: heap entries + batch. */
static void ae_heap(struct raft_message *m, raft_id from)
{
    char *batch = raft_malloc(8);
    memset(m, 0, sizeof *m);
    memcpy(batch, "payload", 8);
    m->type = RAFT_IO_APPEND_ENTRIES;
    m->server_id = from;
    m->server_address = NULL;
    m->append_entries.term = 2;
    m->append_entries.entries = raft_calloc(1, sizeof(struct raft_entry));
    m->append_entries.entries[0] = (struct raft_entry){2, RAFT_COMMAND, {batch, 7}, batch};
    m->append_entries.n_entries = 1;
}

static void test_recv(void)
{
    struct raft_message m;
    setup_with_transport();
    recvd = 0;
    ae_heap(&m, 3);
    skv_raftio_recv(&F.io, &m); /* not started: freed (ASan checks) */
    CU_ASSERT_EQUAL(recvd, 0);
    CU_ASSERT_EQUAL_FATAL(F.io.start(&F.io, 1000, tick_noop, recv_cb), 0);
    CU_ASSERT_EQUAL(F.io.start(&F.io, 1000, tick_noop, recv_cb), RAFT_BUSY);

    CU_ASSERT_EQUAL(skv_raftio_set_peer_address(&F.io, 3, "10.0.0.3:1"), 0);
    ae_heap(&m, 3);
    skv_raftio_recv(&F.io, &m);
    CU_ASSERT_EQUAL(recvd, 1);
    CU_ASSERT_EQUAL(recv_from, 3);
    CU_ASSERT_STRING_EQUAL(recv_addr, "10.0.0.3:1");
    CU_ASSERT_EQUAL(recv_n_entries, 1);

    ae_heap(&m, 7); /* unknown sender: empty address, never NULL */
    skv_raftio_recv(&F.io, &m);
    CU_ASSERT_STRING_EQUAL(recv_addr, "");

    /* learned from an outbound send */
    seq = sends_done = 0;
    rv_msg(&m, 2, 1);
    CU_ASSERT_EQUAL(F.io.send(&F.io, &send_req[0], &m, send_cb), 0);
    ae_heap(&m, 2);
    skv_raftio_recv(&F.io, &m);
    CU_ASSERT_STRING_EQUAL(recv_addr, "127.0.0.1:9002");
    CU_ASSERT_FATAL(fx_wait(&F, &sends_done, 1, 5000));

    CU_ASSERT_EQUAL(skv_raftio_set_peer_address(&F.io, 0, "x"), RAFT_INVALID);
    fx_teardown(&F);
}

static void bootstrap_and_load(void);

/* An InstallSnapshot as the wire codec hands it over: heap data + conf. */
static void is_heap(struct raft_message *m, raft_id from, raft_index last)
{
    memset(m, 0, sizeof *m);
    m->type = RAFT_IO_INSTALL_SNAPSHOT;
    m->server_id = from;
    m->install_snapshot.term = 2;
    m->install_snapshot.last_index = last;
    m->install_snapshot.last_term = 2;
    fx_conf(&m->install_snapshot.conf, 2);
    m->install_snapshot.data.base = raft_malloc(16);
    memset(m->install_snapshot.data.base, 's', 16);
    m->install_snapshot.data.len = 16;
}

static raft_index recv_install_last;
static int put_done2;
static void put_cb2(struct raft_io_snapshot_put *req, int status)
{
    (void)req;
    if (put_done2 == 0) {
        CU_ASSERT_EQUAL(status, 0);
        /* C-Raft still counts as taking a snapshot inside this callback */
        CU_ASSERT_EQUAL(recvd, 0);
    }
    put_done2++;
}

static void recv_install_cb(struct raft_io *io, struct raft_message *m)
{
    if (m->type == RAFT_IO_INSTALL_SNAPSHOT)
        recv_install_last = m->install_snapshot.last_index;
    recv_cb(io, m);
}

/* C-Raft 0.15 drops an InstallSnapshot that arrives while it takes or
 * installs a snapshot (and its leader then waits 30 s): the adapter holds
 * the newest one until no snapshot_put is in flight, then delivers it. */
static void test_recv_install_held(void)
{
    struct raft_message m;
    struct raft_io_snapshot_put req;
    struct raft_snapshot s;
    struct raft_buffer buf = {"local", 5};
    setup_with_transport();
    bootstrap_and_load();
    CU_ASSERT_EQUAL_FATAL(F.io.start(&F.io, 1000, tick_noop, recv_install_cb), 0);
    recvd = put_done2 = 0;
    recv_install_last = 0;
    memset(&s, 0, sizeof s);
    s.index = 1;
    s.term = 1;
    fx_conf(&s.configuration, 1);
    s.configuration_index = 1;
    s.bufs = &buf;
    s.n_bufs = 1;
    CU_ASSERT_EQUAL_FATAL(F.io.snapshot_put(&F.io, 8, &req, &s, put_cb2), 0);
    is_heap(&m, 2, 40);
    skv_raftio_recv(&F.io, &m);
    is_heap(&m, 2, 50); /* supersedes the first (ASan: the first is freed) */
    skv_raftio_recv(&F.io, &m);
    CU_ASSERT_EQUAL(recvd, 0);
    CU_ASSERT_FATAL(fx_wait(&F, &recvd, 1, 5000));
    CU_ASSERT_EQUAL(put_done2, 1);
    CU_ASSERT_EQUAL(recvd, 1);
    CU_ASSERT_EQUAL(recv_install_last, 50);
    CU_ASSERT_STRING_EQUAL(recv_addr, ""); /* resolved at delivery, never NULL */

    /* with no write in flight it is delivered at once */
    is_heap(&m, 2, 60);
    skv_raftio_recv(&F.io, &m);
    CU_ASSERT_EQUAL(recvd, 2);
    CU_ASSERT_EQUAL(recv_install_last, 60);

    /* held at close: freed, never delivered */
    CU_ASSERT_EQUAL_FATAL(F.io.snapshot_put(&F.io, 8, &req, &s, put_cb2), 0);
    is_heap(&m, 2, 70);
    skv_raftio_recv(&F.io, &m);
    fx_teardown(&F);
    CU_ASSERT_EQUAL(recvd, 2);
    CU_ASSERT_EQUAL(put_done2, 2);
    raft_configuration_close(&s.configuration);
}

/* ---- snapshots in chunks (raft_io_xfer.c) ------------------------------- */

/* A transport that keeps every frame and refuses (FULL) past a limit. */
struct ctr {
    uint8_t *frames[64];
    size_t lens[64];
    int n, limit;
};
static struct ctr C;

static int ctr_send(void *state, uint64_t peer, const char *address,
                    const struct skv_iov *iov, unsigned n, struct skv_err *err)
{
    struct ctr *t = state;
    size_t len = 0, off = 0;
    (void)peer, (void)address;
    if (t->n >= t->limit || t->n == 64)
        return skv_err_set(err, SKV_ERR_FULL, "queue full");
    for (unsigned i = 0; i < n; i++)
        len += iov[i].len;
    t->frames[t->n] = malloc(len);
    for (unsigned i = 0; i < n; i++)
        memcpy(t->frames[t->n] + off, iov[i].base, iov[i].len), off += iov[i].len;
    t->lens[t->n++] = len;
    return SKV_OK;
}

static const struct skv_transport_ops ctr_ops = {
    .struct_size = sizeof(struct skv_transport_ops),
    .send = ctr_send,
};

static size_t got_len;
static int got_same;
static uint8_t *pattern;
#define BIG (10u << 20)

static void big_recv_cb(struct raft_io *io, struct raft_message *m)
{
    (void)io;
    if (m->type == RAFT_IO_INSTALL_SNAPSHOT) {
        got_len = m->install_snapshot.data.len;
        got_same = got_len == BIG && memcmp(m->install_snapshot.data.base, pattern, BIG) == 0;
    }
    recv_cb(io, m);
}

static int big_sent, big_status;
static void big_send_cb(struct raft_io_send *req, int status)
{
    (void)req;
    big_sent++;
    big_status = status;
}

/* Feed captured frames [from, to) back in, skipping index `skip`. */
static void feed(int from, int to, int skip)
{
    for (int i = from; i < to; i++) {
        struct skv_frame f;
        char err[200];
        if (i == skip)
            continue;
        CU_ASSERT_EQUAL_FATAL(skv_wire_decode(C.frames[i], C.lens[i], &f, err, sizeof err), 0);
        if (f.type == SKV_FRAME_SNAP_CHUNK)
            skv_raftio_recv_chunk(&F.io, f.from_id, &f.u.chunk);
        else
            skv_raftio_recv(&F.io, &f.u.raft);
    }
}

/* A 10 MiB snapshot leaves as three SNAP_CHUNK frames (4+4+2 MiB), paced
 * by a full transport queue, then the InstallSnapshot with empty data;
 * fed back in order, the receiver hands raft the whole data; a missing
 * chunk makes it drop the InstallSnapshot. */
static void test_snapshot_chunks(void)
{
    struct raft_message m;
    struct raft_io_send req;
    memset(&C, 0, sizeof C);
    C.limit = 1;
    if (fx_setup(&F) != 0)
        CU_FAIL_FATAL("fixture setup failed");
    F.tr = &ctr_ops;
    F.tr_state = &C;
    CU_ASSERT_EQUAL_FATAL(fx_io_open(&F), 0);
    CU_ASSERT_EQUAL_FATAL(F.io.start(&F.io, 50, tick_noop, big_recv_cb), 0);
    pattern = malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        pattern[i] = (uint8_t)(i * 7 + (i >> 13));
    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_INSTALL_SNAPSHOT;
    m.server_id = 2;
    m.server_address = "127.0.0.1:9002";
    m.install_snapshot.term = 3;
    m.install_snapshot.last_index = 50;
    m.install_snapshot.last_term = 2;
    fx_conf(&m.install_snapshot.conf, 2);
    m.install_snapshot.conf_index = 1;
    m.install_snapshot.data.base = pattern;
    m.install_snapshot.data.len = BIG;
    big_sent = 0;
    CU_ASSERT_EQUAL_FATAL(F.io.send(&F.io, &req, &m, big_send_cb), 0);
    CU_ASSERT_EQUAL(C.n, 1);          /* the queue took one chunk */
    CU_ASSERT_EQUAL(big_sent, 0);     /* not done: no callback yet */
    C.limit = 64;                     /* drained: the next tick goes on */
    CU_ASSERT_FATAL(fx_wait(&F, &big_sent, 1, 5000));
    CU_ASSERT_EQUAL(big_status, 0);
    CU_ASSERT_EQUAL_FATAL(C.n, 4);
    CU_ASSERT_EQUAL(C.frames[0][3], SKV_FRAME_SNAP_CHUNK);
    CU_ASSERT_EQUAL(C.frames[3][3], SKV_FRAME_RAFT);
    CU_ASSERT(C.lens[3] < 4096);      /* the InstallSnapshot carries no data */

    recvd = 0;
    feed(3, 4, -1);                   /* alone: dropped */
    CU_ASSERT_EQUAL(recvd, 0);
    feed(0, 4, 1);                    /* a chunk missing: dropped */
    CU_ASSERT_EQUAL(recvd, 0);
    feed(0, 4, -1);                   /* whole */
    CU_ASSERT_EQUAL(recvd, 1);
    CU_ASSERT_EQUAL(got_len, BIG);
    CU_ASSERT_TRUE(got_same);
    raft_configuration_close(&m.install_snapshot.conf);
    for (int i = 0; i < C.n; i++)
        free(C.frames[i]);
    free(pattern);
    fx_teardown(&F);
}

/* ---- a big snapshot streamed from a view (raft_io_sdesc.c) -------------- */

/* Hooks standing for the FSM's view and iterator: a BIG-byte full form
 * made of `pattern`, produced on demand. */
static int st_pins, st_unpins, st_opens, st_closes;
static size_t st_max_piece;
struct st_iter {
    size_t pos;
};
static void *st_pin(void *arg)
{
    (void)arg;
    st_pins++;
    return &st_pins;
}
static void st_unpin(void *arg, void *handle, int status)
{
    (void)arg, (void)status;
    if (handle)
        st_unpins++;
}
static int st_open(void *arg, void *handle, const struct raft_buffer *data, void **iter,
                   char *errmsg, size_t errlen)
{
    (void)arg, (void)errmsg, (void)errlen;
    CU_ASSERT(handle == &st_pins && data->len == 8);
    st_opens++;
    *iter = calloc(1, sizeof(struct st_iter));
    return *iter ? 0 : RAFT_NOMEM;
}
static int st_next(void *iter, uint8_t *buf, size_t cap, size_t *n, int *last, char *errmsg,
                   size_t errlen)
{
    struct st_iter *it = iter;
    (void)errmsg, (void)errlen;
    *n = BIG - it->pos < cap ? BIG - it->pos : cap;
    memcpy(buf, pattern + it->pos, *n);
    it->pos += *n;
    *last = it->pos == BIG;
    if (cap > st_max_piece)
        st_max_piece = cap;
    return 0;
}
static void st_close(void *iter)
{
    st_closes++;
    free(iter);
}
static void st_tweak(struct skv_raftio_env *env)
{
    env->snap_pin = st_pin;
    env->snap_unpin = st_unpin;
    env->snap_open = st_open;
    env->snap_next = st_next;
    env->snap_close = st_close;
}

static struct raft_snapshot *got_snap;
static int got_done;
static void st_get_cb(struct raft_io_snapshot_get *req, struct raft_snapshot *s, int status)
{
    (void)req;
    CU_ASSERT_EQUAL(status, 0);
    got_snap = s;
    got_done++;
}

/* A stored local snapshot whose full form is 10 MiB reaches C-Raft as a
 * 24-byte descriptor; sending it streams the full form from the hooks
 * chunk by chunk (never asked for more than one chunk at a time), the
 * receiver assembles exactly the pattern, and the view is unpinned once
 * the send is over; the same descriptor cannot be sent twice. */
static void test_streamed_send(void)
{
    struct raft_io_snapshot_put put;
    struct raft_io_snapshot_get get;
    struct raft_snapshot s;
    struct raft_buffer local = {"SKVSNAP3", 8};
    struct raft_message m;
    struct raft_io_send req, req2;
    memset(&C, 0, sizeof C);
    C.limit = 64;
    if (fx_setup(&F) != 0)
        CU_FAIL_FATAL("fixture setup failed");
    F.tr = &ctr_ops;
    F.tr_state = &C;
    F.env_tweak = st_tweak;
    CU_ASSERT_EQUAL_FATAL(fx_io_open(&F), 0);
    bootstrap_and_load();
    CU_ASSERT_EQUAL_FATAL(F.io.start(&F.io, 50, tick_noop, big_recv_cb), 0);
    pattern = malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        pattern[i] = (uint8_t)(i * 7 + (i >> 13));
    memset(&s, 0, sizeof s);
    s.index = 1;
    s.term = 1;
    fx_conf(&s.configuration, 1);
    s.configuration_index = 1;
    s.bufs = &local;
    s.n_bufs = 1;
    put_done2 = recvd = 0;
    CU_ASSERT_EQUAL_FATAL(F.io.snapshot_put(&F.io, 8, &put, &s, put_cb2), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &put_done2, 1, 5000));
    st_pins = st_unpins = st_opens = st_closes = got_done = 0;
    st_max_piece = 0;
    CU_ASSERT_EQUAL_FATAL(F.io.snapshot_get(&F.io, &get, st_get_cb), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &got_done, 1, 5000));
    CU_ASSERT_EQUAL_FATAL(got_snap->bufs[0].len, 24);
    CU_ASSERT_EQUAL(memcmp(got_snap->bufs[0].base, "SKVSEND1", 8), 0);
    CU_ASSERT_EQUAL(st_unpins, 0);   /* the descriptor keeps the view */
    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_INSTALL_SNAPSHOT;
    m.server_id = 2;
    m.server_address = "127.0.0.1:9002";
    m.install_snapshot.term = 3;
    m.install_snapshot.last_index = 50;
    m.install_snapshot.last_term = 2;
    fx_conf(&m.install_snapshot.conf, 2);
    m.install_snapshot.conf_index = 1;
    m.install_snapshot.data = got_snap->bufs[0];
    big_sent = 0;
    CU_ASSERT_EQUAL_FATAL(F.io.send(&F.io, &req, &m, big_send_cb), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &big_sent, 1, 5000));
    CU_ASSERT_EQUAL(big_status, 0);
    CU_ASSERT_EQUAL_FATAL(C.n, 4);   /* 4 + 4 + 2 MiB, then the InstallSnapshot */
    CU_ASSERT(C.lens[3] < 4096);
    CU_ASSERT_EQUAL(st_max_piece, 4u << 20);
    CU_ASSERT_EQUAL(st_opens, 2);    /* the get made the first chunk, the send all */
    CU_ASSERT_EQUAL(st_closes, 2);
    CU_ASSERT_EQUAL(st_unpins, 1);   /* released with the send */
    big_sent = 0;                    /* sent already: no live descriptor */
    CU_ASSERT_EQUAL_FATAL(F.io.send(&F.io, &req2, &m, big_send_cb), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &big_sent, 1, 5000));
    CU_ASSERT_EQUAL(big_status, RAFT_NOCONNECTION);
    CU_ASSERT_EQUAL(C.n, 4);
    {   /* sized while streamed: an open total, the last chunk exact */
        struct skv_frame f0, f2;
        char err[200];
        CU_ASSERT_EQUAL_FATAL(skv_wire_decode(C.frames[0], C.lens[0], &f0, err, sizeof err), 0);
        CU_ASSERT_EQUAL_FATAL(skv_wire_decode(C.frames[2], C.lens[2], &f2, err, sizeof err), 0);
        CU_ASSERT_EQUAL(f0.u.chunk.total, SKV_WIRE_SNAP_TOTAL_OPEN);
        CU_ASSERT_EQUAL(f2.u.chunk.total, BIG);
        CU_ASSERT_EQUAL(f2.u.chunk.offset + f2.u.chunk.data.len, BIG);
    }
    got_len = 0;
    recvd = 0;
    feed(0, 4, 2);                   /* the last chunk (the exact size) lost: dropped */
    CU_ASSERT_EQUAL(recvd, 0);
    got_len = 0;
    feed(0, 4, -1);                  /* the receiver gets the full form */
    CU_ASSERT_EQUAL(got_len, BIG);
    CU_ASSERT_TRUE(got_same);
    raft_configuration_close(&m.install_snapshot.conf);
    raft_configuration_close(&s.configuration);
    skv_ls_free_loaded(got_snap, NULL, 0);
    for (int i = 0; i < C.n; i++)
        free(C.frames[i]);
    free(pattern);
    fx_teardown(&F);
}

/* ---- a big snapshot received into the spool file (raft_io_xin.c) ------- */

static char sp_dir[600];
static struct skv_spool_meta sp_meta;
static int sp_refs;
static int sp_ref(void *arg, const uint8_t *head, size_t head_len,
                  const struct skv_spool_meta *m, struct raft_buffer *ref, char *errmsg,
                  size_t errlen)
{
    (void)arg, (void)errmsg, (void)errlen;
    CU_ASSERT(head_len == 64 && memcmp(head, pattern, 64) == 0);
    sp_meta = *m;
    sp_refs++;
    ref->base = raft_malloc(8 + SKV_SPOOL_REF_LEN);
    memcpy(ref->base, "SKVSNAP4", 8);
    skv_spool_ref_encode((uint8_t *)ref->base + 8, m);
    ref->len = 8 + SKV_SPOOL_REF_LEN;
    return 0;
}
static void sp_tweak(struct skv_raftio_env *env)
{
    env->spool_dir = sp_dir;
    env->spool_ref = sp_ref;
}

static size_t sp_got_len;
static int sp_got_ref, sp_commit, sp_committed;
static void sp_recv_cb(struct raft_io *io, struct raft_message *m)
{
    char err[256];
    if (m->type == RAFT_IO_INSTALL_SNAPSHOT) {
        sp_got_len = m->install_snapshot.data.len;
        sp_got_ref = sp_got_len == 8 + SKV_SPOOL_REF_LEN &&
                     memcmp(m->install_snapshot.data.base, "SKVSNAP4", 8) == 0;
        /* what snapshot_put does first (raft_io_queue.c) */
        if (sp_commit)
            sp_committed = skv_spool_commit(sp_dir, &sp_meta, err, sizeof err) == 0;
    }
    recv_cb(io, m);   /* frees it, stores nothing: as C-Raft with that snapshot */
}

static int sp_exists(int complete)
{
    char p[700];
    struct stat sb;
    CU_ASSERT_FATAL(skv_spool_path(p, sizeof p, sp_dir, complete) == 0);
    return stat(p, &sb) == 0;
}

/* With a spool dir the chunks of a 10 MiB snapshot go to
 * data_dir/snapshot-in.part (byte for byte, its CRC in the meta), raft
 * gets the small reference made by env.spool_ref, and a reference raft
 * does not store leaves no file behind; a total over the free space is
 * refused before any file exists, and the InstallSnapshot dropped. */
static void test_spooled_receive(void)
{
    struct raft_message m, m2;
    struct raft_io_send req;
    struct skv_spool_r r;
    uint8_t back[4096];
    char err[256];
    memset(&C, 0, sizeof C);
    C.limit = 64;
    if (fx_setup(&F) != 0)
        CU_FAIL_FATAL("fixture setup failed");
    snprintf(sp_dir, sizeof sp_dir, "%s", F.dir);
    F.tr = &ctr_ops;
    F.tr_state = &C;
    F.env_tweak = sp_tweak;
    CU_ASSERT_EQUAL_FATAL(fx_io_open(&F), 0);
    CU_ASSERT_EQUAL_FATAL(F.io.start(&F.io, 50, tick_noop, sp_recv_cb), 0);
    pattern = malloc(BIG);
    for (size_t i = 0; i < BIG; i++)
        pattern[i] = (uint8_t)(i * 7 + (i >> 13));
    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_INSTALL_SNAPSHOT;
    m.server_id = 2;
    m.server_address = "127.0.0.1:9002";
    m.install_snapshot.term = 3;
    m.install_snapshot.last_index = 50;
    m.install_snapshot.last_term = 2;
    fx_conf(&m.install_snapshot.conf, 2);
    m.install_snapshot.conf_index = 1;
    m.install_snapshot.data.base = pattern;
    m.install_snapshot.data.len = BIG;
    big_sent = 0;
    CU_ASSERT_EQUAL_FATAL(F.io.send(&F.io, &req, &m, big_send_cb), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &big_sent, 1, 5000));
    CU_ASSERT_EQUAL_FATAL(C.n, 4);
    recvd = sp_refs = 0;
    feed(0, 3, -1);                  /* the chunks: into the .part file */
    CU_ASSERT_TRUE(sp_exists(0));
    feed(3, 4, -1);                  /* the InstallSnapshot: the reference */
    CU_ASSERT_EQUAL(recvd, 1);
    CU_ASSERT_EQUAL(sp_refs, 1);
    CU_ASSERT_TRUE(sp_got_ref);
    CU_ASSERT_EQUAL(sp_meta.total, BIG);
    CU_ASSERT_FALSE(sp_exists(0));   /* raft stored nothing: removed */
    /* the same transfer again, committed as snapshot_put would: intact */
    sp_commit = 1;
    sp_committed = 0;
    feed(0, 4, -1);
    CU_ASSERT_EQUAL(recvd, 2);
    CU_ASSERT_TRUE_FATAL(sp_committed);
    CU_ASSERT_TRUE(sp_exists(1));
    CU_ASSERT_EQUAL_FATAL(skv_spool_open(&r, sp_dir, &sp_meta, err, sizeof err), 0);
    for (size_t off = 0; off < BIG; off += sizeof back) {
        CU_ASSERT_EQUAL_FATAL(skv_spool_read(&r, off, back, sizeof back, err, sizeof err), 0);
        if (memcmp(back, pattern + off, sizeof back) != 0) {
            CU_FAIL("spool content differs");
            break;
        }
    }
    skv_spool_close(&r);
    sp_commit = 0;
    /* a total over the free space: refused, no file, dropped */
    {
        struct skv_snap_chunk c = {3, 60, 2, SKV_SPOOL_MAX, 0, {pattern, 4096}};
        skv_raftio_recv_chunk(&F.io, 2, &c);
        CU_ASSERT_FALSE(sp_exists(0));
        is_heap(&m2, 2, 60);
        m2.install_snapshot.term = 3;
        m2.install_snapshot.data.len = 0;
        skv_raftio_recv(&F.io, &m2);
        CU_ASSERT_EQUAL(recvd, 2);
    }
    raft_configuration_close(&m.install_snapshot.conf);
    for (int i = 0; i < C.n; i++)
        free(C.frames[i]);
    free(pattern);
    fx_teardown(&F);
}

/* Snapshot data only this node makes (a local SKVSNAP3, a spooled
 * SKVSNAP4 reference, a SKVSEND descriptor) is refused from any peer, in
 * an InstallSnapshot or a first chunk; a send naming no live descriptor
 * fails without a frame going out. */
static void test_local_only_refused(void)
{
    static const char *const forged[] = {"SKVSNAP3", "SKVSNAP4", "SKVSEND1"};
    struct raft_message m;
    struct raft_io_send req;
    struct skv_snap_chunk c;
    uint8_t data[64];
    memset(&C, 0, sizeof C);
    C.limit = 64;
    if (fx_setup(&F) != 0)
        CU_FAIL_FATAL("fixture setup failed");
    F.tr = &ctr_ops;
    F.tr_state = &C;
    CU_ASSERT_EQUAL_FATAL(fx_io_open(&F), 0);
    CU_ASSERT_EQUAL_FATAL(F.io.start(&F.io, 50, tick_noop, recv_cb), 0);
    recvd = 0;
    for (int i = 0; i < 3; i++) {
        is_heap(&m, 2, 40 + (raft_index)i);
        memcpy(m.install_snapshot.data.base, forged[i], 8);
        skv_raftio_recv(&F.io, &m);   /* refused and freed (ASan checks) */
        CU_ASSERT_EQUAL(recvd, 0);
    }
    /* a first chunk carrying one: the transfer never starts */
    memset(data, 0, sizeof data);
    memcpy(data, "SKVSNAP4", 8);
    c = (struct skv_snap_chunk){2, 50, 2, sizeof data, 0, {data, sizeof data}};
    skv_raftio_recv_chunk(&F.io, 2, &c);
    is_heap(&m, 2, 50);
    m.install_snapshot.data.len = 0;
    skv_raftio_recv(&F.io, &m);
    CU_ASSERT_EQUAL(recvd, 0);
    is_heap(&m, 2, 60);               /* ordinary data still passes */
    skv_raftio_recv(&F.io, &m);
    CU_ASSERT_EQUAL(recvd, 1);
    /* a descriptor this io never issued: the send fails, nothing sent */
    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_INSTALL_SNAPSHOT;
    m.server_id = 2;
    m.server_address = "127.0.0.1:9002";
    m.install_snapshot.term = 3;
    m.install_snapshot.last_index = 50;
    m.install_snapshot.last_term = 2;
    fx_conf(&m.install_snapshot.conf, 2);
    memset(data, 0x5a, sizeof data);
    memcpy(data, "SKVSEND1", 8);
    m.install_snapshot.data.base = data;
    m.install_snapshot.data.len = 24;
    big_sent = 0;
    CU_ASSERT_EQUAL_FATAL(F.io.send(&F.io, &req, &m, big_send_cb), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &big_sent, 1, 5000));
    CU_ASSERT_EQUAL(big_status, RAFT_NOCONNECTION);
    CU_ASSERT_EQUAL(C.n, 0);
    raft_configuration_close(&m.install_snapshot.conf);
    fx_teardown(&F);
}

/* ---- timer, time, random ----------------------------------------------- */

static int ticks;
static void tick_cb(struct raft_io *io) { (void)io; ticks++; }

static void test_tick_time_random(void)
{
    raft_time t0, t1;
    int lo = 1000, hi = 0;
    SETUP();
    ticks = 0;
    t0 = F.io.time(&F.io);
    CU_ASSERT_EQUAL_FATAL(F.io.start(&F.io, 20, tick_cb, recv_cb), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &ticks, 3, 5000));
    t1 = F.io.time(&F.io);
    CU_ASSERT(t1 >= t0 + 55); /* 3 ticks of 20 ms (timer granularity: 1 ms) */
    for (int i = 0; i < 2000; i++) {
        int r = F.io.random(&F.io, 150, 300);
        CU_ASSERT(r >= 150 && r < 300);
        lo = r < lo ? r : lo;
        hi = r > hi ? r : hi;
    }
    CU_ASSERT(lo < 160 && hi > 290); /* spread over the range */
    CU_ASSERT_EQUAL(F.io.random(&F.io, 5, 5), 5);
    fx_teardown(&F);
    CU_ASSERT(ticks >= 3);
}

/* ---- async work ---------------------------------------------------------- */

static int work_ran, work_done, work_status;
static int work_fn(struct raft_io_async_work *req)
{
    (void)req;
    work_ran = 1;
    return 7;
}
static void work_cb(struct raft_io_async_work *req, int status)
{
    (void)req;
    work_status = status;
    work_done++;
}

static void test_async_work(void)
{
    struct raft_io_async_work req = {.work = work_fn};
    SETUP();
    work_done = work_ran = 0;
    CU_ASSERT_EQUAL(F.io.async_work(&F.io, &req, work_cb), 0);
    CU_ASSERT_EQUAL(work_done, 0);
    CU_ASSERT_FATAL(fx_wait(&F, &work_done, 1, 5000));
    CU_ASSERT_EQUAL(work_ran, 1);
    CU_ASSERT_EQUAL(work_status, 7);
    fx_teardown(&F);
}

/* ---- close ---------------------------------------------------------------- */

static struct raft_io_append areq[4];
static struct raft_entry aent[4];
static int app_status[4], app_seq[4], apps_done, close_seq;

static void app_cb(struct raft_io_append *req, int status)
{
    int i = (int)(req - areq);
    app_status[i] = status;
    app_seq[i] = ++seq;
    apps_done++;
}

static void close_cb(struct raft_io *io)
{
    (void)io;
    close_seq = ++seq;
    F.closed++;
}

static int submit(int i)
{
    aent[i] = (struct raft_entry){1, RAFT_COMMAND, {"x", 1}, NULL};
    app_status[i] = -1;
    return F.io.append(&F.io, &areq[i], &aent[i], 1, app_cb);
}

static void bootstrap_and_load(void)
{
    struct raft_configuration c;
    struct fx_loaded l;
    fx_conf(&c, 1);
    CU_ASSERT_EQUAL_FATAL(F.io.bootstrap(&F.io, &c), 0);
    raft_configuration_close(&c);
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    fx_loaded_free(&l);
}

static void test_close_cancels_queued(void)
{
    struct raft_message m;
    SETUP();
    bootstrap_and_load();
    seq = apps_done = sends_done = close_seq = 0;
    CU_ASSERT_EQUAL(submit(0), 0);
    CU_ASSERT_EQUAL(submit(1), 0);
    rv_msg(&m, 2, 1);
    CU_ASSERT_EQUAL(F.io.send(&F.io, &send_req[0], &m, send_cb), 0);
    F.closed = 0;
    F.io.close(&F.io, close_cb);
    CU_ASSERT_EQUAL(F.closed, 0); /* never synchronous */
    CU_ASSERT_EQUAL(apps_done, 0);
    CU_ASSERT_EQUAL(submit(2), RAFT_CANCELED); /* closing: refused */
    CU_ASSERT_FATAL(fx_wait(&F, &F.closed, 1, 5000));
    CU_ASSERT_EQUAL(apps_done, 2);
    CU_ASSERT_EQUAL(app_status[0], RAFT_CANCELED);
    CU_ASSERT_EQUAL(app_status[1], RAFT_CANCELED);
    CU_ASSERT_EQUAL(sends_done, 1);
    /* newest first: C-Raft truncates its log at a failed append's index */
    CU_ASSERT(app_seq[1] < app_seq[0] && app_seq[0] < close_seq);
    CU_ASSERT(send_seq[0] < close_seq);
    skv_raftio_destroy(&F.io);
    F.io_open = 0;
    fx_teardown(&F);
}

static void test_close_waits_for_inflight(void)
{
    SETUP();
    bootstrap_and_load();
    seq = apps_done = close_seq = 0;
    CU_ASSERT_EQUAL(submit(0), 0);
    fx_turn(&F); /* the idle handle hands the batch to a worker */
    CU_ASSERT_EQUAL(submit(1), 0);
    F.closed = 0;
    F.io.close(&F.io, close_cb);
    CU_ASSERT_FATAL(fx_wait(&F, &F.closed, 1, 5000));
    CU_ASSERT_EQUAL(apps_done, 2);
    CU_ASSERT_EQUAL(app_status[0], 0);             /* written */
    CU_ASSERT_EQUAL(app_status[1], RAFT_CANCELED); /* never started */
    CU_ASSERT(app_seq[0] < app_seq[1] && app_seq[1] < close_seq);
    skv_raftio_destroy(&F.io);
    F.io_open = 0;
    /* the written entry is durable */
    CU_ASSERT_EQUAL_FATAL(fx_io_open(&F), 0);
    {
        struct fx_loaded l;
        CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
        CU_ASSERT_EQUAL(l.n, 2);
        fx_loaded_free(&l);
    }
    fx_teardown(&F);
}

static void test_destroy_without_close(void)
{
    SETUP();
    skv_raftio_destroy(&F.io); /* never closed: closes and frees on the loop */
    CU_ASSERT_PTR_NULL(F.io.impl);
    F.io_open = 0;
    fx_teardown(&F); /* uv_loop_close must succeed, ASan: no leak */
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("raft_io loop side", suite_init, suite_clean);
    if (!s ||
        !CU_add_test(s, "send: encoded, handed over, deferred callback", test_send) ||
        !CU_add_test(s, "send without a transport", test_send_without_transport) ||
        !CU_add_test(s, "recv: ownership and sender address", test_recv) ||
        !CU_add_test(s, "recv: an InstallSnapshot waits for a snapshot write", test_recv_install_held) ||
        !CU_add_test(s, "a big snapshot travels in chunks", test_snapshot_chunks) ||
        !CU_add_test(s, "local-only snapshot data from a peer is refused",
                     test_local_only_refused) ||
        !CU_add_test(s, "a big snapshot streamed from a view", test_streamed_send) ||
        !CU_add_test(s, "a big snapshot received into the spool file", test_spooled_receive) ||
        !CU_add_test(s, "tick timer, time, random", test_tick_time_random) ||
        !CU_add_test(s, "async work", test_async_work) ||
        !CU_add_test(s, "close cancels queued requests first", test_close_cancels_queued) ||
        !CU_add_test(s, "close waits for in-flight writes", test_close_waits_for_inflight) ||
        !CU_add_test(s, "destroy without close", test_destroy_without_close)) {
        CU_cleanup_registry();
        return 99;
    }
    return skv_test_run();
}
