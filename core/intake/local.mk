# SPDX-License-Identifier: MIT
# core/intake/local.mk — proposal intake: admin op objects, propose (gate,
# decode check, wrap-on-propose, raft_apply or forward), leader readiness,
# forwarding of ops to the leader, the Phase-2 cutover barrier and intake
# gate.
core_libsealkv_core_la_SOURCES += \
	core/intake/propose.c core/intake/propose.h core/intake/forward.c \
	core/intake/op.c core/intake/op.h core/intake/ready.c \
	core/intake/cutover.c core/intake/cutover.h
