/* SPDX-License-Identifier: MIT */
/*
 * wire_raft.h — internal to the wire codec: decode the body of an
 * SKV_FRAME_RAFT frame (wire_raft.c). The public raft encoder and free
 * are declared in wire.h.
 */
#ifndef SKV_WIRE_RAFT_H
#define SKV_WIRE_RAFT_H

#include "wire/wire.h"

struct rd;

/* Decode a raft message body from `r` (sender `from_id`); on failure
 * returns -1 with the message in r->err and nothing left allocated
 * (apart from what skv_wire_raft_message_free releases). Trailing bytes
 * are the caller's check. */
int wire_raft_decode(struct rd *r, struct raft_message *m, uint64_t from_id);

/* Refuse a decoded message whose values no correct peer can send (bounds
 * and relations listed in wire_bounds.c). 0, or -1 with the reason. */
int wire_raft_check(const struct raft_message *m, uint64_t from_id,
                    char *err, size_t errlen);

#endif /* SKV_WIRE_RAFT_H */
