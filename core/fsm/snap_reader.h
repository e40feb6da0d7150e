/* SPDX-License-Identifier: MIT */
/*
 * snap_reader.h — the records of a FULL snapshot (snap_hdr.h v1/v2) read
 * from a source too big to hold in memory (a spool file,
 * raftio/snap_spool.h), through a window that holds one record at least
 * and SKV_SNAP_RD_WINDOW bytes usually. The bytes are hostile: every
 * length is checked against what is left of the source, a record over
 * SKV_SNAP_REC_MAX is refused, and only the FSM-owned prefixes are
 * accepted (as skv_snap_next). The source is read sequentially, each byte
 * once, from `from` on (so the read callback can checksum what it reads).
 * Pure (with snap_rec.c): tests/fuzz/fuzz_snap_reader.c drives it.
 */
#ifndef SKV_SNAP_READER_H
#define SKV_SNAP_READER_H

#include <stddef.h>
#include <stdint.h>

/* One record of a full snapshot: [klen u32 BE][key][vlen u32 BE][value]. */
struct skv_snap_rec {
    const uint8_t *key;
    size_t key_len;
    const uint8_t *val;
    size_t val_len;
};

/* A key prefix a full snapshot may carry (skv_snap_prefixes, snap_view.h,
 * and the encryption record's): 1 or 0 (snap_rec.c). */
int skv_snap_owned_prefix(uint8_t p);

#define SKV_SNAP_RD_WINDOW (1u << 20)
#define SKV_SNAP_REC_MAX (64u << 20)   /* a key + value: at most one frame's body */

/* Exactly n bytes of the source at off: 0, or -1 with a message. */
typedef int skv_snap_read_fn(void *arg, uint64_t off, void *buf, size_t n, char *err,
                             size_t errlen);

struct skv_snap_rd {
    skv_snap_read_fn *read;
    void *arg;
    uint64_t total;     /* source size */
    uint64_t base;      /* source offset of buf[0] */
    uint8_t *buf;
    size_t cap, start, end;   /* window: buf[start..end) not yet consumed */
};

void skv_snap_rd_init(struct skv_snap_rd *rd, skv_snap_read_fn *read, void *arg, uint64_t total,
                      uint64_t from);
/* The next record (valid until the next call): 1, 0 at the end, -1 with
 * a message (malformed, too big, not an FSM prefix, read error). */
int skv_snap_rd_next(struct skv_snap_rd *rd, struct skv_snap_rec *r, char *err, size_t errlen);
void skv_snap_rd_free(struct skv_snap_rd *rd);

#endif
