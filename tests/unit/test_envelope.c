/* SPDX-License-Identifier: MIT */
/*
 * test_envelope.c — CUnit suites for Envelopes v1/v2 (core/crypto/envelope.c) and
 * deterministic nonces (core/crypto/nonce.c), over the real cipher-sodium plugin:
 * exact v2 layout, round trips for both purposes and suites, the storage
 * AAD binding a value to its key, every byte tampered (salt included),
 * every truncation, each typed error; v1 envelopes still open; two
 * keystores with identical nonce state never share (subkey, nonce); nonce
 * bytes, uniqueness across 4 threads, exhaustion at an injected limit and
 * at the real one, epoch limits. (The v2 subkey cache: test_keystore.c.)
 */
#include "enc_fx.h"
#include "crypto/envelope.h"
#include "crypto/nonce.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static struct enc_fx fx;
static struct skv_keystore *ks;
/* key_ids far apart in Hamming distance, so a one-bit flip of one never
 * names the other */
#define RAFT_ID 0x0000F00Du
#define STOR_ID 0x5A5A0000u
#define AES_ID 0x000A0E50u   /* storage key under aes-256-gcm, if available */

static uint32_t add_dek(uint32_t id, int purpose, const char *suite)
{
    uint8_t *raw = sodium_malloc(SKV_DEK_LEN), w[SKV_DEK_WRAPPED_LEN];
    struct skv_enc_err e;
    int rc;
    if (!raw)
        return 0;
    randombytes_buf(raw, SKV_DEK_LEN);
    rc = skv_keystore_wrap(ks, purpose, id, suite, raw, w, &e);
    sodium_free(raw);
    if (rc == SKV_OK)
        rc = skv_keystore_add_wrapped(ks, id, purpose, suite, w, sizeof w, &e);
    if (rc != SKV_OK)
        fprintf(stderr, "add_dek: %s\n", e.err.msg);
    return rc == SKV_OK ? id : 0;
}

static int suite_init(void)
{
    if (enc_fx_load(&fx) != 0 || !(ks = enc_fx_keystore(&fx, 0x77)))
        return -1;
    if (!add_dek(RAFT_ID, SKV_PURPOSE_RAFT, "chacha20-poly1305") ||
        !add_dek(STOR_ID, SKV_PURPOSE_STORAGE, "chacha20-poly1305") ||
        (fx.aes_ok && !add_dek(AES_ID, SKV_PURPOSE_STORAGE, "aes-256-gcm")))
        return -1;
    return 0;
}

static int suite_clean(void)
{
    skv_keystore_free(ks);
    enc_fx_unload(&fx);
    return 0;
}

static const uint8_t NONCE[12] = {0xAB, 0xCD, 0, 7, 0, 0, 0, 0, 0, 0, 0x01, 0x02};
#define SK(s) (const uint8_t *)(s), strlen(s)

/* Seal `pt` (len n) into a malloc'd envelope; asserts success. */
static uint8_t *seal(int purpose, uint32_t id, const char *skey, const uint8_t *pt,
                     size_t n, size_t *len)
{
    struct skv_enc_err e;
    uint8_t *out = malloc(n + SKV_ENVELOPE_OVERHEAD);
    int rc;
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    rc = skv_envelope_seal(ks, purpose, id, NONCE, skey ? (const uint8_t *)skey : NULL,
                           skey ? strlen(skey) : 0, pt, n, out, &e);
    if (rc != SKV_OK)
        fprintf(stderr, "seal: %s\n", e.err.msg);
    CU_ASSERT_EQUAL_FATAL(rc, SKV_OK);
    *len = n + SKV_ENVELOPE_OVERHEAD;
    return out;
}

/* open must fail with rc/why; *pt stays NULL. */
static void open_fails(int purpose, const char *skey, const uint8_t *in, size_t len,
                       int want_rc, int want_why)
{
    struct skv_enc_err e;
    uint8_t *pt = (void *)1;
    size_t pt_len = 99;
    ENC_ASSERT_ERR(skv_envelope_open(ks, purpose, skey ? (const uint8_t *)skey : NULL,
                                     skey ? strlen(skey) : 0, in, len, &pt, &pt_len, &e),
                   e, want_rc, want_why, NULL);
    CU_ASSERT_PTR_NULL(pt);
    CU_ASSERT_EQUAL(pt_len, 0);
}

/* ---- envelope: layout and round trips ----------------------------- */

static void test_overhead_and_layout(void)
{
    static const uint8_t pt[5] = "hello";
    uint8_t out[5 + 50];
    const struct skv_dek *d = skv_keystore_get(ks, RAFT_ID);
    struct skv_envelope_hdr h;
    struct skv_enc_err e;
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(skv_envelope_overhead(), 50);
    CU_ASSERT_EQUAL(SKV_ENVELOPE_OVERHEAD, 1 + 1 + 4 + 16 + 12 + 16);
    CU_ASSERT_EQUAL(SKV_ENVELOPE_V1_OVERHEAD, 1 + 1 + 4 + 12 + 16);
    CU_ASSERT_EQUAL_FATAL(skv_envelope_seal(ks, SKV_PURPOSE_RAFT, RAFT_ID, NONCE, NULL, 0,
                                            pt, sizeof pt, out, &e), SKV_OK);
    CU_ASSERT_EQUAL(out[0], 0x02);
    CU_ASSERT_EQUAL(out[1], 0x00);
    CU_ASSERT(out[2] == 0x00 && out[3] == 0x00 && out[4] == 0xF0 && out[5] == 0x0D);
    CU_ASSERT_EQUAL(memcmp(out + 6, d->salt, 16), 0);   /* this process's salt */
    CU_ASSERT_EQUAL(memcmp(out + 22, NONCE, 12), 0);
    CU_ASSERT(memcmp(out + 34, pt, sizeof pt) != 0);
    CU_ASSERT_EQUAL_FATAL(skv_envelope_parse(out, sizeof out, &h, &e), SKV_OK);
    CU_ASSERT_EQUAL(h.version, 2);
    CU_ASSERT_EQUAL(h.flags, 0);
    CU_ASSERT_EQUAL(h.key_id, RAFT_ID);
    CU_ASSERT_PTR_EQUAL(h.salt, out + 6);
    CU_ASSERT_PTR_EQUAL(h.nonce, out + 22);
    CU_ASSERT_EQUAL(h.header_len, 34);
    CU_ASSERT_EQUAL(h.overhead, 50);
}

