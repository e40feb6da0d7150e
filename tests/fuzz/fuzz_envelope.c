/* SPDX-License-Identifier: MIT */
/*
 * fuzz_envelope.c — libFuzzer target for the envelope v1/v2 decoder
 * (core/crypto/envelope.c, core/crypto/keystore_sub.c) over the real cipher-sodium plugin (its sources are
 * linked in and its ops table is used through its descriptor; no loader).
 *
 * Input: [L u8][storage key: L bytes (clamped to what is left)][envelope].
 * Every input is parsed (skv_envelope_parse) and opened for both purposes:
 * storage with that storage key, raft without one. A fixed keystore (KEK,
 * DEK bytes and key_ids below) holds one ChaCha20-Poly1305 DEK per
 * purpose, plus an AES-256-GCM storage DEK where the CPU runs it, so
 * envelopes naming them reach the AEAD. Checked for every input:
 *   - parse succeeds iff version 1 with length >= 34 or version 2 with
 *     length >= 50, and flags 0; a refusal names a reason that actually
 *     applies; the header it decodes (salt for v2, nonce, lengths) is the
 *     input's bytes;
 *   - open agrees with parse (same code and reason when parse refuses);
 *     after a good parse it is exactly one of: ErrUnknownKeyID (naming
 *     the key_id) when the keystore lacks the parsed key_id,
 *     ErrEnvelopePurposeMismatch when that DEK has the other purpose,
 *     ErrEnvelopeIntegrity or success otherwise; a failure leaves *pt NULL;
 *   - a successful open is for the parsed key_id of the right purpose and
 *     gives len - 34 (v1) / len - 50 (v2) bytes; sealing them again under
 *     that key_id, salt (v2: skv_envelope_seal_salted; v1: the DEK through
 *     the plugin with the v1 AAD), nonce and storage key (into a fresh
 *     buffer, and in place) reproduces the input byte for byte; the same
 *     envelope under an altered storage key, or with one bit flipped
 *     anywhere (salt included), no longer opens;
 *   - everything allocated is freed (LeakSanitizer).
 * Not part of the build (`make fuzz-smoke` builds and runs it). Run from
 * the top of the tree (cipher_sodium.c needs a build-config.h):
 *   mkdir -p /tmp/fe && echo '#define PACKAGE_VERSION "fuzz"' \
 *         > /tmp/fe/build-config.h
 *   clang -fsanitize=fuzzer,address,undefined -I/tmp/fe -Iabi -Icore \
 *         tests/fuzz/fuzz_envelope.c plugins/cipher-sodium/cipher_sodium.c \
 *         plugins/cipher-sodium/suites.c plugins/cipher-sodium/keys.c \
 *         plugins/cipher-sodium/aead.c core/crypto/enc_err.c core/crypto/kek.c \
 *         core/crypto/keystore.c core/crypto/keystore_sub.c core/crypto/dek_wrap.c \
 *         core/crypto/envelope.c -lsodium \
 *         -lpthread -o /tmp/fe/fuzz_envelope
 *   mkdir -p /tmp/fe/c && /tmp/fe/fuzz_envelope -max_total_time=30 \
 *         /tmp/fe/c tests/fuzz/corpus/envelope  (new inputs go to /tmp/fe/c)
 * Seeds (tests/fuzz/corpus/envelope/): made once by a throwaway program
 * that #included this file, called LLVMFuzzerInitialize() and wrote
 * [L][skey][skv_envelope_seal(...)] under nonce 00 01 00 02 00..00 2a:
 *   storage-value  storage DEK, skey 0x10 "greeting", plaintext "hello"
 *   storage-empty  storage DEK, empty skey, empty plaintext
 *   raft-entry     raft DEK, no skey, plaintext 00 "put k v" (a KV op)
 * (those three are v1), and the same three as v2 (v2-storage-value,
 * v2-storage-empty, v2-raft-entry) from skv_envelope_seal_salted with the
 * salt 00 11 22 .. ff.
 */
#include "crypto/envelope.h"
#include "util/bytes.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The plugin's entry symbol (plugins/cipher-sodium/cipher_sodium.c). */
const struct skv_plugin *sealkv_plugin_v1(void);

/* Far apart in Hamming distance, like tests/unit/test_envelope.c. */
#define FZ_STOR_ID 0x5A5A0000u
#define FZ_RAFT_ID 0x0000F00Du
#define FZ_AES_ID 0x000A0E50u   /* storage, aes-256-gcm, only with AES-NI */

