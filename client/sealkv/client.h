/* SPDX-License-Identifier: MIT */
/*
 * sealkv/client.h — libsealkv-client, the C client of a sealkv cluster's
 * admin HTTP API (docs/INTERFACE.md "HTTP"; sealkv-client(3)). The sealkv
 * CLI is built on it. pkg-config name: sealkv-client.
 *
 * Stability: the API and ABI are stable within a major version
 * (SKV_CLIENT_MAJOR, the soname's number): within it functions, enum
 * values and struct layouts are only added to (a new function, a new
 * enumerator), never changed or removed. skv_client_options carries its
 * own size so later minors can grow it.
 *
 * Rules that hold for every function below:
 *   - Ownership: the library never keeps a pointer the caller passed,
 *     except where said (skv_client_error.endpoint points into the
 *     client). Every result struct the library fills is owned by the
 *     caller and freed with its *_clear function; *_clear functions are
 *     idempotent and accept a zeroed struct. Keys and values are bytes
 *     (pointer + length, may hold NUL); returned values have one extra
 *     NUL byte after their length for convenience.
 *   - Errors: each call returns an enum skv_client_code (SKV_CLIENT_OK on
 *     success); when `err` is not NULL it is filled (also on success:
 *     code OK, everything else empty) and must be cleared with
 *     skv_client_error_clear. The codes are the sealkv(1) exit classes.
 *   - Threads: a struct skv_client may be used by one thread at a time;
 *     use one client per thread (they are cheap) or lock around calls.
 *     A watch callback may make other calls on the same client (they run
 *     on the same thread). Different clients are independent: there is
 *     no global mutable state beyond libcurl's own (and libsodium's
 *     thread-safe sodium_init), see skv_client_global_init.
 *   - Bounds: every answer is read into memory up to
 *     options.max_response_bytes (then SKV_CLIENT_LOCAL, nothing more
 *     read); a watch line up to 128 MiB; nothing from the network is
 *     trusted (malformed answers fail with SKV_CLIENT_REFUSED and a
 *     message, never a crash).
 */
#ifndef SEALKV_CLIENT_H
#define SEALKV_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SKV_CLIENT_MAJOR 1
#define SKV_CLIENT_MINOR 0

/* Outcome classes; the values are sealkv(1)'s exit statuses (1..6). */
enum skv_client_code {
    SKV_CLIENT_OK = 0,
    SKV_CLIENT_REFUSED = 1,        /* refused by the server: nothing was done */
    SKV_CLIENT_USAGE = 2,          /* bad arguments or options: nothing was sent */
    SKV_CLIENT_NOT_FOUND = 3,      /* get: no such key */
    SKV_CLIENT_COMPARE_FAILED = 4, /* a compare-and-swap's compare failed
                                      (HTTP 412 ErrCompareFailed): nothing was done */
    SKV_CLIENT_UNREACHABLE = 5,    /* no server reached (connect, name lookup, TLS
                                      handshake): nothing was done */
    SKV_CLIENT_UNKNOWN = 6,        /* the request may or may not have taken effect
                                      (connection broke after sending, timeout,
                                      ErrLeadershipLost, a 5xx not from sealkv):
                                      read again before deciding; never resent */
    SKV_CLIENT_LOCAL = 7           /* a local failure (out of memory, an unreadable
                                      token file, an answer past the size bound):
                                      sealkv(1) exits 1 */
};

/* "ok", "refused", "usage", "not_found", "compare_failed",
 * "unreachable", "unknown_outcome", "local"; a static string. */
const char *skv_client_code_name(enum skv_client_code code);

/* What went wrong. All pointers are NULL / strings empty when unknown. */
struct skv_client_error {
    enum skv_client_code code;
    long http_status;     /* the answer's HTTP status; 0: no answer */
    int no_answer;        /* 1: the request got no HTTP answer (detail says why) */
    char *name;           /* the server's error name ("ErrCompareFailed"), or NULL */
    char *message;        /* the server's "message", or NULL */
    char *body;           /* the failed answer's body as received (NUL-terminated,
                             body_len bytes before the NUL), or NULL */
    size_t body_len;
    long retry_after_s;   /* the answer's Retry-After, -1 when absent */
    const char *endpoint; /* the endpoint of the last attempt (points into the
                             client: valid until skv_client_free), or NULL */
    char detail[512];     /* no answer: libcurl's reason; usage / local: what */
};

