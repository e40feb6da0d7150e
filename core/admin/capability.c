/* SPDX-License-Identifier: MIT */
/*
 * capability.c — the encryption capability report (DESIGN.md §5
 * "Capability"; API and report format in capability.h):
 *
 *   - this node's report (skv_cap_report) and the two read-only ops
 *     encryption.capability and encryption.sidecar;
 *   - the answer to a CAP_REQ frame (skv_cap_on_req), sent to the
 *     member's configured address or, for a node not yet added, the
 *     request's reply_to.
 *
 * The leader's fan-out is cap_fanout.c's, its verdict on the (untrusted)
 * reports cap_verdict.c's. Loop thread only; no global state.
 */
#include "admin/capability.h"
#include "admin/cap_fanout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sealkv/plugin.h>

#include "build-config.h"
#include "admin/admin_ops.h"
#include "intake/op.h"

static const char *config_address(struct skv_node *n, uint64_t id)
{
    const struct raft_configuration *c = &n->raft.configuration;
    unsigned i;
    for (i = 0; i < c->n; i++)
        if (c->servers[i].id == id)
            return c->servers[i].address;
    return NULL;
}

/* ---- this node's report ----------------------------------------------- */

/* Available suites of the loaded cipher plugin (new array, NULL on OOM). */
static json_t *local_suites(struct skv_node *n)
{
    json_t *a = json_array();
    unsigned i, cnt;
    if (!a || !n->ci || !n->ci->suite_count || !n->ci->suite_get)
        return a;
    cnt = n->ci->suite_count(n->ci_state);
    for (i = 0; i < cnt && i < CAP_SUITES_MAX; i++) {
        struct skv_cipher_suite s;
        json_t *v;
        memset(&s, 0, sizeof s);
        s.struct_size = sizeof s;
        if (n->ci->suite_get(n->ci_state, i, &s) != SKV_OK || !s.name ||
            !skv_enc_suite_available(n->ci, n->ci_state, s.name))
            continue;
        v = json_string(s.name);
        if (!v)
            continue;   /* not UTF-8: not a name anybody can ask for */
        if (json_array_append_new(a, v) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* Append why this node is not capable; returns the number appended or -1
 * on OOM. */
static int local_reasons(struct skv_node *n, json_t *reasons, size_t n_suites)
{
    const char *r[4];
    int k = 0, i;
    if (!n->enc.enabled)
        r[k++] = "encryption not enabled";
    else if (!n->enc.ks)
        r[k++] = "no KEK loaded";
    if (!n->ci)
        r[k++] = "cipher plugin not loaded";
    else if (n_suites == 0)
        r[k++] = "cipher plugin has no usable suite";
    if (n->run_state == SKV_RUN_HALTED)
        r[k++] = "node is halted";
    for (i = 0; i < k; i++)
        if (json_array_append_new(reasons, json_string(r[i])) != 0)
            return -1;
    return k;
}

static uint32_t local_epoch(const struct skv_enc *enc)
{
    uint32_t e = 0;
    size_t i;
    for (i = 0; i < enc->sc.n_keys && i < SKV_SIDECAR_MAX_ENTRIES; i++)
        if (enc->sc.keys[i].local_epoch > e)
            e = enc->sc.keys[i].local_epoch;
    return e;
}

static const char *cipher_name(struct skv_node *n)
{
    const struct skv_plugin *d = n->plugins.cipher ? skv_plugin_desc(n->plugins.cipher) : NULL;
    if (d && d->name)
        return d->name;
    return n->conf->cipher.name;
}

/* "features": what this build supports beyond the ABI (the gate of
 * seal-key-names, enc_names.c). Test hook (--enable-fault-injection):
 * $SEALKV_TEST_NO_FEATURES set answers none, as an older build does. */
static json_t *features(void)
{
#ifdef SKV_TEST_HOOKS
    if (getenv("SEALKV_TEST_NO_FEATURES"))
        return json_array();
#endif
    return json_pack("[s]", SKV_FEATURE_SEAL_KEY_NAMES);
}

/* KEK rotation: "kek_ids", the ids of every KEK this node holds (a
 * rewrap-kek elsewhere checks each member holds the new one). Takes r;
 * NULL on OOM. */
static json_t *with_kek_ids(struct skv_node *n, json_t *r)
{
    json_t *ids = json_array();
    size_t i;
    for (i = 0; ids && i < skv_keystore_kek_count(n->enc.ks); i++)
        if (json_array_append_new(ids, json_string(skv_keystore_kek_id_at(n->enc.ks, i))) != 0) {
            json_decref(ids);
            ids = NULL;
        }
    if (!r || !ids || json_object_set_new(r, "kek_ids", ids) != 0 ||
        json_object_set_new(r, "features", features()) != 0) {
        if (!r)
            json_decref(ids);
        json_decref(r);
        return NULL;
    }
    return r;
}

/* New reference; NULL only on OOM. */
json_t *skv_cap_report(struct skv_node *n)
{
    json_t *suites = local_suites(n), *reasons = json_array();
    int k;
    if (!suites || !reasons) {
        json_decref(suites);
        json_decref(reasons);
        return NULL;
    }
    k = local_reasons(n, reasons, json_array_size(suites));
    if (k < 0) {
        json_decref(suites);
        json_decref(reasons);
        return NULL;
    }
    return with_kek_ids(n, json_pack("{s:I,s:I,s:b,s:o,s:b,s:b,s:s?,s:o,s:i,s:i,s:s,s:b,s:I,s:b}",
                     "id", (json_int_t)n->conf->node_id,
                     "node_id16", (json_int_t)n->enc.node16,
                     "capable", k == 0,
                     "reasons", reasons,
                     "encryption_enabled", n->enc.enabled != 0,
                     "kek_loaded", n->enc.ks != NULL,
                     "cipher_plugin", cipher_name(n),
                     "suites", suites,
                     "abi_major", SKV_ABI_MAJOR, "abi_minor", SKV_ABI_MINOR,
                     "build", PACKAGE_VERSION,
                     "sidecar_present", n->enc.sc_present != 0,
                     "local_epoch", (json_int_t)local_epoch(&n->enc),
                     "bootstrapped", skv_enc_bootstrapped(&n->enc)));
}

/* ---- answering a probe ------------------------------------------------ */

/* Where to send the answer: the configured address of `from` when it is
 * a member (no frame may redirect traffic for a member), else the
 * request's reply_to (a node waiting to be added knows no one yet). 0, or
 * -1 with the problem in why. */
static int reply_address(struct skv_node *n, uint64_t from, const struct skv_ctl_simple *m,
                         char *out, size_t outlen, char *why, size_t wlen)
{
    json_error_t je;
    json_t *o = NULL, *v = NULL;
    const char *cfg = config_address(n, from);
    if (cfg && strlen(cfg) < outlen) {
        snprintf(out, outlen, "%s", cfg);
        return 0;
    }
    if (m->json.len) {
        o = json_loadb((const char *)m->json.p, m->json.len, JSON_REJECT_DUPLICATES, &je);
        if (!o || !json_is_object(o)) {
            json_decref(o);
            snprintf(why, wlen, "request is not a JSON object");
            return -1;
        }
        v = json_object_get(o, "reply_to");
    }
    if (v) {
        const char *s = json_is_string(v) ? json_string_value(v) : NULL;
        size_t i, len = s ? json_string_length(v) : 0;
        int bad = !s || len == 0 || len >= outlen || len > SKV_WIRE_MAX_ADDRESS;
        for (i = 0; !bad && i < len; i++)
            bad = (unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7F;
        if (!bad)
            memcpy(out, s, len + 1);
        json_decref(o);
        if (bad)
            snprintf(why, wlen, "'reply_to' is not a host:port string");
        return bad ? -1 : 0;
    }
    json_decref(o);
    snprintf(why, wlen, "no 'reply_to' and the sender is not in the configuration");
    return -1;
}

void skv_cap_on_req(struct skv_node *n, uint64_t from, const struct skv_ctl_simple *m)
{
    char addr[SKV_WIRE_MAX_ADDRESS + 1], why[128];
    struct skv_buf b = {NULL, 0, 0};
    struct skv_ctl_simple r;
    json_t *rep;
    char *s;
    if (from == 0 || reply_address(n, from, m, addr, sizeof addr, why, sizeof why) != 0) {
        skv_node_log(n, SKV_LOG_WARN, "malformed capability probe %llu from %llu dropped: %s",
                     (unsigned long long)m->req_id, (unsigned long long)from,
                     from == 0 ? "no sender id" : why);
        return;
    }
    rep = skv_cap_report(n);
    s = rep ? json_dumps(rep, JSON_COMPACT) : NULL;
    json_decref(rep);
    memset(&r, 0, sizeof r);
    r.req_id = m->req_id;
    r.rc = s ? SKV_OK : SKV_ERR_NOMEM;
    r.json.p = (const uint8_t *)s;
    r.json.len = s ? strlen(s) : 0;
    if (skv_wire_encode_ctl(&b, n->conf->node_id, SKV_FRAME_CAP_RESP, &r) != 0)
        skv_node_log(n, SKV_LOG_WARN, "capability answer %llu to %llu: cannot encode",
                     (unsigned long long)m->req_id, (unsigned long long)from);
    else
        (void)skv_node_send(n, from, addr, b.p, b.len);   /* logs on failure */
    skv_buf_free(&b);
    free(s);
}

/* ---- ops -------------------------------------------------------------- */

void skv_op_enc_capability(struct skv_op *op)
{
    skv_op_reply_object(op, skv_cap_report(op->node));
}

void skv_op_enc_sidecar(struct skv_op *op)
{
    struct skv_node *n = op->node;
    json_t *sc = json_null();
    if (n->enc.sc_present) {
        struct skv_err e = {0, ""};
        json_error_t je;
        char *txt = NULL;
        size_t len = 0;
        json_decref(sc);
        if (skv_sidecar_to_json(&n->enc.sc, &txt, &len, &e) != SKV_OK) {
            skv_op_reply_error(op, e.code ? e.code : SKV_ERR_INTERNAL,
                               skv_error_status(SKV_ErrSidecarInvalid),
                               skv_error_name(SKV_ErrSidecarInvalid), 0,
                               "cannot serialise the sidecar: %s", e.msg);
            return;
        }
        sc = json_loadb(txt, len, 0, &je);
        free(txt);
        if (!sc) {
            skv_op_fail(op, SKV_ErrInternal, "sidecar JSON does not parse back: %s", je.text);
            return;
        }
    }
    skv_op_reply_object(op, json_pack("{s:b,s:o}", "present", n->enc.sc_present != 0, "sidecar", sc));
}
