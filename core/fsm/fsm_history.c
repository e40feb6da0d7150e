/* SPDX-License-Identifier: MIT */
/*
 * fsm_history.c — owns the FSM's in-memory change history
 * (fsm_history.h): recording the applied KV ops, dropping the oldest
 * indexes past the bounds, and the look-ups watch makes.
 */
#include "fsm/fsm_history.h"
#include "cmd/command.h"
#include "cmd/txn_cmd.h"
#include "util/b64.h"

#include <stdlib.h>
#include <string.h>

struct skv_history_event {
    struct skv_list link;
    uint64_t index;
    uint8_t type;
    size_t kl, vl;
    uint8_t data[];            /* key, then value */
};

#define EV(l) skv_container_of((l), struct skv_history_event, link)

void skv_history_init(struct skv_fsm_history *h)
{
    memset(h, 0, sizeof *h);
    skv_list_init(&h->events);
    h->first_index = 1;
}

void skv_history_free(struct skv_fsm_history *h)
{
    if (!h->events.next)
        return; /* never initialised (the FSM failed to open) */
    while (!skv_list_empty(&h->events)) {
        struct skv_history_event *e = EV(h->events.next);
        skv_list_del(&e->link);
        free(e);
    }
    h->n_events = h->bytes = 0;
}

void skv_history_reset(struct skv_fsm_history *h, uint64_t applied)
{
    skv_history_free(h);
    h->first_index = applied + 1;
    h->last_index = applied;
    h->changes++;
}

/* Drop the oldest index whole. */
static void drop_oldest(struct skv_fsm_history *h)
{
    uint64_t idx = EV(h->events.next)->index;
    while (!skv_list_empty(&h->events) && EV(h->events.next)->index == idx) {
        struct skv_history_event *e = EV(h->events.next);
        skv_list_del(&e->link);
        h->n_events--;
        h->bytes -= e->kl + e->vl;
        free(e);
    }
    h->first_index = idx + 1;
}

static int record(struct skv_fsm_history *h, uint64_t index, const struct skv_kv_op *op)
{
    size_t vl = op->op == SKV_KV_PUT ? op->val_len : 0;
    struct skv_history_event *e = malloc(sizeof *e + op->key_len + vl);
    if (!e)
        return -1;
    e->index = index;
    e->type = op->op == SKV_KV_PUT ? SKV_HISTORY_PUT : SKV_HISTORY_DEL;
    e->kl = op->key_len;
    e->vl = vl;
    memcpy(e->data, op->key, op->key_len);
    if (vl)
        memcpy(e->data + op->key_len, op->val, vl);
    skv_list_add_tail(&h->events, &e->link);
    h->n_events++;
    h->bytes += e->kl + e->vl;
    h->changes++;
    return 0;
}

/* The writes of the branch of a transaction that ran (`succeeded`). */
static int record_txn(struct skv_fsm_history *h, uint64_t index, const uint8_t *p, size_t len,
                      int succeeded)
{
    struct skv_txn t;
    char err[8];
    size_t i, first, n;
    int rc = 0;
    if (succeeded < 0 || skv_txn_decode(p, len, &t, err, sizeof err) != 0)
        return 0;
    first = succeeded ? 0 : t.n_success;
    n = succeeded ? t.n_success : t.n_failure;
    for (i = 0; i < n && rc == 0; i++) {
        const struct skv_txn_op *o = &t.ops[first + i];
        struct skv_kv_op kv = {o->op == SKV_TXN_PUT ? SKV_KV_PUT : SKV_KV_DEL, o->key,
                               o->key_len, o->val, o->val_len};
        if (o->op != SKV_TXN_GET)
            rc = record(h, index, &kv);
    }
    skv_txn_free(&t);
    return rc;
}

