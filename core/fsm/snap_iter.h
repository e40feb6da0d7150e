/* SPDX-License-Identifier: MIT */
/*
 * snap_iter.h — the FULL form of a local snapshot (snap_hdr.h v1/v2: the
 * header, [klen u32 BE][key][vlen u32 BE][value] for every record under
 * the FSM prefixes, then the local snapshot's encryption record), produced
 * piece by piece from the storage view taken with it (snap_view.h), in
 * whatever pieces the caller asks for. Memory stays bounded by the
 * caller's buffer and one storage record, whatever the data set. It is
 * a thin layer over the record producer of backups (snap_stream.h, whole
 * records until at least N bytes): this one hands out exactly the bytes
 * asked for, which a sender announcing its total and chunk offsets needs.
 *
 * Users: the raft_io sending a snapshot to a follower in SNAP_CHUNK
 * frames (raft_io_xfer.c), skv_snap_expand (the whole form in memory, for
 * small snapshots) and any other reader of a consistent full snapshot
 * (snap_stream.h directly: a backup download).
 *
 *   open(view, stored local snapshot) -> next(buf, cap) ... until *n == 0
 *   -> close
 *
 * The view must stay pinned (skv_snap_views_pin) until close. One thread
 * at a time (any thread: reads go only through the view and thread-safe
 * storage calls); every call returns 0 or a RAFT_* code with a message.
 */
#ifndef SKV_SNAP_ITER_H
#define SKV_SNAP_ITER_H

#include <stddef.h>
#include <stdint.h>

#include "fsm/snap_view.h"

struct skv_snap_iter;

/* Open the full form of the stored local snapshot `stored` (v3 bytes,
 * copied) read through `v`. 0 with *out; 1 when `stored` is already a
 * full snapshot (nothing to produce: send it as is); RAFT_BUSY when v is
 * NULL or at another index, or `stored` is an installed spooled snapshot
 * (v4: no view holds it); RAFT_CORRUPT (bad header), RAFT_NOMEM. */
int skv_snap_iter_open(const struct skv_storage_ops *st, void *db, const struct skv_snap_view *v,
                       const uint8_t *stored, size_t stored_len, struct skv_snap_iter **out,
                       char *errmsg, size_t errlen);
/* The next up to `cap` bytes into buf (cap > 0): 0 with *n (*n < cap only
 * at the end; 0 once everything was produced), or RAFT_IOERR. */
int skv_snap_iter_next(struct skv_snap_iter *it, uint8_t *buf, size_t cap, size_t *n,
                       char *errmsg, size_t errlen);
/* 1 when every byte was produced (the next call would give 0), 0 when
 * more follow, -1 (RAFT_IOERR's message in errmsg): looks ahead at most
 * one record. */
int skv_snap_iter_at_end(struct skv_snap_iter *it, char *errmsg, size_t errlen);
/* Bytes produced so far. */
uint64_t skv_snap_iter_pos(const struct skv_snap_iter *it);
void skv_snap_iter_close(struct skv_snap_iter *it);

/* The full form's size without producing it (a pass over the view that
 * reads every record): same returns as skv_snap_iter_open, plus
 * RAFT_IOERR from the pass. */
int skv_snap_full_size(const struct skv_storage_ops *st, void *db, const struct skv_snap_view *v,
                       const uint8_t *stored, size_t stored_len, uint64_t *size, char *errmsg,
                       size_t errlen);

#endif
