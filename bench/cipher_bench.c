/* SPDX-License-Identifier: MIT */
/*
 * cipher_bench.c — micro-benchmark of the cipher path (issue #7 item 5):
 *
 *   1. seal/open through the cipher plugin ABI: cipher-sodium.so loaded by
 *      the core loader (skv_plugin_load, as sealkvd does), key prepared
 *      with ops->key_new, every call through ops->seal / ops->open;
 *   2. the same AEAD called directly in libsodium (precomputed AES-GCM
 *      state / ChaCha20 key, detached tag, same buffers);
 *   3. Envelope v1 encode/decode (core/crypto/envelope.c: header, AAD, keystore
 *      lookup, plugin AEAD, and for decode the malloc'd plaintext).
 *
 * at 64 B, 1 KiB, 4 KiB and 64 KiB, for every suite this machine runs.
 * Each measurement is the best of REPS (9; --quick 5) interleaved
 * repetitions of at least MIN_NS (25 ms; --quick 10 ms) each: plugin and
 * direct alternate, and many short repetitions let the best one of each
 * side dodge the other processes of a shared machine.
 * Prints one "CIPHER ..." line per (suite, op, size) with GB/s for each
 * path and the plugin/direct ratio, then a table.
 *
 *   SEALKV_PLUGIN_PATH=<dir with cipher-sodium.so> bench/cipher_bench [--quick]
 */
#include "config/config.h"
#include "crypto/envelope.h"
#include "crypto/keystore.h"
#include "crypto/kek.h"
#include "plugin/loader.h"

#include <sealkv/cipher.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long MIN_NS = 25000000LL; /* per repetition */
static int REPS = 9;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct ctx {
    const char *suite;
    int aes;
    size_t n;
    uint8_t *pt, *ct, *out;
    uint8_t nonce[12], aad[9];
    const struct skv_cipher_ops *ops;
    void *kh;                                 /* plugin key handle */
    crypto_aead_aes256gcm_state *aes_st;      /* direct, precomputed */
    uint8_t key[32];
    struct skv_keystore *ks;                  /* envelope */
    uint32_t key_id;
    uint8_t *env;                             /* sealed envelope of pt */
    size_t env_len;
    int fail;
};

typedef void (*op_fn)(struct ctx *c);

static void plugin_seal(struct ctx *c)
{
    struct skv_err e = {0};
    if (c->ops->seal(c->kh, c->nonce, 12, c->aad, sizeof c->aad, c->pt, c->n, c->ct, &e))
        c->fail = 1;
}

static void plugin_open(struct ctx *c)
{
    struct skv_err e = {0};
    if (c->ops->open(c->kh, c->nonce, 12, c->aad, sizeof c->aad, c->ct, c->n + 16, c->out, &e))
        c->fail = 1;
}

static void direct_seal(struct ctx *c)
{
    int rc;
    if (c->aes)
        rc = crypto_aead_aes256gcm_encrypt_detached_afternm(c->ct, c->ct + c->n, NULL, c->pt, c->n,
                                                            c->aad, sizeof c->aad, NULL,
                                                            c->nonce, c->aes_st);
    else
        rc = crypto_aead_chacha20poly1305_ietf_encrypt_detached(c->ct, c->ct + c->n, NULL, c->pt,
                                                                c->n, c->aad, sizeof c->aad,
                                                                NULL, c->nonce, c->key);
    if (rc)
        c->fail = 1;
}

static void direct_open(struct ctx *c)
{
    int rc;
    if (c->aes)
        rc = crypto_aead_aes256gcm_decrypt_detached_afternm(c->out, NULL, c->ct, c->n, c->ct + c->n,
                                                            c->aad, sizeof c->aad, c->nonce,
                                                            c->aes_st);
    else
        rc = crypto_aead_chacha20poly1305_ietf_decrypt_detached(c->out, NULL, c->ct, c->n,
                                                                c->ct + c->n, c->aad,
                                                                sizeof c->aad, c->nonce, c->key);
    if (rc)
        c->fail = 1;
}

