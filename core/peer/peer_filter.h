/* SPDX-License-Identifier: MIT */
/*
 * peer_filter.h — admission of an inbound frame (docs/SECURITY.md "Peer
 * frames"). `from` is the transport's id for the sender: the id the peer
 * proved when the transport reports SKV_TRANSPORT_SEC_AUTHENTICATED, only
 * a claim otherwise. A decoded frame is admitted iff:
 *   1. from != 0, from != this node, and the frame's from_id == from
 *      (else sender_mismatch);
 *   2. a response (PROPOSE_RESP, ADMIN_RESP, CAP_RESP) answers a request
 *      this node sent to that same peer and still waits for: the req_id
 *      belongs to `from` (else late_answer from a member — a duplicate
 *      or a timed-out request, normal — and unexpected_type from anyone
 *      else). This is also how a newcomer's CAP_RESP passes before it is
 *      a member: the leader is probing it;
 *   3. any other frame comes from a member of the local raft
 *      configuration, the latest one including an uncommitted change
 *      (else not_member) — except while that configuration is empty: a
 *      node started to be added has no configuration until the leader's
 *      first AppendEntries / InstallSnapshot reaches it, so it must take
 *      RAFT, SNAP_CHUNK and CAP_REQ frames from a node it cannot check
 *      yet (chunks only fill the one assembly buffer the InstallSnapshot
 *      that completes them must match, raft_io_xfer.c). It can
 *      lose nothing doing so (no data, no keys yet), and with an
 *      authenticated transport only a holder of a cluster certificate
 *      gets that far. PROPOSE_REQ / ADMIN_REQ are never taken then: a
 *      node without a configuration is not a leader (unexpected_type).
 *   4. a leader's message (AppendEntries, InstallSnapshot, TimeoutNow, a
 *      snapshot chunk) at
 *      this node's current term comes from the leader this node already
 *      knows for that term, if it knows one (else second_leader). Raft
 *      elects at most one leader per term, so a second sender of leader
 *      messages in the same term is forged: an authenticated member that
 *      claims leadership in the current term cannot make a follower
 *      append its entries (a higher term is an ordinary election).
 * PROPOSE_REQ / ADMIN_REQ from a member reach their handlers, which
 * answer not-leader on a follower and apply peer_policy.h on the leader.
 * Undecodable frames are dropped as malformed before any of this.
 */
#ifndef SKV_PEER_FILTER_H
#define SKV_PEER_FILTER_H

#include <raft.h>
#include <stdint.h>

#include "wire/wire.h"

enum skv_drop_reason {
    SKV_DROP_NONE = 0,
    SKV_DROP_MALFORMED,        /* the codec refused it (bounds included) */
    SKV_DROP_SENDER_MISMATCH,  /* from_id != transport id, 0 or our own */
    SKV_DROP_NOT_MEMBER,       /* sender not in the configuration */
    SKV_DROP_UNEXPECTED_TYPE,  /* a frame type this peer may not send now */
    SKV_DROP_LATE_ANSWER,      /* a member's answer to a request that timed
                                  out or was already answered (normal: a
                                  resent probe, a timeout) — debug log only */
    SKV_DROP_SECOND_LEADER,    /* leader message in the current term from
                                  someone other than the known leader */
    SKV_DROP_STORE_CHANGED,    /* a member's store identity changed: it came
                                  back blank under its old id (peer_ident.h) */
    SKV_DROP_INBOX_FULL,       /* the node's inbox held SKV_INBOX_MAX_BYTES of
                                  frames its loop had not drained (inbox.c) */
    SKV_DROP_COUNT_
};

/* "malformed", "sender_mismatch", "not_member", "unexpected_type",
 * "late_answer", "second_leader". */
const char *skv_drop_reason_name(int reason);
/* "raft", "propose_req", ... (lower case; "type_N" for others). */
const char *skv_frame_type_name(unsigned type);

/* What the filter needs to know about this node. */
struct skv_peer_view {
    uint64_t self_id;
    const struct raft_configuration *conf; /* latest, incl. uncommitted */
    /* 1 if this node waits for a `resp_type` answer to req_id from peer */
    int (*expects)(void *arg, unsigned resp_type, uint64_t peer,
                   uint64_t req_id);
    void *arg;
    uint64_t term;      /* this node's current raft term */
    uint64_t leader_id; /* leader known for `term` (this node's id when it
                           leads), 0 if none */
};

/* SKV_DROP_NONE or the reason; *detail says more (static string). */
int skv_peer_admit(const struct skv_peer_view *v, uint64_t from,
                   const struct skv_frame *f, const char **detail);

/* May a RAFT frame's sender address (raft_from) be learned? Only for a
 * sender outside the configuration (a leader seen by a joining node):
 * the address of a configured member comes from the configuration and
 * no frame can redirect it. */
int skv_peer_may_announce(const struct skv_peer_view *v, uint64_t from);

/* The answers this node waits for (used by dispatch.c's view): a
 * forwarded proposal (propose.c), a forwarded admin op (forward.c), a
 * capability probe (capability.c); each 1 iff req_id was sent to peer
 * and is still pending. */
struct skv_node;
int skv_propose_expects(struct skv_node *n, uint64_t peer, uint64_t req_id);
int skv_forward_expects(struct skv_node *n, uint64_t peer, uint64_t req_id);
int skv_cap_expects(struct skv_node *n, uint64_t peer, uint64_t req_id);

#endif /* SKV_PEER_FILTER_H */
