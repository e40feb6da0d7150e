/* SPDX-License-Identifier: MIT */
/*
 * enc_fx.h — shared fixture for the encryption-layer suites: the real
 * cipher-sodium plugin loaded through the core loader, keystores over it
 * with a KEK of known bytes, and small assertion helpers.
 */
#ifndef SKV_ENC_FX_H
#define SKV_ENC_FX_H

#include "skv_test.h"
#include "plugin/loader.h"
#include "config/config.h"
#include "crypto/keystore.h"

#include <sealkv/cipher.h>
#include <sodium.h>

struct enc_fx {
    struct skv_conf_plugin conf;
    char name[16];
    struct skv_plugin_inst *inst;
    const struct skv_cipher_ops *ops;
    void *state;
    int aes_ok;
};

static inline int enc_fx_load(struct enc_fx *f)
{
    struct skv_err err = {0};
    memset(f, 0, sizeof *f);
    if (sodium_init() < 0)
        return -1;
    f->aes_ok = crypto_aead_aes256gcm_is_available();
    strcpy(f->name, "sodium");
    f->conf.name = f->name;
    if (skv_plugin_load(SKV_KIND_CIPHER, &f->conf, NULL, NULL, 0, NULL, &f->inst,
                        &err) != SKV_OK) {
        fprintf(stderr, "cannot load cipher-sodium: %s\n", err.msg);
        return -1;
    }
    f->ops = skv_plugin_ops(f->inst);
    f->state = skv_plugin_state(f->inst);
    return 0;
}

static inline void enc_fx_unload(struct enc_fx *f)
{
    skv_plugin_unload(f->inst);
    f->inst = NULL;
}

/* A keystore whose KEK is 32 bytes of `fill`. */
static inline struct skv_keystore *enc_fx_keystore_ops(const struct skv_cipher_ops *ops,
                                                       void *state, uint8_t fill)
{
    uint8_t raw[SKV_KEK_LEN];
    struct skv_kek *kek = NULL;
    struct skv_keystore *ks = NULL;
    struct skv_enc_err e;
    memset(raw, fill, sizeof raw);
    if (skv_kek_from_bytes(raw, sizeof raw, &kek, &e) != SKV_OK ||
        skv_keystore_new(ops, state, kek, &ks, &e) != SKV_OK) {
        fprintf(stderr, "keystore: %s\n", e.err.msg);
        return NULL;
    }
    return ks;
}

static inline struct skv_keystore *enc_fx_keystore(struct enc_fx *f, uint8_t fill)
{
    return enc_fx_keystore_ops(f->ops, f->state, fill);
}

/* Suites this machine runs (chacha always; AES-GCM with AES-NI). */
static inline unsigned enc_fx_suites(const struct enc_fx *f, const char *out[2])
{
    unsigned n = 0;
    out[n++] = "chacha20-poly1305";
    if (f->aes_ok)
        out[n++] = "aes-256-gcm";
    return n;
}

/* 1 when `frag` is NULL or occurs in `msg` (else says what is missing). */
static inline int enc_msg_has(const char *msg, const char *frag)
{
    if (!frag || strstr(msg, frag))
        return 1;
    fprintf(stderr, "\nmessage '%s' lacks '%s'\n", msg, frag);
    return 0;
}

/* rc, err code, why and (optionally) a message fragment all agree. */
#define ENC_ASSERT_ERR(rc_expr, e, want_rc, want_why, frag)                    \
    do {                                                                        \
        int rc_ = (rc_expr);                                                    \
        CU_ASSERT_EQUAL(rc_, (want_rc));                                        \
        CU_ASSERT_EQUAL((e).err.code, (want_rc));                               \
        CU_ASSERT_EQUAL((e).why, (want_why));                                   \
        CU_ASSERT(enc_msg_has((e).err.msg, (frag)));                            \
    } while (0)

#endif /* SKV_ENC_FX_H */
