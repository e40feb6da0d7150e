/* SPDX-License-Identifier: MIT */
/*
 * test_wire.c — CUnit suite for core/wire/wire.c: round trips of every C-Raft
 * message and control frame, ownership of decoded raft messages (freed the
 * way raft frees them), and robustness against truncated, corrupted,
 * oversized and random input. raft's heap is replaced by a counting one so
 * every test can assert that nothing raft-owned leaks or is over-allocated.
 */
#include "skv_test.h"
#include "wire/wire.h"

/* Raft frames: header, then the sender address as [u32 len][bytes] (empty
 * in these samples), then the raft message. */
#define RAFT_MSG_AT (SKV_WIRE_HDR_LEN + 4)

#include <raft.h>
#include <stdint.h>

/* ---- counting raft heap (with optional failure injection) ---------- */

struct cheap {
    long live;        /* outstanding allocations */
    size_t largest;   /* largest single request */
    long calls;       /* allocation calls so far */
    long fail_at;     /* fail the call with this number (1-based), 0 never */
};
static struct cheap H;

static int cheap_fail(size_t size)
{
    H.calls++;
    if (size > H.largest)
        H.largest = size;
    return H.fail_at && H.calls == H.fail_at;
}
static void *h_malloc(void *d, size_t n)
{
    void *p;
    (void)d;
    if (cheap_fail(n) || !(p = malloc(n)))
        return NULL;
    H.live++;
    return p;
}
static void h_free(void *d, void *p)
{
    (void)d;
    if (p)
        H.live--;
    free(p);
}
static void *h_calloc(void *d, size_t n, size_t s)
{
    void *p;
    (void)d;
    if (cheap_fail(s && n > SIZE_MAX / s ? SIZE_MAX : n * s) ||
        !(p = calloc(n, s)))
        return NULL;
    H.live++;
    return p;
}
static void *h_realloc(void *d, void *p, size_t n)
{
    void *q;
    (void)d;
    if (cheap_fail(n) || !(q = realloc(p, n)))
        return NULL;
    if (!p)
        H.live++;
    return q;
}
static void *h_aligned(void *d, size_t a, size_t n)
{
    void *p;
    (void)d;
    if (cheap_fail(n) || !(p = aligned_alloc(a, n)))
        return NULL;
    H.live++;
    return p;
}
static void h_afree(void *d, size_t a, void *p)
{
    (void)a;
    h_free(d, p);
}
static struct raft_heap HEAP = {NULL, h_malloc, h_free, h_calloc,
                                h_realloc, h_aligned, h_afree};

static void heap_reset(void)
{
    H.largest = 0;
    H.calls = 0;
    H.fail_at = 0;
}

/* ---- helpers ------------------------------------------------------- */

/* Free a decoded message exactly the way raft 0.15 does after recv:
 * entryBatchesDestroy (each distinct batch, then the array) for append
 * entries; raft_configuration_close + raft_free(data) for snapshots. */
static void raft_style_free(struct raft_message *m)
{
    if (m->type == RAFT_IO_APPEND_ENTRIES && m->append_entries.entries) {
        void *batch = NULL;
        for (unsigned i = 0; i < m->append_entries.n_entries; i++) {
            CU_ASSERT_PTR_NOT_NULL(m->append_entries.entries[i].batch);
            if (m->append_entries.entries[i].batch != batch) {
                batch = m->append_entries.entries[i].batch;
                raft_free(batch);
            }
        }
        raft_free(m->append_entries.entries);
    } else if (m->type == RAFT_IO_INSTALL_SNAPSHOT) {
        raft_configuration_close(&m->install_snapshot.conf);
        raft_free(m->install_snapshot.data.base);
    }
}

