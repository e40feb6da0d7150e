/* SPDX-License-Identifier: MIT */
/*
 * test_loader.c — the plugin loader: a good plugin loads and its options
 * are read; each broken variant is refused with a message naming the file,
 * the expected and the found value (including a descriptor name that
 * differs from the file name, and a cipher whose selected suite has sizes
 * the core does not accept); search order; unknown options.
 */
#include "skv_test.h"
#include "plugin/loader.h"

#include <sealkv/admin.h>
#include <sealkv/cipher.h>
#include <unistd.h>

static char builddir_libs[1024];

static void opt(struct skv_conf_plugin *p, const char *k, const char *v,
                unsigned line, unsigned col)
{
    struct skv_conf_option *o = &p->options[p->n_options++];
    o->key = (char *)k;
    o->value = (char *)v;
    o->quoted = 0;
    o->pos.line = line;
    o->pos.col = col;
}

static int load_named(const char *name, struct skv_conf_plugin *conf,
                      struct skv_plugin_inst **inst, struct skv_err *err)
{
    struct skv_conf_plugin local;
    memset(&local, 0, sizeof local);
    if (!conf)
        conf = &local;
    conf->name = (char *)name;
    memset(err, 0, sizeof *err);
    return skv_plugin_load(SKV_KIND_ADMIN, conf, "t.yaml", NULL, 0, NULL,
                           inst, err);
}

#define ASSERT_MSG(err, needle)                                              \
    do {                                                                     \
        if (!strstr((err).msg, (needle)))                                    \
            fprintf(stderr, "\nmessage was: %s\nexpected: %s\n", (err).msg,  \
                    (needle));                                               \
        CU_ASSERT_PTR_NOT_NULL(strstr((err).msg, (needle)));                 \
    } while (0)

static void test_good(void)
{
    struct skv_conf_plugin c;
    struct skv_plugin_inst *p = NULL;
    struct skv_err err;
    const struct skv_admin_ops *ops;
    memset(&c, 0, sizeof c);
    opt(&c, "greeting", "hi", 3, 5);
    opt(&c, "count", "3", 4, 5);
    CU_ASSERT_EQUAL_FATAL(load_named("fakegood", &c, &p, &err), SKV_OK);
    CU_ASSERT_STRING_EQUAL(skv_plugin_desc(p)->name, "fakegood");
    CU_ASSERT_PTR_NOT_NULL(strstr(skv_plugin_path(p), "admin-fakegood.so"));
    ops = skv_plugin_ops(p);
    CU_ASSERT_EQUAL(ops->start(skv_plugin_state(p), &err), SKV_OK);
    CU_ASSERT_EQUAL(c.options[0].used, 1);
    skv_plugin_unload(p);
}

static void expect_refused(const char *name, int code, const char *needle1,
                           const char *needle2)
{
    struct skv_plugin_inst *p = (void *)1;
    struct skv_err err;
    CU_ASSERT_EQUAL(load_named(name, NULL, &p, &err), code);
    CU_ASSERT_PTR_NULL(p);
    ASSERT_MSG(err, needle1);
    if (needle2)
        ASSERT_MSG(err, needle2);
}

static void test_wrong_major(void)
{
    expect_refused("fakemajor", SKV_ERR_UNSUPPORTED, "admin-fakemajor.so",
                   "ABI major mismatch: expected 1, found 2");
}

static void test_wrong_kind(void)
{
    expect_refused("fakekind", SKV_ERR_INVALID, "admin-fakekind.so",
                   "wrong plugin kind: expected admin (4), found storage (2)");
}

static void test_short_ops(void)
{
    char want[128];
    snprintf(want, sizeof want, "expected at least %zu, found 4",
             sizeof(struct skv_admin_ops));
    expect_refused("fakeshortops", SKV_ERR_INVALID, "admin ops struct_size too small", want);
}

static void test_short_desc(void)
{
    expect_refused("fakeshortdesc", SKV_ERR_INVALID, "admin-fakeshortdesc.so",
                   "descriptor struct_size too small");
    expect_refused("fakeshortdesc", SKV_ERR_INVALID, "found 8", NULL);
}

static void test_missing_symbol(void)
{
    expect_refused("fakenosym", SKV_ERR_NOTFOUND, "admin-fakenosym.so",
                   "expected symbol 'sealkv_plugin_v1', found none");
}

