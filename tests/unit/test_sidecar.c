/* SPDX-License-Identifier: MIT */
/*
 * test_sidecar.c — the encryption sidecar (core/enc/sidecar*.c): JSON and
 * file round trips, a missing sidecar, every validation error with its
 * message, crash-durable store under injected and real failures, file
 * modes, and the start-time epoch bump.
 */
#include "skv_test.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/nonce.h"
#include "enc/sidecar.h"

/* ---- helpers ------------------------------------------------------------ */

#define KEK_ID_A "00112233445566778899aabbccddeeff"

static void sample(struct skv_sidecar *sc)
{
    struct skv_sidecar_key k;
    struct skv_err err = {0};
    size_t i;
    skv_sidecar_init(sc);
    memset(&k, 0, sizeof k);
    k.key_id = 305419896u;
    k.purpose = SKV_PURPOSE_STORAGE;
    strcpy(k.suite, "aes-256-gcm");
    k.wrapped_len = 72;
    for (i = 0; i < k.wrapped_len; i++)
        k.wrapped[i] = (uint8_t)(i * 7 + 1);
    k.created_ms = 1777000000123ull;
    k.local_epoch = 7;
    strcpy(k.kek_id, KEK_ID_A);
    strcpy(k.kek_provider, "pkcs11");   /* wrapped under a KEK in an HSM */
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_add_key(sc, &k, &err), SKV_OK);
    k.kek_id[0] = '\0'; /* the second key: none recorded (an older sidecar) */
    k.kek_provider[0] = '\0';
    k.key_id = 4294967295u; /* the largest id survives the trip */
    k.purpose = SKV_PURPOSE_RAFT;
    strcpy(k.suite, "chacha20-poly1305");
    k.wrapped_len = 1;
    k.local_epoch = 0xFFFE;
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_add_key(sc, &k, &err), SKV_OK);
    sc->active_storage = 305419896u;
    sc->active_raft = 4294967295u;
    sc->storage_envelope_active = 1;
    sc->raft_envelope_cutover_index = 184201;
    sc->raft_applied_index = 184273;
}

static int key_equal(const struct skv_sidecar_key *a,
                     const struct skv_sidecar_key *b)
{
    return a->key_id == b->key_id && a->purpose == b->purpose &&
           strcmp(a->suite, b->suite) == 0 && a->wrapped_len == b->wrapped_len &&
           memcmp(a->wrapped, b->wrapped, a->wrapped_len) == 0 &&
           a->created_ms == b->created_ms && a->local_epoch == b->local_epoch &&
           strcmp(a->kek_id, b->kek_id) == 0 && strcmp(a->kek_provider, b->kek_provider) == 0;
}

static int sc_equal(const struct skv_sidecar *a, const struct skv_sidecar *b)
{
    size_t i;
    if (a->version != b->version || a->raft_applied_index != b->raft_applied_index ||
        a->storage_envelope_active != b->storage_envelope_active ||
        a->raft_envelope_cutover_index != b->raft_envelope_cutover_index ||
        a->active_storage != b->active_storage || a->active_raft != b->active_raft ||
        a->n_keys != b->n_keys)
        return 0;
    for (i = 0; i < a->n_keys; i++)
        if (!key_equal(&a->keys[i], &b->keys[i]))
            return 0;
    return 1;
}

static void path_of(char *buf, size_t n, const char *dir, const char *rel)
{
    snprintf(buf, n, "%s/%s", dir, rel);
}

static int exists(const char *dir, const char *rel)
{
    char p[600];
    struct stat st;
    path_of(p, sizeof p, dir, rel);
    return lstat(p, &st) == 0;
}

static void write_file(const char *dir, const char *rel, const char *text,
                       size_t len)
{
    char p[600];
    FILE *f;
    path_of(p, sizeof p, dir, rel);
    f = fopen(p, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* ---- round trips -------------------------------------------------------- */

static void test_json_round_trip(void)
{
    struct skv_sidecar a, b;
    struct skv_err err = {0};
    char *text = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    sample(&a);
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_to_json(&a, &text, &len, &err), SKV_OK);
    CU_ASSERT_EQUAL(len, strlen(text));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"raft_envelope_cutover_index\": 184201"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"purpose\": \"raft\""));
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_from_json(text, len, &b, &err), SKV_OK);
    CU_ASSERT_TRUE(sc_equal(&a, &b));
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_to_json(&b, &again, &len2, &err), SKV_OK);
    CU_ASSERT_STRING_EQUAL(text, again);
    free(text);
    free(again);
}

/* Sealed key names: the optional "names" member round-trips, is written
 * only when set, and refuses a key that cannot make the name key. */
