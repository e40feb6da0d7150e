/* SPDX-License-Identifier: MIT */
/*
 * leader_watch.c — the leaders this node has seen (leader_watch.h): the
 * change count behind sealkv_raft_leader_changes_total and the leader's
 * advertised commit index behind GET /readyz.
 */
#include "node/leader_watch.h"

void skv_leader_watch_observe(struct skv_leader_watch *w, struct raft *r)
{
    raft_id id = 0;
    const char *addr = NULL;
    raft_leader(r, &id, &addr);
    if (id == 0 || (id == w->id && r->current_term == w->term))
        return;
    w->id = id;
    w->term = r->current_term;
    w->changes++;
}

void skv_leader_watch_append(struct skv_leader_watch *w, uint64_t term,
                             uint64_t leader_commit)
{
    if (term > w->commit_term) {
        w->commit_term = term;
        w->leader_commit = leader_commit;
    } else if (term == w->commit_term && leader_commit > w->leader_commit) {
        w->leader_commit = leader_commit;
    }
}

uint64_t skv_leader_watch_commit(const struct skv_leader_watch *w, struct raft *r)
{
    uint64_t c = r->commit_index;
    if (w->commit_term == r->current_term && w->leader_commit > c)
        c = w->leader_commit;
    return c;
}
