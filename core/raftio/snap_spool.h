/* SPDX-License-Identifier: MIT */
/*
 * snap_spool.h — the spool file a follower receives a big snapshot into
 * (SNAP_CHUNK frames, raft_io_xfer.c) instead of assembling it in memory,
 * and that the FSM later restores from in bounded pieces.
 *
 * Files, in the node's data_dir:
 *   snapshot-in.part   being received; removed when a transfer fails, is
 *                      superseded, or at the next start;
 *   snapshot-in.spool  complete, fsync'd (file and directory) before the
 *                      raft snapshot that names it (snap_hdr.h v4) is
 *                      stored; removed once restored (fsm_restore_spool.c)
 *                      or, unneeded, after the next start.
 * File layout: "SKVSPOL1" [token 16][total u64 BE][crc32 u32 BE][0 u32]
 * then the `total` bytes of the full snapshot. The token (random per
 * transfer) ties the file to the reference C-Raft stores; the CRC is
 * checked before anything is installed.
 *
 * The total announced by the leader is checked against SKV_SPOOL_MAX and
 * the free space of the data_dir before the file is made, and every write
 * against it. A leader that makes the snapshot while it sends it does not
 * know its size: it announces an OPEN total (an upper bound), and then
 * every write is checked instead: the file stays under SKV_SPOOL_MAX and
 * leaves SKV_SPOOL_SPARE free, so a snapshot that does not fit is
 * refused at the first chunk that would not fit. Pure POSIX; every
 * function returns 0 or -1 with a message.
 */
#ifndef SKV_SNAP_SPOOL_H
#define SKV_SNAP_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#define SKV_SPOOL_HDR 40u
#define SKV_SPOOL_TOKEN 16u
#define SKV_SPOOL_REF_LEN 28u              /* token, total, crc */
#define SKV_SPOOL_MAX (1ull << 40)         /* 1 TiB: a sane cap on a snapshot */
#define SKV_SPOOL_SPARE (64ull << 20)      /* free space kept beyond the total */

struct skv_spool_meta {
    uint8_t token[SKV_SPOOL_TOKEN];
    uint64_t total;
    uint32_t crc;
};

/* path = dir + "/snapshot-in.part" or ".spool" (0 or -1: too long). */
int skv_spool_path(char *out, size_t outlen, const char *dir, int complete);

void skv_spool_ref_encode(uint8_t out[SKV_SPOOL_REF_LEN], const struct skv_spool_meta *m);
void skv_spool_ref_decode(const uint8_t in[SKV_SPOOL_REF_LEN], struct skv_spool_meta *m);

/* ---- receiving (loop thread) ---- */
struct skv_spool_w {
    int fd;                 /* -1: none */
    int open_total;         /* m.total is only an upper bound: check each write */
    const char *dir;        /* the data_dir (the caller's string, kept alive) */
    struct skv_spool_meta m;
    uint64_t got;
    char path[4096];
};
void skv_spool_w_init(struct skv_spool_w *w);
/* Make dir/snapshot-in.part for `total` bytes (refused over the cap or
 * the free space; open_total: at most `total`, the size unknown, room
 * checked at each write); a fresh random token. */
int skv_spool_begin(struct skv_spool_w *w, const char *dir, uint64_t total, int open_total,
                    char *err, size_t errlen);
int skv_spool_write(struct skv_spool_w *w, const void *p, size_t n, char *err, size_t errlen);
/* Every byte is there (the caller checked the sender's end; an open
 * total becomes what was written): the header gets the size and CRC,
 * the file is closed (not yet synced: skv_spool_commit does that). *m is
 * its meta. */
int skv_spool_finish(struct skv_spool_w *w, struct skv_spool_meta *m, char *err, size_t errlen);
/* Close and remove a transfer in progress (no-op without one). */
void skv_spool_abort(struct skv_spool_w *w);

/* ---- storing (raft_io worker, before the reference is stored) ---- */
/* The .part of `m` (token checked) is fsync'd, renamed to .spool, and
 * the directory fsync'd. */
int skv_spool_commit(const char *dir, const struct skv_spool_meta *m, char *err, size_t errlen);
/* Remove the file (complete: .spool, else .part); ENOENT is fine. */
void skv_spool_remove(const char *dir, int complete);

/* ---- restoring (FSM, loop thread) ---- */
struct skv_spool_r {
    int fd;
    uint64_t total;
};
/* Open dir/snapshot-in.spool and check its header against `m`. */
int skv_spool_open(struct skv_spool_r *r, const char *dir, const struct skv_spool_meta *m,
                   char *err, size_t errlen);
/* Exactly n bytes of the snapshot at off (off + n <= total). */
int skv_spool_read(const struct skv_spool_r *r, uint64_t off, void *buf, size_t n, char *err,
                   size_t errlen);
void skv_spool_close(struct skv_spool_r *r);

#endif
