/* SPDX-License-Identifier: MIT */
/*
 * check_cipher_kek.c — the cipher plugin's optional key provider (ABI
 * 1.3, <sealkv/cipher.h> "Key provider"): all four kek_* members or none;
 * when present, the refusals that need no provider at hand (a NULL
 * reference, a reference too small for its struct_size, an unknown
 * provider name) and kek_close(NULL). Opening a real KEK needs a token:
 * test_kek_pkcs11 does that for cipher-sodium against SoftHSM 2.
 */
#include "check_cipher.h"

#include <string.h>

static unsigned provider_members(const struct skv_cipher_ops *o)
{
    return (unsigned)SKV_HAS(o, struct skv_cipher_ops, kek_open) +
           (unsigned)SKV_HAS(o, struct skv_cipher_ops, kek_wrap) +
           (unsigned)SKV_HAS(o, struct skv_cipher_ops, kek_unwrap) +
           (unsigned)SKV_HAS(o, struct skv_cipher_ops, kek_close);
}

static void open_refused(struct chk *c, const struct skv_cipher_ops *o, void *state,
                         const struct skv_cipher_kek_ref *ref, int want, const char *what)
{
    struct skv_err e;
    char id[SKV_CIPHER_KEK_ID_LEN + 1];
    void *h = NULL;
    int failed = -1, rc;
    memset(&e, 0, sizeof e);
    rc = o->kek_open(state, ref, &h, id, &failed, &e);
    if (rc == SKV_OK)
        o->kek_close(h);
    chk_expect(c, rc == want && h == NULL, "key provider: kek_open(%s) returned %s, want %s",
               what, skv_strerror(rc), skv_strerror(want));
}

void chk_cipher_kek(struct chk *c, void *state)
{
    const struct skv_cipher_ops *o = c->desc->ops;
    struct skv_cipher_kek_ref ref;
    unsigned n = provider_members(o);
    if (n == 0) {
        chk_ok(c, "no key provider (optional, ABI 1.3)");
        return;
    }
    if (!chk_expect(c, n == 4, "key provider incomplete: %u of kek_open, kek_wrap, "
                               "kek_unwrap, kek_close set (all four or none)", n))
        return;
    memset(&ref, 0, sizeof ref);
    ref.struct_size = sizeof ref;
    ref.provider = "no-such-provider";
    ref.module = ref.token_label = ref.key_label = "x";
    open_refused(c, o, state, NULL, SKV_ERR_INVALID, "NULL reference");
    ref.struct_size = 8;
    open_refused(c, o, state, &ref, SKV_ERR_INVALID, "reference struct_size 8");
    ref.struct_size = sizeof ref;
    open_refused(c, o, state, &ref, SKV_ERR_UNSUPPORTED, "unknown provider");
    o->kek_close(NULL);
    chk_ok(c, "key provider: all four members, refusals without a provider at hand");
}
