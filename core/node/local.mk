# SPDX-License-Identifier: MIT
# core/node/local.mk — node lifecycle: open/run/close, the inbox (the only
# door from plugin threads into the loop), start-up checks, SIGHUP reload,
# metrics, the store identity mark, the leaders seen (changes, their commit),
# the loop thread's busy time per turn.
core_libsealkv_core_la_SOURCES += \
	core/node/node.c core/node/node.h core/node/inbox.c \
	core/node/preflight.c core/node/preflight.h core/node/reload.c \
	core/node/reload.h core/node/metrics.c core/node/metrics.h \
	core/node/store_ident.c core/node/store_ident.h core/node/store_init.c \
	core/node/store_init.h core/node/leader_watch.c core/node/leader_watch.h \
	core/node/wake.c core/node/wake.h core/node/loop_stall.c core/node/loop_stall.h
