/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config.c — libFuzzer target for the YAML config loader: any
 * input must parse or fail with a message, never crash or leak.
 * Build: clang -fsanitize=fuzzer,address -Iabi -Icore
 *        tests/fuzz/fuzz_config.c core/config/config.c core/config/conf_*.c -lyaml
 * Seeds: tests/fuzz/corpus/config/.
 */
#include "config/config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct skv_config c;
    char err[SKV_CONF_ERR_MAX];
    err[0] = '\0';
    if (skv_config_parse("fuzz.yaml", (const char *)data, size, &c, err,
                         sizeof err) == 0) {
        /* Success: the invariants the rest of the core relies on. */
        if (!c.node_id || !c.node_address || !c.data_dir || !c.storage.name ||
            c.heartbeat_timeout_ms > c.election_timeout_ms / 2)
            __builtin_trap();
        skv_config_free(&c);
    } else if (strncmp(err, "fuzz.yaml:", 10) != 0) {
        __builtin_trap(); /* every error names the input */
    }
    return 0;
}
