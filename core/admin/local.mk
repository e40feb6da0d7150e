# SPDX-License-Identifier: MIT
# core/admin/local.mk — admin ops: op dispatcher and KV ops (kv_cond: the
# compare-and-swap parameters), linearizable
# reads, status, membership (+ request checks), encryption ops (enable-*,
# rotate-dek and its automatic trigger, rewrap-kek, erase-cleartext, retire and
# its local job, their shared purge steps), the capability
# probe (report, fan-out, verdict), the health/readiness probes and the
# backup sessions (snapshot.open/read/close).
core_libsealkv_core_la_SOURCES += \
	core/admin/admin_ops.c core/admin/admin_ops.h core/admin/members.c \
	core/admin/member_addr.c core/admin/member_addr.h \
	core/admin/member_check.c core/admin/member_check.h \
	core/admin/status.c core/admin/enc_ops.c core/admin/enc_ops.h \
	core/admin/enc_regs.c core/admin/enc_job.h core/admin/enc_jobs.h \
	core/admin/enc_rotate.c core/admin/enc_rotate_auto.c core/admin/enc_rewrap.c \
	core/admin/rewrap_body.c core/admin/rewrap_body.h \
	core/admin/erase.c core/admin/erase.h core/admin/purge.c core/admin/purge.h \
	core/admin/enc_retire.c core/admin/enc_retire_job.c core/admin/capability.c \
	core/admin/enc_names.c core/admin/names_job.c \
	core/admin/capability.h core/admin/cap_fanout.c core/admin/cap_fanout.h \
	core/admin/cap_verdict.c core/admin/reads.c core/admin/reads.h \
	core/admin/health.c core/admin/kv_list.c core/admin/kv_cond.c \
	core/admin/watch.c core/admin/watch.h \
	core/admin/kv_txn.c core/admin/txn_json.c core/admin/txn_json.h \
	core/admin/backup.c core/admin/backup.h
