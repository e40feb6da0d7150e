/* SPDX-License-Identifier: MIT */
/*
 * names.h — sealed key names (issue 13 item 4, docs/SECURITY.md "Key
 * names"): the name key, the storage key of a user key, and the codec of
 * the plaintext a named record seals.
 *
 * Name key: 32 bytes derived from the storage DEK active when names were
 * sealed (the sidecar's names_key_id; that DEK cannot be retired while
 * names are sealed):
 *     BLAKE2b-256(key = raw DEK, personal = "sealkv-names-v1"‖0x00,
 *                 in = "names" ‖ key_id u32 BE)
 * Storage key of user key K: [SKV_PFX_NAMED_DATA][BLAKE2b-256(key = name
 * key, in = K)] (33 bytes); its revision record sits under
 * [SKV_PFX_NAMED_REV][the same hash]. A keyed hash: without the name key
 * (that is, without the KEK) the store key says nothing about K, and
 * equal keys still meet at one place, so point operations stay one
 * lookup.
 *
 * Plaintext sealed in a named record (storage envelope, AAD = the 33-byte
 * storage key as for any value):
 *     [version u8 = 1][name_len u16 BE][name][value]
 * Decoding is of bytes from disk: every length is checked.
 */
#ifndef SKV_NAMES_H
#define SKV_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/keystore.h"

#define SKV_NAMES_KEY_LEN 32
#define SKV_NAMES_HASH_LEN 32
#define SKV_NAMED_KEY_LEN (1 + SKV_NAMES_HASH_LEN)
#define SKV_NAMES_REC_VERSION 1
#define SKV_NAMES_REC_HDR 3
#define SKV_NAMES_NAME_MAX 4096u  /* = SKV_MAX_KEY (cmd/command.h; checked in fsm_names.c) */

/* Derive the name key of storage DEK `key_id` (held by ks) into `out`
 * (SKV_NAMES_KEY_LEN bytes; sodium_malloc memory, the caller wipes). The
 * raw DEK is unwrapped into locked memory and wiped at once. SKV_OK, or
 * the keystore's error (SKV_ERR_NOTFOUND when ks does not hold it). */
int skv_names_key_derive(struct skv_keystore *ks, uint32_t key_id, uint8_t *out,
                         struct skv_enc_err *e);

/* The store keys of user key `name` (1..SKV_NAMES_NAME_MAX bytes) under `nk`:
 * pfx is SKV_PFX_NAMED_DATA or SKV_PFX_NAMED_REV; out gets
 * SKV_NAMED_KEY_LEN bytes. 0, or -1 (libsodium failure). */
int skv_names_store_key(const uint8_t nk[SKV_NAMES_KEY_LEN], uint8_t pfx,
                        const uint8_t *name, size_t name_len,
                        uint8_t out[SKV_NAMED_KEY_LEN]);

/* Plaintext of a named record into a malloc'd *out (0, or -1: no memory
 * or a name longer than SKV_NAMES_NAME_MAX or empty). */
int skv_names_rec_encode(const uint8_t *name, size_t name_len, const uint8_t *val,
                         size_t val_len, uint8_t **out, size_t *out_len);

/* Parse a named record's plaintext: *name / *val point into p. 0, or -1
 * (unknown version, name length 0 or above SKV_NAMES_NAME_MAX, truncated). */
int skv_names_rec_decode(const uint8_t *p, size_t len, const uint8_t **name,
                         size_t *name_len, const uint8_t **val, size_t *val_len);

#endif /* SKV_NAMES_H */
