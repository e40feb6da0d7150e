/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rewrap_body.c — libFuzzer target for the body of POST
 * /v1/encryption/rewrap-kek (core/admin/rewrap_body.c): any bytes are
 * safe; an accepted body yields exactly one of an absolute path within
 * its buffer or a 32-hex KEK id, and that member written back as JSON
 * parses to the same; a refusal leaves both empty with a reason. Built
 * and run by tests/fuzz/smoke.sh.
 */
#include "admin/rewrap_body.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_again(const char *path, const char *id)
{
    char p2[256], i2[SKV_REWRAP_ID_HEX + 1];
    json_t *o = json_pack("{s:s}", path[0] ? "kek_file" : "kek_id", path[0] ? path : id);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    const char *why;
    json_decref(o);
    if (!text)
        abort();
    why = skv_rewrap_body_parse(text, strlen(text), p2, sizeof p2, i2, sizeof i2);
    free(text);
    if (why || strcmp(p2, path) != 0 || strcmp(i2, id) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[256], id[SKV_REWRAP_ID_HEX + 1];
    const char *why = skv_rewrap_body_parse((const char *)data, size, path, sizeof path, id,
                                            sizeof id);
    if (why) {
        if (!why[0] || path[0] || id[0])
            abort();
        return 0;
    }
    if (!path[0] == !id[0])
        abort();
    if (path[0] && (path[0] != '/' || strlen(path) >= sizeof path))
        abort();
    if (id[0] && (strlen(id) != SKV_REWRAP_ID_HEX ||
                  strspn(id, "0123456789abcdef") != SKV_REWRAP_ID_HEX))
        abort();
    check_again(path, id);
    return 0;
}
