/* SPDX-License-Identifier: MIT */
/*
 * <sealkv/plugin.h> — the sealkv plugin ABI: descriptor, entry symbol,
 * versioning rules, error codes and the host-API table.
 *
 * A plugin is a shared object exporting exactly one symbol:
 *
 *     const struct skv_plugin *sealkv_plugin_v1(void);
 *
 * Versioning (the sqlite3_vfs / raft_io discipline):
 *   - SKV_ABI_MAJOR changes only when an existing field changes meaning or
 *     moves. The host refuses a plugin whose abi_major differs.
 *   - SKV_ABI_MINOR grows when fields are *appended* to a struct. Every
 *     public struct starts with (or carries) a struct_size field; a reader
 *     checks struct_size before touching a field that a newer minor added.
 *   - Optional members are called only when struct_size covers them AND
 *     the pointer is non-NULL (see SKV_HAS()).
 *   - Every member, constant and macro added after 1.0 carries the marker
 *     of the minor that added it, a comment "since 1.N" on its line. A
 *     reader SKV_HAS-checks (members) or #ifdef-checks (macros) anything
 *     marked above 1.0; unmarked means 1.0 (docs/ABI.md, "Since markers").
 *
 * Errors: every call returns an int from enum skv_rc and, on failure,
 * fills the caller's struct skv_err with a human-readable message.
 * SKV_ERR_INTEGRITY (AEAD authentication failure) is reserved for that
 * meaning; no plugin may swallow it or remap it — the core halts on it.
 *
 * Threads: the host has one event-loop thread ("loop thread") plus worker
 * threads. Each ops table says, next to each member, which thread calls
 * it. Host callbacks marked "any thread" are safe to call from threads the
 * plugin owns; they never block for long and never call back into the
 * plugin synchronously.
 *
 * Plugins never see libyaml, libuv, C-Raft or LevelDB types.
 */
#ifndef SEALKV_PLUGIN_H
#define SEALKV_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SKV_ABI_MAJOR 1
#define SKV_ABI_MINOR 4

/* Name of the single exported entry symbol. */
#define SKV_PLUGIN_ENTRY "sealkv_plugin_v1"

/* Export marker for the entry symbol when building with
 * -fvisibility=hidden. */
#if defined(__GNUC__)
#define SKV_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define SKV_PLUGIN_EXPORT
#endif

/* SKV_PRINTF(fmt, args): marks a printf-style function so that GCC and
 * clang check its format string against its arguments (`fmt` is the
 * 1-based position of the format parameter, `args` that of the first
 * variadic one). Empty for other compilers. (since 1.1) */
#if defined(__GNUC__) || defined(__clang__)
#define SKV_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define SKV_PRINTF(fmt, args)
#endif

/* SKV_COVERS: the struct at `p` (of C type `type`, e.g.
 * `struct skv_storage_ops`) is large enough to contain `member`.
 * SKV_HAS: ... and that member is non-NULL. Use before calling any member
 * added after the first version of a struct. */
#define SKV_COVERS(p, type, member)                                      \
    ((p)->struct_size >= offsetof(type, member) + sizeof((p)->member))
#define SKV_HAS(p, type, member) (SKV_COVERS(p, type, member) && (p)->member)

/* ---- error codes: one closed enum ---------------------------------- */
enum skv_rc {
    SKV_OK = 0,
    SKV_ERR_INVALID = 1,     /* bad argument or malformed input */
    SKV_ERR_NOMEM = 2,       /* allocation failed */
    SKV_ERR_NOTFOUND = 3,    /* key/suite/peer not found */
    SKV_ERR_IO = 4,          /* I/O error (read, write, fsync, socket) */
    SKV_ERR_CORRUPT = 5,     /* on-disk or on-wire data is corrupt */
    SKV_ERR_BUSY = 6,        /* resource locked by another user */
    SKV_ERR_UNSUPPORTED = 7, /* feature/suite not available here */
    SKV_ERR_INTEGRITY = 8,   /* AEAD tag mismatch: never remap, core halts */
    SKV_ERR_FULL = 9,        /* bounded queue or disk full */
    SKV_ERR_CLOSED = 10,     /* handle stopped or closed */
    SKV_ERR_TOOBIG = 11,     /* size limit exceeded */
    SKV_ERR_AGAIN = 12,      /* transient; retry later */
    SKV_ERR_CONFIG = 13,     /* bad plugin option */
    SKV_ERR_INTERNAL = 14,   /* bug: should not happen */
    SKV_RC_COUNT_ = 15
};

