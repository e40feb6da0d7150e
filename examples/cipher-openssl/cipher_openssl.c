/* SPDX-License-Identifier: MIT */
/*
 * cipher_openssl.c — an out-of-tree sealkv cipher plugin on OpenSSL's EVP
 * API: suite "aes-256-gcm" only (32-byte key, 12-byte nonce, 16-byte
 * tag), ciphertext || tag, SKV_ERR_INTEGRITY on a tag mismatch, CSPRNG
 * from RAND_bytes. Built only against the installed headers (see the
 * Makefile and README.md next to this file).
 *
 * Keys: key_new copies the key into its own heap block (mlock'ed where
 * the system allows); key_free wipes it with OPENSSL_cleanse. Handles are
 * read-only after key_new, and every seal/open uses a fresh
 * EVP_CIPHER_CTX, so all calls are safe from any thread.
 *
 * Test-only switch: -DSKV_OPENSSL_FAKE_NO_AES builds a variant that lists
 * aes-256-gcm with available = 0 (as a build without AES would) and
 * offers chacha20-poly1305 (EVP_chacha20_poly1305) instead, so that the
 * capability gate can be shown refusing a node that lacks the cluster's
 * suite. Never ship it.
 */
#include <sealkv/cipher.h>
#include <sealkv/plugin.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#define KEY_LEN 32
#define NONCE_LEN 12
#define TAG_LEN 16

struct ossl_suite {
    const char *name;
    const EVP_CIPHER *(*evp)(void);
    int available;
};

#ifdef SKV_OPENSSL_FAKE_NO_AES
static const struct ossl_suite suites[] = {
    {"aes-256-gcm", EVP_aes_256_gcm, 0},
    {"chacha20-poly1305", EVP_chacha20_poly1305, 1},
};
#define PLUGIN_DESCRIPTION "TEST ONLY: OpenSSL EVP with AES-256-GCM reported unavailable"
#else
static const struct ossl_suite suites[] = {
    {"aes-256-gcm", EVP_aes_256_gcm, 1},
};
#define PLUGIN_DESCRIPTION "AES-256-GCM from OpenSSL EVP (out-of-tree example)"
#endif
#define N_SUITES (sizeof suites / sizeof suites[0])

struct ossl_key {
    const struct ossl_suite *suite;
    int locked;                      /* mlock succeeded */
    unsigned char key[KEY_LEN];
};