static void test_null_op(void)
{
    expect_refused("fakenullop", SKV_ERR_INVALID, "admin-fakenullop.so",
                   "member 'stop' is NULL");
}

static void test_missing_file(void)
{
    expect_refused("nosuch", SKV_ERR_NOTFOUND, "admin plugin 'nosuch' not found",
                   "admin-nosuch.so");
    expect_refused("../etc", SKV_ERR_CONFIG, "invalid admin plugin name", NULL);
}

static void test_not_elf(void)
{
    char *dir = skv_test_tmpdir("notelf"), path[600];
    struct skv_plugin_inst *p = NULL;
    struct skv_err err;
    FILE *f;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    snprintf(path, sizeof path, "%s/admin-garbage.so", dir);
    f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("this is not an ELF file\n", f);
    fclose(f);
    CU_ASSERT_EQUAL(skv_plugin_load_file(path, SKV_KIND_ADMIN, NULL, NULL, NULL, &p, &err),
                    SKV_ERR_INVALID);
    ASSERT_MSG(err, "cannot load plugin");
    ASSERT_MSG(err, path);
    skv_test_rmtree(dir);
    free(dir);
}

static void test_bad_options(void)
{
    struct skv_conf_plugin c;
    struct skv_plugin_inst *p = NULL;
    struct skv_err err;

    memset(&c, 0, sizeof c);
    opt(&c, "count", "many", 7, 12);
    CU_ASSERT_EQUAL(load_named("fakegood", &c, &p, &err), SKV_ERR_CONFIG);
    ASSERT_MSG(err, "t.yaml:7:12: option 'count'");
    ASSERT_MSG(err, "expected an integer, found 'many'");

    memset(&c, 0, sizeof c);
    opt(&c, "count", "11", 8, 3);
    CU_ASSERT_EQUAL(load_named("fakegood", &c, &p, &err), SKV_ERR_CONFIG);
    ASSERT_MSG(err, "t.yaml:8:3:");
    ASSERT_MSG(err, "in 0..10, found '11'");

    memset(&c, 0, sizeof c);
    opt(&c, "bogus", "1", 9, 4);
    CU_ASSERT_EQUAL(load_named("fakegood", &c, &p, &err), SKV_ERR_CONFIG);
    ASSERT_MSG(err, "t.yaml:9:4: unknown option 'bogus' for admin-fakegood");
    CU_ASSERT_PTR_NULL(p);

    memset(&c, 0, sizeof c);
    opt(&c, "fail_init", "true", 2, 2);
    CU_ASSERT_EQUAL(load_named("fakegood", &c, &p, &err), SKV_ERR_CONFIG);
    ASSERT_MSG(err, "init failed: asked to fail");

    memset(&c, 0, sizeof c);
    opt(&c, "fail_init", "maybe", 2, 2);
    CU_ASSERT_EQUAL(load_named("fakegood", &c, &p, &err), SKV_ERR_CONFIG);
    ASSERT_MSG(err, "expected true or false");
}

static void test_name_mismatch(void)
{
    expect_refused("fakename", SKV_ERR_INVALID, "admin-fakename.so",
                   "plugin name mismatch: expected descriptor name 'fakename'");
    expect_refused("fakename", SKV_ERR_INVALID, "found 'other'", NULL);
}

/* Load cipher-fakexchacha.so with option suite=`suite` (NULL: none). */
static int load_cipher(const char *suite, struct skv_plugin_inst **p, struct skv_err *err)
{
    struct skv_conf_plugin c;
    memset(&c, 0, sizeof c);
    memset(err, 0, sizeof *err);
    c.name = "fakexchacha";
    if (suite)
        opt(&c, "suite", suite, 5, 7);
    return skv_plugin_load(SKV_KIND_CIPHER, &c, "t.yaml", NULL, 0, NULL, p, err);
}

