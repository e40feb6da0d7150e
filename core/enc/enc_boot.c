/* SPDX-License-Identifier: MIT */
/*
 * enc_boot.c — encryption start-up (see enc.h): KEK, sidecar, the
 * documented refusals, the durable local_epoch bump before any
 * encryption, DEK unwrap, nonce generators; and the sidecar commit used by
 * FSM apply.
 */
#include "enc/enc.h"
#include "plugin/loader.h"
#include "util/errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int skv_enc_suite_available(const struct skv_cipher_ops *ops, void *cstate,
                            const char *suite)
{
    unsigned i, n = ops->suite_count(cstate);
    for (i = 0; i < n; i++) {
        struct skv_cipher_suite s;
        struct skv_err e = {0, ""};
        memset(&s, 0, sizeof s);
        s.struct_size = sizeof s;
        if (ops->suite_get(cstate, i, &s) == SKV_OK && s.name &&
            strcmp(s.name, suite) == 0)
            return s.available && s.key_len == SKV_CIPHER_KEY_LEN &&
                   s.nonce_len == SKV_CIPHER_NONCE_LEN && s.tag_len == SKV_CIPHER_TAG_LEN;
        (void)e;
    }
    return 0;
}

/* The configured `suite` option of the cipher plugin, else the core's
 * default order: the loader's skv_cipher_select, which refused the plugin
 * at load time already if this fails. */
int skv_enc_pick_suite(const struct skv_cipher_ops *ops, void *cstate,
                       const struct skv_config *conf, char *out, size_t outlen)
{
    struct skv_cipher_suite s;
    struct skv_err e = {0, ""};
    const char *opt = NULL;
    size_t i;
    for (i = 0; i < conf->cipher.n_options; i++)
        if (strcmp(conf->cipher.options[i].key, SKV_CIPHER_OPT_SUITE) == 0)
            opt = conf->cipher.options[i].value;
    if (skv_cipher_select(ops, cstate, opt, &s, &e) != SKV_OK)
        return -1;
    snprintf(out, outlen, "%s", s.name);
    return 0;
}

/* encryption.kek_pkcs11 / previous_kek_pkcs11 through the cipher
 * plugin's key provider (kek_provider.c). */
static int open_pkcs11(const struct skv_cipher_ops *ops, void *cstate,
                       const struct skv_conf_pkcs11 *c, const char *what,
                       struct skv_kek **kek, struct skv_enc_err *e)
{
    struct skv_kek_pkcs11_ref r = {c->module, c->token_label, c->key_label, c->pin_file};
    return skv_kek_open_pkcs11(ops, cstate, &r, what, kek, e);
}

static int load_kek(const struct skv_config *conf, const struct skv_cipher_ops *ops,
                    void *cstate, struct skv_kek **kek, char *err, size_t errlen)
{
    struct skv_enc_err e;
    int rc;
    memset(&e, 0, sizeof e);
    if (conf->kek_pkcs11.set)
        rc = open_pkcs11(ops, cstate, &conf->kek_pkcs11, "encryption.kek_pkcs11", kek, &e);
    else if (conf->kek_file)
        rc = skv_kek_load_file(conf->kek_file, kek, &e);
    else
        rc = skv_kek_load_env(kek, &e);
    if (rc != SKV_OK) {
        snprintf(err, errlen, "%s: %s%s", skv_enc_errname(e.why), e.err.msg,
                 conf->kek_file || conf->kek_pkcs11.set ? "" :
                 " (set encryption.kek_file, encryption.kek_pkcs11 or " SKV_KEK_ENV ")");
        return -1;
    }
    return 0;
}

/* Every refusal that needs only the sidecar and the FSM/snapshot meta.
 * One divergence is legitimate: C-Raft stores an installed snapshot
 * (snapshot_put) before it calls fsm->restore, so a node that dies in
 * between restarts with a snapshot carrying N, a sidecar cutover of 0 and
 * an FSM behind the snapshot; start-up's restore adopts N (fsm_snap_enc.c). */
