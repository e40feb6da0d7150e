/* SPDX-License-Identifier: MIT */
/*
 * enc_names.c — the node's name key (enc.h, crypto/names.h): derived
 * from the storage DEK the sidecar names (names.key_id) the first time
 * it is needed, kept in sodium_malloc memory, wiped at close. A new
 * sidecar naming another key (a snapshot adopted) derives again.
 */
#include "enc/enc.h"
#include "crypto/names.h"

#include <sodium.h>

void skv_enc_names_forget(struct skv_enc *enc)
{
    sodium_free(enc->names_key); /* wipes; NULL is a no-op */
    enc->names_key = NULL;
    enc->names_key_for = 0;
}

const uint8_t *skv_enc_names_key(struct skv_enc *enc, struct skv_enc_err *e)
{
    uint32_t id = enc->sc.names_key_id;
    if (!skv_enc_names_sealed(enc) || id == 0) {
        skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT, "key names are not sealed");
        return NULL;
    }
    if (enc->names_key && enc->names_key_for == id)
        return enc->names_key;
    skv_enc_names_forget(enc);
    if (!(enc->names_key = sodium_malloc(SKV_NAMES_KEY_LEN))) {
        skv_enc_fail(e, SKV_ERR_NOMEM, SKV_ENC_NOMEM, "names: out of secure memory");
        return NULL;
    }
    if (skv_names_key_derive(enc->ks, id, enc->names_key, e) != SKV_OK) {
        skv_enc_names_forget(enc);
        return NULL;
    }
    enc->names_key_for = id;
    return enc->names_key;
}
