# SPDX-License-Identifier: MIT
# tests/gap.mk — the FSM batch chain (core/fsm/fsm_gap.h): a lost FSM batch is
# detected at start and repaired or refused, over the real FSM apply and
# the real storage-leveldb plugin.
check_PROGRAMS += tests/unit/test_fsm_gap
TESTS += tests/unit/test_fsm_gap
tests_unit_test_fsm_gap_SOURCES = tests/unit/test_fsm_gap.c $(SKV_VERIFY_SOURCES)
tests_unit_test_fsm_gap_CFLAGS = $(TEST_CFLAGS) $(RAFT_CFLAGS) $(UV_CFLAGS)
tests_unit_test_fsm_gap_LDADD = $(TEST_LIBS) $(RAFT_LIBS) $(UV_LIBS)
tests_unit_test_fsm_gap_DEPENDENCIES = core/libsealkv-core.la \
	plugins/storage-leveldb/storage-leveldb.la plugins/transport-tcp/transport-tcp.la \
	plugins/cipher-sodium/cipher-sodium.la plugins/admin-http/admin-http.la
