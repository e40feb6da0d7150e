# SPDX-License-Identifier: MIT
# core/intake/local.mk — proposal intake: the engine-independent intake
# (decode check, readiness, gate, wrap-on-propose, raft_apply), propose
# (intake on the leader or forward), admin op objects,
# forwarding of ops to the leader, the steps a follower's requests to the
# leader share, the Phase-2 cutover barrier and intake gate.
core_libsealkv_core_la_SOURCES += \
	core/intake/propose.c core/intake/propose.h core/intake/forward.c \
	core/intake/leader_req.c core/intake/leader_req.h \
	core/intake/op.c core/intake/op.h core/intake/intake.c \
	core/intake/intake.h core/intake/intake_ready.c \
	core/intake/cutover.c core/intake/cutover.h