/* Record the KV ops of one payload; -1 when out of memory. */
static int record_payload(struct skv_fsm_history *h, uint64_t index, const uint8_t *p,
                          size_t len, int txn_succeeded)
{
    struct skv_kv_op op;
    char err[8];
    struct skv_kv_cond cond;
    if (len > 0 && p[0] == SKV_CMD_TXN)
        return record_txn(h, index, p, len, txn_succeeded);
    if (len > 0 && p[0] == SKV_CMD_KV)
        return skv_cmd_decode_kv(p, len, &op, err, sizeof err) == 0 ? record(h, index, &op) : 0;
    if (len > 0 && p[0] == SKV_CMD_KV_CAS) /* applied: its compare held */
        return skv_cmd_decode_kv_cas(p, len, &op, &cond, err, sizeof err) == 0
                   ? record(h, index, &op) : 0;
    if (len > 0 && p[0] == SKV_CMD_KV_BATCH) {
        size_t pos = 0;
        uint32_t left = 0;
        int rc;
        while ((rc = skv_cmd_batch_next(p, len, &pos, &left, &op, err, sizeof err)) == 1)
            if (record(h, index, &op) != 0)
                return -1;
    }
    return 0;
}

void skv_history_applied(struct skv_fsm_history *h, uint64_t index, const uint8_t *p,
                         size_t len)
{
    skv_history_applied_txn(h, index, p, len, -1);
}

void skv_history_applied_txn(struct skv_fsm_history *h, uint64_t index, const uint8_t *p,
                             size_t len, int succeeded)
{
    if (index <= h->last_index)
        return;
    h->last_index = index;
    if (record_payload(h, index, p, len, succeeded) != 0) {
        skv_history_reset(h, index); /* incomplete: nobody may be served this index */
        return;
    }
    while (!skv_list_empty(&h->events) &&
           (h->n_events > SKV_HISTORY_MAX_EVENTS || h->bytes > SKV_HISTORY_MAX_BYTES))
        drop_oldest(h);
}

static int matches(const struct skv_history_event *e, const uint8_t *prefix, size_t plen)
{
    return plen == 0 || (e->kl >= plen && memcmp(e->data, prefix, plen) == 0);
}

/* The first event after `from` (newest-first walk: a watcher is usually
 * near the end), or the list head. */
static const struct skv_list *first_after(const struct skv_fsm_history *h, uint64_t from)
{
    const struct skv_list *l = h->events.prev;
    while (l != &h->events && EV(l)->index > from)
        l = l->prev;
    return l->next;
}

int skv_history_has(const struct skv_fsm_history *h, uint64_t from, const uint8_t *prefix,
                    size_t plen)
{
    const struct skv_list *l;
    for (l = first_after(h, from); l != &h->events; l = l->next)
        if (matches(EV(l), prefix, plen))
            return 1;
    return 0;
}

static int put_event(struct skv_buf *b, const struct skv_history_event *e, int first)
{
    char head[96];
    int n = snprintf(head, sizeof head, "%s{\"index\":%llu,\"type\":\"%s\",\"key\":\"",
                     first ? "" : ",", (unsigned long long)e->index,
                     e->type == SKV_HISTORY_PUT ? "put" : "delete");
    if (skv_buf_append(b, head, (size_t)n) || skv_buf_append_b64(b, e->data, e->kl))
        return -1;
    if (e->type == SKV_HISTORY_PUT &&
        (skv_buf_append(b, "\",\"value\":\"", 11) || skv_buf_append_b64(b, e->data + e->kl, e->vl)))
        return -1;
    return skv_buf_append(b, "\"}", 2);
}

long skv_history_collect(const struct skv_fsm_history *h, uint64_t from,
                         const uint8_t *prefix, size_t plen, size_t max_events,
                         size_t max_bytes, struct skv_buf *out, uint64_t *covered)
{
    const struct skv_list *l;
    size_t n = 0, bytes = 0;
    uint64_t stop = 0; /* an index not to be split: stop after it */
    if (from + 1 < h->first_index)
        return -1;
    *covered = h->last_index > from ? h->last_index : from;
    for (l = first_after(h, from); l != &h->events; l = l->next) {
        const struct skv_history_event *e = EV(l);
        if (stop && e->index != stop)
            break;
        if (!matches(e, prefix, plen))
            continue;
        if (put_event(out, e, n == 0) != 0)
            return -2;
        n++;
        bytes += e->kl + e->vl;
        if (!stop && (n >= max_events || bytes >= max_bytes)) {
            stop = e->index;
            *covered = e->index;
        }
    }
    return (long)n;
}
