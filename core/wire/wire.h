/* SPDX-License-Identifier: MIT */
/*
 * wire.h — the node-to-node frame codec: every C-Raft message type plus
 * the core's control RPCs (forwarded proposal, forwarded admin op,
 * capability probe). Versioned and length-checked; decoding never trusts a
 * length field and never crashes on garbage.
 *
 * Frame = header(16) + body:
 *   [u8 'S'][u8 'K'][u8 version=1][u8 type][u32 body_len LE][u64 from_id LE]
 * or, RAFT frames only, header(32) + body (version 2):
 *   the same 16 bytes with version=2, then the sender's 16-byte store
 *   identity (store_ident.h; peers refuse a member whose identity changed,
 *   peer_ident.c). Both versions decode; nodes send version 2 raft frames.
 * All integers little-endian. The transport delivers frames whole.
 */
#ifndef SKV_WIRE_H
#define SKV_WIRE_H

#include <raft.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define SKV_WIRE_VERSION 1
#define SKV_WIRE_HDR_LEN 16
#define SKV_WIRE_VERSION_IDENT 2
#define SKV_WIRE_IDENT_LEN 16
#define SKV_WIRE_MAX_ADDRESS 1024u
#define SKV_WIRE_MAX_BODY (64u * 1024u * 1024u - SKV_WIRE_HDR_LEN)

/*
 * Bounds on the values a raft message may carry (checked at decode by
 * wire_bounds.c; a message outside them is refused, never given to
 * C-Raft). They are far beyond anything a real cluster reaches, and far
 * enough below 2^64 that no `term + 1` or `index + n` in C-Raft or here
 * can wrap:
 *   term  <= 2^48: a term grows by one per election, and an election
 *         takes at least one election timeout (>= 1 ms even in tests):
 *         2^48 elections are ~8900 years of back-to-back elections.
 *   index <= 2^62: one index per committed entry; at a billion entries a
 *         second that is ~146 years, and 4x headroom stays below 2^64.
 * A RequestVote with term 2^64-1 (which would leave every node unable to
 * ever win an election) is therefore dropped at decode.
 */
#define SKV_WIRE_MAX_TERM (1ull << 48)
#define SKV_WIRE_MAX_INDEX (1ull << 62)

enum skv_frame_type {
    SKV_FRAME_RAFT = 1,          /* struct raft_message */
    SKV_FRAME_PROPOSE_REQ = 2,   /* follower → leader: forwarded proposal */
    SKV_FRAME_PROPOSE_RESP = 3,
    SKV_FRAME_ADMIN_REQ = 4,     /* follower → leader: forwarded admin op */
    SKV_FRAME_ADMIN_RESP = 5,
    SKV_FRAME_CAP_REQ = 6,       /* leader → any: capability probe */
    SKV_FRAME_CAP_RESP = 7,
    /* 8 and 9 are reserved (a read-index RPC that was never handled):
     * the decoder refuses them, the encoder does not produce them. */
    SKV_FRAME_READ_REQ = 8,
    SKV_FRAME_READ_RESP = 9,
    SKV_FRAME_SNAP_CHUNK = 10    /* leader → follower: a slice of a snapshot */
};
#define SKV_FRAME_LAST_ACCEPTED SKV_FRAME_SNAP_CHUNK

/* A byte slice; in decoded frames it points INTO the input buffer. */
struct skv_slice {
    const uint8_t *p;
    size_t len;
};

/* Forwarded proposal. `source`: 0 user, 1 admin. */
struct skv_fwd_propose {
    uint64_t req_id;
    uint32_t source;
    struct skv_slice payload;  /* FSM payload (unwrapped form) */
};
struct skv_fwd_propose_resp {
    uint64_t req_id;
    int32_t rc;                /* enum skv_rc */
    uint64_t index;            /* log index on success; ErrCompareFailed: the
                                  key's current mod index (intake.h) */
    uint64_t leader_id;        /* hint when rc says "not leader" */
    struct skv_slice error;    /* error name, may be empty */
    struct skv_slice message;  /* may be empty */
};

/* Forwarded admin op / control request with a JSON or binary payload. */
struct skv_fwd_admin {
    uint64_t req_id;
    uint32_t flags;
    struct skv_slice op, arg, body, json;
};
struct skv_fwd_admin_resp {
    uint64_t req_id;
    int32_t rc;
    int32_t status;
    int32_t retry_after_s;
    struct skv_slice error, message, json, body;
};

/* Capability probe: the request carries req_id and a JSON object, the
 * response the capability report. `value` is unused (0). */
struct skv_ctl_simple {
    uint64_t req_id;
    int32_t rc;
    uint64_t value;            /* read index */
    struct skv_slice json;     /* capability report */
};

/* A slice of the data of an InstallSnapshot too big for one frame
 * (raft_io_xfer.c): the slices go in order, offset 0 first, then the
 * InstallSnapshot itself with empty data, which the receiver completes
 * with the slices it assembled for the same term, index and last term.
 * Bounds checked at decode: 0 < data.len, offset + data.len <= total <=
 * SKV_WIRE_MAX_SNAPSHOT. */
