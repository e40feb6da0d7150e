/* SPDX-License-Identifier: MIT */
/*
 * verify.c — the walker behind `sealkv verify` (see verify.h): opens a
 * stopped node the way start-up does (config, plugins, skv_enc_load) but
 * writes nothing of its own, then checks the Raft log, the FSM values and
 * the snapshot, tallying counts and anomalies into a report.
 */
#include "verify/verify.h"

#include "util/bytes.h"
#include "util/errors.h"
#include "cmd/command.h"
#include "config/config.h"
#include "enc/enc.h"
#include "crypto/envelope.h"
#include "fsm/fsm.h"
#include "fsm/fsm_gap.h"
#include "util/keys.h"
#include "plugin/loader.h"
#include "plugin/plugin_set.h"
#include "raftio/raft_ls_codec.h"
#include "fsm/snap_hdr.h"
#include "raftio/snap_spool.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ULL(x) ((unsigned long long)(x))

/* Everything opened for one run. */
struct vctx {
    struct skv_config conf;
    struct skv_plugin_set set;
    struct skv_enc enc;
    struct skv_ls ls;
    struct skv_verify_report *r;
    int conf_ok, set_ok;
};

/* ---- report helpers ------------------------------------------------- */

static void anomaly(struct skv_verify_report *r, const char *kind, const char *where,
                    uint64_t index, uint32_t key_id, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void anomaly(struct skv_verify_report *r, const char *kind, const char *where,
                    uint64_t index, uint32_t key_id, const char *fmt, ...)
{
    struct skv_verify_anomaly *a;
    va_list ap;
    r->n_anomalies++;
    if (r->n_listed == SKV_VERIFY_MAX_LISTED)
        return;
    a = &r->listed[r->n_listed++];
    a->kind = kind;
    a->where = where;
    a->index = index;
    a->key_id = key_id;
    va_start(ap, fmt);
    vsnprintf(a->detail, sizeof a->detail, fmt, ap);
    va_end(ap);
}

static void key_count(struct skv_verify_keys *t, uint32_t key_id)
{
    size_t i;
    for (i = 0; i < t->n; i++)
        if (t->k[i].key_id == key_id) {
            t->k[i].count++;
            return;
        }
    if (t->n < SKV_VERIFY_MAX_KEYS) {
        t->k[t->n].key_id = key_id;
        t->k[t->n++].count = 1;
    }
}

/* A user key for messages: printable ASCII kept, the rest \xNN, cut at 48. */
static const char *show_key(char out[200], const uint8_t *k, size_t kl)
{
    size_t i, o = 0;
    for (i = 0; i < kl && i < 48; i++)
        o += (size_t)(k[i] >= 0x20 && k[i] < 0x7f && k[i] != '"' && k[i] != '\\'
                          ? snprintf(out + o, 200 - o, "%c", k[i])
                          : snprintf(out + o, 200 - o, "\\x%02x", k[i]));
    snprintf(out + o, 200 - o, "%s", kl > 48 ? "..." : "");
    return out;
}

/* ---- 1. raft log ---------------------------------------------------- */

/* 1 if p opens as a raft envelope (key id into *kid when it parses). */
/* Why a sealed record does not open: the envelope's error, or
 * ErrEncryptionDisabled without a keystore. */
static const char *open_kind(const struct vctx *c, int why)
{
    return c->enc.ks ? skv_enc_errname(why) : skv_error_name(SKV_ErrEncryptionDisabled);
}

static int raft_opens(struct vctx *c, const uint8_t *p, size_t len, uint32_t *kid,
                      struct skv_enc_err *ee)
{
    struct skv_envelope_hdr h;
    uint8_t *pt = NULL;
    size_t ptl = 0;
    memset(ee, 0, sizeof *ee);
    *kid = skv_envelope_parse(p, len, &h, NULL) == SKV_OK ? h.key_id : 0;
    if (!c->enc.ks || !*kid)
        return 0;
    if (skv_envelope_open(c->enc.ks, SKV_PURPOSE_RAFT, NULL, 0, p, len, &pt, &ptl, ee) != SKV_OK)
        return 0;
    free(pt);
    return 1;
}

/* A command at or below N (or before Phase 2): cleartext by design. */
static void log_clear_entry(struct vctx *c, raft_index idx, const uint8_t *p, size_t len)
{
    struct skv_verify_report *r = c->r;
    struct skv_enc_err ee;
    uint32_t kid;
    r->log.cleartext++;
    if (raft_opens(c, p, len, &kid, &ee))
        anomaly(r, skv_error_name(SKV_ErrWrappedAtOrBelowCutover), "raft_log", idx, kid,
                "entry %llu is a raft envelope but the cutover is %llu: apply would not "
                "unwrap it", ULL(idx), ULL(r->cutover));
    else if (r->strict && len > 0 && (p[0] == SKV_CMD_KV || p[0] == SKV_CMD_KV_BATCH ||
                                      p[0] == SKV_CMD_KV_CAS || p[0] == SKV_CMD_TXN))
        anomaly(r, skv_error_name(SKV_ErrCleartextEntry), "raft_log", idx, 0,
                "entry %llu holds a KV command in cleartext (strict)", ULL(idx));
}

/* A command above N: must be a raft envelope that authenticates. */
static void log_wrapped_entry(struct vctx *c, raft_index idx, const uint8_t *p, size_t len)
{
    struct skv_verify_report *r = c->r;
    struct skv_envelope_hdr h;
    struct skv_enc_err ee;
    uint32_t kid;
    r->log.above_cutover++;
    if (skv_envelope_parse(p, len, &h, NULL) != SKV_OK) {
        anomaly(r, skv_error_name(SKV_ErrCleartextAboveCutover), "raft_log", idx, 0,
                "entry %llu is above the cutover %llu but is not a raft envelope",
                ULL(idx), ULL(r->cutover));
        return;
    }
    key_count(&r->log.by_key, h.key_id);
    if (raft_opens(c, p, len, &kid, &ee)) {
        r->log.authenticated++;
        return;
    }
    anomaly(r, open_kind(c, ee.why), "raft_log", idx, h.key_id,
            "entry %llu (above cutover %llu) does not open: %s", ULL(idx),
            ULL(r->cutover), c->enc.ks ? ee.err.msg : "no keystore");
}

static int log_cb(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                  size_t vlen, char *errmsg)
{
    struct vctx *c = arg;
    struct skv_verify_report *r = c->r;
    struct skv_ls_rec rec;
    raft_index idx;
    if (!skv_ls_log_key_index(key, klen, &idx)) {
        anomaly(r, skv_error_name(SKV_ErrLogKeyMalformed), "raft_log", 0, 0,
                "a %zu-byte key in the log space", klen);
        return 0;
    }
    r->log.entries++;
    r->log.first = r->log.first ? r->log.first : idx;
    r->log.last = idx;
    if (skv_ls_entry_decode(idx, val, vlen, &rec, errmsg) != 0) {
        r->log.corrupt++;
        anomaly(r, skv_error_name(SKV_ErrLogRecordCorrupt), "raft_log", idx, 0, "%s", errmsg);
        return 0;
    }
    if (rec.type != RAFT_COMMAND)
        r->log.other++;
    else if (++r->log.commands && (r->cutover == 0 || idx <= r->cutover))
        log_clear_entry(c, idx, rec.payload, rec.len);
    else
        log_wrapped_entry(c, idx, rec.payload, rec.len);
    return 0;
}

/* ---- 2. values (FSM storage and the snapshot's records) -------------- */

static void value_sealed(struct vctx *c, const char *where, const uint8_t *k, size_t kl,
                         const uint8_t *env, size_t el, struct skv_verify_vals *v)
{
    struct skv_envelope_hdr h;
    struct skv_enc_err ee;
    uint8_t *pt = NULL;
    size_t ptl = 0;
    char shown[200];
    memset(&ee, 0, sizeof ee);
    v->sealed++;
    if (skv_envelope_parse(env, el, &h, &ee) == SKV_OK)
        key_count(&v->by_key, h.key_id);
    else
        h.key_id = 0;
    if (ee.why == SKV_ENC_OK && c->enc.ks &&
        skv_envelope_open(c->enc.ks, SKV_PURPOSE_STORAGE, k, kl, env, el, &pt, &ptl, &ee) == SKV_OK) {
        v->authenticated++;
        free(pt);
        return;
    }
    anomaly(c->r, open_kind(c, ee.why), where, 0, h.key_id,
            "sealed value of key \"%s\" does not open: %s",
            show_key(shown, k + 1, kl - 1), c->enc.ks ? ee.err.msg : "no keystore");
}

/* One stored value record under storage key k (prefix included). */
static void value_check(struct vctx *c, const char *where, const uint8_t *k, size_t kl,
                        const uint8_t *rec, size_t rl, struct skv_verify_vals *v)
{
    char shown[200];
    v->values++;
    if (rl < 1 || (rec[0] & ~SKV_VAL_STATE_MASK) || (rec[0] & SKV_VAL_STATE_MASK) > SKV_VAL_SEALED) {
        v->bad_header++;
        anomaly(c->r, skv_error_name(SKV_ErrValueHeader), where, 0, 0,
                "value of key \"%s\": unknown record header",
                show_key(shown, k + 1, kl - 1));
    } else if ((rec[0] & SKV_VAL_STATE_MASK) == SKV_VAL_SEALED) {
        value_sealed(c, where, k, kl, rec + 1, rl - 1, v);
    } else if (v->cleartext++, c->r->strict) {
        anomaly(c->r, skv_error_name(SKV_ErrCleartextValue), where, 0, 0,
                "value of key \"%s\" is cleartext (strict)",
                show_key(shown, k + 1, kl - 1));
    }
}

/* With names sealed, a record stored under its cleartext name (strict:
 * an anomaly; the names job has not finished on this node). */
static void old_name(struct vctx *c, const char *what, const uint8_t *key, size_t klen)
{
    char shown[200];
    if (!c->r->names_index || !c->r->strict)
        return;
    anomaly(c->r, skv_error_name(SKV_ErrKeyNamesInCleartext), "fsm", 0, 0,
            "%s of key \"%s\" is stored under its cleartext name though key names are "
            "sealed (strict)", what, show_key(shown, key + 1, klen - 1));
}

static int fsm_cb(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                  size_t vlen, char *errmsg)
{
    struct vctx *c = arg;
    (void)errmsg;
    value_check(c, "fsm", key, klen, val, vlen, &c->r->fsm);
    if (klen > 0 && key[0] == SKV_PFX_NAMED_DATA)
        c->r->names_sealed_values++;
    else if (c->r->names_index && klen > 0) {
        c->r->names_old_values++;
        old_name(c, "the value", key, klen);
    }
    return 0;
}

static int rev_cb(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                  size_t vlen, char *errmsg)
{
    struct vctx *c = arg;
    (void)errmsg, (void)val, (void)vlen;
    if (c->r->names_index && klen > 0) {
        c->r->names_old_revs++;
        old_name(c, "the revision record", key, klen);
    }
    return 0;
}

/* ---- 3. snapshot ---------------------------------------------------- */

static int spool_present(const struct vctx *c)
{
    char path[4096];
    struct stat sb;
    return skv_spool_path(path, sizeof path, c->conf.data_dir, 1) == 0 && stat(path, &sb) == 0;
}

static void snap_boundary(struct vctx *c, const struct skv_snap_hdr *h)
{
    struct skv_verify_report *r = c->r;
    if (h->version >= 2 && h->cutover && h->cutover != r->cutover)
        anomaly(r, skv_error_name(SKV_ErrEnvelopeCutoverDivergence), "snapshot", r->snap.index, 0,
                "snapshot header SKVSNAP%d carries cutover %llu, the sidecar %llu", h->version,
                ULL(h->cutover), ULL(r->cutover));
    else if (!h->cutover && r->cutover != 0 && r->snap.index >= r->cutover)
        anomaly(r, skv_error_name(SKV_ErrSnapshotBoundary), "snapshot", r->snap.index, 0,
                "snapshot at index %llu (at or after cutover %llu) has a header without it "
                "(SKVSNAP%d)", ULL(r->snap.index), ULL(r->cutover), h->version);
    /* a local snapshot holds no key space: the store must hold it */
    if (h->version == 3 && r->fsm_applied < h->applied)
        anomaly(r, skv_error_name(SKV_ErrFsmGap), "snapshot", r->snap.index, 0,
                "local snapshot at index %llu but the FSM's applied index is %llu: the store "
                "lost state the snapshot relies on", ULL(h->applied), ULL(r->fsm_applied));
    /* a spooled install not restored yet: the next start restores it from
     * the spool file, which must be there */
    if (h->version == 4 && r->fsm_applied < h->applied && !spool_present(c))
        anomaly(r, skv_error_name(SKV_ErrFsmGap), "snapshot", r->snap.index, 0,
                "installed snapshot at index %llu not restored yet (FSM at %llu) and its spool "
                "file is missing", ULL(h->applied), ULL(r->fsm_applied));
}

const char *skv_verify_snap_header(const struct skv_verify_report *r)
{
    static const char *const names[] = {NULL, "SKVSNAP1", "SKVSNAP2", "SKVSNAP3", "SKVSNAP4"};
    return r->snap.version >= 1 && r->snap.version <= 4 ? names[r->snap.version] : NULL;
}

int skv_verify_snap_matches(const struct skv_verify_report *r)
{
    if (r->snap.version < 1 || r->snap.version > 4)
        return 0;
    if (r->snap.cutover)
        return r->snap.cutover == r->cutover;
    return r->cutover == 0 || r->snap.index < r->cutover;
}

/* The records after the header: [klen u32][key][vlen u32][record]. */
static void snap_records(struct vctx *c, const uint8_t *p, size_t len, size_t off)
{
    while (off < len) {
        uint32_t kl, vl;
        if (len - off < 4 || (kl = skv_get_be32(p + off)) > len - off - 4 ||
            len - off - 4 - kl < 4 || (vl = skv_get_be32(p + off + 4 + kl)) > len - off - 8 - kl) {
            anomaly(c->r, skv_error_name(SKV_ErrSnapshotCorrupt), "snapshot", c->r->snap.index, 0,
                    "truncated record at byte %zu of %zu", off, len);
            return;
        }
        if (kl > 0 && (p[off + 4] == SKV_PFX_FSM_DATA || p[off + 4] == SKV_PFX_NAMED_DATA))
            value_check(c, "snapshot", p + off + 4, kl, p + off + 8 + kl, vl, &c->r->snap.vals);
        off += 8 + (size_t)kl + vl;
    }
}

static void snap_check(struct vctx *c)
{
    struct skv_verify_report *r = c->r;
    struct raft_snapshot *s = NULL;
    struct skv_snap_hdr h;
    char msg[RAFT_ERRMSG_BUF_SIZE];
    if (skv_ls_snap_read(&c->ls, NULL, &s, msg) != 0) {
        r->snap.present = 1;
        anomaly(r, skv_error_name(SKV_ErrSnapshotCorrupt), "snapshot", 0, 0, "%s", msg);
        return;
    }
    if (!s)
        return;
    r->snap.present = 1;
    r->snap.index = s->index;
    r->snap.term = s->term;
    if (s->n_bufs < 1 || skv_snap_hdr_parse(s->bufs[0].base, s->bufs[0].len, &h, msg,
                                            sizeof msg) != 0) {
        anomaly(r, skv_error_name(SKV_ErrSnapshotHeader), "snapshot", s->index, 0, "%s",
                s->n_bufs < 1 ? "no data" : msg);
    } else {
        r->snap.version = h.version;
        r->snap.cutover = h.cutover;
        r->snap.applied = h.applied;
        snap_boundary(c, &h);
        if (h.version != 4)   /* v4's body is the spool reference */
            snap_records(c, s->bufs[0].base, s->bufs[0].len, h.body_off);
    }
    skv_ls_snap_free(s);
}

/* ---- open / walk / close -------------------------------------------- */

static int open_enc(struct vctx *c, char *err, size_t errlen)
{
    const struct skv_cipher_ops *ci = skv_plugin_ops(c->set.cipher);
    struct skv_verify_report *r = c->r;
    if (skv_enc_load(&c->enc, &c->conf, ci, skv_plugin_state(c->set.cipher), err, errlen) != 0)
        return -1;
    r->enc_enabled = c->enc.enabled;
    r->sidecar_present = c->enc.sc_present;
    r->storage_envelope_active = c->enc.sc.storage_envelope_active;
    r->cutover = c->enc.sc.raft_envelope_cutover_index;
    r->names_index = c->enc.sc.names_index;
    r->sidecar_applied = c->enc.sc.raft_applied_index;
    r->active_storage = c->enc.sc.active_storage;
    r->active_raft = c->enc.sc.active_raft;
    r->n_deks = 0;
    for (size_t i = 0; i < c->enc.sc.n_keys && i < SKV_VERIFY_MAX_KEYS; i++) {
        const struct skv_sidecar_key *k = &c->enc.sc.keys[i];
        struct skv_verify_key *v = &r->keys[r->n_keys++];
        v->key_id = k->key_id;
        v->purpose = k->purpose;
        v->active = k->key_id == r->active_storage || k->key_id == r->active_raft;
        v->dropped = k->dropped;
        v->retired_index = k->retired_index;
        r->n_deks += !k->dropped;
    }
    return 0;
}

static int open_store(struct vctx *c, char *err, size_t errlen)
{
    struct skv_err e = {0, ""};
    char path[4200];
    struct stat sb;
    c->ls.st = skv_plugin_ops(c->set.storage);
    snprintf(path, sizeof path, "%s/store", c->conf.data_dir);
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "no store at %s (node %llu has never run here?)", path,
                 ULL(c->conf.node_id));
        return -1;
    }
    if (c->ls.st->open(skv_plugin_state(c->set.storage), path, &c->ls.db, &e) != SKV_OK) {
        snprintf(err, errlen, "%s%s", e.msg,
                 e.code == SKV_ERR_BUSY ? " (is the node running? verify needs it stopped)" : "");
        return -1;
    }
    return 0;
}

