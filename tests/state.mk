# SPDX-License-Identifier: MIT
# tests/state.mk — scenario tests of issue 12 items 2, 4 and 7 on real
# processes: a start-up registration retried across a leader change, the
# membership encryption gate while a bootstrap is in flight and on a
# leader not yet ready, promote of a standby that was never probed, and a
# follower SIGKILLed under write load with a small snapshot threshold.
# Scripts that need the chaos transport skip (exit 77) unless
# ./configure --enable-fault-injection built it.
# skv_writers: prints a stopped node's writer registry (test-only).
check_PROGRAMS += tests/integration/skv_writers
tests_integration_skv_writers_SOURCES = tests/integration/skv_writers.c
tests_integration_skv_writers_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/core
tests_integration_skv_writers_LDADD = core/libsealkv-core.la
TESTS += tests/integration/test_reg_retry.sh
EXTRA_DIST += tests/integration/test_reg_retry.sh
TESTS += tests/integration/test_member_gate.sh
EXTRA_DIST += tests/integration/test_member_gate.sh
TESTS += tests/integration/test_promote_gate.sh
EXTRA_DIST += tests/integration/test_promote_gate.sh
TESTS += tests/integration/test_fsm_ahead.sh
EXTRA_DIST += tests/integration/test_fsm_ahead.sh
