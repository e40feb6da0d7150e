# SPDX-License-Identifier: MIT
# core/backup/local.mk — the offline restore behind `sealkv snapshot
# restore` (restore.c): reads a backup file (fsm/backup_file.h) and seeds a
# new node's data dir through the library's store, config and encryption
# readers. Compiled into the sealkv CLI only, like core/verify/.
SKV_RESTORE_SOURCES = core/backup/restore.c core/backup/restore.h