static void env_encode(struct ctx *c)
{
    struct skv_enc_err e;
    memset(&e, 0, sizeof e);
    if (skv_envelope_seal(c->ks, SKV_PURPOSE_RAFT, c->key_id, c->nonce, NULL, 0, c->pt, c->n,
                          c->env, &e) != SKV_OK)
        c->fail = 1;
}

static void env_decode(struct ctx *c)
{
    struct skv_enc_err e;
    uint8_t *pt = NULL;
    size_t pl = 0;
    memset(&e, 0, sizeof e);
    if (skv_envelope_open(c->ks, SKV_PURPOSE_RAFT, NULL, 0, c->env, c->env_len, &pt, &pl, &e) !=
        SKV_OK)
        c->fail = 1;
    free(pt);
}

/* Calls per second of `fn` over one repetition of at least MIN_NS. */
static double rate(struct ctx *c, op_fn fn)
{
    long long t0 = now_ns(), t;
    long iters = 0, batch = 16;
    do {
        for (long i = 0; i < batch; i++)
            fn(c);
        iters += batch;
        if (batch < 65536)
            batch *= 2;
        t = now_ns() - t0;
    } while (t < MIN_NS);
    return (double)iters * 1e9 / (double)t;
}

/* Best rates of a and b over REPS interleaved repetitions. */
static void race(struct ctx *c, op_fn a, op_fn b, double *ra, double *rb)
{
    *ra = *rb = 0;
    for (int r = 0; r < REPS; r++) {
        double x = rate(c, a), y = rate(c, b);
        if (x > *ra)
            *ra = x;
        if (y > *rb)
            *rb = y;
    }
}

static int add_dek(struct ctx *c)
{
    uint8_t raw[32], w[SKV_DEK_WRAPPED_LEN];
    struct skv_enc_err e;
    memset(&e, 0, sizeof e);
    randombytes_buf(raw, sizeof raw);
    c->key_id = 0x5ea1u;
    if (skv_keystore_wrap(c->ks, SKV_PURPOSE_RAFT, c->key_id, c->suite, raw, w, &e) != SKV_OK ||
        skv_keystore_add_wrapped(c->ks, c->key_id, SKV_PURPOSE_RAFT, c->suite, w, sizeof w, &e) !=
            SKV_OK) {
        fprintf(stderr, "cipher_bench: keystore: %s\n", e.err.msg);
        return -1;
    }
    sodium_memzero(raw, sizeof raw);
    return 0;
}

