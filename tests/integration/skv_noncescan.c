/* SPDX-License-Identifier: MIT */
/*
 * skv_noncescan.c — TEST-ONLY tool for the cluster-wide nonce scan (issue
 * 12, docs/NONCES.md): open a STOPPED node's store through its config
 * (real storage plugin, like skv_scan / sealkv verify; no KEK needed —
 * nothing is decrypted) and print one line per envelope found in
 *   - the Raft log: FSM commands above the sidecar's cutover index,
 *   - the FSM's stored values whose record state is "sealed",
 *   - the latest snapshot's value records:
 *
 *   KEY_ID SALT_HEX NONCE_HEX SHA256(ciphertext‖tag) WHERE
 *
 * KEY_ID decimal; SALT_HEX "-" for a v1 envelope; WHERE is
 * node<ID>:log:<index> | node<ID>:fsm | node<ID>:snap:<index>, for
 * diagnostics only. skv_noncecheck reads these lines from every node and
 * fails on a (key_id, salt, nonce) with two different hashes.
 *
 *   skv_noncescan CONFIG
 * Exit 0; 2 on usage/open errors or a record that does not parse as an
 * envelope where one must be (the scan would otherwise be blind to it).
 */
#include "util/bytes.h"
#include "config/config.h"
#include "crypto/envelope.h"
#include "fsm/fsm.h"
#include "util/keys.h"
#include "plugin/plugin_set.h"
#include "raftio/raft_ls_codec.h"
#include "raftio/raft_log_store.h"
#include "enc/sidecar.h"
#include "fsm/snap_hdr.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct scan {
    struct skv_ls ls;
    unsigned long long node, cutover;
    unsigned long envelopes, bad;
};

/* Print the line for one envelope; count a malformed one. */
static void emit(struct scan *s, const uint8_t *env, size_t len, const char *where,
                 unsigned long long idx)
{
    char salt[2 * SKV_ENVELOPE_SALT_LEN + 1] = "-", nonce[2 * SKV_ENVELOPE_NONCE_LEN + 1];
    char hash[2 * crypto_hash_sha256_BYTES + 1];
    uint8_t h[crypto_hash_sha256_BYTES];
    struct skv_envelope_hdr hd;
    struct skv_enc_err e;
    memset(&e, 0, sizeof e);
    if (skv_envelope_parse(env, len, &hd, &e) != SKV_OK) {
        fprintf(stderr, "skv_noncescan: node%llu:%s:%llu: not an envelope: %s\n", s->node,
                where, idx, e.err.msg);
        s->bad++;
        return;
    }
    if (hd.salt)
        sodium_bin2hex(salt, sizeof salt, hd.salt, SKV_ENVELOPE_SALT_LEN);
    sodium_bin2hex(nonce, sizeof nonce, hd.nonce, SKV_ENVELOPE_NONCE_LEN);
    crypto_hash_sha256(h, env + hd.header_len, len - hd.header_len);
    sodium_bin2hex(hash, sizeof hash, h, sizeof h);
    printf("%u %s %s %s node%llu:%s:%llu\n", hd.key_id, salt, nonce, hash, s->node, where, idx);
    s->envelopes++;
}

static int log_cb(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                  size_t vlen, char *errmsg)
{
    struct scan *s = arg;
    struct skv_ls_rec rec;
    raft_index idx;
    if (!skv_ls_log_key_index(key, klen, &idx) ||
        skv_ls_entry_decode(idx, val, vlen, &rec, errmsg) != 0) {
        fprintf(stderr, "skv_noncescan: node%llu: a log record does not decode\n", s->node);
        s->bad++;
        return 0;
    }
    if (rec.type == RAFT_COMMAND && s->cutover != 0 && idx > s->cutover)
        emit(s, rec.payload, rec.len, "log", idx);
    return 0;
}

/* One stored value record: an envelope follows a "sealed" state byte. */
static void value(struct scan *s, const uint8_t *rec, size_t rl, const char *where,
                  unsigned long long idx)
{
    if (rl >= 1 && (rec[0] & SKV_VAL_STATE_MASK) == SKV_VAL_SEALED)
        emit(s, rec + 1, rl - 1, where, idx);
}

static int fsm_cb(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                  size_t vlen, char *errmsg)
{
    (void)key;
    (void)klen;
    (void)errmsg;
    value(arg, val, vlen, "fsm", 0);
    return 0;
}

