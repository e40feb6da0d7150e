/* SPDX-License-Identifier: MIT */
/*
 * test_kek_pkcs11.c — CUnit suite for the KEK in an HSM (issue 13 item 5)
 * against a throwaway SoftHSM 2 token (p11_fx.h): the cipher-sodium
 * plugin's PKCS#11 key provider loaded through the core loader and
 * core/crypto/kek_provider.c — the KEK id is stable and differs per key,
 * DEK wrap/unwrap through the token, the KEK ring across a file KEK and
 * an HSM KEK (rewrap both ways, a DEK opened by whichever holds it), a
 * wrong HSM key or altered bytes are SKV_ERR_INTEGRITY, wraps from 4
 * threads on one session; and each refusal with its catalogue name:
 * module missing / not PKCS#11, token not found, wrong PIN (the PIN never
 * in the message), key not found, an extractable key, a token without
 * AES-GCM (fake_p11.c, the one SoftHSM cannot show), the PIN file's
 * permissions, a cipher plugin without a key provider. Skips (77) without
 * SoftHSM 2.
 */
#define _GNU_SOURCE   /* memmem */
#include "enc_fx.h"
#include "p11_fx.h"
#include "crypto/enc_err.h"
#include "crypto/kek.h"
#include "crypto/keystore.h"

#include <pthread.h>

static struct enc_fx fx;
static struct p11_fx hsm;

static int suite_init(void)
{
    if (enc_fx_load(&fx) != 0)
        return -1;
    if (p11_fx_keygen(&hsm, "kek-a", 0) != 0 || p11_fx_keygen(&hsm, "kek-b", 0) != 0 ||
        p11_fx_keygen(&hsm, "kek-extractable", 1) != 0)
        return -1;
    return 0;
}

static int suite_clean(void)
{
    enc_fx_unload(&fx);
    return 0;
}

/* Open HSM key `label` with the fixture's module, token and PIN file. */
static int open_key(const char *module, const char *token, const char *label,
                    const char *pin_file, struct skv_kek **out, struct skv_enc_err *e)
{
    struct skv_kek_pkcs11_ref r = {module, token, label, pin_file};
    memset(e, 0, sizeof *e);
    return skv_kek_open_pkcs11(fx.ops, fx.state, &r, "encryption.kek_pkcs11", out, e);
}

static struct skv_kek *open_ok(const char *label)
{
    struct skv_kek *k = NULL;
    struct skv_enc_err e;
    int rc = open_key(hsm.module, P11_FX_TOKEN, label, hsm.pin_file, &k, &e);
    if (rc != SKV_OK)
        fprintf(stderr, "\nopen %s: %s\n", label, e.err.msg);
    CU_ASSERT_FATAL(rc == SKV_OK && k != NULL);
    return k;
}

static void test_id(void)
{
    struct skv_kek *a1 = open_ok("kek-a"), *a2 = open_ok("kek-a"), *b = open_ok("kek-b");
    CU_ASSERT_EQUAL(strlen(skv_kek_id(a1)), SKV_KEK_ID_HEX);
    CU_ASSERT_EQUAL(strspn(skv_kek_id(a1), "0123456789abcdef"), SKV_KEK_ID_HEX);
    CU_ASSERT_STRING_EQUAL(skv_kek_id(a1), skv_kek_id(a2));   /* stable */
    CU_ASSERT_STRING_NOT_EQUAL(skv_kek_id(a1), skv_kek_id(b));
    CU_ASSERT_STRING_EQUAL(skv_kek_provider(a1), "pkcs11");
    CU_ASSERT_PTR_NULL(skv_kek_bytes(a1));   /* no KEK bytes in this process */
    skv_kek_free(b);
    skv_kek_free(a2);
    skv_kek_free(a1);
}

static void fill_dek(uint8_t *dek, uint8_t seed)
{
    size_t i;
    for (i = 0; i < SKV_DEK_LEN; i++)
        dek[i] = (uint8_t)(seed + i * 13);
}

