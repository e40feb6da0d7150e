/* SPDX-License-Identifier: MIT */
/*
 * keystore.c — the keystore's lifecycle and its DEK table: add a wrapped
 * DEK (unwrap, plugin key_new, this process's v2 salt and seal subkey,
 * wipe the raw bytes), look one up by key_id, and generate a fresh
 * wrapped DEK on the leader.
 */
#include "crypto/keystore_impl.h"
#include "util/bytes.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_ID_ATTEMPTS 64

static int ops_complete(const struct skv_cipher_ops *o)
{
    return o && SKV_HAS(o, struct skv_cipher_ops, suite_count) &&
           SKV_HAS(o, struct skv_cipher_ops, suite_get) &&
           SKV_HAS(o, struct skv_cipher_ops, key_new) &&
           SKV_HAS(o, struct skv_cipher_ops, key_free) &&
           SKV_HAS(o, struct skv_cipher_ops, seal) &&
           SKV_HAS(o, struct skv_cipher_ops, open) &&
           SKV_HAS(o, struct skv_cipher_ops, random);
}

int skv_keystore_new(const struct skv_cipher_ops *ops, void *cstate,
                     struct skv_kek *kek, struct skv_keystore **out,
                     struct skv_enc_err *e)
{
    struct skv_keystore *ks;
    if (out)
        *out = NULL;
    if (!out || !kek || !ops_complete(ops)) {
        skv_kek_free(kek);
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "keystore: missing KEK, output or complete cipher ops");
    }
    if (!(ks = calloc(1, sizeof *ks)) || !(ks->sub = skv_subcache_new()) ||
        pthread_rwlock_init(&ks->lock, NULL) != 0) {
        if (ks)
            skv_subcache_free(ks, ks->sub);
        free(ks);
        skv_kek_free(kek);
        return skv_enc_fail(e, SKV_ERR_NOMEM, SKV_ENC_NOMEM, "keystore: out of memory");
    }
    ks->ops = ops;
    ks->cstate = cstate;
    ks->keks[0] = kek;   /* the current KEK; kek_ring.c adds the others */
    atomic_store(&ks->n_keks, 1);
    atomic_store(&ks->cur_kek, 0);
    *out = ks;
    skv_enc_err_clear(e);
    return SKV_OK;
}

void skv_keystore_free(struct skv_keystore *ks)
{
    size_t i;
    if (!ks)
        return;
    skv_subcache_free(ks, ks->sub);
    for (i = 0; i < ks->n; i++) {
        ks->ops->key_free(ks->deks[i]->seal_handle);
        ks->ops->key_free(ks->deks[i]->handle);
        sodium_memzero(ks->deks[i], sizeof *ks->deks[i]);
        free(ks->deks[i]);
    }
    free(ks->deks);
    skv_ring_free(ks);
    pthread_rwlock_destroy(&ks->lock);
    sodium_memzero(ks, sizeof *ks);
    free(ks);
}

const struct skv_cipher_ops *skv_keystore_ops(const struct skv_keystore *ks)
{
    return ks ? ks->ops : NULL;
}

/* Caller holds the lock. */
static struct skv_dek *find_locked(struct skv_keystore *ks, uint32_t key_id)
{
    size_t i;
    for (i = 0; i < ks->n; i++)
        if (ks->deks[i]->key_id == key_id)
            return ks->deks[i];
    return NULL;
}

const struct skv_dek *skv_keystore_get(struct skv_keystore *ks, uint32_t key_id)
{
    const struct skv_dek *d;
    if (!ks || key_id == 0)
        return NULL;
    pthread_rwlock_rdlock(&ks->lock);
    d = find_locked(ks, key_id);
    pthread_rwlock_unlock(&ks->lock);
    return d && !atomic_load(&d->forgotten) ? d : NULL;
}

int skv_keystore_forget(struct skv_keystore *ks, uint32_t key_id)
{
    struct skv_dek *d;
    if (!ks)
        return SKV_ERR_NOTFOUND;
    pthread_rwlock_rdlock(&ks->lock);
    d = find_locked(ks, key_id);
    if (d)
        atomic_store(&d->forgotten, 1);
    pthread_rwlock_unlock(&ks->lock);
    if (d)
        skv_subcache_forget(ks, key_id);
    return d ? SKV_OK : SKV_ERR_NOTFOUND;
}

/* Different wrapped bytes of the same key_id: the same DEK under another
 * KEK or nonce (a node that rewrapped)? 1 yes, 0 no or not unwrappable. */
