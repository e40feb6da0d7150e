/* SPDX-License-Identifier: MIT */
/*
 * test_raft_io.c — the raft_io adapter's storage contract against the real
 * storage-leveldb plugin: load on an empty store, durable hard state,
 * group-committed appends, truncate ordering, snapshots with and without
 * trailing entries, bootstrap/recover, corruption detection and sticky
 * write errors.
 */
#include "raft_io_fx.h"

#include "util/crc32.h"
#include "util/keys.h"
#include "raftio/raft_conf.h"
#include "raftio/raft_io_impl.h"

static struct fx F;

static int suite_init(void) { return 0; }
static int suite_clean(void) { return 0; }

#define SETUP()                                       \
    do {                                              \
        if (fx_setup(&F) != 0 || fx_io_open(&F) != 0) { \
            CU_FAIL_FATAL("fixture setup failed");    \
        }                                             \
    } while (0)

/* ---- append helpers --------------------------------------------------- */

#define MAX_REQ 16
struct app {
    struct raft_io_append req[MAX_REQ];
    struct raft_entry ents[MAX_REQ][8];
    char bufs[MAX_REQ][8][32];
    int status[MAX_REQ];
    int order[MAX_REQ];
    int done;
};
static struct app A;
static int probe_busy = -1; /* at request 0's callback: a log job on a worker */

static void app_cb(struct raft_io_append *req, int status)
{
    int i = (int)(req - A.req);
    const struct skv_rio *rio = F.io.impl;
    A.status[i] = status;
    A.order[A.done++] = i;
    if (i == 0)
        probe_busy = rio->log_busy;
}

/* Queue request i of n entries (term, payload "r<i>e<j>"); returns rc. */
static int app_submit(int i, unsigned n, raft_term term)
{
    for (unsigned j = 0; j < n; j++) {
        struct raft_entry *e = &A.ents[i][j];
        snprintf(A.bufs[i][j], sizeof A.bufs[i][j], "r%de%u", i, j);
        e->term = term;
        e->type = RAFT_COMMAND;
        e->buf.base = A.bufs[i][j];
        e->buf.len = strlen(A.bufs[i][j]);
        e->batch = NULL;
    }
    A.status[i] = -1;
    return F.io.append(&F.io, &A.req[i], A.ents[i], n, app_cb);
}

static int entry_is(const struct raft_entry *e, raft_term term, int type,
                    const char *payload)
{
    return e->term == term && e->type == type && e->batch != NULL &&
           e->buf.len == strlen(payload) &&
           memcmp(e->buf.base, payload, e->buf.len) == 0;
}

static void bootstrap1(void)
{
    struct raft_configuration c;
    fx_conf(&c, 1);
    CU_ASSERT_EQUAL_FATAL(F.io.bootstrap(&F.io, &c), 0);
    raft_configuration_close(&c);
}

/* Bootstrap, load, then append entries 2..1+n (term 1) in one request. */
static void log_to(unsigned n)
{
    struct fx_loaded l;
    bootstrap1();
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    fx_loaded_free(&l);
    memset(&A, 0, sizeof A);
    for (unsigned k = 0; k < n; k += 8)
        CU_ASSERT_EQUAL_FATAL(app_submit((int)(k / 8), n - k < 8 ? n - k : 8, 1), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &A.done, (int)((n + 7) / 8), 5000));
}

/* ---- tests ---------------------------------------------------------------- */

/* CRC-32 by its bitwise definition, the reference for skv_crc32. */
static uint32_t crc32_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* Every length 0..300 at every alignment 0..7, and split points. */
static void check_crc_against_bitwise(void)
{
    static uint8_t buf[320];
    uint32_t x = 12345;
    int bad = 0;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= 308; n++) {
            uint32_t want = crc32_bitwise(0, buf + off, n);
            bad += skv_crc32(0, buf + off, n) != want;
            bad += skv_crc32(skv_crc32(0, buf + off, n / 3), buf + off + n / 3, n - n / 3) != want;
        }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_crc_and_conf_codec(void)
{
    struct raft_configuration c, d;
    struct raft_buffer buf;
    char why[128];
    CU_ASSERT_EQUAL(skv_crc32(0, "123456789", 9), 0xCBF43926u);
    CU_ASSERT_EQUAL(skv_crc32(skv_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
    check_crc_against_bitwise();
    fx_conf(&c, 3);
    CU_ASSERT_EQUAL_FATAL(raft_configuration_encode(&c, &buf), 0);
    CU_ASSERT_EQUAL(skv_raft_conf_decode(buf.base, buf.len, &d, why, sizeof why), 0);
    CU_ASSERT_EQUAL(d.n, 3);
    CU_ASSERT_EQUAL(d.servers[2].id, 3);
    CU_ASSERT_STRING_EQUAL(d.servers[2].address, "127.0.0.1:9003");
    CU_ASSERT_EQUAL(d.servers[2].role, RAFT_VOTER);
    raft_configuration_close(&d);
    /* every truncation and a bad version byte are refused, never read past */
    for (size_t len = 0; len < buf.len; len++) {
        int rc = skv_raft_conf_decode(buf.base, len, &d, why, sizeof why);
        /* trailing zero padding may be cut: still the same servers */
        if (rc == 0)
            CU_ASSERT_EQUAL(d.n, 3);
        raft_configuration_close(&d);
        if (len < buf.len - 7)
            CU_ASSERT_EQUAL(rc, RAFT_MALFORMED);
    }
    ((unsigned char *)buf.base)[0] = 2;
    CU_ASSERT_EQUAL(skv_raft_conf_decode(buf.base, buf.len, &d, why, sizeof why),
                    RAFT_MALFORMED);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "format"));
    raft_free(buf.base);
    raft_configuration_close(&c);
}