static int set_err(struct skv_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

static const struct ossl_suite *suite_find(const char *name)
{
    size_t i;
    for (i = 0; name && i < N_SUITES; i++)
        if (strcmp(suites[i].name, name) == 0)
            return &suites[i];
    return NULL;
}

/* ---- lifecycle ---------------------------------------------------------- */

static int ossl_init(const struct skv_host *host, void **state, struct skv_err *err)
{
    const char *suite = NULL;
    const struct ossl_suite *su;
    int rc;
    if (!state)
        return set_err(err, SKV_ERR_INVALID, "cipher-openssl: state is NULL");
    *state = NULL;
    /* The optional `suite` option must name a suite this plugin runs. */
    if (host && SKV_HAS(host, struct skv_host, opt_string)) {
        rc = host->opt_string(host->ctx, "suite", NULL, &suite, err);
        if (rc != SKV_OK)
            return rc;
        if (suite && !(su = suite_find(suite)))
            return set_err(err, SKV_ERR_CONFIG,
                           "option 'suite': unknown suite '%.64s': cipher-openssl offers %s",
                           suite, suites[N_SUITES - 1].name);
        if (suite && !su->available)
            return set_err(err, SKV_ERR_UNSUPPORTED,
                           "option 'suite': '%s' is not available in this build", su->name);
    }
    if (OPENSSL_init_crypto(0, NULL) != 1)
        return set_err(err, SKV_ERR_INTERNAL, "cipher-openssl: OPENSSL_init_crypto failed");
    return SKV_OK; /* stateless: *state stays NULL */
}

static void ossl_fini(void *state)
{
    (void)state; /* nothing to free: keys live in their own handles */
}

/* ---- suites ------------------------------------------------------------- */

static unsigned ossl_suite_count(void *state)
{
    (void)state;
    return (unsigned)N_SUITES;
}

static int ossl_suite_get(void *state, unsigned i, struct skv_cipher_suite *out)
{
    struct skv_cipher_suite full;
    size_t n;
    (void)state;
    if (!out || out->struct_size < offsetof(struct skv_cipher_suite, name) + sizeof out->name)
        return SKV_ERR_INVALID;
    if (i >= N_SUITES)
        return SKV_ERR_NOTFOUND;
    memset(&full, 0, sizeof full);
    full.name = suites[i].name;
    full.key_len = KEY_LEN;
    full.nonce_len = NONCE_LEN;
    full.tag_len = TAG_LEN;
    full.available = suites[i].available;
    /* fill what fits in the caller's struct (an older caller's is smaller) */
    n = out->struct_size < sizeof full ? out->struct_size : sizeof full;
    full.struct_size = (uint32_t)n;
    memcpy(out, &full, n);
    return SKV_OK;
}

/* ---- keys --------------------------------------------------------------- */

static int ossl_key_new(void *state, const char *suite, const uint8_t *key,
                        size_t key_len, void **key_handle, struct skv_err *err)
{
    const struct ossl_suite *su;
    struct ossl_key *k;
    (void)state;
    if (!key_handle)
        return set_err(err, SKV_ERR_INVALID, "cipher-openssl: key_handle is NULL");
    *key_handle = NULL;
    if (!suite || !key)
        return set_err(err, SKV_ERR_INVALID, "cipher-openssl: %s is NULL", suite ? "key" : "suite");
    if (!(su = suite_find(suite)))
        return set_err(err, SKV_ERR_NOTFOUND, "cipher-openssl: unknown suite '%.64s'", suite);
    if (!su->available)
        return set_err(err, SKV_ERR_UNSUPPORTED,
                       "cipher-openssl: suite '%s' is not available in this build", su->name);
    if (key_len != KEY_LEN)
        return set_err(err, SKV_ERR_INVALID,
                       "cipher-openssl: wrong key length for %s: expected %d bytes, found %zu",
                       su->name, KEY_LEN, key_len);
    if (!(k = calloc(1, sizeof *k)))
        return set_err(err, SKV_ERR_NOMEM, "cipher-openssl: out of memory");
    k->locked = mlock(k, sizeof *k) == 0; /* best effort: keep it off swap */
    k->suite = su;
    memcpy(k->key, key, KEY_LEN);
    *key_handle = k;
    return SKV_OK;
}

static void ossl_key_free(void *key_handle)
{
    struct ossl_key *k = key_handle;
    if (!k)
        return;
    OPENSSL_cleanse(k, sizeof *k);
    if (k->locked)
        munlock(k, sizeof *k);
    free(k);
}

/* ---- AEAD --------------------------------------------------------------- */

/* 1 if [a, a+alen) and [b, b+blen) overlap without a == b. */
static int bad_overlap(const void *a, size_t alen, const void *b, size_t blen)
{
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    if (x == y || alen == 0 || blen == 0)
        return 0;
    return x < y + blen && y < x + alen;
}

static int check_common(const struct ossl_key *k, const uint8_t *nonce, size_t nonce_len,
                        const uint8_t *aad, size_t aad_len, const uint8_t *in,
                        size_t msg_len, const uint8_t *out, struct skv_err *err)
{
    if (!k)
        return set_err(err, SKV_ERR_INVALID, "cipher-openssl: key handle is NULL");
    if (!nonce || nonce_len != NONCE_LEN)
        return set_err(err, SKV_ERR_INVALID,
                       "cipher-openssl: bad nonce for %s: expected %d bytes, found %zu%s",
                       k->suite->name, NONCE_LEN, nonce_len, nonce ? "" : " (NULL)");
    if (!aad && aad_len)
        return set_err(err, SKV_ERR_INVALID, "cipher-openssl: AAD is NULL with length %zu", aad_len);
    if (!in && msg_len)
        return set_err(err, SKV_ERR_INVALID, "cipher-openssl: input is NULL with length %zu", msg_len);
    if (!out)
        return set_err(err, SKV_ERR_INVALID, "cipher-openssl: output buffer is NULL");
    /* EVP takes int lengths */
    if (msg_len > INT_MAX || aad_len > INT_MAX)
        return set_err(err, SKV_ERR_TOOBIG,
                       "cipher-openssl: message or AAD too big: at most %d bytes", INT_MAX);
    return SKV_OK;
}

/* A fresh context per call: nothing shared between threads but the
 * read-only key. enc = 1 seal, 0 open. */
static EVP_CIPHER_CTX *ctx_new(const struct ossl_key *k, const uint8_t *nonce, int enc)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c)
        return NULL;
    if (EVP_CipherInit_ex(c, k->suite->evp(), NULL, NULL, NULL, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
        EVP_CipherInit_ex(c, NULL, NULL, k->key, nonce, enc) != 1) {
        EVP_CIPHER_CTX_free(c);
        return NULL;
    }
    return c;
}