static void roundtrip(int purpose, uint32_t id, const char *skey)
{
    static const size_t lens[] = {0, 1, 15, 16, 17, 100, 300, 5000};
    struct skv_enc_err e;
    size_t i;
    for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n = lens[i], len = 0, back_len = 0;
        uint8_t *pt = malloc(n + 1), *env, *back = NULL;
        CU_ASSERT_FATAL(pt != NULL);
        randombytes_buf(pt, n + 1);
        env = seal(purpose, id, skey, n ? pt : NULL, n, &len);
        CU_ASSERT_EQUAL(len, n + 50);
        CU_ASSERT_EQUAL(skv_envelope_open(ks, purpose, skey ? (const uint8_t *)skey : NULL,
                                          skey ? strlen(skey) : 0, env, len, &back,
                                          &back_len, &e), SKV_OK);
        CU_ASSERT_PTR_NOT_NULL_FATAL(back);   /* even for n == 0 */
        CU_ASSERT_EQUAL(back_len, n);
        CU_ASSERT_EQUAL(memcmp(back, pt, n), 0);
        free(back);
        free(env);
        free(pt);
    }
}

static void test_roundtrip_raft(void)
{
    roundtrip(SKV_PURPOSE_RAFT, RAFT_ID, NULL);
}

static void test_roundtrip_storage(void)
{
    char longkey[1000];
    memset(longkey, 'k', sizeof longkey - 1);
    longkey[sizeof longkey - 1] = 0;
    roundtrip(SKV_PURPOSE_STORAGE, STOR_ID, "users/42");
    roundtrip(SKV_PURPOSE_STORAGE, STOR_ID, "");
    roundtrip(SKV_PURPOSE_STORAGE, STOR_ID, longkey);   /* AAD on the heap */
    if (fx.aes_ok)
        roundtrip(SKV_PURPOSE_STORAGE, AES_ID, "users/42");
}

