/* SPDX-License-Identifier: MIT */
/*
 * crc32.c — CRC-32 (IEEE) through zlib's crc32_z (Debian zlib1g-dev):
 * the same function as the bitwise definition (tests/unit/test_raft_io.c
 * checks it against one), table-driven and fast in zlib, so it is not
 * hand-written here. It runs on every log entry record and on the
 * snapshot data at every snapshot put and read.
 */
#include "util/crc32.h"

#include <zlib.h>

uint32_t skv_crc32(uint32_t crc, const void *data, size_t len)
{
    return (uint32_t)crc32_z(crc, data, len);
}