static int same_raw(struct skv_keystore *ks, const struct skv_dek *old, const uint8_t *wrapped)
{
    uint8_t *a = sodium_malloc(SKV_DEK_LEN), *b = sodium_malloc(SKV_DEK_LEN);
    int same = a && b &&
        skv_dek_unwrap_any(ks, old->purpose, old->key_id, old->suite, old->wrapped,
                           SKV_DEK_WRAPPED_LEN, a, NULL, NULL) == SKV_OK &&
        skv_dek_unwrap_any(ks, old->purpose, old->key_id, old->suite, wrapped,
                           SKV_DEK_WRAPPED_LEN, b, NULL, NULL) == SKV_OK &&
        sodium_memcmp(a, b, SKV_DEK_LEN) == 0;
    if (a)
        sodium_free(a);   /* wipes */
    if (b)
        sodium_free(b);
    return same;
}

/* An existing entry for the same key_id: identical → no-op, else conflict. */
static int same_dek(struct skv_keystore *ks, const struct skv_dek *old, int purpose,
                    const char *suite, const uint8_t *wrapped, struct skv_enc_err *e)
{
    if (old->purpose == purpose && strcmp(old->suite, suite) == 0 &&
        (memcmp(old->wrapped, wrapped, SKV_DEK_WRAPPED_LEN) == 0 ||
         same_raw(ks, old, wrapped))) {
        skv_enc_err_clear(e);
        return SKV_OK;
    }
    return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_DEK_CONFLICT,
                        "DEK key_id %u is already held with a different purpose, "
                        "suite or wrapped key", old->key_id);
}

/* Unwrap into secure memory, hand it to key_new, wipe it. */
static int dek_prepare(struct skv_keystore *ks, uint32_t key_id, int purpose,
                       const char *suite, const uint8_t *wrapped,
                       struct skv_dek **out, struct skv_enc_err *e)
{
    struct skv_err perr = {0};
    const struct skv_kek *opener = NULL;
    struct skv_dek *d;
    uint8_t *raw;
    int rc;
    *out = NULL;
    if (!(d = calloc(1, sizeof *d)) || !(raw = sodium_malloc(SKV_DEK_LEN))) {
        free(d);
        return skv_enc_fail(e, SKV_ERR_NOMEM, SKV_ENC_NOMEM, "DEK: out of memory");
    }
    d->key_id = key_id;
    d->purpose = purpose;
    strcpy(d->suite, suite);   /* length checked by skv_dek_check_ids */
    memcpy(d->wrapped, wrapped, SKV_DEK_WRAPPED_LEN);
    rc = skv_dek_unwrap_any(ks, purpose, key_id, suite, wrapped, SKV_DEK_WRAPPED_LEN, raw,
                            &opener, e);
    if (rc == SKV_OK)
        snprintf(d->kek_id, sizeof d->kek_id, "%s", skv_kek_id(opener));
    if (rc == SKV_OK &&
        (rc = ks->ops->key_new(ks->cstate, suite, raw, SKV_DEK_LEN, &d->handle,
                               &perr)) != SKV_OK)
        skv_enc_fail(e, rc, SKV_ENC_CIPHER, "DEK key_id %u: %s", key_id, perr.msg);
    if (rc == SKV_OK && (rc = skv_dek_seal_subkey(ks, d, raw, e)) != SKV_OK)
        ks->ops->key_free(d->handle);
    sodium_free(raw);   /* wipes */
    if (rc != SKV_OK) {
        sodium_memzero(d, sizeof *d);
        free(d);
        return rc;
    }
    *out = d;
    return SKV_OK;
}

/* Append `d` unless another thread added the key_id meanwhile. */
static int insert(struct skv_keystore *ks, struct skv_dek *d, struct skv_enc_err *e)
{
    struct skv_dek *old;
    int rc = SKV_OK;
    pthread_rwlock_wrlock(&ks->lock);
    if ((old = find_locked(ks, d->key_id))) {
        rc = same_dek(ks, old, d->purpose, d->suite, d->wrapped, e);
    } else if (ks->n == ks->cap) {
        size_t cap = ks->cap ? ks->cap * 2 : 8;
        struct skv_dek **p = realloc(ks->deks, cap * sizeof *p);
        if (!p)
            rc = skv_enc_fail(e, SKV_ERR_NOMEM, SKV_ENC_NOMEM, "keystore: out of memory");
        else {
            ks->deks = p;
            ks->cap = cap;
        }
    }
    if (rc == SKV_OK && !old) {
        ks->deks[ks->n++] = d;
        d = NULL;
    }
    pthread_rwlock_unlock(&ks->lock);
    if (d) {   /* not inserted */
        ks->ops->key_free(d->seal_handle);
        ks->ops->key_free(d->handle);
        sodium_memzero(d, sizeof *d);
        free(d);
    }
    return rc;
}