/* Free what the error holds and zero it (idempotent). */
void skv_client_error_clear(struct skv_client_error *err);

/* ---- process-wide setup ------------------------------------------- */

/* libcurl's curl_global_init(CURL_GLOBAL_DEFAULT). Call it once, before
 * any thread creates a client, and skv_client_global_cleanup once at the
 * end, after every client was freed (libcurl's rules: not thread-safe
 * before libcurl 7.84). A program that initialises libcurl itself may
 * skip both. 0, or -1 when libcurl cannot initialise. */
int skv_client_global_init(void);
void skv_client_global_cleanup(void);

/* "1.0.0": the library's version; a static string. */
const char *skv_client_version(void);

/* ---- the client handle -------------------------------------------- */

#define SKV_CLIENT_MAX_ENDPOINTS 16

struct skv_client_options {
    size_t struct_size;   /* sizeof(struct skv_client_options): set by _init */
    const char *const *endpoints; /* admin base URLs, http:// or https://, tried
                                     in order (1..SKV_CLIENT_MAX_ENDPOINTS); copied */
    size_t n_endpoints;
    const char *token;      /* bearer token, or NULL; copied into locked memory,
                               wiped on skv_client_free */
    const char *token_file; /* or: read the token from this owner-only file (mode
                               0600/0400, regular, one line of printable ASCII
                               without spaces, at most 4096 bytes); not both */
    const char *ca_file;    /* CA (PEM) verifying https:// servers; NULL: the
                               system store */
    const char *cert_file;  /* client certificate (PEM), or NULL */
    const char *key_file;   /* its private key (PEM); NULL: inside cert_file */
    long timeout_ms;        /* one attempt's limit (default 30000; > 0) */
    long retry_ms;          /* budget for resending requests the server refused
                               before doing anything (no leader yet) and refused
                               connections (default 10000; 0: never) */
    size_t max_response_bytes; /* bound on one answer (default 64 MiB, at most
                                  2 GiB) */
};

/* Defaults: no endpoint, no credentials, 30 s, 10 s, 64 MiB. */
void skv_client_options_init(struct skv_client_options *o);

struct skv_client;

/* A client from the options (copied: o may go right after). Reads the
 * token file now. Sends nothing. SKV_CLIENT_OK with *out set, else
 * USAGE (bad options) or LOCAL (token file, memory) and *out NULL. */
enum skv_client_code skv_client_new(const struct skv_client_options *o,
                                    struct skv_client **out, struct skv_client_error *err);

/* Free the client, wiping the token (NULL is a no-op). */
void skv_client_free(struct skv_client *c);

/* A new client like c (credentials, limits) whose only endpoint is
 * `endpoint`: for a conversation that must stay on the node that began
 * it (a backup session). Free it with skv_client_free. OK, USAGE (not an
 * http(s) URL) or LOCAL. */
enum skv_client_code skv_client_pin(const struct skv_client *c, const char *endpoint,
                                    struct skv_client **out, struct skv_client_error *err);

/*
 * Failover and retries, for every request: the endpoints are tried in
 * order — the next one at once when no server was reached or the answer
 * says nothing was done (503 of errors.def's SOON class), a GET also on
 * any connection failure or 5xx — and, within retry_ms, the whole list
 * again with a backoff (100 ms doubling, at most 1 s; Retry-After
 * honoured up to 1 s). A write whose outcome is unknown is never resent.
 */

/* ---- keys --------------------------------------------------------- */

/* One key-value pair as read. */
struct skv_client_kv {
    void *key;            /* malloc'd bytes (+ NUL) */
    size_t key_len;
    void *value;          /* malloc'd bytes (+ NUL), or NULL when has_value is 0 */
    size_t value_len;
    int has_value;
    uint64_t mod_index;   /* the write that produced the value (0: before revisions) */
    uint64_t create_index;/* the write that created the key (get and txn gets only) */
    int has_index;        /* 1 when the server sent the indexes */
};
void skv_client_kv_clear(struct skv_client_kv *kv);

/* Read flags. */
#define SKV_CLIENT_READ_LOCAL 1u /* consistency=local: this node's state, maybe stale */

/* GET /v1/kv/{key}: OK with *out filled, NOT_FOUND when there is no
 * such key, else an error. key_len >= 1. */
enum skv_client_code skv_client_get(struct skv_client *c, const void *key, size_t key_len,
                                    unsigned flags, struct skv_client_kv *out,
                                    struct skv_client_error *err);