static int open_all(struct vctx *c, const char *path, char *err, size_t errlen)
{
    struct skv_err e = {0, ""};
    struct skv_host_hooks hooks;
    if (skv_config_load(path, &c->conf, err, errlen) != 0)
        return -1;
    c->conf_ok = 1;
    c->r->node_id = c->conf.node_id;
    /* plugins see the node's real id (transport-tcp checks its
     * certificate against it) and log level, as at start-up */
    memset(&hooks, 0, sizeof hooks);
    hooks.node_id = c->conf.node_id;
    hooks.log_level = c->conf.log_level;
    if (skv_plugin_set_load(&c->set, &c->conf, &hooks, &e) != SKV_OK) {
        snprintf(err, errlen, "%s", e.msg);
        return -1;
    }
    c->set_ok = 1;
    return open_enc(c, err, errlen) != 0 ? -1 : open_store(c, err, errlen);
}

static void fsm_applied(struct vctx *c)
{
    char msg[RAFT_ERRMSG_BUF_SIZE];
    void *val = NULL;
    size_t len = 0;
    if (skv_ls_get(&c->ls, NULL, skv_fsm_applied_key, sizeof skv_fsm_applied_key, &val, &len,
                   "read the FSM applied index", msg) != 0 || !val)
        return;
    if (len == 8)
        c->r->fsm_applied = skv_get_be64(val);
    c->ls.st->free_buf(c->ls.db, val);
}

