/* SPDX-License-Identifier: MIT */
/*
 * enc_wrap.c — wrap-on-propose: seal an FSM payload as a raft envelope
 * with the active raft DEK and this process's deterministic nonces.
 */
#include "enc/enc.h"
#include "crypto/envelope.h"
#include "util/errors.h"

#include <raft.h>
#include <stdio.h>
#include <string.h>

int skv_enc_wrap(struct skv_enc *enc, void **payload, size_t *len, const char **error,
                 char *msg, size_t msglen)
{
    uint8_t nonce[SKV_NONCE_LEN], *out;
    struct skv_enc_err ee;
    memset(&ee, 0, sizeof ee);
    if (!enc->ks || !enc->gen_raft_id) {
        *error = skv_error_name(SKV_ErrEncryptionDisabled);
        snprintf(msg, msglen, "the raft envelope is active but this node has no raft key");
        return -1;
    }
    if (!(out = raft_malloc(*len + SKV_ENVELOPE_OVERHEAD))) {
        *error = skv_error_name(SKV_ErrNoMemory);
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    if (skv_nonce_next(&enc->gen_raft, nonce, &ee) != SKV_OK ||
        skv_envelope_seal(enc->ks, SKV_PURPOSE_RAFT, enc->gen_raft_id, nonce, NULL, 0,
                          *payload, *len, out, &ee) != SKV_OK) {
        raft_free(out);
        *error = skv_enc_errname(ee.why);
        snprintf(msg, msglen, "cannot wrap the proposal: %s", ee.err.msg);
        return -1;
    }
    raft_free(*payload);
    *payload = out;
    *len += SKV_ENVELOPE_OVERHEAD;
    return 0;
}

