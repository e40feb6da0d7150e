/* SPDX-License-Identifier: MIT */
/*
 * fuzz_txn.c — libFuzzer target for the body of POST /v1/txn
 * (core/admin/txn_json.c): any bytes are safe; a body that parses
 * encodes as a 0x07 entry (or is too big), the FSM's decoder accepts that
 * entry unless a branch writes a key twice, and decodes it back to the
 * same compares and ops. Built and run by tests/fuzz/smoke.sh.
 */
#include "admin/txn_json.h"
#include "cmd/txn_cmd.h"

#include <raft.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_slice(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    return al == bl && (al == 0 || memcmp(a, b, al) == 0);
}

static void check_same(const struct skv_txn *a, const struct skv_txn *b)
{
    size_t i;
    if (a->n_cmps != b->n_cmps || a->n_success != b->n_success || a->n_failure != b->n_failure)
        abort();
    for (i = 0; i < a->n_cmps; i++)
        if (a->cmps[i].kind != b->cmps[i].kind ||
            !same_slice(a->cmps[i].key, a->cmps[i].key_len, b->cmps[i].key, b->cmps[i].key_len) ||
            a->cmps[i].mod != b->cmps[i].mod || a->cmps[i].exists != b->cmps[i].exists ||
            !same_slice(a->cmps[i].val, a->cmps[i].val_len, b->cmps[i].val, b->cmps[i].val_len))
            abort();
    for (i = 0; i < a->n_success + a->n_failure; i++)
        if (a->ops[i].op != b->ops[i].op ||
            !same_slice(a->ops[i].key, a->ops[i].key_len, b->ops[i].key, b->ops[i].key_len) ||
            !same_slice(a->ops[i].val, a->ops[i].val_len, b->ops[i].val, b->ops[i].val_len))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct skv_txn_json x;
    struct skv_txn back;
    const char *why = NULL;
    char err[200];
    char *text = malloc(size + 1);
    void *p = NULL;
    size_t len = 0;
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    if (skv_txn_json_parse(text, &x, &why) != 0) {
        if (!why)
            abort(); /* a refusal says why */
        free(text);
        return 0;
    }
    if (skv_txn_encode(&x.t, &p, &len) == 0) {
        if (skv_txn_decode(p, len, &back, err, sizeof err) == 0) {
            check_same(&x.t, &back);
            skv_txn_free(&back);
        } else if (!strstr(err, "written twice")) {
            abort(); /* the only rule the JSON layer leaves to the decoder */
        }
        raft_free(p);
    }
    skv_txn_json_free(&x);
    free(text);
    return 0;
}
