/* SPDX-License-Identifier: MIT */
/*
 * buf.h — the core's one growable byte buffer (wire frames, HTTP bodies,
 * whole-file reads). Doubling growth from 256 bytes; every size check
 * guards against overflow. A zeroed struct is an empty buffer.
 */
#ifndef SKV_BUF_H
#define SKV_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct skv_buf {
    uint8_t *p;
    size_t len, cap;
};

/* Room for `extra` more bytes after len. 0, or -1 (overflow, ENOMEM);
 * the buffer is unchanged on failure. */
int skv_buf_reserve(struct skv_buf *b, size_t extra);

/* skv_buf_reserve over another allocator's realloc, for buffers whose
 * memory is handed to that allocator's owner (C-Raft: raft_realloc). A
 * buffer keeps to one allocator for its whole life. */
int skv_buf_reserve_with(struct skv_buf *b, size_t extra, void *(*realloc_fn)(void *, size_t));

/* Append n bytes of p. 0 or -1 (nothing appended). */
int skv_buf_append(struct skv_buf *b, const void *p, size_t n);

/* All of f, binary-safe, appended to b. 0, or -1 (errno set; what was
 * read stays in b for the caller to free). */
int skv_buf_read_file(struct skv_buf *b, FILE *f);

/* Free and zero (idempotent; NULL is a no-op). */
void skv_buf_free(struct skv_buf *b);

#endif /* SKV_BUF_H */
