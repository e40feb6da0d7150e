/* SPDX-License-Identifier: MIT */
/*
 * fake_plugin.c — a minimal admin-kind plugin built in several broken and
 * one good variant (FAKE_VARIANT) to exercise the loader's refusals; the
 * descriptor name is the file's <name> (admin-<name>.so) unless noted.
 *   1 good: reads option "greeting" (string) and "count" (int 0..10);
 *           option fail_init=true makes init fail
 *   2 wrong ABI major      3 wrong kind (storage)
 *   4 ops struct_size too small      5 descriptor struct_size too small
 *   6 no entry symbol      7 NULL required op (stop)
 *   8 cipher-fakexchacha.so: a cipher listing xchacha20-poly1305 (32/24/16)
 *     and chacha20-poly1305 (32/12/16); reads option "suite"
 *   9 descriptor name "other" in admin-fakename.so
 *  10 cipher-fakebadtamper.so: one suite "fake-xor" (32/12/16) that
 *     round-trips (a keyed XOR and a checksum tag: no security) but
 *     answers a bad tag with SKV_ERR_CORRUPT instead of SKV_ERR_INTEGRITY,
 *     for sealkv-plugin-check's own test (tests/conformance.mk)
 */
#include <sealkv/admin.h>
#include <sealkv/cipher.h>
#include <string.h>

#ifndef FAKE_VARIANT
#define FAKE_VARIANT 1
#endif

#if FAKE_VARIANT == 1
#define FAKE_NAME "fakegood"
#elif FAKE_VARIANT == 2
#define FAKE_NAME "fakemajor"
#elif FAKE_VARIANT == 3
#define FAKE_NAME "fakekind"
#elif FAKE_VARIANT == 4
#define FAKE_NAME "fakeshortops"
#elif FAKE_VARIANT == 5
#define FAKE_NAME "fakeshortdesc"
#elif FAKE_VARIANT == 6
#define FAKE_NAME "fakenosym"
#elif FAKE_VARIANT == 7
#define FAKE_NAME "fakenullop"
#elif FAKE_VARIANT == 8
#define FAKE_NAME "fakexchacha"
#elif FAKE_VARIANT == 10
#define FAKE_NAME "fakebadtamper"
#else
#define FAKE_NAME "other"
#endif

struct fake {
    const struct skv_host *host;
};

static struct fake fake_inst; /* test-only plugin: one instance */

static int fake_init(const struct skv_host *host, void **state,
                     struct skv_err *err)
{
    const char *greeting;
    int64_t count;
    int fail, rc;
    if ((rc = host->opt_string(host->ctx, "greeting", "hello", &greeting, err)))
        return rc;
    if ((rc = host->opt_int(host->ctx, "count", 1, 0, 10, &count, err)))
        return rc;
    if ((rc = host->opt_bool(host->ctx, "fail_init", 0, &fail, err)))
        return rc;
#if FAKE_VARIANT == 8 || FAKE_VARIANT == 10
    {
        const char *suite;
        if ((rc = host->opt_string(host->ctx, SKV_CIPHER_OPT_SUITE, NULL, &suite, err)))
            return rc;
    }
#endif
    if (fail)
        return skv_err_set(err, SKV_ERR_CONFIG, "asked to fail (greeting %s)", greeting);
    fake_inst.host = host;
    *state = &fake_inst;
    return SKV_OK;
}

static void fake_fini(void *state) { memset(state, 0, sizeof(struct fake)); }
#if FAKE_VARIANT != 8 && FAKE_VARIANT != 10
static int fake_start(void *state, struct skv_err *err) { (void)state; (void)err; return SKV_OK; }
#endif
#if FAKE_VARIANT != 7 && FAKE_VARIANT != 8 && FAKE_VARIANT != 10
static void fake_stop(void *state) { (void)state; }
#endif

#if FAKE_VARIANT == 8
static unsigned fake_suite_count(void *state) { (void)state; return 2; }
static int fake_suite_get(void *state, unsigned i, struct skv_cipher_suite *out)
{
    static const struct skv_cipher_suite suites[2] = {
        {sizeof(struct skv_cipher_suite), "xchacha20-poly1305", 32, 24, 16, 1},
        {sizeof(struct skv_cipher_suite), "chacha20-poly1305", 32, 12, 16, 1},
    };
    (void)state;
    if (i >= 2 || out->struct_size < sizeof *out)
        return SKV_ERR_INVALID;
    *out = suites[i];
    return SKV_OK;
}
static int fake_key_new(void *state, const char *suite, const uint8_t *key, size_t key_len,
                        void **key_handle, struct skv_err *err)
{
    (void)state, (void)suite, (void)key, (void)key_len, (void)key_handle;
    return skv_err_set(err, SKV_ERR_UNSUPPORTED, "fake cipher: no keys");
}
static void fake_key_free(void *key_handle) { (void)key_handle; }
static int fake_crypt(void *key_handle, const uint8_t *nonce, size_t nonce_len,
                      const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t in_len,
                      uint8_t *out, struct skv_err *err)
{
    (void)key_handle, (void)nonce, (void)nonce_len, (void)aad, (void)aad_len;
    (void)in, (void)in_len, (void)out;
    return skv_err_set(err, SKV_ERR_UNSUPPORTED, "fake cipher: no keys");
}
static int fake_random(void *state, void *buf, size_t len, struct skv_err *err)
{
    (void)state, (void)buf, (void)len;
    return skv_err_set(err, SKV_ERR_UNSUPPORTED, "fake cipher: no randomness");
}
static const struct skv_cipher_ops fake_ops = {
    .struct_size = sizeof(struct skv_cipher_ops),
    .suite_count = fake_suite_count,
    .suite_get = fake_suite_get,
    .key_new = fake_key_new,
    .key_free = fake_key_free,
    .seal = fake_crypt,
    .open = fake_crypt,
    .random = fake_random,
};
#elif FAKE_VARIANT == 10
#include "fake_cipher_xor.inc"
#else
static const struct skv_admin_ops fake_ops = {
#if FAKE_VARIANT == 4
    .struct_size = 4,
#else
    .struct_size = sizeof(struct skv_admin_ops),
#endif
    .start = fake_start,
#if FAKE_VARIANT != 7
    .stop = fake_stop,
#endif
};
#endif

static const struct skv_plugin fake_desc = {
    .abi_major = FAKE_VARIANT == 2 ? SKV_ABI_MAJOR + 1 : SKV_ABI_MAJOR,
    .abi_minor = SKV_ABI_MINOR,
    .struct_size = FAKE_VARIANT == 5 ? 8 : sizeof(struct skv_plugin),
    .kind = FAKE_VARIANT == 3 ? SKV_KIND_STORAGE
            : FAKE_VARIANT == 8 || FAKE_VARIANT == 10 ? SKV_KIND_CIPHER : SKV_KIND_ADMIN,
    .name = FAKE_NAME,
    .version = "0",
    .description = "loader test plugin",
    .init = fake_init,
    .fini = fake_fini,
    .ops = &fake_ops,
};

#if FAKE_VARIANT == 6
SKV_PLUGIN_EXPORT const struct skv_plugin *sealkv_plugin_v0(void);
SKV_PLUGIN_EXPORT const struct skv_plugin *sealkv_plugin_v0(void) { return &fake_desc; }
#else
SKV_PLUGIN_EXPORT const struct skv_plugin *sealkv_plugin_v1(void);
SKV_PLUGIN_EXPORT const struct skv_plugin *sealkv_plugin_v1(void) { return &fake_desc; }
#endif
