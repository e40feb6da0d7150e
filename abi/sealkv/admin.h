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
 * Core ops (v1): "status", "kv.get" (arg=key, flags), "kv.put" (arg=key,
 * body=value), "kv.del" (arg=key), "members.list", "members.add" (json),
 * "members.remove" (arg=id), "members.promote" (arg=id),
 * "encryption.capability",
 * "encryption.sidecar", "encryption.enable-storage-envelope",
 * "encryption.enable-raft-envelope", "metrics" (resp.body = Prometheus
 * text exposition 0.0.4).
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
    int (*reload)(void *state, struct skv_err *err);
};

#ifdef __cplusplus
}
#endif
#endif /* SEALKV_ADMIN_H */