static void test_names(void)
{
    struct skv_sidecar a, b;
    struct skv_err err = {0};
    char *text = NULL;
    size_t len = 0;
    sample(&a);
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_to_json(&a, &text, &len, &err), SKV_OK);
    CU_ASSERT_PTR_NULL(strstr(text, "\"names\""));   /* absent when off */
    free(text);
    a.names_index = 184300;
    a.names_key_id = 305419896u;
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_to_json(&a, &text, &len, &err), SKV_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"sealed_index\": 184300"));
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_from_json(text, len, &b, &err), SKV_OK);
    CU_ASSERT_EQUAL(b.names_index, 184300);
    CU_ASSERT_EQUAL(b.names_key_id, 305419896u);
    free(text);
    b = a;
    b.names_key_id = 4294967295u;   /* a raft key */
    CU_ASSERT_EQUAL(skv_sidecar_validate(&b, &err), SKV_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "names.key_id"));
    b = a;
    b.names_key_id = 77;            /* unknown */
    CU_ASSERT_EQUAL(skv_sidecar_validate(&b, &err), SKV_ERR_INVALID);
    b = a;
    b.names_key_id = 0;             /* one without the other */
    CU_ASSERT_EQUAL(skv_sidecar_validate(&b, &err), SKV_ERR_INVALID);
    b = a;
    b.keys[0].retired_index = 184400; /* its key retired */
    CU_ASSERT_EQUAL(skv_sidecar_validate(&b, &err), SKV_ERR_INVALID);
    b = a;
    b.storage_envelope_active = 0;
    b.raft_envelope_cutover_index = 0;
    CU_ASSERT_EQUAL(skv_sidecar_validate(&b, &err), SKV_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "storage envelope"));
    {
        static const char *const bad[] = {
            "\"names\": 1,", "\"names\": {\"sealed_index\": 1},",
            "\"names\": {\"sealed_index\": 0, \"key_id\": 305419896},",
            "\"names\": {\"sealed_index\": 1, \"key_id\": 305419896, \"x\": 1},",
            "\"names\": {\"sealed_index\": -1, \"key_id\": 305419896},"};
        size_t i;
        sample(&a);
        CU_ASSERT_EQUAL_FATAL(skv_sidecar_to_json(&a, &text, &len, &err), SKV_OK);
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            char *at = strstr(text, "\"keys\"");
            char doc[8192];
            CU_ASSERT_PTR_NOT_NULL_FATAL(at);
            snprintf(doc, sizeof doc, "%.*s%s%s", (int)(at - text), text, bad[i], at);
            CU_ASSERT_EQUAL(skv_sidecar_from_json(doc, strlen(doc), &b, &err), SKV_ERR_INVALID);
        }
        free(text);
    }
}

