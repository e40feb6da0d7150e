/* SPDX-License-Identifier: MIT */
/*
 * test_config.c — the YAML config loader (core/config/config.h): a full config
 * and the defaults land in the struct; the shipped conf/ files are
 * valid; every class of bad input fails with "file:line:col: message"
 * at the offending node and leaves the struct zeroed.
 */
#include "config/config.h"
#include "skv_test.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <unistd.h>

#define NODE "node: { id: 1, address: 127.0.0.1:7101, data_dir: ./d }\n"

static char err[SKV_CONF_ERR_MAX];

/* Path of a file in the source tree ($SKV_TOP_SRCDIR, else "."). */
static const char *src_path(const char *rel)
{
    static char buf[PATH_MAX];
    const char *top = getenv("SKV_TOP_SRCDIR");
    snprintf(buf, sizeof buf, "%s/%s", top && *top ? top : ".", rel);
    return buf;
}

static int is_zeroed(const struct skv_config *c)
{
    static const struct skv_config zero;
    return memcmp(c, &zero, sizeof zero) == 0;
}

/* Parse `text` as "t.yaml"; it must fail at line:col with `phrase` in
 * the message, and leave the struct zeroed. */
static void expect_err_at(int at, const char *text, unsigned line,
                          unsigned col, const char *phrase)
{
    struct skv_config c;
    char want[64];
    int rc = skv_config_parse("t.yaml", text, strlen(text), &c, err, sizeof err);
    int pos_ok, phrase_ok;
    snprintf(want, sizeof want, "t.yaml:%u:%u: ", line, col);
    pos_ok = strncmp(err, want, strlen(want)) == 0;
    phrase_ok = strstr(err, phrase) != NULL;
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT(pos_ok);
    CU_ASSERT(phrase_ok);
    CU_ASSERT(is_zeroed(&c));
    if (rc != -1 || !pos_ok || !phrase_ok)
        fprintf(stderr, "\n  line %d: want '%s...%s', got '%s'\n", at, want,
                phrase, rc ? err : "(success)");
    if (rc == 0)
        skv_config_free(&c);
}
#define EXPECT_ERR(text, line, col, phrase) \
    expect_err_at(__LINE__, text, line, col, phrase)

/* Parse `text`; it must succeed. The caller frees `c`. */
static int parse_ok(const char *text, struct skv_config *c)
{
    int rc = skv_config_parse("t.yaml", text, strlen(text), c, err, sizeof err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc)
        fprintf(stderr, "\n  unexpected error: %s\n", err);
    return rc;
}

static const struct skv_conf_option *opt(const struct skv_conf_plugin *p,
                                         const char *key)
{
    size_t i;
    for (i = 0; i < p->n_options; i++)
        if (!strcmp(p->options[i].key, key))
            return &p->options[i];
    return NULL;
}

static void check_full_plugins(const struct skv_config *c)
{
    const struct skv_conf_option *o;
    CU_ASSERT_EQUAL(c->n_plugin_path, 2);
    CU_ASSERT_STRING_EQUAL(c->plugin_path[0], "/opt/sealkv/plugins");
    CU_ASSERT_STRING_EQUAL(c->plugin_path[1], "./plugins");
    CU_ASSERT_STRING_EQUAL(c->transport.name, "tcp-tls");
    CU_ASSERT_EQUAL(c->transport.n_options, 0);
    CU_ASSERT_STRING_EQUAL(c->storage.name, "leveldb");
    CU_ASSERT_EQUAL(c->storage.pos.line, 15);
    CU_ASSERT_EQUAL(c->storage.n_options, 3);
    o = opt(&c->storage, "cache_mb");
    CU_ASSERT_FATAL(o != NULL);
    CU_ASSERT_STRING_EQUAL(o->value, "64");
    CU_ASSERT_EQUAL(o->quoted, 0);
    CU_ASSERT_EQUAL(o->pos.line, 17);
    CU_ASSERT_EQUAL(o->pos.col, 17);
    CU_ASSERT_EQUAL(o->used, 0);
    o = opt(&c->storage, "sync");
    CU_ASSERT_FATAL(o != NULL);
    CU_ASSERT_STRING_EQUAL(o->value, "yes");
    o = opt(&c->storage, "label");
    CU_ASSERT_FATAL(o != NULL);
    CU_ASSERT_STRING_EQUAL(o->value, "42");
    CU_ASSERT_EQUAL(o->quoted, 1);
    CU_ASSERT_EQUAL(o->pos.line, 19);
    CU_ASSERT_EQUAL(o->pos.col, 14);
    CU_ASSERT_STRING_EQUAL(c->cipher.name, "sodium");
    o = opt(&c->cipher, "suite");
    CU_ASSERT_FATAL(o != NULL);
    CU_ASSERT_STRING_EQUAL(o->value, "chacha20-poly1305");
    o = opt(&c->admin, "listen");
    CU_ASSERT_FATAL(o != NULL);
    CU_ASSERT_STRING_EQUAL(o->value, "127.0.0.1:8202");
    CU_ASSERT_EQUAL(o->quoted, 1);
}

