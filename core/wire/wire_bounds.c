/* SPDX-License-Identifier: MIT */
/*
 * wire_bounds.c — owns the value checks of decoded raft messages (internal
 * to the wire codec; see SKV_WIRE_MAX_TERM / SKV_WIRE_MAX_INDEX in
 * wire.h). wire_raft.c decodes the bytes; this file refuses what no
 * correct C-Raft 0.15 peer can send, before C-Raft ever sees it:
 *
 *   every message   term <= MAX_TERM, index fields <= MAX_INDEX;
 *                   requests (vote, append, snapshot, timeout-now): term >= 1
 *   request vote    candidate_id == frame sender; last_log_term <= term;
 *                   last_log_index == 0 <=> last_log_term == 0
 *   append entries  prev_log_term <= term; prev_log_index == 0 <=>
 *                   prev_log_term == 0; prev_log_index + n <= MAX_INDEX;
 *                   entry terms in [max(1, prev_log_term), term] and
 *                   non-decreasing (Raft's log invariant)
 *   install snap.   last_index >= 1; 1 <= last_term <= term;
 *                   conf_index <= last_index; configuration non-empty with
 *                   at least one voter, no id 0, no duplicate id (ids and
 *                   duplicates are also refused while decoding)
 *   timeout now     last_log_term <= term; last_log_index == 0 <=>
 *                   last_log_term == 0
 */
#include "wire/wire_raft.h"
#include "wire/wire_prim.h"

#define BAD(...) fail(err, errlen, __VA_ARGS__)

static int term_ok(unsigned long long t, int request)
{
    return t <= SKV_WIRE_MAX_TERM && (!request || t >= 1);
}

static int index_ok(unsigned long long i)
{
    return i <= SKV_WIRE_MAX_INDEX;
}

/* (index, term) of a log position: both zero or both set, term <= cur. */
static int pos_ok(unsigned long long index, unsigned long long term,
                  unsigned long long cur)
{
    return index_ok(index) && term <= cur && (index == 0) == (term == 0);
}

static int check_vote(const struct raft_request_vote *rv, uint64_t from,
                      char *err, size_t errlen)
{
    if (!term_ok(rv->term, 1))
        return BAD("request vote: term %llu out of range", rv->term);
    if (rv->candidate_id != from)
        return BAD("request vote: candidate %llu is not the sender %llu",
                   rv->candidate_id, (unsigned long long)from);
    if (!pos_ok(rv->last_log_index, rv->last_log_term, rv->term))
        return BAD("request vote: impossible last log (index %llu, term "
                   "%llu) at term %llu", rv->last_log_index,
                   rv->last_log_term, rv->term);
    return 0;
}

static int check_append(const struct raft_append_entries *ae, char *err,
                        size_t errlen)
{
    unsigned long long floor = ae->prev_log_term ? ae->prev_log_term : 1;
    if (!term_ok(ae->term, 1))
        return BAD("append entries: term %llu out of range", ae->term);
    if (!pos_ok(ae->prev_log_index, ae->prev_log_term, ae->term) ||
        ae->n_entries > SKV_WIRE_MAX_INDEX - ae->prev_log_index)
        return BAD("append entries: impossible previous entry (index %llu, "
                   "term %llu) at term %llu", ae->prev_log_index,
                   ae->prev_log_term, ae->term);
    if (!index_ok(ae->leader_commit))
        return BAD("append entries: commit index %llu out of range",
                   ae->leader_commit);
    for (unsigned i = 0; i < ae->n_entries; i++) {
        unsigned long long t = ae->entries[i].term;
        if (t < floor || t > ae->term)
            return BAD("append entries: entry %u has term %llu outside "
                       "[%llu, %llu]", i, t, floor, ae->term);
        floor = t;
    }
    return 0;
}

static int check_conf(const struct raft_configuration *c, char *err,
                      size_t errlen)
{
    unsigned voters = 0;
    if (c->n == 0)
        return BAD("install snapshot: empty configuration");
    for (unsigned i = 0; i < c->n; i++) {
        if (c->servers[i].id == 0)
            return BAD("install snapshot: server id 0 in configuration");
        for (unsigned k = 0; k < i; k++)
            if (c->servers[k].id == c->servers[i].id)
                return BAD("install snapshot: server %llu twice in "
                           "configuration", c->servers[i].id);
        voters += c->servers[i].role == RAFT_VOTER;
    }
    return voters ? 0 : BAD("install snapshot: configuration has no voter");
}

static int check_snapshot(const struct raft_install_snapshot *is, char *err,
                          size_t errlen)
{
    if (!term_ok(is->term, 1))
        return BAD("install snapshot: term %llu out of range", is->term);
    if (is->last_index == 0 || !pos_ok(is->last_index, is->last_term, is->term))
        return BAD("install snapshot: impossible last entry (index %llu, "
                   "term %llu) at term %llu", is->last_index, is->last_term,
                   is->term);
    if (is->conf_index > is->last_index)
        return BAD("install snapshot: configuration index %llu above the "
                   "snapshot's last index %llu", is->conf_index,
                   is->last_index);
    return check_conf(&is->conf, err, errlen);
}

int wire_raft_check(const struct raft_message *m, uint64_t from, char *err,
                    size_t errlen)
{
    switch (m->type) {
    case RAFT_IO_REQUEST_VOTE:
        return check_vote(&m->request_vote, from, err, errlen);
    case RAFT_IO_REQUEST_VOTE_RESULT:
        return term_ok(m->request_vote_result.term, 0)
                   ? 0
                   : BAD("vote result: term %llu out of range",
                         m->request_vote_result.term);
    case RAFT_IO_APPEND_ENTRIES:
        return check_append(&m->append_entries, err, errlen);
    case RAFT_IO_APPEND_ENTRIES_RESULT: {
        const struct raft_append_entries_result *r = &m->append_entries_result;
        if (!term_ok(r->term, 0) || !index_ok(r->rejected) ||
            !index_ok(r->last_log_index))
            return BAD("append result: term %llu / rejected %llu / last "
                       "index %llu out of range", r->term, r->rejected,
                       r->last_log_index);
        return 0;
    }
    case RAFT_IO_INSTALL_SNAPSHOT:
        return check_snapshot(&m->install_snapshot, err, errlen);
    case RAFT_IO_TIMEOUT_NOW:
        if (!term_ok(m->timeout_now.term, 1) ||
            !pos_ok(m->timeout_now.last_log_index,
                    m->timeout_now.last_log_term, m->timeout_now.term))
            return BAD("timeout now: impossible term %llu / last log (index "
                       "%llu, term %llu)", m->timeout_now.term,
                       m->timeout_now.last_log_index,
                       m->timeout_now.last_log_term);
        return 0;
    default:
        return BAD("unknown raft message type %u", m->type);
    }
}
