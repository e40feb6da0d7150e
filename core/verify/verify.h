/* SPDX-License-Identifier: MIT */
/*
 * verify.h — `sealkv verify --config FILE [--json] [--strict]`: the
 * offline proof of what a stopped node's data dir holds (issue 8 item 4,
 * DESIGN.md §5 "Cleartext history is erased, provably").
 *
 * It loads the config and plugins, the encryption state exactly as the
 * daemon's start-up does (skv_enc_load: KEK, sidecar, DEK unwrap — and,
 * unlike start-up, writes nothing: no epoch bump), opens the store and
 * walks
 *   1. the Raft log (SKV_PFX_RAFT_LOG, raft_ls codec, CRC checked): FSM
 *      commands at or below the sidecar cutover N (or all of them before
 *      Phase 2) are cleartext; every command above N must be a raft
 *      envelope that authenticates;
 *   2. the FSM values (SKV_PFX_FSM_DATA): per encryption state and key
 *      id; every sealed value must open under its storage AAD (the full
 *      stored key, prefix included — as skv_fsm_seal_value binds it);
 *   3. the snapshot: its SKVSNAP1/2/3 header against the sidecar cutover
 *      (a local SKVSNAP3 one also against the FSM's applied index),
 *      and its value records classified like (2);
 *   4. the FSM batch chain (fsm_gap.h): a lost FSM batch is ErrFsmGap.
 * Envelopes of either version (v1, v2 with its per-process salt:
 * envelope.h) are parsed and opened alike.
 * Anomalies: a damaged record, cleartext above N, an unknown key id, a
 * failed tag, a sealed value that does not open, a snapshot boundary
 * that disagrees with the sidecar. With strict, cleartext user data
 * anywhere (a cleartext value, or a cleartext KV command kept in the log,
 * whatever its index) is an anomaly too, and so is a retired key id that
 * a value, a log entry or a snapshot record still references
 * (ErrRetiredKeyReferenced: its node's retire job has not finished). Reports hold counts, indexes and
 * key ids — never key material.
 */
#ifndef SKV_VERIFY_H
#define SKV_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SKV_VERIFY_MAX_KEYS 256    /* key ids tallied per section, and listed */
#define SKV_VERIFY_MAX_LISTED 100  /* anomalies kept with details */

struct skv_verify_keys {
    size_t n;
    struct {
        uint32_t key_id;
        uint64_t count;
    } k[SKV_VERIFY_MAX_KEYS];
};

/* Value records (FSM storage or the snapshot's copy of it). */
struct skv_verify_vals {
    uint64_t values, cleartext, sealed, authenticated, bad_header;
    struct skv_verify_keys by_key;   /* sealed values per envelope key id */
};

struct skv_verify_anomaly {
    const char *kind;      /* catalogue name (util/errors.def) */
    const char *where;     /* "raft_log", "fsm", "snapshot" */
    uint64_t index;        /* log index (raft_log), else 0 */
    uint32_t key_id;       /* envelope key id when known, else 0 */
    char detail[240];
};

/* One key id of the sidecar and what references it (retire: docs/NONCES.md). */
struct skv_verify_key {
    uint32_t key_id, purpose;
    int active, dropped;           /* dropped: a retired key's tombstone */
    uint64_t retired_index;        /* 0: not retired */
    uint64_t values, log_entries, snap_records;
};

struct skv_verify_report {
    uint64_t node_id;
    int strict;
    /* encryption state as loaded (sidecar) */
    int enc_enabled, sidecar_present, storage_envelope_active;
    uint64_t cutover, sidecar_applied;
    uint32_t active_storage, active_raft;
    size_t n_deks;
    size_t n_keys;                 /* every sidecar key, tombstones included */
    struct skv_verify_key keys[SKV_VERIFY_MAX_KEYS];
    /* 1. raft log */
    struct {
        uint64_t entries, first, last, commands, other, corrupt;
        uint64_t cleartext;        /* commands at/below N, or all before Phase 2 */
        uint64_t above_cutover;    /* commands above N */
        uint64_t authenticated;    /* ...that are raft envelopes and open */
        struct skv_verify_keys by_key;
    } log;
    /* 2. FSM storage */
    struct skv_verify_vals fsm;
    uint64_t fsm_applied;
    /* sealed key names (fsm_names.h): the sidecar's switch, and the
     * records still stored under a cleartext name (values and revision
     * records of the old layout; with strict and names sealed, each an
     * anomaly ErrKeyNamesInCleartext) */
    uint64_t names_index;
    uint64_t names_old_values, names_old_revs, names_sealed_values;
    /* 3. snapshot */
    struct {
        int present, version;      /* 1/2 (full), 3 (local), 0 if unreadable */
        uint64_t index, term, cutover, applied;
        struct skv_verify_vals vals;
    } snap;
    uint64_t n_anomalies;
    size_t n_listed;
    struct skv_verify_anomaly listed[SKV_VERIFY_MAX_LISTED];
};

/* Load, open and walk. 0 with *r filled (r->n_anomalies says the
 * verdict); -1 when the node cannot be opened (message in err). */
int skv_verify_run(const char *config_path, int strict, struct skv_verify_report *r,
                   char *err, size_t errlen);

/* verify_out.c: the human report and the JSON document. 0 or -1. */
int skv_verify_print_text(FILE *f, const struct skv_verify_report *r);
int skv_verify_print_json(FILE *f, const struct skv_verify_report *r);

/* The CLI command; argv[0] is "verify". Exit 0 clean, 1 on any anomaly,
 * 2 on a usage or open error. */
int skv_verify_main(int argc, char **argv);

/* "SKVSNAP1" / "SKVSNAP2" / "SKVSNAP3" for a readable header, else NULL;
 * whether its cutover agrees with the sidecar's. */
const char *skv_verify_snap_header(const struct skv_verify_report *r);
int skv_verify_snap_matches(const struct skv_verify_report *r);

#endif /* SKV_VERIFY_H */
