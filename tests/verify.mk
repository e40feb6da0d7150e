# SPDX-License-Identifier: MIT
# tests/verify.mk — `sealkv verify` (offline data-dir check) and GET
# /metrics end to end on real processes. skv_tamper flips one byte of a
# stored log entry so verify has something to find.
check_PROGRAMS += tests/integration/skv_tamper
tests_integration_skv_tamper_SOURCES = tests/integration/skv_tamper.c
tests_integration_skv_tamper_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/core
tests_integration_skv_tamper_LDADD = core/libsealkv-core.la
TESTS += tests/integration/test_verify_metrics.sh
EXTRA_DIST += tests/integration/test_verify_metrics.sh
