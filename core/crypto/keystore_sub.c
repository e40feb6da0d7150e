/* SPDX-License-Identifier: MIT */
/*
 * keystore_sub.c — envelope v2 subkeys (see keystore.h, docs/NONCES.md):
 * the per-process salt and seal subkey of each DEK, the BLAKE2b
 * derivation, and a bounded, thread-safe LRU cache of the subkeys of
 * other processes' salts (what opening their envelopes needs).
 *
 * Cache entries are reference counted: the table holds one reference,
 * every skv_keystore_subkey_get caller one more; eviction only drops the
 * table's, so a handle in use by another thread is freed by whoever drops
 * the last reference. One mutex guards the table, the ticks and the
 * counts; derivation (unwrap, BLAKE2b, key_new) runs outside it.
 */
#include "crypto/keystore_impl.h"
#include "util/bytes.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* "sealkv-env-v2" padded with zeros to BLAKE2b's 16-byte personal. */
static const uint8_t personal[crypto_generichash_blake2b_PERSONALBYTES] = {
    's', 'e', 'a', 'l', 'k', 'v', '-', 'e', 'n', 'v', '-', 'v', '2', 0, 0, 0};

struct skv_subkey {
    uint32_t key_id;
    uint8_t salt[SKV_SALT_LEN];
    void *handle;          /* plugin key handle */
    unsigned refs;         /* table's (while listed) + callers' */
    uint64_t used;         /* tick of the last get (LRU) */
};

struct skv_subcache {
    pthread_mutex_t mu;
    struct skv_subkey *e[SKV_SUBKEY_CACHE_MAX];
    size_t n;
    uint64_t tick;
};

