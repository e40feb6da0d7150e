/*
 * fake_plugin.c — a minimal admin-kind plugin built in several broken and
 * one good variant (FAKE_VARIANT) to exercise the loader's refusals.
 *   1 good: reads option "greeting" (string) and "count" (int 0..10);
 *           option fail_init=true makes init fail
 *   2 wrong ABI major      3 wrong kind (storage)
 *   4 ops struct_size too small      5 descriptor struct_size too small
 *   6 no entry symbol      7 NULL required op (stop)
 */
#include <sealkv/admin.h>
#include <string.h>

#ifndef FAKE_VARIANT
#define FAKE_VARIANT 1
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
    if (fail)
        return skv_err_set(err, SKV_ERR_CONFIG, "asked to fail (greeting %s)", greeting);
    fake_inst.host = host;
    *state = &fake_inst;
    return SKV_OK;
}

static void fake_fini(void *state) { memset(state, 0, sizeof(struct fake)); }
static int fake_start(void *state, struct skv_err *err) { (void)state; (void)err; return SKV_OK; }
#if FAKE_VARIANT != 7
static void fake_stop(void *state) { (void)state; }
#endif

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

static const struct skv_plugin fake_desc = {
    .abi_major = FAKE_VARIANT == 2 ? SKV_ABI_MAJOR + 1 : SKV_ABI_MAJOR,
    .abi_minor = SKV_ABI_MINOR,
    .struct_size = FAKE_VARIANT == 5 ? 8 : sizeof(struct skv_plugin),
    .kind = FAKE_VARIANT == 3 ? SKV_KIND_STORAGE : SKV_KIND_ADMIN,
    .name = "fake",
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
