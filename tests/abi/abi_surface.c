/* SPDX-License-Identifier: MIT */
/*
 * abi_surface.c — the plugin-facing ABI of the abi/sealkv headers, as DWARF, for
 * the ABI guard (tests/abi/check_abi.sh, docs/ABI.md). Not a plugin and
 * never installed: tests/packaging.mk builds it with -g -O0 into
 * tests/abi/abi_surface.so, whose exported functions take every public
 * struct, enum and typedef, so that abidw records their layouts (sizes,
 * member offsets and types, enumerator values, function-pointer
 * signatures) and abidiff can compare them with tests/abi/baseline.abi.
 *
 * Adding a public type: reference it from one of the functions below (or a
 * new one), then `make abi-baseline` once the change is reviewed.
 */
#include <sealkv/plugin.h>
#include <sealkv/admin.h>
#include <sealkv/cipher.h>
#include <sealkv/storage.h>
#include <sealkv/transport.h>

#define SURFACE __attribute__((visibility("default"), used))

/* Macros never reach DWARF: the ones plugins compile in are mirrored as
 * enumerators, so a changed value shows as an enumerator change.
 * SKV_ABI_MINOR is left out: it grows with every appending release. */
enum skv_abi_pinned_constants {
    SKV_ABI_PIN_ABI_MAJOR = SKV_ABI_MAJOR,
    SKV_ABI_PIN_ERRMSG_MAX = SKV_ERRMSG_MAX,
    SKV_ABI_PIN_ADMIN_F_LOCAL_READ = SKV_ADMIN_F_LOCAL_READ,
    SKV_ABI_PIN_TRANSPORT_MAX_FRAME = SKV_TRANSPORT_MAX_FRAME
};

/* The minor version, so that the guard can insist that every addition
 * comes with a higher SKV_ABI_MINOR. */
enum skv_abi_version {
    SKV_ABI_VERSION_MINOR = SKV_ABI_MINOR
};

SURFACE void skv_abi_version(enum skv_abi_version v);
SURFACE void skv_abi_version(enum skv_abi_version v)
{
    (void)v;
}

/* The entry point every plugin exports, with its exact type. */
SURFACE const struct skv_plugin *sealkv_plugin_v1(void);
SURFACE const struct skv_plugin *sealkv_plugin_v1(void)
{
    return NULL;
}

/* <sealkv/plugin.h>: descriptor, host table, errors, kinds, log levels,
 * admin request/response and the done callback. */
SURFACE void skv_abi_plugin_h(const struct skv_plugin *plugin,
                              const struct skv_host *host, struct skv_err *err,
                              const struct skv_admin_req *req,
                              const struct skv_admin_resp *resp,
                              skv_admin_done_fn done, skv_plugin_entry_fn entry,
                              enum skv_rc rc, enum skv_plugin_kind kind,
                              enum skv_log_level level,
                              enum skv_abi_pinned_constants pinned);
SURFACE void skv_abi_plugin_h(const struct skv_plugin *plugin,
                              const struct skv_host *host, struct skv_err *err,
                              const struct skv_admin_req *req,
                              const struct skv_admin_resp *resp,
                              skv_admin_done_fn done, skv_plugin_entry_fn entry,
                              enum skv_rc rc, enum skv_plugin_kind kind,
                              enum skv_log_level level,
                              enum skv_abi_pinned_constants pinned)
{
    (void)plugin, (void)host, (void)err, (void)req, (void)resp, (void)done;
    (void)entry, (void)rc, (void)kind, (void)level, (void)pinned;
}

/* <sealkv/storage.h> */
SURFACE void skv_abi_storage_h(const struct skv_storage_ops *ops,
                               const struct skv_batch_op *batch,
                               enum skv_batch_op_type type);
SURFACE void skv_abi_storage_h(const struct skv_storage_ops *ops,
                               const struct skv_batch_op *batch,
                               enum skv_batch_op_type type)
{
    (void)ops, (void)batch, (void)type;
}

/* <sealkv/transport.h> */
SURFACE void skv_abi_transport_h(const struct skv_transport_ops *ops,
                                 const struct skv_iov *iov);
SURFACE void skv_abi_transport_h(const struct skv_transport_ops *ops,
                                 const struct skv_iov *iov)
{
    (void)ops, (void)iov;
}

/* <sealkv/cipher.h> */
SURFACE void skv_abi_cipher_h(const struct skv_cipher_ops *ops,
                              const struct skv_cipher_suite *suite);
SURFACE void skv_abi_cipher_h(const struct skv_cipher_ops *ops,
                              const struct skv_cipher_suite *suite)
{
    (void)ops, (void)suite;
}

/* <sealkv/cipher.h> since 1.3: the key provider's KEK reference. */
SURFACE void skv_abi_cipher_kek_h(const struct skv_cipher_kek_ref *ref);
SURFACE void skv_abi_cipher_kek_h(const struct skv_cipher_kek_ref *ref)
{
    (void)ref;
}

/* <sealkv/admin.h> */
SURFACE void skv_abi_admin_h(const struct skv_admin_ops *ops);
SURFACE void skv_abi_admin_h(const struct skv_admin_ops *ops)
{
    (void)ops;
}
