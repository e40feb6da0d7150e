/* SPDX-License-Identifier: MIT */
/*
 * enc.h — the node's encryption state (DESIGN.md §5): the keystore (KEK +
 * unwrapped DEKs), the adopted sidecar, one nonce generator per active
 * DEK, the Phase-1 flag, the Phase-2 cutover index and the wrap-on-propose
 * flag. Owned by struct skv_node; touched only on the loop thread except
 * `wrap` (atomic, read by anyone).
 *
 * enc_boot.c   start-up: KEK, sidecar, refusals, epoch bump, DEK unwrap
 * enc_cmd.c    the 0x04 / 0x05 payload codec
 * fsm_enc.c    FSM apply of 0x03 / 0x04 / 0x05, value sealing, raft unwrap
 */
#ifndef SKV_ENC_H
#define SKV_ENC_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <sealkv/cipher.h>

#include "config/config.h"
#include "crypto/enc_err.h"
#include "crypto/keystore.h"
#include "crypto/nonce.h"
#include "enc/sidecar.h"

struct skv_enc {
    int enabled;                    /* encryption.enabled */
    char suite[SKV_SUITE_NAME_MAX]; /* preferred suite for new DEKs ("" if none) */
    struct skv_keystore *ks;        /* NULL unless enabled */
    struct skv_sidecar sc;          /* the adopted (durable) sidecar */
    int sc_present;                 /* keys.json exists */
    const char *data_dir;
    uint16_t node16;                /* this node's nonce prefix */
    int epoch_dirty;                /* bumped epochs not stored yet */

    /* nonce generators for the active DEKs of this process */
    struct skv_nonce_gen gen_storage, gen_raft;
    uint32_t gen_storage_id, gen_raft_id;

    _Atomic int wrap;               /* wrap-on-propose: set, never reset */

    /* durable FSM meta "encidx": the last encryption-relevant entry the
     * FSM applied (ErrSidecarBehindRaftLog check) */
    uint64_t fsm_encidx;

    /* snapshots whose encryption state this process adopted (the retire
     * job starts over when one came in while it ran: fsm_snap_enc.c) */
    uint64_t snap_adopts;

    /* sealed key names (enc_names.c): the name key derived from
     * sc.names_key_id, in sodium_malloc memory; NULL until first used */
    uint8_t *names_key;
    uint32_t names_key_for;
};

/* Suites the cipher plugin can run here, in preference order. */
int skv_enc_pick_suite(const struct skv_cipher_ops *ops, void *cstate,
                       const struct skv_config *conf, char *out, size_t outlen);
/* 1 if the plugin lists `suite` as available. */
int skv_enc_suite_available(const struct skv_cipher_ops *ops, void *cstate,
                            const char *suite);

/* Start-up, part 1 (enc_boot.c), before the data dir is touched: the
 * sidecar (read only), the KEK when enabled, the suite, and the unwrap of
 * every sidecar DEK (proves the KEK). Refusals: messages start with the
 * error name. Writes nothing. */
int skv_enc_load(struct skv_enc *enc, const struct skv_config *conf,
                 const struct skv_cipher_ops *ops, void *cstate, char *err,
                 size_t errlen);
/* What part 2 checks the sidecar against: the FSM's durable meta and the
 * newest local snapshot (cutover 0 if none / v1). */
struct skv_enc_boot_meta {
    uint64_t fsm_encidx;    /* last encryption entry the FSM applied */
    uint64_t fsm_applied;   /* the FSM's durable applied index */
    uint64_t snap_cutover;  /* the snapshot header's cutover */
    uint64_t snap_index;    /* the snapshot's index (0 if none) */
};
/* Part 2: ErrSidecarBehindRaftLog, ErrEnvelopeCutoverDivergence (except
 * sidecar cutover 0 with the snapshot newer than the FSM: a crash between
 * snapshot_put and restore, which the restore completes), then the
 * local_epoch bump of every active key in memory (ErrLocalEpochExhausted).
 * Writes nothing. */
int skv_enc_start(struct skv_enc *enc, const struct skv_enc_boot_meta *m, char *err,
                  size_t errlen);
/* Part 3, once every refusal has been checked (the registry rollback
 * check needs the bumped epochs): store the bumped epochs durably before
 * any encryption, prepare the nonce generators, set the wrap flag iff
 * cutover != 0. */
int skv_enc_persist(struct skv_enc *enc, char *err, size_t errlen);
void skv_enc_close(struct skv_enc *enc);

/* Sealed key names (enc_names.c, crypto/names.h): 1 when the sidecar
 * says names are sealed. */
static inline int skv_enc_names_sealed(const struct skv_enc *enc)
{
    return enc->sc.names_index != 0;
}
/* The name key of the adopted sidecar (derived on first use, kept in
 * locked memory until skv_enc_close), or NULL with e set (names not
 * sealed, the key not held, no memory). Loop thread. */
const uint8_t *skv_enc_names_key(struct skv_enc *enc, struct skv_enc_err *e);
/* Wipe and free the cached name key. */
void skv_enc_names_forget(struct skv_enc *enc);

/* Store `next` crash-durably and adopt it (then re-derive generators).
 * Returns SKV_OK only when durable. */
int skv_enc_commit_sidecar(struct skv_enc *enc, const struct skv_sidecar *next,
                           struct skv_err *err);

/* (Re)initialise the nonce generators for the active key ids. */
int skv_enc_setup_gens(struct skv_enc *enc, struct skv_err *err);

/* Wrap-on-propose (enc_wrap.c): replace the raft_malloc'd *payload by
 * its raft envelope (raft DEK, deterministic nonce). 0, or -1 with the
 * stable error name and a message (payload untouched). */
int skv_enc_wrap(struct skv_enc *enc, void **payload, size_t *len, const char **error,
                 char *msg, size_t msglen);

/* Accessors used by status / capability. */
static inline int skv_enc_bootstrapped(const struct skv_enc *enc)
{
    return enc->sc.active_raft != 0 && enc->sc.active_storage != 0;
}
static inline uint64_t skv_enc_cutover(const struct skv_enc *enc)
{
    return enc->sc.raft_envelope_cutover_index;
}

/* Test hook (compiled only with -DSKV_TEST_HOOKS, i.e. configure
 * --enable-fault-injection): if $SEALKV_TEST_CRASH_AT equals
 * "<kind>:<step>", _exit(99) right there. Kinds: bootstrap, storage-flag,
 * raft-flag, registration, rotate-dek, retire, seal-names; steps: before-sidecar, after-sidecar,
 * after-fsm (the FSM batch with the applied index is durable). Also
 * snapshot:before-restore (fsm_snapshot.c: an installed snapshot newer
 * than the FSM is stored — snapshot_put done — and not yet restored) and
 * wrapped:before-apply (fsm.c: a committed entry above the cutover is
 * about to be unwrapped; it stays in the log unapplied), and
 * rewrap-kek:before-sidecar|after-sidecar (admin/enc_rewrap.c: every DEK
 * rewrapped in memory, sidecar not stored yet / stored, new KEK not yet
 * adopted), and retire-job:after-reseal|before-drop|after-drop
 * (admin/enc_retire_job.c: a retired key's values re-sealed / the log
 * compacted past it and the sidecar without its DEK not stored yet /
 * stored), and names-job:after-chunk|before-done (admin/names_job.c: one
 * batch of records moved to the sealed-names layout / the last one moved,
 * not yet reported done). */
void skv_enc_crash_point(const char *kind, const char *step);

#endif /* SKV_ENC_H */