/* A forgotten DEK added again with the same key (retire: a snapshot that
 * still carries it): findable again. 1 if `key_id` was a forgotten entry. */
static int revive(struct skv_keystore *ks, uint32_t key_id, int purpose, const char *suite,
                  const uint8_t *wrapped, int *rc, struct skv_enc_err *e)
{
    struct skv_dek *d;
    pthread_rwlock_rdlock(&ks->lock);
    d = find_locked(ks, key_id);
    pthread_rwlock_unlock(&ks->lock);
    if (!d || !atomic_load(&d->forgotten))
        return 0;
    if ((*rc = same_dek(ks, d, purpose, suite, wrapped, e)) == SKV_OK)
        atomic_store(&d->forgotten, 0);
    return 1;
}

size_t skv_keystore_count(struct skv_keystore *ks)
{
    size_t n;
    if (!ks)
        return 0;
    pthread_rwlock_rdlock(&ks->lock);
    n = ks->n;
    pthread_rwlock_unlock(&ks->lock);
    return n;
}

int skv_keystore_add_wrapped(struct skv_keystore *ks, uint32_t key_id, int purpose,
                             const char *suite, const uint8_t *wrapped,
                             size_t wrapped_len, struct skv_enc_err *e)
{
    const struct skv_dek *old;
    struct skv_dek *d;
    int rc;
    if (!ks || !wrapped)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "keystore add: NULL argument");
    if ((rc = skv_dek_check_wrapped(purpose, key_id, suite, wrapped_len, e)) != SKV_OK)
        return rc;
    if ((old = skv_keystore_get(ks, key_id)))
        return same_dek(ks, old, purpose, suite, wrapped, e);
    if (revive(ks, key_id, purpose, suite, wrapped, &rc, e))
        return rc;
    if ((rc = dek_prepare(ks, key_id, purpose, suite, wrapped, &d, e)) != SKV_OK)
        return rc;
    if ((rc = insert(ks, d, e)) == SKV_OK)
        skv_enc_err_clear(e);
    return rc;
}

/* A random key_id that is non-zero and not held yet. */
static int pick_key_id(struct skv_keystore *ks, uint32_t *id, struct skv_enc_err *e)
{
    struct skv_err perr = {0};
    uint8_t b[4];
    int i, rc;
    for (i = 0; i < KEY_ID_ATTEMPTS; i++) {
        if ((rc = ks->ops->random(ks->cstate, b, sizeof b, &perr)) != SKV_OK)
            return skv_enc_fail(e, rc, SKV_ENC_CIPHER, "CSPRNG: %s", perr.msg);
        *id = skv_get_be32(b);
        if (*id != 0 && !skv_keystore_get(ks, *id))
            return SKV_OK;
    }
    return skv_enc_fail(e, SKV_ERR_INTERNAL, SKV_ENC_CIPHER,
                        "no fresh key_id after %d random draws: broken CSPRNG?",
                        KEY_ID_ATTEMPTS);
}

int skv_keystore_new_dek(struct skv_keystore *ks, int purpose, const char *suite,
                         uint32_t *key_id, uint8_t wrapped[SKV_DEK_WRAPPED_LEN],
                         struct skv_enc_err *e)
{
    struct skv_err perr = {0};
    uint8_t *raw;
    uint32_t id = 0;
    int rc;
    if (!ks || !key_id || !wrapped)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "new DEK: NULL argument");
    *key_id = 0;
    if ((rc = skv_dek_check_ids(purpose, 1, suite, e)) != SKV_OK ||
        (rc = pick_key_id(ks, &id, e)) != SKV_OK)
        return rc;
    if (!(raw = sodium_malloc(SKV_DEK_LEN)))
        return skv_enc_fail(e, SKV_ERR_NOMEM, SKV_ENC_NOMEM, "DEK: out of secure memory");
    if ((rc = ks->ops->random(ks->cstate, raw, SKV_DEK_LEN, &perr)) != SKV_OK)
        skv_enc_fail(e, rc, SKV_ENC_CIPHER, "CSPRNG: %s", perr.msg);
    else
        rc = skv_keystore_wrap(ks, purpose, id, suite, raw, wrapped, e);
    sodium_free(raw);   /* wipes */
    if (rc == SKV_OK)
        *key_id = id;
    return rc;
}