struct skv_subcache *skv_subcache_new(void)
{
    struct skv_subcache *c = calloc(1, sizeof *c);
    if (c && pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

static void entry_free(struct skv_keystore *ks, struct skv_subkey *s)
{
    ks->ops->key_free(s->handle);
    sodium_memzero(s, sizeof *s);
    free(s);
}

void skv_subcache_free(struct skv_keystore *ks, struct skv_subcache *c)
{
    size_t i;
    if (!c)
        return;
    for (i = 0; i < c->n; i++)   /* no caller may hold a reference now */
        entry_free(ks, c->e[i]);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* BLAKE2b-256(key = raw DEK, salt, personal, in = purpose ‖ key_id BE). */
static int derive(const struct skv_dek *d, const uint8_t *raw,
                  const uint8_t salt[SKV_SALT_LEN], uint8_t *out, struct skv_enc_err *e)
{
    uint8_t in[5];
    in[0] = (uint8_t)d->purpose;
    skv_put_be32(in + 1, d->key_id);
    if (crypto_generichash_blake2b_salt_personal(out, SKV_DEK_LEN, in, sizeof in, raw,
                                                 SKV_DEK_LEN, salt, personal) != 0)
        return skv_enc_fail(e, SKV_ERR_INTERNAL, SKV_ENC_CIPHER,
                            "subkey derivation for key_id %u failed", d->key_id);
    return SKV_OK;
}

/* Derive into secure memory, hand to key_new, wipe. */
static int subkey_handle(struct skv_keystore *ks, const struct skv_dek *d,
                         const uint8_t *raw, const uint8_t salt[SKV_SALT_LEN],
                         void **handle, struct skv_enc_err *e)
{
    struct skv_err perr = {0, ""};
    uint8_t *sub = sodium_malloc(SKV_DEK_LEN);
    int rc;
    *handle = NULL;
    if (!sub)
        return skv_enc_fail(e, SKV_ERR_NOMEM, SKV_ENC_NOMEM, "subkey: out of secure memory");
    if ((rc = derive(d, raw, salt, sub, e)) == SKV_OK &&
        (rc = ks->ops->key_new(ks->cstate, d->suite, sub, SKV_DEK_LEN, handle, &perr)) != SKV_OK)
        skv_enc_fail(e, rc, SKV_ENC_CIPHER, "subkey of key_id %u: %s", d->key_id, perr.msg);
    sodium_free(sub);   /* wipes */
    return rc;
}

int skv_dek_seal_subkey(struct skv_keystore *ks, struct skv_dek *d, const uint8_t *raw,
                        struct skv_enc_err *e)
{
    struct skv_err perr = {0, ""};
    int rc = ks->ops->random(ks->cstate, d->salt, SKV_SALT_LEN, &perr);
    if (rc != SKV_OK)
        return skv_enc_fail(e, rc, SKV_ENC_CIPHER, "CSPRNG (v2 salt): %s", perr.msg);
    return subkey_handle(ks, d, raw, d->salt, &d->seal_handle, e);
}

int skv_keystore_subkey_raw(struct skv_keystore *ks, const struct skv_dek *d,
                            const uint8_t salt[SKV_SALT_LEN], uint8_t *out,
                            struct skv_enc_err *e)
{
    uint8_t *raw;
    int rc;
    if (!ks || !d || !salt || !out)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "subkey: NULL argument");
    if (!(raw = sodium_malloc(SKV_DEK_LEN)))
        return skv_enc_fail(e, SKV_ERR_NOMEM, SKV_ENC_NOMEM, "subkey: out of secure memory");
    rc = skv_keystore_unwrap(ks, d->purpose, d->key_id, d->suite, d->wrapped,
                             SKV_DEK_WRAPPED_LEN, raw, e);
    if (rc == SKV_OK)
        rc = derive(d, raw, salt, out, e);
    sodium_free(raw);   /* wipes */
    if (rc != SKV_OK)
        sodium_memzero(out, SKV_DEK_LEN);
    return rc;
}

/* Caller holds c->mu. The entry for (key_id, salt), or NULL. */
static struct skv_subkey *lookup_locked(struct skv_subcache *c, uint32_t key_id,
                                        const uint8_t *salt)
{
    size_t i;
    for (i = 0; i < c->n; i++)
        if (c->e[i]->key_id == key_id && memcmp(c->e[i]->salt, salt, SKV_SALT_LEN) == 0)
            return c->e[i];
    return NULL;
}

/* Caller holds c->mu. Unlist the least recently used entry; it is
 * returned for freeing iff no caller holds it any more. */
static struct skv_subkey *evict_locked(struct skv_subcache *c)
{
    size_t i, lru = 0;
    struct skv_subkey *s;
    for (i = 1; i < c->n; i++)
        if (c->e[i]->used < c->e[lru]->used)
            lru = i;
    s = c->e[lru];
    c->e[lru] = c->e[--c->n];
    return --s->refs == 0 ? s : NULL;
}

/* Caller holds c->mu: take a reference, mark used. */
static struct skv_subkey *hold_locked(struct skv_subcache *c, struct skv_subkey *s)
{
    s->refs++;
    s->used = ++c->tick;
    return s;
}

/* Derive a fresh entry (outside the lock). */
static int entry_new(struct skv_keystore *ks, const struct skv_dek *d,
                     const uint8_t salt[SKV_SALT_LEN], struct skv_subkey **out,
                     struct skv_enc_err *e)
{
    struct skv_subkey *s = calloc(1, sizeof *s);
    uint8_t *raw = sodium_malloc(SKV_DEK_LEN);
    int rc;
    *out = NULL;
    if (!s || !raw) {
        free(s);
        sodium_free(raw);
        return skv_enc_fail(e, SKV_ERR_NOMEM, SKV_ENC_NOMEM, "subkey: out of memory");
    }
    rc = skv_keystore_unwrap(ks, d->purpose, d->key_id, d->suite, d->wrapped,
                             SKV_DEK_WRAPPED_LEN, raw, e);
    if (rc == SKV_OK)
        rc = subkey_handle(ks, d, raw, salt, &s->handle, e);
    sodium_free(raw);   /* wipes */
    if (rc != SKV_OK) {
        free(s);
        return rc;
    }
    s->key_id = d->key_id;
    memcpy(s->salt, salt, SKV_SALT_LEN);
    *out = s;
    return SKV_OK;
}

/* List `s` (or a twin another thread listed meanwhile) and hold it. */
static struct skv_subkey *install(struct skv_keystore *ks, struct skv_subkey *s)
{
    struct skv_subcache *c = ks->sub;
    struct skv_subkey *twin, *gone = NULL;
    pthread_mutex_lock(&c->mu);
    if ((twin = lookup_locked(c, s->key_id, s->salt))) {
        hold_locked(c, twin);
    } else {
        if (c->n == SKV_SUBKEY_CACHE_MAX)
            gone = evict_locked(c);
        s->refs = 1;   /* the table's */
        c->e[c->n++] = hold_locked(c, s);
    }
    pthread_mutex_unlock(&c->mu);
    if (gone)
        entry_free(ks, gone);
    if (twin) {
        entry_free(ks, s);
        return twin;
    }
    return s;
}

int skv_keystore_subkey_get(struct skv_keystore *ks, const struct skv_dek *d,
                            const uint8_t salt[SKV_SALT_LEN], void **handle,
                            struct skv_subkey **ref, struct skv_enc_err *e)
{
    struct skv_subkey *s;
    int rc;
    if (!ks || !d || !salt || !handle || !ref)
        return skv_enc_fail(e, SKV_ERR_INVALID, SKV_ENC_INVALID_ARGUMENT,
                            "subkey: NULL argument");
    *handle = NULL;
    *ref = NULL;
    if (sodium_memcmp(salt, d->salt, SKV_SALT_LEN) == 0) {
        *handle = d->seal_handle;
        return SKV_OK;
    }
    pthread_mutex_lock(&ks->sub->mu);
    s = lookup_locked(ks->sub, d->key_id, salt);
    if (s)
        hold_locked(ks->sub, s);
    pthread_mutex_unlock(&ks->sub->mu);
    if (!s) {
        if ((rc = entry_new(ks, d, salt, &s, e)) != SKV_OK)
            return rc;
        s = install(ks, s);
    }
    *handle = s->handle;
    *ref = s;
    return SKV_OK;
}

void skv_keystore_subkey_put(struct skv_keystore *ks, struct skv_subkey *ref)
{
    unsigned left;
    if (!ks || !ref)
        return;
    pthread_mutex_lock(&ks->sub->mu);
    left = --ref->refs;
    pthread_mutex_unlock(&ks->sub->mu);
    if (left == 0)
        entry_free(ks, ref);
}

void skv_subcache_forget(struct skv_keystore *ks, uint32_t key_id)
{
    struct skv_subkey *gone[SKV_SUBKEY_CACHE_MAX];
    size_t i = 0, n = 0;
    if (!ks->sub)
        return;
    pthread_mutex_lock(&ks->sub->mu);
    while (i < ks->sub->n) {
        struct skv_subkey *s = ks->sub->e[i];
        if (s->key_id != key_id) {
            i++;
            continue;
        }
        ks->sub->e[i] = ks->sub->e[--ks->sub->n];
        if (--s->refs == 0)   /* a holder frees it with its last put */
            gone[n++] = s;
    }
    pthread_mutex_unlock(&ks->sub->mu);
    for (i = 0; i < n; i++)
        entry_free(ks, gone[i]);
}

size_t skv_keystore_subkey_cached(struct skv_keystore *ks)
{
    size_t n;
    if (!ks)
        return 0;
    pthread_mutex_lock(&ks->sub->mu);
    n = ks->sub->n;
    pthread_mutex_unlock(&ks->sub->mu);
    return n;
}