static void test_load_empty(void)
{
    struct fx_loaded l;
    SETUP();
    CU_ASSERT_EQUAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL(l.term, 0);
    CU_ASSERT_EQUAL(l.vote, 0);
    CU_ASSERT_PTR_NULL(l.snap);
    CU_ASSERT_EQUAL(l.start, 1);
    CU_ASSERT_EQUAL(l.n, 0);
    CU_ASSERT_PTR_NULL(l.entries);
    CU_ASSERT_EQUAL(F.io.version, 2);
    CU_ASSERT_PTR_NOT_NULL(F.io.async_work);
    fx_loaded_free(&l);
    fx_teardown(&F);
}

static void test_hard_state_durable(void)
{
    struct fx_loaded l;
    unsigned w;
    SETUP();
    w = atomic_load(&fx_writes);
    CU_ASSERT_EQUAL(F.io.set_term(&F.io, 5), 0);
    CU_ASSERT_EQUAL(atomic_load(&fx_writes), w + 1); /* written before return */
    CU_ASSERT_EQUAL(atomic_load(&fx_unsynced), 0);   /* ... and synced */
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    CU_ASSERT_EQUAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL(l.term, 5);
    CU_ASSERT_EQUAL(l.vote, 0);
    fx_loaded_free(&l);
    CU_ASSERT_EQUAL(F.io.set_vote(&F.io, 3), 0);
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    /* set_vote on a fresh io (no load yet) keeps the stored term */
    CU_ASSERT_EQUAL(F.io.set_vote(&F.io, 2), 0);
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    CU_ASSERT_EQUAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL(l.term, 5);
    CU_ASSERT_EQUAL(l.vote, 2);
    fx_loaded_free(&l);
    CU_ASSERT_EQUAL(F.io.set_term(&F.io, 6), 0); /* new term clears the vote */
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    CU_ASSERT_EQUAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL(l.term, 6);
    CU_ASSERT_EQUAL(l.vote, 0);
    fx_loaded_free(&l);
    fx_teardown(&F);
}

static void test_append_group_commit(void)
{
    struct fx_loaded l;
    unsigned w;
    SETUP();
    bootstrap1();
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL(l.n, 1);
    fx_loaded_free(&l);
    memset(&A, 0, sizeof A);
    w = atomic_load(&fx_writes);
    CU_ASSERT_EQUAL(app_submit(0, 2, 1), 0);
    CU_ASSERT_EQUAL(app_submit(1, 1, 1), 0);
    CU_ASSERT_EQUAL(app_submit(2, 3, 2), 0);
    CU_ASSERT_EQUAL(A.done, 0); /* never synchronously */
    CU_ASSERT_FATAL(fx_wait(&F, &A.done, 3, 5000));
    CU_ASSERT_EQUAL(atomic_load(&fx_writes), w + 1); /* ONE batch */
    CU_ASSERT_EQUAL(atomic_load(&fx_unsynced), 0);
    CU_ASSERT(A.order[0] == 0 && A.order[1] == 1 && A.order[2] == 2);
    CU_ASSERT(A.status[0] == 0 && A.status[1] == 0 && A.status[2] == 0);
    /* a later append is its own batch */
    CU_ASSERT_EQUAL(app_submit(3, 1, 2), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &A.done, 4, 5000));
    CU_ASSERT_EQUAL(atomic_load(&fx_writes), w + 2);
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL(l.term, 1);
    CU_ASSERT_EQUAL(l.start, 1);
    CU_ASSERT_EQUAL_FATAL(l.n, 8);
    CU_ASSERT_EQUAL(l.entries[0].type, RAFT_CHANGE);
    CU_ASSERT(entry_is(&l.entries[1], 1, RAFT_COMMAND, "r0e0"));
    CU_ASSERT(entry_is(&l.entries[2], 1, RAFT_COMMAND, "r0e1"));
    CU_ASSERT(entry_is(&l.entries[3], 1, RAFT_COMMAND, "r1e0"));
    CU_ASSERT(entry_is(&l.entries[4], 2, RAFT_COMMAND, "r2e0"));
    CU_ASSERT(entry_is(&l.entries[6], 2, RAFT_COMMAND, "r2e2"));
    CU_ASSERT(entry_is(&l.entries[7], 2, RAFT_COMMAND, "r3e0"));
    fx_loaded_free(&l);
    fx_teardown(&F);
}

