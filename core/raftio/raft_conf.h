/* SPDX-License-Identifier: MIT */
/*
 * raft_conf.h — decoding of C-Raft's own configuration encoding (the bytes
 * raft_configuration_encode() produces and RAFT_CHANGE entries carry).
 * C-Raft 0.15 exports the encoder but not the decoder, and its internal
 * decoder trusts its input; this one checks every byte.
 */
#ifndef SKV_RAFT_CONF_H
#define SKV_RAFT_CONF_H

#include <raft.h>
#include <stddef.h>

/* Decode `len` bytes at `buf` into `out` (initialised here; servers and
 * addresses are raft_malloc'd, release with raft_configuration_close()).
 * Format: u8 version (1), u64 LE count, then per server u64 LE id,
 * NUL-terminated address, u8 role; padding (any bytes, C-Raft leaves it
 * uninitialised) up to a multiple of 8.
 * Returns 0, or RAFT_MALFORMED / RAFT_NOMEM with a message in errmsg
 * (`out` is then empty). */
int skv_raft_conf_decode(const void *buf, size_t len,
                         struct raft_configuration *out, char *errmsg,
                         size_t errlen);

#endif
