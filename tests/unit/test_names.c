/* SPDX-License-Identifier: MIT */
/*
 * test_names.c — CUnit suite for sealed key names (issue 13 item 4): the
 * named record's plaintext codec (core/crypto/names.c: round trips and
 * every malformed input refused), the store key (the keyed BLAKE2b of
 * libsodium, never the name's bytes, one per prefix and name), the name
 * key's derivation from a storage DEK held by a real keystore over the
 * cipher-sodium plugin (against libsodium's BLAKE2b directly; another DEK
 * gives another key; an unknown key id is refused), and the 0x05/6
 * seal-key-names payload (core/cmd/enc_cmd.c, skv_cmd_decode: exact
 * shape; sub-tag 2 and those above 6 still refused).
 */
#define _GNU_SOURCE /* memmem */
#include "enc_fx.h"
#include "cmd/cmd_decode.h"
#include "cmd/enc_cmd.h"
#include "crypto/names.h"
#include "util/bytes.h"
#include "util/keys.h"

#include <raft.h>
#include <stdlib.h>
#include <string.h>

static struct enc_fx fx;

static int suite_init(void)
{
    return enc_fx_load(&fx);
}

static int suite_clean(void)
{
    enc_fx_unload(&fx);
    return 0;
}

static void test_rec_codec(void)
{
    static const uint8_t name[] = "patient-john-doe";
    const uint8_t *n = NULL, *v = NULL;
    size_t nl = 0, vl = 0, len = 0, i;
    uint8_t *p = NULL, big[SKV_NAMES_NAME_MAX + 1];
    CU_ASSERT_EQUAL_FATAL(skv_names_rec_encode(name, 16, (const uint8_t *)"val", 3, &p, &len), 0);
    CU_ASSERT_EQUAL(len, SKV_NAMES_REC_HDR + 16 + 3);
    CU_ASSERT_EQUAL(p[0], SKV_NAMES_REC_VERSION);
    CU_ASSERT_EQUAL(skv_get_be16(p + 1), 16);
    CU_ASSERT_EQUAL_FATAL(skv_names_rec_decode(p, len, &n, &nl, &v, &vl), 0);
    CU_ASSERT(nl == 16 && memcmp(n, name, 16) == 0 && vl == 3 && memcmp(v, "val", 3) == 0);
    for (i = 0; i < len - 3; i++) /* every truncation into the name is refused */
        CU_ASSERT_EQUAL(skv_names_rec_decode(p, i, &n, &nl, &v, &vl), -1);
    CU_ASSERT_EQUAL(skv_names_rec_decode(p, len - 3, &n, &nl, &v, &vl), 0); /* empty value */
    CU_ASSERT_EQUAL(vl, 0);
    p[0] = 2;
    CU_ASSERT_EQUAL(skv_names_rec_decode(p, len, &n, &nl, &v, &vl), -1);
    p[0] = 1;
    skv_put_be16(p + 1, 0);
    CU_ASSERT_EQUAL(skv_names_rec_decode(p, len, &n, &nl, &v, &vl), -1);
    skv_put_be16(p + 1, SKV_NAMES_NAME_MAX + 1);
    CU_ASSERT_EQUAL(skv_names_rec_decode(p, len, &n, &nl, &v, &vl), -1);
    free(p);
    memset(big, 'a', sizeof big);
    CU_ASSERT_EQUAL(skv_names_rec_encode(big, 0, NULL, 0, &p, &len), -1);
    CU_ASSERT_EQUAL(skv_names_rec_encode(big, sizeof big, NULL, 0, &p, &len), -1);
    CU_ASSERT_EQUAL_FATAL(skv_names_rec_encode(big, SKV_NAMES_NAME_MAX, NULL, 0, &p, &len), 0);
    CU_ASSERT_EQUAL(skv_names_rec_decode(p, len, &n, &nl, &v, &vl), 0);
    CU_ASSERT_EQUAL(nl, SKV_NAMES_NAME_MAX);
    free(p);
}