/* A batch queued behind a running one goes to storage as soon as the
 * running one is done, before its callbacks (which commit, apply and
 * answer clients) run: the disk does not wait for them. */
static void test_append_next_before_callbacks(void)
{
    struct fx_loaded l;
    const struct skv_rio *rio;
    unsigned w;
    SETUP();
    rio = F.io.impl;
    bootstrap1();
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    fx_loaded_free(&l);
    memset(&A, 0, sizeof A);
    w = atomic_load(&fx_writes);
    atomic_store(&fx_gate, 1); /* request 0's job stays on its worker */
    CU_ASSERT_EQUAL(app_submit(0, 1, 1), 0);
    fx_turn(&F); /* its job starts on a worker */
    CU_ASSERT_EQUAL(rio->log_busy, 1);
    CU_ASSERT_EQUAL(app_submit(1, 2, 1), 0); /* queued behind it */
    probe_busy = -1;
    atomic_store(&fx_gate, 0);
    CU_ASSERT_FATAL(fx_wait(&F, &A.done, 2, 5000));
    CU_ASSERT_EQUAL(probe_busy, 1);
    CU_ASSERT(A.order[0] == 0 && A.order[1] == 1);
    CU_ASSERT(A.status[0] == 0 && A.status[1] == 0);
    CU_ASSERT_EQUAL(atomic_load(&fx_writes), w + 2);
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL_FATAL(l.n, 4);
    CU_ASSERT(entry_is(&l.entries[1], 1, RAFT_COMMAND, "r0e0"));
    CU_ASSERT(entry_is(&l.entries[3], 1, RAFT_COMMAND, "r1e1"));
    fx_loaded_free(&l);
    fx_teardown(&F);
}

static void test_truncate_ordering(void)
{
    struct fx_loaded l;
    SETUP();
    bootstrap1();
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    fx_loaded_free(&l);
    memset(&A, 0, sizeof A);
    /* one turn: append 2..6, truncate from 4, append 4..5 (new term) */
    CU_ASSERT_EQUAL(app_submit(0, 5, 1), 0);
    CU_ASSERT_EQUAL(F.io.truncate(&F.io, 4), 0);
    CU_ASSERT_EQUAL(app_submit(1, 2, 2), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &A.done, 2, 5000));
    CU_ASSERT(A.order[0] == 0 && A.order[1] == 1);
    CU_ASSERT(A.status[0] == 0 && A.status[1] == 0);
    /* truncate beyond the next index is refused */
    CU_ASSERT_EQUAL(F.io.truncate(&F.io, 99), RAFT_INVALID);
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL_FATAL(l.n, 5);
    CU_ASSERT(entry_is(&l.entries[1], 1, RAFT_COMMAND, "r0e0"));
    CU_ASSERT(entry_is(&l.entries[2], 1, RAFT_COMMAND, "r0e1"));
    CU_ASSERT(entry_is(&l.entries[3], 2, RAFT_COMMAND, "r1e0"));
    CU_ASSERT(entry_is(&l.entries[4], 2, RAFT_COMMAND, "r1e1"));
    fx_loaded_free(&l);
    /* truncate after load: next append lands at the truncated index */
    memset(&A, 0, sizeof A);
    CU_ASSERT_EQUAL(F.io.truncate(&F.io, 3), 0);
    CU_ASSERT_EQUAL(app_submit(0, 1, 3), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &A.done, 1, 5000));
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL_FATAL(l.n, 3);
    CU_ASSERT(entry_is(&l.entries[2], 3, RAFT_COMMAND, "r0e0"));
    fx_loaded_free(&l);
    fx_teardown(&F);
}

/* ---- snapshots -------------------------------------------------------------- */

static int put_done, put_status;
static void put_cb(struct raft_io_snapshot_put *req, int status)
{
    (void)req;
    put_status = status;
    put_done++;
}

