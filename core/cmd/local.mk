# SPDX-License-Identifier: MIT
# core/cmd/local.mk — replicated commands: the payload codec of every log-
# entry tag (KV, writer registration 0x03 + the registry rules,
# bootstrap/rotation) and the one decoder shared by FSM apply and the intake
# check.
core_libsealkv_core_la_SOURCES += \
	core/cmd/command.c core/cmd/txn_cmd.c core/cmd/txn_cmd.h core/cmd/command.h core/cmd/cmd_decode.c \
	core/cmd/cmd_decode.h core/cmd/enc_cmd.c core/cmd/enc_cmd.h \
	core/cmd/writers.c core/cmd/writers.h core/cmd/writers_check.c
