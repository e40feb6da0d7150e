/* SPDX-License-Identifier: MIT */
/*
 * reload.h — credentials reload on SIGHUP (the transport's and the admin
 * plugin's optional reload(), ABI 1.1) and the transport's security
 * report (start-up warning, /v1/status block). Loop thread only.
 */
#ifndef SKV_RELOAD_H
#define SKV_RELOAD_H

#include <stdint.h>

struct skv_node;

/* Outcomes counted in skv_metrics.cred_reloads[plugin][outcome]. */
enum skv_reload_plugin { SKV_RELOAD_TRANSPORT = 0, SKV_RELOAD_ADMIN, SKV_RELOAD_PLUGINS_ };
enum skv_reload_outcome { SKV_RELOAD_OK = 0, SKV_RELOAD_ERROR, SKV_RELOAD_UNSUPPORTED,
                          SKV_RELOAD_OUTCOMES_ };

/* Call each plugin's reload() and log one line per plugin; a failure
 * keeps the old credentials and never stops the node. */
void skv_reload_credentials(struct skv_node *n);

/* SKV_TRANSPORT_SEC_* bits of the running transport (0 if it has no
 * security()). */
uint32_t skv_transport_security(const struct skv_node *n);

/* At start: WARN unless the transport is authenticated and encrypted. */
void skv_transport_security_warn(struct skv_node *n);

#endif
