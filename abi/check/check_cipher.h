/* SPDX-License-Identifier: MIT */
/*
 * check_cipher.h — one cipher suite under test (ops table, instance,
 * suite name) shared by the cipher checks of sealkv-plugin-check.
 */
#ifndef SKV_CHECK_CIPHER_H
#define SKV_CHECK_CIPHER_H

#include "check.h"

#include <sealkv/cipher.h>

struct chk_suite {
    struct chk *c;
    const struct skv_cipher_ops *o;
    void *state;
    const char *name;
};

/* check_cipher_aead.c: round trips, tamper of every byte, wrong key */
void chk_cipher_aead(struct chk_suite *s, void *key);

/* check_cipher_kek.c: the optional key provider (ABI 1.3) */
void chk_cipher_kek(struct chk *c, void *state);

#endif /* SKV_CHECK_CIPHER_H */
