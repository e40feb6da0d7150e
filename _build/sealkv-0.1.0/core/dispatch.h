/*
 * dispatch.h — routes a decoded inbound frame on the loop thread: raft
 * messages to the raft_io adapter, forwarded admin ops to the dispatcher,
 * responses to whoever waits for them. Garbage is logged and dropped.
 */
#ifndef SKV_DISPATCH_H
#define SKV_DISPATCH_H

#include "node.h"

void skv_dispatch_frame(struct skv_node *n, uint64_t from, const void *data,
                        size_t len);

#endif
