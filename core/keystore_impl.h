/*
 * keystore_impl.h — private: the keystore struct shared by keystore.c
 * (table, lifecycle) and dek_wrap.c (KEK wrap/unwrap, suite checks).
 */
#ifndef SKV_KEYSTORE_IMPL_H
#define SKV_KEYSTORE_IMPL_H

#include <pthread.h>

#include "keystore.h"

struct skv_keystore {
    const struct skv_cipher_ops *ops;
    void *cstate;
    struct skv_kek *kek;
    pthread_rwlock_t lock;      /* guards deks/n/cap */
    struct skv_dek **deks;      /* entries never move or go before free */
    size_t n, cap;
};

/* purpose is storage/raft, key_id non-zero, suite a short non-empty name. */
int skv_dek_check_ids(int purpose, uint32_t key_id, const char *suite,
                      struct skv_enc_err *e);

/* The plugin runs `suite` here with 32-byte keys, 12-byte nonces and
 * 16-byte tags (envelope v1 and the wrapped form need exactly that). */
int skv_dek_check_suite(struct skv_keystore *ks, const char *suite,
                        struct skv_enc_err *e);

#endif /* SKV_KEYSTORE_IMPL_H */
