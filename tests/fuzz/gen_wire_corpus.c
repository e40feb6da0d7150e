/* SPDX-License-Identifier: MIT */
/*
 * gen_wire_corpus.c — writes one valid frame of every type into a
 * directory, as seeds for fuzz_wire. Not part of the build:
 *   cc -Iabi -Icore tests/fuzz/gen_wire_corpus.c core/wire/wire.c \
 *      core/wire/wire_raft.c core/wire/wire_bounds.c core/util/buf.c -lraft \
 *      -o /tmp/gen && \
 *      /tmp/gen tests/fuzz/corpus/wire
 * Besides one valid frame per type it writes the value-bound edges (see
 * SKV_WIRE_MAX_TERM / _INDEX): *_max seeds decode, *_over seeds are
 * refused (raft_vote_term_u64max is issue #11's attack 4), so mutations
 * explore both sides of every bound. Frame types 8/9 are refused:
 * reserved_type8 is a CAP_REQ body under type 8.
 */
#include "wire/wire.h"

#include <stdio.h>
#include <string.h>

static int save(const char *dir, const char *name, struct skv_buf *wb)
{
    char path[512];
    FILE *fp;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fp = fopen(path, "wb");
    if (!fp || fwrite(wb->p, 1, wb->len, fp) != wb->len || fclose(fp) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }
    wb->len = 0;
    return 0;
}

static int raft_seeds(const char *dir, struct skv_buf *wb)
{
    static const char *names[] = {"", "raft_append", "raft_append_result",
                                  "raft_vote", "raft_vote_result",
                                  "raft_snapshot", "raft_timeout_now"};
    char payload[64] = "set k v", err[128];
    struct raft_entry e[3] = {
        {2, RAFT_COMMAND, {payload, 7}, NULL},
        {2, RAFT_BARRIER, {NULL, 0}, NULL},
        {3, RAFT_CHANGE, {payload, sizeof payload}, NULL}};
    struct raft_configuration c;
    int bad = 0;
    raft_configuration_init(&c);
    raft_configuration_add(&c, 1, "127.0.0.1:7101", RAFT_VOTER);
    raft_configuration_add(&c, 2, "127.0.0.1:7102", RAFT_STANDBY);
    raft_configuration_add(&c, 3, "127.0.0.1:7103", RAFT_SPARE);
    for (unsigned t = RAFT_IO_APPEND_ENTRIES; t <= RAFT_IO_TIMEOUT_NOW; t++) {
        struct raft_message m;
        memset(&m, 0, sizeof m);
        m.type = (unsigned short)t;
        m.request_vote.term = 5;
        if (t == RAFT_IO_REQUEST_VOTE) {
            m.request_vote.pre_vote = true;
            m.request_vote.candidate_id = 1; /* the sender */
        }
        if (t == RAFT_IO_APPEND_ENTRIES) {
            m.append_entries.entries = e;
            m.append_entries.n_entries = 3;
        }
        if (t == RAFT_IO_INSTALL_SNAPSHOT) {
            m.install_snapshot.conf = c;
            m.install_snapshot.last_index = 10;
            m.install_snapshot.last_term = 5;
            m.install_snapshot.conf_index = 1;
            m.install_snapshot.data.base = payload;
            m.install_snapshot.data.len = 16;
        }
        if (skv_wire_encode_raft(wb, 1, &m, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            bad = 1;
        } else {
            bad |= save(dir, names[t], wb);
        }
    }
    raft_configuration_close(&c);
    return bad;
}

/* One request vote / append entries at and just past the value bounds. */
static int bound_seeds(const char *dir, struct skv_buf *wb)
{
    static const struct {
        const char *name;
        unsigned long long term, index, lterm;
    } rv[] = {{"raft_vote_max", SKV_WIRE_MAX_TERM, SKV_WIRE_MAX_INDEX, 1},
              {"raft_vote_term_over", SKV_WIRE_MAX_TERM + 1, 1, 1},
              {"raft_vote_term_u64max", UINT64_MAX, 1, 1},
              {"raft_vote_index_over", 5, SKV_WIRE_MAX_INDEX + 1, 1},
              {"raft_append_max", SKV_WIRE_MAX_TERM, SKV_WIRE_MAX_INDEX, 1},
              {"raft_append_index_over", 5, SKV_WIRE_MAX_INDEX + 1, 1},
              {"raft_append_prevterm_over", 5, 9, 6}};
    char err[128];
    int bad = 0;
    for (size_t i = 0; i < sizeof rv / sizeof rv[0]; i++) {
        struct raft_message m;
        memset(&m, 0, sizeof m);
        if (strncmp(rv[i].name, "raft_vote", 9) == 0) {
            m.type = RAFT_IO_REQUEST_VOTE;
            m.request_vote.term = rv[i].term;
            m.request_vote.candidate_id = 1;
            m.request_vote.last_log_index = rv[i].index;
            m.request_vote.last_log_term = rv[i].lterm;
        } else {
            m.type = RAFT_IO_APPEND_ENTRIES;
            m.append_entries.term = rv[i].term;
            m.append_entries.prev_log_index = rv[i].index;
            m.append_entries.prev_log_term = rv[i].lterm;
            m.append_entries.leader_commit = rv[i].index;
        }
        if (skv_wire_encode_raft(wb, 1, &m, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            bad = 1;
        } else {
            bad |= save(dir, rv[i].name, wb);
        }
    }
    return bad;
}

int main(int argc, char **argv)
{
    struct skv_buf wb = {0};
    const char *dir = argc > 1 ? argv[1] : ".";
    const uint8_t js[] = "{\"ok\":true}";
    struct skv_slice j = {js, sizeof js - 1}, k = {js + 2, 2};
    struct skv_fwd_propose p = {1, 0, j};
    struct skv_fwd_propose_resp pr = {1, 0, 42, 2, k, j};
    struct skv_fwd_admin a = {2, 0, k, k, j, j};
    struct skv_fwd_admin_resp ar = {2, 0, 200, 0, k, k, j, j};
    struct skv_ctl_simple c = {3, 0, 9, j};
    struct skv_snap_chunk sc = {4, 120, 3, 64, 8, j};
    int bad = raft_seeds(dir, &wb) || bound_seeds(dir, &wb);
    bad |= skv_wire_encode_propose(&wb, 2, &p) || save(dir, "propose", &wb);
    bad |= skv_wire_encode_propose_resp(&wb, 1, &pr) ||
           save(dir, "propose_resp", &wb);
    bad |= skv_wire_encode_admin(&wb, 2, &a) || save(dir, "admin", &wb);
    bad |= skv_wire_encode_admin_resp(&wb, 1, &ar) ||
           save(dir, "admin_resp", &wb);
    bad |= skv_wire_encode_ctl(&wb, 1, SKV_FRAME_CAP_REQ, &c) ||
           save(dir, "cap_req", &wb);
    bad |= skv_wire_encode_snap_chunk(&wb, 1, &sc) || save(dir, "snap_chunk", &wb);
    bad |= skv_wire_encode_ctl(&wb, 2, SKV_FRAME_CAP_REQ, &c);
    if (!bad)
        wb.p[3] = SKV_FRAME_READ_REQ; /* reserved: refused at decode */
    bad |= bad || save(dir, "reserved_type8", &wb);
    skv_buf_free(&wb);
    return bad;
}
