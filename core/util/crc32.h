/* SPDX-License-Identifier: MIT */
/*
 * crc32.h — CRC-32 (IEEE 802.3, reflected 0xEDB88320) used as a cheap
 * integrity check on records the core writes to storage.
 */
#ifndef SKV_CRC32_H
#define SKV_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: start with crc = 0; feeding the pieces of a message one
 * after another gives the CRC of their concatenation. */
uint32_t skv_crc32(uint32_t crc, const void *data, size_t len);

#endif
