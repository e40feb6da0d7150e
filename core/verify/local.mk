# SPDX-License-Identifier: MIT
# core/verify/local.mk — the offline verifier behind `sealkv verify`: walks a
# stopped node's raft log, FSM values and snapshot with the library's
# readers (config, plugins, skv_enc_load) and writes nothing. Compiled into
# the sealkv CLI (and tests/unit/test_fsm_gap), not into the library.
SKV_VERIFY_SOURCES = core/verify/verify.c core/verify/verify.h \
	core/verify/verify_out.c