static int get_done, get_status;
static struct raft_snapshot *got;
static void get_cb(struct raft_io_snapshot_get *req, struct raft_snapshot *s,
                   int status)
{
    (void)req;
    got = s;
    get_status = status;
    get_done++;
}

static void snap_free(struct raft_snapshot *s)
{
    struct fx_loaded l = {.snap = s};
    fx_loaded_free(&l);
}

/* Store a snapshot at index/term whose data is the concatenation of the
 * pieces, wait for the callback; returns its status. */
static int snap_put(raft_index index, raft_term term, unsigned trailing,
                    struct raft_buffer *bufs, unsigned n_bufs)
{
    struct raft_io_snapshot_put req;
    struct raft_snapshot s;
    memset(&s, 0, sizeof s);
    s.index = index;
    s.term = term;
    fx_conf(&s.configuration, 2);
    s.configuration_index = 1;
    s.bufs = bufs;
    s.n_bufs = n_bufs;
    put_done = 0;
    put_status = -1;
    if (F.io.snapshot_put(&F.io, trailing, &req, &s, put_cb) != 0)
        put_status = -2;
    else if (put_done != 0)
        put_status = -3; /* must not complete synchronously */
    else if (!fx_wait(&F, &put_done, 1, 10000))
        put_status = -4;
    raft_configuration_close(&s.configuration);
    return put_status;
}

static void test_snapshot_trailing(void)
{
    struct raft_buffer bufs[2] = {{"hello ", 6}, {"world", 5}};
    struct raft_io_snapshot_get greq;
    struct fx_loaded l;
    SETUP();
    log_to(9); /* entries 1..10 */
    CU_ASSERT_EQUAL(snap_put(8, 1, 3, bufs, 2), 0);
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l.snap);
    CU_ASSERT_EQUAL(l.snap->index, 8);
    CU_ASSERT_EQUAL(l.snap->term, 1);
    CU_ASSERT_EQUAL(l.snap->configuration_index, 1);
    CU_ASSERT_EQUAL(l.snap->configuration.n, 2);
    CU_ASSERT_EQUAL_FATAL(l.snap->n_bufs, 1);
    CU_ASSERT_EQUAL(l.snap->bufs[0].len, 11);
    CU_ASSERT_NSTRING_EQUAL(l.snap->bufs[0].base, "hello world", 11);
    CU_ASSERT_EQUAL(l.start, 6); /* exactly 3 trailing entries: 6, 7, 8 */
    CU_ASSERT_EQUAL_FATAL(l.n, 5);
    CU_ASSERT(entry_is(&l.entries[0], 1, RAFT_COMMAND, "r0e4"));  /* index 6 */
    CU_ASSERT(entry_is(&l.entries[4], 1, RAFT_COMMAND, "r1e0"));  /* index 10 */
    fx_loaded_free(&l);
    /* snapshot_get: asynchronous, same content */
    get_done = 0;
    got = NULL;
    CU_ASSERT_EQUAL(F.io.snapshot_get(&F.io, &greq, get_cb), 0);
    CU_ASSERT_EQUAL(get_done, 0);
    CU_ASSERT_FATAL(fx_wait(&F, &get_done, 1, 5000));
    CU_ASSERT_EQUAL(get_status, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_EQUAL(got->index, 8);
    CU_ASSERT_EQUAL(got->n_bufs, 1);
    CU_ASSERT_NSTRING_EQUAL(got->bufs[0].base, "hello world", 11);
    CU_ASSERT_STRING_EQUAL(got->configuration.servers[1].address, "127.0.0.1:9002");
    snap_free(got);
    fx_teardown(&F);
}

static void test_snapshot_install_replaces_log(void)
{
    struct raft_buffer buf = {"state", 5};
    struct raft_io_snapshot_get greq;
    struct fx_loaded l;
    SETUP();
    /* no snapshot yet: snapshot_get reports an error, asynchronously */
    get_done = 0;
    CU_ASSERT_EQUAL(F.io.snapshot_get(&F.io, &greq, get_cb), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &get_done, 1, 5000));
    CU_ASSERT_EQUAL(get_status, RAFT_NOTFOUND);
    CU_ASSERT_PTR_NULL(got);
    log_to(9);
    CU_ASSERT_EQUAL(snap_put(20, 3, 0, &buf, 1), 0);
    memset(&A, 0, sizeof A);
    CU_ASSERT_EQUAL(app_submit(0, 1, 3), 0); /* lands at 21 */
    CU_ASSERT_FATAL(fx_wait(&F, &A.done, 1, 5000));
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l.snap);
    CU_ASSERT_EQUAL(l.snap->index, 20);
    CU_ASSERT_EQUAL(l.start, 21);
    CU_ASSERT_EQUAL_FATAL(l.n, 1);
    CU_ASSERT(entry_is(&l.entries[0], 3, RAFT_COMMAND, "r0e0"));
    fx_loaded_free(&l);
    fx_teardown(&F);
}

