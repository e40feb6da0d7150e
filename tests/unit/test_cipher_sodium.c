/* SPDX-License-Identifier: MIT */
/*
 * test_cipher_sodium.c — CUnit suite for the libsodium cipher plugin,
 * loaded for real through the core loader (cipher-sodium.so from
 * $SEALKV_PLUGIN_PATH): suite table, known-answer vectors (RFC 8439
 * §2.8.2, GCM spec test case 16), round trips, tampering with every
 * bit of ciphertext/tag/AAD/nonce, wrong keys, argument errors, in-place
 * operation, the CSPRNG, and the `suite` option.
 */
#include "skv_test.h"
#include "plugin/loader.h"
#include "config/config.h"

#include <sealkv/cipher.h>
#include <sodium.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The plugin instance every test uses (loaded by the suite's init). */
static struct {
    struct skv_conf_plugin conf;
    char name[16];
    struct skv_plugin_inst *inst;
    const struct skv_cipher_ops *ops;
    void *state;
    int aes_ok;   /* what libsodium itself says about this CPU */
} fx;

static const char *const SUITES[] = {"aes-256-gcm", "chacha20-poly1305"};
#define N_SUITES 2

/* ---- helpers ------------------------------------------------------ */

static void hex2bin(const char *hex, uint8_t *out, size_t *len)
{
    size_t n = 0;
    CU_ASSERT_FATAL(sodium_hex2bin(out, strlen(hex) / 2, hex, strlen(hex),
                                   NULL, &n, NULL) == 0);
    *len = n;
}

static int load_with(struct skv_conf_plugin *conf, struct skv_plugin_inst **out,
                     struct skv_err *err)
{
    memset(err, 0, sizeof *err);
    return skv_plugin_load(SKV_KIND_CIPHER, conf, NULL, NULL, 0, NULL, out, err);
}

/* A conf for plugin "sodium" with one option suite=<value>. */
struct opt_conf {
    struct skv_conf_plugin conf;
    char name[16], key[16], value[64];
};

static void opt_conf_init(struct opt_conf *c, const char *suite)
{
    memset(c, 0, sizeof *c);
    strcpy(c->name, "sodium");
    c->conf.name = c->name;
    if (suite) {
        strcpy(c->key, "suite");
        snprintf(c->value, sizeof c->value, "%s", suite);
        c->conf.options[0].key = c->key;
        c->conf.options[0].value = c->value;
        c->conf.options[0].pos.line = 7;
        c->conf.options[0].pos.col = 30;
        c->conf.n_options = 1;
    }
}

static int suite_available(const char *suite)
{
    return strcmp(suite, "aes-256-gcm") != 0 || fx.aes_ok;
}