static void test_file_round_trip(void)
{
    struct skv_sidecar a, b;
    struct skv_err err = {0};
    char *dir = skv_test_tmpdir("sidecar"), p[600];
    struct stat st;
    int present = -1;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    sample(&a);
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_store(dir, &a, &err), SKV_OK);
    CU_ASSERT_EQUAL(skv_sidecar_load(dir, &b, &present, &err), SKV_OK);
    CU_ASSERT_EQUAL(present, 1);
    CU_ASSERT_TRUE(sc_equal(&a, &b));
    /* modes: directory 0700, file 0600; no tmp file left behind */
    path_of(p, sizeof p, dir, "encryption");
    CU_ASSERT_EQUAL_FATAL(stat(p, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0700);
    path_of(p, sizeof p, dir, "encryption/keys.json");
    CU_ASSERT_EQUAL_FATAL(stat(p, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
    CU_ASSERT_FALSE(exists(dir, "encryption/keys.json.tmp"));
    /* a second store replaces the content */
    a.raft_applied_index = 999999;
    CU_ASSERT_EQUAL(skv_sidecar_store(dir, &a, &err), SKV_OK);
    CU_ASSERT_EQUAL(skv_sidecar_load(dir, &b, &present, &err), SKV_OK);
    CU_ASSERT_EQUAL(b.raft_applied_index, 999999);
    skv_test_rmtree(dir);
    free(dir);
}

static void test_missing(void)
{
    struct skv_sidecar sc;
    struct skv_err err = {0};
    char *dir = skv_test_tmpdir("sidecar"), p[600];
    int present = -1;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    /* no encryption/ directory at all */
    CU_ASSERT_EQUAL(skv_sidecar_load(dir, &sc, &present, &err), SKV_OK);
    CU_ASSERT_EQUAL(present, 0);
    CU_ASSERT_EQUAL(sc.n_keys, 0);
    CU_ASSERT_EQUAL(sc.version, SKV_SIDECAR_VERSION);
    /* the directory without the file */
    path_of(p, sizeof p, dir, "encryption");
    CU_ASSERT_EQUAL_FATAL(mkdir(p, 0700), 0);
    present = -1;
    CU_ASSERT_EQUAL(skv_sidecar_load(dir, &sc, &present, &err), SKV_OK);
    CU_ASSERT_EQUAL(present, 0);
    /* a missing data dir is "no sidecar" too */
    path_of(p, sizeof p, dir, "nope");
    CU_ASSERT_EQUAL(skv_sidecar_load(p, &sc, &present, &err), SKV_OK);
    CU_ASSERT_EQUAL(present, 0);
    skv_test_rmtree(dir);
    free(dir);
}

/* ---- validation: each error names its field ----------------------------- */

#define K_STORAGE(id, ep)                                                   \
    "{\"key_id\":" #id ",\"purpose\":\"storage\",\"suite\":\"aes-256-gcm\","  \
    "\"wrapped\":\"AAECAw==\",\"created\":1,\"local_epoch\":" #ep "}"
#define K_RAFT(id)                                                          \
    "{\"key_id\":" #id ",\"purpose\":\"raft\",\"suite\":\"aes-256-gcm\","     \
    "\"wrapped\":\"AAECAw==\",\"created\":1,\"local_epoch\":1}"
#define DOC(extra, active, cut, keys)                                       \
    "{\"version\":1,\"raft_applied_index\":5,"                              \
    "\"storage_envelope_active\":false,\"raft_envelope_cutover_index\":"    \
    cut "," extra "\"active\":" active ",\"keys\":[" keys "]}"
#define ACT0 "{\"storage\":0,\"raft\":0}"

struct bad_case {
    const char *json;
    const char *want;   /* substring of the message */
};

#define TOP(v, rai, sea) "{\"version\":" v ",\"raft_applied_index\":" rai \
    ",\"storage_envelope_active\":" sea ",\"raft_envelope_cutover_index\":0," \
    "\"active\":" ACT0 ",\"keys\":[]}"
#define KEY(fields) "{\"version\":1,\"raft_applied_index\":5," \
    "\"storage_envelope_active\":false,\"raft_envelope_cutover_index\":0," \
    "\"active\":" ACT0 ",\"keys\":[{" fields "}]}"
#define KF_ID "\"key_id\":7,"
#define KF_PS "\"purpose\":\"storage\",\"suite\":\"aes-256-gcm\","
#define KF_W "\"wrapped\":\"AAECAw==\","
#define KF_CE "\"created\":1,\"local_epoch\":1"

static const struct bad_case bad_cases[] = {
    {DOC("\"bogus\":1,", ACT0, "0", ""), "bogus: unknown member"},
    {"{\"version\":1}", "raft_applied_index: missing"},
    {TOP("\"1\"", "5", "false"), "version: must be an integer"},
    {TOP("2", "5", "false"), "version: 2 is not supported"},
    {TOP("1", "-1", "false"), "raft_applied_index: -1 is out of range"},
    {TOP("1", "1.5", "false"), "raft_applied_index: must be an integer"},
    {TOP("1", "5", "1"), "storage_envelope_active: must be true or false"},
    {TOP("1", "5", "true"), "storage_envelope_active: true but active.storage is 0"},
    {DOC("", "\"x\"", "0", ""), "active: must be an object"},
    {DOC("", "{\"storage\":0,\"raft\":0,\"x\":1}", "0", ""), "active.x: unknown member"},
    {DOC("", "{\"storage\":0}", "0", ""), "active.raft: missing"},
    {DOC("", "{\"storage\":0,\"raft\":4294967296}", "0", ""),
     "active.raft: 4294967296 is out of range"},
    {"{\"version\":1,\"raft_applied_index\":5,\"storage_envelope_active\":false,"
     "\"raft_envelope_cutover_index\":0,\"active\":" ACT0 ",\"keys\":{}}",
     "keys: must be an array"},
    {DOC("", ACT0, "0", "7"), "keys[0]: must be an object"},
    {DOC("", ACT0, "0", K_STORAGE(0, 1)), "keys[0].key_id: 0 is reserved"},
    {DOC("", ACT0, "0", K_STORAGE(7, 1) "," K_STORAGE(7, 2)),
     "keys[1].key_id: 7 duplicates keys[0]"},
    {DOC("", "{\"storage\":0,\"raft\":99}", "0", K_STORAGE(7, 1)),
     "active.raft: key_id 99 is not in keys"},
    {DOC("", "{\"storage\":8,\"raft\":0}", "0", K_STORAGE(7, 1) "," K_RAFT(8)),
     "active.storage: key_id 8 has purpose \"raft\""},
    {DOC("", "{\"storage\":7,\"raft\":7}", "0", K_STORAGE(7, 1)),
     "active.raft: key_id 7 has purpose \"storage\""},
    {DOC("", ACT0, "0", K_STORAGE(7, 65536)),
     "ErrLocalEpochOutOfRange: keys[0].local_epoch 65536 exceeds 0xFFFF"},
    {DOC("", "{\"storage\":7,\"raft\":0}", "10", K_STORAGE(7, 1)),
     "raft_envelope_cutover_index: 10 but active.raft is 0"},
    {KEY(KF_ID KF_PS "\"wrapped\":\"!!!!\"," KF_CE), "keys[0].wrapped: not valid base64"},
    {KEY(KF_ID KF_PS "\"wrapped\":\"AAECAx==\"," KF_CE), "keys[0].wrapped: not valid base64"},
    {KEY(KF_ID KF_PS "\"wrapped\":\"AAECAw\"," KF_CE), "keys[0].wrapped: not valid base64"},
    {KEY(KF_ID KF_PS "\"wrapped\":\"\"," KF_CE), "keys[0].wrapped: 0 bytes"},
    {KEY(KF_ID KF_PS "\"wrapped\":7," KF_CE), "keys[0].wrapped: must be a string"},
    {KEY(KF_ID "\"purpose\":\"kek\",\"suite\":\"x\"," KF_W KF_CE),
     "keys[0].purpose: must be \"storage\" or \"raft\""},
    {KEY(KF_ID "\"purpose\":\"raft\",\"suite\":\"\"," KF_W KF_CE),
     "keys[0].suite: must be 1..31 characters"},
    {KEY(KF_ID "\"purpose\":\"raft\",\"suite\":\"aes 256\"," KF_W KF_CE),
     "keys[0].suite: must be 1..31 characters of"},
    {KEY(KF_ID KF_PS KF_W KF_CE ",\"dek\":\"AAAA\""), "keys[0].dek: unknown member"},
    /* kek_id (KEK rotation): optional, exactly 32 lowercase hex characters */
    {KEY(KF_ID KF_PS KF_W KF_CE ",\"kek_id\":7"), "keys[0].kek_id: must be a string of 32"},
    {KEY(KF_ID KF_PS KF_W KF_CE ",\"kek_id\":\"\""), "keys[0].kek_id: must be a string of 32"},
    {KEY(KF_ID KF_PS KF_W KF_CE ",\"kek_id\":\"00112233445566778899aabbccddeef\""),
     "keys[0].kek_id: must be a string of 32"},
    {KEY(KF_ID KF_PS KF_W KF_CE ",\"kek_id\":\"00112233445566778899AABBCCDDEEFF\""),
     "keys[0].kek_id: must be a string of 32"},
    {KEY(KF_ID KF_PS KF_W KF_CE ",\"kek_id\":\"00112233445566778899aabbccddeeff0\""),
     "keys[0].kek_id: must be a string of 32"},
    {KEY(KF_ID KF_PS KF_W KF_CE ",\"kek_id\":\"0011223344556677\\u00008899aabbccddeef\""),
     "\\u0000 is not allowed"},
    {KEY(KF_ID KF_PS KF_W KF_CE ",\"kek_id\":\"" KEK_ID_A "\",\"kek_id\":\"" KEK_ID_A "\""),
     "duplicate object key"},
    {KEY(KF_ID KF_PS KF_W KF_CE ",\"kek\":\"" KEK_ID_A "\""), "keys[0].kek: unknown member"},
    /* kek_provider (KEK in an HSM): optional, "pkcs11", only next to a kek_id */
    {KEY(KF_ID KF_PS KF_W KF_CE ",\"kek_provider\":\"pkcs11\""),
     "keys[0].kek_provider: must be \"pkcs11\", next to a kek_id"},
    {KEY(KF_ID KF_PS KF_W KF_CE ",\"kek_id\":\"" KEK_ID_A "\",\"kek_provider\":\"file\""),
     "keys[0].kek_provider: must be \"pkcs11\""},
    {KEY(KF_ID KF_PS KF_W KF_CE ",\"kek_id\":\"" KEK_ID_A "\",\"kek_provider\":\"pkcs11x\""),
     "keys[0].kek_provider: must be \"pkcs11\""},
    {KEY(KF_ID KF_PS KF_W KF_CE ",\"kek_id\":\"" KEK_ID_A "\",\"kek_provider\":1"),
     "keys[0].kek_provider: must be \"pkcs11\""},
    {KEY(KF_ID KF_PS KF_W "\"local_epoch\":1"), "keys[0].created: missing"},
    {KEY(KF_ID KF_PS KF_W "\"created\":true,\"local_epoch\":1"),
     "keys[0].created: must be an integer"},
    {KEY("\"key_id\":4294967296," KF_PS KF_W KF_CE),
     "keys[0].key_id: 4294967296 is out of range"},
    {"{\"version\":1,\"version\":1}", "duplicate object key"},
    {DOC("", ACT0, "0", "") " x", "end of file expected"},
    {"[]", "must be an object"},
    {"", "line 1"},
    {KEY(KF_ID "\"purpose\":\"raft\",\"suite\":\"a\\u0000b\"," KF_W KF_CE),
     "\\u0000 is not allowed"},
};

static void test_validation_errors(void)
{
    size_t i;
    for (i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        struct skv_sidecar sc;
        struct skv_err err = {0};
        const struct bad_case *c = &bad_cases[i];
        int rc = skv_sidecar_from_json(c->json, strlen(c->json), &sc, &err);
        CU_ASSERT_EQUAL(rc, SKV_ERR_INVALID);
        if (rc != SKV_ERR_INVALID || !strstr(err.msg, c->want)) {
            fprintf(stderr, "case %zu: rc %d msg \"%s\", want \"%s\"\n", i, rc,
                    err.msg, c->want);
            CU_FAIL("message does not name the field");
        }
        CU_ASSERT_EQUAL(sc.n_keys, 0); /* reset on failure */
    }
}

/* The good document the bad cases are derived from parses. */
static void test_validation_baseline(void)
{
    static const char good[] =
        DOC("", "{\"storage\":7,\"raft\":8}", "10", K_STORAGE(7, 65535) "," K_RAFT(8));
    struct skv_sidecar sc;
    struct skv_err err = {0};
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_from_json(good, strlen(good), &sc, &err), SKV_OK);
    CU_ASSERT_EQUAL(sc.n_keys, 2);
    CU_ASSERT_EQUAL(sc.keys[0].local_epoch, 0xFFFF);
    CU_ASSERT_EQUAL(sc.keys[0].wrapped_len, 4);
    CU_ASSERT_EQUAL(sc.keys[1].wrapped[3], 3);
    CU_ASSERT_EQUAL(sc.raft_envelope_cutover_index, 10);
}

/* kek_id (KEK rotation): read when present, absent when not recorded
 * (older sidecars parse unchanged), written only when known, refused by
 * validate when malformed, and dropped by forget_kek_ids. */
static void test_kek_id(void)
{
    static const char old[] = DOC("", "{\"storage\":7,\"raft\":0}", "0", K_STORAGE(7, 1));
    static const char with[] = KEY(KF_ID KF_PS KF_W KF_CE ",\"kek_id\":\"" KEK_ID_A "\"");
    struct skv_sidecar sc;
    struct skv_err err = {0};
    char *text = NULL;
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_from_json(old, strlen(old), &sc, &err), SKV_OK);
    CU_ASSERT_STRING_EQUAL(sc.keys[0].kek_id, "");
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_to_json(&sc, &text, &len, &err), SKV_OK);
    CU_ASSERT_PTR_NULL(strstr(text, "kek_id")); /* not invented */
    free(text);
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_from_json(with, strlen(with), &sc, &err), SKV_OK);
    CU_ASSERT_STRING_EQUAL(sc.keys[0].kek_id, KEK_ID_A);
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_to_json(&sc, &text, &len, &err), SKV_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\"kek_id\": \"" KEK_ID_A "\""));
    free(text);
    skv_sidecar_forget_kek_ids(&sc);
    CU_ASSERT_STRING_EQUAL(sc.keys[0].kek_id, "");
    CU_ASSERT_TRUE(skv_sidecar_kek_id_ok(""));
    CU_ASSERT_TRUE(skv_sidecar_kek_id_ok(KEK_ID_A));
    CU_ASSERT_FALSE(skv_sidecar_kek_id_ok("00112233445566778899aabbccddeefg"));
    CU_ASSERT_FALSE(skv_sidecar_kek_id_ok("0011"));
    strcpy(sc.keys[0].kek_id, "0011");
    CU_ASSERT_EQUAL(skv_sidecar_validate(&sc, &err), SKV_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "keys[0].kek_id"));
    CU_ASSERT_EQUAL(skv_sidecar_to_json(&sc, &text, &len, &err), SKV_ERR_INVALID);
}