/* The latest snapshot's records: [klen u32][key][vlen u32][record]. */
static void snap_scan(struct scan *s)
{
    struct raft_snapshot *sn = NULL;
    struct skv_snap_hdr h;
    char msg[RAFT_ERRMSG_BUF_SIZE];
    const uint8_t *p;
    size_t len, off;
    if (skv_ls_snap_read(&s->ls, NULL, &sn, msg) != 0 || !sn)
        return;
    if (sn->n_bufs < 1 || skv_snap_hdr_parse(sn->bufs[0].base, sn->bufs[0].len, &h, msg,
                                             sizeof msg) != 0) {
        fprintf(stderr, "skv_noncescan: node%llu: snapshot header: %s\n", s->node, msg);
        s->bad++;
        skv_ls_snap_free(sn);
        return;
    }
    /* a spooled install's reference (v4): no records of its own; what it
     * restored is in the store (scanned above), its spool file is gone
     * once restored */
    if (h.version == 4) {
        skv_ls_snap_free(sn);
        return;
    }
    p = sn->bufs[0].base;
    len = sn->bufs[0].len;
    for (off = h.body_off; off < len;) {
        uint32_t kl, vl;
        if (len - off < 4 || (kl = skv_get_be32(p + off)) > len - off - 4 ||
            len - off - 4 - kl < 4 || (vl = skv_get_be32(p + off + 4 + kl)) > len - off - 8 - kl) {
            fprintf(stderr, "skv_noncescan: node%llu: truncated snapshot\n", s->node);
            s->bad++;
            break;
        }
        if (kl > 0 && (p[off + 4] == SKV_PFX_FSM_DATA || p[off + 4] == SKV_PFX_NAMED_DATA))
            value(s, p + off + 8 + kl, vl, "snap", sn->index);
        off += 8 + (size_t)kl + vl;
    }
    skv_ls_snap_free(sn);
}

static int walk(struct scan *s)
{
    const uint8_t log_pfx = SKV_PFX_RAFT_LOG, data_pfx = SKV_PFX_FSM_DATA,
                  named_pfx = SKV_PFX_NAMED_DATA;
    char msg[RAFT_ERRMSG_BUF_SIZE];
    if (skv_ls_scan(&s->ls, NULL, &log_pfx, 1, &log_pfx, 1, log_cb, s, msg) != 0 ||
        skv_ls_scan(&s->ls, NULL, &data_pfx, 1, &data_pfx, 1, fsm_cb, s, msg) != 0 ||
        skv_ls_scan(&s->ls, NULL, &named_pfx, 1, &named_pfx, 1, fsm_cb, s, msg) != 0) {
        fprintf(stderr, "skv_noncescan: %s\n", msg);
        return -1;
    }
    snap_scan(s);
    return 0;
}

int main(int argc, char **argv)
{
    struct skv_config c;
    struct skv_plugin_set set;
    struct skv_sidecar sc;
    struct skv_err e = {0, ""};
    struct scan s;
    char msg[SKV_CONF_ERR_MAX], path[4200];
    int present = 0, rc = 2;

    if (argc != 2) {
        fprintf(stderr, "usage: skv_noncescan CONFIG\n");
        return 2;
    }
    if (sodium_init() < 0 || skv_config_load(argv[1], &c, msg, sizeof msg) != 0) {
        fprintf(stderr, "skv_noncescan: %s\n", msg);
        return 2;
    }
    memset(&s, 0, sizeof s);
    s.node = (unsigned long long)c.node_id;
    skv_sidecar_init(&sc);
    if (skv_sidecar_load(c.data_dir, &sc, &present, &e) != SKV_OK ||
        skv_plugin_set_load(&set, &c, NULL, &e) != SKV_OK) {
        fprintf(stderr, "skv_noncescan: %s\n", e.msg);
        skv_config_free(&c);
        return 2;
    }
    s.cutover = sc.raft_envelope_cutover_index;
    s.ls.st = skv_plugin_ops(set.storage);
    snprintf(path, sizeof path, "%s/store", c.data_dir);
    if (s.ls.st->open(skv_plugin_state(set.storage), path, &s.ls.db, &e) != SKV_OK)
        fprintf(stderr, "skv_noncescan: %s (is node %llu stopped?)\n", e.msg, s.node);
    else if (walk(&s) == 0)
        rc = s.bad ? 2 : 0;
    if (s.ls.db)
        s.ls.st->close(s.ls.db);
    fprintf(stderr, "skv_noncescan: node %llu: %lu envelopes, cutover %llu%s\n", s.node,
            s.envelopes, s.cutover, s.bad ? ", UNREADABLE RECORDS" : "");
    skv_plugin_set_unload(&set);
    skv_config_free(&c);
    return rc;
}