static int check_consistency(const struct skv_enc *enc, const struct skv_enc_boot_meta *m,
                             char *err, size_t errlen)
{
    const struct skv_sidecar *sc = &enc->sc;
    uint64_t cut = sc->raft_envelope_cutover_index;
    if (m->fsm_encidx > sc->raft_applied_index) {
        snprintf(err, errlen,
                 "%s: the FSM applied encryption entry %llu but "
                 "%s/" SKV_SIDECAR_DIR "/" SKV_SIDECAR_FILE " records only up to %llu",
                 skv_error_name(SKV_ErrSidecarBehindRaftLog),
                 (unsigned long long)m->fsm_encidx, enc->data_dir,
                 (unsigned long long)sc->raft_applied_index);
        return -1;
    }
    if (m->snap_cutover == 0 || cut == m->snap_cutover)
        return 0;
    if (cut == 0 && m->snap_index > m->fsm_applied)
        return 0; /* crashed between snapshot_put and restore: the restore adopts it */
    snprintf(err, errlen,
             "%s: sidecar cutover index %llu differs from the "
             "latest snapshot's %llu (snapshot at %llu, FSM applied %llu)",
             skv_error_name(SKV_ErrEnvelopeCutoverDivergence),
             (unsigned long long)cut, (unsigned long long)m->snap_cutover,
             (unsigned long long)m->snap_index, (unsigned long long)m->fsm_applied);
    return -1;
}

/* encryption.previous_kek_pkcs11 into the ring (accepted, not current). */
static int load_prev_pkcs11(struct skv_enc *enc, const struct skv_config *conf,
                            const struct skv_cipher_ops *ops, void *cstate, char *err,
                            size_t errlen)
{
    struct skv_kek *kek = NULL;
    struct skv_enc_err e;
    if (!conf->prev_kek_pkcs11.set)
        return 0;
    memset(&e, 0, sizeof e);
    if (open_pkcs11(ops, cstate, &conf->prev_kek_pkcs11,
                    "encryption.previous_kek_pkcs11", &kek, &e) != SKV_OK ||
        skv_keystore_add_kek(enc->ks, kek, &e) != SKV_OK) {
        snprintf(err, errlen, "%s: %s", skv_enc_errname(e.why), e.err.msg);
        return -1;
    }
    return 0;
}

/* encryption.previous_kek_files into the ring (accepted, not current). */
static int load_prev_keks(struct skv_enc *enc, const struct skv_config *conf,
                          const struct skv_cipher_ops *ops, void *cstate, char *err,
                          size_t errlen)
{
    size_t i;
    for (i = 0; i < conf->n_prev_kek_files; i++) {
        struct skv_kek *kek = NULL;
        struct skv_enc_err e;
        memset(&e, 0, sizeof e);
        if (skv_kek_load_file(conf->prev_kek_files[i], &kek, &e) != SKV_OK ||
            skv_keystore_add_kek(enc->ks, kek, &e) != SKV_OK) {
            snprintf(err, errlen, "%s: encryption.previous_kek_files[%zu]: %s",
                     skv_enc_errname(e.why), i, e.err.msg);
            return -1;
        }
    }
    return load_prev_pkcs11(enc, conf, ops, cstate, err, errlen);
}

/* The ids of the KEKs held, for a refusal: "current KEK id X;
 * previous_kek_files: Y Z" ("none"). */
static void kek_ids_text(struct skv_keystore *ks, char *out, size_t outlen)
{
    size_t i, n = skv_keystore_kek_count(ks), used, shown = 0;
    const char *cur = skv_keystore_kek_id(ks);
    used = (size_t)snprintf(out, outlen, "current KEK id %s; previous_kek_files:", cur);
    for (i = 0; i < n && used < outlen; i++) {
        const char *id = skv_keystore_kek_id_at(ks, i);
        if (strcmp(id, cur) != 0) {
            used += (size_t)snprintf(out + used, outlen - used, " %s", id);
            shown++;
        }
    }
    if (!shown && used < outlen)
        snprintf(out + used, outlen - used, " none");
}

/* A sidecar key names a KEK (kek_id) this node was not given: refuse
 * before trying to unwrap (ErrKEKNotGiven). */