static void test_too_many_keys(void)
{
    char *doc = malloc(64 * 1024), *p;
    struct skv_sidecar sc;
    struct skv_err err = {0};
    int i;
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    p = doc + sprintf(doc, "{\"version\":1,\"raft_applied_index\":0,"
                           "\"storage_envelope_active\":false,"
                           "\"raft_envelope_cutover_index\":0,\"active\":"
                           ACT0 ",\"keys\":[");
    for (i = 1; i <= SKV_SIDECAR_MAX_KEYS + 1; i++)
        p += sprintf(p, "%s{\"key_id\":%d,\"purpose\":\"raft\",\"suite\":\"s\","
                        "\"wrapped\":\"AA==\",\"created\":0,\"local_epoch\":0}",
                     i > 1 ? "," : "", i);
    strcpy(p, "]}");
    CU_ASSERT_EQUAL(skv_sidecar_from_json(doc, strlen(doc), &sc, &err), SKV_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "keys: 65 keys (at most 64)"));
    free(doc);
}

/* Struct-side validation: store refuses and writes nothing. */
static void test_store_refuses_invalid(void)
{
    struct skv_sidecar sc;
    struct skv_err err = {0};
    char *dir = skv_test_tmpdir("sidecar");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    sample(&sc);
    sc.active_raft = 12345;
    CU_ASSERT_EQUAL(skv_sidecar_store(dir, &sc, &err), SKV_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "active.raft: key_id 12345 is not in keys"));
    CU_ASSERT_FALSE(exists(dir, "encryption"));
    sample(&sc);
    sc.keys[1].local_epoch = 0x10000;
    CU_ASSERT_EQUAL(skv_sidecar_store(dir, &sc, &err), SKV_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "ErrLocalEpochOutOfRange"));
    CU_ASSERT_FALSE(exists(dir, "encryption"));
    skv_test_rmtree(dir);
    free(dir);
}