static const struct skv_plugin *fz_plugin;
static void *fz_cstate;
static struct skv_keystore *fz_ks;

#define FZ_CHECK(cond)                                                         \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_envelope: invariant failed at line %d: %s\n", \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

static void fz_die(const char *what, const char *msg)
{
    fprintf(stderr, "fuzz_envelope: %s: %s\n", what, msg);
    abort();
}

/* Add DEK `id` of `purpose`/`suite` whose 32 bytes are all `fill`
 * (wrapped under the KEK, then added the way a replica's apply does). */
static void fz_add_dek(uint32_t id, int purpose, const char *suite, uint8_t fill)
{
    uint8_t *raw = sodium_malloc(SKV_DEK_LEN), w[SKV_DEK_WRAPPED_LEN];
    struct skv_enc_err e = {0};
    int rc;
    if (!raw)
        fz_die("sodium_malloc", "out of memory");
    memset(raw, fill, SKV_DEK_LEN);
    rc = skv_keystore_wrap(fz_ks, purpose, id, suite, raw, w, &e);
    sodium_free(raw);
    if (rc == SKV_OK)
        rc = skv_keystore_add_wrapped(fz_ks, id, purpose, suite, w, sizeof w, &e);
    if (rc != SKV_OK)
        fz_die("add DEK", e.err.msg);
}

static void fz_cleanup(void)
{
    skv_keystore_free(fz_ks);
    fz_ks = NULL;
    if (fz_plugin)
        fz_plugin->fini(fz_cstate);
    fz_cstate = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    uint8_t raw[SKV_KEK_LEN];
    struct skv_kek *kek = NULL;
    struct skv_enc_err e = {0};
    struct skv_err err = {0};
    (void)argc;
    (void)argv;
    fz_plugin = sealkv_plugin_v1();
    if (fz_plugin->init(NULL, &fz_cstate, &err) != SKV_OK)
        fz_die("cipher-sodium init", err.msg);
    memset(raw, 0x77, sizeof raw);
    if (skv_kek_from_bytes(raw, sizeof raw, &kek, &e) != SKV_OK ||
        skv_keystore_new(fz_plugin->ops, fz_cstate, kek, &fz_ks, &e) != SKV_OK)
        fz_die("keystore", e.err.msg);
    fz_add_dek(FZ_STOR_ID, SKV_PURPOSE_STORAGE, "chacha20-poly1305", 0x51);
    fz_add_dek(FZ_RAFT_ID, SKV_PURPOSE_RAFT, "chacha20-poly1305", 0x52);
    if (crypto_aead_aes256gcm_is_available())
        fz_add_dek(FZ_AES_ID, SKV_PURPOSE_STORAGE, "aes-256-gcm", 0x53);
    atexit(fz_cleanup);
    return 0;
}

/* A refused call left a coherent error behind. */
static void fz_check_err(int rc, const struct skv_enc_err *e)
{
    FZ_CHECK(rc != SKV_OK);
    FZ_CHECK(e->err.code == rc);
    FZ_CHECK(e->why > SKV_ENC_OK && e->why < SKV_ENC_WHY_COUNT_);
    FZ_CHECK(skv_enc_errname(e->why) != NULL);
    FZ_CHECK(e->err.msg[0] != '\0');
}

/* Parse; returns 1 when it accepted (and checked *h), else 0. */
static int fz_parse(const uint8_t *in, size_t len, struct skv_envelope_hdr *h,
                    struct skv_enc_err *e)
{
    int v2 = len >= 1 && in[0] == SKV_ENVELOPE_V2;
    int bad_version = len >= 1 && in[0] != SKV_ENVELOPE_V1 && !v2;
    int too_short = len < (v2 ? SKV_ENVELOPE_V2_OVERHEAD : SKV_ENVELOPE_V1_OVERHEAD);
    int bad_flags = len >= 2 && (in[1] & ~SKV_ENVELOPE_FLAGS_KNOWN) != 0;
    int rc;
    memset(h, 0, sizeof *h);
    rc = skv_envelope_parse(in, len, h, e);
    if (rc != SKV_OK) {
        fz_check_err(rc, e);
        FZ_CHECK(rc == SKV_ERR_CORRUPT);
        FZ_CHECK((e->why == SKV_ENC_ENVELOPE_VERSION && bad_version) ||
                 (e->why == SKV_ENC_ENVELOPE_TOO_SHORT && too_short) ||
                 (e->why == SKV_ENC_ENVELOPE_FLAGS && bad_flags));
        return 0;
    }
    FZ_CHECK(!bad_version && !too_short && !bad_flags);
    FZ_CHECK(h->version == in[0] && h->flags == 0);
    FZ_CHECK(h->key_id == skv_get_be32(in + 2));
    FZ_CHECK(h->salt == (v2 ? in + 6 : NULL));
    FZ_CHECK(h->nonce == in + 6 + (v2 ? SKV_ENVELOPE_SALT_LEN : 0));
    FZ_CHECK(h->header_len == (v2 ? SKV_ENVELOPE_V2_HEADER_LEN : SKV_ENVELOPE_V1_HEADER_LEN));
    FZ_CHECK(h->overhead == h->header_len + SKV_ENVELOPE_TAG_LEN);
    return 1;
}