static int ossl_seal(void *key_handle, const uint8_t *nonce, size_t nonce_len,
                     const uint8_t *aad, size_t aad_len, const uint8_t *pt,
                     size_t pt_len, uint8_t *out, struct skv_err *err)
{
    const struct ossl_key *k = key_handle;
    EVP_CIPHER_CTX *c;
    int len, ok;
    int rc = check_common(k, nonce, nonce_len, aad, aad_len, pt, pt_len, out, err);
    if (rc != SKV_OK)
        return rc;
    if (bad_overlap(pt, pt_len, out, pt_len + TAG_LEN))
        return set_err(err, SKV_ERR_INVALID,
                       "cipher-openssl: seal buffers overlap (only out == pt is allowed)");
    if (!(c = ctx_new(k, nonce, 1)))
        return set_err(err, SKV_ERR_INTERNAL, "cipher-openssl: %s context setup failed",
                       k->suite->name);
    ok = (aad_len == 0 || EVP_EncryptUpdate(c, NULL, &len, aad, (int)aad_len) == 1) &&
         (pt_len == 0 || EVP_EncryptUpdate(c, out, &len, pt, (int)pt_len) == 1) &&
         EVP_EncryptFinal_ex(c, out + pt_len, &len) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, TAG_LEN, out + pt_len) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok)
        return set_err(err, SKV_ERR_INTERNAL, "cipher-openssl: %s encryption failed",
                       k->suite->name);
    return SKV_OK;
}

static int ossl_open(void *key_handle, const uint8_t *nonce, size_t nonce_len,
                     const uint8_t *aad, size_t aad_len, const uint8_t *ct,
                     size_t ct_len, uint8_t *out, struct skv_err *err)
{
    const struct ossl_key *k = key_handle;
    unsigned char tag[TAG_LEN];
    EVP_CIPHER_CTX *c;
    size_t msg_len;
    int len, ok, rc;
    if (k && ct_len < TAG_LEN)
        return set_err(err, SKV_ERR_INVALID,
                       "cipher-openssl: ciphertext too short for %s: expected at least %d "
                       "bytes (the tag), found %zu", k->suite->name, TAG_LEN, ct_len);
    msg_len = k ? ct_len - TAG_LEN : 0;
    if ((rc = check_common(k, nonce, nonce_len, aad, aad_len, ct, msg_len, out, err)) != SKV_OK)
        return rc;
    if (!ct)
        return set_err(err, SKV_ERR_INVALID, "cipher-openssl: ciphertext is NULL");
    if (bad_overlap(ct, ct_len, out, msg_len))
        return set_err(err, SKV_ERR_INVALID,
                       "cipher-openssl: open buffers overlap (only out == ct is allowed)");
    memcpy(tag, ct + msg_len, TAG_LEN); /* before an in-place decrypt */
    if (!(c = ctx_new(k, nonce, 0)))
        return set_err(err, SKV_ERR_INTERNAL, "cipher-openssl: %s context setup failed",
                       k->suite->name);
    ok = (aad_len == 0 || EVP_DecryptUpdate(c, NULL, &len, aad, (int)aad_len) == 1) &&
         (msg_len == 0 || EVP_DecryptUpdate(c, out, &len, ct, (int)msg_len) == 1) &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, tag) == 1;
    /* the tag is checked here: a mismatch is an integrity failure */
    if (ok && EVP_DecryptFinal_ex(c, out + msg_len, &len) != 1) {
        EVP_CIPHER_CTX_free(c);
        OPENSSL_cleanse(out, msg_len);
        return set_err(err, SKV_ERR_INTEGRITY,
                       "cipher-openssl: %s authentication failed (wrong key, or tampered "
                       "ciphertext, tag, nonce or AAD)", k->suite->name);
    }
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        OPENSSL_cleanse(out, msg_len);
        return set_err(err, SKV_ERR_INTERNAL, "cipher-openssl: %s decryption failed",
                       k->suite->name);
    }
    return SKV_OK;
}

static int ossl_random(void *state, void *buf, size_t len, struct skv_err *err)
{
    unsigned char *p = buf;
    (void)state;
    if (!buf && len)
        return set_err(err, SKV_ERR_INVALID, "cipher-openssl: random buffer is NULL");
    while (len) {
        int n = len > (size_t)INT_MAX ? INT_MAX : (int)len;
        if (RAND_bytes(p, n) != 1)
            return set_err(err, SKV_ERR_INTERNAL, "cipher-openssl: RAND_bytes failed");
        p += n;
        len -= (size_t)n;
    }
    return SKV_OK;
}

/* ---- descriptor --------------------------------------------------------- */

static const struct skv_cipher_ops ossl_ops = {
    .struct_size = sizeof(struct skv_cipher_ops),
    .suite_count = ossl_suite_count,
    .suite_get = ossl_suite_get,
    .key_new = ossl_key_new,
    .key_free = ossl_key_free,
    .seal = ossl_seal,
    .open = ossl_open,
    .random = ossl_random,
};

SKV_PLUGIN_DEFINE(SKV_KIND_CIPHER, "openssl", "1.0",
                  PLUGIN_DESCRIPTION,
                  ossl_init, ossl_fini, &ossl_ops);
