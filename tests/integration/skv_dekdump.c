/* SPDX-License-Identifier: MIT */
/*
 * skv_dekdump.c — TEST-ONLY tool (a check program, never installed): load
 * a node's encryption state the way sealkvd's start-up does (config,
 * cipher plugin, skv_enc_load: KEK file + <data_dir>/encryption/keys.json,
 * every DEK unwrapped) and write the unwrapped DEKs as hex to OUTFILE, so
 * a test can search responses, logs and core files for them.
 *
 *   skv_dekdump CONFIG OUTFILE [SCANFILE]
 * OUTFILE (created mode 0600) gets one line per DEK:
 *   dek-<key_id>-<purpose> <64 lowercase hex digits>
 * and, with SCANFILE (skv_noncescan output), one line per distinct v2
 * (key_id, salt) in it whose DEK is held — the envelope v2 subkey those
 * envelopes are sealed under (docs/NONCES.md), which must not leak either:
 *   sub-<key_id>-<salt hex> <64 lowercase hex digits>
 * skv_keyscan takes both kinds of line alike.
 * Exit 0 (at least one DEK written), 1 if the sidecar holds no DEK, 2 on
 * usage or load errors. Read-only on the data dir (skv_enc_load writes
 * nothing), so it may run next to a live node.
 */
#include "config/config.h"
#include "enc/enc.h"
#include "crypto/keystore.h"
#include "plugin/loader.h"

#include <sealkv/cipher.h>
#include <sodium.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* One "sub-" line per distinct v2 (key_id, salt) of the scan file. */
static int dump_subkeys(struct skv_keystore *ks, const char *scan, FILE *out, uint8_t *raw)
{
    char line[512], name[48], seen[256][48], salt_hex[40], hex[2 * SKV_DEK_LEN + 1];
    uint8_t salt[SKV_SALT_LEN];
    unsigned kid, n = 0, i;
    FILE *f = fopen(scan, "r");
    int rc = 0;
    if (!f) {
        perror(scan);
        return 2;
    }
    while (fgets(line, sizeof line, f) && n < 256) {
        const struct skv_dek *d;
        struct skv_enc_err ee;
        size_t sl = 0;
        memset(&ee, 0, sizeof ee);
        if (sscanf(line, "%u %39s", &kid, salt_hex) != 2 || strcmp(salt_hex, "-") == 0 ||
            sodium_hex2bin(salt, sizeof salt, salt_hex, strlen(salt_hex), NULL, &sl, NULL) != 0 ||
            sl != sizeof salt || !(d = skv_keystore_get(ks, kid)))
            continue;
        snprintf(name, sizeof name, "%u-%s", kid, salt_hex);
        for (i = 0; i < n && strcmp(seen[i], name) != 0; i++)
            ;
        if (i < n)
            continue;
        memcpy(seen[n++], name, sizeof name);
        if (skv_keystore_subkey_raw(ks, d, salt, raw, &ee) != SKV_OK) {
            fprintf(stderr, "skv_dekdump: subkey %s: %s\n", name, ee.err.msg);
            rc = 2;
            continue;
        }
        sodium_bin2hex(hex, sizeof hex, raw, SKV_DEK_LEN);
        fprintf(out, "sub-%s %s\n", name, hex);
        sodium_memzero(hex, sizeof hex);
    }
    sodium_memzero(raw, SKV_DEK_LEN);
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    struct skv_config c;
    struct skv_plugin_inst *cipher = NULL;
    struct skv_err e = {0, ""};
    struct skv_enc enc;
    char msg[SKV_CONF_ERR_MAX], emsg[1024];
    uint8_t *raw;
    size_t i, written = 0;
    FILE *out;
    int fd, rc = 0;

    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: skv_dekdump CONFIG OUTFILE [SCANFILE]\n");
        return 2;
    }
    if (sodium_init() < 0 || !(raw = sodium_malloc(SKV_DEK_LEN))) {
        fprintf(stderr, "skv_dekdump: libsodium unavailable\n");
        return 2;
    }
    if (skv_config_load(argv[1], &c, msg, sizeof msg) != 0) {
        fprintf(stderr, "skv_dekdump: %s\n", msg);
        return 2;
    }
    if (!c.enc_enabled) {
        fprintf(stderr, "skv_dekdump: %s: encryption is not enabled\n", argv[1]);
        return 2;
    }
    if (skv_plugin_load(SKV_KIND_CIPHER, &c.cipher, c.file, c.plugin_path, c.n_plugin_path,
                        NULL, &cipher, &e) != SKV_OK) {
        fprintf(stderr, "skv_dekdump: %s\n", e.msg);
        return 2;
    }
    if (skv_enc_load(&enc, &c, skv_plugin_ops(cipher), skv_plugin_state(cipher), emsg,
                     sizeof emsg) != 0) {
        fprintf(stderr, "skv_dekdump: %s\n", emsg);
        return 2;
    }
    if ((fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
        !(out = fdopen(fd, "w"))) {
        perror(argv[2]);
        return 2;
    }
    for (i = 0; i < enc.sc.n_keys; i++) {
        const struct skv_sidecar_key *k = &enc.sc.keys[i];
        struct skv_enc_err ee;
        char hex[2 * SKV_DEK_LEN + 1];
        memset(&ee, 0, sizeof ee);
        if (k->dropped)
            continue;   /* a retired key's tombstone: no DEK left */
        if (skv_keystore_unwrap(enc.ks, (int)k->purpose, k->key_id, k->suite, k->wrapped,
                                k->wrapped_len, raw, &ee) != SKV_OK) {
            fprintf(stderr, "skv_dekdump: key %u: %s\n", (unsigned)k->key_id, ee.err.msg);
            rc = 2;
            continue;
        }
        sodium_bin2hex(hex, sizeof hex, raw, SKV_DEK_LEN);
        fprintf(out, "dek-%u-%s %s\n", (unsigned)k->key_id,
                skv_purpose_name((int)k->purpose), hex);
        sodium_memzero(hex, sizeof hex);
        written++;
    }
    if (argc == 4 && dump_subkeys(enc.ks, argv[3], out, raw) != 0)
        rc = 2;
    sodium_free(raw);
    if (fclose(out) != 0) {
        perror(argv[2]);
        rc = 2;
    }
    skv_enc_close(&enc);
    skv_plugin_unload(cipher);
    skv_config_free(&c);
    if (rc == 0 && written == 0) {
        fprintf(stderr, "skv_dekdump: the sidecar of %s holds no DEK\n", argv[1]);
        rc = 1;
    }
    return rc;
}