/* Open must refuse (any reason). */
static void fz_must_not_open(int purpose, const uint8_t *skey, size_t skey_len,
                             const uint8_t *in, size_t len)
{
    struct skv_enc_err e = {0};
    uint8_t *pt = (uint8_t *)&e;   /* must be reset to NULL */
    size_t pt_len = 1;
    int rc = skv_envelope_open(fz_ks, purpose, skey, skey_len, in, len, &pt,
                               &pt_len, &e);
    if (rc == SKV_OK)
        free(pt);
    FZ_CHECK(rc != SKV_OK);
    fz_check_err(rc, &e);
    FZ_CHECK(pt == NULL);
}

/* Seal pt again as the envelope h describes into out (pt may be at
 * out + h->header_len): v2 through skv_envelope_seal_salted, v1 (which no
 * API writes any more) with the DEK and the v1 AAD through the plugin. */
static int fz_reseal(const struct skv_dek *d, int purpose, const uint8_t *skey,
                     size_t skey_len, const struct skv_envelope_hdr *h,
                     const uint8_t *pt, size_t pt_len, uint8_t *out,
                     struct skv_enc_err *e)
{
    struct skv_err perr = {0};
    uint8_t *aad;
    size_t aad_len = 6 + (purpose == SKV_PURPOSE_STORAGE ? skey_len : 0);
    int rc;
    if (h->version == SKV_ENVELOPE_V2)
        return skv_envelope_seal_salted(fz_ks, purpose, h->key_id, h->salt, h->nonce,
                                        skey, skey_len, pt, pt_len, out, e);
    if (!(aad = malloc(aad_len)))
        fz_die("malloc", "out of memory");
    aad[0] = purpose == SKV_PURPOSE_STORAGE ? 'S' : 'R';
    aad[1] = SKV_ENVELOPE_V1;
    skv_put_be32(aad + 2, h->key_id);
    if (aad_len > 6)
        memcpy(aad + 6, skey, skey_len);
    memmove(out + SKV_ENVELOPE_V1_HEADER_LEN, pt, pt_len);
    out[0] = SKV_ENVELOPE_V1;
    out[1] = 0;
    skv_put_be32(out + 2, h->key_id);
    memmove(out + 6, h->nonce, SKV_ENVELOPE_NONCE_LEN);
    rc = skv_keystore_ops(fz_ks)->seal(d->handle, out + 6, SKV_ENVELOPE_NONCE_LEN, aad,
                                       aad_len, out + SKV_ENVELOPE_V1_HEADER_LEN, pt_len,
                                       out + SKV_ENVELOPE_V1_HEADER_LEN, &perr);
    free(aad);
    if (rc != SKV_OK)
        return skv_enc_fail(e, rc, SKV_ENC_CIPHER, "v1 re-seal: %s", perr.msg);
    return SKV_OK;
}

