/* SPDX-License-Identifier: MIT */
/*
 * snap_stream.h — the FULL snapshot form (snap_hdr.h v1/v2, then every
 * record under the FSM prefixes, then the encryption record) produced
 * piece by piece from a storage view, in bounded memory: the producer
 * behind `sealkv snapshot save` (admin/backup.c). The bytes are exactly
 * what skv_snap_expand makes in one buffer.
 *
 * Ownership and threads: the stream holds a storage iterator over the
 * caller's view; the caller keeps the view alive until close. One thread
 * at a time per stream; it reads only through thread-safe storage calls.
 */
#ifndef SKV_SNAP_STREAM_H
#define SKV_SNAP_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sealkv/storage.h>

#include "util/buf.h"

struct skv_snap_stream;

/* A stream of the full form at `applied` (header v1 when cutover is 0,
 * else v2) read through `view`, ending with `enc_rec` (the encryption
 * record bytes exactly as skv_fsm_snap_enc_dump appends them; copied;
 * may be empty). 0, or -1 with a message. */
int skv_snap_stream_open(struct skv_snap_stream **out, const struct skv_storage_ops *st,
                         void *db, void *view, uint64_t cutover, uint64_t applied,
                         const uint8_t *enc_rec, size_t enc_len, char *err, size_t errlen);

/* Append the next bytes to `out` (skv_buf, malloc): whole records until
 * at least `want` (> 0) bytes were added or the form ends. 1: more
 * follows; 0: the form ended with the bytes this call added (maybe
 * none); -1: storage or memory error (message; the stream is then
 * unusable, `out` may hold a partial record). */
int skv_snap_stream_next(struct skv_snap_stream *s, struct skv_buf *out, size_t want,
                         char *err, size_t errlen);

void skv_snap_stream_close(struct skv_snap_stream *s);

#endif
