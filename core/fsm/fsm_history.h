/* SPDX-License-Identifier: MIT */
/*
 * fsm_history.h — the recent changes the FSM applied, kept in memory for
 * watch (GET /v1/watch): one event per KV put or delete, in log order,
 * with the key and the value as proposed. Every event of an index at or
 * above `first_index` is kept; older ones are dropped whole (per index)
 * once SKV_HISTORY_MAX_EVENTS or SKV_HISTORY_MAX_BYTES is passed. At
 * start and after a snapshot restore the history begins empty above the
 * FSM's applied index: what came before cannot be replayed (410).
 * Deterministic: events are the applied entries, so every replica's
 * history agrees index by index. Loop thread only.
 */
#ifndef SKV_FSM_HISTORY_H
#define SKV_FSM_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/list.h"

#define SKV_HISTORY_MAX_EVENTS 100000u
#define SKV_HISTORY_MAX_BYTES (32u * 1024u * 1024u)

enum skv_history_type { SKV_HISTORY_PUT = 1, SKV_HISTORY_DEL = 2 };

struct skv_fsm_history {
    struct skv_list events;   /* struct skv_history_event, oldest first */
    size_t n_events, bytes;
    uint64_t first_index;     /* every event of an index >= this is kept */
    uint64_t last_index;      /* the highest index applied (events or not) */
    uint64_t changes;         /* bumped by every recorded event */
};

void skv_history_init(struct skv_fsm_history *h);
/* Forget everything; the history starts above `applied` (start-up,
 * snapshot restore). */
void skv_history_reset(struct skv_fsm_history *h, uint64_t applied);
void skv_history_free(struct skv_fsm_history *h);

/* The entry at `index` applied (payload p[0..len), cleartext): record its
 * KV puts and deletes. Out of memory drops the history up to and
 * including `index` (a watcher from before gets 410), never fails. */
void skv_history_applied(struct skv_fsm_history *h, uint64_t index, const uint8_t *p,
                         size_t len);
/* The same for any entry, a transaction (0x07) included: its events are
 * the puts and deletes of the branch that ran (`succeeded` 1: success,
 * 0: failure; -1: not a transaction, or nothing ran). */
void skv_history_applied_txn(struct skv_fsm_history *h, uint64_t index, const uint8_t *p,
                             size_t len, int succeeded);

/* Events after `from` whose key starts with prefix[0..plen), appended to
 * `out` as JSON array members {"index","type","key","value"} (base64;
 * no value on delete), whole indexes only, at most max_events events and
 * about max_bytes of keys and values. *covered: the index up to which
 * every event was looked at (resume from it). Returns the number of
 * events, -1 when `from` is older than the history (410: events after
 * it are gone), -2 when out of memory. */
long skv_history_collect(const struct skv_fsm_history *h, uint64_t from,
                         const uint8_t *prefix, size_t plen, size_t max_events,
                         size_t max_bytes, struct skv_buf *out, uint64_t *covered);

/* 1 if an event after `from` matches the prefix (a waiting watch). */
int skv_history_has(const struct skv_fsm_history *h, uint64_t from, const uint8_t *prefix,
                    size_t plen);

#endif /* SKV_FSM_HISTORY_H */