/* A write's condition (compare-and-swap). */
enum skv_client_cond_kind {
    SKV_CLIENT_COND_NONE = 0,
    SKV_CLIENT_COND_PREV_INDEX, /* the key exists with mod index prev_index (put, delete) */
    SKV_CLIENT_COND_EXISTS,     /* the key exists (put only: prev_exist=true) */
    SKV_CLIENT_COND_ABSENT      /* the key is absent (put only: prev_exist=false) */
};
struct skv_client_cond {
    enum skv_client_cond_kind kind;
    uint64_t prev_index;  /* 0 .. 2^62 */
};

/* A write's answer. */
struct skv_client_write {
    uint64_t index;       /* the log index of the write */
    char *raw;            /* the server's JSON answer as received (+ NUL) */
    size_t raw_len;
};
void skv_client_write_clear(struct skv_client_write *w);

/* PUT / DELETE /v1/kv/{key}[?prev_index=N|?prev_exist=B]. cond and out
 * may be NULL. A failed compare is SKV_CLIENT_COMPARE_FAILED (err->body
 * holds the server's object with the key's current "mod_index"). */
enum skv_client_code skv_client_put(struct skv_client *c, const void *key, size_t key_len,
                                    const void *value, size_t value_len,
                                    const struct skv_client_cond *cond,
                                    struct skv_client_write *out, struct skv_client_error *err);
enum skv_client_code skv_client_delete(struct skv_client *c, const void *key, size_t key_len,
                                       const struct skv_client_cond *cond,
                                       struct skv_client_write *out,
                                       struct skv_client_error *err);

/* ---- listing ------------------------------------------------------ */

struct skv_client_list_req {
    const void *prefix;   /* keys starting with it (NULL/0: every key) */
    size_t prefix_len;
    const void *after;    /* only keys sorting after it (exclusive), or NULL: to
                             page, pass the previous page's last key */
    size_t after_len;
    unsigned limit;       /* 1..10000 keys; 0: the server's default (1000) */
    int keys_only;        /* leave the values out */
    unsigned flags;       /* SKV_CLIENT_READ_LOCAL */
};

struct skv_client_list {
    struct skv_client_kv *kvs; /* in byte order of the keys */
    size_t n;
    int more;             /* the range goes on after kvs[n - 1] */
};
void skv_client_list_clear(struct skv_client_list *l);

/* One page of GET /v1/kv (each page is a linearizable read of its own). */
enum skv_client_code skv_client_list(struct skv_client *c, const struct skv_client_list_req *rq,
                                     struct skv_client_list *out,
                                     struct skv_client_error *err);

/* ---- transactions ------------------------------------------------- */

enum skv_client_cmp_kind {
    SKV_CLIENT_CMP_MOD_INDEX = 1, /* the key exists with this mod index */
    SKV_CLIENT_CMP_VALUE,         /* the key exists with exactly these bytes */
    SKV_CLIENT_CMP_EXISTS         /* the key's presence is `exists` */
};
struct skv_client_cmp {
    enum skv_client_cmp_kind kind;
    const void *key;
    size_t key_len;
    uint64_t mod_index;
    const void *value;
    size_t value_len;
    int exists;
};

enum skv_client_op_kind { SKV_CLIENT_OP_PUT = 1, SKV_CLIENT_OP_DELETE, SKV_CLIENT_OP_GET };
struct skv_client_op {
    enum skv_client_op_kind kind;
    const void *key;
    size_t key_len;
    const void *value;    /* put only */
    size_t value_len;
};

struct skv_client_txn {
    const struct skv_client_cmp *compare;
    size_t n_compare;
    const struct skv_client_op *success, *failure;
    size_t n_success, n_failure;
};

/* One result per op of the branch that ran, in order. */
struct skv_client_txn_op {
    enum skv_client_op_kind kind;
    int found;                /* get: the key existed */
    struct skv_client_kv kv;  /* get: key, and when found value + indexes */
};
struct skv_client_txn_result {
    int succeeded;            /* 1: every compare held, the success ops ran */
    uint64_t index;
    struct skv_client_txn_op *results;
    size_t n_results;
    char *raw;                /* the server's JSON answer as received (+ NUL) */
    size_t raw_len;
};
void skv_client_txn_result_clear(struct skv_client_txn_result *r);

