# SPDX-License-Identifier: MIT
# core/peer/local.mk — peer boundary: inbound frame routing, frame
# admission, request policy, peers' store identities, the tracker of
# requests awaiting a peer's answer.
core_libsealkv_core_la_SOURCES += \
	core/peer/dispatch.c core/peer/dispatch.h core/peer/peer_filter.c \
	core/peer/peer_filter.h core/peer/peer_policy.c \
	core/peer/peer_policy.h core/peer/peer_ident.c core/peer/peer_ident.h \
	core/peer/tracker.c core/peer/tracker.h
