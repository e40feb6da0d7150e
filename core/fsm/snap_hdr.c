/* SPDX-License-Identifier: MIT */
/*
 * snap_hdr.c — parse/write the SKVSNAP1 / 2 / 3 header (snap_hdr.h).
 */
#include "fsm/snap_hdr.h"
#include "util/bytes.h"

#include <stdio.h>
#include <string.h>

int skv_snap_hdr_parse(const uint8_t *p, size_t len, struct skv_snap_hdr *h,
                       char *err, size_t errlen)
{
    size_t hl;
    memset(h, 0, sizeof *h);
    if (len < 8 || memcmp(p, "SKVSNAP", 7) != 0) {
        snprintf(err, errlen, "snapshot has no SKVSNAP header");
        return -1;
    }
    if (p[7] == '1') {
        if (len < 16) {
            snprintf(err, errlen, "SKVSNAP1 header truncated (%zu bytes)", len);
            return -1;
        }
        h->version = 1;
        h->applied = skv_get_be64(p + 8);
        h->body_off = 16;
        return 0;
    }
    if (p[7] != '2' && p[7] != '3' && p[7] != '4') {
        snprintf(err, errlen, "unknown snapshot version SKVSNAP%c: refused (newer build?)",
                 p[7] >= 0x20 && p[7] < 0x7f ? p[7] : '?');
        return -1;
    }
    if (len < 10 || (hl = (size_t)p[8] << 8 | p[9]) < 8 || len < 10 + hl + 8) {
        snprintf(err, errlen, "SKVSNAP%c header truncated or with a bad length", p[7]);
        return -1;
    }
    h->version = p[7] - '0';
    h->cutover = skv_get_be64(p + 10);
    if (h->cutover == 0 && h->version == 2) {
        snprintf(err, errlen, "SKVSNAP2 header with cutover index 0");
        return -1;
    }
    h->applied = skv_get_be64(p + 10 + hl);
    h->body_off = 10 + hl + 8;
    return 0;
}

static size_t write_long(uint8_t out[SKV_SNAP_HDR_MAX], char version, uint64_t cutover,
                         uint64_t applied)
{
    memcpy(out, "SKVSNAP", 7);
    out[7] = (uint8_t)version;
    out[8] = 0;
    out[9] = 8;
    skv_put_be64(out + 10, cutover);
    skv_put_be64(out + 18, applied);
    return 26;
}

size_t skv_snap_hdr_write(uint8_t out[SKV_SNAP_HDR_MAX], uint64_t cutover, uint64_t applied)
{
    if (cutover == 0) {
        memcpy(out, "SKVSNAP1", 8);
        skv_put_be64(out + 8, applied);
        return 16;
    }
    return write_long(out, '2', cutover, applied);
}

size_t skv_snap_hdr_write_local(uint8_t out[SKV_SNAP_HDR_MAX], uint64_t cutover,
                                uint64_t applied)
{
    return write_long(out, '3', cutover, applied);
}

size_t skv_snap_hdr_write_spooled(uint8_t out[SKV_SNAP_HDR_MAX], uint64_t cutover,
                                  uint64_t applied)
{
    return write_long(out, '4', cutover, applied);
}