static int check_kek_given(struct skv_enc *enc, const struct skv_sidecar_key *k, char *err,
                           size_t errlen)
{
    char ids[64 + SKV_KEK_RING_MAX * (SKV_KEK_ID_HEX + 1)];
    if (!k->kek_id[0] || skv_keystore_has_kek(enc->ks, k->kek_id))
        return 0;
    kek_ids_text(enc->ks, ids, sizeof ids);
    snprintf(err, errlen, "%s: key %u (%s) in %s/" SKV_SIDECAR_DIR "/" SKV_SIDECAR_FILE
             " is wrapped under %s KEK id %s, which this node was not given (%s): set "
             "encryption.kek_file (or kek_pkcs11) to the KEK this node was rewrapped with, "
             "or list it in encryption.previous_kek_files (or previous_kek_pkcs11)",
             skv_error_name(SKV_ErrKEKNotGiven),
             (unsigned)k->key_id, skv_key_purpose_name(k->purpose), enc->data_dir,
             k->kek_provider[0] ? k->kek_provider : "file", k->kek_id, ids);
    return -1;
}

/* Unwrap every sidecar key into the keystore: proves the KEK. A key
 * without a recorded KEK id (an older sidecar) gets the id of the KEK
 * that opened it (stored with the epoch bump). */
static int unwrap_all(struct skv_enc *enc, char *err, size_t errlen)
{
    size_t i;
    for (i = 0; i < enc->sc.n_keys; i++) {
        struct skv_sidecar_key *k = &enc->sc.keys[i];
        const struct skv_dek *d;
        struct skv_enc_err e;
        memset(&e, 0, sizeof e);
        if (k->dropped)
            continue;   /* a retired key's tombstone: no DEK (NONCES.md "Retire") */
        if (check_kek_given(enc, k, err, errlen) != 0)
            return -1;
        if (skv_keystore_add_wrapped(enc->ks, k->key_id, (int)k->purpose, k->suite,
                                     k->wrapped, k->wrapped_len, &e) != SKV_OK) {
            snprintf(err, errlen, "%s: key %u (%s, %s) in %s/" SKV_SIDECAR_DIR
                     "/" SKV_SIDECAR_FILE ": %s%s", skv_enc_errname(e.why),
                     (unsigned)k->key_id, skv_key_purpose_name(k->purpose), k->suite,
                     enc->data_dir, e.err.msg,
                     e.why == SKV_ENC_DEK_UNWRAP ? " (is this the cluster's KEK?)" : "");
            return -1;
        }
        if (!k->kek_id[0] && (d = skv_keystore_get(enc->ks, k->key_id)))
            snprintf(k->kek_id, sizeof k->kek_id, "%s", d->kek_id);
        snprintf(k->kek_provider, sizeof k->kek_provider, "%s",
                 skv_keystore_kek_provider(enc->ks, k->kek_id));
    }
    return 0;
}

int skv_enc_load(struct skv_enc *enc, const struct skv_config *conf,
                 const struct skv_cipher_ops *ops, void *cstate, char *err,
                 size_t errlen)
{
    struct skv_err e = {0, ""};
    struct skv_kek *kek = NULL;
    struct skv_enc_err ee;

    memset(enc, 0, sizeof *enc);
    enc->enabled = conf->enc_enabled;
    enc->data_dir = conf->data_dir;
    enc->node16 = skv_node_id16(conf->node_id);
    skv_sidecar_init(&enc->sc);
    if (skv_sidecar_load(conf->data_dir, &enc->sc, &enc->sc_present, &e) != SKV_OK) {
        snprintf(err, errlen, "%s: %s", skv_error_name(SKV_ErrSidecarInvalid), e.msg);
        return -1;
    }
    if (!enc->enabled) {
        if (enc->sc_present) {
            snprintf(err, errlen, "%s: %s/" SKV_SIDECAR_DIR "/" SKV_SIDECAR_FILE
                     " exists but encryption.enabled is false in %s; enable it and configure "
                     "the KEK", skv_error_name(SKV_ErrEncryptionDisabled), conf->data_dir,
                     conf->file);
            return -1;
        }
        return 0;
    }
    if (skv_enc_pick_suite(ops, cstate, conf, enc->suite, sizeof enc->suite) != 0) {
        snprintf(err, errlen, "%s: the cipher plugin offers no usable "
                 "AEAD suite (32-byte key, 12-byte nonce, 16-byte tag) for the configured choice",
                 skv_error_name(SKV_ErrSuiteUnsupported));
        return -1;
    }
    if (load_kek(conf, ops, cstate, &kek, err, errlen) != 0)
        return -1;
    memset(&ee, 0, sizeof ee);
    if (skv_keystore_new(ops, cstate, kek, &enc->ks, &ee) != SKV_OK) {
        snprintf(err, errlen, "keystore: %s", ee.err.msg);
        return -1;
    }
    if (load_prev_keks(enc, conf, ops, cstate, err, errlen) != 0)
        return -1;
    return unwrap_all(enc, err, errlen);
}

