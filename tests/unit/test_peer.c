/* SPDX-License-Identifier: MIT */
/*
 * test_peer.c — CUnit suite for the peer boundary: the shared FSM payload
 * decoder (core/cmd/cmd_decode.c) refuses every malformed payload class and
 * accepts what the encoders build; the forwarding policy
 * (core/peer/peer_policy.c); frame admission (core/peer/peer_filter.c) for every
 * frame type and sender class; the log rate limiter (core/util/ratelimit.c).
 */
#include "skv_test.h"

#include <raft.h>

#include <sealkv/plugin.h>

#include "cmd/cmd_decode.h"
#include "peer/peer_filter.h"
#include "peer/peer_policy.h"
#include "intake/propose.h"
#include "util/ratelimit.h"
#include "wire/wire.h"
#include "cmd/writers.h"

static int decodes(const void *p, size_t len)
{
    struct skv_cmd c;
    char err[200] = "";
    int rc = skv_cmd_decode(p, len, &c, err, sizeof err);
    if (rc == 0)
        skv_cmd_free(&c);
    else
        CU_ASSERT(err[0] != '\0'); /* a refusal says why */
    return rc == 0;
}

/* ---- the shared decoder ---------------------------------------------- */

static void test_decode_kv(void)
{
    struct skv_kv_op op = {SKV_KV_PUT, (const uint8_t *)"k", 1,
                           (const uint8_t *)"v", 1};
    void *p = NULL;
    size_t len = 0;
    uint8_t b[16];
    CU_ASSERT_EQUAL_FATAL(skv_cmd_encode_kv(&op, &p, &len), 0);
    CU_ASSERT_TRUE(decodes(p, len));
    memcpy(b, p, len);
    raft_free(p);
    CU_ASSERT_FALSE(decodes("\xff\x00poison", 8)); /* issue #11 attack 3 */
    CU_ASSERT_FALSE(decodes(b, 0));                 /* empty */
    CU_ASSERT_FALSE(decodes(NULL, 0));
    CU_ASSERT_FALSE(decodes(b, 5));                 /* truncated header */
    b[1] = 3;                                       /* unknown opcode */
    CU_ASSERT_FALSE(decodes(b, len));
    b[1] = SKV_KV_DEL;                              /* delete with a value */
    CU_ASSERT_FALSE(decodes(b, len));
    CU_ASSERT_TRUE(decodes(b, len - 1));
    b[1] = SKV_KV_PUT;
    b[5] = 9;                                       /* key runs past the end */
    CU_ASSERT_FALSE(decodes(b, len));
    b[5] = 0;                                       /* empty key */
    CU_ASSERT_FALSE(decodes(b, len));
    for (unsigned t = 0x06; t <= 0xff; t++) {       /* every unknown tag */
        b[0] = (uint8_t)t;
        CU_ASSERT_FALSE(decodes(b, len));
    }
}

static void test_decode_batch_noop(void)
{
    /* [0x01][count=2] put k=v, del k */
    static const uint8_t ok[] = {1, 0, 0, 0, 2,
                                 1, 0, 0, 0, 1, 'k', 0, 0, 0, 1, 'v',
                                 2, 0, 0, 0, 1, 'k', 0, 0, 0, 0};
    uint8_t b[sizeof ok + 1];
    memcpy(b, ok, sizeof ok);
    CU_ASSERT_TRUE(decodes(b, sizeof ok));
    CU_ASSERT_FALSE(decodes(b, sizeof ok - 1));     /* truncated */
    b[sizeof ok] = 0;
    CU_ASSERT_FALSE(decodes(b, sizeof ok + 1));     /* trailing byte */
    b[4] = 3;                                       /* count too high */
    CU_ASSERT_FALSE(decodes(b, sizeof ok));
    b[4] = 2;
    b[5] = 7;                                       /* bad op */
    CU_ASSERT_FALSE(decodes(b, sizeof ok));
    CU_ASSERT_TRUE(decodes("\x02", 1));             /* no-op */
    CU_ASSERT_FALSE(decodes("\x02\x00", 2));
}