static void *new_key(const char *suite, const uint8_t *key)
{
    struct skv_err err;
    void *k = NULL;
    int rc = fx.ops->key_new(fx.state, suite, key, 32, &k, &err);
    CU_ASSERT_EQUAL_FATAL(rc, SKV_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(k);
    return k;
}

static int all_zero(const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static int suite_init(void)
{
    struct skv_err err;
    if (sodium_init() < 0)
        return -1;
    fx.aes_ok = crypto_aead_aes256gcm_is_available();
    strcpy(fx.name, "sodium");
    fx.conf.name = fx.name;
    if (load_with(&fx.conf, &fx.inst, &err) != SKV_OK) {
        fprintf(stderr, "cannot load cipher-sodium: %s\n", err.msg);
        return -1;
    }
    fx.ops = skv_plugin_ops(fx.inst);
    fx.state = skv_plugin_state(fx.inst);
    return 0;
}

static int suite_clean(void)
{
    skv_plugin_unload(fx.inst);
    fx.inst = NULL;
    return 0;
}

/* ---- descriptor and suite table ---------------------------------- */

static void test_descriptor(void)
{
    const struct skv_plugin *d = skv_plugin_desc(fx.inst);
    CU_ASSERT_STRING_EQUAL(d->name, "sodium");
    CU_ASSERT_EQUAL(d->kind, SKV_KIND_CIPHER);
    CU_ASSERT_EQUAL(d->abi_major, SKV_ABI_MAJOR);
    CU_ASSERT_EQUAL(fx.ops->struct_size, sizeof(struct skv_cipher_ops));
    CU_ASSERT_PTR_NOT_NULL(strstr(skv_plugin_path(fx.inst), "cipher-sodium.so"));
}

static void test_suite_table(void)
{
    struct skv_cipher_suite s;
    unsigned i, n = fx.ops->suite_count(fx.state);
    CU_ASSERT_EQUAL_FATAL(n, N_SUITES);
    for (i = 0; i < n; i++) {
        memset(&s, 0xee, sizeof s);
        s.struct_size = sizeof s;
        CU_ASSERT_EQUAL_FATAL(fx.ops->suite_get(fx.state, i, &s), SKV_OK);
        CU_ASSERT_EQUAL(s.struct_size, sizeof s);
        CU_ASSERT_STRING_EQUAL(s.name, SUITES[i]);
        CU_ASSERT_EQUAL(s.key_len, 32);
        CU_ASSERT_EQUAL(s.nonce_len, 12);
        CU_ASSERT_EQUAL(s.tag_len, 16);
        /* never faked: AES-GCM is available iff libsodium says so */
        CU_ASSERT_EQUAL(s.available, suite_available(SUITES[i]));
    }
    s.struct_size = sizeof s;
    CU_ASSERT_EQUAL(fx.ops->suite_get(fx.state, n, &s), SKV_ERR_NOTFOUND);
    CU_ASSERT_EQUAL(fx.ops->suite_get(fx.state, 0, NULL), SKV_ERR_INVALID);
    /* an older, smaller caller struct: only what fits is written */
    {
        struct { struct skv_cipher_suite s; uint8_t guard[8]; } small;
        memset(&small, 0x5a, sizeof small);
        small.s.struct_size = offsetof(struct skv_cipher_suite, key_len) +
                              sizeof small.s.key_len;
        CU_ASSERT_EQUAL(fx.ops->suite_get(fx.state, 1, &small.s), SKV_OK);
        CU_ASSERT_STRING_EQUAL(small.s.name, "chacha20-poly1305");
        CU_ASSERT_EQUAL(small.s.key_len, 32);
        CU_ASSERT_EQUAL(small.s.nonce_len, 0x5a5a5a5a);  /* untouched */
    }
}

/* ---- known-answer vectors ---------------------------------------- */

struct kat {
    const char *suite, *key, *nonce, *aad, *pt, *ct, *tag;
};

static void run_kat(const struct kat *v)
{
    uint8_t key[32], nonce[12], aad[64], pt[256], ct[256], tag[16];
    uint8_t out[256 + 16], back[256];
    size_t klen, nlen, alen, plen, clen, tlen;
    struct skv_err err;
    void *k;
    hex2bin(v->key, key, &klen);
    hex2bin(v->nonce, nonce, &nlen);
    hex2bin(v->aad, aad, &alen);
    hex2bin(v->pt, pt, &plen);
    hex2bin(v->ct, ct, &clen);
    hex2bin(v->tag, tag, &tlen);
    CU_ASSERT_FATAL(klen == 32 && nlen == 12 && tlen == 16 && clen == plen);
    k = new_key(v->suite, key);
    CU_ASSERT_EQUAL(fx.ops->seal(k, nonce, nlen, aad, alen, pt, plen, out, &err), SKV_OK);
    CU_ASSERT_EQUAL(memcmp(out, ct, clen), 0);
    CU_ASSERT_EQUAL(memcmp(out + clen, tag, 16), 0);
    memset(back, 0, sizeof back);
    CU_ASSERT_EQUAL(fx.ops->open(k, nonce, nlen, aad, alen, out, clen + 16, back, &err), SKV_OK);
    CU_ASSERT_EQUAL(memcmp(back, pt, plen), 0);
    fx.ops->key_free(k);
}

/* RFC 8439 §2.8.2: AEAD_CHACHA20_POLY1305 "sunscreen" example. */
static void test_kat_chacha(void)
{
    static const char sunscreen[] =
        "Ladies and Gentlemen of the class of '99: If I could offer you "
        "only one tip for the future, sunscreen would be it.";
    char pthex[2 * sizeof sunscreen + 1];
    struct kat v = {
        "chacha20-poly1305",
        "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
        "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7", pthex,
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
        "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
        "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
        "3ff4def08e4b7a9de576d26586cec64b6116",
        "1ae10b594f09e26a7e902ecbd0600691"};
    CU_ASSERT_EQUAL_FATAL(strlen(sunscreen), 114);
    sodium_bin2hex(pthex, sizeof pthex, (const unsigned char *)sunscreen,
                   strlen(sunscreen));
    run_kat(&v);
}

/* McGrew & Viega, "The Galois/Counter Mode of Operation", test case 16
 * (AES-256, 96-bit IV, 60-byte plaintext, 20-byte AAD). */
static void test_kat_aes(void)
{
    struct kat v = {
        "aes-256-gcm",
        "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        "cafebabefacedbaddecaf888",
        "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
        "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
        "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        "76fc6ece0f4e1768cddf8853bb2d551b"};
    if (!fx.aes_ok) {
        uint8_t key[32] = {0};
        struct skv_err err;
        void *k = (void *)1;
        /* unavailable must mean refused, never a fake */
        CU_ASSERT_EQUAL(fx.ops->key_new(fx.state, "aes-256-gcm", key, 32, &k, &err),
                        SKV_ERR_UNSUPPORTED);
        CU_ASSERT_PTR_NULL(k);
        fprintf(stderr, "NOTE: AES-256-GCM unavailable on this CPU: "
                        "known-answer test skipped\n");
        CU_PASS("AES-256-GCM unavailable on this CPU: KAT skipped");
        return;
    }
    run_kat(&v);
}

/* ---- round trips, tampering, wrong keys --------------------------- */

static void roundtrip_one(const char *suite)
{
    static const size_t lens[] = {0, 1, 15, 16, 17, 63, 64, 1000, 65536 + 3};
    uint8_t key[32], nonce[12], aad[33];
    struct skv_err err;
    size_t i;
    void *k;
    randombytes_buf(key, sizeof key);
    randombytes_buf(nonce, sizeof nonce);
    randombytes_buf(aad, sizeof aad);
    k = new_key(suite, key);
    for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n = lens[i];
        uint8_t *pt = malloc(n + 1), *ct = malloc(n + 16), *back = malloc(n + 1);
        CU_ASSERT_FATAL(pt && ct && back);
        randombytes_buf(pt, n + 1);
        CU_ASSERT_EQUAL(fx.ops->seal(k, nonce, 12, aad, i % 2 ? sizeof aad : 0,
                                     pt, n, ct, &err), SKV_OK);
        CU_ASSERT(n < 16 || memcmp(ct, pt, n) != 0);
        CU_ASSERT_EQUAL(fx.ops->open(k, nonce, 12, aad, i % 2 ? sizeof aad : 0,
                                     ct, n + 16, back, &err), SKV_OK);
        CU_ASSERT_EQUAL(memcmp(back, pt, n), 0);
        free(pt);
        free(ct);
        free(back);
    }
    /* NULL AAD / NULL plaintext with zero length are fine */
    {
        uint8_t tagonly[16], none[1];
        CU_ASSERT_EQUAL(fx.ops->seal(k, nonce, 12, NULL, 0, NULL, 0, tagonly, &err), SKV_OK);
        CU_ASSERT_EQUAL(fx.ops->open(k, nonce, 12, NULL, 0, tagonly, 16, none, &err), SKV_OK);
    }
    fx.ops->key_free(k);
}

static void test_roundtrip(void)
{
    size_t i;
    for (i = 0; i < N_SUITES; i++)
        if (suite_available(SUITES[i]))
            roundtrip_one(SUITES[i]);
}

/* open() of a modified input must fail with INTEGRITY and zero `out`. */
static int open_rejects(void *k, const uint8_t *nonce, const uint8_t *aad,
                        size_t alen, const uint8_t *ct, size_t clen)
{
    uint8_t out[64];
    struct skv_err err;
    int rc;
    memset(out, 0xaa, sizeof out);
    rc = fx.ops->open(k, nonce, 12, aad, alen, ct, clen, out, &err);
    return rc == SKV_ERR_INTEGRITY && err.code == SKV_ERR_INTEGRITY &&
           all_zero(out, clen - 16) && out[clen - 16] == 0xaa;
}

/* Flip every bit of `buf` in turn; count how many flips open() accepted. */
static unsigned flips_accepted(void *k, uint8_t *nonce, uint8_t *aad,
                               size_t alen, uint8_t *ct, size_t clen,
                               uint8_t *buf, size_t len)
{
    unsigned bad = 0;
    size_t i;
    int bit;
    for (i = 0; i < len; i++)
        for (bit = 0; bit < 8; bit++) {
            buf[i] ^= (uint8_t)(1u << bit);
            if (!open_rejects(k, nonce, aad, alen, ct, clen))
                bad++;
            buf[i] ^= (uint8_t)(1u << bit);
        }
    return bad;
}

static void tamper_one(const char *suite)
{
    uint8_t key[32], nonce[12], aad[21], pt[40], ct[40 + 16], out[40];
    struct skv_err err;
    void *k;
    randombytes_buf(key, sizeof key);
    randombytes_buf(nonce, sizeof nonce);
    randombytes_buf(aad, sizeof aad);
    randombytes_buf(pt, sizeof pt);
    k = new_key(suite, key);
    CU_ASSERT_EQUAL_FATAL(fx.ops->seal(k, nonce, 12, aad, sizeof aad, pt,
                                       sizeof pt, ct, &err), SKV_OK);
    /* every bit of ciphertext and tag, AAD, nonce */
    CU_ASSERT_EQUAL(flips_accepted(k, nonce, aad, sizeof aad, ct, sizeof ct, ct, sizeof ct), 0);
    CU_ASSERT_EQUAL(flips_accepted(k, nonce, aad, sizeof aad, ct, sizeof ct, aad, sizeof aad), 0);
    CU_ASSERT_EQUAL(flips_accepted(k, nonce, aad, sizeof aad, ct, sizeof ct, nonce, sizeof nonce), 0);
    /* truncated or extended AAD, a dropped ciphertext byte */
    CU_ASSERT(open_rejects(k, nonce, aad, sizeof aad - 1, ct, sizeof ct));
    CU_ASSERT(open_rejects(k, nonce, NULL, 0, ct, sizeof ct));
    CU_ASSERT(open_rejects(k, nonce, aad, sizeof aad, ct + 1, sizeof ct - 1));
    /* the untouched input still opens (the loop restored every byte) */
    CU_ASSERT_EQUAL(fx.ops->open(k, nonce, 12, aad, sizeof aad, ct, sizeof ct, out, &err), SKV_OK);
    CU_ASSERT_EQUAL(memcmp(out, pt, sizeof pt), 0);
    fx.ops->key_free(k);
}

static void test_tamper_every_byte(void)
{
    size_t i;
    for (i = 0; i < N_SUITES; i++)
        if (suite_available(SUITES[i]))
            tamper_one(SUITES[i]);
}

static void test_wrong_key(void)
{
    uint8_t key[32], key2[32], nonce[12] = {1}, pt[24] = "attack at dawn", ct[40];
    struct skv_err err;
    size_t i;
    randombytes_buf(key, sizeof key);
    memcpy(key2, key, sizeof key);
    key2[31] ^= 1;
    for (i = 0; i < N_SUITES; i++) {
        void *k, *k2;
        if (!suite_available(SUITES[i]))
            continue;
        k = new_key(SUITES[i], key);
        k2 = new_key(SUITES[i], key2);
        CU_ASSERT_EQUAL(fx.ops->seal(k, nonce, 12, NULL, 0, pt, sizeof pt, ct, &err), SKV_OK);
        CU_ASSERT(open_rejects(k2, nonce, NULL, 0, ct, sizeof ct));
        memset(&err, 0, sizeof err);
        CU_ASSERT_EQUAL(fx.ops->open(k2, nonce, 12, NULL, 0, ct, sizeof ct,
                                     ct, &err), SKV_ERR_INTEGRITY);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "authentication failed"));
        fx.ops->key_free(k);
        fx.ops->key_free(k2);
    }
    /* same key bytes, other suite */
    if (fx.aes_ok) {
        void *ka = new_key("aes-256-gcm", key), *kc = new_key("chacha20-poly1305", key);
        CU_ASSERT_EQUAL(fx.ops->seal(ka, nonce, 12, NULL, 0, pt, sizeof pt, ct, &err), SKV_OK);
        CU_ASSERT(open_rejects(kc, nonce, NULL, 0, ct, sizeof ct));
        fx.ops->key_free(ka);
        fx.ops->key_free(kc);
    }
}