/* ---- load errors ---------------------------------------------------------- */

static void test_load_errors(void)
{
    struct skv_sidecar sc;
    struct skv_err err = {0};
    char *dir = skv_test_tmpdir("sidecar"), p[600], *big;
    static const char bad[] = DOC("", ACT0, "0", K_STORAGE(0, 1));
    int present = -1;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    path_of(p, sizeof p, dir, "encryption");
    CU_ASSERT_EQUAL_FATAL(mkdir(p, 0700), 0);
    /* invalid content: corrupt, the message names file and field */
    write_file(dir, "encryption/keys.json", bad, strlen(bad));
    CU_ASSERT_EQUAL(skv_sidecar_load(dir, &sc, &present, &err), SKV_ERR_CORRUPT);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "keys.json: keys[0].key_id: 0 is reserved"));
    CU_ASSERT_EQUAL(present, 0);
    /* larger than 1 MiB */
    big = malloc(SKV_SIDECAR_MAX_BYTES + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    memset(big, ' ', SKV_SIDECAR_MAX_BYTES + 1);
    write_file(dir, "encryption/keys.json", big, SKV_SIDECAR_MAX_BYTES + 1);
    CU_ASSERT_EQUAL(skv_sidecar_load(dir, &sc, &present, &err), SKV_ERR_TOOBIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "at most 1048576"));
    CU_ASSERT_EQUAL(skv_sidecar_from_json(big, SKV_SIDECAR_MAX_BYTES + 1, &sc, &err),
                    SKV_ERR_TOOBIG);
    free(big);
    /* not a regular file */
    path_of(p, sizeof p, dir, "encryption/keys.json");
    CU_ASSERT_EQUAL_FATAL(unlink(p), 0);
    CU_ASSERT_EQUAL_FATAL(mkdir(p, 0700), 0);
    CU_ASSERT_NOT_EQUAL(skv_sidecar_load(dir, &sc, &present, &err), SKV_OK);
    CU_ASSERT_EQUAL(present, 0);
    skv_test_rmtree(dir);
    free(dir);
}

/* ---- crash durability ----------------------------------------------------- */

struct fail_at {
    int step;
    int calls;
};

static int fail_hook(void *arg, int step)
{
    struct fail_at *f = arg;
    f->calls++;
    return step == f->step;
}

/* Store v1, then fail a v2 store at `step`: error, v1 intact, no tmp. */
static void check_failed_store(int step)
{
    struct skv_sidecar v1, v2, got;
    struct skv_err err = {0};
    struct fail_at fa = {step, 0};
    struct skv_sidecar_fault fault = {fail_hook, &fa};
    char *dir = skv_test_tmpdir("sidecar");
    int present = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    sample(&v1);
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_store(dir, &v1, &err), SKV_OK);
    v2 = v1;
    v2.raft_applied_index = 424242;
    CU_ASSERT_EQUAL(skv_sidecar_store_fault(dir, &v2, &fault, &err), SKV_ERR_IO);
    CU_ASSERT(fa.calls >= 1);
    CU_ASSERT_EQUAL(skv_sidecar_load(dir, &got, &present, &err), SKV_OK);
    CU_ASSERT_EQUAL(present, 1);
    CU_ASSERT_TRUE(sc_equal(&got, &v1));
    CU_ASSERT_FALSE(exists(dir, "encryption/keys.json.tmp"));
    skv_test_rmtree(dir);
    free(dir);
}

static void test_fail_before_rename(void)
{
    check_failed_store(SKV_SC_STEP_MKDIR);
    check_failed_store(SKV_SC_STEP_WRITE);
    check_failed_store(SKV_SC_STEP_FSYNC_FILE);
    check_failed_store(SKV_SC_STEP_RENAME);
}

