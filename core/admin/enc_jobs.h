/* SPDX-License-Identifier: MIT */
/*
 * enc_jobs.h — the encryption ops' node-wide state (struct skv_enc_jobs),
 * owned by enc_ops.c and enc_regs.c and embedded in struct skv_node: this
 * node's start-up writer registration (due, in flight or done; its retry
 * time), the counts of running enable-storage-envelope ops, membership
 * gates and rotations, which refuse each other, and the automatic
 * rotation's state. One job's own record is
 * enc_job.h's. Init at open; tick: the registration; fail_all at
 * shutdown. Loop thread only.
 */
#ifndef SKV_ENC_JOBS_H
#define SKV_ENC_JOBS_H

#include <stdint.h>

/* This node's registration as a writer at its current epoch. */
enum skv_enc_reg_state {
    SKV_ENC_REG_DONE = 0,   /* none needed, or applied */
    SKV_ENC_REG_DUE,        /* to propose (at start-up, or again after a failure) */
    SKV_ENC_REG_INFLIGHT    /* proposed; its answer decides */
};

struct skv_enc_jobs {
    int reg_state;          /* enum skv_enc_reg_state */
    uint64_t reg_next_ms;   /* DUE: not before (the retry after a failure) */
    int closed;             /* fail_all ran: no registration attempt any more */
    unsigned phase1;        /* enable-storage-envelope ops running (enc_ops.c) */
    unsigned member_gates;  /* members.add/promote gates running (enc_regs.c) */
    unsigned rotations;     /* rotate-dek and retire ops running on this leader
                               (enc_rotate.c, enc_retire.c) */
    unsigned rewraps;       /* rewrap-kek ops running on this node (enc_rewrap.c) */
    int rot_auto_inflight;  /* this node's automatic rotation request is out */
    uint64_t rot_next_ms;   /* next automatic rotation check (enc_rotate_auto.c) */
    struct skv_retire_job *retire; /* this node's retire job (enc_retire_job.c) */
    uint64_t retire_next_ms;       /* no new retire job before (after a failure) */
    uint64_t retire_runs;          /* retire jobs that dropped a key */
    struct skv_names_job *names;   /* this node's names job (names_job.c) */
    uint64_t names_next_ms;        /* no new names job before (after a failure) */
    uint64_t names_moved;          /* records this process moved to the sealed layout */
    int names_auto_inflight;       /* encryption.seal_key_names: the request is out */
    uint64_t names_auto_next_ms;   /* its next check */
};

struct skv_node;
struct skv_retire_job;
struct skv_names_job;

void skv_enc_jobs_init(struct skv_enc_jobs *j);
/* Tick: propose this node's registration for the active DEKs at its
 * current epoch until one is applied (waits while there is no leader). */
void skv_enc_jobs_tick(struct skv_node *n, uint64_t now_ms);
/* Tick (from skv_enc_jobs_tick): request an automatic rotate-dek when a
 * purpose's active key nears a nonce limit or passes encryption.
 * rotate_after (enc_rotate_auto.c). */
void skv_enc_rotate_tick(struct skv_node *n, uint64_t now_ms);
/* Tick (from skv_enc_jobs_tick): start this node's retire job for a key
 * marked retired whose DEK it still holds (enc_retire_job.c; again after
 * a restart or a snapshot that brought the DEK back). */
void skv_enc_retire_tick(struct skv_node *n, uint64_t now_ms);
/* Tick (from skv_enc_jobs_tick): with key names sealed, start this
 * node's names job while records of the cleartext-name layout remain
 * (names_job.c: after the seal-key-names entry, at start-up, after a
 * restore). */
void skv_enc_names_tick(struct skv_node *n, uint64_t now_ms);
/* The "key_names" block of GET /v1/status. */
struct json_t *skv_enc_names_json(struct skv_node *n);
/* The running retire job for GET /v1/status (JSON null if none). */
struct json_t;
struct json_t *skv_enc_retire_json(struct skv_node *n);
/* Shutdown: no further registration attempt. A job in flight waits on a
 * proposal, a capability fan-out or a barrier, whose owners answer it at
 * shutdown; its callback then frees it and its count. */
void skv_enc_jobs_fail_all(struct skv_node *n);

#endif /* SKV_ENC_JOBS_H */
