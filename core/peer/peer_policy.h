/* SPDX-License-Identifier: MIT */
/*
 * peer_policy.h — what another node may ask this one to do (docs/
 * SECURITY.md "Peer frames"). Content rules for the two request frames a
 * follower sends its leader; the frame-level rules (who may send which
 * frame type) are peer_filter.h's.
 *
 * Forwarded proposal (PROPOSE_REQ), decoded first with skv_cmd_decode:
 *   0x00 KV op          source user (admin_ops.c kv.put / kv.del)
 *   0x06 CAS op         source user (admin_ops.c kv.put / kv.del with a
 *                       condition)
 *   0x02 no-op          source admin (erase.c)
 *   0x03 registration   source admin, every entry for the sender's own
 *                       node id (enc_ops.c start-up registration); the
 *                       FSM halts a node whose registration is refused,
 *                       so a peer must never register another node
 *   0x01, 0x04, 0x05    refused: no follower code path forwards a batch,
 *                       the bootstrap, the phase flags and rotate-dek are
 *                       built on the leader only (a deposed leader does not forward
 *                       them either: skv_peer_may_forward)
 *   anything else       refused by the decoder
 * Forwarded admin op (ADMIN_REQ): only the ops admin_ops.c runs on the
 * leader (kv.get without ?consistency=local, members.add / promote /
 * remove, encryption.enable-storage-envelope / enable-raft-envelope /
 * rotate-dek),
 * with no flag bits other than the defined ones. ANY_NODE ops are never
 * forwarded, so a peer asking for one is refused.
 */
#ifndef SKV_PEER_POLICY_H
#define SKV_PEER_POLICY_H

#include <stddef.h>
#include <stdint.h>

struct skv_cmd;

/* May `from` forward this decoded proposal with this source? 0, or -1
 * with the reason in why. */
int skv_peer_proposal_allowed(uint64_t from, uint32_t source,
                              const struct skv_cmd *c, char *why,
                              size_t whylen);

/* The follower side of the same rule: would the leader accept this
 * payload from `self`? 1 yes, 0 no (it is then answered locally instead
 * of forwarded), -1 undecodable. */
int skv_peer_may_forward(uint64_t self, uint32_t source, const void *payload,
                         size_t len);

/* May a peer ask for admin op `op` with `flags`? 0, or -1 with why. */
int skv_peer_op_allowed(const char *op, uint32_t flags, char *why,
                        size_t whylen);

#endif /* SKV_PEER_POLICY_H */