/* The FSM batch chain (fsm_gap.h): a lost batch is an anomaly; a store
 * without markers (older release, never started since) is not. */
static void fsm_gap(struct vctx *c)
{
    struct skv_fsm_gap g;
    char msg[400];
    if (skv_fsm_gap_scan(c->ls.st, c->ls.db, NULL, c->r->fsm_applied, &g, msg, sizeof msg) != 0) {
        anomaly(c->r, skv_error_name(SKV_ErrFsmGap), "fsm", 0, 0, "%s", msg);
        return;
    }
    if (skv_fsm_gap_verdict(&g) != SKV_GAP_FOUND)
        return;
    skv_fsm_gap_describe(&g, msg, sizeof msg);
    anomaly(c->r, skv_error_name(SKV_ErrFsmGap), "fsm", 0, 0, "%s", msg);
}

static uint64_t count_of(const struct skv_verify_keys *t, uint32_t key_id)
{
    size_t i;
    for (i = 0; i < t->n; i++)
        if (t->k[i].key_id == key_id)
            return t->k[i].count;
    return 0;
}

/* Per key id: what references it; with strict, a retired id still
 * referenced is an anomaly (its retire job has not finished here). */
static void key_refs(struct vctx *c)
{
    struct skv_verify_report *r = c->r;
    size_t i;
    for (i = 0; i < r->n_keys; i++) {
        struct skv_verify_key *k = &r->keys[i];
        k->values = count_of(&r->fsm.by_key, k->key_id);
        k->log_entries = count_of(&r->log.by_key, k->key_id);
        k->snap_records = count_of(&r->snap.vals.by_key, k->key_id);
        if (r->strict && k->retired_index && k->values + k->log_entries + k->snap_records)
            anomaly(r, skv_error_name(SKV_ErrRetiredKeyReferenced), "sidecar", k->retired_index,
                    k->key_id, "key %u was retired at entry %llu but %llu values, %llu log "
                    "entries and %llu snapshot records still reference it (its retire job "
                    "has not finished on this node)", (unsigned)k->key_id,
                    (unsigned long long)k->retired_index, (unsigned long long)k->values,
                    (unsigned long long)k->log_entries, (unsigned long long)k->snap_records);
    }
}