/* Static, never NULL. */
static inline const char *skv_strerror(int rc)
{
    static const char *const names[SKV_RC_COUNT_] = {
        "ok", "invalid argument", "out of memory", "not found", "I/O error",
        "corrupt data", "busy (locked)", "unsupported",
        "integrity check failed", "full", "closed", "too big",
        "try again", "bad configuration", "internal error"};
    if (rc < 0 || rc >= SKV_RC_COUNT_)
        return "unknown error";
    return names[rc];
}

/* Error message buffer, owned by the caller. The callee writes a
 * NUL-terminated message (truncated if needed) when it fails. */
#define SKV_ERRMSG_MAX 256
struct skv_err {
    int code;                 /* same value as the call's return */
    char msg[SKV_ERRMSG_MAX]; /* human-readable, never contains secrets */
};

/* Plugin kinds. */
enum skv_plugin_kind {
    SKV_KIND_TRANSPORT = 1,
    SKV_KIND_STORAGE = 2,
    SKV_KIND_CIPHER = 3,
    SKV_KIND_ADMIN = 4
};

/* Log levels for skv_host.log. */
enum skv_log_level {
    SKV_LOG_DEBUG = 0,
    SKV_LOG_INFO = 1,
    SKV_LOG_WARN = 2,
    SKV_LOG_ERROR = 3
};

/* ---- admin requests (used by the host table and admin.h) ----------- */

/* A request from the admin plugin to the core. Every pointer is owned by
 * the caller and only needs to stay valid until admin_call returns: the
 * host copies what it keeps. */
struct skv_admin_req {
    uint32_t struct_size;
    const char *op;        /* e.g. "kv.put", "status"; NUL-terminated */
    const char *arg;       /* op argument (e.g. the key), may be NULL */
    size_t arg_len;        /* bytes in arg (binary-safe) */
    const void *body;      /* raw payload (e.g. the value), may be NULL */
    size_t body_len;
    const char *json;      /* JSON parameters, NUL-terminated, may be NULL */
    uint32_t flags;        /* SKV_ADMIN_F_* */
};
#define SKV_ADMIN_F_LOCAL_READ 0x1u /* ?consistency=local */

/* The core's answer. Valid only for the duration of the done callback. */
struct skv_admin_resp {
    uint32_t struct_size;
    int rc;                /* SKV_OK or an enum skv_rc */
    int status;            /* suggested HTTP-like status: 200, 404, 503... */
    const char *error;     /* stable error name ("ErrNotLeader"), or NULL */
    const char *message;   /* human-readable message, or NULL */
    int retry_after_s;     /* >0: retryable, hint in seconds */
    const char *json;      /* JSON body, NUL-terminated, or NULL */
    const void *body;      /* raw body (KV get), or NULL */
    size_t body_len;
    /* ---- since 1.2 ---- */
    /* kv.get: the key's revision (HTTP X-Sealkv-Mod-Index / -Create-Index).
     * Both 0 when the reply is not a read of a key, or the key was last
     * written before revisions existed (unknown). A reader checks
     * struct_size first (SKV_COVERS). */
    uint64_t mod_index;    /* index of the write that produced the value (since 1.2) */
    uint64_t create_index; /* index of the write that created the key (since 1.2) */
};

/* Called exactly once per accepted admin_call, from the loop thread.
 * Must not block and must not call admin_call re-entrantly. */
typedef void (*skv_admin_done_fn)(void *arg,
                                  const struct skv_admin_resp *resp);

/* ---- the host-API table --------------------------------------------- */

/*
 * Handed to the plugin's init(); one table per loaded plugin (the `ctx`
 * identifies the plugin to the host). The table and ctx stay valid until
 * fini() returns. Fields are only ever appended.
 */
struct skv_host {
    uint32_t struct_size;
    uint32_t abi_minor;   /* host's SKV_ABI_MINOR */
    void *ctx;            /* pass back as first argument */

    /* Logging. Any thread. `fmt` is printf-style. Never pass key bytes. */
    void (*log)(void *ctx, int level, const char *fmt, ...) SKV_PRINTF(3, 4);

    /* Config accessors for the plugin's own `options:` mapping.
     * Loop thread, during init() only. A missing key yields `def`
     * and SKV_OK; a present key of the wrong type or out of range fails
     * with SKV_ERR_CONFIG and a file:line:column message. After init()
     * returns, option keys the plugin never asked for are reported as
     * unknown and the plugin is refused. `*out` strings stay valid until
     * fini(). */
    int (*opt_string)(void *ctx, const char *key, const char *def,
                      const char **out, struct skv_err *err);
    int (*opt_int)(void *ctx, const char *key, int64_t def, int64_t min,
                   int64_t max, int64_t *out, struct skv_err *err);
    int (*opt_bool)(void *ctx, const char *key, int def, int *out,
                    struct skv_err *err);