/* ---- argument errors ---------------------------------------------- */

static void test_bad_nonce_len(void)
{
    static const size_t bad[] = {0, 8, 11, 13, 16, 24};
    uint8_t key[32] = {7}, nonce[24] = {0}, pt[8] = {0}, ct[24], out[8];
    struct skv_err err;
    size_t i, s;
    for (s = 0; s < N_SUITES; s++) {
        void *k;
        if (!suite_available(SUITES[s]))
            continue;
        k = new_key(SUITES[s], key);
        CU_ASSERT_EQUAL_FATAL(fx.ops->seal(k, nonce, 12, NULL, 0, pt, 8, ct, &err), SKV_OK);
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            CU_ASSERT_EQUAL(fx.ops->seal(k, nonce, bad[i], NULL, 0, pt, 8, ct, &err), SKV_ERR_INVALID);
            CU_ASSERT_EQUAL(fx.ops->open(k, nonce, bad[i], NULL, 0, ct, 24, out, &err), SKV_ERR_INVALID);
            CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "nonce"));
        }
        CU_ASSERT_EQUAL(fx.ops->seal(k, NULL, 12, NULL, 0, pt, 8, ct, &err), SKV_ERR_INVALID);
        CU_ASSERT_EQUAL(fx.ops->open(k, NULL, 12, NULL, 0, ct, 24, out, &err), SKV_ERR_INVALID);
        fx.ops->key_free(k);
    }
}

