/* SPDX-License-Identifier: MIT */
/*
 * test_abi_layout.c — pins sizeof and offsetof of every public ABI struct
 * (LP64). A field can never move silently: changing any number here is an
 * ABI break (bump SKV_ABI_MAJOR) unless the change only appends fields and
 * bumps SKV_ABI_MINOR.
 */
#include "skv_test.h"

#include <sealkv/admin.h>
#include <sealkv/cipher.h>
#include <sealkv/storage.h>
#include <sealkv/transport.h>

#define S(T, n) CU_ASSERT_EQUAL(sizeof(struct T), (size_t)(n))
#define F(T, m, n) CU_ASSERT_EQUAL(offsetof(struct T, m), (size_t)(n))

static void test_layout_lp64(void)
{
    if (sizeof(void *) != 8 || sizeof(long) != 8) {
        CU_PASS("not an LP64 target: layout pins apply to LP64 only");
        return;
    }
    S(skv_err, 260);
    F(skv_err, code, 0);
    F(skv_err, msg, 4);
    S(skv_admin_req, 64);
    F(skv_admin_req, struct_size, 0);
    F(skv_admin_req, op, 8);
    F(skv_admin_req, arg, 16);
    F(skv_admin_req, arg_len, 24);
    F(skv_admin_req, body, 32);
    F(skv_admin_req, body_len, 40);
    F(skv_admin_req, json, 48);
    F(skv_admin_req, flags, 56);
    S(skv_admin_resp, 80);
    F(skv_admin_resp, struct_size, 0);
    F(skv_admin_resp, rc, 4);
    F(skv_admin_resp, status, 8);
    F(skv_admin_resp, error, 16);
    F(skv_admin_resp, message, 24);
    F(skv_admin_resp, retry_after_s, 32);
    F(skv_admin_resp, json, 40);
    F(skv_admin_resp, body, 48);
    F(skv_admin_resp, body_len, 56);
    F(skv_admin_resp, mod_index, 64);    /* since 1.2 */
    F(skv_admin_resp, create_index, 72); /* since 1.2 */
    S(skv_host, 88);
    F(skv_host, struct_size, 0);
    F(skv_host, abi_minor, 4);
    F(skv_host, ctx, 8);
    F(skv_host, log, 16);
    F(skv_host, opt_string, 24);
    F(skv_host, opt_int, 32);
    F(skv_host, opt_bool, 40);
    F(skv_host, now_ms, 48);
    F(skv_host, wall_ms, 56);
    F(skv_host, deliver, 64);
    F(skv_host, admin_call, 72);
    F(skv_host, node_id, 80);
    S(skv_plugin, 64);
    F(skv_plugin, abi_major, 0);
    F(skv_plugin, abi_minor, 4);
    F(skv_plugin, struct_size, 8);
    F(skv_plugin, kind, 12);
    F(skv_plugin, name, 16);
    F(skv_plugin, version, 24);
    F(skv_plugin, description, 32);
    F(skv_plugin, init, 40);
    F(skv_plugin, fini, 48);
    F(skv_plugin, ops, 56);
    S(skv_batch_op, 40);
    F(skv_batch_op, type, 0);
    F(skv_batch_op, reserved, 4);
    F(skv_batch_op, key, 8);
    F(skv_batch_op, key_len, 16);
    F(skv_batch_op, val, 24);
    F(skv_batch_op, val_len, 32);
    S(skv_storage_ops, 152);
    F(skv_storage_ops, struct_size, 0);
    F(skv_storage_ops, open, 8);
    F(skv_storage_ops, close, 16);
    F(skv_storage_ops, get, 24);
    F(skv_storage_ops, free_buf, 32);
    F(skv_storage_ops, write, 40);
    F(skv_storage_ops, view_new, 48);
    F(skv_storage_ops, view_release, 56);
    F(skv_storage_ops, iter_new, 64);
    F(skv_storage_ops, iter_seek, 72);
    F(skv_storage_ops, iter_seek_last, 80);
    F(skv_storage_ops, iter_valid, 88);
    F(skv_storage_ops, iter_next, 96);
    F(skv_storage_ops, iter_prev, 104);
    F(skv_storage_ops, iter_key, 112);
    F(skv_storage_ops, iter_value, 120);
    F(skv_storage_ops, iter_status, 128);
    F(skv_storage_ops, iter_free, 136);
    F(skv_storage_ops, compact, 144);
    S(skv_iov, 16);
    F(skv_iov, base, 0);
    F(skv_iov, len, 8);
    S(skv_transport_ops, 64);
    F(skv_transport_ops, struct_size, 0);
    F(skv_transport_ops, start, 8);
    F(skv_transport_ops, send, 16);
    F(skv_transport_ops, stop, 24);
    F(skv_transport_ops, forget, 32);
    F(skv_transport_ops, reload, 40);   /* since 1.1 */
    F(skv_transport_ops, security, 48); /* since 1.1 */
    F(skv_transport_ops, queued, 56);   /* since 1.4 */
    S(skv_cipher_suite, 32);
    F(skv_cipher_suite, struct_size, 0);
    F(skv_cipher_suite, name, 8);
    F(skv_cipher_suite, key_len, 16);
    F(skv_cipher_suite, nonce_len, 20);
    F(skv_cipher_suite, tag_len, 24);
    F(skv_cipher_suite, available, 28);
    S(skv_cipher_ops, 96);
    F(skv_cipher_ops, struct_size, 0);
    F(skv_cipher_ops, suite_count, 8);
    F(skv_cipher_ops, suite_get, 16);
    F(skv_cipher_ops, key_new, 24);
    F(skv_cipher_ops, key_free, 32);
    F(skv_cipher_ops, seal, 40);
    F(skv_cipher_ops, open, 48);
    F(skv_cipher_ops, random, 56);
    F(skv_cipher_ops, kek_open, 64);     /* since 1.3 */
    F(skv_cipher_ops, kek_wrap, 72);     /* since 1.3 */
    F(skv_cipher_ops, kek_unwrap, 80);   /* since 1.3 */
    F(skv_cipher_ops, kek_close, 88);    /* since 1.3 */
    S(skv_cipher_kek_ref, 56);           /* since 1.3 */
    F(skv_cipher_kek_ref, struct_size, 0);
    F(skv_cipher_kek_ref, provider, 8);
    F(skv_cipher_kek_ref, module, 16);
    F(skv_cipher_kek_ref, token_label, 24);
    F(skv_cipher_kek_ref, key_label, 32);
    F(skv_cipher_kek_ref, pin, 40);
    F(skv_cipher_kek_ref, pin_len, 48);
    S(skv_admin_ops, 32);
    F(skv_admin_ops, struct_size, 0);
    F(skv_admin_ops, start, 8);
    F(skv_admin_ops, stop, 16);
    F(skv_admin_ops, reload, 24);       /* since 1.1 */
}

