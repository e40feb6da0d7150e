# SPDX-License-Identifier: MIT
# tests/local.mk — what every test directory shares, and one local.mk per
# directory: unit (CUnit), sim (raft_fixture), integration (real processes),
# fuzz (libFuzzer targets). Each suite is one program or script, registered
# once, in its directory's file (or a topic file tests/<topic>.mk).
TEST_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests/unit
TEST_LIBS = core/libsealkv-core.la $(CUNIT_LIBS)
EXTRA_DIST += tests/unit/skv_test.h

include tests/unit/local.mk
include tests/integration/local.mk
include tests/sim/local.mk
include tests/fuzz/local.mk
