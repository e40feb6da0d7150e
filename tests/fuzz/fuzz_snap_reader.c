/* SPDX-License-Identifier: MIT */
/*
 * fuzz_snap_reader.c — libFuzzer target for the record reader of full
 * snapshots too big for memory (core/fsm/snap_reader.c: what a follower
 * restores from its spool file, bytes a leader sent): any bytes are safe;
 * every record returned lies inside the input, has a non-empty key under
 * an FSM prefix and equals the bytes at its place; the reader ends (0)
 * exactly at the end of the input or refuses (-1). The source is read in
 * the reader's own pieces through a callback, as from the file. Built and
 * run by tests/fuzz/smoke.sh.
 */
#include "fsm/snap_reader.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct src {
    const uint8_t *p;
    size_t len, next;   /* next: where a sequential read must start */
};

static int src_read(void *arg, uint64_t off, void *buf, size_t n, char *err, size_t errlen)
{
    struct src *s = arg;
    if (off != s->next || off > s->len || n > s->len - off)
        abort();   /* the reader reads sequentially, within the source */
    memcpy(buf, s->p + off, n);
    s->next = off + n;
    (void)err, (void)errlen;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct src s = {data, size, 0};
    struct skv_snap_rd rd;
    struct skv_snap_rec r;
    char err[256];
    size_t pos = 0;
    int rc;
    skv_snap_rd_init(&rd, src_read, &s, size, 0);
    while ((rc = skv_snap_rd_next(&rd, &r, err, sizeof err)) == 1) {
        if (r.key_len == 0 || !skv_snap_owned_prefix(r.key[0]) || pos + 8 + r.key_len +
            r.val_len > size || memcmp(r.key, data + pos + 4, r.key_len) != 0 ||
            memcmp(r.val, data + pos + 8 + r.key_len, r.val_len) != 0)
            abort();
        pos += 8 + r.key_len + r.val_len;
    }
    if (rc == 0 && pos != size)
        abort();
    skv_snap_rd_free(&rd);
    return 0;
}
