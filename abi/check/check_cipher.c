/* SPDX-License-Identifier: MIT */
/*
 * check_cipher.c — the cipher kind: every suite the plugin lists is
 * described sanely; each available 32/12/16 suite passes its known-answer
 * vectors (check_cipher_kat.c), the AEAD checks (check_cipher_aead.c) and
 * the argument checks the header makes SKV_ERR_INVALID/NOTFOUND; an
 * unavailable suite refuses keys with SKV_ERR_UNSUPPORTED; random() fills
 * and differs between calls; the key provider (check_cipher_kek.c).
 */
#include "check_cipher.h"

#include <string.h>

static void arg_checks(struct chk_suite *s, void *key)
{
    struct chk *c = s->c;
    struct skv_err e;
    uint8_t k[SKV_CIPHER_KEY_LEN] = {0}, n[SKV_CIPHER_NONCE_LEN] = {0};
    uint8_t buf[SKV_CIPHER_TAG_LEN + 8] = {0};
    void *h = NULL;
    int rc;
#define ARG(expr, want, what)                                                     \
    do {                                                                          \
        rc = (expr);                                                              \
        chk_expect(c, rc == (want), "%s: %s returned %s, want %s", s->name, what, \
                   skv_strerror(rc), skv_strerror(want));                         \
    } while (0)
    ARG(s->o->key_new(s->state, s->name, k, 31, &h, &e), SKV_ERR_INVALID, "key_new(31-byte key)");
    ARG(s->o->key_new(s->state, s->name, k, 0, &h, &e), SKV_ERR_INVALID, "key_new(0-byte key)");
    ARG(s->o->key_new(s->state, "no-such-suite", k, 32, &h, &e), SKV_ERR_NOTFOUND,
        "key_new(unknown suite)");
    ARG(s->o->seal(key, n, 11, NULL, 0, buf, 8, buf, &e), SKV_ERR_INVALID, "seal(11-byte nonce)");
    ARG(s->o->seal(key, n, 0, NULL, 0, buf, 8, buf, &e), SKV_ERR_INVALID, "seal(0-byte nonce)");
    ARG(s->o->open(key, n, 13, NULL, 0, buf, sizeof buf, buf, &e), SKV_ERR_INVALID,
        "open(13-byte nonce)");
    ARG(s->o->open(key, n, 12, NULL, 0, buf, SKV_CIPHER_TAG_LEN - 1, buf, &e), SKV_ERR_INVALID,
        "open(ciphertext shorter than the tag)");
    ARG(s->o->open(key, n, 12, NULL, 0, buf, 0, buf, &e), SKV_ERR_INVALID,
        "open(0-byte ciphertext)");
#undef ARG
    s->o->key_free(NULL);
}

static void run_suite(struct chk_suite *s)
{
    struct skv_err e;
    uint8_t k[SKV_CIPHER_KEY_LEN];
    void *key = NULL;
    unsigned kats;
    int rc;
    if ((rc = s->o->random(s->state, k, sizeof k, &e)) != SKV_OK ||
        (rc = s->o->key_new(s->state, s->name, k, sizeof k, &key, &e)) != SKV_OK) {
        chk_fail(s->c, "%s: random key: %s (%s)", s->name, skv_strerror(rc), e.msg);
        return;
    }
    kats = chk_cipher_kat(s->c, s->o, s->state, s->name);
    chk_cipher_aead(s, key);
    arg_checks(s, key);
    s->o->key_free(key);
    chk_ok(s->c, "%s: %u known-answer vector(s), round trips, tamper, arguments", s->name,
           kats);
}

static void unavailable(struct chk_suite *s)
{
    struct skv_err e;
    uint8_t k[SKV_CIPHER_KEY_LEN] = {0};
    void *key = NULL;
    int rc = s->o->key_new(s->state, s->name, k, sizeof k, &key, &e);
    if (rc == SKV_OK)
        s->o->key_free(key);
    chk_expect(s->c, rc == SKV_ERR_UNSUPPORTED,
               "%s: listed unavailable but key_new returned %s, want SKV_ERR_UNSUPPORTED",
               s->name, skv_strerror(rc));
}

static void random_checks(struct chk *c, const struct skv_cipher_ops *o, void *state)
{
    struct skv_err e;
    uint8_t a[32], b[32], zero[32] = {0};
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    if (!chk_expect(c, o->random(state, a, sizeof a, &e) == SKV_OK &&
                           o->random(state, b, sizeof b, &e) == SKV_OK,
                    "random() failed: %s", e.msg))
        return;
    chk_expect(c, memcmp(a, zero, sizeof a) != 0 && memcmp(b, zero, sizeof b) != 0,
               "random() left the buffer zero");
    chk_expect(c, memcmp(a, b, sizeof a) != 0, "random() returned the same bytes twice");
}

static void one_suite(struct chk *c, const struct skv_cipher_ops *o, void *state, unsigned i,
                      unsigned *usable)
{
    struct skv_cipher_suite su;
    struct chk_suite s = {c, o, state, NULL};
    memset(&su, 0, sizeof su);
    su.struct_size = sizeof su;
    if (!chk_expect(c, o->suite_get(state, i, &su) == SKV_OK && su.name && su.name[0],
                    "suite_get(%u) failed or gave no name", i))
        return;
    s.name = su.name;
    if (su.key_len != SKV_CIPHER_KEY_LEN || su.nonce_len != SKV_CIPHER_NONCE_LEN ||
        su.tag_len != SKV_CIPHER_TAG_LEN) {
        chk_ok(c, "%s: %u/%u/%u, not 32/12/16: never selected by the core, not checked",
               su.name, su.key_len, su.nonce_len, su.tag_len);
        return;
    }
    if (!su.available) {
        unavailable(&s);
        return;
    }
    ++*usable;
    run_suite(&s);
}

void chk_cipher(struct chk *c, void *state)
{
    const struct skv_cipher_ops *o = c->desc->ops;
    struct skv_cipher_suite su;
    unsigned i, n, usable = 0;
    if (!chk_expect(c, o->struct_size >= sizeof *o && o->suite_count && o->suite_get &&
                           o->key_new && o->key_free && o->seal && o->open && o->random,
                    "cipher ops table smaller than 1.0 or a required op is NULL"))
        return;
    n = o->suite_count(state);
    chk_expect(c, n > 0, "suite_count() is 0");
    for (i = 0; i < n; i++)
        one_suite(c, o, state, i, &usable);
    memset(&su, 0, sizeof su);
    su.struct_size = sizeof su;
    chk_expect(c, o->suite_get(state, n, &su) != SKV_OK, "suite_get(%u) past the end succeeded",
               n);
    chk_expect(c, usable > 0, "no available suite with 32/12/16 byte key/nonce/tag: the core "
                              "cannot use this plugin");
    random_checks(c, o, state);
    chk_cipher_kek(c, state);
}