static void test_cipher_suite_sizes(void)
{
    struct skv_plugin_inst *p = (void *)1;
    struct skv_cipher_suite s;
    struct skv_err err;
    CU_ASSERT_EQUAL(load_cipher("xchacha20-poly1305", &p, &err), SKV_ERR_UNSUPPORTED);
    CU_ASSERT_PTR_NULL(p);
    ASSERT_MSG(err, "cipher-fakexchacha.so");
    ASSERT_MSG(err, "cipher suite 'xchacha20-poly1305' has key/nonce/tag 32/24/16 bytes");
    ASSERT_MSG(err, "the core accepts only 32/12/16");

    CU_ASSERT_EQUAL(load_cipher("nosuch", &p, &err), SKV_ERR_NOTFOUND);
    ASSERT_MSG(err, "cipher-fakexchacha.so");
    ASSERT_MSG(err, "'nosuch'");

    /* the accepted suite, named or picked by default, loads */
    CU_ASSERT_EQUAL_FATAL(load_cipher("chacha20-poly1305", &p, &err), SKV_OK);
    CU_ASSERT_EQUAL(skv_cipher_select(skv_plugin_ops(p), skv_plugin_state(p), NULL, &s, &err),
                    SKV_OK);
    CU_ASSERT_STRING_EQUAL(s.name, "chacha20-poly1305");
    skv_plugin_unload(p);
    CU_ASSERT_EQUAL_FATAL(load_cipher(NULL, &p, &err), SKV_OK);
    skv_plugin_unload(p);
}

/* SEALKV_PLUGIN_PATH wins over plugins.path; plugins.path is used when the
 * env path has no such file. */
static void test_search_order(void)
{
    char *a = skv_test_tmpdir("orderA"), *b = skv_test_tmpdir("orderB");
    char src[1200], dst[1200], *env_saved = getenv("SEALKV_PLUGIN_PATH");
    char *saved = env_saved ? strdup(env_saved) : NULL;
    char *dirs[1];
    struct skv_conf_plugin c;
    struct skv_plugin_inst *p = NULL;
    struct skv_err err;

    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    snprintf(src, sizeof src, "%s/admin-fakegood.so", builddir_libs);
    snprintf(dst, sizeof dst, "%s/admin-fakegood.so", a);
    CU_ASSERT_EQUAL_FATAL(symlink(src, dst), 0);
    snprintf(src, sizeof src, "%s/admin-fakemajor.so", builddir_libs);
    snprintf(dst, sizeof dst, "%s/admin-fakegood.so", b);
    CU_ASSERT_EQUAL_FATAL(symlink(src, dst), 0);

    dirs[0] = b;
    memset(&c, 0, sizeof c);
    c.name = "fakegood";
    setenv("SEALKV_PLUGIN_PATH", a, 1);
    CU_ASSERT_EQUAL(skv_plugin_load(SKV_KIND_ADMIN, &c, "t.yaml", dirs, 1, NULL, &p, &err), SKV_OK);
    skv_plugin_unload(p);
    p = NULL;
    setenv("SEALKV_PLUGIN_PATH", "/nonexistent-dir", 1);
    CU_ASSERT_EQUAL(skv_plugin_load(SKV_KIND_ADMIN, &c, "t.yaml", dirs, 1, NULL, &p, &err),
                    SKV_ERR_UNSUPPORTED);
    ASSERT_MSG(err, b);
    if (saved) {
        setenv("SEALKV_PLUGIN_PATH", saved, 1);
        free(saved);
    }
    skv_test_rmtree(a);
    skv_test_rmtree(b);
    free(a);
    free(b);
}

int main(void)
{
    CU_pSuite s;
    const char *top = getenv("SKV_TOP_BUILDDIR");
    snprintf(builddir_libs, sizeof builddir_libs, "%s/tests/unit/.libs", top ? top : ".");
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("loader", NULL, NULL);
    CU_add_test(s, "good plugin loads, options read", test_good);
    CU_add_test(s, "wrong ABI major refused", test_wrong_major);
    CU_add_test(s, "wrong kind refused", test_wrong_kind);
    CU_add_test(s, "short ops struct refused", test_short_ops);
    CU_add_test(s, "short descriptor refused", test_short_desc);
    CU_add_test(s, "missing entry symbol refused", test_missing_symbol);
    CU_add_test(s, "NULL required op refused", test_null_op);
    CU_add_test(s, "missing file / bad name refused", test_missing_file);
    CU_add_test(s, "non-ELF file refused", test_not_elf);
    CU_add_test(s, "bad/unknown options refused with line:col", test_bad_options);
    CU_add_test(s, "descriptor name differs from file name: refused", test_name_mismatch);
    CU_add_test(s, "cipher suite of sizes the core refuses: refused", test_cipher_suite_sizes);
    CU_add_test(s, "search order", test_search_order);
    return skv_test_run();
}
