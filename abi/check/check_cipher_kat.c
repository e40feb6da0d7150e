/* SPDX-License-Identifier: MIT */
/*
 * check_cipher_kat.c — published known-answer vectors, typed in as data:
 *   aes-256-gcm: "The Galois/Counter Mode of Operation" (McGrew, Viega),
 *     test case 16 (256-bit key, 96-bit IV, 20-byte AAD, 60-byte text);
 *   chacha20-poly1305: RFC 8439 §2.8.2.
 * Each is sealed (out of place and in place) and compared byte for byte,
 * then opened back.
 */
#include "check_cipher.h"

#include <stdlib.h>
#include <string.h>

struct kat {
    const char *suite, *source;
    const char *key, *nonce, *aad, *pt, *ct_tag; /* hex; pt may be text */
    int pt_is_text;
};

static const struct kat kats[] = {
    {"aes-256-gcm", "GCM spec test case 16",
     "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
     "76fc6ece0f4e1768cddf8853bb2d551b",
     0},
    {"chacha20-poly1305", "RFC 8439 2.8.2",
     "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
     "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
     "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for "
     "the future, sunscreen would be it.",
     "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
     "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
     "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
     "3ff4def08e4b7a9de576d26586cec64b6116"
     "1ae10b594f09e26a7e902ecbd0600691",
     1},
};

#define KAT_MAX 160

struct bytes {
    uint8_t b[KAT_MAX];
    size_t n;
};

static void unhex(const char *h, struct bytes *out)
{
    out->n = 0;
    while (h[0] && h[1] && out->n < KAT_MAX) {
        char two[3] = {h[0], h[1], 0};
        out->b[out->n++] = (uint8_t)strtoul(two, NULL, 16);
        h += 2;
    }
}

static void run_kat(struct chk_suite *s, const struct kat *k, void *key)
{
    struct bytes n, a, p, want;
    uint8_t buf[KAT_MAX + SKV_CIPHER_TAG_LEN];
    struct skv_err e;
    int rc;
    unhex(k->nonce, &n);
    unhex(k->aad, &a);
    unhex(k->ct_tag, &want);
    if (k->pt_is_text)
        p.n = strlen(k->pt), memcpy(p.b, k->pt, p.n);
    else
        unhex(k->pt, &p);
    rc = s->o->seal(key, n.b, n.n, a.b, a.n, p.b, p.n, buf, &e);
    chk_expect(s->c, rc == SKV_OK && want.n == p.n + 16 && memcmp(buf, want.b, want.n) == 0,
               "%s: known answer (%s): seal gave %s or other bytes", s->name, k->source,
               skv_strerror(rc));
    memcpy(buf, p.b, p.n);
    rc = s->o->seal(key, n.b, n.n, a.b, a.n, buf, p.n, buf, &e);
    chk_expect(s->c, rc == SKV_OK && memcmp(buf, want.b, want.n) == 0,
               "%s: known answer (%s): in-place seal gave %s or other bytes", s->name, k->source,
               skv_strerror(rc));
    rc = s->o->open(key, n.b, n.n, a.b, a.n, want.b, want.n, buf, &e);
    chk_expect(s->c, rc == SKV_OK && memcmp(buf, p.b, p.n) == 0,
               "%s: known answer (%s): open gave %s or other bytes", s->name, k->source,
               skv_strerror(rc));
}

unsigned chk_cipher_kat(struct chk *c, const struct skv_cipher_ops *o, void *state,
                        const char *suite)
{
    struct chk_suite s = {c, o, state, suite};
    struct bytes kb;
    struct skv_err e;
    void *key = NULL;
    unsigned i, ran = 0;
    int rc;
    for (i = 0; i < sizeof kats / sizeof kats[0]; i++) {
        if (strcmp(kats[i].suite, suite) != 0)
            continue;
        unhex(kats[i].key, &kb);
        rc = o->key_new(state, suite, kb.b, kb.n, &key, &e);
        if (!chk_expect(c, rc == SKV_OK, "%s: key_new for %s: %s", suite, kats[i].source,
                        skv_strerror(rc)))
            continue;
        run_kat(&s, &kats[i], key);
        o->key_free(key);
        ran++;
    }
    return ran;
}