/* Encode m from node 7, decode it back into f (caller frees). */
static void raft_roundtrip(const struct raft_message *m, struct skv_frame *f,
                           struct skv_buf *wb)
{
    char err[256] = "";
    int rc = skv_wire_encode_raft(wb, 7, m, err, sizeof err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    rc = skv_wire_decode(wb->p, wb->len, f, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "decode: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(f->type, SKV_FRAME_RAFT);
    CU_ASSERT_EQUAL(f->from_id, 7);
    CU_ASSERT_EQUAL(f->u.raft.type, m->type);
    CU_ASSERT_EQUAL(f->u.raft.server_id, 7);
}

static int slice_eq(struct skv_slice a, const char *s)
{
    return a.len == strlen(s) && (a.len == 0 || memcmp(a.p, s, a.len) == 0);
}

static struct skv_slice S(const char *s)
{
    struct skv_slice x = {(const uint8_t *)s, strlen(s)};
    return x;
}

static void set_body_len(uint8_t *p, uint32_t n)
{
    for (int i = 0; i < 4; i++)
        p[4 + i] = (uint8_t)(n >> (8 * i));
}

static int decode_fails(const void *p, size_t n)
{
    struct skv_frame f;
    char err[256] = "";
    int rc = skv_wire_decode(p, n, &f, err, sizeof err);
    if (rc == 0) {
        if (f.type == SKV_FRAME_RAFT)
            raft_style_free(&f.u.raft);
        return 0;
    }
    return err[0] != '\0'; /* failure must come with a message */
}

/* ---- sample messages ---------------------------------------------- */

#define N_MANY 40
static uint8_t PAYLOAD[N_MANY][300];
static struct raft_entry ENTRIES[N_MANY];

static void fill_entries(void)
{
    for (unsigned i = 0; i < N_MANY; i++) {
        size_t len = (i * 37u) % 300u;
        if (i % 7 == 0)
            len = 0; /* empty payloads mixed in */
        for (size_t k = 0; k < len; k++)
            PAYLOAD[i][k] = (uint8_t)(i * 31 + k);
        ENTRIES[i].term = 1000 + i;
        ENTRIES[i].type = i % 3 == 0 ? RAFT_COMMAND
                          : i % 3 == 1 ? RAFT_BARRIER : RAFT_CHANGE;
        ENTRIES[i].buf.base = len ? PAYLOAD[i] : NULL;
        ENTRIES[i].buf.len = len;
        ENTRIES[i].batch = NULL;
    }
}

static void sample_append(struct raft_message *m, unsigned n)
{
    memset(m, 0, sizeof *m);
    m->type = RAFT_IO_APPEND_ENTRIES;
    m->server_id = 2;
    m->server_address = "127.0.0.1:1";
    m->append_entries.term = 2000;  /* entry terms are 1000..1039 */
    m->append_entries.prev_log_index = SKV_WIRE_MAX_INDEX - N_MANY;
    m->append_entries.prev_log_term = 1000;
    m->append_entries.leader_commit = 77;
    m->append_entries.entries = n ? ENTRIES : NULL;
    m->append_entries.n_entries = n;
}

static uint8_t SNAPDATA[1500];

static void sample_snapshot(struct raft_message *m,
                            struct raft_configuration *c)
{
    raft_configuration_init(c);
    CU_ASSERT_EQUAL(raft_configuration_add(c, 1, "10.0.0.1:7101",
                                           RAFT_VOTER), 0);
    CU_ASSERT_EQUAL(raft_configuration_add(c, 2, "10.0.0.2:7101",
                                           RAFT_VOTER), 0);
    CU_ASSERT_EQUAL(raft_configuration_add(c, 3, "host-three:7101",
                                           RAFT_STANDBY), 0);
    CU_ASSERT_EQUAL(raft_configuration_add(c, 0xFFFFFFFFFFFFull, "",
                                           RAFT_SPARE), 0);
    for (size_t i = 0; i < sizeof SNAPDATA; i++)
        SNAPDATA[i] = (uint8_t)(i ^ 0x5a);
    memset(m, 0, sizeof *m);
    m->type = RAFT_IO_INSTALL_SNAPSHOT;
    m->install_snapshot.term = 4;
    m->install_snapshot.last_index = 1234;
    m->install_snapshot.last_term = 3;
    m->install_snapshot.conf = *c;
    m->install_snapshot.conf_index = 1200;
    m->install_snapshot.data.base = SNAPDATA;
    m->install_snapshot.data.len = sizeof SNAPDATA;
}

/* ---- round trips: raft --------------------------------------------- */

static void test_request_vote(void)
{
    struct skv_buf wb = {0};
    for (int flags = 0; flags < 4; flags++) {
        struct raft_message m = {0};
        struct skv_frame f;
        m.type = RAFT_IO_REQUEST_VOTE;
        m.request_vote.term = 5 + flags;
        m.request_vote.candidate_id = 7; /* the sender (raft_roundtrip) */
        m.request_vote.last_log_index = SKV_WIRE_MAX_INDEX;
        m.request_vote.last_log_term = 4;
        m.request_vote.disrupt_leader = flags & 1;
        m.request_vote.pre_vote = (flags & 2) != 0;
        wb.len = 0;
        raft_roundtrip(&m, &f, &wb);
        CU_ASSERT_EQUAL(f.u.raft.request_vote.term, 5 + flags);
        CU_ASSERT_EQUAL(f.u.raft.request_vote.candidate_id, 7);
        CU_ASSERT_EQUAL(f.u.raft.request_vote.last_log_index,
                        SKV_WIRE_MAX_INDEX);
        CU_ASSERT_EQUAL(f.u.raft.request_vote.last_log_term, 4);
        CU_ASSERT_EQUAL(f.u.raft.request_vote.disrupt_leader, (flags & 1) != 0);
        CU_ASSERT_EQUAL(f.u.raft.request_vote.pre_vote, (flags & 2) != 0);
    }
    skv_buf_free(&wb);
}

static void test_request_vote_result(void)
{
    struct skv_buf wb = {0};
    raft_tribool tb[3] = {raft_tribool_unknown, raft_tribool_true,
                          raft_tribool_false};
    for (int i = 0; i < 6; i++) {
        struct raft_message m = {0};
        struct skv_frame f;
        m.type = RAFT_IO_REQUEST_VOTE_RESULT;
        m.request_vote_result.term = 100 + i;
        m.request_vote_result.vote_granted = i & 1;
        m.request_vote_result.pre_vote = tb[i / 2];
        wb.len = 0;
        raft_roundtrip(&m, &f, &wb);
        CU_ASSERT_EQUAL(f.u.raft.request_vote_result.term, 100 + i);
        CU_ASSERT_EQUAL(f.u.raft.request_vote_result.vote_granted,
                        (i & 1) != 0);
        CU_ASSERT_EQUAL(f.u.raft.request_vote_result.pre_vote, tb[i / 2]);
    }
    skv_buf_free(&wb);
}

static void test_small_raft_messages(void)
{
    struct skv_buf wb = {0};
    struct raft_message m = {0};
    struct skv_frame f;
    m.type = RAFT_IO_APPEND_ENTRIES_RESULT;
    m.append_entries_result.term = 11;
    m.append_entries_result.rejected = 12;
    m.append_entries_result.last_log_index = 13;
    raft_roundtrip(&m, &f, &wb);
    CU_ASSERT_EQUAL(f.u.raft.append_entries_result.term, 11);
    CU_ASSERT_EQUAL(f.u.raft.append_entries_result.rejected, 12);
    CU_ASSERT_EQUAL(f.u.raft.append_entries_result.last_log_index, 13);

    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_TIMEOUT_NOW;
    m.timeout_now.term = 21;
    m.timeout_now.last_log_index = 22;
    m.timeout_now.last_log_term = 20;
    wb.len = 0;
    raft_roundtrip(&m, &f, &wb);
    CU_ASSERT_EQUAL(f.u.raft.timeout_now.term, 21);
    CU_ASSERT_EQUAL(f.u.raft.timeout_now.last_log_index, 22);
    CU_ASSERT_EQUAL(f.u.raft.timeout_now.last_log_term, 20);
    skv_buf_free(&wb);
}

static void check_entries(const struct raft_append_entries *got, unsigned n)
{
    CU_ASSERT_EQUAL_FATAL(got->n_entries, n);
    if (n == 0) {
        CU_ASSERT_PTR_NULL(got->entries);
        return;
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(got->entries);
    for (unsigned i = 0; i < n; i++) {
        const struct raft_entry *e = &got->entries[i];
        CU_ASSERT_EQUAL(e->term, ENTRIES[i].term);
        CU_ASSERT_EQUAL(e->type, ENTRIES[i].type);
        CU_ASSERT_EQUAL_FATAL(e->buf.len, ENTRIES[i].buf.len);
        CU_ASSERT_PTR_NOT_NULL(e->batch);
        CU_ASSERT_PTR_EQUAL(e->batch, got->entries[0].batch);
        if (e->buf.len) {
            CU_ASSERT(memcmp(e->buf.base, PAYLOAD[i], e->buf.len) == 0);
            CU_ASSERT((uint8_t *)e->buf.base >= (uint8_t *)e->batch);
        }
    }
}

static void test_append_entries(void)
{
    unsigned counts[] = {0, 1, 2, N_MANY};
    struct skv_buf wb = {0};
    fill_entries();
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        struct raft_message m;
        struct skv_frame f;
        long live0 = H.live;
        sample_append(&m, counts[c]);
        wb.len = 0;
        raft_roundtrip(&m, &f, &wb);
        CU_ASSERT_EQUAL(f.u.raft.append_entries.term, 2000);
        CU_ASSERT_EQUAL(f.u.raft.append_entries.prev_log_index,
                        SKV_WIRE_MAX_INDEX - N_MANY);
        CU_ASSERT_EQUAL(f.u.raft.append_entries.prev_log_term, 1000);
        CU_ASSERT_EQUAL(f.u.raft.append_entries.leader_commit, 77);
        CU_ASSERT_PTR_NULL(f.u.raft.server_address);
        check_entries(&f.u.raft.append_entries, counts[c]);
        raft_style_free(&f.u.raft);
        CU_ASSERT_EQUAL(H.live, live0);
    }
    skv_buf_free(&wb);
}

/* One entry with an empty payload (the index-0 sample): still a batch. */
static void test_append_entries_only_empty(void)
{
    struct raft_message m;
    struct skv_frame f;
    struct skv_buf wb = {0};
    fill_entries();
    sample_append(&m, 1);
    CU_ASSERT_EQUAL(ENTRIES[0].buf.len, 0);
    raft_roundtrip(&m, &f, &wb);
    CU_ASSERT_EQUAL(f.u.raft.append_entries.entries[0].buf.len, 0);
    CU_ASSERT_PTR_NOT_NULL(f.u.raft.append_entries.entries[0].batch);
    skv_wire_raft_message_free(&f.u.raft); /* the codec's own free */
    CU_ASSERT_PTR_NULL(f.u.raft.append_entries.entries);
    CU_ASSERT_EQUAL(H.live, 0);
    skv_buf_free(&wb);
}

/* The sender's raft address travels with every raft frame (a joining
 * node has no configuration to find it in); bad addresses are refused. */
static void test_sender_address(void)
{
    struct raft_message m;
    struct skv_frame f;
    struct skv_buf wb = {0};
    char err[256], longaddr[SKV_WIRE_MAX_ADDRESS + 2];
    heap_reset();
    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_TIMEOUT_NOW;
    m.timeout_now.term = 7;
    CU_ASSERT_EQUAL_FATAL(skv_wire_encode_raft_from(&wb, 3, "127.0.0.1:7103", &m,
                                                    err, sizeof err), 0);
    CU_ASSERT_EQUAL_FATAL(skv_wire_decode(wb.p, wb.len, &f, err, sizeof err), 0);
    CU_ASSERT_EQUAL(f.raft_from.len, strlen("127.0.0.1:7103"));
    CU_ASSERT_EQUAL(memcmp(f.raft_from.p, "127.0.0.1:7103", f.raft_from.len), 0);
    CU_ASSERT_EQUAL(f.u.raft.timeout_now.term, 7);
    wb.p[RAFT_MSG_AT + 3] = 0; /* NUL inside the address */
    CU_ASSERT_EQUAL(skv_wire_decode(wb.p, wb.len, &f, err, sizeof err), -1);
    CU_ASSERT(strstr(err, "sender address") != NULL);
    skv_buf_free(&wb);
    memset(longaddr, 'a', sizeof longaddr - 1);
    longaddr[sizeof longaddr - 1] = 0;
    CU_ASSERT_EQUAL(skv_wire_encode_raft_from(&wb, 3, longaddr, &m, err, sizeof err), -1);
    CU_ASSERT_EQUAL(wb.len, 0);
    skv_buf_free(&wb);
    CU_ASSERT_EQUAL(H.live, 0);
}

static void test_install_snapshot(void)
{
    struct raft_configuration c;
    struct raft_message m;
    struct skv_frame f;
    struct skv_buf wb = {0};
    const struct raft_install_snapshot *is = &f.u.raft.install_snapshot;
    sample_snapshot(&m, &c);
    raft_roundtrip(&m, &f, &wb);
    CU_ASSERT_EQUAL(is->term, 4);
    CU_ASSERT_EQUAL(is->last_index, 1234);
    CU_ASSERT_EQUAL(is->last_term, 3);
    CU_ASSERT_EQUAL(is->conf_index, 1200);
    CU_ASSERT_EQUAL_FATAL(is->conf.n, c.n);
    for (unsigned i = 0; i < c.n; i++) {
        CU_ASSERT_EQUAL(is->conf.servers[i].id, c.servers[i].id);
        CU_ASSERT_EQUAL(is->conf.servers[i].role, c.servers[i].role);
        CU_ASSERT_STRING_EQUAL(is->conf.servers[i].address,
                               c.servers[i].address);
    }
    CU_ASSERT_EQUAL_FATAL(is->data.len, sizeof SNAPDATA);
    CU_ASSERT(memcmp(is->data.base, SNAPDATA, sizeof SNAPDATA) == 0);
    raft_style_free(&f.u.raft);

    /* empty data */
    m.install_snapshot.data.len = 0;
    m.install_snapshot.data.base = NULL;
    wb.len = 0;
    raft_roundtrip(&m, &f, &wb);
    CU_ASSERT_EQUAL(is->conf.n, c.n);
    CU_ASSERT_EQUAL(is->data.len, 0);
    CU_ASSERT_PTR_NOT_NULL(is->data.base);
    raft_style_free(&f.u.raft);

    /* an empty configuration encodes but is refused at decode */
    m.install_snapshot.conf.n = 0;
    m.install_snapshot.conf.servers = NULL;
    wb.len = 0;
    CU_ASSERT_EQUAL_FATAL(skv_wire_encode_raft(&wb, 7, &m, NULL, 0), 0);
    CU_ASSERT_TRUE(decode_fails(wb.p, wb.len));
    raft_configuration_close(&c);
    CU_ASSERT_EQUAL(H.live, 0);
    skv_buf_free(&wb);
}

static void test_encode_raft_errors(void)
{
    struct skv_buf wb = {0};
    struct raft_message m = {0};
    struct raft_configuration c;
    char err[256];
    fill_entries();
    CU_ASSERT_EQUAL(skv_wire_encode_raft(&wb, 1, NULL, err, sizeof err), -1);
    m.type = 0;
    CU_ASSERT_EQUAL(skv_wire_encode_raft(&wb, 1, &m, err, sizeof err), -1);
    m.type = 7;
    CU_ASSERT_EQUAL(skv_wire_encode_raft(&wb, 1, &m, err, sizeof err), -1);
    m.type = RAFT_IO_TIMEOUT_NOW;
    err[0] = 0;
    CU_ASSERT_EQUAL(skv_wire_encode_raft(&wb, 0, &m, err, sizeof err), -1);
    CU_ASSERT(strstr(err, "from_id") != NULL);
    sample_append(&m, 3);
    ENTRIES[1].type = 9;
    CU_ASSERT_EQUAL(skv_wire_encode_raft(&wb, 1, &m, err, sizeof err), -1);
    ENTRIES[1].type = RAFT_BARRIER;
    m.append_entries.entries = NULL;
    CU_ASSERT_EQUAL(skv_wire_encode_raft(&wb, 1, &m, err, sizeof err), -1);
    sample_snapshot(&m, &c);
    c.servers[2].role = 5;
    m.install_snapshot.conf = c;
    CU_ASSERT_EQUAL(skv_wire_encode_raft(&wb, 1, &m, err, sizeof err), -1);
    c.servers[2].role = RAFT_STANDBY;
    CU_ASSERT_EQUAL(wb.len, 0); /* failed encodes leave nothing behind */
    raft_configuration_close(&c);
    skv_buf_free(&wb);
}

/* ---- round trips: control frames ---------------------------------- */

static void decode_ok(struct skv_buf *wb, size_t off, size_t len,
                      struct skv_frame *f, uint8_t type)
{
    char err[256] = "";
    int rc = skv_wire_decode(wb->p + off, len, f, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "decode: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(f->type, type);
    CU_ASSERT_EQUAL(f->from_id, 0x0102030405060708ull);
}

static void test_control_frames(void)
{
    const uint64_t from = 0x0102030405060708ull;
    struct skv_buf wb = {0};
    struct skv_frame f;
    size_t o1, o2, o3, o4, o5;
    uint8_t bin[5] = {0, 1, 0, 255, 0};
    struct skv_fwd_propose p = {42, 1, {bin, sizeof bin}};
    struct skv_fwd_propose_resp pr = {43, -7, 99, 3, S("ErrNotLeader"),
                                      S("")};
    struct skv_fwd_admin a = {44, 0x80000001u, S("put"), S("k"),
                              {bin, sizeof bin}, S("{\"a\":1}")};
    struct skv_fwd_admin_resp ar = {45, -1, 503, 7, S("E"), S("busy"),
                                    S("{}"), S("")};
    struct skv_ctl_simple c = {46, -2, UINT64_MAX, S("{\"caps\":[]}")};

    /* all frames appended to one buffer, then decoded one by one */
    CU_ASSERT_EQUAL(skv_wire_encode_propose(&wb, from, &p), 0);
    o1 = wb.len;
    CU_ASSERT_EQUAL(skv_wire_encode_propose_resp(&wb, from, &pr), 0);
    o2 = wb.len;
    CU_ASSERT_EQUAL(skv_wire_encode_admin(&wb, from, &a), 0);
    o3 = wb.len;
    CU_ASSERT_EQUAL(skv_wire_encode_admin_resp(&wb, from, &ar), 0);
    o4 = wb.len;
    CU_ASSERT_EQUAL(skv_wire_encode_ctl(&wb, from, SKV_FRAME_CAP_RESP, &c), 0);
    o5 = wb.len;

    decode_ok(&wb, 0, o1, &f, SKV_FRAME_PROPOSE_REQ);
    CU_ASSERT_EQUAL(f.u.propose.req_id, 42);
    CU_ASSERT_EQUAL(f.u.propose.source, 1);
    CU_ASSERT_EQUAL_FATAL(f.u.propose.payload.len, sizeof bin);
    CU_ASSERT(memcmp(f.u.propose.payload.p, bin, sizeof bin) == 0);

    decode_ok(&wb, o1, o2 - o1, &f, SKV_FRAME_PROPOSE_RESP);
    CU_ASSERT_EQUAL(f.u.propose_resp.req_id, 43);
    CU_ASSERT_EQUAL(f.u.propose_resp.rc, -7);
    CU_ASSERT_EQUAL(f.u.propose_resp.index, 99);
    CU_ASSERT_EQUAL(f.u.propose_resp.leader_id, 3);
    CU_ASSERT(slice_eq(f.u.propose_resp.error, "ErrNotLeader"));
    CU_ASSERT(slice_eq(f.u.propose_resp.message, ""));

    decode_ok(&wb, o2, o3 - o2, &f, SKV_FRAME_ADMIN_REQ);
    CU_ASSERT_EQUAL(f.u.admin.req_id, 44);
    CU_ASSERT_EQUAL(f.u.admin.flags, 0x80000001u);
    CU_ASSERT(slice_eq(f.u.admin.op, "put"));
    CU_ASSERT(slice_eq(f.u.admin.arg, "k"));
    CU_ASSERT_EQUAL(f.u.admin.body.len, sizeof bin);
    CU_ASSERT(slice_eq(f.u.admin.json, "{\"a\":1}"));

    decode_ok(&wb, o3, o4 - o3, &f, SKV_FRAME_ADMIN_RESP);
    CU_ASSERT_EQUAL(f.u.admin_resp.req_id, 45);
    CU_ASSERT_EQUAL(f.u.admin_resp.rc, -1);
    CU_ASSERT_EQUAL(f.u.admin_resp.status, 503);
    CU_ASSERT_EQUAL(f.u.admin_resp.retry_after_s, 7);
    CU_ASSERT(slice_eq(f.u.admin_resp.error, "E"));
    CU_ASSERT(slice_eq(f.u.admin_resp.message, "busy"));
    CU_ASSERT(slice_eq(f.u.admin_resp.json, "{}"));
    CU_ASSERT(slice_eq(f.u.admin_resp.body, ""));

    decode_ok(&wb, o4, o5 - o4, &f, SKV_FRAME_CAP_RESP);
    CU_ASSERT_EQUAL(f.u.ctl.req_id, 46);
    CU_ASSERT_EQUAL(f.u.ctl.rc, -2);
    CU_ASSERT_EQUAL(f.u.ctl.value, UINT64_MAX);
    CU_ASSERT(slice_eq(f.u.ctl.json, "{\"caps\":[]}"));
    skv_buf_free(&wb);
}

static void test_ctl_types(void)
{
    uint8_t types[] = {SKV_FRAME_CAP_REQ, SKV_FRAME_CAP_RESP};
    struct skv_buf wb = {0};
    for (size_t i = 0; i < sizeof types; i++) {
        struct skv_ctl_simple c = {100 + i, 0, 5000 + i, {NULL, 0}};
        struct skv_frame f;
        wb.len = 0;
        CU_ASSERT_EQUAL_FATAL(skv_wire_encode_ctl(&wb, 0x0102030405060708ull,
                                                  types[i], &c), 0);
        decode_ok(&wb, 0, wb.len, &f, types[i]);
        CU_ASSERT_EQUAL(f.u.ctl.req_id, 100 + i);
        CU_ASSERT_EQUAL(f.u.ctl.value, 5000 + i);
        CU_ASSERT_EQUAL(f.u.ctl.json.len, 0);
    }
    /* READ_REQ / READ_RESP (8, 9) are reserved: never encoded, refused
     * at decode even when well formed */
    for (uint8_t t = SKV_FRAME_READ_REQ; t <= SKV_FRAME_READ_RESP; t++) {
        struct skv_ctl_simple c = {1, 0, 0, {NULL, 0}};
        wb.len = 0;
        CU_ASSERT_EQUAL(skv_wire_encode_ctl(&wb, 1, t, &c), -1);
        CU_ASSERT_EQUAL_FATAL(skv_wire_encode_ctl(&wb, 1, SKV_FRAME_CAP_REQ,
                                                  &c), 0);
        wb.p[3] = t;
        CU_ASSERT_TRUE(decode_fails(wb.p, wb.len));
    }
    /* not control types, NULL data with a length, from_id 0 */
    {
        struct skv_ctl_simple c = {1, 0, 0, {NULL, 0}};
        struct skv_fwd_propose p = {1, 0, {NULL, 3}};
        wb.len = 0;
        CU_ASSERT_EQUAL(skv_wire_encode_ctl(&wb, 1, SKV_FRAME_RAFT, &c), -1);
        CU_ASSERT_EQUAL(skv_wire_encode_ctl(&wb, 1, SKV_FRAME_SNAP_CHUNK, &c), -1);
        CU_ASSERT_EQUAL(skv_wire_encode_ctl(&wb, 0, SKV_FRAME_CAP_REQ, &c), -1);
        CU_ASSERT_EQUAL(skv_wire_encode_propose(&wb, 1, &p), -1);
        CU_ASSERT_EQUAL(skv_wire_encode_propose(&wb, 1, NULL), -1);
        CU_ASSERT_EQUAL(wb.len, 0);
    }
    skv_buf_free(&wb);
}

/* ---- value bounds (core/wire/wire_bounds.c) ---------------------------- */

#define MAXT SKV_WIRE_MAX_TERM
#define MAXI SKV_WIRE_MAX_INDEX

/* SNAP_CHUNK (10): round trip, and every bound the decoder checks. */
static void test_snap_chunk(void)
{
    static const uint8_t bytes[] = "chunk bytes";
    struct skv_snap_chunk c = {5, 900, 4, 100, 40, {bytes, sizeof bytes}};
    struct skv_buf wb = {0};
    struct skv_frame f;
    CU_ASSERT_EQUAL_FATAL(skv_wire_encode_snap_chunk(&wb, 0x0102030405060708ull, &c), 0);
    decode_ok(&wb, 0, wb.len, &f, SKV_FRAME_SNAP_CHUNK);
    CU_ASSERT_EQUAL(f.u.chunk.term, 5);
    CU_ASSERT_EQUAL(f.u.chunk.last_index, 900);
    CU_ASSERT_EQUAL(f.u.chunk.last_term, 4);
    CU_ASSERT_EQUAL(f.u.chunk.total, 100);
    CU_ASSERT_EQUAL(f.u.chunk.offset, 40);
    CU_ASSERT_EQUAL_FATAL(f.u.chunk.data.len, sizeof bytes);
    CU_ASSERT(memcmp(f.u.chunk.data.p, bytes, sizeof bytes) == 0);
    {
        struct skv_snap_chunk bad[] = {
            {5, 900, 4, 100, 95, {bytes, sizeof bytes}},   /* past total */
            {5, 900, 4, 100, 101, {bytes, 1}},             /* offset past total */
            {5, 900, 4, 100, 0, {bytes, 0}},               /* empty */
            {5, 900, 4, SKV_WIRE_MAX_SNAPSHOT + 1, 0, {bytes, 1}},
            {0, 900, 4, 100, 0, {bytes, 1}},               /* term 0 */
            {5, 0, 4, 100, 0, {bytes, 1}},                 /* index 0 */
            {5, 900, 6, 100, 0, {bytes, 1}},               /* last term > term */
            {MAXT + 1, 900, 4, 100, 0, {bytes, 1}},
            {5, MAXI + 1, 4, 100, 0, {bytes, 1}},
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            wb.len = 0;
            CU_ASSERT_EQUAL_FATAL(skv_wire_encode_snap_chunk(&wb, 3, &bad[i]), 0);
            CU_ASSERT_TRUE(decode_fails(wb.p, wb.len));
        }
    }
    skv_buf_free(&wb);
}


/* Encode m as sent by node 7 and report whether it decodes; the refusal
 * must name a reason and leave nothing allocated. */
static int accepted(const struct raft_message *m)
{
    struct skv_buf wb = {0};
    struct skv_frame f;
    char err[256] = "";
    long live0 = H.live;
    int rc;
    CU_ASSERT_EQUAL_FATAL(skv_wire_encode_raft(&wb, 7, m, err, sizeof err), 0);
    rc = skv_wire_decode(wb.p, wb.len, &f, err, sizeof err);
    skv_buf_free(&wb);
    if (rc == 0) {
        raft_style_free(&f.u.raft);
        return 1;
    }
    CU_ASSERT(err[0] != '\0');
    CU_ASSERT_EQUAL(H.live, live0);
    return 0;
}

static void vote(struct raft_message *m, unsigned long long term,
                 unsigned long long cand, unsigned long long li,
                 unsigned long long lt)
{
    memset(m, 0, sizeof *m);
    m->type = RAFT_IO_REQUEST_VOTE;
    m->request_vote.term = term;
    m->request_vote.candidate_id = cand;
    m->request_vote.last_log_index = li;
    m->request_vote.last_log_term = lt;
}

static void test_bounds_vote(void)
{
    struct raft_message m;
    vote(&m, MAXT, 7, MAXI, MAXT);
    CU_ASSERT_TRUE(accepted(&m));
    vote(&m, UINT64_MAX, 7, 5, 1); /* issue #11 attack 4 */
    CU_ASSERT_FALSE(accepted(&m));
    vote(&m, MAXT + 1, 7, 5, 1);
    CU_ASSERT_FALSE(accepted(&m));
    vote(&m, 0, 7, 0, 0);
    CU_ASSERT_FALSE(accepted(&m));
    vote(&m, 5, 8, 5, 1); /* votes for someone else */
    CU_ASSERT_FALSE(accepted(&m));
    vote(&m, 5, 7, MAXI + 1, 1);
    CU_ASSERT_FALSE(accepted(&m));
    vote(&m, 5, 7, 5, 6); /* last log term above the term */
    CU_ASSERT_FALSE(accepted(&m));
    vote(&m, 5, 7, 5, 0); /* index without a term */
    CU_ASSERT_FALSE(accepted(&m));
    vote(&m, 5, 7, 0, 3); /* term without an index */
    CU_ASSERT_FALSE(accepted(&m));
    vote(&m, 5, 7, 0, 0); /* empty log */
    CU_ASSERT_TRUE(accepted(&m));

    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_REQUEST_VOTE_RESULT;
    m.request_vote_result.term = MAXT;
    CU_ASSERT_TRUE(accepted(&m));
    m.request_vote_result.term = UINT64_MAX;
    CU_ASSERT_FALSE(accepted(&m));
}

static void test_bounds_append(void)
{
    struct raft_message m;
    fill_entries(); /* terms 1000..1039 */
    sample_append(&m, 3);
    CU_ASSERT_TRUE(accepted(&m));
    m.append_entries.term = UINT64_MAX;
    CU_ASSERT_FALSE(accepted(&m));
    sample_append(&m, 3);
    m.append_entries.term = 0;
    CU_ASSERT_FALSE(accepted(&m));
    sample_append(&m, 3);
    m.append_entries.prev_log_index = MAXI; /* + 3 entries > MAXI */
    CU_ASSERT_FALSE(accepted(&m));
    m.append_entries.prev_log_index = MAXI - 3;
    CU_ASSERT_TRUE(accepted(&m));
    m.append_entries.prev_log_index = 0; /* index 0 with term 1000 */
    CU_ASSERT_FALSE(accepted(&m));
    m.append_entries.prev_log_term = 0;
    CU_ASSERT_TRUE(accepted(&m));
    sample_append(&m, 3);
    m.append_entries.prev_log_term = 0; /* index without a term */
    CU_ASSERT_FALSE(accepted(&m));
    sample_append(&m, 3);
    m.append_entries.prev_log_term = 2001; /* above the leader's term */
    CU_ASSERT_FALSE(accepted(&m));
    sample_append(&m, 3);
    m.append_entries.leader_commit = MAXI + 1;
    CU_ASSERT_FALSE(accepted(&m));
    sample_append(&m, 3);
    m.append_entries.term = 1001; /* entry 2 has term 1002 */
    CU_ASSERT_FALSE(accepted(&m));
    sample_append(&m, 3);
    m.append_entries.prev_log_term = 1001; /* entry 0 older than prev */
    CU_ASSERT_FALSE(accepted(&m));
    sample_append(&m, 3);
    ENTRIES[1].term = 999; /* terms go down */
    CU_ASSERT_FALSE(accepted(&m));
    ENTRIES[1].term = 0;
    CU_ASSERT_FALSE(accepted(&m));
    fill_entries();

    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_APPEND_ENTRIES_RESULT;
    m.append_entries_result.term = MAXT;
    m.append_entries_result.rejected = MAXI;
    m.append_entries_result.last_log_index = MAXI;
    CU_ASSERT_TRUE(accepted(&m));
    m.append_entries_result.term = MAXT + 1;
    CU_ASSERT_FALSE(accepted(&m));
    m.append_entries_result.term = 1;
    m.append_entries_result.rejected = UINT64_MAX;
    CU_ASSERT_FALSE(accepted(&m));
    m.append_entries_result.rejected = 0;
    m.append_entries_result.last_log_index = MAXI + 1;
    CU_ASSERT_FALSE(accepted(&m));
}

static void test_bounds_snapshot_timeout(void)
{
    struct raft_configuration c, spares;
    struct raft_message m;
    sample_snapshot(&m, &c);
    CU_ASSERT_TRUE(accepted(&m));
    m.install_snapshot.term = MAXT + 1;
    CU_ASSERT_FALSE(accepted(&m));
    m.install_snapshot.term = 0;
    CU_ASSERT_FALSE(accepted(&m));
    m.install_snapshot.term = 4;
    m.install_snapshot.last_index = 0;
    m.install_snapshot.conf_index = 0;
    CU_ASSERT_FALSE(accepted(&m));
    m.install_snapshot.last_index = MAXI + 1;
    CU_ASSERT_FALSE(accepted(&m));
    m.install_snapshot.last_index = 1234;
    m.install_snapshot.last_term = 5; /* above the term */
    CU_ASSERT_FALSE(accepted(&m));
    m.install_snapshot.last_term = 0;
    CU_ASSERT_FALSE(accepted(&m));
    m.install_snapshot.last_term = 3;
    m.install_snapshot.conf_index = 1235; /* above the last index */
    CU_ASSERT_FALSE(accepted(&m));
    m.install_snapshot.conf_index = 1234;
    CU_ASSERT_TRUE(accepted(&m));
    /* a configuration without a voter */
    raft_configuration_init(&spares);
    CU_ASSERT_EQUAL(raft_configuration_add(&spares, 1, "a:1", RAFT_SPARE), 0);
    m.install_snapshot.conf = spares;
    CU_ASSERT_FALSE(accepted(&m));
    raft_configuration_close(&spares);
    raft_configuration_close(&c);

    memset(&m, 0, sizeof m);
    m.type = RAFT_IO_TIMEOUT_NOW;
    m.timeout_now.term = MAXT;
    m.timeout_now.last_log_index = MAXI;
    m.timeout_now.last_log_term = MAXT;
    CU_ASSERT_TRUE(accepted(&m));
    m.timeout_now.term = UINT64_MAX;
    CU_ASSERT_FALSE(accepted(&m));
    m.timeout_now.term = 5;
    CU_ASSERT_FALSE(accepted(&m)); /* last log term above the term */
    m.timeout_now.last_log_term = 0;
    CU_ASSERT_FALSE(accepted(&m)); /* index without a term */
    m.timeout_now.last_log_index = MAXI + 1;
    m.timeout_now.last_log_term = 5;
    CU_ASSERT_FALSE(accepted(&m));
    m.timeout_now.term = 0;
    m.timeout_now.last_log_index = 0;
    m.timeout_now.last_log_term = 0;
    CU_ASSERT_FALSE(accepted(&m));
    CU_ASSERT_EQUAL(H.live, 0);
}

/* ---- robustness --------------------------------------------------- */

/* A set of valid frames covering every type, concatenated in `wb`, with
 * frame boundaries in `off` (n+1 entries). */
#define MAX_SAMPLES 16
struct samples {
    struct skv_buf wb;
    size_t off[MAX_SAMPLES + 1];
    size_t n;
};

static void mark(struct samples *s)
{
    s->off[++s->n] = s->wb.len;
}

static void build_samples(struct samples *s)
{
    struct raft_message m = {0};
    struct raft_configuration c;
    char err[128];
    struct skv_ctl_simple ctl = {9, 1, 2, S("{\"x\":true}")};
    struct skv_fwd_propose p = {1, 0, S("payload")};
    struct skv_fwd_propose_resp pr = {2, 0, 3, 4, S("e"), S("m")};
    struct skv_fwd_admin a = {5, 6, S("op"), S("arg"), S("body"), S("{}")};
    struct skv_fwd_admin_resp ar = {7, 8, 9, 10, S("a"), S("b"), S("c"),
                                    S("d")};
    memset(s, 0, sizeof *s);
    fill_entries();
    for (unsigned t = RAFT_IO_APPEND_ENTRIES; t <= RAFT_IO_TIMEOUT_NOW; t++) {
        if (t == RAFT_IO_INSTALL_SNAPSHOT) {
            sample_snapshot(&m, &c);
            m.install_snapshot.data.len = 40;
        } else if (t == RAFT_IO_APPEND_ENTRIES) {
            sample_append(&m, 6);
        } else {
            memset(&m, 0, sizeof m);
            m.type = (unsigned short)t;
            m.request_vote.term = 3; /* first u64 of every small type */
            if (t == RAFT_IO_REQUEST_VOTE)
                m.request_vote.candidate_id = 3; /* the sender */
        }
        CU_ASSERT_EQUAL(skv_wire_encode_raft(&s->wb, 3, &m, err, sizeof err),
                        0);
        if (t == RAFT_IO_INSTALL_SNAPSHOT)
            raft_configuration_close(&c);
        mark(s);
    }
    CU_ASSERT_EQUAL(skv_wire_encode_propose(&s->wb, 3, &p), 0);
    mark(s);
    CU_ASSERT_EQUAL(skv_wire_encode_propose_resp(&s->wb, 3, &pr), 0);
    mark(s);
    CU_ASSERT_EQUAL(skv_wire_encode_admin(&s->wb, 3, &a), 0);
    mark(s);
    CU_ASSERT_EQUAL(skv_wire_encode_admin_resp(&s->wb, 3, &ar), 0);
    mark(s);
    for (uint8_t t = SKV_FRAME_CAP_REQ; t <= SKV_FRAME_CAP_RESP; t++) {
        CU_ASSERT_EQUAL(skv_wire_encode_ctl(&s->wb, 3, t, &ctl), 0);
        mark(s);
    }
}

static void test_truncations(void)
{
    struct samples s;
    build_samples(&s);
    for (size_t i = 0; i < s.n; i++) {
        const uint8_t *fr = s.wb.p + s.off[i];
        size_t len = s.off[i + 1] - s.off[i];
        uint8_t *copy = malloc(len + 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
        CU_ASSERT_FALSE(decode_fails(fr, len)); /* the whole frame decodes */
        for (size_t cut = 0; cut < len; cut++) {
            /* plain truncation: body_len no longer matches */
            CU_ASSERT_TRUE(decode_fails(fr, cut));
            /* truncation with body_len patched: the body parser must
             * notice the missing bytes itself */
            if (cut >= SKV_WIRE_HDR_LEN) {
                memcpy(copy, fr, cut);
                set_body_len(copy, (uint32_t)(cut - SKV_WIRE_HDR_LEN));
                CU_ASSERT_TRUE(decode_fails(copy, cut));
            }
        }
        /* one trailing byte, with and without body_len patched */
        memcpy(copy, fr, len);
        copy[len] = 0;
        CU_ASSERT_TRUE(decode_fails(copy, len + 1));
        set_body_len(copy, (uint32_t)(len + 1 - SKV_WIRE_HDR_LEN));
        CU_ASSERT_TRUE(decode_fails(copy, len + 1));
        free(copy);
    }
    CU_ASSERT_EQUAL(H.live, 0);
    skv_buf_free(&s.wb);
}

static void test_bad_header_fields(void)
{
    struct samples s;
    struct skv_frame f;
    char err[256];
    uint8_t from[8];
    build_samples(&s);
    for (size_t i = 0; i < s.n; i++) {
        uint8_t *fr = s.wb.p + s.off[i];
        size_t len = s.off[i + 1] - s.off[i];
        uint8_t keep;
        for (int field = 0; field < 4; field++) {
            uint8_t bad[] = {0, 2, 10, 0x7f, 0xff};
            keep = fr[field];
            for (size_t k = 0; k < sizeof bad; k++) {
                if (field == 3 && bad[k] >= SKV_FRAME_RAFT &&
                    bad[k] <= SKV_FRAME_LAST_ACCEPTED)
                    continue; /* a valid type: covered by the garbage loop */
                fr[field] = field == 0 && bad[k] == 0 ? 'k' : bad[k];
                CU_ASSERT_TRUE(decode_fails(fr, len));
            }
            fr[field] = keep;
        }
        /* from_id 0 */
        memcpy(from, fr + 8, 8);
        memset(fr + 8, 0, 8);
        CU_ASSERT_TRUE(decode_fails(fr, len));
        memcpy(fr + 8, from, 8);
        CU_ASSERT_FALSE(decode_fails(fr, len));
    }
    /* raft sub-types 0 and 7 */
    for (uint8_t t = 0; t < 8; t += 7) {
        uint8_t *fr = s.wb.p + s.off[2]; /* REQUEST_VOTE frame */
        uint8_t keep = fr[RAFT_MSG_AT];
        fr[RAFT_MSG_AT] = t;
        CU_ASSERT_EQUAL(skv_wire_decode(fr, s.off[3] - s.off[2], &f, err,
                                        sizeof err), -1);
        CU_ASSERT(strstr(err, "raft message type") != NULL);
        fr[RAFT_MSG_AT] = keep;
    }
    CU_ASSERT_EQUAL(H.live, 0);
    skv_buf_free(&s.wb);
}

static void test_oversized_body(void)
{
    uint8_t hdr[SKV_WIRE_HDR_LEN + 8] = {'S', 'K', SKV_WIRE_VERSION,
                                         SKV_FRAME_RAFT, 0, 0, 0, 0, 1};
    struct skv_frame f;
    char err[256];
    heap_reset();
    set_body_len(hdr, SKV_WIRE_MAX_BODY + 1);
    CU_ASSERT_EQUAL(skv_wire_decode(hdr, sizeof hdr, &f, err, sizeof err), -1);
    CU_ASSERT(strstr(err, "exceeds") != NULL);
    set_body_len(hdr, UINT32_MAX);
    CU_ASSERT_EQUAL(skv_wire_decode(hdr, sizeof hdr, &f, err, sizeof err), -1);
    /* a claimed length bigger than what arrived */
    set_body_len(hdr, 1000);
    CU_ASSERT_EQUAL(skv_wire_decode(hdr, sizeof hdr, &f, err, sizeof err), -1);
    CU_ASSERT_EQUAL(H.calls, 0); /* nothing allocated for any of them */
    CU_ASSERT_EQUAL(skv_wire_decode(NULL, 0, &f, err, sizeof err), -1);
    CU_ASSERT_EQUAL(skv_wire_decode(hdr, sizeof hdr, NULL, NULL, 0), -1);
}

/* Build an append-entries frame by hand with a given count and entry
 * headers, to attack the count/length checks. */
static size_t handmade_append(uint8_t *b, uint32_t n, unsigned real_entries,
                              uint32_t entry_len, unsigned payload_bytes)
{
    size_t o = RAFT_MSG_AT;
    memset(b, 0, 4096);
    b[0] = 'S', b[1] = 'K', b[2] = SKV_WIRE_VERSION, b[3] = SKV_FRAME_RAFT;
    b[8] = 1;
    b[o++] = RAFT_IO_APPEND_ENTRIES;
    b[o] = 1; /* term 1; prev index/term, commit 0 */
    o += 32;
    for (int i = 0; i < 4; i++)
        b[o++] = (uint8_t)(n >> (8 * i));
    for (unsigned e = 0; e < real_entries; e++) {
        b[o] = 1; /* entry term 1 */
        o += 8;
        b[o++] = RAFT_COMMAND;
        for (int i = 0; i < 4; i++)
            b[o++] = (uint8_t)(entry_len >> (8 * i));
    }
    o += payload_bytes;
    set_body_len(b, (uint32_t)(o - SKV_WIRE_HDR_LEN));
    return o;
}

static void test_huge_counts(void)
{
    uint8_t b[4096];
    struct skv_frame f;
    char err[256];
    size_t n;

    heap_reset();
    n = handmade_append(b, UINT32_MAX, 2, 0, 0);
    CU_ASSERT_EQUAL(skv_wire_decode(b, n, &f, err, sizeof err), -1);
    CU_ASSERT(strstr(err, "cannot fit") != NULL);
    n = handmade_append(b, 1000, 2, 0, 100);
    CU_ASSERT_EQUAL(skv_wire_decode(b, n, &f, err, sizeof err), -1);
    CU_ASSERT_EQUAL(H.calls, 0); /* rejected before any allocation */

    /* entry lengths that overrun, or leave bytes over */
    n = handmade_append(b, 2, 2, UINT32_MAX, 10);
    CU_ASSERT_EQUAL(skv_wire_decode(b, n, &f, err, sizeof err), -1);
    n = handmade_append(b, 2, 2, 6, 11);
    CU_ASSERT_EQUAL(skv_wire_decode(b, n, &f, err, sizeof err), -1);
    n = handmade_append(b, 2, 2, 6, 13);
    CU_ASSERT_EQUAL(skv_wire_decode(b, n, &f, err, sizeof err), -1);
    CU_ASSERT_EQUAL(H.calls, 0);
    n = handmade_append(b, 2, 2, 6, 12); /* exactly right */
    CU_ASSERT_EQUAL_FATAL(skv_wire_decode(b, n, &f, err, sizeof err), 0);
    CU_ASSERT_EQUAL(f.u.raft.append_entries.n_entries, 2);
    raft_style_free(&f.u.raft);
    CU_ASSERT_EQUAL(H.live, 0);
}

/* Bad configurations in an InstallSnapshot are rejected and nothing of the
 * partly built configuration leaks. */
static void test_bad_configuration(void)
{
    struct raft_configuration c;
    struct raft_message m;
    struct skv_buf wb = {0};
    struct skv_frame f;
    char err[256];
    size_t i, at = RAFT_MSG_AT + 1 + 32 + 4; /* first server */
    sample_snapshot(&m, &c);
    CU_ASSERT_EQUAL_FATAL(skv_wire_encode_raft(&wb, 1, &m, err, sizeof err), 0);
    /* second server's id := first server's id (duplicate) */
    i = at + 8 + 1 + 2 + strlen(c.servers[0].address);
    memcpy(wb.p + i, wb.p + at, 8);
    CU_ASSERT_EQUAL(skv_wire_decode(wb.p, wb.len, &f, err, sizeof err), -1);
    memcpy(wb.p + i, &c.servers[1].id, 8); /* little-endian host */
    CU_ASSERT_EQUAL_FATAL(skv_wire_decode(wb.p, wb.len, &f, err, sizeof err),
                          0);
    raft_style_free(&f.u.raft);
    /* bad role, id 0, NUL inside an address */
    wb.p[i + 8] = 3;
    CU_ASSERT_EQUAL(skv_wire_decode(wb.p, wb.len, &f, err, sizeof err), -1);
    wb.p[i + 8] = RAFT_VOTER;
    memset(wb.p + i, 0, 8);
    CU_ASSERT_EQUAL(skv_wire_decode(wb.p, wb.len, &f, err, sizeof err), -1);
    memcpy(wb.p + i, &c.servers[1].id, 8);
    wb.p[i + 8 + 1 + 2 + 3] = 0;
    CU_ASSERT_EQUAL(skv_wire_decode(wb.p, wb.len, &f, err, sizeof err), -1);
    raft_configuration_close(&c);
    CU_ASSERT_EQUAL(H.live, 0);
    skv_buf_free(&wb);
}

/* Every allocation the decoder makes can fail; each failure is reported
 * and leaves nothing allocated. */
static void test_alloc_failures(void)
{
    struct samples s;
    build_samples(&s);
    for (size_t i = 0; i < s.n; i++) {
        const uint8_t *fr = s.wb.p + s.off[i];
        size_t len = s.off[i + 1] - s.off[i];
        for (long k = 1; k < 64; k++) {
            struct skv_frame f;
            char err[256];
            int rc;
            heap_reset();
            H.fail_at = k;
            rc = skv_wire_decode(fr, len, &f, err, sizeof err);
            H.fail_at = 0;
            if (rc == 0) {
                if (f.type == SKV_FRAME_RAFT)
                    raft_style_free(&f.u.raft);
                CU_ASSERT(H.calls < k); /* succeeded: fewer allocs made */
                break;
            }
            CU_ASSERT(strstr(err, "memory") != NULL);
            CU_ASSERT_EQUAL(H.live, 0);
        }
    }
    CU_ASSERT_EQUAL(H.live, 0);
    skv_buf_free(&s.wb);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* 20000 mutated frames (fixed seed): byte flips, truncations, splices and
 * pure noise behind a valid header. Must never crash or leak. */
static void test_garbage_loop(void)
{
    struct samples s;
    uint64_t seed = 0x5EA1C0DE12345678ull;
    uint8_t buf[8192];
    unsigned ok = 0;
    build_samples(&s);
    for (int it = 0; it < 20000; it++) {
        size_t i = rng_next(&seed) % s.n;
        size_t len = s.off[i + 1] - s.off[i];
        int mode = (int)(rng_next(&seed) % 4);
        if (len > sizeof buf)
            len = sizeof buf;
        memcpy(buf, s.wb.p + s.off[i], len);
        if (mode == 0 || mode == 3) { /* flip a few bytes */
            int k = 1 + (int)(rng_next(&seed) % 4);
            while (k--)
                buf[rng_next(&seed) % len] = (uint8_t)rng_next(&seed);
        }
        if (mode == 1) /* noise body behind the header */
            for (size_t k = SKV_WIRE_HDR_LEN; k < len; k++)
                buf[k] = (uint8_t)rng_next(&seed);
        if (mode >= 2) /* new length, body_len patched to agree */
            len = SKV_WIRE_HDR_LEN + rng_next(&seed) % (len - 15);
        if (mode == 2 || mode == 1)
            set_body_len(buf, (uint32_t)(len - SKV_WIRE_HDR_LEN));
        if (!decode_fails(buf, len))
            ok++;
        CU_ASSERT_EQUAL_FATAL(H.live, 0);
    }
    CU_ASSERT(ok > 0); /* some mutations are benign (e.g. term bytes) */
    skv_buf_free(&s.wb);
}

int main(void)
{
    CU_pSuite rt, rb;
    raft_heap_set(&HEAP);
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    rt = CU_add_suite("wire_roundtrip", NULL, NULL);
    rb = CU_add_suite("wire_robustness", NULL, NULL);
    if (!rt || !rb ||
        !CU_add_test(rt, "request vote", test_request_vote) ||
        !CU_add_test(rt, "request vote result", test_request_vote_result) ||
        !CU_add_test(rt, "append result, timeout now",
                     test_small_raft_messages) ||
        !CU_add_test(rt, "append entries 0/1/2/many", test_append_entries) ||
        !CU_add_test(rt, "append entries, empty payload",
                     test_append_entries_only_empty) ||
        !CU_add_test(rt, "install snapshot", test_install_snapshot) ||
        !CU_add_test(rt, "sender address", test_sender_address) ||
        !CU_add_test(rt, "encode errors", test_encode_raft_errors) ||
        !CU_add_test(rt, "control frames", test_control_frames) ||
        !CU_add_test(rt, "cap/read frames", test_ctl_types) ||
        !CU_add_test(rt, "snapshot chunk frames", test_snap_chunk) ||
        !CU_add_test(rb, "bounds: vote", test_bounds_vote) ||
        !CU_add_test(rb, "bounds: append entries", test_bounds_append) ||
        !CU_add_test(rb, "bounds: snapshot, timeout now",
                     test_bounds_snapshot_timeout) ||
        !CU_add_test(rb, "every truncation", test_truncations) ||
        !CU_add_test(rb, "bad header fields", test_bad_header_fields) ||
        !CU_add_test(rb, "oversized body_len", test_oversized_body) ||
        !CU_add_test(rb, "huge entry counts", test_huge_counts) ||
        !CU_add_test(rb, "bad configuration", test_bad_configuration) ||
        !CU_add_test(rb, "allocation failures", test_alloc_failures) ||
        !CU_add_test(rb, "garbage loop", test_garbage_loop)) {
        CU_cleanup_registry();
        return 99;
    }
    {
        int rc = skv_test_run();
        raft_heap_set_default();
        return rc;
    }
}
