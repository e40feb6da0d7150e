/* SPDX-License-Identifier: MIT */
/*
 * fuzz_client.c — libFuzzer target for libsealkv-client's parsers of
 * the server's answers (client/lib/cl_codec.c): the first byte picks one
 * of a listing page, a transaction outcome, an index answer and a watch
 * line, the rest is the answer. Any bytes are safe (no crash, no leak,
 * no read past the input); a parse that succeeds gives entries whose
 * lengths are consistent (keys NUL-terminated, values present exactly
 * when has_value). Built and run by tests/fuzz/smoke.sh.
 */
#include "lib/cl_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_kv(const struct skv_client_kv *kv)
{
    if (!kv->key || ((const char *)kv->key)[kv->key_len] != '\0')
        abort();
    if (kv->has_value != (kv->value != NULL))
        abort();
    if (kv->value && ((const char *)kv->value)[kv->value_len] != '\0')
        abort();
}

static void one_list(const char *p, size_t n)
{
    struct skv_client_list l;
    size_t i;
    memset(&l, 0, sizeof l);
    if (skv_cl_parse_list(p, n, &l) == 0)
        for (i = 0; i < l.n; i++)
            check_kv(&l.kvs[i]);
    skv_client_list_clear(&l);
}

static void one_txn(const char *p, size_t n)
{
    struct skv_client_txn_result t;
    size_t i;
    memset(&t, 0, sizeof t);
    if (skv_cl_parse_txn(p, n, &t) == 0)
        for (i = 0; i < t.n_results; i++)
            if (t.results[i].kind == SKV_CLIENT_OP_GET)
                check_kv(&t.results[i].kv);
    skv_client_txn_result_clear(&t);
}

static void one_line(const char *p, size_t n)
{
    struct skv_cl_line l;
    if (skv_cl_parse_line(p, n, &l) != 0)
        return;
    if (l.kind == SKV_CL_LINE_EVENT) {
        check_kv(&l.kv);
        if ((l.ev.kind == SKV_CLIENT_EV_PUT) != l.kv.has_value)
            abort();
    }
    skv_cl_line_clear(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data + 1;
    uint64_t idx;
    if (size < 1)
        return 0;
    switch (data[0] & 3) {
    case 0: one_list(p, size - 1); break;
    case 1: one_txn(p, size - 1); break;
    case 2: (void)skv_cl_parse_index(p, size - 1, &idx); break;
    default: one_line(p, size - 1); break;
    }
    return 0;
}
