/*
 * capability.c — the capability probe and fan-out (see capability.h).
 * (stub: being written)
 */
#include "capability.h"
#include "op.h"

json_t *skv_cap_report(struct skv_node *n) { (void)n; return json_object(); }
void skv_cap_fanout(struct skv_node *n, const char *suite, const struct skv_cap_target *extra,
                    size_t n_extra, skv_cap_done_fn cb, void *arg)
{
    json_t *a = json_array();
    (void)suite; (void)extra; (void)n_extra;
    cb(n, arg, 0, a, "ErrCapabilityCheckFailed: not implemented yet");
    json_decref(a);
}
void skv_cap_on_req(struct skv_node *n, uint64_t from, const struct skv_ctl_simple *m) { (void)n; (void)from; (void)m; }
void skv_cap_on_resp(struct skv_node *n, uint64_t from, const struct skv_ctl_simple *m) { (void)n; (void)from; (void)m; }
void skv_cap_expire(struct skv_node *n, uint64_t now_ms) { (void)n; (void)now_ms; }
void skv_cap_fail_all(struct skv_node *n) { (void)n; }
void skv_op_enc_capability(struct skv_op *op) { skv_op_reply_error(op, SKV_ERR_UNSUPPORTED, 501, "ErrNotImplemented", 0, "soon"); }
void skv_op_enc_sidecar(struct skv_op *op) { skv_op_reply_error(op, SKV_ERR_UNSUPPORTED, 501, "ErrNotImplemented", 0, "soon"); }
