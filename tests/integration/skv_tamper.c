/* SPDX-License-Identifier: MIT */
/*
 * skv_tamper.c — test tool: open a stopped node's store (through its
 * config and the real storage plugin, like skv_scan) and flip one byte
 * inside the payload of the last FSM command in the Raft log — inside the
 * envelope's ciphertext when the payload is a raft envelope.
 *
 *   skv_tamper CONFIG fix-crc   re-encode the record so its CRC matches:
 *                               only the envelope tag can tell
 *   skv_tamper CONFIG raw       leave the record CRC stale: the codec's
 *                               checksum tells
 * Prints "tampered INDEX". Exit 0, 1 when there is no command entry, 2 on
 * usage/open errors.
 */
#include "config/config.h"
#include "crypto/envelope.h"
#include "util/keys.h"
#include "plugin/loader.h"
#include "plugin/plugin_set.h"
#include "raftio/raft_ls_codec.h"

#include <sealkv/storage.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct last {
    raft_index index;
    uint8_t *val;
    size_t len;
};

/* Remember the last well-formed RAFT_COMMAND record. */
static int keep_last(void *arg, const uint8_t *key, size_t klen, const uint8_t *val,
                     size_t vlen, char *errmsg)
{
    struct last *l = arg;
    struct skv_ls_rec rec;
    raft_index idx;
    if (!skv_ls_log_key_index(key, klen, &idx) ||
        skv_ls_entry_decode(idx, val, vlen, &rec, errmsg) != 0 || rec.type != RAFT_COMMAND ||
        rec.len == 0)
        return 0;
    free(l->val);
    if (!(l->val = malloc(vlen)))
        return RAFT_NOMEM;
    memcpy(l->val, val, vlen);
    l->len = vlen;
    l->index = idx;
    return 0;
}

/* Flip a ciphertext byte (or the payload's middle byte if it is short);
 * with fix_crc re-encode the record into a fresh buffer. 0 or -1 (OOM). */
static int flip(struct last *l, int fix_crc)
{
    size_t plen = l->len - SKV_LS_ENTRY_HDR, off = plen / 2;
    struct skv_envelope_hdr h;
    struct raft_entry e;
    uint8_t *out;
    if (skv_envelope_parse(l->val + SKV_LS_ENTRY_HDR, plen, &h, NULL) == SKV_OK &&
        plen > h.overhead)   /* v1 or v2: the middle of the ciphertext */
        off = h.header_len + (plen - h.overhead) / 2;
    l->val[SKV_LS_ENTRY_HDR + off] ^= 0x01;
    if (!fix_crc)
        return 0;
    memset(&e, 0, sizeof e);
    e.term = skv_get_le64(l->val + 8);
    e.type = RAFT_COMMAND;
    e.buf.base = l->val + SKV_LS_ENTRY_HDR;
    e.buf.len = plen;
    if (!(out = malloc(skv_ls_entry_size(&e))))
        return -1;
    skv_ls_entry_encode(out, l->index, &e);
    free(l->val);
    l->val = out;
    return 0;
}

static int write_back(const struct skv_ls *ls, const struct last *l, struct skv_err *e)
{
    uint8_t key[SKV_LS_LOG_KEY_LEN];
    struct skv_batch_op op;
    skv_ls_log_key(key, l->index);
    memset(&op, 0, sizeof op);
    op.type = SKV_BATCH_PUT;
    op.key = key;
    op.key_len = sizeof key;
    op.val = l->val;
    op.val_len = l->len;
    return ls->st->write(ls->db, &op, 1, 1, e);
}

int main(int argc, char **argv)
{
    struct skv_config c;
    struct skv_plugin_set set;
    struct skv_err e = {0, ""};
    struct skv_ls ls = {NULL, NULL};
    struct last l = {0, NULL, 0};
    const uint8_t pfx = SKV_PFX_RAFT_LOG;
    char msg[SKV_CONF_ERR_MAX], path[4200];
    int rc = 2;

    if (argc != 3 || (strcmp(argv[2], "fix-crc") != 0 && strcmp(argv[2], "raw") != 0)) {
        fprintf(stderr, "usage: skv_tamper CONFIG fix-crc|raw\n");
        return 2;
    }
    if (skv_config_load(argv[1], &c, msg, sizeof msg) != 0 ||
        skv_plugin_set_load(&set, &c, NULL, &e) != SKV_OK) {
        fprintf(stderr, "skv_tamper: %s\n", e.msg[0] ? e.msg : msg);
        return 2;
    }
    ls.st = skv_plugin_ops(set.storage);
    snprintf(path, sizeof path, "%s/store", c.data_dir);
    if (ls.st->open(skv_plugin_state(set.storage), path, &ls.db, &e) != SKV_OK) {
        fprintf(stderr, "skv_tamper: %s\n", e.msg);
    } else if (skv_ls_scan(&ls, NULL, &pfx, 1, &pfx, 1, keep_last, &l, msg) != 0 || !l.val) {
        fprintf(stderr, "skv_tamper: no command entry in the log%s%s\n", l.val ? ": " : "",
                l.val ? msg : "");
        rc = 1;
    } else {
        rc = flip(&l, strcmp(argv[2], "fix-crc") == 0) == 0 && write_back(&ls, &l, &e) == SKV_OK
                 ? 0 : 2;
        if (rc == 0)
            printf("tampered %llu\n", (unsigned long long)l.index);
        else
            fprintf(stderr, "skv_tamper: %s\n", e.msg);
    }
    if (ls.db)
        ls.st->close(ls.db);
    free(l.val);
    skv_plugin_set_unload(&set);
    skv_config_free(&c);
    return rc;
}
