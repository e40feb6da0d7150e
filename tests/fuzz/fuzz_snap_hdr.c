/* SPDX-License-Identifier: MIT */
/*
 * fuzz_snap_hdr.c — libFuzzer target for the FSM snapshot header parser
 * (core/fsm/snap_hdr.c): any bytes are safe; an accepted header is v1-v4,
 * v2 never carries cutover 0, the body offset lies inside the input, and
 * writing the parsed (cutover, applied) back gives a header that parses to
 * the same values. Built and run by tests/fuzz/smoke.sh.
 */
#include "fsm/snap_hdr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct skv_snap_hdr h, h2;
    uint8_t out[SKV_SNAP_HDR_MAX];
    char err[128];
    size_t n;
    if (skv_snap_hdr_parse(data, size, &h, err, sizeof err) != 0)
        return 0;
    if (h.version < 1 || h.version > 4 || h.body_off > size ||
        (h.version == 2 && h.cutover == 0) || (h.version == 1 && h.cutover != 0))
        abort();
    n = h.version == 4   ? skv_snap_hdr_write_spooled(out, h.cutover, h.applied)
        : h.version == 3 ? skv_snap_hdr_write_local(out, h.cutover, h.applied)
                         : skv_snap_hdr_write(out, h.cutover, h.applied);
    if (skv_snap_hdr_parse(out, n, &h2, err, sizeof err) != 0 || h2.cutover != h.cutover ||
        h2.applied != h.applied || h2.version != h.version || h2.body_off != n)
        abort();
    return 0;
}
