/* SPDX-License-Identifier: MIT */
/*
 * leader_watch.h — what this node has seen of the cluster's leaders: the
 * last (term, leader id) it knew, how many times that changed (the
 * metric sealkv_raft_leader_changes_total), and the highest commit index
 * a leader advertised in the current term (AppendEntries' leader_commit).
 * C-Raft caps a follower's own commit index at its last log entry, so a
 * follower far behind looks caught up by its own numbers alone; GET
 * /readyz compares its applied index with what the leader said instead.
 * Loop thread only; plain integers.
 */
#ifndef SKV_LEADER_WATCH_H
#define SKV_LEADER_WATCH_H

#include <raft.h>
#include <stdint.h>

struct skv_leader_watch {
    uint64_t term;            /* term of the last leader seen */
    uint64_t id;              /* the last leader seen (0: none yet) */
    uint64_t changes;         /* a different (term, id) seen, the first included */
    uint64_t commit_term;     /* the term leader_commit was advertised in */
    uint64_t leader_commit;   /* highest leader_commit of that term */
};

/* After anything that can change raft's leader (a received message, a
 * tick): count a new known leader. */
void skv_leader_watch_observe(struct skv_leader_watch *w, struct raft *r);

/* A leader's AppendEntries of `term` advertised `leader_commit`. */
void skv_leader_watch_append(struct skv_leader_watch *w, uint64_t term,
                             uint64_t leader_commit);

/* The commit index this node should have applied: raft's own, or the
 * current term's leader's if higher. */
uint64_t skv_leader_watch_commit(const struct skv_leader_watch *w, struct raft *r);

#endif /* SKV_LEADER_WATCH_H */
