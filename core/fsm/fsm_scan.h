/* SPDX-License-Identifier: MIT */
/*
 * fsm_scan.h — an ordered walk of the FSM's user keys for listing
 * (GET /v1/kv?prefix=...): the keys that start with a prefix and sort
 * after a given key, in byte order, each value opened as a read opens it.
 * Loop thread only (the FSM is the loop's); the pending round is written
 * first, so a scan sees every applied entry.
 */
#ifndef SKV_FSM_SCAN_H
#define SKV_FSM_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include <sealkv/plugin.h>

struct skv_fsm;

struct skv_fsm_scan {
    const uint8_t *prefix;   /* may be empty (every key) */
    size_t prefix_len;       /* 0..SKV_MAX_KEY */
    const uint8_t *after;    /* start strictly after this key, or NULL */
    size_t after_len;        /* 0 (start at the prefix)..SKV_MAX_KEY */
    int keys_only;           /* values are neither opened nor passed */
};

/* Called for each key in order; `val` is NULL with keys_only; mod_index
 * is the key's (fsm_rev.h; 0: written before revisions). Return 0 to go
 * on, 1 to stop here (the key is not taken: the walk reports more), -1
 * to fail (SKV_ERR_NOMEM). */
typedef int (*skv_fsm_scan_fn)(void *arg, const uint8_t *key, size_t kl,
                               const uint8_t *val, size_t vl, uint64_t mod_index);

/* SKV_OK with *more = 1 when fn stopped before the end of the range, or
 * an error (message in err): a value that does not open is an error, not
 * a silent skip. */
int skv_fsm_scan(struct skv_fsm *f, const struct skv_fsm_scan *s,
                 skv_fsm_scan_fn fn, void *arg, int *more, struct skv_err *err);

/* 1 if a store key starts with the one-byte prefix pfx (any FSM prefix,
 * keys.h), 0 if none, -1 on a store error (message in err). Reads the
 * store as it is: the pending round is not written first. */
int skv_fsm_any_with_prefix(struct skv_fsm *f, uint8_t pfx, struct skv_err *err);

#endif /* SKV_FSM_SCAN_H */