static void test_snapshot_stale_entries(void)
{
    struct raft_buffer buf = {"s", 1};
    struct fx_loaded l;
    SETUP();
    log_to(4); /* entries 1..5, then a snapshot far ahead keeping them */
    CU_ASSERT_EQUAL(snap_put(10, 2, 100, &buf, 1), 0);
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL(l.start, 11); /* 1..5 are covered by the snapshot */
    CU_ASSERT_EQUAL(l.n, 0);
    fx_loaded_free(&l);
    memset(&A, 0, sizeof A);
    CU_ASSERT_EQUAL(app_submit(0, 2, 2), 0); /* 11, 12 */
    CU_ASSERT_FATAL(fx_wait(&F, &A.done, 1, 5000));
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0); /* gap 6..10 is not corrupt */
    CU_ASSERT_EQUAL(l.start, 11);
    CU_ASSERT_EQUAL_FATAL(l.n, 2);
    CU_ASSERT(entry_is(&l.entries[1], 2, RAFT_COMMAND, "r0e1"));
    fx_loaded_free(&l);
    fx_teardown(&F);
}

static int key_exists(const void *k, size_t kl)
{
    struct skv_err e = {0};
    void *v = NULL;
    size_t vl = 0;
    int rc = fx_real->get(F.db, NULL, k, kl, &v, &vl, &e);
    fx_real->free_buf(F.db, v);
    return rc == SKV_OK;
}

static void test_snapshot_chunks(void)
{
    const size_t big = 9u * 1024 * 1024 + 123; /* 3 chunks */
    unsigned char k2[9] = {SKV_PFX_RAFT_SNAP, 'd', 'a', 't', 'a', 0, 0, 0, 2};
    struct raft_buffer buf;
    struct raft_buffer small = {"tiny", 4};
    struct fx_loaded l;
    SETUP();
    log_to(3);
    buf.len = big;
    buf.base = malloc(big);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf.base);
    for (size_t i = 0; i < big; i++)
        ((unsigned char *)buf.base)[i] = (unsigned char)(i * 131 + 7);
    CU_ASSERT_EQUAL(snap_put(3, 1, 1, &buf, 1), 0);
    CU_ASSERT(key_exists(k2, sizeof k2));
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL_FATAL(l.snap->bufs[0].len, big);
    CU_ASSERT(memcmp(l.snap->bufs[0].base, buf.base, big) == 0);
    CU_ASSERT_EQUAL(l.start, 3);
    CU_ASSERT_EQUAL(l.n, 2);
    fx_loaded_free(&l);
    free(buf.base);
    /* a smaller snapshot removes the stale chunks */
    CU_ASSERT_EQUAL(snap_put(4, 1, 10, &small, 1), 0);
    CU_ASSERT(!key_exists(k2, sizeof k2));
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL(l.snap->bufs[0].len, 4);
    CU_ASSERT_EQUAL(l.start, 3); /* trailing 10 > index: nothing deleted */
    CU_ASSERT_EQUAL(l.n, 2);
    fx_loaded_free(&l);
    fx_teardown(&F);
}

/* Is log entry `index` stored? */
static int log_has(raft_index index)
{
    uint8_t k[9] = {SKV_PFX_RAFT_LOG};
    for (int i = 8; i >= 1; i--, index >>= 8)
        k[i] = (uint8_t)index;
    return key_exists(k, sizeof k);
}

/* Append n more entries of `term` after the last one, and wait. */
static void append_more(unsigned n, raft_term term)
{
    memset(&A, 0, sizeof A);
    for (unsigned k = 0; k < n; k += 8)
        CU_ASSERT_EQUAL_FATAL(app_submit((int)(k / 8), n - k < 8 ? n - k : 8, term), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &A.done, (int)((n + 7) / 8), 5000));
}

static int log_holds_range(raft_index from, raft_index to, int want)
{
    for (raft_index i = from; i <= to; i++)
        if (log_has(i) != want)
            return 0;
    return 1;
}

/* Each snapshot looks up the entries it drops from the lowest index the
 * previous ones left (the log floor), not from 0: every entry the log
 * holds below index - trailing is still dropped, after a compaction,
 * after an install that emptied the log and after appends past it. */
