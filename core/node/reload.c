/* SPDX-License-Identifier: MIT */
/*
 * reload.c — SIGHUP credential reload and the transport security report
 * (see reload.h).
 */
#include "node/reload.h"
#include "util/log.h"
#include "node/node.h"

static void reload_one(struct skv_node *n, int which, const char *component,
                       int (*fn)(void *, struct skv_err *), void *state)
{
    struct skv_err e = {0, ""};
    int min = n->conf->log_level, outcome;
    if (!fn) {
        outcome = SKV_RELOAD_UNSUPPORTED;
        skv_log(SKV_LOG_INFO, min, component, "credentials not reloaded: the plugin has no reload");
    } else if (fn(state, &e) == SKV_OK) {
        outcome = SKV_RELOAD_OK;
        skv_log(SKV_LOG_INFO, min, component, "credentials reloaded");
    } else {
        outcome = SKV_RELOAD_ERROR;
        skv_log(SKV_LOG_ERROR, min, component,
                "credentials reload failed, the old ones stay in use: %s", e.msg);
    }
    n->metrics.cred_reloads[which][outcome]++;
}

void skv_reload_credentials(struct skv_node *n)
{
    if (n->stopping || !n->admin_started) {
        skv_node_log(n, SKV_LOG_INFO, "SIGHUP ignored: the node is not serving");
        return;
    }
    reload_one(n, SKV_RELOAD_TRANSPORT, "transport",
               SKV_HAS(n->tr, struct skv_transport_ops, reload) ? n->tr->reload : NULL,
               n->tr_state);
    reload_one(n, SKV_RELOAD_ADMIN, "admin",
               SKV_HAS(n->ad, struct skv_admin_ops, reload) ? n->ad->reload : NULL,
               n->ad_state);
}

uint32_t skv_transport_security(const struct skv_node *n)
{
    if (!n->tr || !SKV_HAS(n->tr, struct skv_transport_ops, security))
        return 0;
    return n->tr->security(n->tr_state);
}

void skv_transport_security_warn(struct skv_node *n)
{
    uint32_t sec = skv_transport_security(n);
    int auth = (sec & SKV_TRANSPORT_SEC_AUTHENTICATED) != 0;
    int enc = (sec & SKV_TRANSPORT_SEC_ENCRYPTED) != 0;
    if (auth && enc)
        return;
    skv_node_log(n, SKV_LOG_WARN, "node-to-node traffic is %s%s%s: %s%s%s", auth ? "" : "unauthenticated",
                 auth || enc ? "" : " and ", enc ? "" : "plaintext",
                 auth ? "" : "anyone who reaches the raft port can claim to be a member",
                 auth || enc ? "" : "; ",
                 enc ? "" : "frames cross the network readable by anyone on the path");
}
