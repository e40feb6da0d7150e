/* SPDX-License-Identifier: MIT */
/*
 * kv_cond.c — the condition of a compare-and-swap write (kv.put, kv.del):
 * the op's JSON parameters, as admin-http builds them from ?prev_index=N
 * or ?prev_exist=true|false, checked and turned into the condition of a
 * 0x06 command (cmd/command.h). The compare itself is the FSM's (fsm.c).
 */
#include "admin/admin_ops.h"
#include "cmd/command.h"

#include <jansson.h>
#include <string.h>

/* 2^62: the largest log index (wire.h) */
#define SKV_COND_MAX_INDEX (1ull << 62)

static int bad(struct skv_op *op, const char *msg)
{
    skv_op_fail(op, SKV_ErrBadRequest, "%s: %s", op->op, msg);
    return -1;
}

static int take(struct skv_op *op, uint8_t opcode, json_t *o, struct skv_kv_cond *c)
{
    json_t *pi = json_object_get(o, "prev_index"), *pe = json_object_get(o, "prev_exist");
    if (json_object_size(o) != (size_t)(!!pi + !!pe))
        return bad(op, "unknown parameter: expected prev_index or prev_exist");
    if (pi && pe)
        return bad(op, "prev_index and prev_exist are exclusive");
    memset(c, 0, sizeof *c);
    if (pi) {
        json_int_t v = json_is_integer(pi) ? json_integer_value(pi) : -1;
        if (v < 0 || (unsigned long long)v > SKV_COND_MAX_INDEX)
            return bad(op, "prev_index must be an index, 0..2^62");
        c->kind = SKV_COND_MOD;
        c->prev = (uint64_t)v;
        return 1;
    }
    if (!json_is_boolean(pe))
        return bad(op, "prev_exist must be true or false");
    if (opcode == SKV_KV_DEL)
        return bad(op, "a delete takes prev_index only");
    c->kind = json_is_true(pe) ? SKV_COND_PRESENT : SKV_COND_ABSENT;
    return 1;
}

int skv_kv_cond_parse(struct skv_op *op, uint8_t opcode, struct skv_kv_cond *c)
{
    json_error_t je;
    json_t *o;
    int rc;
    if (!op->json)
        return 0;
    if (!(o = json_loads(op->json, JSON_REJECT_DUPLICATES, &je)) || !json_is_object(o)) {
        json_decref(o);
        return bad(op, "parameters must be a JSON object");
    }
    rc = json_object_size(o) == 0 ? 0 : take(op, opcode, o, c);
    json_decref(o);
    return rc;
}