static void test_wrap_roundtrip(void)
{
    struct skv_keystore *ks = NULL;
    struct skv_enc_err e;
    uint8_t dek[SKV_DEK_LEN], w1[SKV_DEK_WRAPPED_LEN], w2[SKV_DEK_WRAPPED_LEN];
    uint8_t *out = sodium_malloc(SKV_DEK_LEN);
    memset(&e, 0, sizeof e);
    CU_ASSERT_FATAL(skv_keystore_new(fx.ops, fx.state, open_ok("kek-a"), &ks, &e) == SKV_OK);
    fill_dek(dek, 7);
    CU_ASSERT_EQUAL(skv_keystore_wrap(ks, SKV_PURPOSE_STORAGE, 42, "chacha20-poly1305", dek,
                                      w1, &e), SKV_OK);
    CU_ASSERT_EQUAL(skv_keystore_wrap(ks, SKV_PURPOSE_STORAGE, 42, "chacha20-poly1305", dek,
                                      w2, &e), SKV_OK);
    CU_ASSERT(memcmp(w1, w2, sizeof w1) != 0);   /* a fresh nonce per wrap */
    CU_ASSERT(memmem(w1, sizeof w1, dek, sizeof dek) == NULL);
    CU_ASSERT_EQUAL(skv_keystore_unwrap(ks, SKV_PURPOSE_STORAGE, 42, "chacha20-poly1305", w1,
                                        sizeof w1, out, &e), SKV_OK);
    CU_ASSERT(memcmp(out, dek, sizeof dek) == 0);
    /* the AAD binds purpose and key_id; every byte is authenticated */
    ENC_ASSERT_ERR(skv_keystore_unwrap(ks, SKV_PURPOSE_RAFT, 42, "chacha20-poly1305", w1,
                                       sizeof w1, out, &e), e, SKV_ERR_INTEGRITY,
                   SKV_ENC_DEK_UNWRAP, "key_id 42");
    ENC_ASSERT_ERR(skv_keystore_unwrap(ks, SKV_PURPOSE_STORAGE, 43, "chacha20-poly1305", w1,
                                       sizeof w1, out, &e), e, SKV_ERR_INTEGRITY,
                   SKV_ENC_DEK_UNWRAP, NULL);
    w1[20] ^= 1;
    ENC_ASSERT_ERR(skv_keystore_unwrap(ks, SKV_PURPOSE_STORAGE, 42, "chacha20-poly1305", w1,
                                       sizeof w1, out, &e), e, SKV_ERR_INTEGRITY,
                   SKV_ENC_DEK_UNWRAP, NULL);
    CU_ASSERT(sodium_is_zero(out, SKV_DEK_LEN));
    skv_keystore_free(ks);
    sodium_free(out);
}