/* The last step failing is still an error (the caller must not ack). */
static void test_fail_dir_fsync(void)
{
    struct skv_sidecar sc;
    struct skv_err err = {0};
    struct fail_at fa = {SKV_SC_STEP_FSYNC_DIR, 0};
    struct skv_sidecar_fault fault = {fail_hook, &fa};
    char *dir = skv_test_tmpdir("sidecar");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    sample(&sc);
    CU_ASSERT_EQUAL(skv_sidecar_store_fault(dir, &sc, &fault, &err), SKV_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not durable"));
    CU_ASSERT_EQUAL(fa.calls, 5); /* every step was reached */
    CU_ASSERT_FALSE(exists(dir, "encryption/keys.json.tmp"));
    skv_test_rmtree(dir);
    free(dir);
}

/* A real rename failure: keys.json is a non-empty directory. */
static void test_real_rename_failure(void)
{
    struct skv_sidecar sc;
    struct skv_err err = {0};
    char *dir = skv_test_tmpdir("sidecar"), p[600];
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    path_of(p, sizeof p, dir, "encryption");
    CU_ASSERT_EQUAL_FATAL(mkdir(p, 0700), 0);
    path_of(p, sizeof p, dir, "encryption/keys.json");
    CU_ASSERT_EQUAL_FATAL(mkdir(p, 0700), 0);
    write_file(dir, "encryption/keys.json/old", "old", 3);
    sample(&sc);
    CU_ASSERT_EQUAL(skv_sidecar_store(dir, &sc, &err), SKV_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "rename"));
    CU_ASSERT_TRUE(exists(dir, "encryption/keys.json/old"));
    CU_ASSERT_FALSE(exists(dir, "encryption/keys.json.tmp"));
    skv_test_rmtree(dir);
    free(dir);
}

/* A stale tmp file of a crashed store (wrong mode) is replaced. */
static void test_stale_tmp(void)
{
    struct skv_sidecar sc;
    struct skv_err err = {0};
    char *dir = skv_test_tmpdir("sidecar"), p[600];
    struct stat st;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    path_of(p, sizeof p, dir, "encryption");
    CU_ASSERT_EQUAL_FATAL(mkdir(p, 0700), 0);
    write_file(dir, "encryption/keys.json.tmp", "garbage", 7);
    path_of(p, sizeof p, dir, "encryption/keys.json.tmp");
    CU_ASSERT_EQUAL_FATAL(chmod(p, 0644), 0);
    sample(&sc);
    CU_ASSERT_EQUAL(skv_sidecar_store(dir, &sc, &err), SKV_OK);
    CU_ASSERT_FALSE(exists(dir, "encryption/keys.json.tmp"));
    path_of(p, sizeof p, dir, "encryption/keys.json");
    CU_ASSERT_EQUAL_FATAL(stat(p, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
    skv_test_rmtree(dir);
    free(dir);
}

/* A data dir that does not exist: error, nothing created. */
static void test_store_no_data_dir(void)
{
    struct skv_sidecar sc;
    struct skv_err err = {0};
    char *dir = skv_test_tmpdir("sidecar"), p[600];
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    path_of(p, sizeof p, dir, "missing");
    sample(&sc);
    CU_ASSERT_EQUAL(skv_sidecar_store(p, &sc, &err), SKV_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "mkdir"));
    CU_ASSERT_FALSE(exists(dir, "missing"));
    skv_test_rmtree(dir);
    free(dir);
}

/* ---- epochs --------------------------------------------------------------- */

static void test_bump_epochs(void)
{
    struct skv_sidecar sc;
    struct skv_err err = {0};
    sample(&sc);
    sc.keys[0].local_epoch = 0;
    sc.keys[1].local_epoch = 0xFFFC;
    CU_ASSERT_EQUAL(skv_sidecar_bump_epochs(&sc, &err), SKV_OK);
    CU_ASSERT_EQUAL(sc.keys[0].local_epoch, 1);
    CU_ASSERT_EQUAL(sc.keys[1].local_epoch, 0xFFFD);
    CU_ASSERT_EQUAL(skv_sidecar_bump_epochs(&sc, &err), SKV_OK);
    CU_ASSERT_EQUAL(sc.keys[1].local_epoch, 0xFFFE);
    /* the next bump would reach 0xFFFF: refused, nothing changes */
    CU_ASSERT_EQUAL(skv_sidecar_bump_epochs(&sc, &err), SKV_ERR_FULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "ErrLocalEpochExhausted"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "key_id 4294967295"));
    CU_ASSERT_EQUAL(sc.keys[0].local_epoch, 2);
    CU_ASSERT_EQUAL(sc.keys[1].local_epoch, 0xFFFE);
    /* a loaded 0xFFFF (valid on disk) also refuses */
    sc.keys[1].local_epoch = 0xFFFF;
    CU_ASSERT_EQUAL(skv_sidecar_bump_epochs(&sc, &err), SKV_ERR_FULL);
    CU_ASSERT_EQUAL(sc.keys[0].local_epoch, 2);
}

/* A key no longer active (rotated away) never seals again: its epoch is
 * neither bumped nor a reason to refuse the start. */
static void test_bump_active_only(void)
{
    struct skv_sidecar sc;
    struct skv_err err = {0};
    sample(&sc);
    sc.keys[1].local_epoch = 0xFFFE;   /* would refuse if it were active */
    sc.active_raft = 0;
    CU_ASSERT_EQUAL(skv_sidecar_bump_epochs(&sc, &err), SKV_OK);
    CU_ASSERT_EQUAL(sc.keys[0].local_epoch, 8);
    CU_ASSERT_EQUAL(sc.keys[1].local_epoch, 0xFFFE);
    sc.active_raft = sc.keys[1].key_id;  /* active again: refused, remedy named */
    CU_ASSERT_EQUAL(skv_sidecar_bump_epochs(&sc, &err), SKV_ERR_FULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "rotate-dek --purpose raft"));
}