int main(int argc, char **argv)
{
    static const size_t sizes[] = {64, 1024, 4096, 65536};
    const char *suites[2] = {"aes-256-gcm", "chacha20-poly1305"};
    struct skv_conf_plugin conf;
    struct skv_plugin_inst *inst = NULL;
    struct skv_err err = {0};
    struct skv_enc_err ee;
    struct skv_kek *kek = NULL;
    struct ctx c;
    char name[] = "sodium";
    uint8_t kekb[SKV_KEK_LEN];
    int failed = 0;

    if (argc > 1 && strcmp(argv[1], "--quick") == 0) {
        MIN_NS = 10000000LL;
        REPS = 5;
    }
    if (sodium_init() < 0)
        return 1;
    memset(&conf, 0, sizeof conf);
    conf.name = name;
    if (skv_plugin_load(SKV_KIND_CIPHER, &conf, NULL, NULL, 0, NULL, &inst, &err) != SKV_OK) {
        fprintf(stderr, "cipher_bench: cannot load cipher-sodium: %s\n", err.msg);
        return 1;
    }
    memset(&c, 0, sizeof c);
    c.ops = skv_plugin_ops(inst);
    randombytes_buf(kekb, sizeof kekb);
    memset(&ee, 0, sizeof ee);
    if (skv_kek_from_bytes(kekb, sizeof kekb, &kek, &ee) != SKV_OK ||
        skv_keystore_new(c.ops, skv_plugin_state(inst), kek, &c.ks, &ee) != SKV_OK) {
        fprintf(stderr, "cipher_bench: keystore: %s\n", ee.err.msg);
        return 1;
    }
    c.aes_st = sodium_malloc(sizeof *c.aes_st);
    c.pt = malloc(65536);
    c.ct = malloc(65536 + 16);
    c.out = malloc(65536);
    c.env = malloc(65536 + SKV_ENVELOPE_OVERHEAD);
    if (!c.aes_st || !c.pt || !c.ct || !c.out || !c.env)
        return 1;
    randombytes_buf(c.pt, 65536);
    randombytes_buf(c.nonce, sizeof c.nonce);
    memcpy(c.aad, "R\x01\x00\x00\x5e\xa1", 6);

    printf("# cipher_bench: libsodium %s, best of %d x >= %lld ms, plugin via the core loader\n",
           sodium_version_string(), REPS, MIN_NS / 1000000);
    for (int s = 0; s < 2; s++) {
        struct skv_keystore *ks_keep = c.ks;
        c.suite = suites[s];
        c.aes = s == 0;
        if (c.aes && !crypto_aead_aes256gcm_is_available()) {
            printf("# %s not available on this CPU (no AES-NI): skipped\n", c.suite);
            continue;
        }
        randombytes_buf(c.key, sizeof c.key);
        if (c.ops->key_new(skv_plugin_state(inst), c.suite, c.key, 32, &c.kh, &err) != SKV_OK) {
            fprintf(stderr, "cipher_bench: key_new %s: %s\n", c.suite, err.msg);
            return 1;
        }
        if (c.aes)
            crypto_aead_aes256gcm_beforenm(c.aes_st, c.key);
        if (add_dek(&c) != 0)
            return 1;
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            double rp, rd, re, rx;
            c.n = sizes[i];
            c.env_len = c.n + SKV_ENVELOPE_OVERHEAD;
            race(&c, plugin_seal, direct_seal, &rp, &rd);
            printf("CIPHER suite=%s op=seal size=%zu plugin_gbps=%.3f direct_gbps=%.3f ratio=%.3f\n",
                   c.suite, c.n, rp * c.n / 1e9, rd * c.n / 1e9, rp / rd);
            direct_seal(&c); /* ct = a valid ciphertext of pt */
            race(&c, plugin_open, direct_open, &rp, &rd);
            printf("CIPHER suite=%s op=open size=%zu plugin_gbps=%.3f direct_gbps=%.3f ratio=%.3f\n",
                   c.suite, c.n, rp * c.n / 1e9, rd * c.n / 1e9, rp / rd);
            env_encode(&c);
            race(&c, env_encode, env_decode, &re, &rx);
            race(&c, plugin_seal, plugin_open, &rp, &rd);
            printf("ENVELOPE suite=%s size=%zu encode_gbps=%.3f decode_gbps=%.3f "
                   "encode_vs_plugin_seal=%.3f decode_vs_plugin_open=%.3f encode_ns=%.0f decode_ns=%.0f\n",
                   c.suite, c.n, re * c.n / 1e9, rx * c.n / 1e9, re / rp, rx / rd, 1e9 / re,
                   1e9 / rx);
            fflush(stdout);
        }
        c.ops->key_free(c.kh);
        c.kh = NULL;
        c.ks = ks_keep;
        skv_keystore_free(c.ks); /* a fresh keystore per suite (one DEK id) */
        kek = NULL;
        randombytes_buf(kekb, sizeof kekb);
        if (skv_kek_from_bytes(kekb, sizeof kekb, &kek, &ee) != SKV_OK ||
            skv_keystore_new(c.ops, skv_plugin_state(inst), kek, &c.ks, &ee) != SKV_OK)
            return 1;
    }
    failed = c.fail;
    skv_keystore_free(c.ks);
    sodium_free(c.aes_st);
    free(c.pt);
    free(c.ct);
    free(c.out);
    free(c.env);
    skv_plugin_unload(inst);
    if (failed)
        fprintf(stderr, "cipher_bench: an AEAD call failed\n");
    return failed;
}
