/* SPDX-License-Identifier: MIT */
/*
 * sidecar.h — the encryption sidecar <data_dir>/encryption/keys.json
 * (DESIGN.md §5): per-node record of the KEK-wrapped DEKs, the active key
 * per purpose, the Phase-1/Phase-2 flags and each key's local_epoch.
 *
 * Three files own it:
 *   sidecar.c       the typed struct: validation, lookups, epoch bump;
 *   sidecar_json.c  pure JSON codec (HTTP endpoint, fuzz target);
 *   sidecar_file.c  load, and the crash-durable store
 *                   (tmp → fsync → rename → fsync dir).
 *
 * Only KEK-wrapped key bytes ever appear here: never a KEK, never a DEK.
 *
 * JSON (all integers are JSON numbers; u64 fields accept 0..2^63-1):
 *   {"version":1, "raft_applied_index":N, "storage_envelope_active":bool,
 *    "raft_envelope_cutover_index":N, "active":{"storage":ID,"raft":ID},
 *    "keys":[{"key_id":ID, "purpose":"storage"|"raft", "suite":"...",
 *             "wrapped":"<base64>", "created":unix_ms,
 *             "local_epoch":E, "kek_id":"<32 hex>",
 *             "retired_index":R, "dropped":true}, ...]}
 * and, once key names are sealed (issue 13 item 4, crypto/names.h),
 *   "names":{"sealed_index":N, "key_id":ID}: the seal-key-names entry and
 *   the storage key (never dropped, never retired while names are sealed)
 *   the name key derives from; absent = names in the clear (older builds
 *   refuse the member: a node that cannot read it must not start on it).
 * Unknown or duplicate members are refused; every member is required
 * except a key's "retired_index" and "dropped" (retire, below; absent = 0 /
 * false), its "kek_id" (issue 13 KEK rotation): the id (kek.h) of the
 * KEK this node wrapped that key under, and "kek_provider" (issue 13 item
 * 5): "pkcs11" when that KEK is in an HSM (written only then, and only
 * with a kek_id; absent means a file KEK, so older builds still read a
 * sidecar without HSM KEKs). Sidecars written before it have
 * none: start-up fills it in with the KEK that opens the key. Written
 * whenever known; the FSM snapshot's copy of the sidecar omits it (a KEK
 * id names one node's KEK, meaningless to another node).
 */
#ifndef SKV_SIDECAR_H
#define SKV_SIDECAR_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/purpose.h"

#include <sealkv/plugin.h>

#define SKV_SIDECAR_VERSION 1
#define SKV_SIDECAR_DIR "encryption"
#define SKV_SIDECAR_FILE "keys.json"
#define SKV_SIDECAR_MAX_BYTES (1024u * 1024u) /* larger files are refused */
#define SKV_SIDECAR_MAX_KEYS 64               /* keys with a DEK: retire keys to make room */
#define SKV_SIDECAR_MAX_ENTRIES 256           /* those plus retired keys' tombstones */
#define SKV_SIDECAR_WRAPPED_MAX 128           /* bytes of one wrapped DEK */
#define SKV_SIDECAR_SUITE_MAX 32              /* incl. the NUL */
#define SKV_SIDECAR_KEK_ID_LEN 32             /* hex characters (kek.h) */
#define SKV_SIDECAR_PROVIDER_MAX 8            /* "pkcs11" and the NUL */
#define SKV_LOCAL_EPOCH_MAX 0xFFFFu           /* 16-bit nonce field */
/* Automatic rotation (core/admin/enc_rotate.c) replaces a purpose's
 * active key once any member's epoch under it reaches this, or once this
 * process sealed this many times under it (docs/NONCES.md "Rotation"). */
#define SKV_ROTATE_EPOCH_AT 0xF000u
#define SKV_ROTATE_COUNT_AT (1ull << 48)


struct skv_sidecar_key {
    uint32_t key_id;                     /* != 0, unique */
    uint32_t purpose;                    /* enum skv_key_purpose */
    char suite[SKV_SIDECAR_SUITE_MAX];   /* e.g. "aes-256-gcm" */
    uint8_t wrapped[SKV_SIDECAR_WRAPPED_MAX]; /* KEK-wrapped DEK */
    size_t wrapped_len;                  /* 1..SKV_SIDECAR_WRAPPED_MAX */
    uint64_t created_ms;                 /* unix ms */
    uint32_t local_epoch;                /* this node's epoch, <= 0xFFFF */
    char kek_id[SKV_SIDECAR_KEK_ID_LEN + 1]; /* "" = not recorded (older file) */
    char kek_provider[SKV_SIDECAR_PROVIDER_MAX]; /* "" = file, or "pkcs11" */
    uint64_t retired_index;              /* retire entry's index, 0 = in use */
    int dropped;                         /* 0/1: tombstone, no wrapped DEK */
};

/* Retire (issue 13 item 3, docs/NONCES.md "Retire"): a key retired at
 * entry R has "retired_index":R; once this node holds nothing under it
 * the DEK leaves the file and a tombstone stays ("dropped":true,
 * "wrapped":"") so the id is never used again and verify knows it. An
 * active key is never retired; a dropped key is always retired. */
static inline int skv_sidecar_key_live(const struct skv_sidecar_key *k)
{
    return !k->dropped;
}

/* Plain value type: copy it, change the copy, store it, and adopt the
 * copy only when the store succeeded. */
