/* SPDX-License-Identifier: MIT */
/*
 * bytes.h — the core's byte order helpers, one place, over <endian.h>:
 * big-endian (keys and on-disk records that must sort) and little-endian
 * (wire frames, raft log records) loads and stores at any alignment.
 */
#ifndef SKV_BYTES_H
#define SKV_BYTES_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

#define SKV_BYTES_PAIR(bits, order)                                                  \
    static inline void skv_put_##order##bits(uint8_t *p, uint##bits##_t v)             \
    {                                                                                  \
        v = hto##order##bits(v);                                                       \
        memcpy(p, &v, sizeof v);                                                       \
    }                                                                                  \
    static inline uint##bits##_t skv_get_##order##bits(const uint8_t *p)               \
    {                                                                                  \
        uint##bits##_t v;                                                              \
        memcpy(&v, p, sizeof v);                                                       \
        return order##bits##toh(v);                                                    \
    }

SKV_BYTES_PAIR(16, be)
SKV_BYTES_PAIR(32, be)
SKV_BYTES_PAIR(64, be)
SKV_BYTES_PAIR(16, le)
SKV_BYTES_PAIR(32, le)
SKV_BYTES_PAIR(64, le)

#undef SKV_BYTES_PAIR

#endif
