/* SPDX-License-Identifier: MIT */
/*
 * fuzz_names.c — libFuzzer target for the plaintext of a named record
 * (core/crypto/names.c, sealed key names): the bytes come from disk once
 * a stored record opens, so any input is safe; a decoded record re-encodes
 * to exactly the input, and its name and value lie inside it.
 * Built and run by tests/fuzz/smoke.sh.
 */
#include "crypto/names.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *name = NULL, *val = NULL;
    size_t nl = 0, vl = 0, len = 0;
    uint8_t *p = NULL;
    if (skv_names_rec_decode(data, size, &name, &nl, &val, &vl) != 0)
        return 0;
    if (nl == 0 || nl > SKV_NAMES_NAME_MAX || name < data || val < data ||
        name + nl > data + size || val + vl != data + size)
        abort();
    if (skv_names_rec_encode(name, nl, val, vl, &p, &len) != 0 || len != size ||
        memcmp(p, data, size) != 0)
        abort();
    free(p);
    return 0;
}