/* The KEK ring across a file KEK and an HSM KEK: rewrap both ways. */
static void test_ring_file_and_hsm(void)
{
    struct skv_keystore *ks = enc_fx_keystore(&fx, 0x5a), *other = NULL;
    struct skv_kek *a = open_ok("kek-a");
    struct skv_enc_err e;
    char file_id[SKV_KEK_ID_HEX + 1], hsm_id[SKV_KEK_ID_HEX + 1];
    uint8_t dek[SKV_DEK_LEN], wf[SKV_DEK_WRAPPED_LEN], wh[SKV_DEK_WRAPPED_LEN],
        wb[SKV_DEK_WRAPPED_LEN];
    uint8_t *out = sodium_malloc(SKV_DEK_LEN);
    memset(&e, 0, sizeof e);
    CU_ASSERT_FATAL(ks != NULL);
    snprintf(file_id, sizeof file_id, "%s", skv_keystore_kek_id(ks));
    snprintf(hsm_id, sizeof hsm_id, "%s", skv_kek_id(a));
    fill_dek(dek, 99);
    CU_ASSERT_EQUAL(skv_keystore_wrap(ks, SKV_PURPOSE_RAFT, 5, "chacha20-poly1305", dek, wf,
                                      &e), SKV_OK);
    CU_ASSERT_EQUAL(skv_keystore_add_kek(ks, a, &e), SKV_OK);
    CU_ASSERT_STRING_EQUAL(skv_keystore_kek_provider(ks, hsm_id), "pkcs11");
    CU_ASSERT_STRING_EQUAL(skv_keystore_kek_provider(ks, file_id), "");
    /* file -> HSM */
    CU_ASSERT_EQUAL(skv_keystore_rewrap(ks, hsm_id, SKV_PURPOSE_RAFT, 5, "chacha20-poly1305",
                                        wf, sizeof wf, wh, &e), SKV_OK);
    CU_ASSERT_EQUAL(skv_keystore_use_kek(ks, hsm_id, &e), SKV_OK);
    CU_ASSERT_EQUAL(skv_keystore_unwrap(ks, SKV_PURPOSE_RAFT, 5, "chacha20-poly1305", wh,
                                        sizeof wh, out, &e), SKV_OK);
    CU_ASSERT(memcmp(out, dek, sizeof dek) == 0);
    /* the HSM-wrapped form opens under the HSM key alone, not the file KEK */
    CU_ASSERT_FATAL((other = enc_fx_keystore(&fx, 0x5a)) != NULL);
    ENC_ASSERT_ERR(skv_keystore_unwrap(other, SKV_PURPOSE_RAFT, 5, "chacha20-poly1305", wh,
                                       sizeof wh, out, &e), e, SKV_ERR_INTEGRITY,
                   SKV_ENC_DEK_UNWRAP, NULL);
    /* HSM -> file */
    CU_ASSERT_EQUAL(skv_keystore_rewrap(ks, file_id, SKV_PURPOSE_RAFT, 5, "chacha20-poly1305",
                                        wh, sizeof wh, wb, &e), SKV_OK);
    CU_ASSERT_EQUAL(skv_keystore_unwrap(other, SKV_PURPOSE_RAFT, 5, "chacha20-poly1305", wb,
                                        sizeof wb, out, &e), SKV_OK);
    CU_ASSERT(memcmp(out, dek, sizeof dek) == 0);
    skv_keystore_free(other);
    skv_keystore_free(ks);
    sodium_free(out);
}

/* A DEK wrapped under HSM key kek-a does not open under kek-b. */
static void test_other_hsm_key(void)
{
    struct skv_keystore *ka = NULL, *kb = NULL;
    struct skv_enc_err e;
    uint8_t dek[SKV_DEK_LEN], w[SKV_DEK_WRAPPED_LEN];
    uint8_t *out = sodium_malloc(SKV_DEK_LEN);
    memset(&e, 0, sizeof e);
    CU_ASSERT_FATAL(skv_keystore_new(fx.ops, fx.state, open_ok("kek-a"), &ka, &e) == SKV_OK);
    CU_ASSERT_FATAL(skv_keystore_new(fx.ops, fx.state, open_ok("kek-b"), &kb, &e) == SKV_OK);
    fill_dek(dek, 1);
    CU_ASSERT_EQUAL(skv_keystore_wrap(ka, SKV_PURPOSE_STORAGE, 9, "chacha20-poly1305", dek, w,
                                      &e), SKV_OK);
    ENC_ASSERT_ERR(skv_keystore_unwrap(kb, SKV_PURPOSE_STORAGE, 9, "chacha20-poly1305", w,
                                       sizeof w, out, &e), e, SKV_ERR_INTEGRITY,
                   SKV_ENC_DEK_UNWRAP, NULL);
    skv_keystore_free(kb);
    skv_keystore_free(ka);
    sodium_free(out);
}

/* Two KEKs on one module and token: closing the first (which initialised
 * the module and logged in) leaves the second working. */
