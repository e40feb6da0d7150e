/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sidecar.c — libFuzzer target for the sidecar JSON codec
 * (core/enc/sidecar_json.c): parse arbitrary bytes; whatever parses must
 * serialise, and parsing that text again must give the same text.
 * Not part of the build. Run from the top of the tree:
 *   clang -fsanitize=fuzzer,address -Iabi -Icore tests/fuzz/fuzz_sidecar.c \
 *         core/enc/sidecar.c core/enc/sidecar_json.c -ljansson -lsodium \
 *         -o /tmp/fuzz_sidecar
 *   mkdir -p /tmp/fs && /tmp/fuzz_sidecar -max_total_time=30 /tmp/fs \
 *         tests/fuzz/corpus/sidecar   (new inputs go to the first dir)
 */
#include "enc/sidecar.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct skv_sidecar a, b;
    struct skv_err err = {0};
    char *t1 = NULL, *t2 = NULL;
    size_t l1 = 0, l2 = 0;
    if (skv_sidecar_from_json(data, size, &a, &err) != SKV_OK)
        return 0;
    if (skv_sidecar_to_json(&a, &t1, &l1, &err) != SKV_OK)
        abort(); /* accepted input must serialise */
    if (skv_sidecar_from_json(t1, l1, &b, &err) != SKV_OK ||
        skv_sidecar_to_json(&b, &t2, &l2, &err) != SKV_OK || l1 != l2 ||
        memcmp(t1, t2, l1) != 0)
        abort(); /* and round-trip exactly */
    free(t1);
    free(t2);
    return 0;
}
