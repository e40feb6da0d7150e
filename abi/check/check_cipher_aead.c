/* SPDX-License-Identifier: MIT */
/*
 * check_cipher_aead.c — the AEAD behaviour of one 32/12/16 suite with a
 * random key: seal/open round trips out of place and in place, the empty
 * message, open() refusing with SKV_ERR_INTEGRITY (never another code,
 * output zeroed) every single-byte change of ciphertext, tag, AAD and
 * nonce, and a wrong key.
 */
#include "check_cipher.h"

#include <string.h>

#define PT_LEN 64
#define CT_LEN (PT_LEN + SKV_CIPHER_TAG_LEN)
#define AAD_LEN 13

struct msg {
    uint8_t nonce[SKV_CIPHER_NONCE_LEN];
    uint8_t aad[AAD_LEN];
    uint8_t pt[PT_LEN];
    uint8_t ct[CT_LEN];
};

static int all_zero(const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static int do_open(struct chk_suite *s, void *key, const struct msg *m, const uint8_t *ct,
                   uint8_t *out)
{
    struct skv_err e;
    memset(out, 0xa5, PT_LEN);
    return s->o->open(key, m->nonce, sizeof m->nonce, m->aad, sizeof m->aad, ct, CT_LEN, out,
                      &e);
}

static void round_trips(struct chk_suite *s, void *key, const struct msg *m)
{
    struct chk *c = s->c;
    struct skv_err e;
    uint8_t buf[CT_LEN], out[PT_LEN];
    int rc = do_open(s, key, m, m->ct, out);
    chk_expect(c, rc == SKV_OK && memcmp(out, m->pt, PT_LEN) == 0,
               "%s: out-of-place open of a sealed message: %s or wrong plaintext", s->name,
               skv_strerror(rc));
    memcpy(buf, m->pt, PT_LEN);
    rc = s->o->seal(key, m->nonce, 12, m->aad, AAD_LEN, buf, PT_LEN, buf, &e);
    chk_expect(c, rc == SKV_OK && memcmp(buf, m->ct, CT_LEN) == 0,
               "%s: in-place seal differs from out-of-place seal (%s)", s->name, skv_strerror(rc));
    rc = s->o->open(key, m->nonce, 12, m->aad, AAD_LEN, buf, CT_LEN, buf, &e);
    chk_expect(c, rc == SKV_OK && memcmp(buf, m->pt, PT_LEN) == 0,
               "%s: in-place open: %s or wrong plaintext", s->name, skv_strerror(rc));
    rc = s->o->seal(key, m->nonce, 12, NULL, 0, NULL, 0, buf, &e);
    if (chk_expect(c, rc == SKV_OK, "%s: seal of an empty message without AAD: %s", s->name,
                   skv_strerror(rc))) {
        rc = s->o->open(key, m->nonce, 12, NULL, 0, buf, SKV_CIPHER_TAG_LEN, out, &e);
        chk_expect(c, rc == SKV_OK, "%s: open of an empty message without AAD: %s", s->name,
                   skv_strerror(rc));
    }
}

/* open() of `m` with byte i of `area` (n bytes) flipped, for every i. */
static void tamper(struct chk_suite *s, void *key, struct msg *m, uint8_t *area, size_t n,
                   const char *what)
{
    uint8_t out[PT_LEN];
    size_t i, bad = 0, first = 0;
    int first_rc = SKV_OK, rc;
    for (i = 0; i < n; i++) {
        area[i] ^= (uint8_t)(1u << (i % 8));
        rc = do_open(s, key, m, m->ct, out);
        area[i] ^= (uint8_t)(1u << (i % 8));
        if (rc != SKV_ERR_INTEGRITY || !all_zero(out, PT_LEN)) {
            if (!bad++)
                first = i, first_rc = rc;
        }
    }
    chk_expect(s->c, bad == 0,
               "%s: tamper %s: %zu of %zu single-byte changes not rejected with "
               "SKV_ERR_INTEGRITY and a zeroed output (first: byte %zu, open returned %s)",
               s->name, what, bad, n, first, skv_strerror(first_rc));
}

static void wrong_key(struct chk_suite *s, const struct msg *m)
{
    struct skv_err e;
    uint8_t k[SKV_CIPHER_KEY_LEN], out[PT_LEN];
    void *other = NULL;
    int rc;
    if (s->o->random(s->state, k, sizeof k, &e) != SKV_OK ||
        s->o->key_new(s->state, s->name, k, sizeof k, &other, &e) != SKV_OK) {
        chk_fail(s->c, "%s: a second key: %s", s->name, e.msg);
        return;
    }
    rc = do_open(s, other, m, m->ct, out);
    chk_expect(s->c, rc == SKV_ERR_INTEGRITY && all_zero(out, PT_LEN),
               "%s: open with a wrong key returned %s, want SKV_ERR_INTEGRITY and a zeroed "
               "output", s->name, skv_strerror(rc));
    s->o->key_free(other);
}

void chk_cipher_aead(struct chk_suite *s, void *key)
{
    struct msg m;
    struct skv_err e;
    int rc;
    memset(&m, 0, sizeof m);
    if (s->o->random(s->state, m.pt, sizeof m.pt, &e) != SKV_OK ||
        s->o->random(s->state, m.aad, sizeof m.aad, &e) != SKV_OK ||
        s->o->random(s->state, m.nonce, sizeof m.nonce, &e) != SKV_OK) {
        chk_fail(s->c, "%s: random() failed: %s", s->name, e.msg);
        return;
    }
    rc = s->o->seal(key, m.nonce, 12, m.aad, AAD_LEN, m.pt, PT_LEN, m.ct, &e);
    if (!chk_expect(s->c, rc == SKV_OK, "%s: seal: %s (%s)", s->name, skv_strerror(rc), e.msg))
        return;
    chk_expect(s->c, memcmp(m.ct, m.pt, PT_LEN) != 0, "%s: ciphertext equals plaintext",
               s->name);
    round_trips(s, key, &m);
    tamper(s, key, &m, m.ct, PT_LEN, "ciphertext");
    tamper(s, key, &m, m.ct + PT_LEN, SKV_CIPHER_TAG_LEN, "tag");
    tamper(s, key, &m, m.aad, AAD_LEN, "AAD");
    tamper(s, key, &m, m.nonce, SKV_CIPHER_NONCE_LEN, "nonce");
    wrong_key(s, &m);
}
