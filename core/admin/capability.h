/* SPDX-License-Identifier: MIT */
/*
 * capability.h — the encryption capability probe (DESIGN.md §5
 * "Capability"): every node answers CAP_REQ with its report; the leader
 * fans out to voters ∪ standbys (plus optional extra nodes, e.g. a
 * newcomer before it is added), fresh every time (no cache), bounded by
 * one election timeout, and fails with ErrCapabilityCheckFailed naming
 * each node and its reason.
 *
 * Report (JSON object, also GET /v1/encryption/capability):
 *   {"id":N, "node_id16":N, "capable":bool, "reasons":["..."],
 *    "encryption_enabled":bool, "kek_loaded":bool, "cipher_plugin":"sodium",
 *    "suites":["aes-256-gcm",...] (available ones only), "abi_major":1,
 *    "abi_minor":M, "build":"x.y.z", "sidecar_present":bool,
 *    "local_epoch":E (max over this node's keys, 0 without keys),
 *    "bootstrapped":bool, "kek_ids":["<32 hex>",...] (every KEK held;
 *    absent from older builds)}
 * Capable = encryption enabled, KEK loaded, cipher plugin loaded.
 *
 * Wire: CAP_REQ carries in its json {"reply_to":"host:port"} (the probed
 * node may not know the leader yet); CAP_RESP carries the report.
 * Loop thread only.
 */
#ifndef SKV_CAPABILITY_H
#define SKV_CAPABILITY_H

#include <jansson.h>

#include "node/node.h"
#include "wire/wire.h"

/* One extra node to probe besides the configuration. */
struct skv_cap_target {
    uint64_t id;
    const char *address;
};

/* Result: ok = every node capable and supports `suite` (NULL: any). The
 * summary is a JSON array of {"id","address","role","capable","reason",
 * "local_epoch","suites"} — one per probed node, in id order; the callee
 * owns it (decref after the callback returns). `message` on failure:
 * the catalogue name ErrCapabilityCheckFailed, then ": node 3
 * (127.0.0.1:7103): encryption not enabled; node 4 (...): unreachable
 * (no answer within 1000 ms)". */
typedef void (*skv_cap_done_fn)(struct skv_node *n, void *arg, int ok,
                                json_t *summary, const char *message);

/* Start a fan-out (leader). `cb` is called exactly once, possibly before
 * this returns. The local node is probed in-process. */
void skv_cap_fanout(struct skv_node *n, const char *suite,
                    const struct skv_cap_target *extra, size_t n_extra,
                    skv_cap_done_fn cb, void *arg);

/* As skv_cap_fanout (no suite, no extra node), and every node must also
 * hold the KEK with this id ("does not hold KEK id ..." otherwise): the
 * check before a rewrap-kek wraps under a new KEK (enc_rewrap.c). */
void skv_cap_fanout_kek(struct skv_node *n, const char *kek_id, skv_cap_done_fn cb,
                        void *arg);

/* As skv_cap_fanout (no extra node), and every node must also list
 * `feature` in its report's "features" ("does not support FEATURE (an
 * older build)" otherwise): the gate of seal-key-names (enc_names.c). */
#define SKV_FEATURE_SEAL_KEY_NAMES "seal-key-names"
void skv_cap_fanout_feature(struct skv_node *n, const char *suite, const char *feature,
                            skv_cap_done_fn cb, void *arg);
/* Both: extra nodes and a feature (NULL: none) — the newcomer gate once
 * key names are sealed (enc_regs.c). */
void skv_cap_fanout_ex(struct skv_node *n, const char *suite, const char *feature,
                       const struct skv_cap_target *extra, size_t n_extra,
                       skv_cap_done_fn cb, void *arg);

/* This node's report (new reference). */
json_t *skv_cap_report(struct skv_node *n);

/* The fan-outs' tracker (open), frames (dispatch.c), deadlines (tick),
 * shutdown. */
void skv_cap_init(struct skv_node *n);
void skv_cap_on_req(struct skv_node *n, uint64_t from, const struct skv_ctl_simple *m);
void skv_cap_on_resp(struct skv_node *n, uint64_t from, const struct skv_ctl_simple *m);
void skv_cap_tick(struct skv_node *n, uint64_t now_ms);
void skv_cap_fail_all(struct skv_node *n);

/* Ops: GET /v1/encryption/capability (this node's report) and
 * GET /v1/encryption/sidecar (this node's sidecar JSON, wrapped keys
 * only; {"present":false} style answer when there is none). */
struct skv_op;
void skv_op_enc_capability(struct skv_op *op);
void skv_op_enc_sidecar(struct skv_op *op);

#endif
