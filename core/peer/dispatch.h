/* SPDX-License-Identifier: MIT */
/*
 * dispatch.h — routes a decoded inbound frame on the loop thread: raft
 * messages to the raft_io adapter, forwarded admin ops to the dispatcher,
 * responses to whoever waits for them. Every frame is decoded with bounds
 * and admitted by peer_filter.h first; refusals are counted in /metrics
 * (sealkv_transport_frames_dropped_total{reason}, sealkv_peer_requests_
 * refused_total{kind,reason}) and logged rate-limited, one grep-able line
 * per sender and reason per 10 s:
 *   peer frame dropped: reason=<r> from=<id>: type=<t>: <detail> (...)
 *   peer request refused: reason=<r> from=<id>: <what>: <detail> (...)
 */
#ifndef SKV_DISPATCH_H
#define SKV_DISPATCH_H

#include "node/node.h"
#include "peer/peer_filter.h"

/* Log kinds of the node's peer_log limiter: enum skv_drop_reason, then: */
enum { SKV_PEER_LOG_OP = SKV_DROP_COUNT_, SKV_PEER_LOG_PROPOSAL };

void skv_dispatch_frame(struct skv_node *n, uint64_t from, const void *data,
                        size_t len);

/* One rate-limited warning about peer `from` (kind: see above):
 * "<what>: reason=<reason> from=<from>: <fmt...> (N similar ...)". */
void skv_dispatch_note(struct skv_node *n, uint64_t from, const char *what,
                       const char *reason, unsigned kind, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

#endif