static void test_snapshot_floor(void)
{
    struct raft_buffer buf = {"s", 1};
    struct fx_loaded l;
    SETUP();
    log_to(9); /* 1..10 */
    CU_ASSERT_EQUAL(snap_put(8, 1, 3, &buf, 1), 0);
    CU_ASSERT(log_holds_range(1, 5, 0) && log_holds_range(6, 10, 1));
    append_more(10, 1); /* 11..20 */
    CU_ASSERT_EQUAL(snap_put(18, 1, 3, &buf, 1), 0);
    CU_ASSERT(log_holds_range(1, 15, 0) && log_holds_range(16, 20, 1));
    CU_ASSERT_EQUAL(snap_put(25, 2, 0, &buf, 1), 0); /* an install: no entry left */
    CU_ASSERT(log_holds_range(1, 25, 0));
    append_more(15, 2); /* 26..40 */
    CU_ASSERT(log_holds_range(26, 40, 1));
    CU_ASSERT_EQUAL(snap_put(38, 2, 3, &buf, 1), 0);
    CU_ASSERT(log_holds_range(1, 35, 0) && log_holds_range(36, 40, 1));
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL(l.start, 36);
    CU_ASSERT_EQUAL(l.n, 5);
    fx_loaded_free(&l);
    /* a new io knows no floor: its first snapshot looks from 0 */
    append_more(5, 2); /* 41..45 */
    CU_ASSERT_EQUAL(snap_put(44, 2, 2, &buf, 1), 0);
    CU_ASSERT(log_holds_range(1, 42, 0) && log_holds_range(43, 45, 1));
    fx_teardown(&F);
}

/* ---- bootstrap / recover ------------------------------------------------------ */

static void test_bootstrap(void)
{
    struct raft_configuration c, conf;
    struct fx_loaded l;
    char why[128];
    SETUP();
    fx_conf(&c, 3);
    CU_ASSERT_EQUAL(F.io.bootstrap(&F.io, &c), 0);
    CU_ASSERT_EQUAL(F.io.bootstrap(&F.io, &c), RAFT_CANTBOOTSTRAP);
    CU_ASSERT_PTR_NOT_NULL(strstr(F.io.errmsg, "term"));
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    CU_ASSERT_EQUAL(F.io.bootstrap(&F.io, &c), RAFT_CANTBOOTSTRAP);
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL(l.term, 1);
    CU_ASSERT_EQUAL(l.vote, 0);
    CU_ASSERT_EQUAL_FATAL(l.n, 1);
    CU_ASSERT_EQUAL(l.entries[0].term, 1);
    CU_ASSERT_EQUAL(l.entries[0].type, RAFT_CHANGE);
    CU_ASSERT_EQUAL_FATAL(skv_raft_conf_decode(l.entries[0].buf.base,
                                               l.entries[0].buf.len, &conf,
                                               why, sizeof why), 0);
    CU_ASSERT_EQUAL(conf.n, 3);
    raft_configuration_close(&conf);
    fx_loaded_free(&l);
    /* an empty configuration is refused, not asserted on */
    raft_configuration_close(&c);
    raft_configuration_init(&c);
    CU_ASSERT_EQUAL(F.io.recover(&F.io, &c), RAFT_INVALID);
    fx_teardown(&F);
}

static void test_bootstrap_refused_with_state(void)
{
    struct raft_configuration c;
    struct raft_buffer buf = {"x", 1};
    SETUP();
    fx_conf(&c, 1);
    CU_ASSERT_EQUAL(F.io.set_vote(&F.io, 2), 0); /* a vote alone is state */
    CU_ASSERT_EQUAL(F.io.bootstrap(&F.io, &c), RAFT_CANTBOOTSTRAP);
    fx_teardown(&F);
    SETUP();
    CU_ASSERT_EQUAL(snap_put(5, 2, 0, &buf, 1), 0); /* a snapshot alone too */
    CU_ASSERT_EQUAL(F.io.bootstrap(&F.io, &c), RAFT_CANTBOOTSTRAP);
    CU_ASSERT_PTR_NOT_NULL(strstr(F.io.errmsg, "snapshot"));
    raft_configuration_close(&c);
    fx_teardown(&F);
}

static void test_recover(void)
{
    struct raft_configuration c, conf;
    struct fx_loaded l;
    char why[128];
    SETUP();
    memset(&A, 0, sizeof A);
    bootstrap1();
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    fx_loaded_free(&l);
    CU_ASSERT_EQUAL(F.io.set_term(&F.io, 4), 0);
    CU_ASSERT_EQUAL(app_submit(0, 2, 4), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &A.done, 1, 5000));
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    fx_conf(&c, 2);
    CU_ASSERT_EQUAL(F.io.recover(&F.io, &c), 0);
    raft_configuration_close(&c);
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL_FATAL(l.n, 4);
    CU_ASSERT_EQUAL(l.entries[3].type, RAFT_CHANGE);
    CU_ASSERT_EQUAL(l.entries[3].term, 4); /* terms stay non-decreasing */
    CU_ASSERT_EQUAL_FATAL(skv_raft_conf_decode(l.entries[3].buf.base,
                                               l.entries[3].buf.len, &conf,
                                               why, sizeof why), 0);
    CU_ASSERT_EQUAL(conf.n, 2);
    raft_configuration_close(&conf);
    fx_loaded_free(&l);
    fx_teardown(&F);
}