static void test_close_order(void)
{
    struct skv_keystore *ks = NULL;
    struct skv_enc_err e;
    struct skv_kek *first = open_ok("kek-b");
    uint8_t dek[SKV_DEK_LEN], w[SKV_DEK_WRAPPED_LEN];
    uint8_t *out = sodium_malloc(SKV_DEK_LEN);
    memset(&e, 0, sizeof e);
    CU_ASSERT_FATAL(skv_keystore_new(fx.ops, fx.state, open_ok("kek-a"), &ks, &e) == SKV_OK);
    skv_kek_free(first);
    fill_dek(dek, 3);
    CU_ASSERT_EQUAL(skv_keystore_wrap(ks, SKV_PURPOSE_STORAGE, 77, "chacha20-poly1305", dek, w,
                                      &e), SKV_OK);
    CU_ASSERT_EQUAL(skv_keystore_unwrap(ks, SKV_PURPOSE_STORAGE, 77, "chacha20-poly1305", w,
                                        sizeof w, out, &e), SKV_OK);
    CU_ASSERT(memcmp(out, dek, sizeof dek) == 0);
    skv_keystore_free(ks);
    sodium_free(out);
}

struct churn { struct skv_keystore *ks; int fails; };

static void *churn_run(void *arg)
{
    struct churn *c = arg;
    struct skv_enc_err e;
    uint8_t dek[SKV_DEK_LEN], w[SKV_DEK_WRAPPED_LEN];
    uint8_t *out = sodium_malloc(SKV_DEK_LEN);
    int i;
    memset(&e, 0, sizeof e);
    for (i = 0; out && i < 200; i++) {
        fill_dek(dek, (uint8_t)i);
        if (skv_keystore_wrap(c->ks, SKV_PURPOSE_STORAGE, 1 + (uint32_t)i,
                              "chacha20-poly1305", dek, w, &e) != SKV_OK ||
            skv_keystore_unwrap(c->ks, SKV_PURPOSE_STORAGE, 1 + (uint32_t)i,
                                "chacha20-poly1305", w, sizeof w, out, &e) != SKV_OK ||
            memcmp(out, dek, sizeof dek) != 0)
            c->fails++;
    }
    sodium_free(out);
    return NULL;
}

