/* SPDX-License-Identifier: MIT */
/*
 * enc_rewrap.c — "encryption.rewrap-kek" (KEK rotation, issue 13 item 2;
 * docs/SECURITY.md "Rotating the KEK"): a LOCAL op on the node addressed,
 * never through Raft (each node wraps the DEKs in its own sidecar). It
 * loads the new KEK file named in the request (or takes a KEK it holds
 * already, by id: an HSM KEK opened at start from previous_kek_pkcs11,
 * issue 13 item 5), unwraps every DEK of the
 * sidecar (under whichever KEK the node holds) and wraps it again under
 * the new KEK in sodium_malloc memory, stores the sidecar crash-durably
 * (tmp → fsync → rename → fsync dir: sidecar_file.c), and only then makes
 * the new KEK the one new wraps use. The old KEK stays held (unwrap only)
 * until the process ends: other nodes may still send DEKs under it.
 * Crash points rewrap-kek:before-sidecar / after-sidecar (enc.h).
 * Before wrapping anything under the new KEK the node checks, with a
 * capability fan-out to every member, that each one holds it (else
 * ErrCapabilityCheckFailed naming them): a member that could not open a
 * DEK this node wraps later (a rotate-dek it proposes as leader, a
 * snapshot it sends) would halt. One rewrap at a time per node
 * (ErrKEKRewrapInProgress while the check runs); the rewrap itself runs
 * at once on the loop thread, like every sidecar write (FSM apply writes
 * it there too), so it never interleaves with an apply. Loop thread only.
 */
#include "admin/enc_ops.h"
#include "admin/admin_ops.h"
#include "admin/capability.h"
#include "admin/rewrap_body.h"
#include "util/errors.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The body (rewrap_body.c); ErrBadRequest with its reason. */
static int parse_body(struct skv_op *op, char *path, size_t pathlen, char *id, size_t idlen)
{
    const char *why = skv_rewrap_body_parse(op->json, op->json ? strlen(op->json) : 0, path,
                                            pathlen, id, idlen);
    if (!why)
        return 0;
    skv_op_fail(op, SKV_ErrBadRequest, "rewrap-kek: %s", why);
    return -1;
}

/* Keys of the sidecar not yet recorded under kek_id. */
static size_t keys_not_under(const struct skv_sidecar *sc, const char *kek_id)
{
    size_t i, n = 0;
    for (i = 0; i < sc->n_keys; i++)
        n += !sc->keys[i].dropped && strcmp(sc->keys[i].kek_id, kek_id) != 0;
    return n;
}

/* kek_id: a KEK the ring holds already (an HSM KEK is opened at start,
 * from kek_pkcs11 / previous_kek_pkcs11, never from a request). */
static int held_kek(struct skv_op *op, const char *id)
{
    struct skv_enc *enc = &op->node->enc;
    if (!skv_keystore_has_kek(enc->ks, id)) {
        skv_op_reply_error(op, SKV_ERR_NOTFOUND, 400, skv_error_name(SKV_ErrKEKNotGiven), 0,
                           "rewrap-kek: KEK id %s is not held by this node (list it in "
                           "encryption.previous_kek_pkcs11 or previous_kek_files and "
                           "restart first)", id);
        return -1;
    }
    if (strcmp(id, skv_keystore_kek_id(enc->ks)) == 0 && keys_not_under(&enc->sc, id) == 0) {
        skv_op_fail(op, SKV_ErrKEKAlreadyCurrent, "rewrap-kek: KEK id %s is this node's "
                    "current KEK and every DEK is already wrapped under it", id);
        return -1;
    }
    return 0;
}

/* Load the new KEK into the ring (not current yet); its id into `id`. */
static int load_new_kek(struct skv_op *op, const char *path, char *id, size_t idlen)
{
    struct skv_enc *enc = &op->node->enc;
    struct skv_kek *kek = NULL;
    struct skv_enc_err ee;
    memset(&ee, 0, sizeof ee);
    if (!path[0])
        return held_kek(op, id);
    if (skv_kek_load_file(path, &kek, &ee) != SKV_OK) {
        skv_op_reply_error(op, ee.err.code, 400, skv_enc_errname(ee.why), 0,
                           "rewrap-kek: %s", ee.err.msg);
        return -1;
    }
    snprintf(id, idlen, "%s", skv_kek_id(kek));
    if (strcmp(id, skv_keystore_kek_id(enc->ks)) == 0 && keys_not_under(&enc->sc, id) == 0) {
        skv_kek_free(kek);
        skv_op_fail(op, SKV_ErrKEKAlreadyCurrent, "rewrap-kek: %s is this node's current KEK "
                    "(id %s) and every DEK is already wrapped under it", path, id);
        return -1;
    }
    if (skv_keystore_add_kek(enc->ks, kek, &ee) != SKV_OK) {
        skv_op_reply_error(op, ee.err.code, 409, skv_enc_errname(ee.why), 0,
                           "rewrap-kek: %s", ee.err.msg);
        return -1;
    }
    return 0;
}