    /* Clocks. Any thread. Monotonic and wall-clock milliseconds. */
    uint64_t (*now_ms)(void *ctx);
    uint64_t (*wall_ms)(void *ctx);

    /* Transport → core. Any thread. The host copies `data`; it returns
     * without blocking. `from_id` is the sender's node id: proven by its
     * credentials when the transport reports SKV_TRANSPORT_SEC_AUTHENTICATED
     * (<sealkv/transport.h>), else as announced by its handshake. Never
     * 0: a transport that does not know the sender drops the frame. */
    void (*deliver)(void *ctx, uint64_t from_id, const void *data,
                    size_t len);

    /* Admin → core. Any thread. Returns SKV_OK when the request was
     * accepted; then `done` is called exactly once later from the loop
     * thread. On any other return `done` is never called. */
    int (*admin_call)(void *ctx, const struct skv_admin_req *req,
                      skv_admin_done_fn done, void *done_arg);

    /* Node identity for plugins that need it (transport handshake,
     * logging). Any thread. */
    uint64_t (*node_id)(void *ctx);
};

/* ---- the plugin descriptor ----------------------------------------- */

/*
 * Returned by sealkv_plugin_v1(); static storage in the plugin, never
 * freed. The kind-specific ops table pointed to by `ops` starts with its
 * own uint32_t struct_size.
 */
struct skv_plugin {
    uint32_t abi_major;    /* SKV_ABI_MAJOR the plugin was built against */
    uint32_t abi_minor;    /* SKV_ABI_MINOR the plugin was built against */
    uint32_t struct_size;  /* sizeof(struct skv_plugin) at build time */
    uint32_t kind;         /* enum skv_plugin_kind */
    const char *name;      /* short name, e.g. "leveldb" */
    const char *version;   /* plugin's own version string */
    const char *description;

    /* Create the plugin instance. Loop thread, once. On success stores an
     * opaque instance in *state (may be NULL) that every op receives.
     * `host` stays valid until fini(). */
    int (*init)(const struct skv_host *host, void **state,
                struct skv_err *err);

    /* Destroy the instance: stop threads, free everything, wipe secrets.
     * Loop thread, once, after every handle the plugin gave out was
     * closed. Never fails. */
    void (*fini)(void *state);

    /* Kind-specific ops table (struct skv_storage_ops etc.). */
    const void *ops;
};

typedef const struct skv_plugin *(*skv_plugin_entry_fn)(void);

/*
 * SKV_PLUGIN_DEFINE(kind, name, version, description, init, fini, ops):
 * defines the plugin's descriptor — abi_major/abi_minor/struct_size of
 * the headers being compiled against, then the arguments in the order of
 * struct skv_plugin — in static storage, and the exported entry symbol
 * sealkv_plugin_v1 (SKV_PLUGIN_EXPORT, with its prototype; C linkage
 * from C++ too) returning it.
 * Use it once per plugin, at file scope, followed by a semicolon:
 *
 *     SKV_PLUGIN_DEFINE(SKV_KIND_CIPHER, "openssl", "1.0",
 *                       "AEAD suites from OpenSSL", my_init, my_fini,
 *                       &my_ops);
 *
 * A convenience only: it expands to the same descriptor and entry a
 * plugin may write out by hand; no layout or symbol depends on it.
 * (since 1.1)
 */
#ifdef __cplusplus
#define SKV_PLUGIN_LINKAGE_ extern "C" /* since 1.1 */
#else
#define SKV_PLUGIN_LINKAGE_ /* since 1.1 */
#endif
#define SKV_PLUGIN_DEFINE(kind_, name_, version_, description_, init_,   \
                          fini_, ops_)                                   \
    SKV_PLUGIN_LINKAGE_ SKV_PLUGIN_EXPORT const struct skv_plugin        \
        *sealkv_plugin_v1(void);                                         \
    SKV_PLUGIN_EXPORT const struct skv_plugin *sealkv_plugin_v1(void)    \
    {                                                                    \
        static const struct skv_plugin skv_plugin_desc_ = {              \
            SKV_ABI_MAJOR, SKV_ABI_MINOR, sizeof(struct skv_plugin),     \
            (kind_), (name_), (version_), (description_),                \
            (init_), (fini_), (ops_)};                                   \
        return &skv_plugin_desc_;                                        \
    }                                                                    \
    extern int skv_plugin_define_once_ /* takes the caller's ';' */

/* Helper for plugins: fill an skv_err and return its code. */
static inline int skv_err_set(struct skv_err *err, int code,
                              const char *fmt, ...) SKV_PRINTF(3, 4);
static inline int skv_err_set(struct skv_err *err, int code,
                              const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

#ifdef __cplusplus
}
#endif
#endif /* SEALKV_PLUGIN_H */
