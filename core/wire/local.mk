# SPDX-License-Identifier: MIT
# core/wire/local.mk — wire codec: peer frames, C-Raft messages, value
# bounds.
core_libsealkv_core_la_SOURCES += \
	core/wire/wire.c core/wire/wire.h core/wire/wire_bounds.c \
	core/wire/wire_prim.h core/wire/wire_raft.c core/wire/wire_raft.h