static void test_full_roundtrip(void)
{
    struct skv_config c;
    const char *path = src_path("tests/unit/conf/full.yaml");
    int rc = skv_config_load(path, &c, err, sizeof err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(c.file, path);
    CU_ASSERT_EQUAL(c.node_id, UINT64_MAX);
    CU_ASSERT_STRING_EQUAL(c.node_address, "[::1]:7202");
    CU_ASSERT_STRING_EQUAL(c.data_dir, "/var/lib/sealkv/n2");
    CU_ASSERT_EQUAL(c.n_bootstrap, 2);
    CU_ASSERT_EQUAL(c.bootstrap[0].id, 7);
    CU_ASSERT_STRING_EQUAL(c.bootstrap[0].address, "127.0.0.1:7201");
    CU_ASSERT_EQUAL(c.bootstrap[0].pos.line, 8);
    CU_ASSERT_EQUAL(c.bootstrap[0].pos.col, 7);
    CU_ASSERT_EQUAL(c.bootstrap[1].id, UINT64_MAX);
    CU_ASSERT_EQUAL(c.bootstrap[1].pos.line, 9);
    check_full_plugins(&c);
    CU_ASSERT_EQUAL(c.enc_enabled, 1);
    CU_ASSERT_STRING_EQUAL(c.kek_file, "/etc/sealkv/kek.key");
    CU_ASSERT_EQUAL(c.kek_pos.line, 24);
    CU_ASSERT_EQUAL(c.kek_pos.col, 13);
    CU_ASSERT_EQUAL(c.election_timeout_ms, 60000);
    CU_ASSERT_EQUAL(c.heartbeat_timeout_ms, 30000);
    CU_ASSERT_EQUAL(c.snapshot_threshold, 1);
    CU_ASSERT_EQUAL(c.snapshot_trailing, 0);
    CU_ASSERT_EQUAL(c.log_level, SKV_CONF_LOG_DEBUG);
    skv_config_free(&c);
    CU_ASSERT(is_zeroed(&c));
    skv_config_free(&c); /* twice is harmless */
}

static void test_defaults(void)
{
    struct skv_config c;
    if (parse_ok(NODE, &c))
        return;
    CU_ASSERT_EQUAL(c.node_id, 1);
    CU_ASSERT_EQUAL(c.n_bootstrap, 0);
    CU_ASSERT_EQUAL(c.n_plugin_path, 0);
    CU_ASSERT_STRING_EQUAL(c.transport.name, "tcp");
    CU_ASSERT_STRING_EQUAL(c.storage.name, "leveldb");
    CU_ASSERT_STRING_EQUAL(c.cipher.name, "sodium");
    CU_ASSERT_STRING_EQUAL(c.admin.name, "http");
    CU_ASSERT_EQUAL(c.storage.n_options, 0);
    CU_ASSERT_EQUAL(c.enc_enabled, 0);
    CU_ASSERT_PTR_NULL(c.kek_file);
    CU_ASSERT_EQUAL(c.election_timeout_ms, 1000);
    CU_ASSERT_EQUAL(c.heartbeat_timeout_ms, 100);
    CU_ASSERT_EQUAL(c.snapshot_threshold, 8192);
    CU_ASSERT_EQUAL(c.snapshot_trailing, 2048);
    CU_ASSERT_EQUAL(c.log_level, SKV_CONF_LOG_INFO);
    CU_ASSERT_STRING_EQUAL(c.file, "t.yaml");
    skv_config_free(&c);
}

/* Empty sections and a slot without a name keep the defaults;
 * encryption may be enabled with the KEK coming from the environment. */
static void test_null_sections(void)
{
    struct skv_config c;
    if (parse_ok(NODE "cluster:\nplugins:\n  storage: { options: { a: 1 } }\n"
                 "encryption: { enabled: true }\nraft:\nlog:\n", &c))
        return;
    CU_ASSERT_EQUAL(c.n_bootstrap, 0);
    CU_ASSERT_STRING_EQUAL(c.storage.name, "leveldb");
    CU_ASSERT_EQUAL(c.storage.n_options, 1);
    CU_ASSERT_EQUAL(c.enc_enabled, 1);
    CU_ASSERT_PTR_NULL(c.kek_file);
    CU_ASSERT_EQUAL(c.election_timeout_ms, 1000);
    skv_config_free(&c);
}

static void check_shipped(const char *rel, uint64_t id, const char *listen)
{
    struct skv_config c;
    const struct skv_conf_option *o;
    int rc = skv_config_load(src_path(rel), &c, err, sizeof err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc) {
        fprintf(stderr, "\n  %s\n", err);
        return;
    }
    CU_ASSERT_EQUAL(c.node_id, id);
    CU_ASSERT_EQUAL(c.n_bootstrap, 3);
    CU_ASSERT_EQUAL(c.enc_enabled, 1);
    CU_ASSERT_PTR_NOT_NULL(c.kek_file);
    o = opt(&c.admin, "listen");
    CU_ASSERT(o && !strcmp(o->value, listen));
    skv_config_free(&c);
}

static void test_shipped_configs(void)
{
    struct skv_config c;
    check_shipped("conf/sealkv.yaml", 1, "127.0.0.1:8101");
    check_shipped("conf/cluster-3/n1.yaml", 1, "127.0.0.1:8101");
    check_shipped("conf/cluster-3/n2.yaml", 2, "127.0.0.1:8102");
    check_shipped("conf/cluster-3/n3.yaml", 3, "127.0.0.1:8103");
    if (skv_config_load(src_path("conf/cluster-3/n2.yaml"), &c, err, sizeof err))
        return;
    CU_ASSERT_STRING_EQUAL(c.node_address, "127.0.0.1:7102");
    CU_ASSERT_STRING_EQUAL(c.data_dir, "./data/n2");
    CU_ASSERT_STRING_EQUAL(c.kek_file, "./data/kek.key");
    CU_ASSERT_STRING_EQUAL(c.bootstrap[2].address, "127.0.0.1:7103");
    skv_config_free(&c);
}

static void test_syntax_error(void)
{
    struct skv_config c;
    char want[PATH_MAX + 32];
    const char *path = src_path("tests/unit/conf/bad-syntax.yaml");
    EXPECT_ERR("node: {\n", 2, 1, "YAML syntax error");
    EXPECT_ERR("node:\n  id: 1\n x: 2\n", 3, 2, "YAML syntax error");
    EXPECT_ERR("node:\n\tid: 1\n", 2, 1, "YAML syntax error");
    EXPECT_ERR("a: 1\nb: \"x\n", 3, 1, "YAML syntax error");
    EXPECT_ERR("a: 1\nb: \xc3\x28\n", 2, 5, "invalid input");
    CU_ASSERT_EQUAL(skv_config_load(path, &c, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:4:2: YAML syntax error", path);
    CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
    CU_ASSERT(is_zeroed(&c));
}

static void test_unknown_key(void)
{
    struct skv_config c;
    char want[PATH_MAX + 128];
    const char *path = src_path("tests/unit/conf/unknown-key.yaml");
    EXPECT_ERR(NODE "nodes: 1\n", 2, 1,
               "unknown top-level key 'nodes' (expected: node, cluster, "
               "plugins, encryption, raft, log)");
    EXPECT_ERR(NODE "raft:\n  election_timeout: 5\n", 3, 3,
               "unknown key 'election_timeout' in 'raft'");
    EXPECT_ERR(NODE "plugins:\n  storage: { nmae: leveldb }\n", 3, 14,
               "unknown key 'nmae' in 'plugins.storage' (expected: name, options)");
    EXPECT_ERR(NODE "plugins:\n  chiper: { name: x }\n", 3, 3,
               "unknown key 'chiper' in 'plugins'");
    EXPECT_ERR(NODE "cluster: { bootstrap: [ { id: 1, adr: x } ] }\n", 2, 34,
               "unknown key 'adr' in 'cluster.bootstrap[0]'");
    CU_ASSERT_EQUAL(skv_config_load(path, &c, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:7:3: unknown key 'adress' in 'node' "
             "(expected: id, address, data_dir)", path);
    CU_ASSERT_STRING_EQUAL(err, want);
}

static void test_wrong_type(void)
{
    EXPECT_ERR("node: [1, 2]\n", 1, 7, "'node' must be a mapping, got a sequence");
    EXPECT_ERR(NODE "cluster: []\n", 2, 10, "'cluster' must be a mapping");
    EXPECT_ERR(NODE "cluster: { bootstrap: { id: 1 } }\n", 2, 23,
               "'cluster.bootstrap' must be a sequence, got a mapping");
    EXPECT_ERR("node: { id: abc, address: a:1, data_dir: d }\n", 1, 13,
               "'node.id' must be an integer, got 'abc'");
    EXPECT_ERR("node: { id: '1', address: a:1, data_dir: d }\n", 1, 13,
               "'node.id' must be an integer, got a quoted string");
    EXPECT_ERR("node: { id: 1.5, address: a:1, data_dir: d }\n", 1, 13,
               "must be an integer");
    EXPECT_ERR("node: { id: 1, address: a:1, data_dir: { x: 1 } }\n", 1, 40,
               "'node.data_dir' must be a string, got a mapping");
    EXPECT_ERR(NODE "encryption: { enabled: maybe }\n", 2, 24,
               "'encryption.enabled' must be true or false");
    EXPECT_ERR(NODE "encryption: { enabled: \"true\" }\n", 2, 24,
               "got a quoted string");
    EXPECT_ERR(NODE "encryption: { kek_file: [a] }\n", 2, 25,
               "'encryption.kek_file' must be a string, got a sequence");
    EXPECT_ERR(NODE "plugins: { path: /opt }\n", 2, 18,
               "'plugins.path' must be a sequence, got a scalar");
    EXPECT_ERR(NODE "plugins: { path: [ [a] ] }\n", 2, 20,
               "'plugins.path[0]' must be a string");
    EXPECT_ERR(NODE "plugins: { admin: http }\n", 2, 19,
               "'plugins.admin' must be a mapping, got a scalar");
    EXPECT_ERR(NODE "log: { level: [info] }\n", 2, 15, "'log.level' must be a scalar");
}

static void test_yes_no_bools(void)
{
    struct skv_config c;
    if (parse_ok(NODE "encryption: { enabled: Yes }\n", &c) == 0) {
        CU_ASSERT_EQUAL(c.enc_enabled, 1);
        skv_config_free(&c);
    }
    if (parse_ok(NODE "encryption: { enabled: no }\n", &c) == 0) {
        CU_ASSERT_EQUAL(c.enc_enabled, 0);
        skv_config_free(&c);
    }
}

static void test_out_of_range(void)
{
    EXPECT_ERR("node: { id: 0, address: a:1, data_dir: d }\n", 1, 13,
               "'node.id' must be at least 1, got 0");
    EXPECT_ERR("node: { id: -3, address: a:1, data_dir: d }\n", 1, 13,
               "'node.id' must not be negative");
    EXPECT_ERR("node: { id: 18446744073709551616, address: a:1, data_dir: d }\n",
               1, 13, "out of range");
    EXPECT_ERR("node: { id: 007, address: a:1, data_dir: d }\n", 1, 13,
               "leading zeros");
    EXPECT_ERR(NODE "raft: { election_timeout_ms: 49 }\n", 2, 30,
               "'raft.election_timeout_ms' must be between 50 and 60000, got 49");
    EXPECT_ERR(NODE "raft: { election_timeout_ms: 60001 }\n", 2, 30,
               "must be between 50 and 60000");
    EXPECT_ERR(NODE "raft: { heartbeat_timeout_ms: 9 }\n", 2, 31,
               "'raft.heartbeat_timeout_ms' must be between 10");
    EXPECT_ERR(NODE "raft:\n  election_timeout_ms: 1000\n  heartbeat_timeout_ms: 501\n",
               4, 25, "must be at most half of 'raft.election_timeout_ms' (1000)");
    EXPECT_ERR(NODE "raft:\n  election_timeout_ms: 150\n", 3, 24,
               "'raft.heartbeat_timeout_ms' (100) must be at most half");
    EXPECT_ERR(NODE "raft: { snapshot_threshold: 0 }\n", 2, 29,
               "'raft.snapshot_threshold' must be at least 1");
    EXPECT_ERR(NODE "raft: { snapshot_trailing: 4294967296 }\n", 2, 28,
               "must be between 0 and 4294967295");
    EXPECT_ERR(NODE "log: { level: loud }\n", 2, 15,
               "'log.level' must be one of debug, info, warn, error, got 'loud'");
}

static void test_boundaries_accepted(void)
{
    struct skv_config c;
    if (parse_ok(NODE "raft: { election_timeout_ms: 50, heartbeat_timeout_ms: 25 }\n"
                 "log: { level: error }\n", &c) == 0) {
        CU_ASSERT_EQUAL(c.election_timeout_ms, 50);
        CU_ASSERT_EQUAL(c.heartbeat_timeout_ms, 25);
        CU_ASSERT_EQUAL(c.log_level, SKV_CONF_LOG_ERROR);
        skv_config_free(&c);
    }
}

/* encryption.rotate_after: a strict duration, off when absent */
static void test_rotate_after(void)
{
    struct skv_config c;
    if (parse_ok(NODE "encryption: { rotate_after: 7d }\n", &c) == 0) {
        CU_ASSERT_EQUAL(c.enc_rotate_after_ms, 7ull * 86400u * 1000u);
        skv_config_free(&c);
    }
    if (parse_ok(NODE "encryption: { rotate_after: 90m }\n", &c) == 0) {
        CU_ASSERT_EQUAL(c.enc_rotate_after_ms, 90ull * 60u * 1000u);
        skv_config_free(&c);
    }
    if (parse_ok(NODE "encryption: { enabled: false }\n", &c) == 0) {
        CU_ASSERT_EQUAL(c.enc_rotate_after_ms, 0);
        skv_config_free(&c);
    }
    EXPECT_ERR(NODE "encryption: { rotate_after: 7 }\n", 2, 29, "must be a duration");
    EXPECT_ERR(NODE "encryption: { rotate_after: 7w }\n", 2, 29, "must be a duration");
    EXPECT_ERR(NODE "encryption: { rotate_after: 07d }\n", 2, 29, "must be a duration");
    EXPECT_ERR(NODE "encryption: { rotate_after: 1h30m }\n", 2, 29, "must be a duration");
    EXPECT_ERR(NODE "encryption: { rotate_after: -1h }\n", 2, 29, "must be a duration");
    EXPECT_ERR(NODE "encryption: { rotate_after: 0s }\n", 2, 29,
               "'encryption.rotate_after' must be between 1s and");
    EXPECT_ERR(NODE "encryption: { rotate_after: 3651d }\n", 2, 29, "must be between");
    EXPECT_ERR(NODE "encryption: { rotate_after: \"7d\" }\n", 2, 29, "");
}

/* encryption.seal_key_names: a boolean, off when absent */
static void test_seal_key_names(void)
{
    struct skv_config c;
    if (parse_ok(NODE "encryption: { seal_key_names: true }\n", &c) == 0) {
        CU_ASSERT_EQUAL(c.enc_seal_key_names, 1);
        skv_config_free(&c);
    }
    if (parse_ok(NODE "encryption: { enabled: true }\n", &c) == 0) {
        CU_ASSERT_EQUAL(c.enc_seal_key_names, 0);
        skv_config_free(&c);
    }
    EXPECT_ERR(NODE "encryption: { seal_key_names: 1 }\n", 2, 31, "");
    EXPECT_ERR(NODE "encryption: { seal_key_names: yes please }\n", 2, 31, "");
}

/* encryption.previous_kek_files (KEK rotation): a list of up to 4 paths */
static void test_previous_kek_files(void)
{
    struct skv_config c;
    if (parse_ok(NODE "encryption: { kek_file: /k/new, previous_kek_files: [/k/a, /k/b] }\n",
                 &c) == 0) {
        CU_ASSERT_EQUAL(c.n_prev_kek_files, 2);
        CU_ASSERT_STRING_EQUAL(c.prev_kek_files[0], "/k/a");
        CU_ASSERT_STRING_EQUAL(c.prev_kek_files[1], "/k/b");
        skv_config_free(&c);
    }
    if (parse_ok(NODE "encryption: { kek_file: /k/new, previous_kek_files: null }\n", &c) == 0) {
        CU_ASSERT_EQUAL(c.n_prev_kek_files, 0);
        skv_config_free(&c);
    }
    EXPECT_ERR(NODE "encryption: { previous_kek_files: /k/a }\n", 2, 35, "sequence");
    EXPECT_ERR(NODE "encryption: { previous_kek_files: [[a]] }\n", 2, 36,
               "'encryption.previous_kek_files[0]' must be a string");
    EXPECT_ERR(NODE "encryption: { previous_kek_files: [a, b, c, d, e] }\n", 2, 48,
               "too many entries in 'encryption.previous_kek_files' (limit 4)");
}

/* encryption.kek_pkcs11 / previous_kek_pkcs11 (KEK in an HSM) */
#define P11 "{ module: /m.so, token_label: tok, key_label: kek, pin_file: /p }"
static void test_kek_pkcs11(void)
{
    struct skv_config c;
    if (parse_ok(NODE "encryption: { kek_pkcs11: " P11 ", previous_kek_files: [/k/a] }\n",
                 &c) == 0) {
        CU_ASSERT(c.kek_pkcs11.set);
        CU_ASSERT_STRING_EQUAL(c.kek_pkcs11.module, "/m.so");
        CU_ASSERT_STRING_EQUAL(c.kek_pkcs11.token_label, "tok");
        CU_ASSERT_STRING_EQUAL(c.kek_pkcs11.key_label, "kek");
        CU_ASSERT_STRING_EQUAL(c.kek_pkcs11.pin_file, "/p");
        CU_ASSERT_FALSE(c.prev_kek_pkcs11.set);
        CU_ASSERT_PTR_NULL(c.kek_file);
        skv_config_free(&c);
    }
    if (parse_ok(NODE "encryption: { kek_file: /k, previous_kek_pkcs11: " P11 " }\n", &c) == 0) {
        CU_ASSERT(c.prev_kek_pkcs11.set);
        CU_ASSERT_FALSE(c.kek_pkcs11.set);
        CU_ASSERT_STRING_EQUAL(c.prev_kek_pkcs11.key_label, "kek");
        skv_config_free(&c);
    }
    EXPECT_ERR(NODE "encryption: { kek_file: /k, kek_pkcs11: " P11 " }\n", 2, 41,
               "encryption.kek_file and encryption.kek_pkcs11 both name the current KEK");
    EXPECT_ERR(NODE "encryption: { kek_pkcs11: { module: /m.so, token_label: t, key_label: k } }\n",
               2, 27, "missing required key 'pin_file' in 'encryption.kek_pkcs11'");
    EXPECT_ERR(NODE "encryption: { kek_pkcs11: { module: /m.so, token_label: t, key_label: k, "
               "pin_file: /p, pin: 1234 } }\n", 2, 88, "unknown key 'pin'");
    EXPECT_ERR(NODE "encryption: { kek_pkcs11: { module: /m.so, token_label: "
               "123456789012345678901234567890123, key_label: k, pin_file: /p } }\n", 2, 57,
               "encryption.kek_pkcs11.token_label must be 1 to 32 bytes, found 33");
    EXPECT_ERR(NODE "encryption: { kek_pkcs11: /m.so }\n", 2, 27, "");
    EXPECT_ERR(NODE "encryption: { previous_kek_pkcs11: { module: [a], token_label: t, "
               "key_label: k, pin_file: /p } }\n", 2, 46,
               "'encryption.previous_kek_pkcs11.module' must be a string");
}

static void test_bad_address(void)
{
    EXPECT_ERR("node: { id: 1, address: localhost, data_dir: d }\n", 1, 25,
               "'node.address' is not a valid host:port address (missing ':port')");
    EXPECT_ERR("node: { id: 1, address: 'h:0', data_dir: d }\n", 1, 25,
               "port must be a number in 1..65535");
    EXPECT_ERR("node: { id: 1, address: 'h:65536', data_dir: d }\n", 1, 25,
               "port must be a number in 1..65535");
    EXPECT_ERR("node: { id: 1, address: 'h:http', data_dir: d }\n", 1, 25,
               "port must be a number");
    EXPECT_ERR("node: { id: 1, address: ':7101', data_dir: d }\n", 1, 25,
               "empty host");
    EXPECT_ERR("node: { id: 1, address: '::1:7101', data_dir: d }\n", 1, 25,
               "IPv6 hosts must be written in brackets");
    EXPECT_ERR("node: { id: 1, address: 'a b:1', data_dir: d }\n", 1, 25,
               "bad character in host");
    EXPECT_ERR(NODE "cluster:\n  bootstrap:\n    - { id: 1, address: 127.0.0.1 }\n",
               4, 25, "'cluster.bootstrap[0].address' is not a valid host:port");
}

static void test_dup_node_id(void)
{
    EXPECT_ERR(NODE "cluster:\n  bootstrap:\n"
               "    - { id: 1, address: 127.0.0.1:7101 }\n"
               "    - { id: 2, address: 127.0.0.1:7102 }\n"
               "    - { id: 2, address: 127.0.0.1:7103 }\n",
               6, 13, "duplicate node id 2 in 'cluster.bootstrap' (first at 5:7)");
}

static void test_dup_address(void)
{
    struct skv_config c;
    char want[PATH_MAX + 128];
    const char *path = src_path("tests/unit/conf/dup-address.yaml");
    EXPECT_ERR(NODE "cluster:\n  bootstrap:\n"
               "    - { id: 1, address: 127.0.0.1:7101 }\n"
               "    - { id: 2, address: 127.0.0.1:7101 }\n",
               5, 25, "duplicate address '127.0.0.1:7101' in 'cluster.bootstrap' "
               "(first at 4:7)");
    CU_ASSERT_EQUAL(skv_config_load(path, &c, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:5:25: duplicate address", path);
    CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
}

static void test_self_not_in_bootstrap(void)
{
    EXPECT_ERR(NODE "cluster:\n  bootstrap:\n"
               "    - { id: 2, address: 127.0.0.1:7102 }\n",
               4, 5, "this node (id 1) is not listed in 'cluster.bootstrap'");
    EXPECT_ERR(NODE "cluster:\n  bootstrap:\n"
               "    - { id: 1, address: 127.0.0.1:7109 }\n",
               4, 25, "lists this node (id 1) at '127.0.0.1:7109' but "
               "'node.address' is '127.0.0.1:7101'");
}

static void test_dup_mapping_key(void)
{
    EXPECT_ERR(NODE "log: { level: info }\nlog: { level: warn }\n", 3, 1,
               "duplicate key 'log' (first at 2:1)");
    EXPECT_ERR("node:\n  id: 1\n  address: a:1\n  id: 2\n", 4, 3,
               "duplicate key 'id' (first at 2:3)");
    EXPECT_ERR(NODE "plugins: { storage: { options: { a: 1, a: 2 } } }\n", 2, 40,
               "duplicate key 'a' (first at 2:34)");
}

static void test_missing_required(void)
{
    EXPECT_ERR("log: { level: info }\n", 1, 1, "missing required section 'node'");
    EXPECT_ERR("node:\n  address: a:1\n  data_dir: d\n", 2, 3,
               "missing required key 'id' in 'node'");
    EXPECT_ERR("node: { id: 1, data_dir: d }\n", 1, 7,
               "missing required key 'address' in 'node'");
    EXPECT_ERR("node: { id: 1, address: a:1 }\n", 1, 7,
               "missing required key 'data_dir' in 'node'");
    EXPECT_ERR("node:\n", 1, 6, "'node' has no value");
    EXPECT_ERR("node: { id: 1, address: a:1, data_dir: }\n", 1, 40,
               "'node.data_dir' has no value");
    EXPECT_ERR("node: { id: 1, address: a:1, data_dir: '' }\n", 1, 40,
               "'node.data_dir' must not be empty");
    EXPECT_ERR(NODE "cluster: { bootstrap: [ { address: a:1 } ] }\n", 2, 25,
               "missing required key 'id' in 'cluster.bootstrap[0]'");
}

static void test_empty(void)
{
    struct skv_config c;
    char want[PATH_MAX + 64];
    const char *path = src_path("tests/unit/conf/empty.yaml");
    EXPECT_ERR("", 1, 1, "the configuration is empty");
    EXPECT_ERR("# just a comment\n\n", 1, 1, "the configuration is empty");
    EXPECT_ERR("---\n...\n", 2, 1, "the configuration is empty");
    CU_ASSERT_EQUAL(skv_config_load(path, &c, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:1:1: the configuration is empty", path);
    CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
}

static void test_non_mapping_document(void)
{
    EXPECT_ERR("- node\n- cluster\n", 1, 1,
               "the configuration must be a mapping, got a sequence");
    EXPECT_ERR("\n  hello\n", 2, 3, "the configuration must be a mapping, got a scalar");
}

static void test_nonexistent_file(void)
{
    struct skv_config c;
    char want[PATH_MAX + 128];
    char *dir = skv_test_tmpdir("config");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    snprintf(want, sizeof want, "%s/nope.yaml", dir);
    CU_ASSERT_EQUAL(skv_config_load(want, &c, err, sizeof err), -1);
    strncat(want, ": cannot open: ", sizeof want - strlen(want) - 1);
    strncat(want, strerror(ENOENT), sizeof want - strlen(want) - 1);
    CU_ASSERT_STRING_EQUAL(err, want);
    CU_ASSERT(is_zeroed(&c));
    CU_ASSERT_EQUAL(skv_config_load(dir, &c, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
    skv_test_rmtree(dir);
    free(dir);
}

static void test_options_nested_refused(void)
{
    EXPECT_ERR(NODE "plugins:\n  storage:\n    name: leveldb\n    options:\n"
               "      cache: { mb: 32 }\n", 6, 14,
               "option 'cache' in 'plugins.storage.options' must be a scalar, "
               "got a mapping");
    EXPECT_ERR(NODE "plugins: { cipher: { options: { suites: [a, b] } } }\n", 2, 41,
               "must be a scalar, got a sequence");
    EXPECT_ERR(NODE "plugins: { cipher: { options: [a] } }\n", 2, 31,
               "'plugins.cipher.options' must be a mapping");
}

static void test_yaml_features_refused(void)
{
    EXPECT_ERR("node: &n { id: 1 }\n", 1, 7, "YAML anchors ('&n') are not supported");
    EXPECT_ERR(NODE "log: *n\n", 2, 6, "YAML aliases ('*n') are not supported");
    EXPECT_ERR(NODE "log: { level: !!str info }\n", 2, 15, "YAML tags");
    EXPECT_ERR(NODE "---\nlog: { level: info }\n", 2, 1,
               "only one YAML document is allowed");
    EXPECT_ERR(NODE "? [a]\n: 1\n", 2, 3, "mapping keys must be scalars");
    EXPECT_ERR(NODE "log: { level: \"in\\0fo\" }\n", 2, 15, "NUL character");
    EXPECT_ERR("a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
               1, 35, "nesting deeper than 32 levels");
    EXPECT_ERR(NODE "plugins: { storage: { name: ../x } }\n", 2, 29,
               "may contain only letters, digits");
}

static void test_limits(void)
{
    struct skv_config c;
    char *big, *dir, path[PATH_MAX];
    size_t n = 1024 * 1024 + 1, i;
    int fd;
    big = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memset(big, '#', n);
    CU_ASSERT_EQUAL(skv_config_parse("big", big, n, &c, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "big: configuration is too large"));
    dir = skv_test_tmpdir("config");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    snprintf(path, sizeof path, "%s/big.yaml", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL((size_t)write(fd, big, n), n);
    close(fd);
    CU_ASSERT_EQUAL(skv_config_load(path, &c, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "file is too large"));
    skv_test_rmtree(dir);
    free(dir);
    /* 65 bootstrap members: the 65th is refused at its position. */
    strcpy(big, NODE "cluster:\n  bootstrap:\n");
    for (i = 1; i <= 65; i++)
        snprintf(big + strlen(big), 64, "    - { id: %zu, address: h:%zu }\n", i,
                 7100 + i);
    EXPECT_ERR(big, 68, 7, "too many entries in 'cluster.bootstrap' (limit 64)");
    strcpy(big, NODE "plugins:\n  storage:\n    options:\n");
    for (i = 0; i < 33; i++)
        snprintf(big + strlen(big), 64, "      o%zu: %zu\n", i, i);
    EXPECT_ERR(big, 37, 7, "too many options in 'plugins.storage.options' (limit 32)");
    free(big);
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("config", NULL, NULL);
    if (!s)
        return 99;
    CU_add_test(s, "full config round-trips", test_full_roundtrip);
    CU_add_test(s, "defaults", test_defaults);
    CU_add_test(s, "null sections keep defaults", test_null_sections);
    CU_add_test(s, "shipped conf/ files are valid", test_shipped_configs);
    CU_add_test(s, "YAML syntax error", test_syntax_error);
    CU_add_test(s, "unknown key", test_unknown_key);
    CU_add_test(s, "wrong type", test_wrong_type);
    CU_add_test(s, "yes/no booleans", test_yes_no_bools);
    CU_add_test(s, "out of range", test_out_of_range);
    CU_add_test(s, "range boundaries accepted", test_boundaries_accepted);
    CU_add_test(s, "encryption.rotate_after", test_rotate_after);
    CU_add_test(s, "encryption.seal_key_names", test_seal_key_names);
    CU_add_test(s, "encryption.previous_kek_files", test_previous_kek_files);
    CU_add_test(s, "encryption.kek_pkcs11 / previous_kek_pkcs11", test_kek_pkcs11);
    CU_add_test(s, "bad address", test_bad_address);
    CU_add_test(s, "duplicate node id", test_dup_node_id);
    CU_add_test(s, "duplicate address", test_dup_address);
    CU_add_test(s, "self not in bootstrap", test_self_not_in_bootstrap);
    CU_add_test(s, "duplicate mapping key", test_dup_mapping_key);
    CU_add_test(s, "missing required key", test_missing_required);
    CU_add_test(s, "empty file", test_empty);
    CU_add_test(s, "non-mapping document", test_non_mapping_document);
    CU_add_test(s, "nonexistent file", test_nonexistent_file);
    CU_add_test(s, "nested option refused", test_options_nested_refused);
    CU_add_test(s, "anchors, aliases, tags, ... refused", test_yaml_features_refused);
    CU_add_test(s, "size and count limits", test_limits);
    return skv_test_run();
}
