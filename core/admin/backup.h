/* SPDX-License-Identifier: MIT */
/*
 * backup.h — the backup sessions behind `sealkv snapshot save` (issue 16
 * item 7; docs/INTERFACE.md "Backup and restore"). A session is a
 * point-in-time storage view of this node's applied state, read as one
 * backup file (fsm/backup_file.h) in pieces by offset. Owned by backup.c
 * and embedded in struct skv_node: init at open, tick (idle sessions
 * end), fail_all at shutdown (views released before the store closes).
 *
 * Ops (any node; its own applied state, not forwarded):
 *   "snapshot.open"   json: {id, index, term, cutover, node_id, keys,
 *                     storage_envelope_active, idle_timeout_ms}; 503
 *                     ErrTooManyBackups past SKV_BACKUP_MAX_SESSIONS.
 *   "snapshot.read"   arg = id (decimal), json {"offset":N}: body = the
 *                     file's bytes from N (about SKV_BACKUP_PIECE of
 *                     them; empty at the end). N must be where the last
 *                     piece began (its resend) or ended; 404
 *                     ErrBackupNotFound for an unknown or expired id.
 *   "snapshot.close"  arg = id: json {id}; the view is released.
 */
#ifndef SKV_ADMIN_BACKUP_H
#define SKV_ADMIN_BACKUP_H

#include <stdint.h>

#define SKV_BACKUP_MAX_SESSIONS 4u
#define SKV_BACKUP_IDLE_MS 60000u
#define SKV_BACKUP_PIECE (1u << 20)

struct skv_backup_sess;

struct skv_backups {
    struct skv_backup_sess *head;
    unsigned n;
};

struct skv_node;
struct skv_op;

void skv_backups_init(struct skv_backups *b);
void skv_backups_tick(struct skv_node *n, uint64_t now_ms);
void skv_backups_fail_all(struct skv_node *n);
void skv_op_snapshot_open(struct skv_op *op);
void skv_op_snapshot_read(struct skv_op *op);
void skv_op_snapshot_close(struct skv_op *op);

#endif
