/* SPDX-License-Identifier: MIT */
/*
 * restore.h — `sealkv snapshot restore FILE --config CONF`: seed a NEW
 * node's data dir from a backup file (fsm/backup_file.h), offline, before
 * the node's first start (issue 16 item 7; docs/INTERFACE.md "Backup and
 * restore").
 *
 * Checks everything before writing anything: the whole file (checksum,
 * manifest, every snapshot record), the config (cluster.bootstrap names
 * the new cluster's voters, this node among them), an empty data dir
 * (no store, no sidecar), and that the config gives every KEK the
 * backup's DEKs are wrapped under. Then it creates the store with a new
 * identity mark and stores the backup's snapshot as the node's Raft
 * snapshot (index and term from the backup, configuration = the
 * bootstrap voters) in one synced batch; C-Raft loads it at the first
 * start and the FSM restores it exactly like a snapshot installed from a
 * leader (key space, encryption state into the sidecar). Every node of
 * the new cluster is restored from the same file.
 */
#ifndef SKV_RESTORE_H
#define SKV_RESTORE_H

#include <stddef.h>
#include <stdint.h>

struct skv_restore_report {
    uint64_t node_id, index, term, cutover, source_node, created_ms;
    size_t records, n_keys, voters;
    int storage_active;
};

/* 0 with *r filled, or -1 with a specific message (nothing written
 * unless the failure came while writing the new store, which the message
 * then says). */
int skv_restore_run(const char *config_path, const char *file, struct skv_restore_report *r,
                    char *err, size_t errlen);

/* `sealkv snapshot info FILE`: check a file and describe it (no config). */
int skv_restore_inspect(const char *file, struct skv_restore_report *r, char *err,
                        size_t errlen);

#endif