static void test_store_key(void)
{
    uint8_t nk[SKV_NAMES_KEY_LEN], a[SKV_NAMED_KEY_LEN], b[SKV_NAMED_KEY_LEN],
        want[SKV_NAMES_HASH_LEN];
    static const uint8_t name[] = "patient-john-doe";
    memset(nk, 0x5a, sizeof nk);
    CU_ASSERT_EQUAL_FATAL(skv_names_store_key(nk, SKV_PFX_NAMED_DATA, name, 16, a), 0);
    CU_ASSERT_EQUAL(a[0], SKV_PFX_NAMED_DATA);
    crypto_generichash(want, sizeof want, name, 16, nk, sizeof nk);
    CU_ASSERT_EQUAL(memcmp(a + 1, want, sizeof want), 0);
    CU_ASSERT_PTR_NULL(memmem(a, sizeof a, "patient", 7));
    CU_ASSERT_EQUAL_FATAL(skv_names_store_key(nk, SKV_PFX_NAMED_REV, name, 16, b), 0);
    CU_ASSERT(b[0] == SKV_PFX_NAMED_REV && memcmp(a + 1, b + 1, SKV_NAMES_HASH_LEN) == 0);
    CU_ASSERT_EQUAL_FATAL(skv_names_store_key(nk, SKV_PFX_NAMED_DATA, name, 15, b), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof a), 0);
    nk[0] ^= 1;   /* another name key: another place */
    CU_ASSERT_EQUAL_FATAL(skv_names_store_key(nk, SKV_PFX_NAMED_DATA, name, 16, b), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(a, b, sizeof a), 0);
}

/* BLAKE2b-256(key = raw DEK, personal "sealkv-names-v1", in "names" ‖ id). */
static void expected_key(const uint8_t *raw, uint32_t id, uint8_t out[SKV_NAMES_KEY_LEN])
{
    static const uint8_t salt[crypto_generichash_blake2b_SALTBYTES];
    static const uint8_t personal[16] = {'s', 'e', 'a', 'l', 'k', 'v', '-', 'n',
                                         'a', 'm', 'e', 's', '-', 'v', '1', 0};
    uint8_t in[9] = {'n', 'a', 'm', 'e', 's'};
    skv_put_be32(in + 5, id);
    crypto_generichash_blake2b_salt_personal(out, SKV_NAMES_KEY_LEN, in, sizeof in, raw,
                                             SKV_DEK_LEN, salt, personal);
}