/* rotate-dek (0x05/1): the whole body, strictly */
static void test_decode_rotate(void)
{
    struct skv_writer_reg r[2] = {{21, 3, 1}, {21, 4, 1}};
    struct skv_enc_rotate rt;
    struct skv_cmd c;
    char why[200];
    void *p = NULL;
    size_t len = 0, i;
    uint8_t *b;
    memset(&rt, 0, sizeof rt);
    rt.purpose = SKV_PURPOSE_RAFT;
    snprintf(rt.suite, sizeof rt.suite, "aes-256-gcm");
    rt.key_id = 21;
    rt.created_ms = 1777000000000ull;
    rt.regs = r;
    rt.n_regs = 2;
    CU_ASSERT_EQUAL_FATAL(skv_enc_encode_rotate(&rt, &p, &len), 0);
    b = p;
    CU_ASSERT_EQUAL_FATAL(skv_cmd_decode(b, len, &c, why, sizeof why), 0);
    CU_ASSERT_EQUAL(c.rot_sub, SKV_ROT_ROTATE_DEK);
    CU_ASSERT_EQUAL(c.rot.purpose, SKV_PURPOSE_RAFT);
    CU_ASSERT_EQUAL(c.rot.key_id, 21);
    CU_ASSERT_EQUAL(c.rot.n_regs, 2);
    CU_ASSERT_EQUAL(c.rot.created_ms, 1777000000000ull);
    CU_ASSERT_STRING_EQUAL(c.rot.suite, "aes-256-gcm");
    skv_cmd_free(&c);
    for (i = 0; i < len; i++)                        /* every truncation */
        CU_ASSERT_FALSE(decodes(b, i));
    b = raft_realloc(p, len + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    p = b;
    b[len] = 0;
    CU_ASSERT_FALSE(decodes(b, len + 1));            /* trailing byte */
    b[2] = 2;                                        /* version */
    CU_ASSERT_FALSE(decodes(b, len));
    b[2] = 1;
    for (unsigned pu = 0; pu < 4; pu++) {            /* purpose */
        b[3] = (uint8_t)pu;
        CU_ASSERT_EQUAL(decodes(b, len), pu == SKV_PURPOSE_STORAGE || pu == SKV_PURPOSE_RAFT);
    }
    b[3] = SKV_PURPOSE_RAFT;
    CU_ASSERT_TRUE(decodes(b, len));
    b[6] = 0;                                        /* NUL in the suite */
    CU_ASSERT_FALSE(decodes(b, len));
    raft_free(p);
    r[1].key_id = 22;                                /* a registration for another key */
    CU_ASSERT_EQUAL_FATAL(skv_enc_encode_rotate(&rt, &p, &len), 0);
    CU_ASSERT_FALSE(decodes(p, len));
    raft_free(p);
    r[1].key_id = 21;
    rt.key_id = 0;                                   /* key id 0 */
    r[0].key_id = r[1].key_id = 0;
    CU_ASSERT_EQUAL_FATAL(skv_enc_encode_rotate(&rt, &p, &len), 0);
    CU_ASSERT_FALSE(decodes(p, len));
    raft_free(p);
}

/* retire (0x05/3): exactly [0x05][0x03][ver 1][key_id u32], key id != 0 */
static void test_decode_retire(void)
{
    struct skv_cmd c;
    char why[200];
    void *p = NULL;
    size_t len = 0, i;
    uint8_t *b;
    CU_ASSERT_EQUAL(skv_enc_encode_retire(0, &p, &len), -1);
    CU_ASSERT_EQUAL_FATAL(skv_enc_encode_retire(0x01020304u, &p, &len), 0);
    CU_ASSERT_EQUAL_FATAL(len, 7);
    b = p;
    CU_ASSERT_EQUAL(memcmp(b, "\x05\x03\x01\x01\x02\x03\x04", 7), 0);
    CU_ASSERT_EQUAL_FATAL(skv_cmd_decode(b, len, &c, why, sizeof why), 0);
    CU_ASSERT_EQUAL(c.tag, SKV_CMD_ENC_ROTATION);
    CU_ASSERT_EQUAL(c.rot_sub, SKV_ROT_RETIRE);
    CU_ASSERT_EQUAL(c.retire_id, 0x01020304u);
    skv_cmd_free(&c);
    for (i = 0; i < len; i++)                        /* every truncation */
        CU_ASSERT_FALSE(decodes(b, i));
    b = raft_realloc(p, len + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    p = b;
    b[len] = 0;
    CU_ASSERT_FALSE(decodes(b, len + 1));            /* trailing byte */
    b[2] = 2;                                        /* version */
    CU_ASSERT_FALSE(decodes(b, len));
    b[2] = 1;
    memset(b + 3, 0, 4);                             /* key id 0 */
    CU_ASSERT_FALSE(decodes(b, len));
    b[6] = 9;
    CU_ASSERT_TRUE(decodes(b, len));
    CU_ASSERT_FALSE(decodes("\x05\x02", 2));           /* rewrap: still reserved */
    raft_free(p);
}

static void test_decode_enc(void)
{
    struct skv_writer_reg r[2] = {{7, 3, 1}, {8, 3, 1}};
    struct skv_enc_bootstrap bt;
    void *p = NULL;
    size_t len = 0;
    uint8_t *b;
    CU_ASSERT_EQUAL_FATAL(skv_writers_encode_reg(r, 2, &p, &len), SKV_OK);
    CU_ASSERT_TRUE(decodes(p, len));
    CU_ASSERT_FALSE(decodes(p, len - 1));
    b = p;
    b[4] = 0;                                       /* count 0 */
    CU_ASSERT_FALSE(decodes(p, len));
    raft_free(p);
    /* rotation family: only the two phase flags are implemented */
    for (unsigned sub = 0; sub < 8; sub++) {
        uint8_t rot[3] = {SKV_CMD_ENC_ROTATION, (uint8_t)sub, 0};
        CU_ASSERT_EQUAL(decodes(rot, 2),
                        sub == SKV_ROT_ENABLE_STORAGE || sub == SKV_ROT_ENABLE_RAFT);
        CU_ASSERT_FALSE(decodes(rot, 3));
    }
    CU_ASSERT_FALSE(decodes("\x05", 1));
    /* bootstrap: valid, then broken versions */
    memset(&bt, 0, sizeof bt);
    snprintf(bt.suite, sizeof bt.suite, "aes-256-gcm");
    bt.storage_id = 11;
    bt.raft_id = 12;
    bt.regs = r;
    bt.n_regs = 2;
    CU_ASSERT_EQUAL_FATAL(skv_enc_encode_bootstrap(&bt, &p, &len), 0);
    CU_ASSERT_TRUE(decodes(p, len));
    CU_ASSERT_FALSE(decodes(p, len - 1));
    b = p;
    b[1] = 2;                                       /* version */
    CU_ASSERT_FALSE(decodes(p, len));
    raft_free(p);
    bt.raft_id = 11;                                /* same ids */
    CU_ASSERT_EQUAL_FATAL(skv_enc_encode_bootstrap(&bt, &p, &len), 0);
    CU_ASSERT_FALSE(decodes(p, len));
    raft_free(p);
}

/* ---- forwarding policy ------------------------------------------------ */

static int allowed(uint64_t from, uint32_t source, const void *p, size_t len)
{
    struct skv_cmd c;
    char why[200] = "";
    int rc;
    CU_ASSERT_EQUAL_FATAL(skv_cmd_decode(p, len, &c, why, sizeof why), 0);
    rc = skv_peer_proposal_allowed(from, source, &c, why, sizeof why);
    skv_cmd_free(&c);
    if (rc != 0)
        CU_ASSERT(why[0] != '\0');
    return rc == 0;
}

static void test_policy_proposals(void)
{
    static const uint8_t kv[] = {0, 1, 0, 0, 0, 1, 'k', 'v'};
    static const uint8_t batch[] = {1, 0, 0, 0, 0};
    static const uint8_t flag[] = {5, 4}, cut[] = {5, 5};
    struct skv_writer_reg own[2] = {{7, 3, 2}, {8, 3, 2}}, other[2] = {{7, 3, 2}, {8, 4, 1}};
    struct skv_enc_bootstrap bt;
    void *p = NULL;
    size_t len = 0;
    CU_ASSERT_TRUE(allowed(3, SKV_SRC_USER, kv, sizeof kv));
    CU_ASSERT_FALSE(allowed(3, SKV_SRC_ADMIN, kv, sizeof kv)); /* would skip the gate */
    CU_ASSERT_TRUE(allowed(3, SKV_SRC_ADMIN, "\x02", 1));
    CU_ASSERT_FALSE(allowed(3, SKV_SRC_USER, "\x02", 1));
    CU_ASSERT_FALSE(allowed(3, SKV_SRC_USER, batch, sizeof batch));
    CU_ASSERT_FALSE(allowed(3, SKV_SRC_ADMIN, flag, sizeof flag));
    CU_ASSERT_FALSE(allowed(3, SKV_SRC_ADMIN, cut, sizeof cut));
    CU_ASSERT_EQUAL_FATAL(skv_writers_encode_reg(own, 2, &p, &len), SKV_OK);
    CU_ASSERT_TRUE(allowed(3, SKV_SRC_ADMIN, p, len));
    CU_ASSERT_FALSE(allowed(4, SKV_SRC_ADMIN, p, len));     /* someone else's */
    CU_ASSERT_FALSE(allowed(3, SKV_SRC_USER, p, len));
    CU_ASSERT_EQUAL(skv_peer_may_forward(3, SKV_SRC_ADMIN, p, len), 1);
    CU_ASSERT_EQUAL(skv_peer_may_forward(4, SKV_SRC_ADMIN, p, len), 0);
    raft_free(p);
    CU_ASSERT_EQUAL_FATAL(skv_writers_encode_reg(other, 2, &p, &len), SKV_OK);
    CU_ASSERT_FALSE(allowed(3, SKV_SRC_ADMIN, p, len));     /* one entry for node 4 */
    raft_free(p);
    memset(&bt, 0, sizeof bt);
    snprintf(bt.suite, sizeof bt.suite, "aes-256-gcm");
    bt.storage_id = 11;
    bt.raft_id = 12;
    bt.regs = own;
    bt.n_regs = 2;
    CU_ASSERT_EQUAL_FATAL(skv_enc_encode_bootstrap(&bt, &p, &len), 0);
    CU_ASSERT_FALSE(allowed(3, SKV_SRC_ADMIN, p, len));
    CU_ASSERT_EQUAL(skv_peer_may_forward(3, SKV_SRC_ADMIN, p, len), 0);
    raft_free(p);
    CU_ASSERT_EQUAL(skv_peer_may_forward(3, SKV_SRC_USER, "\xff\x00poison", 8), -1);
}

static void test_policy_ops(void)
{
    static const char *const ok[] = {"kv.get", "members.add", "members.promote",
                                     "members.remove", "encryption.enable-storage-envelope",
                                     "encryption.enable-raft-envelope",
                                     "encryption.rotate-dek", "encryption.retire",
                                     "encryption.seal-key-names"};
    static const char *const bad[] = {"kv.put", "kv.del", "status", "metrics",
                                      "members.list", "encryption.capability",
                                      "encryption.sidecar", "encryption.erase-cleartext",
                                      "reload", "", "kv.get "};
    char why[200];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        CU_ASSERT_EQUAL(skv_peer_op_allowed(ok[i], 0, why, sizeof why), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(skv_peer_op_allowed(bad[i], 0, why, sizeof why), -1);
    CU_ASSERT_EQUAL(skv_peer_op_allowed("kv.get", SKV_ADMIN_F_LOCAL_READ, why, sizeof why), -1);
    CU_ASSERT_EQUAL(skv_peer_op_allowed("members.add", 0x80, why, sizeof why), -1);
}

/* ---- frame admission -------------------------------------------------- */

struct pending {
    unsigned type;
    uint64_t peer, req_id;
};
static struct pending PENDING = {SKV_FRAME_CAP_RESP, 9, 77};

static int fake_expects(void *arg, unsigned type, uint64_t peer, uint64_t req_id)
{
    const struct pending *p = arg;
    return type == p->type && peer == p->peer && req_id == p->req_id;
}

static struct skv_frame frame(unsigned type, uint64_t from_id, uint64_t req_id)
{
    struct skv_frame f;
    memset(&f, 0, sizeof f);
    f.type = (uint8_t)type;
    f.from_id = from_id;
    f.u.ctl.req_id = req_id; /* every control type starts with req_id */
    if (type == SKV_FRAME_PROPOSE_RESP)
        f.u.propose_resp.req_id = req_id;
    if (type == SKV_FRAME_ADMIN_RESP)
        f.u.admin_resp.req_id = req_id;
    return f;
}

static int admit(const struct skv_peer_view *v, uint64_t from, unsigned type,
                 uint64_t from_id, uint64_t req_id)
{
    struct skv_frame f = frame(type, from_id, req_id);
    const char *detail = NULL;
    int r = skv_peer_admit(v, from, &f, &detail);
    CU_ASSERT_PTR_NOT_NULL(detail);
    return r;
}

static void test_admit(void)
{
    struct raft_configuration conf, empty;
    struct skv_peer_view v = {1, &conf, fake_expects, &PENDING, 0, 0};
    raft_configuration_init(&conf);
    raft_configuration_init(&empty);
    CU_ASSERT_EQUAL(raft_configuration_add(&conf, 1, "a:1", RAFT_VOTER), 0);
    CU_ASSERT_EQUAL(raft_configuration_add(&conf, 2, "a:2", RAFT_VOTER), 0);
    CU_ASSERT_EQUAL(raft_configuration_add(&conf, 3, "a:3", RAFT_STANDBY), 0);

    /* members: every request type passes (handlers answer not-leader) */
    for (unsigned t = SKV_FRAME_RAFT; t <= SKV_FRAME_CAP_REQ; t++)
        if (t != SKV_FRAME_PROPOSE_RESP && t != SKV_FRAME_ADMIN_RESP)
            CU_ASSERT_EQUAL(admit(&v, 3, t, 3, 1), SKV_DROP_NONE);
    /* identity */
    CU_ASSERT_EQUAL(admit(&v, 0, SKV_FRAME_RAFT, 2, 0), SKV_DROP_SENDER_MISMATCH);
    CU_ASSERT_EQUAL(admit(&v, 2, SKV_FRAME_RAFT, 3, 0), SKV_DROP_SENDER_MISMATCH);
    CU_ASSERT_EQUAL(admit(&v, 1, SKV_FRAME_RAFT, 1, 0), SKV_DROP_SENDER_MISMATCH);
    /* non-members */
    for (unsigned t = SKV_FRAME_RAFT; t <= SKV_FRAME_CAP_REQ; t++)
        if (t != SKV_FRAME_PROPOSE_RESP && t != SKV_FRAME_ADMIN_RESP)
            CU_ASSERT_EQUAL(admit(&v, 9, t, 9, 1), SKV_DROP_NOT_MEMBER);
    /* responses: only the pending one, from the peer it was sent to */
    CU_ASSERT_EQUAL(admit(&v, 9, SKV_FRAME_CAP_RESP, 9, 77), SKV_DROP_NONE); /* newcomer */
    CU_ASSERT_EQUAL(admit(&v, 9, SKV_FRAME_CAP_RESP, 9, 78), SKV_DROP_UNEXPECTED_TYPE);
    CU_ASSERT_EQUAL(admit(&v, 2, SKV_FRAME_CAP_RESP, 2, 77), SKV_DROP_LATE_ANSWER);
    CU_ASSERT_EQUAL(admit(&v, 2, SKV_FRAME_PROPOSE_RESP, 2, 5), SKV_DROP_LATE_ANSWER);
    CU_ASSERT_EQUAL(admit(&v, 8, SKV_FRAME_PROPOSE_RESP, 8, 5), SKV_DROP_UNEXPECTED_TYPE);
    PENDING = (struct pending){SKV_FRAME_PROPOSE_RESP, 2, 5};
    CU_ASSERT_EQUAL(admit(&v, 2, SKV_FRAME_PROPOSE_RESP, 2, 5), SKV_DROP_NONE);
    CU_ASSERT_EQUAL(admit(&v, 3, SKV_FRAME_PROPOSE_RESP, 3, 5), SKV_DROP_LATE_ANSWER);
    CU_ASSERT_EQUAL(admit(&v, 2, SKV_FRAME_ADMIN_RESP, 2, 5), SKV_DROP_LATE_ANSWER);
    PENDING = (struct pending){SKV_FRAME_CAP_RESP, 9, 77};

    /* raft_from learned only for non-members */
    CU_ASSERT_FALSE(skv_peer_may_announce(&v, 2));
    CU_ASSERT_FALSE(skv_peer_may_announce(&v, 1));
    CU_ASSERT_TRUE(skv_peer_may_announce(&v, 9));

    /* a node waiting to be added: raft and capability probes from anyone */
    v.conf = &empty;
    CU_ASSERT_EQUAL(admit(&v, 9, SKV_FRAME_RAFT, 9, 0), SKV_DROP_NONE);
    CU_ASSERT_EQUAL(admit(&v, 9, SKV_FRAME_CAP_REQ, 9, 0), SKV_DROP_NONE);
    CU_ASSERT_EQUAL(admit(&v, 9, SKV_FRAME_PROPOSE_REQ, 9, 0), SKV_DROP_UNEXPECTED_TYPE);
    CU_ASSERT_EQUAL(admit(&v, 9, SKV_FRAME_ADMIN_REQ, 9, 0), SKV_DROP_UNEXPECTED_TYPE);
    CU_ASSERT_EQUAL(admit(&v, 8, SKV_FRAME_RAFT, 9, 0), SKV_DROP_SENDER_MISMATCH);
    CU_ASSERT_TRUE(skv_peer_may_announce(&v, 9));
    raft_configuration_close(&conf);
    CU_ASSERT_STRING_EQUAL(skv_drop_reason_name(SKV_DROP_NOT_MEMBER), "not_member");
    CU_ASSERT_STRING_EQUAL(skv_drop_reason_name(SKV_DROP_SECOND_LEADER), "second_leader");
    CU_ASSERT_STRING_EQUAL(skv_frame_type_name(SKV_FRAME_PROPOSE_REQ), "propose_req");
}

/* ---- rate limiter ----------------------------------------------------- */

static void test_ratelimit(void)
{
    struct skv_ratelimit rl;
    uint64_t sup = 0;
    int shared = 0, logged = 0;
    memset(&rl, 0, sizeof rl);
    CU_ASSERT_TRUE(skv_ratelimit_allow(&rl, 5, 1, 1000, &sup, &shared));
    CU_ASSERT_EQUAL(sup, 0);
    for (int i = 0; i < 100; i++)
        CU_ASSERT_FALSE(skv_ratelimit_allow(&rl, 5, 1, 1000 + (uint64_t)i * 10, &sup, &shared));
    CU_ASSERT_TRUE(skv_ratelimit_allow(&rl, 5, 2, 1500, &sup, &shared)); /* other reason */
    CU_ASSERT_TRUE(skv_ratelimit_allow(&rl, 6, 1, 1500, &sup, &shared)); /* other peer */
    CU_ASSERT_TRUE(skv_ratelimit_allow(&rl, 5, 1, 11000, &sup, &shared));
    CU_ASSERT_EQUAL(sup, 100);
    CU_ASSERT_FALSE(shared);
    /* a flood of distinct senders: the table plus one shared line */
    memset(&rl, 0, sizeof rl);
    for (uint64_t id = 1; id <= 1000; id++)
        logged += skv_ratelimit_allow(&rl, id, 3, 50, &sup, &shared);
    CU_ASSERT(logged <= SKV_RATELIMIT_SLOTS + 1);
    CU_ASSERT(logged >= SKV_RATELIMIT_SLOTS - 1);
    CU_ASSERT_TRUE(skv_ratelimit_allow(&rl, 4242, 3, 20000, &sup, &shared));
}

/* One leader per term: a member's leader message in the current term is
 * taken only from the leader this node knows for that term. */
static void test_second_leader(void)
{
    struct raft_configuration conf;
    struct skv_peer_view v = {1, &conf, fake_expects, &PENDING, 7, 2};
    struct skv_frame f = frame(SKV_FRAME_RAFT, 3, 0);
    const char *detail;
    raft_configuration_init(&conf);
    CU_ASSERT_EQUAL(raft_configuration_add(&conf, 1, "a:1", RAFT_VOTER), 0);
    CU_ASSERT_EQUAL(raft_configuration_add(&conf, 2, "a:2", RAFT_VOTER), 0);
    CU_ASSERT_EQUAL(raft_configuration_add(&conf, 3, "a:3", RAFT_VOTER), 0);
    f.u.raft.type = RAFT_IO_APPEND_ENTRIES;
    f.u.raft.append_entries.term = 7;
    CU_ASSERT_EQUAL(skv_peer_admit(&v, 3, &f, &detail), SKV_DROP_SECOND_LEADER);
    f.u.raft.type = RAFT_IO_INSTALL_SNAPSHOT;
    f.u.raft.install_snapshot.term = 7;
    CU_ASSERT_EQUAL(skv_peer_admit(&v, 3, &f, &detail), SKV_DROP_SECOND_LEADER);
    f.u.raft.type = RAFT_IO_TIMEOUT_NOW;
    f.u.raft.timeout_now.term = 7;
    CU_ASSERT_EQUAL(skv_peer_admit(&v, 3, &f, &detail), SKV_DROP_SECOND_LEADER);
    /* the known leader, a higher term, or votes: ordinary raft */
    f.from_id = 2;
    CU_ASSERT_EQUAL(skv_peer_admit(&v, 2, &f, &detail), SKV_DROP_NONE);
    f.from_id = 3;
    f.u.raft.timeout_now.term = 8;
    CU_ASSERT_EQUAL(skv_peer_admit(&v, 3, &f, &detail), SKV_DROP_NONE);
    f.u.raft.type = RAFT_IO_REQUEST_VOTE;
    f.u.raft.request_vote.term = 7;
    CU_ASSERT_EQUAL(skv_peer_admit(&v, 3, &f, &detail), SKV_DROP_NONE);
    /* no known leader (election under way): nothing to compare with */
    v.leader_id = 0;
    f.u.raft.type = RAFT_IO_APPEND_ENTRIES;
    CU_ASSERT_EQUAL(skv_peer_admit(&v, 3, &f, &detail), SKV_DROP_NONE);
    /* this node leads term 7: nobody else may act as leader in it */
    v.leader_id = 1;
    CU_ASSERT_EQUAL(skv_peer_admit(&v, 3, &f, &detail), SKV_DROP_SECOND_LEADER);
    raft_configuration_close(&conf);
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("peer_boundary", NULL, NULL);
    if (!s || !CU_add_test(s, "decode: kv op, tags", test_decode_kv) ||
        !CU_add_test(s, "decode: batch, no-op", test_decode_batch_noop) ||
        !CU_add_test(s, "decode: registration, bootstrap, rotation", test_decode_enc) ||
        !CU_add_test(s, "decode: rotate-dek body", test_decode_rotate) ||
        !CU_add_test(s, "decode: retire body", test_decode_retire) ||
        !CU_add_test(s, "policy: forwarded proposals", test_policy_proposals) ||
        !CU_add_test(s, "policy: forwarded admin ops", test_policy_ops) ||
        !CU_add_test(s, "admission", test_admit) ||
        !CU_add_test(s, "one leader per term", test_second_leader) ||
        !CU_add_test(s, "rate limiter", test_ratelimit)) {
        CU_cleanup_registry();
        return 99;
    }
    return skv_test_run();
}
