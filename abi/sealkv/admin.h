/* SPDX-License-Identifier: MIT */
/*
 * <sealkv/admin.h> — admin plugin ops: the operator-facing server.
 *
 * The plugin translates external requests (HTTP/JSON for admin-http) into
 * core admin ops via host->admin_call() (struct skv_admin_req in
 * <sealkv/plugin.h>). The op set is a string namespace and grows without
 * an ABI change; unknown ops are answered with status 404 and error
 * "ErrUnknownOp". Values are binary-safe: req.body / resp.body carry raw
 * bytes.
 *
 * Core ops (the core's dispatch table today; fields of skv_admin_req not
 * named are NULL/0 and ignored). Where: which node answers: any
 * node, or the leader (a follower answers 503 ErrNotLeader with the
 * leader's id, except kv.put/kv.del, which it forwards); "ready" means a
 * leader that has applied every entry of earlier terms (else 503,
 * retryable). Replies carry resp.json unless noted; errors carry
 * resp.error (stable "ErrXxx" name), resp.message and resp.status.
 *
 *   "status"            any node. json: {id, state, leader_id, term,
 *                       last_index, applied_index, commit_index, members,
 *                       encryption:{...}, transport:{authenticated,
 *                       encrypted}}.
 *   "health"            any node, also halted. json: {"status":"ok"} (the
 *                       loop answers: the process serves). GET /healthz.
 *   "ready"             any node, also halted. arg = max_lag (decimal,
 *                       optional, default 1000). json: {status:"ready",
 *                       leader_id, applied_index, commit_index}; else 503
 *                       ErrNotReady, whose resp.json {reason, leader_id,
 *                       applied_index, commit_index} says why (reason:
 *                       halted, stopping, starting, no_leader,
 *                       leader_not_ready, applying). GET /readyz.
 *   "metrics"           any node. resp.body: Prometheus text exposition
 *                       0.0.4 (no json); a plugin may append families of
 *                       its own (admin-http: request latency per route).
 *   "kv.get"            arg = key (1..4096 bytes, binary). Leader,
 *                       ready; flags SKV_ADMIN_F_LOCAL_READ: any node, its
 *                       local state. resp.body = value; resp.mod_index /
 *                       create_index (since 1.2) the key's revision, also
 *                       as resp.json {mod_index, create_index} (a plugin
 *                       serving the body ignores it); 404 ErrKeyNotFound.
 *   "kv.put"            arg = key, body = value (binary, may be empty).
 *                       Any node (forwarded to the leader). json: {index}.
 *                       req.json optional: {"prev_index":N} (only if the
 *                       key's mod index is N) or {"prev_exist":true|false}
 *                       (only if present / absent); a failed compare is
 *                       412 ErrCompareFailed whose resp.json is
 *                       {mod_index} (the current one, 0: absent).
 *   "kv.del"            arg = key. As kv.put (req.json: prev_index only).
 *                       json: {index}.
 *   "members.list"      any node. json: {members:[{id, address, role,
 *                       match_index, lag}], leader_id, last_index};
 *                       match_index and lag are null unless this node
 *                       leads.
 *   "members.add"       json (required): {"id":N, "address":"host:port",
 *                       "role":"voter"|"standby"}. Leader, ready.
 *                       json: {id, role}.
 *   "members.promote"   arg = node id (decimal). Leader, ready. json:
 *                       {id, role}.
 *   "members.remove"    arg = node id (decimal). Leader. json: {id, role}.
 *   "encryption.capability"  any node. json: this node's report and, on
 *                       the leader, every member's ({id, capable,
 *                       reasons, suites, ...}).
 *   "encryption.sidecar"     any node. json: {present, sidecar:{...}}
 *                       (key ids and epochs, never key bytes).
 *   "encryption.enable-storage-envelope"  json optional (ignored today).
 *                       Leader, ready. json: {applied_index,
 *                       was_already_active, capability_summary:[...]}; 412
 *                       ErrCapabilityCheckFailed names the nodes.
 *   "encryption.enable-raft-envelope"     as above; json: {applied_index
 *                       (the cutover index), was_already_active,
 *                       capability_summary}.
 *   "encryption.rotate-dek"               json optional {"purpose":
 *                       "storage"|"raft", "if_active":KEY_ID}. Leader,
 *                       ready. json: {applied_index, purpose, key_id,
 *                       previous_key_id, was_already_rotated}.
 *   "encryption.retire"                   json {"key_id":K}. Leader, ready
 *                       (refused: unknown, active or retired key; a
 *                       rotation, cutover or membership change running).
 *                       json: {applied_index, key_id, purpose}; each
 *                       node then drops the key in a local job.
 *   "encryption.rewrap-kek"               json {"kek_file": ABS_PATH}. Any
 *                       node, runs locally (KEK rotation). json: {kek_id,
 *                       previous_kek_id, keys_rewrapped, keys, kek_file};
 *                       409 ErrKEKAlreadyCurrent, 400 for a bad KEK file,
 *                       412 ErrCapabilityCheckFailed (a member without the
 *                       new KEK), 503 ErrKEKRewrapInProgress.
 *   "encryption.erase-cleartext"          json optional (ignored today).
 *                       Any node (runs locally). json: {resealed_values,
 *                       log_first_index, cutover_index, storage_compacted};
 *                       503 ErrEraseIncomplete (retryable).
 *
 * Any other op: 404 ErrUnknownOp. New ops are added without an ABI
 * change; a plugin must pass resp.json/resp.body through unchanged (an
 * error answer's resp.json, when present, is an object of extra fields
 * to show beside error and message).
 *
 * Threads: start/stop from the loop thread; the plugin serves requests on
 * its own threads and calls host->admin_call() from them. The done
 * callback runs on the loop thread and must not block: copy the response
 * and wake the serving thread. The host never unloads an admin plugin
 * while a done callback may still run (stop and fini come from the loop
 * thread, after every accepted call was answered).
 */
#ifndef SEALKV_ADMIN_H
#define SEALKV_ADMIN_H

#include <sealkv/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

struct skv_admin_ops {
    uint32_t struct_size;

    /* Start serving (e.g. bind the listen address from options). Loop
     * thread. SKV_ERR_BUSY if the address is in use. */
    int (*start)(void *state, struct skv_err *err);

    /* Stop accepting, close connections, join threads. Loop thread.
     * Before calling stop() the host has answered every pending request
     * (done called with SKV_ERR_CLOSED) and makes any later admin_call()
     * return SKV_ERR_CLOSED at once, so serving threads never wait on the
     * loop while stop() joins them. */
    void (*stop)(void *state);

    /* ---- since 1.1 ---- */

    /* Optional (SKV_HAS): re-read credentials (TLS certificate, key,
     * client CA, token file) from the files named in the options, e.g. on
     * SIGHUP. New connections use them; on failure the old ones stay in
     * use and `err` says why. Loop thread; must not block for long. */
    int (*reload)(void *state, struct skv_err *err); /* since 1.1 */
};

#ifdef __cplusplus
}
#endif
#endif /* SEALKV_ADMIN_H */