int skv_enc_start(struct skv_enc *enc, const struct skv_enc_boot_meta *m, char *err,
                  size_t errlen)
{
    struct skv_err e = {0, ""};
    struct skv_sidecar bumped;
    enc->fsm_encidx = m->fsm_encidx;
    if (!enc->enabled) {
        if (m->fsm_encidx) {
            snprintf(err, errlen, "%s: the FSM applied encryption entry %llu "
                     "but encryption.enabled is false",
                     skv_error_name(SKV_ErrEncryptionDisabled), (unsigned long long)m->fsm_encidx);
            return -1;
        }
        return 0;
    }
    if (check_consistency(enc, m, err, errlen) != 0)
        return -1;
    if (enc->sc.n_keys) {
        /* a new process epoch for every key, in memory only: the caller
         * checks it against the registry, then skv_enc_persist stores it */
        bumped = enc->sc;
        if (skv_sidecar_bump_epochs(&bumped, &e) != SKV_OK) {
            snprintf(err, errlen, "%s", e.msg);
            return -1;
        }
        enc->sc = bumped;
        enc->epoch_dirty = 1;
    }
    return 0;
}

int skv_enc_persist(struct skv_enc *enc, char *err, size_t errlen)
{
    struct skv_err e = {0, ""};
    if (!enc->enabled)
        return 0;
    if (enc->epoch_dirty && skv_sidecar_store(enc->data_dir, &enc->sc, &e) != SKV_OK) {
        snprintf(err, errlen, "%s", e.msg);
        return -1;
    }
    enc->epoch_dirty = 0;
    if (skv_enc_setup_gens(enc, &e) != SKV_OK) {
        snprintf(err, errlen, "%s", e.msg);
        return -1;
    }
    if (enc->sc.raft_envelope_cutover_index != 0)
        atomic_store(&enc->wrap, 1);
    return 0;
}

static int gen_for(struct skv_enc *enc, uint32_t id, struct skv_nonce_gen *g,
                   uint32_t *gid, struct skv_err *err)
{
    const struct skv_sidecar_key *k;
    struct skv_enc_err ee;
    if (id == 0 || id == *gid)
        return SKV_OK;
    k = skv_sidecar_find(&enc->sc, id);
    if (!k)
        return skv_err_set(err, SKV_ERR_INTERNAL, "active key %u missing from the sidecar",
                           (unsigned)id);
    memset(&ee, 0, sizeof ee);
    if (skv_nonce_gen_init(g, enc->node16, k->local_epoch, &ee) != SKV_OK)
        return skv_err_set(err, ee.err.code, "%s: key %u: %s", skv_enc_errname(ee.why),
                           (unsigned)id, ee.err.msg);
    *gid = id;
    return SKV_OK;
}

int skv_enc_setup_gens(struct skv_enc *enc, struct skv_err *err)
{
    int rc = gen_for(enc, enc->sc.active_storage, &enc->gen_storage,
                     &enc->gen_storage_id, err);
    if (rc == SKV_OK)
        rc = gen_for(enc, enc->sc.active_raft, &enc->gen_raft, &enc->gen_raft_id, err);
    return rc;
}

int skv_enc_commit_sidecar(struct skv_enc *enc, const struct skv_sidecar *next,
                           struct skv_err *err)
{
    int rc = skv_sidecar_store(enc->data_dir, next, err);
    if (rc != SKV_OK)
        return rc;
    enc->sc = *next;
    enc->sc_present = 1;
    return skv_enc_setup_gens(enc, err);
}

void skv_enc_close(struct skv_enc *enc)
{
    skv_enc_names_forget(enc);
    skv_keystore_free(enc->ks);
    enc->ks = NULL;
}

void skv_enc_crash_point(const char *kind, const char *step)
{
#ifdef SKV_TEST_HOOKS
    const char *at = getenv("SEALKV_TEST_CRASH_AT");
    size_t kl = strlen(kind);
    if (at && strncmp(at, kind, kl) == 0 && at[kl] == ':' && strcmp(at + kl + 1, step) == 0) {
        fprintf(stderr, "test hook: crash at %s:%s\n", kind, step);
        _exit(99);
    }
#endif
    (void)kind;
    (void)step;
}