static void test_derive(void)
{
    struct skv_keystore *ks = enc_fx_keystore(&fx, 0x33);
    uint8_t w[SKV_DEK_WRAPPED_LEN], w2[SKV_DEK_WRAPPED_LEN];
    uint8_t *k1 = sodium_malloc(SKV_NAMES_KEY_LEN), *k2 = sodium_malloc(SKV_NAMES_KEY_LEN),
            *raw = sodium_malloc(SKV_DEK_LEN), want[SKV_NAMES_KEY_LEN];
    struct skv_enc_err e;
    uint32_t id = 0, id2 = 0;
    memset(&e, 0, sizeof e);
    CU_ASSERT_FATAL(ks && k1 && k2 && raw);
    CU_ASSERT_EQUAL(skv_names_key_derive(ks, 12345, k1, &e), SKV_ERR_NOTFOUND);
    CU_ASSERT_EQUAL_FATAL(skv_keystore_new_dek(ks, SKV_PURPOSE_STORAGE, "chacha20-poly1305",
                                               &id, w, &e), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(skv_keystore_add_wrapped(ks, id, SKV_PURPOSE_STORAGE,
                                                   "chacha20-poly1305", w, sizeof w, &e), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(skv_names_key_derive(ks, id, k1, &e), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(skv_names_key_derive(ks, id, k2, &e), SKV_OK);
    CU_ASSERT_EQUAL(memcmp(k1, k2, SKV_NAMES_KEY_LEN), 0); /* every replica, every start */
    CU_ASSERT_EQUAL_FATAL(skv_keystore_unwrap(ks, SKV_PURPOSE_STORAGE, id, "chacha20-poly1305",
                                              w, sizeof w, raw, &e), SKV_OK);
    expected_key(raw, id, want);
    CU_ASSERT_EQUAL(memcmp(k1, want, sizeof want), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(k1, raw, SKV_DEK_LEN), 0); /* never the DEK itself */
    CU_ASSERT_EQUAL_FATAL(skv_keystore_new_dek(ks, SKV_PURPOSE_STORAGE, "chacha20-poly1305",
                                               &id2, w2, &e), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(skv_keystore_add_wrapped(ks, id2, SKV_PURPOSE_STORAGE,
                                                   "chacha20-poly1305", w2, sizeof w2, &e), SKV_OK);
    CU_ASSERT_EQUAL_FATAL(skv_names_key_derive(ks, id2, k2, &e), SKV_OK);
    CU_ASSERT_NOT_EQUAL(memcmp(k1, k2, SKV_NAMES_KEY_LEN), 0);
    sodium_free(k1);
    sodium_free(k2);
    sodium_free(raw);
    skv_keystore_free(ks);
}

static void test_cmd(void)
{
    struct skv_cmd c;
    struct skv_err e = {0};
    char msg[200];
    uint8_t *p = NULL, bad[8];
    size_t len = 0;
    uint32_t id = 0;
    CU_ASSERT_EQUAL_FATAL(skv_enc_encode_seal_names(0xA1B2C3D4u, (void **)&p, &len), 0);
    CU_ASSERT_EQUAL_FATAL(len, 7);
    CU_ASSERT(p[0] == SKV_CMD_ENC_ROTATION && p[1] == SKV_ROT_SEAL_NAMES && p[2] == 1);
    CU_ASSERT_EQUAL(skv_enc_decode_seal_names(p, len, &id, &e), SKV_OK);
    CU_ASSERT_EQUAL(id, 0xA1B2C3D4u);
    CU_ASSERT_EQUAL_FATAL(skv_cmd_decode(p, len, &c, msg, sizeof msg), 0);
    CU_ASSERT(c.tag == SKV_CMD_ENC_ROTATION && c.rot_sub == SKV_ROT_SEAL_NAMES &&
              c.retire_id == 0xA1B2C3D4u);
    skv_cmd_free(&c);
    memcpy(bad, p, 7);
    CU_ASSERT_NOT_EQUAL(skv_cmd_decode(bad, 6, &c, msg, sizeof msg), 0);   /* short */
    CU_ASSERT_NOT_EQUAL(skv_cmd_decode(bad, 2, &c, msg, sizeof msg), 0);   /* no body */
    bad[7] = 0;
    CU_ASSERT_NOT_EQUAL(skv_cmd_decode(bad, 8, &c, msg, sizeof msg), 0);   /* trailing */
    bad[2] = 2;
    CU_ASSERT_NOT_EQUAL(skv_cmd_decode(bad, 7, &c, msg, sizeof msg), 0);   /* version */
    bad[2] = 1;
    memset(bad + 3, 0, 4);
    CU_ASSERT_NOT_EQUAL(skv_cmd_decode(bad, 7, &c, msg, sizeof msg), 0);   /* key id 0 */
    CU_ASSERT_EQUAL(skv_enc_encode_seal_names(0, (void **)&p, &len), -1);
    raft_free(p);
    bad[1] = 7; /* above the family */
    CU_ASSERT_NOT_EQUAL(skv_cmd_decode(bad, 2, &c, msg, sizeof msg), 0);
    bad[1] = SKV_ROT_REWRAP; /* reserved: still refused */
    CU_ASSERT_NOT_EQUAL(skv_cmd_decode(bad, 2, &c, msg, sizeof msg), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "not supported"));
}

int main(void)
{
    CU_pSuite s;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    s = CU_add_suite("names", suite_init, suite_clean);
    if (!s || !CU_add_test(s, "named record codec", test_rec_codec) ||
        !CU_add_test(s, "store key: keyed BLAKE2b", test_store_key) ||
        !CU_add_test(s, "name key from a storage DEK", test_derive) ||
        !CU_add_test(s, "0x05/6 seal-key-names payload", test_cmd)) {
        CU_cleanup_registry();
        return 99;
    }
    return skv_test_run();
}
