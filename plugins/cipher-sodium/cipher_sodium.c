/* SPDX-License-Identifier: MIT */
/*
 * cipher_sodium.c — the libsodium cipher plugin's descriptor and instance
 * lifecycle: sodium_init, the `suite` option (preferred suite, with the
 * AES-GCM → ChaCha20-Poly1305 fallback when the user did not choose),
 * the CSPRNG op, and the ops table (with the PKCS#11 key provider of
 * p11_*.c: in this plugin rather than a plugin of its own because a node
 * loads one cipher plugin, and the provider is a capability of it; its
 * module is dlopen'ed only when a KEK is opened through it).
 */
#include "build-config.h"
#include "cipher_sodium.h"
#include "p11.h"

#include <stdlib.h>

#define DEFAULT_SUITE "aes-256-gcm"
#define FALLBACK_SUITE "chacha20-poly1305"

static int can_log(const struct skv_host *host)
{
    return host && SKV_HAS(host, struct skv_host, log);
}

/* Read the `suite` option; *out is NULL when the user did not set it. */
static int read_suite_opt(const struct skv_host *host, const char **out,
                          struct skv_err *err)
{
    *out = NULL;
    if (!host || !SKV_HAS(host, struct skv_host, opt_string))
        return SKV_OK;
    return host->opt_string(host->ctx, "suite", NULL, out, err);
}

/* Validate the user's explicit choice, or pick the default. */
static int choose_suite(const struct skv_host *host, struct skv_sodium *s,
                        const char *opt, struct skv_err *err)
{
    const struct skv_sodium_suite *su;
    if (!opt) {
        su = skv_sodium_suite_find(DEFAULT_SUITE);
        if (!skv_sodium_suite_available(s, su)) {
            if (can_log(host))
                host->log(host->ctx, SKV_LOG_INFO, "AES-256-GCM unavailable on this "
                          "CPU (no AES-NI/PCLMUL): preferring %s", FALLBACK_SUITE);
            su = skv_sodium_suite_find(FALLBACK_SUITE);
        }
    } else if (!(su = skv_sodium_suite_find(opt))) {
        return skv_err_set(err, SKV_ERR_CONFIG,
                           "option 'suite': unknown suite '%.64s': expected one of %s",
                           opt, skv_sodium_suite_names());
    } else if (!skv_sodium_suite_available(s, su)) {
        return skv_err_set(err, SKV_ERR_UNSUPPORTED,
                           "option 'suite': '%s' is not available on this CPU "
                           "(libsodium needs AES-NI and PCLMUL): use " FALLBACK_SUITE,
                           su->name);
    }
    s->preferred_suite = su->name;
    return SKV_OK;
}

/* The instance holds no secrets (keys live in their own handles, wiped by
 * key_free; provider KEKs are closed by the host before fini). */
static void sodium_plugin_fini(void *state)
{
    struct skv_sodium *s = state;
    if (!s)
        return;
    pthread_mutex_destroy(&s->p11_mu);
    free(s);
}

static int sodium_plugin_init(const struct skv_host *host, void **state,
                              struct skv_err *err)
{
    struct skv_sodium *s;
    const char *opt = NULL;
    int rc;
    if (!state)
        return skv_err_set(err, SKV_ERR_INVALID, "cipher-sodium: state is NULL");
    *state = NULL;
    if (sodium_init() < 0)
        return skv_err_set(err, SKV_ERR_INTERNAL, "cipher-sodium: sodium_init() failed");
    if ((rc = read_suite_opt(host, &opt, err)) != SKV_OK)
        return rc;
    if (!(s = calloc(1, sizeof *s)))
        return skv_err_set(err, SKV_ERR_NOMEM, "cipher-sodium: out of memory");
    if (pthread_mutex_init(&s->p11_mu, NULL) != 0) {
        free(s);
        return skv_err_set(err, SKV_ERR_NOMEM, "cipher-sodium: cannot create a mutex");
    }
    s->aes_available = crypto_aead_aes256gcm_is_available();
    if ((rc = choose_suite(host, s, opt, err)) != SKV_OK) {
        sodium_plugin_fini(s);
        return rc;
    }
    if (can_log(host))
        host->log(host->ctx, SKV_LOG_DEBUG, "preferred suite %s", s->preferred_suite);
    *state = s;
    return SKV_OK;
}

static int sodium_random(void *state, void *buf, size_t len, struct skv_err *err)
{
    (void)state;
    if (!buf && len)
        return skv_err_set(err, SKV_ERR_INVALID, "cipher-sodium: random buffer is NULL");
    if (len)
        randombytes_buf(buf, len);
    return SKV_OK;
}

static const struct skv_cipher_ops sodium_ops = {
    .struct_size = sizeof(struct skv_cipher_ops),
    .suite_count = skv_sodium_suite_count,
    .suite_get = skv_sodium_suite_get,
    .key_new = skv_sodium_key_new,
    .key_free = skv_sodium_key_free,
    .seal = skv_sodium_seal,
    .open = skv_sodium_open,
    .random = sodium_random,
    /* since 1.3: the PKCS#11 key provider (p11_*.c) */
    .kek_open = skv_p11_kek_open,
    .kek_wrap = skv_p11_kek_wrap,
    .kek_unwrap = skv_p11_kek_unwrap,
    .kek_close = skv_p11_kek_close,
};

SKV_PLUGIN_DEFINE(SKV_KIND_CIPHER, "sodium", PACKAGE_VERSION,
                  "AEAD suites (AES-256-GCM, ChaCha20-Poly1305-IETF) from libsodium",
                  sodium_plugin_init, sodium_plugin_fini, &sodium_ops);
