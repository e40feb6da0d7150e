/* SPDX-License-Identifier: MIT */
/*
 * snap_hdr.h — the FSM snapshot header (DESIGN.md §5 "Snapshots carry the
 * boundary"). Big-endian integers.
 *
 *   v1: "SKVSNAP1" [applied u64]                       (before cutover)
 *   v2: "SKVSNAP2" [hlen u16][cutover u64][hlen-8 more bytes, skipped]
 *       [applied u64]                                  (forever after)
 *   v3: "SKVSNAP3" [hlen u16][cutover u64][hlen-8 more bytes, skipped]
 *       [applied u64]     a LOCAL snapshot (docs/PERFORMANCE.md): its
 *       body holds no key space (that stays in the store, at `applied` or
 *       later), only the encryption record; cutover 0 = before cutover.
 *       Never sent: a follower gets the v1/v2 form made from the storage
 *       view taken with it (fsm/snap_view.h). Builds before v3 refuse it.
 *   v4: "SKVSNAP4" [hlen u16][cutover u64][hlen-8 more bytes, skipped]
 *       [applied u64][spool reference, SKV_SPOOL_REF_LEN bytes]  a FULL
 *       snapshot installed from a leader whose bytes stay in the node's
 *       spool file (raftio/snap_spool.h) until restored: what C-Raft
 *       stores and restores for a big install. Never sent either; a
 *       frame from a peer carrying v3 or v4 data is refused (raft_io).
 *
 * v1 and v2 are FULL snapshots: the header, then every FSM record.
 * Readers skip unknown trailing header fields (hlen > 8); an unknown
 * "SKVSNAP<x>" version is refused; v2 with cutover 0 is refused (v2 means
 * "after cutover"). Pure functions: the fuzz target calls them directly.
 */
#ifndef SKV_SNAP_HDR_H
#define SKV_SNAP_HDR_H

#include <stddef.h>
#include <stdint.h>

#define SKV_SNAP_HDR_MAX 26   /* the longest header this build writes */

struct skv_snap_hdr {
    int version;           /* 1, 2, 3 (local) or 4 (spooled install) */
    uint64_t cutover;      /* 0 for v1 (unknown: written before cutover) */
    uint64_t applied;      /* FSM applied index the snapshot covers */
    size_t body_off;       /* first record byte */
};

/* 0, or -1 with a message (short, no magic, unknown version, bad hlen,
 * v2 with cutover 0). */
int skv_snap_hdr_parse(const uint8_t *p, size_t len, struct skv_snap_hdr *h,
                       char *err, size_t errlen);

/* Write the header of a full snapshot for `cutover` (0 → v1, else v2);
 * returns its length. */
size_t skv_snap_hdr_write(uint8_t out[SKV_SNAP_HDR_MAX], uint64_t cutover,
                          uint64_t applied);
/* Write the header of a local snapshot (v3); returns its length. */
size_t skv_snap_hdr_write_local(uint8_t out[SKV_SNAP_HDR_MAX], uint64_t cutover,
                                uint64_t applied);

/* Write the header of a spooled install's reference (v4); returns its
 * length (the spool reference follows). */
size_t skv_snap_hdr_write_spooled(uint8_t out[SKV_SNAP_HDR_MAX], uint64_t cutover,
                                  uint64_t applied);

#endif
