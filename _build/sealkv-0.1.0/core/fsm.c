/*
 * fsm.c — FSM apply: decode the command, write the data and the applied
 * index in one storage batch, skip entries at or below the durable applied
 * index (replay after restart). A failure returns non-zero, which stops
 * C-Raft's apply loop without advancing last_applied (fail closed).
 */
#include "fsm.h"
#include "command.h"
#include "bytes.h"
#include "keys.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

const uint8_t skv_fsm_applied_key[8] = {SKV_PFX_FSM_META, 'a', 'p', 'p', 'l', 'i', 'e', 'd'};

/* Build "prefix ‖ key" into buf (caller provides SKV_MAX_KEY + 1). */
static size_t data_key(uint8_t *buf, const uint8_t *key, size_t len)
{
    buf[0] = SKV_PFX_FSM_DATA;
    memcpy(buf + 1, key, len);
    return len + 1;
}

static int load_applied(struct skv_fsm *f, char *err, size_t errlen)
{
    struct skv_node *n = f->node;
    struct skv_err e = {0, ""};
    void *v = NULL;
    size_t vl = 0;
    int rc = n->st->get(n->db, NULL, skv_fsm_applied_key, sizeof skv_fsm_applied_key, &v, &vl, &e);
    if (rc == SKV_ERR_NOTFOUND) {
        f->applied = 0;
        return 0;
    }
    if (rc != SKV_OK || vl != 8) {
        snprintf(err, errlen, "fsm: cannot read applied index: %s",
                 rc != SKV_OK ? e.msg : "bad length");
        n->st->free_buf(n->db, v);
        return -1;
    }
    f->applied = skv_get_be64(v);
    n->st->free_buf(n->db, v);
    return 0;
}

/* Apply one KV op plus the applied index atomically. */
static int apply_kv(struct skv_fsm *f, uint64_t index, const struct skv_kv_op *op)
{
    struct skv_node *n = f->node;
    struct skv_err e = {0, ""};
    uint8_t kbuf[SKV_MAX_KEY + 1], ibuf[8], *rec = NULL;
    struct skv_batch_op b[2];
    int rc;

    memset(b, 0, sizeof b);
    b[0].key = kbuf;
    b[0].key_len = data_key(kbuf, op->key, op->key_len);
    if (op->op == SKV_KV_PUT) {
        rec = malloc(op->val_len + 1);
        if (!rec)
            return RAFT_NOMEM;
        rec[0] = 0; /* cleartext */
        if (op->val_len)
            memcpy(rec + 1, op->val, op->val_len);
        b[0].type = SKV_BATCH_PUT;
        b[0].val = rec;
        b[0].val_len = op->val_len + 1;
    } else {
        b[0].type = SKV_BATCH_DEL;
    }
    skv_put_be64(ibuf, index);
    b[1].type = SKV_BATCH_PUT;
    b[1].key = skv_fsm_applied_key;
    b[1].key_len = sizeof skv_fsm_applied_key;
    b[1].val = ibuf;
    b[1].val_len = 8;
    rc = n->st->write(n->db, b, 2, 0, &e);
    free(rec);
    if (rc != SKV_OK) {
        skv_node_halt(n, "fsm: storage write failed at index %llu: %s",
                      (unsigned long long)index, e.msg);
        return RAFT_IOERR;
    }
    f->applied = index;
    return 0;
}

static int fsm_apply(struct raft_fsm *rf, const struct raft_buffer *buf,
                     void **result)
{
    struct skv_fsm *f = rf->data;
    struct skv_node *n = f->node;
    uint64_t index = raft_last_applied(&n->raft) + 1;
    struct skv_kv_op op;
    char msg[200];
    const uint8_t *p = buf->base;

    *result = NULL;
    if (n->run_state == SKV_RUN_HALTED)
        return RAFT_SHUTDOWN;
    if (index <= f->applied)
        return 0; /* replay of an entry already in the FSM */
    if (buf->len == 0) {
        skv_node_halt(n, "fsm: empty command at index %llu", (unsigned long long)index);
        return RAFT_MALFORMED;
    }
    switch (p[0]) {
    case SKV_CMD_KV:
        if (skv_cmd_decode_kv(p, buf->len, &op, msg, sizeof msg) != 0)
            break;
        return apply_kv(f, index, &op);
    default:
        snprintf(msg, sizeof msg, "unknown command tag 0x%02x", p[0]);
        break;
    }
    skv_node_halt(n, "fsm: cannot apply entry %llu: %s", (unsigned long long)index, msg);
    return RAFT_MALFORMED;
}

int skv_fsm_get(struct skv_fsm *f, const uint8_t *key, size_t key_len,
                uint8_t **val, size_t *val_len, struct skv_err *err)
{
    struct skv_node *n = f->node;
    uint8_t kbuf[SKV_MAX_KEY + 1];
    void *v = NULL;
    size_t vl = 0;
    int rc;
    if (key_len == 0 || key_len > SKV_MAX_KEY)
        return skv_err_set(err, SKV_ERR_INVALID, "key length must be 1..%u", SKV_MAX_KEY);
    rc = n->st->get(n->db, NULL, kbuf, data_key(kbuf, key, key_len), &v, &vl, err);
    if (rc != SKV_OK)
        return rc;
    if (vl < 1 || (((uint8_t *)v)[0] & 0x03) != 0) {
        n->st->free_buf(n->db, v);
        return skv_err_set(err, SKV_ERR_CORRUPT, "stored value record has an unknown header");
    }
    *val = malloc(vl);
    if (!*val) {
        n->st->free_buf(n->db, v);
        return skv_err_set(err, SKV_ERR_NOMEM, "out of memory");
    }
    memcpy(*val, (uint8_t *)v + 1, vl - 1);
    *val_len = vl - 1;
    n->st->free_buf(n->db, v);
    return SKV_OK;
}

int skv_fsm_init(struct skv_fsm *f, struct skv_node *n, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->node = n;
    f->raft_fsm.version = 1;
    f->raft_fsm.data = f;
    f->raft_fsm.apply = fsm_apply;
    f->raft_fsm.snapshot = skv_fsm_snapshot;
    f->raft_fsm.restore = skv_fsm_restore;
    return load_applied(f, err, errlen);
}