/* `next`: every key not under `id` rewrapped under it. */
static int rewrap_keys(struct skv_op *op, struct skv_sidecar *next, const char *id,
                       size_t *count)
{
    size_t i;
    *count = 0;
    for (i = 0; i < next->n_keys; i++) {
        struct skv_sidecar_key *k = &next->keys[i];
        struct skv_enc_err ee;
        uint8_t out[SKV_DEK_WRAPPED_LEN];
        if (k->dropped || strcmp(k->kek_id, id) == 0)
            continue; /* a retired key's tombstone has nothing to rewrap */
        memset(&ee, 0, sizeof ee);
        if (skv_keystore_rewrap(op->node->enc.ks, id, (int)k->purpose, k->key_id, k->suite,
                                k->wrapped, k->wrapped_len, out, &ee) != SKV_OK) {
            skv_op_reply_error(op, ee.err.code, 500, skv_enc_errname(ee.why), 0,
                               "rewrap-kek: key %u: %s (nothing changed)",
                               (unsigned)k->key_id, ee.err.msg);
            return -1;
        }
        memcpy(k->wrapped, out, sizeof out);
        k->wrapped_len = sizeof out;
        snprintf(k->kek_id, sizeof k->kek_id, "%s", id);
        snprintf(k->kek_provider, sizeof k->kek_provider, "%s",
                 skv_keystore_kek_provider(op->node->enc.ks, id));
        (*count)++;
    }
    return 0;
}

struct rewrap_job {
    struct skv_op *op;
    char path[1024];
    char id[SKV_KEK_ID_HEX + 1], old[SKV_KEK_ID_HEX + 1];
};

static void reply_done(struct skv_op *op, const char *id, const char *old, size_t count,
                       const char *path)
{
    const char *prov = skv_keystore_kek_provider(op->node->enc.ks, id);
    skv_op_reply_object(op, json_pack("{s:s,s:s,s:I,s:I,s:s?,s:s}", "kek_id", id,
                                      "previous_kek_id", old, "keys_rewrapped",
                                      (json_int_t)count, "keys",
                                      (json_int_t)op->node->enc.sc.n_keys, "kek_file",
                                      path[0] ? path : NULL, "kek_provider",
                                      prov[0] ? prov : "file"));
}

/* Every member holds the new KEK: rewrap, store, adopt. */
static void rewrap_now(struct rewrap_job *j)
{
    struct skv_op *op = j->op;
    struct skv_node *n = op->node;
    struct skv_err e = {0, ""};
    struct skv_enc_err ee;
    struct skv_sidecar *next = malloc(sizeof *next);
    size_t count;
    if (!next) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    *next = n->enc.sc;   /* now: applies may have changed it during the check */
    if (rewrap_keys(op, next, j->id, &count) != 0) {
        free(next);
        return;
    }
    skv_enc_crash_point("rewrap-kek", "before-sidecar");
    /* no DEK yet (not bootstrapped): nothing to store, only adopt */
    if (next->n_keys && skv_enc_commit_sidecar(&n->enc, next, &e) != SKV_OK) {
        free(next);
        skv_op_fail(op, SKV_ErrIO, "rewrap-kek: %s (the KEK in use is unchanged; retry)",
                    e.msg);
        return;
    }
    free(next);
    skv_enc_crash_point("rewrap-kek", "after-sidecar");
    memset(&ee, 0, sizeof ee);
    (void)skv_keystore_use_kek(n->enc.ks, j->id, &ee); /* held: load_new_kek added it */
    skv_node_log(n, SKV_LOG_INFO, "KEK rewrap: %zu of %zu DEKs rewrapped under KEK id %s "
                 "(%s), previously %s; set encryption.kek_file (or kek_pkcs11) to it before "
                 "the next start", count, n->enc.sc.n_keys, j->id,
                 j->path[0] ? j->path : "held", j->old);
    reply_done(op, j->id, j->old, count, j->path);
}

/* The fan-out's message without its leading catalogue name and ": ". */
static const char *skip_name(const char *message)
{
    const char *name = skv_error_name(SKV_ErrCapabilityCheckFailed);
    size_t l = strlen(name);
    if (message && strncmp(message, name, l) == 0 && message[l] == ':' && message[l + 1] == ' ')
        return message + l + 2;
    return message ? message : "";
}

static void rewrap_cap_done(struct skv_node *n, void *arg, int ok, json_t *summary,
                            const char *message)
{
    struct rewrap_job *j = arg;
    (void)summary;
    n->enc_jobs.rewraps--;
    if (!n->enc.ks || n->stopping)
        skv_op_fail(j->op, SKV_ErrShuttingDown, "node is shutting down");
    else if (!ok)
        skv_op_fail(j->op, SKV_ErrCapabilityCheckFailed, "rewrap-kek: nothing rewrapped: %s",
                    skip_name(message));
    else
        rewrap_now(j);
    free(j);
}

void skv_op_enc_rewrap_kek(struct skv_op *op)
{
    struct skv_node *n = op->node;
    struct rewrap_job *j;
    if (!n->enc.enabled || !n->enc.ks) {
        skv_op_fail(op, SKV_ErrEncryptionDisabled, "encryption.enabled is false (or no KEK) "
                    "on node %llu", (unsigned long long)n->conf->node_id);
        return;
    }
    if (n->enc_jobs.rewraps > 0) {
        skv_op_fail(op, SKV_ErrKEKRewrapInProgress, "another rewrap-kek is running on "
                    "node %llu; retry", (unsigned long long)n->conf->node_id);
        return;
    }
    if (!(j = calloc(1, sizeof *j))) {
        skv_op_fail(op, SKV_ErrNoMemory, "out of memory");
        return;
    }
    j->op = op;
    snprintf(j->old, sizeof j->old, "%s", skv_keystore_kek_id(n->enc.ks));
    if (parse_body(op, j->path, sizeof j->path, j->id, sizeof j->id) != 0 ||
        load_new_kek(op, j->path, j->id, sizeof j->id) != 0) {
        free(j);
        return;
    }
    n->enc_jobs.rewraps++;
    skv_cap_fanout_kek(n, j->id, rewrap_cap_done, j);
}