/* POST /v1/txn built from t (bounds: docs/INTERFACE.md). Either branch is
 * SKV_CLIENT_OK: see out->succeeded. */
enum skv_client_code skv_client_txn(struct skv_client *c, const struct skv_client_txn *t,
                                    struct skv_client_txn_result *out,
                                    struct skv_client_error *err);

/* The same with the request's JSON as given (docs/INTERFACE.md
 * "POST /v1/txn"; the server checks it: a malformed one is REFUSED with
 * its message). For callers that already hold the JSON (sealkv txn). */
enum skv_client_code skv_client_txn_json(struct skv_client *c, const char *json, size_t len,
                                         struct skv_client_txn_result *out,
                                         struct skv_client_error *err);

/* ---- watch -------------------------------------------------------- */

enum skv_client_event_kind {
    SKV_CLIENT_EV_PUT = 1,
    SKV_CLIENT_EV_DELETE,
    SKV_CLIENT_EV_PROGRESS,  /* every change up to `index` was delivered */
    SKV_CLIENT_EV_RECONNECT  /* the stream broke or its node no longer keeps the
                                changes: going to `notice`'s endpoint; informative */
};
/* Valid during the callback only. */
struct skv_client_event {
    enum skv_client_event_kind kind;
    uint64_t index;
    const void *key;         /* PUT, DELETE */
    size_t key_len;
    const void *value;       /* PUT */
    size_t value_len;
    const char *line;        /* PUT, DELETE, PROGRESS: the server's JSON line */
    size_t line_len;
    const char *notice;      /* RECONNECT: what happened, for people */
};

/* 0 to go on; anything else stops the watch (skv_client_watch then
 * returns SKV_CLIENT_OK). Called on the calling thread; ev and what it
 * points to are valid during the call only. Other calls on the same
 * client are allowed from it. */
typedef int (*skv_client_watch_cb)(void *arg, const struct skv_client_event *ev);

struct skv_client_watch_req {
    const void *prefix;   /* changes of keys under it (NULL/0: every key) */
    size_t prefix_len;
    int has_from;         /* 1: the changes after from_index; 0: from now on */
    uint64_t from_index;  /* in: where to start; out: every change up to it was
                             delivered whole (resume by passing it again) */
};

/*
 * Follow GET /v1/watch, calling cb for every change in log order, each
 * exactly once. When a stream breaks or its node stops it reconnects —
 * the next endpoint at once, then round after round within retry_ms
 * (which starts again after each connection that delivered something) —
 * from the last index delivered whole, skipping what is sent again. A
 * node that no longer keeps the changes (410 ErrCompacted) sends it to
 * the next endpoint; when every endpoint answered so in a row it ends
 * with REFUSED, name "ErrCompacted". Ends: OK (the callback stopped it),
 * UNREACHABLE (no endpoint answered within the budget), or another error
 * (an error line or answer: err->name, err->http_status 2xx for a line
 * in a stream). Blocks; stop it from the callback.
 */
enum skv_client_code skv_client_watch(struct skv_client *c, struct skv_client_watch_req *rq,
                                      skv_client_watch_cb cb, void *arg,
                                      struct skv_client_error *err);

/* ---- any other admin route ---------------------------------------- */

struct skv_client_answer {
    long status;          /* the 2xx status */
    char *body;           /* as received (+ NUL) */
    size_t len;
    const char *endpoint; /* the endpoint that answered (points into the client:
                             valid until skv_client_free) */
};
void skv_client_answer_clear(struct skv_client_answer *a);

/* One request to an admin route without a typed call above
 * (GET /v1/status, /v1/cluster/members, /v1/encryption/...), with the
 * same credentials, failover and retries. `path` starts with '/' and is
 * sent as is (percent-encode what needs it). method: "GET", "POST",
 * "PUT" or "DELETE"; body may be NULL. OK (2xx) with *out filled, else
 * an error. */
enum skv_client_code skv_client_request(struct skv_client *c, const char *method,
                                        const char *path, const void *body, size_t body_len,
                                        const char *content_type,
                                        struct skv_client_answer *out,
                                        struct skv_client_error *err);

/* Percent-encode len bytes for one URL path segment or query value: only
 * ALPHA DIGIT - . _ ~ pass, every other byte becomes %XX. malloc'd
 * (caller frees), NULL when out of memory. */
char *skv_client_pct_encode(const void *in, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SEALKV_CLIENT_H */
