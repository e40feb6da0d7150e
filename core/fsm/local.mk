# SPDX-License-Identifier: MIT
# core/fsm/local.mk — the FSM: apply (unwrap above the cutover), encryption
# entries, the batch chain (fsm_gap), snapshots and their header (snap_hdr).
core_libsealkv_core_la_SOURCES += \
	core/fsm/fsm.c core/fsm/fsm.h core/fsm/fsm_enc.c core/fsm/fsm_gap.c \
	core/fsm/fsm_gap.h core/fsm/fsm_gap_start.c core/fsm/fsm_snap_enc.c \
	core/fsm/fsm_snap_enc.h core/fsm/fsm_snapshot.c core/fsm/snap_hdr.c \
	core/fsm/snap_view.c core/fsm/snap_view.h core/fsm/snap_iter.c core/fsm/snap_iter.h \
	core/fsm/snap_reader.c core/fsm/snap_reader.h core/fsm/fsm_restore_spool.c \
	core/fsm/fsm_restore_spool.h core/fsm/fsm_install.c \
	core/fsm/snap_hdr.h core/fsm/fsm_batch.h core/fsm/fsm_scan.c \
	core/fsm/fsm_scan.h core/fsm/fsm_history.c core/fsm/fsm_history.h \
	core/fsm/fsm_rev.c core/fsm/fsm_rev.h core/fsm/fsm_keys.c \
	core/fsm/fsm_keys.h core/fsm/fsm_txn.c \
	core/fsm/snap_stream.c core/fsm/snap_stream.h core/fsm/snap_rec.c \
	core/fsm/backup_file.c core/fsm/backup_file.h \
	core/fsm/fsm_names.c core/fsm/fsm_names.h core/fsm/fsm_names_scan.c \
	core/fsm/fsm_names_move.c