/* bump + store + load: the persisted epochs are the bumped ones. */
static void test_bump_persisted(void)
{
    struct skv_sidecar sc, got;
    struct skv_err err = {0};
    char *dir = skv_test_tmpdir("sidecar");
    int present = 0, round;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    sample(&sc);
    sc.keys[1].local_epoch = 3;
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_store(dir, &sc, &err), SKV_OK);
    for (round = 0; round < 3; round++) {
        CU_ASSERT_EQUAL_FATAL(skv_sidecar_load(dir, &got, &present, &err), SKV_OK);
        CU_ASSERT_EQUAL_FATAL(skv_sidecar_bump_epochs(&got, &err), SKV_OK);
        CU_ASSERT_EQUAL_FATAL(skv_sidecar_store(dir, &got, &err), SKV_OK);
    }
    CU_ASSERT_EQUAL(skv_sidecar_load(dir, &got, &present, &err), SKV_OK);
    CU_ASSERT_EQUAL(got.keys[0].local_epoch, 10);
    CU_ASSERT_EQUAL(got.keys[1].local_epoch, 6);
    skv_test_rmtree(dir);
    free(dir);
}

/* Three "process starts" over the same data dir: each loads the sidecar,
 * bumps and stores the epoch, then issues nonces the way a process does
 * (node_id16 ‖ epoch ‖ counter from 0). No nonce repeats across starts. */
#define RESTARTS 3
#define PER_START 500
static int nonce_cmp(const void *a, const void *b) { return memcmp(a, b, SKV_NONCE_LEN); }

static void test_nonce_unique_across_restarts(void)
{
    static uint8_t seen[RESTARTS * PER_START][SKV_NONCE_LEN];
    struct skv_sidecar sc;
    struct skv_err err = {0};
    struct skv_enc_err ee;
    struct skv_nonce_gen g;
    char *dir = skv_test_tmpdir("sidecar");
    int present = 0, start, i, n = 0;
    uint32_t last_epoch = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    sample(&sc);
    sc.keys[0].local_epoch = 1;
    sc.keys[1].local_epoch = 1;
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_store(dir, &sc, &err), SKV_OK);
    for (start = 0; start < RESTARTS; start++) {
        CU_ASSERT_EQUAL_FATAL(skv_sidecar_load(dir, &sc, &present, &err), SKV_OK);
        CU_ASSERT_EQUAL_FATAL(skv_sidecar_bump_epochs(&sc, &err), SKV_OK);
        CU_ASSERT_EQUAL_FATAL(skv_sidecar_store(dir, &sc, &err), SKV_OK);
        CU_ASSERT(sc.keys[0].local_epoch > last_epoch);
        last_epoch = sc.keys[0].local_epoch;
        memset(&ee, 0, sizeof ee);
        CU_ASSERT_EQUAL_FATAL(skv_nonce_gen_init(&g, skv_node_id16(7), sc.keys[0].local_epoch, &ee),
                              SKV_OK);
        for (i = 0; i < PER_START; i++)
            CU_ASSERT_EQUAL_FATAL(skv_nonce_next(&g, seen[n++], &ee), SKV_OK);
    }
    qsort(seen, (size_t)n, SKV_NONCE_LEN, nonce_cmp);
    for (i = 1; i < n; i++)
        CU_ASSERT_NOT_EQUAL(memcmp(seen[i - 1], seen[i], SKV_NONCE_LEN), 0);
    skv_test_rmtree(dir);
    free(dir);
}

static void test_add_key_rules(void)
{
    struct skv_sidecar sc;
    struct skv_sidecar_key k;
    struct skv_err err = {0};
    sample(&sc);
    k = sc.keys[0];
    CU_ASSERT_EQUAL(skv_sidecar_add_key(&sc, &k, &err), SKV_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "already present"));
    k.key_id = 0;
    CU_ASSERT_EQUAL(skv_sidecar_add_key(&sc, &k, &err), SKV_ERR_INVALID);
    k.key_id = 1;
    k.wrapped_len = 0;
    CU_ASSERT_EQUAL(skv_sidecar_add_key(&sc, &k, &err), SKV_ERR_INVALID);
    CU_ASSERT_EQUAL(sc.n_keys, 2);
    CU_ASSERT_PTR_NOT_NULL(skv_sidecar_find(&sc, 305419896u));
    CU_ASSERT_PTR_NULL(skv_sidecar_find(&sc, 1));
}

/* retire makes room: the 64-key limit counts keys with a DEK; tombstones
 * only count against the entries' limit. */
static void test_tombstones_make_room(void)
{
    struct skv_sidecar *sc = calloc(1, sizeof *sc);
    struct skv_sidecar_key k;
    struct skv_err err = {0};
    uint32_t i;
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    skv_sidecar_init(sc);
    memset(&k, 0, sizeof k);
    k.purpose = SKV_PURPOSE_RAFT;
    strcpy(k.suite, "aes-256-gcm");
    k.wrapped_len = 60;
    for (i = 1; i <= SKV_SIDECAR_MAX_KEYS; i++) {
        k.key_id = i;
        CU_ASSERT_EQUAL_FATAL(skv_sidecar_add_key(sc, &k, &err), SKV_OK);
    }
    CU_ASSERT_TRUE(skv_sidecar_full(sc));
    k.key_id = 1000;
    CU_ASSERT_EQUAL(skv_sidecar_add_key(sc, &k, &err), SKV_ERR_FULL);
    sc->keys[0].retired_index = 77;                 /* key 1 retired and dropped */
    sc->keys[0].dropped = 1;
    sc->keys[0].wrapped_len = 0;
    CU_ASSERT_EQUAL(skv_sidecar_live_keys(sc), SKV_SIDECAR_MAX_KEYS - 1);
    CU_ASSERT_FALSE(skv_sidecar_full(sc));
    CU_ASSERT_EQUAL(skv_sidecar_add_key(sc, &k, &err), SKV_OK);
    CU_ASSERT_EQUAL(skv_sidecar_validate(sc, &err), SKV_OK);
    CU_ASSERT_TRUE(skv_sidecar_full(sc));
    k.key_id = 1001;                                /* a tombstone still fits */
    k.dropped = 1;
    k.retired_index = 5;
    k.wrapped_len = 0;
    CU_ASSERT_EQUAL(skv_sidecar_add_key(sc, &k, &err), SKV_OK);
    CU_ASSERT_EQUAL(sc->n_keys, SKV_SIDECAR_MAX_KEYS + 2);
    free(sc);
}

