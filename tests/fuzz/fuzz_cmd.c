/* SPDX-License-Identifier: MIT */
/*
 * fuzz_cmd.c — libFuzzer target for the FSM payload decoder
 * (core/cmd/cmd_decode.c), shared by the leader's intake and FSM apply:
 * any bytes are safe, and a decoded bootstrap, rotate-dek, retire, seal-key-names or conditional
 * KV op (0x06) or transaction (0x07) re-encodes to exactly the input (the codec accepts one
 * spelling of each payload).
 * Built and run by tests/fuzz/smoke.sh.
 */
#include "cmd/cmd_decode.h"

#include <raft.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The re-encoding of a decoded payload equals the input. */
static void same_bytes(int rc, void *p, size_t len, const uint8_t *data, size_t size)
{
    if (rc != 0 || len != size || memcmp(p, data, size) != 0)
        abort();
    raft_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct skv_cmd c;
    char err[200];
    void *p = NULL;
    size_t len = 0;
    if (skv_cmd_decode(data, size, &c, err, sizeof err) != 0) {
        if (!err[0])
            abort(); /* a refusal says why */
        return 0;
    }
    if (c.tag == SKV_CMD_KV_CAS) {
        if (c.kv.key_len == 0 || c.kv.key_len > SKV_MAX_KEY ||
            (c.cond.kind != SKV_COND_MOD && c.cond.prev != 0))
            abort();
        same_bytes(skv_cmd_encode_kv_cas(&c.kv, &c.cond, &p, &len), p, len, data, size);
    }
    if (c.tag == SKV_CMD_TXN)
        same_bytes(skv_txn_encode(&c.txn, &p, &len), p, len, data, size);
    if (c.tag == SKV_CMD_ENC_BOOTSTRAP)
        same_bytes(skv_enc_encode_bootstrap(&c.boot, &p, &len), p, len, data, size);
    if (c.tag == SKV_CMD_ENC_ROTATION && c.rot_sub == SKV_ROT_ROTATE_DEK) {
        if (c.rot.key_id == 0 || (c.rot.purpose != SKV_PURPOSE_STORAGE &&
                                  c.rot.purpose != SKV_PURPOSE_RAFT))
            abort();
        same_bytes(skv_enc_encode_rotate(&c.rot, &p, &len), p, len, data, size);
    }
    if (c.tag == SKV_CMD_ENC_ROTATION && c.rot_sub == SKV_ROT_RETIRE) {
        if (c.retire_id == 0)
            abort();
        same_bytes(skv_enc_encode_retire(c.retire_id, &p, &len), p, len, data, size);
    }
    if (c.tag == SKV_CMD_ENC_ROTATION && c.rot_sub == SKV_ROT_SEAL_NAMES) {
        if (c.retire_id == 0)
            abort();
        same_bytes(skv_enc_encode_seal_names(c.retire_id, &p, &len), p, len, data, size);
    }
    skv_cmd_free(&c);
    return 0;
}