static void test_short_ct(void)
{
    uint8_t key[32] = {9}, nonce[12] = {0}, ct[16] = {0}, out[16];
    struct skv_err err;
    size_t n, s;
    for (s = 0; s < N_SUITES; s++) {
        void *k;
        if (!suite_available(SUITES[s]))
            continue;
        k = new_key(SUITES[s], key);
        for (n = 0; n < 16; n++) {
            CU_ASSERT_EQUAL(fx.ops->open(k, nonce, 12, NULL, 0, ct, n, out, &err), SKV_ERR_INVALID);
            CU_ASSERT_EQUAL(err.code, SKV_ERR_INVALID);
        }
        /* exactly a tag but not a valid one: integrity, not a crash */
        CU_ASSERT_EQUAL(fx.ops->open(k, nonce, 12, NULL, 0, ct, 16, out, &err), SKV_ERR_INTEGRITY);
        CU_ASSERT_EQUAL(fx.ops->open(k, nonce, 12, NULL, 0, NULL, 16, out, &err), SKV_ERR_INVALID);
        fx.ops->key_free(k);
    }
}

static void test_bad_keys(void)
{
    static const size_t lens[] = {0, 16, 31, 33, 64};
    uint8_t key[64] = {0};
    struct skv_err err;
    void *k;
    size_t i, s;
    k = (void *)1;
    CU_ASSERT_EQUAL(fx.ops->key_new(fx.state, "bogus", key, 32, &k, &err), SKV_ERR_NOTFOUND);
    CU_ASSERT_PTR_NULL(k);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "bogus"));
    CU_ASSERT_EQUAL(fx.ops->key_new(fx.state, "", key, 32, &k, &err), SKV_ERR_NOTFOUND);
    CU_ASSERT_EQUAL(fx.ops->key_new(fx.state, "AES-256-GCM", key, 32, &k, &err), SKV_ERR_NOTFOUND);
    CU_ASSERT_EQUAL(fx.ops->key_new(fx.state, "chacha20-poly1305-x", key, 32, &k, &err), SKV_ERR_NOTFOUND);
    CU_ASSERT_EQUAL(fx.ops->key_new(fx.state, NULL, key, 32, &k, &err), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(fx.ops->key_new(fx.state, "chacha20-poly1305", NULL, 32, &k, &err), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(fx.ops->key_new(fx.state, "chacha20-poly1305", key, 32, NULL, &err), SKV_ERR_INVALID);
    for (s = 0; s < N_SUITES; s++)
        for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            int want = suite_available(SUITES[s]) ? SKV_ERR_INVALID : SKV_ERR_UNSUPPORTED;
            k = (void *)1;
            CU_ASSERT_EQUAL(fx.ops->key_new(fx.state, SUITES[s], key, lens[i], &k, &err), want);
            CU_ASSERT_PTR_NULL(k);
        }
    fx.ops->key_free(NULL); /* no-op */
    CU_ASSERT_EQUAL(fx.ops->seal(NULL, key, 12, NULL, 0, key, 4, key + 32, &err), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(fx.ops->open(NULL, key, 12, NULL, 0, key, 20, key + 32, &err), SKV_ERR_INVALID);
}

static void test_null_and_overlap(void)
{
    uint8_t key[32] = {3}, nonce[12] = {0}, buf[128] = {0};
    struct skv_err err;
    void *k = new_key("chacha20-poly1305", key);
    CU_ASSERT_EQUAL(fx.ops->seal(k, nonce, 12, NULL, 5, buf, 8, buf + 64, &err), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(fx.ops->seal(k, nonce, 12, NULL, 0, NULL, 8, buf + 64, &err), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(fx.ops->seal(k, nonce, 12, NULL, 0, buf, 8, NULL, &err), SKV_ERR_INVALID);
    /* partial overlaps are refused; out == in is fine (test_in_place) */
    CU_ASSERT_EQUAL(fx.ops->seal(k, nonce, 12, NULL, 0, buf, 32, buf + 1, &err), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(fx.ops->seal(k, nonce, 12, NULL, 0, buf + 8, 32, buf, &err), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(fx.ops->seal(k, nonce, 12, NULL, 0, buf, 32, buf + 64, &err), SKV_OK);
    CU_ASSERT_EQUAL(fx.ops->open(k, nonce, 12, NULL, 0, buf + 64, 48, buf + 65, &err), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(fx.ops->open(k, nonce, 12, NULL, 0, buf + 64, 48, buf + 40, &err), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(fx.ops->open(k, nonce, 12, NULL, 0, buf + 64, 48, buf, &err), SKV_OK);
    fx.ops->key_free(k);
}

/* ---- in-place ----------------------------------------------------- */

static void in_place_one(const char *suite)
{
    uint8_t key[32], nonce[12], aad[7] = "context", pt[100], ref[116], buf[116];
    struct skv_err err;
    void *k;
    randombytes_buf(key, sizeof key);
    randombytes_buf(nonce, sizeof nonce);
    randombytes_buf(pt, sizeof pt);
    k = new_key(suite, key);
    CU_ASSERT_EQUAL(fx.ops->seal(k, nonce, 12, aad, 7, pt, 100, ref, &err), SKV_OK);
    memcpy(buf, pt, 100);
    CU_ASSERT_EQUAL(fx.ops->seal(k, nonce, 12, aad, 7, buf, 100, buf, &err), SKV_OK);
    CU_ASSERT_EQUAL(memcmp(buf, ref, sizeof ref), 0);
    CU_ASSERT_EQUAL(fx.ops->open(k, nonce, 12, aad, 7, buf, 116, buf, &err), SKV_OK);
    CU_ASSERT_EQUAL(memcmp(buf, pt, 100), 0);
    /* in-place failure zeroes the plaintext area */
    memcpy(buf, ref, sizeof ref);
    buf[115] ^= 0x40;
    CU_ASSERT_EQUAL(fx.ops->open(k, nonce, 12, aad, 7, buf, 116, buf, &err), SKV_ERR_INTEGRITY);
    CU_ASSERT(all_zero(buf, 100));
    fx.ops->key_free(k);
}

static void test_in_place(void)
{
    size_t i;
    for (i = 0; i < N_SUITES; i++)
        if (suite_available(SUITES[i]))
            in_place_one(SUITES[i]);
}

/* ---- CSPRNG ------------------------------------------------------- */

static void test_random(void)
{
    uint8_t a[64 + 8], b[64 + 8], big[4096];
    struct skv_err err;
    size_t i, zeros = 0;
    memset(a, 0xcc, sizeof a);
    memset(b, 0xcc, sizeof b);
    CU_ASSERT_EQUAL(fx.ops->random(fx.state, a, 64, &err), SKV_OK);
    CU_ASSERT_EQUAL(fx.ops->random(fx.state, b, 64, &err), SKV_OK);
    CU_ASSERT_NOT_EQUAL(memcmp(a, b, 64), 0);
    for (i = 64; i < sizeof a; i++) /* exactly the requested length */
        CU_ASSERT(a[i] == 0xcc && b[i] == 0xcc);
    CU_ASSERT_EQUAL(fx.ops->random(fx.state, a, 0, &err), SKV_OK);
    CU_ASSERT_EQUAL(fx.ops->random(fx.state, NULL, 0, &err), SKV_OK);
    CU_ASSERT_EQUAL(fx.ops->random(fx.state, NULL, 1, &err), SKV_ERR_INVALID);
    memset(big, 0, sizeof big);
    CU_ASSERT_EQUAL(fx.ops->random(fx.state, big, sizeof big, &err), SKV_OK);
    for (i = 0; i < sizeof big; i++)
        zeros += big[i] == 0;
    CU_ASSERT(zeros < 64); /* ~16 expected from a uniform source */
}

/* ---- the `suite` option ------------------------------------------- */

static void test_option_bogus(void)
{
    struct opt_conf c;
    struct skv_plugin_inst *p = (void *)1;
    struct skv_err err;
    opt_conf_init(&c, "bogus");
    CU_ASSERT_EQUAL(load_with(&c.conf, &p, &err), SKV_ERR_CONFIG);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "bogus"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "suite"));
}

static void test_option_explicit(void)
{
    struct opt_conf c;
    struct skv_plugin_inst *p = NULL;
    struct skv_err err;
    opt_conf_init(&c, "chacha20-poly1305");
    CU_ASSERT_EQUAL(load_with(&c.conf, &p, &err), SKV_OK);
    CU_ASSERT_EQUAL(c.conf.options[0].used, 1);
    skv_plugin_unload(p);
    p = NULL;
    opt_conf_init(&c, "aes-256-gcm");
    if (fx.aes_ok) {
        CU_ASSERT_EQUAL(load_with(&c.conf, &p, &err), SKV_OK);
        skv_plugin_unload(p);
    } else {
        CU_ASSERT_EQUAL(load_with(&c.conf, &p, &err), SKV_ERR_UNSUPPORTED);
        CU_ASSERT_PTR_NULL(p);
    }
    /* without the option, the default (or its fallback) always loads */
    opt_conf_init(&c, NULL);
    CU_ASSERT_EQUAL(load_with(&c.conf, &p, &err), SKV_OK);
    skv_plugin_unload(p);
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("cipher-sodium", suite_init, suite_clean);
    if (!s ||
        !CU_add_test(s, "descriptor", test_descriptor) ||
        !CU_add_test(s, "suite table", test_suite_table) ||
        !CU_add_test(s, "KAT chacha20-poly1305 (RFC 8439 2.8.2)", test_kat_chacha) ||
        !CU_add_test(s, "KAT aes-256-gcm (GCM test case 16)", test_kat_aes) ||
        !CU_add_test(s, "round trip", test_roundtrip) ||
        !CU_add_test(s, "tamper every bit", test_tamper_every_byte) ||
        !CU_add_test(s, "wrong key", test_wrong_key) ||
        !CU_add_test(s, "bad nonce length", test_bad_nonce_len) ||
        !CU_add_test(s, "short ciphertext", test_short_ct) ||
        !CU_add_test(s, "bad keys and suites", test_bad_keys) ||
        !CU_add_test(s, "NULLs and overlap", test_null_and_overlap) ||
        !CU_add_test(s, "in place", test_in_place) ||
        !CU_add_test(s, "random", test_random) ||
        !CU_add_test(s, "option suite=bogus", test_option_bogus) ||
        !CU_add_test(s, "option suite explicit", test_option_explicit)) {
        CU_cleanup_registry();
        return 99;
    }
    return skv_test_run();
}