#define SKV_WIRE_MAX_SNAPSHOT (64ull << 30)
/* `total` of a chunk whose sender does not know the size yet (a snapshot
 * made while it is sent): "at most SKV_WIRE_MAX_SNAPSHOT". The chunk that
 * ends the data carries the exact total (offset + data.len == total);
 * the receiver takes an InstallSnapshot only once that chunk came. */
#define SKV_WIRE_SNAP_TOTAL_OPEN SKV_WIRE_MAX_SNAPSHOT
struct skv_snap_chunk {
    uint64_t term, last_index, last_term; /* the InstallSnapshot's */
    uint64_t total;                       /* the whole data's length */
    uint64_t offset;                      /* of this slice */
    struct skv_slice data;
};

struct skv_frame {
    uint8_t type;              /* enum skv_frame_type */
    uint64_t from_id;
    int has_ident;             /* version 2 raft frame: store_ident is set */
    uint8_t store_ident[SKV_WIRE_IDENT_LEN];
    /* SKV_FRAME_RAFT only: the sender's raft address ("host:port", may be
     * empty), so a node that has no configuration yet (a joining member)
     * can answer. Points into the input buffer. */
    struct skv_slice raft_from;
    union {
        struct raft_message raft;   /* see ownership note below */
        struct skv_fwd_propose propose;
        struct skv_fwd_propose_resp propose_resp;
        struct skv_fwd_admin admin;
        struct skv_fwd_admin_resp admin_resp;
        struct skv_ctl_simple ctl;
        struct skv_snap_chunk chunk;
    } u;
};

/* Turn the version-1 raft frame that is the whole of `b` into version 2
 * carrying the sender's store identity. 0, or -1 (not a v1 raft frame,
 * out of memory). */
int skv_wire_stamp_ident(struct skv_buf *b, const uint8_t ident[SKV_WIRE_IDENT_LEN]);

/* Output buffers are struct skv_buf (util/buf.h; free with skv_buf_free). */

/* Encoders append one whole frame (header + body) to `out`. Return 0, or
 * -1 on allocation failure / too large (message in err). */
int skv_wire_encode_raft(struct skv_buf *out, uint64_t from_id,
                         const struct raft_message *m, char *err,
                         size_t errlen);
/* Same, announcing the sender's raft address (NULL = none). A raft frame
 * body is [addr_len u32][addr][message]. */
int skv_wire_encode_raft_from(struct skv_buf *out, uint64_t from_id,
                              const char *from_address,
                              const struct raft_message *m, char *err,
                              size_t errlen);
int skv_wire_encode_propose(struct skv_buf *out, uint64_t from_id,
                            const struct skv_fwd_propose *m);
int skv_wire_encode_propose_resp(struct skv_buf *out, uint64_t from_id,
                                 const struct skv_fwd_propose_resp *m);
int skv_wire_encode_admin(struct skv_buf *out, uint64_t from_id,
                          const struct skv_fwd_admin *m);
int skv_wire_encode_admin_resp(struct skv_buf *out, uint64_t from_id,
                               const struct skv_fwd_admin_resp *m);
int skv_wire_encode_ctl(struct skv_buf *out, uint64_t from_id,
                        uint8_t type, const struct skv_ctl_simple *m);
int skv_wire_encode_snap_chunk(struct skv_buf *out, uint64_t from_id,
                               const struct skv_snap_chunk *m);

/*
 * Decode one frame. Returns 0 or -1 with a message (truncated, oversized,
 * bad magic/version/type, inconsistent counts...).
 *
 * Ownership for SKV_FRAME_RAFT: the decoded raft_message follows C-Raft's
 * recv contract — for RAFT_IO_APPEND_ENTRIES, `entries` is a raft_malloc'd
 * array and all entry payloads live in ONE raft_malloc'd batch buffer
 * referenced by every entry's `batch` field; for RAFT_IO_INSTALL_SNAPSHOT,
 * `data.base` and `conf` are raft_malloc'd. On success these are handed to
 * raft via recv_cb (raft frees them); if the caller drops the message
 * instead it must call skv_wire_raft_message_free(). All other frame
 * types point into `buf`.
 * Details: `batch` is non-NULL whenever n_entries > 0 (raft's
 * entryBatchesDestroy asserts it), a zero-length entry has buf.base NULL;
 * snapshot `data.base` is non-NULL even when data.len is 0. server_id is
 * the frame's from_id and server_address is NULL: the receiver fills it
 * in (raft copies it) before recv_cb. Entry count, configuration size
 * (1024 servers, 1024-byte addresses) and every length are checked
 * against the bytes present before anything is allocated. Decoded raft
 * messages are then checked against the value bounds above (terms,
 * indexes, their relations, configurations: see wire_bounds.c); frame
 * types 8/9 (reserved) are refused.
 */
int skv_wire_decode(const void *buf, size_t len, struct skv_frame *out,
                    char *err, size_t errlen);
void skv_wire_raft_message_free(struct raft_message *m);

#endif /* SKV_WIRE_H */
