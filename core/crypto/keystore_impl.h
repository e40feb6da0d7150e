/* SPDX-License-Identifier: MIT */
/*
 * keystore_impl.h — private: the keystore struct shared by keystore.c
 * (table, lifecycle), dek_wrap.c (KEK wrap/unwrap, suite checks) and
 * keystore_sub.c (envelope v2 subkeys and their cache).
 */
#ifndef SKV_KEYSTORE_IMPL_H
#define SKV_KEYSTORE_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "crypto/keystore.h"

struct skv_keystore {
    const struct skv_cipher_ops *ops;
    void *cstate;
    /* kek_ring.c: the KEKs this node holds, append-only until free (one
     * writer, the loop thread; readers load n_keks first); cur_kek is the
     * one new wraps use, the others only unwrap. */
    struct skv_kek *keks[SKV_KEK_RING_MAX];
    _Atomic size_t n_keks;
    _Atomic size_t cur_kek;
    pthread_rwlock_t lock;      /* guards deks/n/cap */
    struct skv_dek **deks;      /* entries never move or go before free */
    size_t n, cap;
    struct skv_subcache *sub;   /* keystore_sub.c: (key_id, salt) → subkey */
};

/* keystore_sub.c: the cache's life (NULL on OOM) and end. */
struct skv_subcache *skv_subcache_new(void);
void skv_subcache_free(struct skv_keystore *ks, struct skv_subcache *c);
/* keystore_sub.c: unlist every cached subkey of key_id (retire). */
void skv_subcache_forget(struct skv_keystore *ks, uint32_t key_id);

/* keystore_sub.c: draw this process's salt for the DEK whose raw bytes
 * are `raw` and prepare its seal subkey (d->salt, d->seal_handle; d's
 * key_id, purpose and suite already set). */
int skv_dek_seal_subkey(struct skv_keystore *ks, struct skv_dek *d, const uint8_t *raw,
                        struct skv_enc_err *e);

/* purpose is storage/raft, key_id non-zero, suite a short non-empty name. */
int skv_dek_check_ids(int purpose, uint32_t key_id, const char *suite,
                      struct skv_enc_err *e);
/* skv_dek_check_ids, and wrapped_len is SKV_DEK_WRAPPED_LEN. */
int skv_dek_check_wrapped(int purpose, uint32_t key_id, const char *suite,
                          size_t wrapped_len, struct skv_enc_err *e);

/* The plugin runs `suite` here with 32-byte keys, 12-byte nonces and
 * 16-byte tags (envelopes v1/v2 and the wrapped form need exactly that). */
int skv_dek_check_suite(struct skv_keystore *ks, const char *suite,
                        struct skv_enc_err *e);

/* dek_wrap.c: unwrap under the KEKs held, the current one first; on
 * success *opener (may be NULL) is the KEK that opened it. */
int skv_dek_unwrap_any(struct skv_keystore *ks, int purpose, uint32_t key_id,
                       const char *suite, const uint8_t *wrapped, size_t wrapped_len,
                       uint8_t *dek_out, const struct skv_kek **opener,
                       struct skv_enc_err *e);
/* dek_wrap.c: wrap under one given KEK. */
int skv_dek_wrap_under(struct skv_keystore *ks, const struct skv_kek *kek, int purpose,
                       uint32_t key_id, const char *suite, const uint8_t *dek,
                       uint8_t wrapped[SKV_DEK_WRAPPED_LEN], struct skv_enc_err *e);
/* kek_ring.c: the current KEK; the KEK with this id or NULL. */
const struct skv_kek *skv_ring_current(struct skv_keystore *ks);
const struct skv_kek *skv_ring_find(struct skv_keystore *ks, const char *kek_id);
/* kek_ring.c: free every KEK (keystore free). */
void skv_ring_free(struct skv_keystore *ks);

#endif /* SKV_KEYSTORE_IMPL_H */