static void test_in_place(void)
{
    uint8_t buf[50 + 40], ref[50 + 40], *back = NULL;
    struct skv_enc_err e;
    size_t back_len;
    memset(buf, 0x33, sizeof buf);
    CU_ASSERT_EQUAL_FATAL(skv_envelope_seal(ks, SKV_PURPOSE_STORAGE, STOR_ID, NONCE,
                                            SK("k"), buf + 34, 40, ref, &e), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(skv_envelope_seal(ks, SKV_PURPOSE_STORAGE, STOR_ID, NONCE,
                                            SK("k"), buf + 34, 40, buf, &e), SKV_OK);
    CU_ASSERT_EQUAL(memcmp(buf, ref, sizeof buf), 0);
    CU_ASSERT_EQUAL(skv_envelope_open(ks, SKV_PURPOSE_STORAGE, SK("k"), buf, sizeof buf,
                                      &back, &back_len, &e), SKV_OK);
    CU_ASSERT(back && back_len == 40 && back[0] == 0x33 && back[39] == 0x33);
    free(back);
}

/* ---- envelope: binding and tampering ------------------------------ */

static void test_storage_binds_location(void)
{
    static const uint8_t pt[] = "balance=100";
    char longa[400], longb[400];
    size_t len;
    uint8_t *env = seal(SKV_PURPOSE_STORAGE, STOR_ID, "acct/alice", pt, sizeof pt, &len);
    open_fails(SKV_PURPOSE_STORAGE, "acct/bob", env, len, SKV_ERR_INTEGRITY,
               SKV_ENC_ENVELOPE_INTEGRITY);
    open_fails(SKV_PURPOSE_STORAGE, "acct/alicf", env, len, SKV_ERR_INTEGRITY,
               SKV_ENC_ENVELOPE_INTEGRITY);
    open_fails(SKV_PURPOSE_STORAGE, "acct/alice ", env, len, SKV_ERR_INTEGRITY,
               SKV_ENC_ENVELOPE_INTEGRITY);
    open_fails(SKV_PURPOSE_STORAGE, "acct/alic", env, len, SKV_ERR_INTEGRITY,
               SKV_ENC_ENVELOPE_INTEGRITY);
    open_fails(SKV_PURPOSE_STORAGE, "", env, len, SKV_ERR_INTEGRITY,
               SKV_ENC_ENVELOPE_INTEGRITY);
    free(env);
    /* long keys (heap AAD) differing only in the last byte */
    memset(longa, 'x', sizeof longa - 1);
    longa[sizeof longa - 1] = 0;
    memcpy(longb, longa, sizeof longa);
    longb[sizeof longb - 2] = 'y';
    env = seal(SKV_PURPOSE_STORAGE, STOR_ID, longa, pt, sizeof pt, &len);
    open_fails(SKV_PURPOSE_STORAGE, longb, env, len, SKV_ERR_INTEGRITY,
               SKV_ENC_ENVELOPE_INTEGRITY);
    free(env);
}

static void test_purpose_mismatch(void)
{
    static const uint8_t pt[] = "x";
    struct skv_enc_err e;
    uint8_t out[64];
    size_t len;
    uint8_t *env = seal(SKV_PURPOSE_RAFT, RAFT_ID, NULL, pt, 1, &len);
    /* a raft envelope read as a stored value: its key_id is a raft key */
    open_fails(SKV_PURPOSE_STORAGE, "k", env, len, SKV_ERR_CORRUPT, SKV_ENC_ENVELOPE_PURPOSE);
    free(env);
    env = seal(SKV_PURPOSE_STORAGE, STOR_ID, "k", pt, 1, &len);
    open_fails(SKV_PURPOSE_RAFT, NULL, env, len, SKV_ERR_CORRUPT, SKV_ENC_ENVELOPE_PURPOSE);
    free(env);
    /* sealing with the other purpose's key is a caller bug */
    ENC_ASSERT_ERR(skv_envelope_seal(ks, SKV_PURPOSE_STORAGE, RAFT_ID, NONCE, SK("k"), pt, 1,
                                     out, &e), e, SKV_ERR_INVALID, SKV_ENC_ENVELOPE_PURPOSE,
                   "is a raft key, not a storage key");
    CU_ASSERT_STRING_EQUAL(skv_enc_errname(e.why), "ErrEnvelopePurposeMismatch");
}

/* Expected failure when byte i of a valid envelope is changed. */
static void expect_for_byte(size_t i, int *rc, int *why)
{
    if (i == 0) {
        *rc = SKV_ERR_CORRUPT;
        *why = SKV_ENC_ENVELOPE_VERSION;
    } else if (i == 1) {
        *rc = SKV_ERR_CORRUPT;
        *why = SKV_ENC_ENVELOPE_FLAGS;
    } else if (i < 6) {
        *rc = SKV_ERR_NOTFOUND;
        *why = SKV_ENC_UNKNOWN_KEY_ID;
    } else {
        *rc = SKV_ERR_INTEGRITY;
        *why = SKV_ENC_ENVELOPE_INTEGRITY;
    }
}

static void tamper_all(int purpose, uint32_t id, const char *skey)
{
    static const uint8_t flips[] = {0x01, 0x80, 0xFF};
    uint8_t pt[50];
    size_t len, i, f;
    uint8_t *env;
    randombytes_buf(pt, sizeof pt);
    env = seal(purpose, id, skey, pt, sizeof pt, &len);
    for (i = 0; i < len; i++)
        for (f = 0; f < sizeof flips; f++) {
            int rc, why;
            expect_for_byte(i, &rc, &why);
            env[i] ^= flips[f];
            open_fails(purpose, skey, env, len, rc, why);
            env[i] ^= flips[f];
        }
    /* an extra byte appended */
    {
        uint8_t *longer = malloc(len + 1);
        CU_ASSERT_FATAL(longer != NULL);
        memcpy(longer, env, len);
        longer[len] = 0;
        open_fails(purpose, skey, longer, len + 1, SKV_ERR_INTEGRITY,
                   SKV_ENC_ENVELOPE_INTEGRITY);
        free(longer);
    }
    free(env);
}

static void test_tamper_every_byte(void)
{
    tamper_all(SKV_PURPOSE_RAFT, RAFT_ID, NULL);
    tamper_all(SKV_PURPOSE_STORAGE, STOR_ID, "some/key");
    if (fx.aes_ok)
        tamper_all(SKV_PURPOSE_STORAGE, AES_ID, "some/key");
}

static void test_truncation(void)
{
    static const size_t pts[] = {0, 1, 40};
    size_t p, n, len;
    for (p = 0; p < 3; p++) {
        uint8_t pt[40] = {9};
        uint8_t *env = seal(SKV_PURPOSE_STORAGE, STOR_ID, "t", pt, pts[p], &len);
        for (n = 0; n < len; n++) {
            /* a fresh copy of exactly n bytes, so ASan sees any over-read */
            uint8_t *cut = malloc(n ? n : 1);
            CU_ASSERT_FATAL(cut != NULL);
            memcpy(cut, env, n);
            if (n < 50)
                open_fails(SKV_PURPOSE_STORAGE, "t", n ? cut : NULL, n, SKV_ERR_CORRUPT,
                           SKV_ENC_ENVELOPE_TOO_SHORT);
            else
                open_fails(SKV_PURPOSE_STORAGE, "t", cut, n, SKV_ERR_INTEGRITY,
                           SKV_ENC_ENVELOPE_INTEGRITY);
            free(cut);
        }
        free(env);
    }
}

static void test_typed_errors(void)
{
    uint8_t env[64], pt[8] = {0}, out[64];
    struct skv_enc_err e;
    uint8_t *back = NULL;
    size_t back_len;
    CU_ASSERT_EQUAL_FATAL(skv_envelope_seal(ks, SKV_PURPOSE_RAFT, RAFT_ID, NONCE, NULL, 0,
                                            pt, 8, env, &e), SKV_OK);   /* 58 bytes */
    /* unknown key_id: NOTFOUND, message names it */
    env[5] = 0x0E;
    ENC_ASSERT_ERR(skv_envelope_open(ks, SKV_PURPOSE_RAFT, NULL, 0, env, 58, &back,
                                     &back_len, &e), e, SKV_ERR_NOTFOUND,
                   SKV_ENC_UNKNOWN_KEY_ID, "key_id 61454 (0x0000f00e)");
    CU_ASSERT_STRING_EQUAL(skv_enc_errname(e.why), "ErrUnknownKeyID");
    env[2] = env[3] = env[4] = env[5] = 0;   /* key_id 0: never held */
    ENC_ASSERT_ERR(skv_envelope_open(ks, SKV_PURPOSE_RAFT, NULL, 0, env, 58, &back,
                                     &back_len, &e), e, SKV_ERR_NOTFOUND,
                   SKV_ENC_UNKNOWN_KEY_ID, "key_id 0 ");
    /* version 3 and 0 */
    env[0] = 3;
    ENC_ASSERT_ERR(skv_envelope_open(ks, SKV_PURPOSE_RAFT, NULL, 0, env, 58, &back,
                                     &back_len, &e), e, SKV_ERR_CORRUPT,
                   SKV_ENC_ENVELOPE_VERSION, "version 3");
    env[0] = 0;
    ENC_ASSERT_ERR(skv_envelope_open(ks, SKV_PURPOSE_RAFT, NULL, 0, env, 58, &back,
                                     &back_len, &e), e, SKV_ERR_CORRUPT,
                   SKV_ENC_ENVELOPE_VERSION, NULL);
    /* a foreign version is reported as such even when short */
    ENC_ASSERT_ERR(skv_envelope_open(ks, SKV_PURPOSE_RAFT, NULL, 0, env, 3, &back,
                                     &back_len, &e), e, SKV_ERR_CORRUPT,
                   SKV_ENC_ENVELOPE_VERSION, NULL);
    env[0] = 2;
    env[1] = 0x40;
    ENC_ASSERT_ERR(skv_envelope_open(ks, SKV_PURPOSE_RAFT, NULL, 0, env, 58, &back,
                                     &back_len, &e), e, SKV_ERR_CORRUPT,
                   SKV_ENC_ENVELOPE_FLAGS, "0x40");
    ENC_ASSERT_ERR(skv_envelope_open(ks, SKV_PURPOSE_RAFT, NULL, 0, env, 49, &back,
                                     &back_len, &e), e, SKV_ERR_CORRUPT,
                   SKV_ENC_ENVELOPE_TOO_SHORT, "49 bytes");
    env[0] = 1;   /* v1 needs only 34 */
    ENC_ASSERT_ERR(skv_envelope_open(ks, SKV_PURPOSE_RAFT, NULL, 0, env, 33, &back,
                                     &back_len, &e), e, SKV_ERR_CORRUPT,
                   SKV_ENC_ENVELOPE_TOO_SHORT, "33 bytes");
    /* sealing under an unknown key */
    ENC_ASSERT_ERR(skv_envelope_seal(ks, SKV_PURPOSE_RAFT, 12345, NONCE, NULL, 0, pt, 8,
                                     out, &e), e, SKV_ERR_NOTFOUND,
                   SKV_ENC_UNKNOWN_KEY_ID, "12345");
    CU_ASSERT_PTR_NULL(back);
}

static void test_bad_arguments(void)
{
    uint8_t pt[8] = {0}, out[64], *back = NULL;
    struct skv_enc_err e;
    size_t n;
    /* a raft envelope has no storage key; NULL key with a length */
    ENC_ASSERT_ERR(skv_envelope_seal(ks, SKV_PURPOSE_RAFT, RAFT_ID, NONCE, SK("k"), pt, 8,
                                     out, &e), e, SKV_ERR_INVALID,
                   SKV_ENC_INVALID_ARGUMENT, NULL);
    ENC_ASSERT_ERR(skv_envelope_seal(ks, SKV_PURPOSE_STORAGE, STOR_ID, NONCE, NULL, 3, pt,
                                     8, out, &e), e, SKV_ERR_INVALID,
                   SKV_ENC_INVALID_ARGUMENT, NULL);
    ENC_ASSERT_ERR(skv_envelope_seal(ks, 0, RAFT_ID, NONCE, NULL, 0, pt, 8, out, &e), e,
                   SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT, NULL);
    ENC_ASSERT_ERR(skv_envelope_seal(ks, SKV_PURPOSE_RAFT, RAFT_ID, NULL, NULL, 0, pt, 8,
                                     out, &e), e, SKV_ERR_INVALID,
                   SKV_ENC_INVALID_ARGUMENT, NULL);
    ENC_ASSERT_ERR(skv_envelope_seal(ks, SKV_PURPOSE_RAFT, RAFT_ID, NONCE, NULL, 0, NULL,
                                     8, out, &e), e, SKV_ERR_INVALID,
                   SKV_ENC_INVALID_ARGUMENT, NULL);
    ENC_ASSERT_ERR(skv_envelope_seal(ks, SKV_PURPOSE_RAFT, RAFT_ID, NONCE, NULL, 0, pt,
                                     SIZE_MAX - 10, out, &e), e,
                   SKV_ERR_TOOBIG, SKV_ENC_ENVELOPE_TOO_BIG, NULL);
    ENC_ASSERT_ERR(skv_envelope_open(ks, SKV_PURPOSE_RAFT, NULL, 0, NULL, 40, &back, &n,
                                     &e), e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                   NULL);
    ENC_ASSERT_ERR(skv_envelope_open(NULL, SKV_PURPOSE_RAFT, NULL, 0, out, 40, &back, &n,
                                     &e), e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                   NULL);
    ENC_ASSERT_ERR(skv_envelope_open(ks, SKV_PURPOSE_RAFT, SK("k"), out, 40, &back, &n,
                                     &e), e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                   NULL);
    CU_ASSERT_PTR_NULL(back);
}

/* ---- envelope v2: salt, subkeys, v1 compatibility ----------------- */

/* A v1 envelope as the previous release sealed it: the DEK itself, AAD
 * tag ‖ 0x01 ‖ key_id [‖ skey]. Returns its length. */
static size_t seal_v1(struct skv_keystore *k, int purpose, uint32_t id, const char *skey,
                      const uint8_t *pt, size_t n, uint8_t *out)
{
    const struct skv_dek *d = skv_keystore_get(k, id);
    size_t sl = skey ? strlen(skey) : 0;
    uint8_t aad[64];
    struct skv_err perr = {0};
    CU_ASSERT_FATAL(d != NULL && sl <= sizeof aad - 6);
    aad[0] = purpose == SKV_PURPOSE_STORAGE ? 'S' : 'R';
    aad[1] = 1;
    aad[2] = (uint8_t)(id >> 24);
    aad[3] = (uint8_t)(id >> 16);
    aad[4] = (uint8_t)(id >> 8);
    aad[5] = (uint8_t)id;
    if (sl)
        memcpy(aad + 6, skey, sl);
    out[0] = 1;
    out[1] = 0;
    memcpy(out + 2, aad + 2, 4);
    memcpy(out + 6, NONCE, 12);
    CU_ASSERT_EQUAL_FATAL(skv_keystore_ops(k)->seal(d->handle, NONCE, 12, aad, 6 + sl, pt, n,
                                                    out + 18, &perr), SKV_OK);
    return n + 34;
}

static void test_v1_still_opens(void)
{
    static const uint8_t pt[] = "written by the previous release";
    uint8_t env[34 + sizeof pt], *back = NULL;
    struct skv_envelope_hdr h;
    struct skv_enc_err e;
    size_t len, n = 0;
    len = seal_v1(ks, SKV_PURPOSE_RAFT, RAFT_ID, NULL, pt, sizeof pt, env);
    CU_ASSERT_EQUAL_FATAL(skv_envelope_parse(env, len, &h, &e), SKV_OK);
    CU_ASSERT(h.version == 1 && h.salt == NULL && h.nonce == env + 6 && h.overhead == 34);
    CU_ASSERT_EQUAL(skv_envelope_open(ks, SKV_PURPOSE_RAFT, NULL, 0, env, len, &back, &n, &e),
                    SKV_OK);
    CU_ASSERT(back && n == sizeof pt && memcmp(back, pt, n) == 0);
    free(back);
    len = seal_v1(ks, SKV_PURPOSE_STORAGE, STOR_ID, "acct/1", pt, sizeof pt, env);
    CU_ASSERT_EQUAL(skv_envelope_open(ks, SKV_PURPOSE_STORAGE, SK("acct/1"), env, len, &back,
                                      &n, &e), SKV_OK);
    CU_ASSERT(back && n == sizeof pt && memcmp(back, pt, n) == 0);
    free(back);
    open_fails(SKV_PURPOSE_STORAGE, "acct/2", env, len, SKV_ERR_INTEGRITY,
               SKV_ENC_ENVELOPE_INTEGRITY);
    env[1 + 34] ^= 1;   /* ciphertext */
    open_fails(SKV_PURPOSE_STORAGE, "acct/1", env, len, SKV_ERR_INTEGRITY,
               SKV_ENC_ENVELOPE_INTEGRITY);
    /* a v1 envelope relabelled v2 (with its bytes reread as a salt) fails */
    env[1 + 34] ^= 1;
    env[0] = 2;
    open_fails(SKV_PURPOSE_STORAGE, "acct/1", env, len, SKV_ERR_INTEGRITY,
               SKV_ENC_ENVELOPE_INTEGRITY);
}

static void test_tampered_salt(void)
{
    static const uint8_t pt[] = "v";
    struct skv_enc_err e;
    uint8_t *back = NULL;
    size_t len, i, n;
    uint8_t *env = seal(SKV_PURPOSE_STORAGE, STOR_ID, "k", pt, sizeof pt, &len);
    for (i = 6; i < 22; i++) {
        env[i] ^= 0x10;
        ENC_ASSERT_ERR(skv_envelope_open(ks, SKV_PURPOSE_STORAGE, SK("k"), env, len, &back,
                                         &n, &e), e, SKV_ERR_INTEGRITY,
                       SKV_ENC_ENVELOPE_INTEGRITY, "failed authentication");
        env[i] ^= 0x10;
    }
    CU_ASSERT_EQUAL(skv_envelope_open(ks, SKV_PURPOSE_STORAGE, SK("k"), env, len, &back, &n,
                                      &e), SKV_OK);
    free(back);
    free(env);
}

/* Two processes (keystores) with the same DEK and identical nonce state:
 * the nonces collide, the (subkey, nonce) pairs do not — their keystreams
 * differ, while the same pair under v1 (the bare DEK) repeats it. */
static void test_two_processes_same_state(void)
{
    static const uint8_t p1[32] = "pay alice 100 from acct 7 today", p2[32] = "pay bob 9999 from acct 7 at once";
    const struct skv_dek *d = skv_keystore_get(ks, RAFT_ID);
    struct skv_keystore *other = enc_fx_keystore(&fx, 0x77);   /* same KEK */
    struct skv_nonce_gen g1, g2;
    struct skv_enc_err e;
    uint8_t n1[12], n2[12], a[32 + 50], b[32 + 50], *back = NULL;
    size_t i, n, same = 0;
    CU_ASSERT_FATAL(other != NULL && d != NULL);
    CU_ASSERT_EQUAL_FATAL(skv_keystore_add_wrapped(other, RAFT_ID, SKV_PURPOSE_RAFT, d->suite,
                                                   d->wrapped, sizeof d->wrapped, &e), SKV_OK);
    CU_ASSERT_NOT_EQUAL(memcmp(skv_keystore_get(other, RAFT_ID)->salt, d->salt, 16), 0);
    CU_ASSERT_EQUAL_FATAL(skv_nonce_gen_init(&g1, 7, 3, &e), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(skv_nonce_gen_init(&g2, 7, 3, &e), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(skv_nonce_next(&g1, n1, &e), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(skv_nonce_next(&g2, n2, &e), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(memcmp(n1, n2, 12), 0);   /* the rolled-back state */
    CU_ASSERT_EQUAL_FATAL(skv_envelope_seal(ks, SKV_PURPOSE_RAFT, RAFT_ID, n1, NULL, 0, p1, 32,
                                            a, &e), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(skv_envelope_seal(other, SKV_PURPOSE_RAFT, RAFT_ID, n2, NULL, 0, p2,
                                            32, b, &e), SKV_OK);
    CU_ASSERT_EQUAL(memcmp(a + 22, b + 22, 12), 0);  /* same nonce field */
    CU_ASSERT_NOT_EQUAL(memcmp(a + 6, b + 6, 16), 0); /* different salts */
    for (i = 0; i < 32; i++)   /* c1 ^ c2 == p1 ^ p2 would be the break */
        same += (uint8_t)(a[34 + i] ^ b[34 + i]) == (uint8_t)(p1[i] ^ p2[i]);
    CU_ASSERT(same < 8);
    /* each process reads the other's envelope (subkey from the cache) */
    CU_ASSERT_EQUAL(skv_envelope_open(ks, SKV_PURPOSE_RAFT, NULL, 0, b, sizeof b, &back, &n,
                                      &e), SKV_OK);
    CU_ASSERT(back && n == 32 && memcmp(back, p2, 32) == 0);
    free(back);
    CU_ASSERT_EQUAL(skv_envelope_open(other, SKV_PURPOSE_RAFT, NULL, 0, a, sizeof a, &back,
                                      &n, &e), SKV_OK);
    CU_ASSERT(back && n == 32 && memcmp(back, p1, 32) == 0);
    free(back);
    /* control: v1 under the same nonce repeats the keystream */
    seal_v1(ks, SKV_PURPOSE_RAFT, RAFT_ID, NULL, p1, 32, a);
    seal_v1(other, SKV_PURPOSE_RAFT, RAFT_ID, NULL, p2, 32, b);
    for (i = 0, same = 0; i < 32; i++)
        same += (uint8_t)(a[18 + i] ^ b[18 + i]) == (uint8_t)(p1[i] ^ p2[i]);
    CU_ASSERT_EQUAL(same, 32);
    skv_keystore_free(other);
}

/* An explicit salt reproduces an envelope byte for byte (tools). */
static void test_seal_salted(void)
{
    static const uint8_t pt[] = "again";
    uint8_t out[sizeof pt + 50], salt[16];
    struct skv_enc_err e;
    size_t len;
    uint8_t *env = seal(SKV_PURPOSE_STORAGE, STOR_ID, "k", pt, sizeof pt, &len);
    memcpy(salt, env + 6, 16);
    CU_ASSERT_EQUAL(skv_envelope_seal_salted(ks, SKV_PURPOSE_STORAGE, STOR_ID, salt, NONCE,
                                             SK("k"), pt, sizeof pt, out, &e), SKV_OK);
    CU_ASSERT(len == sizeof out && memcmp(out, env, len) == 0);
    salt[0] ^= 1;   /* another salt: another subkey, another ciphertext */
    CU_ASSERT_EQUAL(skv_envelope_seal_salted(ks, SKV_PURPOSE_STORAGE, STOR_ID, salt, NONCE,
                                             SK("k"), pt, sizeof pt, out, &e), SKV_OK);
    CU_ASSERT_NOT_EQUAL(memcmp(out + 34, env + 34, len - 34), 0);
    ENC_ASSERT_ERR(skv_envelope_seal_salted(ks, SKV_PURPOSE_STORAGE, STOR_ID, NULL, NONCE,
                                            SK("k"), pt, sizeof pt, out, &e), e,
                   SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT, NULL);
    free(env);
}

/* ---- nonces ------------------------------------------------------- */

static void test_node_id16(void)
{
    CU_ASSERT_EQUAL(skv_node_id16(0), 0);
    CU_ASSERT_EQUAL(skv_node_id16(1), 1);
    CU_ASSERT_EQUAL(skv_node_id16(0xFFFF), 0xFFFF);
    CU_ASSERT_EQUAL(skv_node_id16(0x10000), 1);
    CU_ASSERT_EQUAL(skv_node_id16(0x0001000000000000ull), 1);
    CU_ASSERT_EQUAL(skv_node_id16(0x1234567890ABCDEFull),
                    0x1234 ^ 0x5678 ^ 0x90AB ^ 0xCDEF);
    CU_ASSERT_EQUAL(skv_node_id16(0xFFFFFFFFFFFFFFFFull), 0);
    CU_ASSERT_EQUAL(skv_node_id16(0x00000000FFFF0001ull), 0xFFFE);
}

static void test_nonce_layout(void)
{
    static const uint8_t want1[12] = {0xAB, 0xCD, 0x01, 0x02, 0x11, 0x22, 0x33, 0x44,
                                      0x55, 0x66, 0x77, 0x88};
    struct skv_nonce_gen g;
    struct skv_enc_err e;
    uint8_t n[12];
    uint16_t node, ep;
    uint64_t c;
    CU_ASSERT_EQUAL_FATAL(skv_nonce_gen_init_range(&g, 0xABCD, 0x0102,
                                                   0x1122334455667788ull, 0, &e), SKV_OK);
    CU_ASSERT_EQUAL(skv_nonce_next(&g, n, &e), SKV_OK);
    CU_ASSERT_EQUAL(memcmp(n, want1, 12), 0);
    CU_ASSERT_EQUAL(skv_nonce_next(&g, n, &e), SKV_OK);
    CU_ASSERT_EQUAL(n[11], 0x89);
    skv_nonce_parse(n, &node, &ep, &c);
    CU_ASSERT(node == 0xABCD && ep == 0x0102 && c == 0x1122334455667789ull);
    skv_nonce_parse(n, NULL, NULL, NULL);
    /* default start is write_count 0 */
    CU_ASSERT_EQUAL_FATAL(skv_nonce_gen_init(&g, 7, 3, &e), SKV_OK);
    CU_ASSERT_EQUAL(skv_nonce_next(&g, n, &e), SKV_OK);
    {
        static const uint8_t want0[12] = {0, 7, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0};
        CU_ASSERT_EQUAL(memcmp(n, want0, 12), 0);
    }
}

static void test_nonce_sequential_unique(void)
{
    struct skv_nonce_gen g;
    struct skv_enc_err e;
    uint8_t n[12];
    uint64_t i, c, prev = 0;
    CU_ASSERT_EQUAL_FATAL(skv_nonce_gen_init(&g, 1, 1, &e), SKV_OK);
    for (i = 0; i < 100000; i++) {
        CU_ASSERT_EQUAL_FATAL(skv_nonce_next(&g, n, &e), SKV_OK);
        skv_nonce_parse(n, NULL, NULL, &c);
        if (c != i || (i && c <= prev))
            CU_FAIL_FATAL("counter not strictly increasing from 0");
        prev = c;
    }
}

#define NT_THREADS 4
#define NT_PER 50000

struct nt_arg {
    struct skv_nonce_gen *g;
    uint64_t *counts;   /* NT_PER slots */
    int ok, full;
    size_t attempts;
};

static void *nt_run(void *p)
{
    struct nt_arg *a = p;
    uint8_t n[12];
    size_t i;
    for (i = 0; i < a->attempts; i++) {
        int rc = skv_nonce_next(a->g, n, NULL);
        if (rc == SKV_OK)
            skv_nonce_parse(n, NULL, NULL, &a->counts[a->ok++]);
        else if (rc == SKV_ERR_FULL)
            a->full++;
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* 4 threads draw `attempts` each from a generator limited to `limit`;
 * returns the sorted union of counters (count in *n). */
static uint64_t *nt_draw(uint64_t limit, size_t attempts, size_t *n, int *full)
{
    struct nt_arg a[NT_THREADS];
    pthread_t th[NT_THREADS];
    struct skv_nonce_gen g;
    struct skv_enc_err e;
    uint64_t *all = malloc(sizeof *all * NT_THREADS * attempts);
    int t;
    CU_ASSERT_FATAL(all != NULL);
    CU_ASSERT_EQUAL_FATAL(skv_nonce_gen_init_range(&g, 9, 9, 0, limit, &e), SKV_OK);
    *n = 0;
    *full = 0;
    for (t = 0; t < NT_THREADS; t++) {
        a[t] = (struct nt_arg){&g, all + (size_t)t * attempts, 0, 0, attempts};
        CU_ASSERT_FATAL(pthread_create(&th[t], NULL, nt_run, &a[t]) == 0);
    }
    for (t = 0; t < NT_THREADS; t++) {
        pthread_join(th[t], NULL);
        memmove(all + *n, a[t].counts, sizeof *all * (size_t)a[t].ok);
        *n += (size_t)a[t].ok;
        *full += a[t].full;
    }
    qsort(all, *n, sizeof *all, cmp_u64);
    return all;
}

static void test_nonce_threads_unique(void)
{
    size_t n, i;
    int full;
    uint64_t *all = nt_draw(0, NT_PER, &n, &full);
    CU_ASSERT_EQUAL(n, NT_THREADS * NT_PER);
    CU_ASSERT_EQUAL(full, 0);
    for (i = 0; i < n; i++)   /* distinct and gap-free: exactly 0..n-1 */
        if (all[i] != i) {
            CU_FAIL("duplicate or missing counter across threads");
            break;
        }
    free(all);
}

static void test_nonce_exhaustion(void)
{
    struct skv_nonce_gen g;
    struct skv_enc_err e;
    uint8_t n[12];
    uint64_t c;
    size_t got, i;
    int full;
    uint64_t *all;
    /* injected limit */
    CU_ASSERT_EQUAL_FATAL(skv_nonce_gen_init_range(&g, 1, 2, 97, 100, &e), SKV_OK);
    for (i = 0; i < 3; i++)
        CU_ASSERT_EQUAL(skv_nonce_next(&g, n, &e), SKV_OK);
    skv_nonce_parse(n, NULL, NULL, &c);
    CU_ASSERT_EQUAL(c, 99);
    for (i = 0; i < 3; i++)   /* stays exhausted, never wraps */
        ENC_ASSERT_ERR(skv_nonce_next(&g, n, &e), e, SKV_ERR_FULL,
                       SKV_ENC_WRITE_COUNTER_EXHAUSTED,
                       "write counter exhausted: 2^64 seals under this key in one "
                       "process; rotate the DEK (sealkv encryption rotate-dek");
    CU_ASSERT_STRING_EQUAL(skv_enc_errname(e.why), "ErrWriteCounterExhausted");
    /* the real limit: the counter would wrap after UINT64_MAX - 1 */
    CU_ASSERT_EQUAL_FATAL(skv_nonce_gen_init_range(&g, 1, 2, UINT64_MAX - 2, 0, &e), SKV_OK);
    CU_ASSERT_EQUAL(skv_nonce_next(&g, n, &e), SKV_OK);
    CU_ASSERT_EQUAL(skv_nonce_next(&g, n, &e), SKV_OK);
    skv_nonce_parse(n, NULL, NULL, &c);
    CU_ASSERT_EQUAL(c, UINT64_MAX - 1);
    ENC_ASSERT_ERR(skv_nonce_next(&g, n, &e), e, SKV_ERR_FULL,
                   SKV_ENC_WRITE_COUNTER_EXHAUSTED, NULL);
    /* racing threads: exactly `limit` successes, all distinct */
    all = nt_draw(1000, 2000, &got, &full);
    CU_ASSERT_EQUAL(got, 1000);
    CU_ASSERT_EQUAL(full, NT_THREADS * 2000 - 1000);
    for (i = 0; i < got; i++)
        if (all[i] != i) {
            CU_FAIL("duplicate counter near the limit");
            break;
        }
    free(all);
    /* start above the limit is a caller bug */
    ENC_ASSERT_ERR(skv_nonce_gen_init_range(&g, 1, 2, 101, 100, &e), e, SKV_ERR_INVALID,
                   SKV_ENC_INVALID_ARGUMENT, NULL);
}

static void test_epochs(void)
{
    struct skv_nonce_gen g;
    struct skv_enc_err e;
    uint8_t n[12];
    CU_ASSERT_EQUAL(skv_nonce_gen_init(&g, 1, 0xFFFE, &e), SKV_OK);
    CU_ASSERT_EQUAL(skv_nonce_next(&g, n, &e), SKV_OK);
    CU_ASSERT(n[2] == 0xFF && n[3] == 0xFE);
    ENC_ASSERT_ERR(skv_nonce_gen_init(&g, 1, 0xFFFF, &e), e, SKV_ERR_FULL,
                   SKV_ENC_LOCAL_EPOCH_EXHAUSTED, "0xFFFF");
    CU_ASSERT_STRING_EQUAL(skv_enc_errname(e.why), "ErrLocalEpochExhausted");
    ENC_ASSERT_ERR(skv_nonce_gen_init(&g, 1, 0x10000, &e), e, SKV_ERR_INVALID,
                   SKV_ENC_LOCAL_EPOCH_OUT_OF_RANGE, "65536");
    /* the wire validator */
    CU_ASSERT_EQUAL(skv_local_epoch_check(0, &e), SKV_OK);
    CU_ASSERT_EQUAL(skv_local_epoch_check(0xFFFF, &e), SKV_OK);
    ENC_ASSERT_ERR(skv_local_epoch_check(0x10000, &e), e, SKV_ERR_INVALID,
                   SKV_ENC_LOCAL_EPOCH_OUT_OF_RANGE, "out of range");
    ENC_ASSERT_ERR(skv_local_epoch_check(UINT64_MAX, &e), e, SKV_ERR_INVALID,
                   SKV_ENC_LOCAL_EPOCH_OUT_OF_RANGE, "18446744073709551615");
    CU_ASSERT_STRING_EQUAL(skv_enc_errname(e.why), "ErrLocalEpochOutOfRange");
    CU_ASSERT_EQUAL(skv_nonce_gen_init(NULL, 1, 1, &e), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(skv_nonce_next(NULL, n, &e), SKV_ERR_INVALID);
}

/* Nonces from the generator drive envelopes: two seals of the same
 * plaintext never share a nonce or ciphertext. */
static void test_envelope_with_generator(void)
{
    static const uint8_t pt[16] = "same plaintext!";
    struct skv_nonce_gen g;
    struct skv_enc_err e;
    uint8_t n1[12], n2[12], a[16 + 50], b[16 + 50];
    CU_ASSERT_EQUAL_FATAL(skv_nonce_gen_init(&g, skv_node_id16(0xC0FFEE), 5, &e), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(skv_nonce_next(&g, n1, &e), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(skv_nonce_next(&g, n2, &e), SKV_OK);
    CU_ASSERT_EQUAL(skv_envelope_seal(ks, SKV_PURPOSE_RAFT, RAFT_ID, n1, NULL, 0, pt, 16,
                                      a, &e), SKV_OK);
    CU_ASSERT_EQUAL(skv_envelope_seal(ks, SKV_PURPOSE_RAFT, RAFT_ID, n2, NULL, 0, pt, 16,
                                      b, &e), SKV_OK);
    CU_ASSERT(memcmp(a + 22, b + 22, 12) != 0);
    CU_ASSERT(memcmp(a + 34, b + 34, 32) != 0);
}

int main(void)
{
    CU_pSuite s, t;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("envelope", suite_init, suite_clean);
    t = CU_add_suite("nonce", NULL, NULL);
    if (!s || !t ||
        !CU_add_test(s, "overhead and layout", test_overhead_and_layout) ||
        !CU_add_test(s, "round trip raft", test_roundtrip_raft) ||
        !CU_add_test(s, "round trip storage", test_roundtrip_storage) ||
        !CU_add_test(s, "in place", test_in_place) ||
        !CU_add_test(s, "storage AAD binds the location", test_storage_binds_location) ||
        !CU_add_test(s, "purpose mismatch", test_purpose_mismatch) ||
        !CU_add_test(s, "tamper every byte", test_tamper_every_byte) ||
        !CU_add_test(s, "truncation at every length", test_truncation) ||
        !CU_add_test(s, "typed errors", test_typed_errors) ||
        !CU_add_test(s, "bad arguments", test_bad_arguments) ||
        !CU_add_test(s, "nonces drive envelopes", test_envelope_with_generator) ||
        !CU_add_test(s, "v1 envelopes still open", test_v1_still_opens) ||
        !CU_add_test(s, "tampered salt fails integrity", test_tampered_salt) ||
        !CU_add_test(s, "two processes, same nonce state", test_two_processes_same_state) ||
        !CU_add_test(s, "explicit salt reproduces", test_seal_salted) ||
        !CU_add_test(t, "node_id16 XOR-fold", test_node_id16) ||
        !CU_add_test(t, "nonce layout", test_nonce_layout) ||
        !CU_add_test(t, "sequential uniqueness", test_nonce_sequential_unique) ||
        !CU_add_test(t, "4-thread uniqueness", test_nonce_threads_unique) ||
        !CU_add_test(t, "counter exhaustion", test_nonce_exhaustion) ||
        !CU_add_test(t, "local epochs", test_epochs)) {
        CU_cleanup_registry();
        return 99;
    }
    return skv_test_run();
}