struct skv_sidecar {
    uint32_t version;                    /* SKV_SIDECAR_VERSION */
    uint64_t raft_applied_index;         /* last encryption entry recorded */
    int storage_envelope_active;         /* 0/1 */
    uint64_t raft_envelope_cutover_index;/* 0 = Phase 2 not started */
    uint32_t active_storage;             /* key_id, 0 = none */
    uint32_t active_raft;                /* key_id, 0 = none */
    uint64_t names_index;                /* seal-key-names entry, 0 = names in the clear */
    uint32_t names_key_id;               /* storage key the name key derives from */
    size_t n_keys;                       /* entries, tombstones included */
    struct skv_sidecar_key keys[SKV_SIDECAR_MAX_ENTRIES];
};

/* ---- sidecar.c ------------------------------------------------------- */

/* Empty sidecar (version 1, nothing active). */
void skv_sidecar_init(struct skv_sidecar *sc);

/* Every invariant the file format promises (see the top of this file and
 * sidecar.c). SKV_OK or SKV_ERR_INVALID with a message naming the field. */
int skv_sidecar_validate(const struct skv_sidecar *sc, struct skv_err *err);

/* The key with this id, or NULL. */
const struct skv_sidecar_key *skv_sidecar_find(const struct skv_sidecar *sc,
                                               uint32_t key_id);

/* Keys that still hold a DEK (entries that are not tombstones). */
size_t skv_sidecar_live_keys(const struct skv_sidecar *sc);
/* 1 if no key can be added: SKV_SIDECAR_MAX_KEYS keys with a DEK, or
 * SKV_SIDECAR_MAX_ENTRIES entries. */
int skv_sidecar_full(const struct skv_sidecar *sc);

/* Append a key (validated: id non-zero and new, purpose, suite, wrapped
 * length, epoch). SKV_OK, SKV_ERR_INVALID or SKV_ERR_FULL. */
int skv_sidecar_add_key(struct skv_sidecar *sc,
                        const struct skv_sidecar_key *k, struct skv_err *err);

/* Increment local_epoch of every ACTIVE key (process start, before any
 * encryption; then skv_sidecar_store): a key a rotation replaced never
 * seals again, so its epoch stays. All or nothing: if an active key would
 * reach 0xFFFF nothing changes and SKV_ERR_FULL is returned with a
 * message starting with the name ErrLocalEpochExhausted (util/errors.def)
 * naming the key and the remedy. */
int skv_sidecar_bump_epochs(struct skv_sidecar *sc, struct skv_err *err);

/* 1 if `s` is "" or SKV_SIDECAR_KEK_ID_LEN lowercase hex characters. */
int skv_sidecar_kek_id_ok(const char *s);

/* Clear every key's kek_id (the FSM snapshot's copy). */
void skv_sidecar_forget_kek_ids(struct skv_sidecar *sc);

/* "storage", "raft" or NULL. */
const char *skv_key_purpose_name(uint32_t purpose);

/* ---- sidecar_json.c -------------------------------------------------- */

/* Serialise (indented, fixed member order). *out is malloc'd, NUL-
 * terminated; free() it. Validates first: SKV_ERR_INVALID if sc breaks an
 * invariant, SKV_ERR_NOMEM. */
int skv_sidecar_to_json(const struct skv_sidecar *sc, char **out,
                        size_t *out_len, struct skv_err *err);

/* Parse and validate `len` bytes (need not be NUL-terminated). Any input
 * is safe. SKV_OK, or SKV_ERR_INVALID with a message naming the field
 * (ErrLocalEpochOutOfRange for an epoch above 0xFFFF), SKV_ERR_TOOBIG
 * above SKV_SIDECAR_MAX_BYTES, SKV_ERR_NOMEM. */
int skv_sidecar_from_json(const void *buf, size_t len, struct skv_sidecar *sc,
                          struct skv_err *err);

/* ---- sidecar_file.c -------------------------------------------------- */

/* Read <data_dir>/encryption/keys.json. A missing file (or missing
 * encryption/ directory) is *present = 0 and SKV_OK. Otherwise *present
 * = 1 and SKV_OK, or an error naming the file: SKV_ERR_CORRUPT (invalid
 * content), SKV_ERR_TOOBIG (> 1 MiB), SKV_ERR_IO. */
int skv_sidecar_load(const char *data_dir, struct skv_sidecar *sc,
                     int *present, struct skv_err *err);

/* Crash-durably replace keys.json: create encryption/ (0700, then fsync
 * data_dir) if needed; write keys.json.tmp (0600); fsync it; rename over
 * keys.json; fsync encryption/. Returns SKV_OK only after all of that.
 * On a failure before the rename the previous keys.json is untouched and
 * the tmp file is removed. A failure of the final directory fsync is
 * returned too (the new file may then be visible but is not durable: the
 * caller must not acknowledge the entry). sc is validated first. */
int skv_sidecar_store(const char *data_dir, const struct skv_sidecar *sc,
                      struct skv_err *err);

/* Test seam: the steps of skv_sidecar_store. fail(arg, step) returning
 * non-zero makes that step fail with SKV_ERR_IO as if the syscall had. */
enum skv_sidecar_step {
    SKV_SC_STEP_MKDIR = 1,
    SKV_SC_STEP_WRITE,
    SKV_SC_STEP_FSYNC_FILE,
    SKV_SC_STEP_RENAME,
    SKV_SC_STEP_FSYNC_DIR
};
struct skv_sidecar_fault {
    int (*fail)(void *arg, int step);
    void *arg;
};
int skv_sidecar_store_fault(const char *data_dir,
                            const struct skv_sidecar *sc,
                            const struct skv_sidecar_fault *fault,
                            struct skv_err *err);

#endif /* SKV_SIDECAR_H */