/* retire: retired_index and the tombstone round-trip; their rules. */
static void test_retired_keys(void)
{
    struct skv_sidecar sc, back;
    struct skv_sidecar_key k;
    struct skv_err err = {0};
    char *json = NULL;
    size_t len = 0;
    sample(&sc);
    k = sc.keys[0];
    k.key_id = 42;
    k.retired_index = 9000;
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_add_key(&sc, &k, &err), SKV_OK);
    k.key_id = 43;
    k.wrapped_len = 0;
    memset(k.wrapped, 0, sizeof k.wrapped);
    k.kek_id[0] = '\0';
    k.kek_provider[0] = '\0';
    k.dropped = 1;
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_add_key(&sc, &k, &err), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_to_json(&sc, &json, &len, &err), SKV_OK);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"retired_index\": 9000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"dropped\": true"));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"wrapped\": \"\""));
    CU_ASSERT_EQUAL_FATAL(skv_sidecar_from_json(json, len, &back, &err), SKV_OK);
    free(json);
    CU_ASSERT_EQUAL(back.n_keys, 4);
    CU_ASSERT_EQUAL(back.keys[0].retired_index, 0);
    CU_ASSERT_EQUAL(back.keys[2].retired_index, 9000);
    CU_ASSERT_EQUAL(back.keys[2].dropped, 0);
    CU_ASSERT_EQUAL(back.keys[3].dropped, 1);
    CU_ASSERT_EQUAL(back.keys[3].wrapped_len, 0);
    CU_ASSERT_EQUAL(back.keys[3].retired_index, 9000);
    /* a dropped key keeps no DEK and is retired; an active key is never retired */
    back.keys[3].wrapped_len = 1;
    CU_ASSERT_EQUAL(skv_sidecar_validate(&back, &err), SKV_ERR_INVALID);
    back.keys[3].wrapped_len = 0;
    back.keys[3].retired_index = 0;
    CU_ASSERT_EQUAL(skv_sidecar_validate(&back, &err), SKV_ERR_INVALID);
    back.keys[3].retired_index = 9000;
    back.keys[2].wrapped_len = 0;                   /* not dropped: needs its DEK */
    CU_ASSERT_EQUAL(skv_sidecar_validate(&back, &err), SKV_ERR_INVALID);
    back.keys[2].wrapped_len = 72;
    CU_ASSERT_EQUAL(skv_sidecar_validate(&back, &err), SKV_OK);
    back.keys[0].retired_index = 5;                 /* the active storage key */
    CU_ASSERT_EQUAL(skv_sidecar_validate(&back, &err), SKV_ERR_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "is retired"));
    /* JSON: retired_index 0 and a non-boolean dropped are refused */
    {
        static const char *bad[] = {"\"retired_index\":0", "\"retired_index\":-1",
                                    "\"dropped\":\"yes\"", "\"retired_index\":\"1\""};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            char doc[600];
            snprintf(doc, sizeof doc, "{\"version\":1,\"raft_applied_index\":1,"
                     "\"storage_envelope_active\":false,\"raft_envelope_cutover_index\":0,"
                     "\"active\":{\"storage\":0,\"raft\":0},\"keys\":[{\"key_id\":5,"
                     "\"purpose\":\"storage\",\"suite\":\"aes-256-gcm\",\"wrapped\":\"AAAA\","
                     "\"created\":1,\"local_epoch\":1,%s}]}", bad[i]);
            CU_ASSERT_EQUAL(skv_sidecar_from_json(doc, strlen(doc), &back, &err), SKV_ERR_INVALID);
        }
    }
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("sidecar", NULL, NULL);
    CU_add_test(s, "json round trip", test_json_round_trip);
    CU_add_test(s, "names: optional, validated", test_names);
    CU_add_test(s, "file round trip, modes", test_file_round_trip);
    CU_add_test(s, "kek_id: optional, strict, forgotten for snapshots", test_kek_id);
    CU_add_test(s, "missing file or directory", test_missing);
    CU_add_test(s, "validation baseline", test_validation_baseline);
    CU_add_test(s, "validation errors name the field", test_validation_errors);
    CU_add_test(s, "too many keys", test_too_many_keys);
    CU_add_test(s, "store refuses an invalid sidecar", test_store_refuses_invalid);
    CU_add_test(s, "load errors", test_load_errors);
    CU_add_test(s, "failure before rename keeps the old file", test_fail_before_rename);
    CU_add_test(s, "dir fsync failure is an error", test_fail_dir_fsync);
    CU_add_test(s, "real rename failure", test_real_rename_failure);
    CU_add_test(s, "stale tmp replaced", test_stale_tmp);
    CU_add_test(s, "missing data dir", test_store_no_data_dir);
    CU_add_test(s, "epoch bump and exhaustion", test_bump_epochs);
    CU_add_test(s, "epoch bump: active keys only", test_bump_active_only);
    CU_add_test(s, "bumped epochs persist", test_bump_persisted);
    CU_add_test(s, "add_key rules", test_add_key_rules);
    CU_add_test(s, "retired keys and tombstones", test_retired_keys);
    CU_add_test(s, "tombstones make room", test_tombstones_make_room);
    CU_add_test(s, "nonces unique across restarts", test_nonce_unique_across_restarts);
    return skv_test_run();
}