static void test_constants(void)
{
    CU_ASSERT_EQUAL(SKV_ABI_MAJOR, 1);
    CU_ASSERT_EQUAL(SKV_KIND_TRANSPORT, 1);
    CU_ASSERT_EQUAL(SKV_KIND_STORAGE, 2);
    CU_ASSERT_EQUAL(SKV_KIND_CIPHER, 3);
    CU_ASSERT_EQUAL(SKV_KIND_ADMIN, 4);
    CU_ASSERT_EQUAL(SKV_ERR_INTEGRITY, 8);
    CU_ASSERT_EQUAL(SKV_ERRMSG_MAX, 256);
    CU_ASSERT_EQUAL(SKV_TRANSPORT_SEC_AUTHENTICATED, 0x1u);
    CU_ASSERT_EQUAL(SKV_TRANSPORT_SEC_ENCRYPTED, 0x2u);
    CU_ASSERT_STRING_EQUAL(SKV_PLUGIN_ENTRY, "sealkv_plugin_v1");
    /* the cipher sizes the core accepts and the option it reads */
    CU_ASSERT_EQUAL(SKV_CIPHER_KEY_LEN, 32);
    CU_ASSERT_EQUAL(SKV_CIPHER_NONCE_LEN, 12);
    CU_ASSERT_EQUAL(SKV_CIPHER_TAG_LEN, 16);
    CU_ASSERT_STRING_EQUAL(SKV_CIPHER_OPT_SUITE, "suite");
    /* the key provider (since 1.3) */
    CU_ASSERT_EQUAL(SKV_CIPHER_KEK_ID_LEN, 32);
    CU_ASSERT_EQUAL(SKV_CIPHER_KEK_FAIL_OTHER, 0);
    CU_ASSERT_EQUAL(SKV_CIPHER_KEK_FAIL_MODULE, 1);
    CU_ASSERT_EQUAL(SKV_CIPHER_KEK_FAIL_TOKEN, 2);
    CU_ASSERT_EQUAL(SKV_CIPHER_KEK_FAIL_PIN, 3);
    CU_ASSERT_EQUAL(SKV_CIPHER_KEK_FAIL_KEY, 4);
    CU_ASSERT_EQUAL(SKV_CIPHER_KEK_FAIL_MECHANISM, 5);
    CU_ASSERT_STRING_EQUAL(skv_strerror(SKV_ERR_INTEGRITY), "integrity check failed");
    CU_ASSERT_STRING_EQUAL(skv_strerror(-1), "unknown error");
    CU_ASSERT_STRING_EQUAL(skv_strerror(SKV_RC_COUNT_), "unknown error");
}

/* SKV_HAS: a member beyond struct_size is never considered present. */
static void test_has_macro(void)
{
    static void (*const fn)(void *, uint64_t) = NULL;
    struct skv_transport_ops t;
    memset(&t, 0, sizeof t);
    t.struct_size = offsetof(struct skv_transport_ops, forget);
    t.forget = (void (*)(void *, uint64_t))1;
    CU_ASSERT_FALSE(SKV_HAS(&t, struct skv_transport_ops, forget));
    t.struct_size = sizeof t;
    CU_ASSERT_TRUE(SKV_HAS(&t, struct skv_transport_ops, forget));
    t.forget = fn;
    CU_ASSERT_FALSE(SKV_HAS(&t, struct skv_transport_ops, forget));
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("abi", NULL, NULL);
    CU_add_test(s, "struct layout pinned (LP64)", test_layout_lp64);
    CU_add_test(s, "constants pinned", test_constants);
    CU_add_test(s, "SKV_HAS respects struct_size", test_has_macro);
    return skv_test_run();
}