/* ---- corruption ------------------------------------------------------------- */

static void log_key(unsigned char k[9], uint64_t index)
{
    k[0] = SKV_PFX_RAFT_LOG;
    for (int i = 0; i < 8; i++)
        k[1 + i] = (unsigned char)(index >> (8 * (7 - i)));
}

/* Read key, let `mutate` change the bytes (and length), write it back. */
static void tamper(const void *k, size_t kl, void (*mutate)(unsigned char *, size_t *))
{
    struct skv_err e = {0};
    struct skv_batch_op op = {SKV_BATCH_PUT, 0, k, kl, NULL, 0};
    unsigned char copy[256];
    void *v = NULL;
    size_t vl = 0;
    CU_ASSERT_EQUAL_FATAL(fx_real->get(F.db, NULL, k, kl, &v, &vl, &e), SKV_OK);
    CU_ASSERT_FATAL(vl <= sizeof copy);
    memcpy(copy, v, vl);
    fx_real->free_buf(F.db, v);
    mutate(copy, &vl);
    op.val = copy;
    op.val_len = vl;
    CU_ASSERT_EQUAL_FATAL(fx_real->write(F.db, &op, 1, 1, &e), SKV_OK);
}

static void flip_last(unsigned char *p, size_t *len) { p[*len - 1] ^= 0x40; }
static void cut_short(unsigned char *p, size_t *len) { (void)p; *len = 7; }
static void bad_type(unsigned char *p, size_t *len) { (void)len; p[1] = 9; }

static void expect_corrupt(const char *needle)
{
    struct fx_loaded l;
    CU_ASSERT_EQUAL(fx_load(&F, &l), RAFT_CORRUPT);
    CU_ASSERT_PTR_NULL(l.entries);
    CU_ASSERT_PTR_NULL(l.snap);
    if (!strstr(F.io.errmsg, needle))
        fprintf(stderr, "errmsg '%s' lacks '%s'\n", F.io.errmsg, needle);
    CU_ASSERT_PTR_NOT_NULL(strstr(F.io.errmsg, needle));
}

static void test_corrupt_records(void)
{
    unsigned char k[9];
    struct skv_err e = {0};
    struct skv_batch_op del = {SKV_BATCH_DEL, 0, k, sizeof k, NULL, 0};
    struct raft_buffer buf = {"s", 1};
    SETUP();
    log_to(4); /* entries 1..5 */
    log_key(k, 3);
    tamper(k, sizeof k, flip_last);
    expect_corrupt("log entry 3: checksum");
    tamper(k, sizeof k, flip_last); /* undo */
    tamper(k, sizeof k, cut_short);
    expect_corrupt("truncated");
    fx_teardown(&F);

    SETUP();
    log_to(4);
    log_key(k, 2);
    tamper(k, sizeof k, bad_type); /* CRC catches it first */
    expect_corrupt("log entry 2");
    CU_ASSERT_EQUAL(fx_real->write(F.db, &del, 1, 1, &e), SKV_OK);
    expect_corrupt("missing"); /* gap at 2 */
    fx_teardown(&F);

    SETUP();
    log_to(2);
    tamper("\x01hard", 5, flip_last);
    expect_corrupt("hard state");
    fx_teardown(&F);

    SETUP();
    log_to(2);
    CU_ASSERT_EQUAL(snap_put(2, 1, 1, &buf, 1), 0);
    tamper("\x03meta", 5, flip_last);
    expect_corrupt("snapshot metadata");
    fx_teardown(&F);

    SETUP();
    log_to(2);
    CU_ASSERT_EQUAL(snap_put(2, 1, 1, &buf, 1), 0);
    tamper("\x03" "data\0\0\0\0", 9, flip_last);
    expect_corrupt("checksum");
    fx_teardown(&F);

    SETUP(); /* entries without entry 1 and without a snapshot */
    log_to(3);
    log_key(k, 1);
    CU_ASSERT_EQUAL(fx_real->write(F.db, &del, 1, 1, &e), SKV_OK);
    expect_corrupt("no snapshot");
    fx_teardown(&F);
}

/* ---- write errors ----------------------------------------------------------- */

