/* SPDX-License-Identifier: MIT */
/*
 * fuzz_backup.c — libFuzzer target for the backup file check
 * (core/fsm/backup_file.c, `sealkv snapshot restore|info`): the input is
 * parsed as a whole file, and again framed as a file with a correct
 * checksum (input = [u16 manifest length][manifest][snapshot]) so the
 * manifest and snapshot checks are reached, not stopped at the checksum.
 * Any bytes are safe; an accepted file's snapshot lies inside it, starts
 * at the manifest's index and holds at least one record per counted one.
 * Built and run by tests/fuzz/smoke.sh.
 */
#include "fsm/backup_file.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *p, size_t n)
{
    static struct skv_backup_info in;   /* large; one input at a time */
    char err[300];
    if (skv_backup_parse(p, n, &in, err, sizeof err) != 0) {
        if (!err[0])
            abort();   /* a refusal always says why */
        return;
    }
    if (in.snap < p || in.snap + in.snap_len > p + n || in.n_keys > SKV_BACKUP_MAX_KEYS ||
        in.n_records * 8 > in.snap_len || in.index == 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct skv_buf b = {NULL, 0, 0};
    uint8_t h[SKV_BACKUP_HASH_LEN], t[SKV_BACKUP_TRAILER_LEN];
    char *m;
    size_t ml;
    check(data, size);
    if (size < 2)
        return 0;
    ml = (size_t)data[0] << 8 | data[1];
    if (ml == 0 || ml > size - 2 || !(m = malloc(ml + 1)))
        return 0;
    memcpy(m, data + 2, ml);
    m[ml] = '\0';
    if (strlen(m) == ml && skv_backup_head(&b, m) == 0 &&
        skv_buf_append(&b, data + 2 + ml, size - 2 - ml) == 0) {
        crypto_generichash(h, sizeof h, b.p, b.len, NULL, 0);
        skv_backup_trailer(t, size - 2 - ml, h);
        if (skv_buf_append(&b, t, sizeof t) == 0)
            check(b.p, b.len);
    }
    free(m);
    skv_buf_free(&b);
    return 0;
}