static void test_threads(void)
{
    struct skv_keystore *ks = NULL;
    struct skv_enc_err e;
    struct churn c[4];
    pthread_t t[4];
    int i;
    memset(&e, 0, sizeof e);
    CU_ASSERT_FATAL(skv_keystore_new(fx.ops, fx.state, open_ok("kek-a"), &ks, &e) == SKV_OK);
    for (i = 0; i < 4; i++) {
        c[i].ks = ks;
        c[i].fails = 0;
        CU_ASSERT_FATAL(pthread_create(&t[i], NULL, churn_run, &c[i]) == 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT_EQUAL(c[i].fails, 0);
    }
    skv_keystore_free(ks);
}

static void refused(const char *module, const char *token, const char *label,
                    const char *pin_file, int why, const char *frag)
{
    struct skv_kek *k = NULL;
    struct skv_enc_err e;
    int rc = open_key(module, token, label, pin_file, &k, &e);
    CU_ASSERT_NOT_EQUAL(rc, SKV_OK);
    CU_ASSERT_EQUAL(e.err.code, rc);
    CU_ASSERT_EQUAL(e.why, why);
    CU_ASSERT(enc_msg_has(e.err.msg, frag));
    CU_ASSERT(enc_msg_has(e.err.msg, "encryption.kek_pkcs11"));
    CU_ASSERT(strstr(e.err.msg, P11_FX_PIN) == NULL);
    CU_ASSERT_PTR_NULL(k);
}

static void test_refusals(void)
{
    char bad_pin[700], open_pin[700], fake_module[700];
    const char *bd = getenv("SKV_TOP_BUILDDIR");
    snprintf(fake_module, sizeof fake_module, "%s/tests/unit/.libs/fakep11.so", bd ? bd : ".");
    snprintf(bad_pin, sizeof bad_pin, "%s/badpin", hsm.dir);
    snprintf(open_pin, sizeof open_pin, "%s/openpin", hsm.dir);
    CU_ASSERT_FATAL(p11_fx_write(bad_pin, "0000\n", 0600) == 0);
    CU_ASSERT_FATAL(p11_fx_write(open_pin, P11_FX_PIN, 0644) == 0);
    refused("/nonexistent/libnope.so", P11_FX_TOKEN, "kek-a", hsm.pin_file,
            SKV_ENC_PKCS11_MODULE, "/nonexistent/libnope.so");
    refused(hsm.conf, P11_FX_TOKEN, "kek-a", hsm.pin_file, SKV_ENC_PKCS11_MODULE,
            "cannot be loaded");   /* not a shared object */
    refused(hsm.module, "no-such-token", "kek-a", hsm.pin_file, SKV_ENC_PKCS11_TOKEN,
            "'no-such-token' not found");
    refused(hsm.module, P11_FX_TOKEN, "kek-a", bad_pin, SKV_ENC_PKCS11_PIN,
            "CKR_PIN_INCORRECT");
    refused(hsm.module, P11_FX_TOKEN, "kek-nope", hsm.pin_file, SKV_ENC_PKCS11_KEY,
            "'kek-nope'");
    refused(hsm.module, P11_FX_TOKEN, "kek-extractable", hsm.pin_file, SKV_ENC_PKCS11_KEY,
            "CKA_EXTRACTABLE");
    refused(fake_module, "fake-token", "kek-a", hsm.pin_file, SKV_ENC_PKCS11_MECHANISM,
            "does not support CKM_AES_GCM");
    refused(hsm.module, P11_FX_TOKEN, "kek-a", open_pin, SKV_ENC_KEK_FILE_PERMISSIONS,
            "mode 0644");
    refused(hsm.module, P11_FX_TOKEN, "kek-a", "/nonexistent/pin", SKV_ENC_KEK_FILE_MISSING,
            "/nonexistent/pin");
    /* the good PIN still works after the refusals (no lockout from one try) */
    skv_kek_free(open_ok("kek-a"));
}

/* A cipher plugin of ABI 1.2 (no kek_* members) has no key provider. */
static void test_no_provider(void)
{
    struct skv_cipher_ops old = *fx.ops;
    struct skv_kek *k = NULL;
    struct skv_kek_pkcs11_ref r = {hsm.module, P11_FX_TOKEN, "kek-a", hsm.pin_file};
    struct skv_enc_err e;
    memset(&e, 0, sizeof e);
    old.struct_size = offsetof(struct skv_cipher_ops, kek_open);
    ENC_ASSERT_ERR(skv_kek_open_pkcs11(&old, fx.state, &r, "encryption.kek_pkcs11", &k, &e),
                   e, SKV_ERR_UNSUPPORTED, SKV_ENC_KEK_PROVIDER_UNSUPPORTED, "key provider");
    CU_ASSERT_STRING_EQUAL(skv_enc_errname(SKV_ENC_PKCS11_PIN), "ErrPKCS11PinIncorrect");
    CU_ASSERT_STRING_EQUAL(skv_enc_errname(SKV_ENC_PKCS11_MODULE), "ErrPKCS11ModuleMissing");
}

int main(void)
{
    CU_pSuite s;
    int rc = p11_fx_setup(&hsm);
    if (rc != 0) {
        fprintf(stderr, rc == 77 ? "SoftHSM 2 not installed: skipped\n"
                                 : "cannot create a SoftHSM token\n");
        p11_fx_teardown(&hsm);
        return rc == 77 ? 77 : 99;
    }
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("kek_pkcs11", suite_init, suite_clean);
    if (!s || !CU_add_test(s, "KEK id: stable, per key, no bytes", test_id) ||
        !CU_add_test(s, "DEK wrap/unwrap inside the token", test_wrap_roundtrip) ||
        !CU_add_test(s, "ring: file KEK <-> HSM KEK rewrap", test_ring_file_and_hsm) ||
        !CU_add_test(s, "another HSM key: INTEGRITY", test_other_hsm_key) ||
        !CU_add_test(s, "4 threads on one session", test_threads) ||
        !CU_add_test(s, "two KEKs, one module: close order", test_close_order) ||
        !CU_add_test(s, "refusals, each named", test_refusals) ||
        !CU_add_test(s, "cipher plugin without a provider", test_no_provider)) {
        CU_cleanup_registry();
        p11_fx_teardown(&hsm);
        return 99;
    }
    rc = skv_test_run();
    p11_fx_teardown(&hsm);
    return rc;
}