static void test_write_error_sticky(void)
{
    struct fx_loaded l;
    SETUP();
    bootstrap1();
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    fx_loaded_free(&l);
    memset(&A, 0, sizeof A);
    atomic_store(&fx_fail_writes, 1);
    CU_ASSERT_EQUAL(F.io.set_term(&F.io, 9), RAFT_IOERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(F.io.errmsg, "disk on fire"));
    CU_ASSERT_EQUAL(app_submit(0, 1, 1), 0);
    CU_ASSERT_FATAL(fx_wait(&F, &A.done, 1, 5000));
    CU_ASSERT_EQUAL(A.status[0], RAFT_IOERR); /* set_term's failure is sticky */
    CU_ASSERT_PTR_NOT_NULL(strstr(F.io.errmsg, "earlier raft"));
    atomic_store(&fx_fail_writes, 0);
    CU_ASSERT_EQUAL(app_submit(1, 1, 1), 0); /* fail closed: still refused */
    CU_ASSERT_FATAL(fx_wait(&F, &A.done, 2, 5000));
    CU_ASSERT_EQUAL(A.status[1], RAFT_IOERR);
    /* a failed set_term halts the node (env.fatal once) and stays failed:
     * no term or vote is acted on that may not be durable */
    CU_ASSERT_EQUAL(atomic_load(&fx_fatals), 1);
    CU_ASSERT_EQUAL(F.io.set_term(&F.io, 9), RAFT_IOERR);
    CU_ASSERT_EQUAL(F.io.set_vote(&F.io, 1), RAFT_IOERR);
    CU_ASSERT_PTR_NOT_NULL(strstr(F.io.errmsg, "earlier raft write failed"));
    CU_ASSERT_EQUAL(atomic_load(&fx_fatals), 1);
    fx_teardown(&F);
}

/* set_vote failing on its own halts too; the stored vote is unchanged. */
static void test_set_vote_error_halts(void)
{
    struct fx_loaded l;
    SETUP();
    bootstrap1();
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    fx_loaded_free(&l);
    CU_ASSERT_EQUAL(F.io.set_term(&F.io, 4), 0);
    CU_ASSERT_EQUAL(atomic_load(&fx_fatals), 0);
    atomic_store(&fx_fail_writes, 1);
    CU_ASSERT_EQUAL(F.io.set_vote(&F.io, 2), RAFT_IOERR);
    CU_ASSERT_EQUAL(atomic_load(&fx_fatals), 1);
    atomic_store(&fx_fail_writes, 0);
    CU_ASSERT_EQUAL(F.io.set_vote(&F.io, 3), RAFT_IOERR); /* sticky */
    CU_ASSERT_EQUAL(atomic_load(&fx_fatals), 1);
    CU_ASSERT_EQUAL_FATAL(fx_reopen(&F), 0);
    CU_ASSERT_EQUAL_FATAL(fx_load(&F, &l), 0);
    CU_ASSERT_EQUAL(l.term, 4);
    CU_ASSERT_EQUAL(l.vote, 0);
    fx_loaded_free(&l);
    fx_teardown(&F);
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("raft_io storage", suite_init, suite_clean);
    if (!s ||
        !CU_add_test(s, "crc32 and configuration codec", test_crc_and_conf_codec) ||
        !CU_add_test(s, "load on an empty store", test_load_empty) ||
        !CU_add_test(s, "term and vote are durable", test_hard_state_durable) ||
        !CU_add_test(s, "appends in one turn are one synced batch", test_append_group_commit) ||
        !CU_add_test(s, "the next batch is written before the callbacks",
                     test_append_next_before_callbacks) ||
        !CU_add_test(s, "truncate is ordered with appends", test_truncate_ordering) ||
        !CU_add_test(s, "snapshot keeps exactly the trailing entries", test_snapshot_trailing) ||
        !CU_add_test(s, "installed snapshot replaces the log", test_snapshot_install_replaces_log) ||
        !CU_add_test(s, "large snapshots are chunked", test_snapshot_chunks) ||
        !CU_add_test(s, "stale entries below a snapshot", test_snapshot_stale_entries) ||
        !CU_add_test(s, "snapshots drop entries from the log floor", test_snapshot_floor) ||
        !CU_add_test(s, "bootstrap once", test_bootstrap) ||
        !CU_add_test(s, "bootstrap refused with any state", test_bootstrap_refused_with_state) ||
        !CU_add_test(s, "recover appends a configuration", test_recover) ||
        !CU_add_test(s, "corrupt records fail load cleanly", test_corrupt_records) ||
        !CU_add_test(s, "a failed log write is sticky", test_write_error_sticky) ||
        !CU_add_test(s, "a failed set_vote halts", test_set_vote_error_halts)) {
        CU_cleanup_registry();
        return 99;
    }
    return skv_test_run();
}