static int walk(struct vctx *c, char *err, size_t errlen)
{
    const uint8_t log_pfx = SKV_PFX_RAFT_LOG, data_pfx = SKV_PFX_FSM_DATA,
                  named_pfx = SKV_PFX_NAMED_DATA, rev_pfx = SKV_PFX_FSM_REV;
    char msg[RAFT_ERRMSG_BUF_SIZE];
    if (skv_ls_scan(&c->ls, NULL, &log_pfx, 1, &log_pfx, 1, log_cb, c, msg) != 0 ||
        skv_ls_scan(&c->ls, NULL, &data_pfx, 1, &data_pfx, 1, fsm_cb, c, msg) != 0 ||
        skv_ls_scan(&c->ls, NULL, &named_pfx, 1, &named_pfx, 1, fsm_cb, c, msg) != 0 ||
        skv_ls_scan(&c->ls, NULL, &rev_pfx, 1, &rev_pfx, 1, rev_cb, c, msg) != 0) {
        snprintf(err, errlen, "%s", msg);
        return -1;
    }
    fsm_applied(c);
    fsm_gap(c);
    snap_check(c);
    key_refs(c);
    return 0;
}

static void close_all(struct vctx *c)
{
    if (c->ls.db)
        c->ls.st->close(c->ls.db);
    if (c->set_ok) {
        skv_enc_close(&c->enc); /* also after a failed skv_enc_load; keys before plugin */
        skv_plugin_set_unload(&c->set);
    }
    if (c->conf_ok)
        skv_config_free(&c->conf);
}

int skv_verify_run(const char *config_path, int strict, struct skv_verify_report *r,
                   char *err, size_t errlen)
{
    struct vctx *c = calloc(1, sizeof *c);
    int rc;
    memset(r, 0, sizeof *r);
    r->strict = strict;
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->r = r;
    rc = open_all(c, config_path, err, errlen);
    if (rc == 0)
        rc = walk(c, err, errlen);
    close_all(c);
    free(c);
    return rc;
}
