/* SPDX-License-Identifier: MIT */
/*
 * cmd_decode.c — skv_cmd_decode (see cmd_decode.h): the FSM payload
 * decoder shared by apply and by the leader's intake check. The per-tag
 * codecs live next to their encoders (command.c, writers.c, enc_cmd.c);
 * this file owns the dispatch on the tag and the whole-payload rules.
 */
#include "cmd/cmd_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Walk the whole batch once (apply walks it again with the same
 * iterator). Accepts exactly what apply always accepted, so entries
 * already in a log decode the same on every version. */
static int dec_batch(const uint8_t *p, size_t len, struct skv_cmd *c,
                     char *err, size_t errlen)
{
    size_t pos = 0;
    uint32_t remaining = 0, n = 0;
    struct skv_kv_op op;
    int r;
    while ((r = skv_cmd_batch_next(p, len, &pos, &remaining, &op, err, errlen)) == 1)
        n++;
    c->batch_count = n;
    return r == 0 ? 0 : -1;
}

static int dec_enc(const uint8_t *p, size_t len, struct skv_cmd *c, char *err,
                   size_t errlen)
{
    struct skv_err e = {0, ""};
    int rc;
    if (c->tag == SKV_CMD_WRITER_REG)
        rc = skv_writers_decode_reg(p, len, &c->regs, &c->n_regs, &e);
    else if (c->tag == SKV_CMD_ENC_BOOTSTRAP)
        rc = skv_enc_decode_bootstrap(p, len, &c->boot, &e);
    else
        rc = skv_enc_decode_rotation(p, len, &c->rot_sub, &e);
    if (rc == SKV_OK && c->tag == SKV_CMD_ENC_ROTATION && c->rot_sub == SKV_ROT_ROTATE_DEK)
        rc = skv_enc_decode_rotate(p, len, &c->rot, &e);
    else if (rc == SKV_OK && c->tag == SKV_CMD_ENC_ROTATION && c->rot_sub == SKV_ROT_RETIRE)
        rc = skv_enc_decode_retire(p, len, &c->retire_id, &e);
    else if (rc == SKV_OK && c->tag == SKV_CMD_ENC_ROTATION && c->rot_sub == SKV_ROT_SEAL_NAMES)
        rc = skv_enc_decode_seal_names(p, len, &c->retire_id, &e);
    else if (rc == SKV_OK && c->tag == SKV_CMD_ENC_ROTATION &&
             c->rot_sub != SKV_ROT_ENABLE_STORAGE && c->rot_sub != SKV_ROT_ENABLE_RAFT) {
        e.code = SKV_ERR_UNSUPPORTED;
        snprintf(e.msg, sizeof e.msg, "rotation sub-tag %u is not supported by this build",
                 c->rot_sub);
        rc = SKV_ERR_UNSUPPORTED;
    }
    if (rc != SKV_OK)
        snprintf(err, errlen, "%s", e.msg);
    return rc == SKV_OK ? 0 : -1;
}

int skv_cmd_decode(const uint8_t *p, size_t len, struct skv_cmd *c, char *err,
                   size_t errlen)
{
    int rc;
    memset(c, 0, sizeof *c);
    if (!p || len == 0) {
        snprintf(err, errlen, "empty command");
        return -1;
    }
    c->tag = p[0];
    switch (p[0]) {
    case SKV_CMD_KV:
        rc = skv_cmd_decode_kv(p, len, &c->kv, err, errlen);
        break;
    case SKV_CMD_KV_CAS:
        rc = skv_cmd_decode_kv_cas(p, len, &c->kv, &c->cond, err, errlen);
        break;
    case SKV_CMD_TXN:
        rc = skv_txn_decode(p, len, &c->txn, err, errlen);
        break;
    case SKV_CMD_KV_BATCH:
        rc = dec_batch(p, len, c, err, errlen);
        break;
    case SKV_CMD_NOOP:
        rc = len == 1 ? 0 : -1;
        if (rc)
            snprintf(err, errlen, "no-op command carries %zu bytes", len - 1);
        break;
    case SKV_CMD_WRITER_REG:
    case SKV_CMD_ENC_BOOTSTRAP:
    case SKV_CMD_ENC_ROTATION:
        rc = dec_enc(p, len, c, err, errlen);
        break;
    default:
        snprintf(err, errlen, "unknown command tag 0x%02x", p[0]);
        rc = -1;
    }
    if (rc != 0)
        skv_cmd_free(c);
    return rc;
}

void skv_cmd_free(struct skv_cmd *c)
{
    if (!c)
        return;
    free(c->regs);
    free(c->boot.regs);
    free(c->rot.regs);
    c->regs = NULL;
    c->boot.regs = NULL;
    c->rot.regs = NULL;
    c->n_regs = 0;
    c->boot.n_regs = 0;
    c->rot.n_regs = 0;
    skv_txn_free(&c->txn);
}