/* `in` opened under `purpose` into pt: everything that must follow. */
static void fz_opened(int purpose, const uint8_t *skey, size_t skey_len,
                      const uint8_t *in, size_t len,
                      const struct skv_envelope_hdr *h, const uint8_t *pt,
                      size_t pt_len)
{
    const struct skv_dek *d = skv_keystore_get(fz_ks, h->key_id);
    struct skv_enc_err e = {0};
    uint8_t *again = NULL, *buf, *skey2, *flip;
    size_t again_len = 0, bit;
    int rc;

    FZ_CHECK(d && d->key_id == h->key_id && d->purpose == purpose);
    FZ_CHECK(pt_len == len - h->overhead);

    /* Re-seal with the parsed key_id, salt and nonce: the same bytes. */
    if (!(again = malloc(len)))
        fz_die("malloc", "out of memory");
    again_len = len;
    rc = fz_reseal(d, purpose, skey, skey_len, h, pt, pt_len, again, &e);
    if (rc != SKV_OK)
        fz_die("re-seal", e.err.msg);
    FZ_CHECK(again_len == len && memcmp(again, in, len) == 0);
    free(again);

    /* In place (plaintext already at out + header). */
    if (!(buf = malloc(len)))
        fz_die("malloc", "out of memory");
    memcpy(buf + h->header_len, pt, pt_len);
    rc = fz_reseal(d, purpose, skey, skey_len, h, buf + h->header_len, pt_len, buf, &e);
    if (rc != SKV_OK)
        fz_die("in-place re-seal", e.err.msg);
    FZ_CHECK(memcmp(buf, in, len) == 0);

    /* One flipped bit anywhere (position picked from the input). */
    bit = (skv_get_be32(in + len - 4) ^ (uint32_t)len) % (len * 8);
    buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    fz_must_not_open(purpose, skey, skey_len, buf, len);
    free(buf);

    if (purpose != SKV_PURPOSE_STORAGE)
        return;
    /* The storage AAD binds the value to its key: longer, or changed. */
    if (!(skey2 = malloc(skey_len + 1)))
        fz_die("malloc", "out of memory");
    if (skey_len)
        memcpy(skey2, skey, skey_len);
    skey2[skey_len] = 0;
    fz_must_not_open(purpose, skey2, skey_len + 1, in, len);
    if (skey_len) {
        flip = skey2 + skey_len - 1;
        *flip ^= 0x01;
        fz_must_not_open(purpose, skey2, skey_len, in, len);
    }
    free(skey2);
}

/* Open under `purpose` and check the outcome against parse. */
static void fz_open(int purpose, const uint8_t *skey, size_t skey_len,
                    const uint8_t *in, size_t len, int parsed,
                    const struct skv_envelope_hdr *h,
                    const struct skv_enc_err *parse_err)
{
    struct skv_enc_err e = {0};
    uint8_t *pt = (uint8_t *)&e;   /* must be reset */
    size_t pt_len = 1;
    const struct skv_dek *d;
    char idbuf[16];
    int rc = skv_envelope_open(fz_ks, purpose, skey, skey_len, in, len, &pt,
                               &pt_len, &e);
    if (rc == SKV_OK) {
        FZ_CHECK(parsed);
        FZ_CHECK(pt != NULL);
        fz_opened(purpose, skey, skey_len, in, len, h, pt, pt_len);
        free(pt);
        return;
    }
    fz_check_err(rc, &e);
    FZ_CHECK(pt == NULL);
    if (!parsed) {
        FZ_CHECK(rc == parse_err->err.code && e.why == parse_err->why);
        return;
    }
    d = skv_keystore_get(fz_ks, h->key_id);
    if (!d) {
        FZ_CHECK(rc == SKV_ERR_NOTFOUND && e.why == SKV_ENC_UNKNOWN_KEY_ID);
        snprintf(idbuf, sizeof idbuf, "%u", h->key_id);
        FZ_CHECK(strstr(e.err.msg, idbuf) != NULL);
    } else if (d->purpose != purpose) {
        FZ_CHECK(rc == SKV_ERR_CORRUPT && e.why == SKV_ENC_ENVELOPE_PURPOSE);
    } else {
        FZ_CHECK(rc == SKV_ERR_INTEGRITY && e.why == SKV_ENC_ENVELOPE_INTEGRITY);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct skv_envelope_hdr h;
    struct skv_enc_err pe = {0};
    const uint8_t *skey, *env;
    size_t skey_len, env_len;
    int parsed;
    if (size < 1)
        return 0;
    skey_len = data[0];
    if (skey_len > size - 1)
        skey_len = size - 1;
    skey = data + 1;
    env = skey + skey_len;
    env_len = size - 1 - skey_len;
    parsed = fz_parse(env, env_len, &h, &pe);
    fz_open(SKV_PURPOSE_STORAGE, skey, skey_len, env, env_len, parsed, &h, &pe);
    fz_open(SKV_PURPOSE_RAFT, NULL, 0, env, env_len, parsed, &h, &pe);
    return 0;
}
