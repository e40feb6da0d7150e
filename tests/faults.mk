# SPDX-License-Identifier: MIT
# tests/faults.mk — fault injection and linearizability: the history
# checker (tests/lincheck/lincheck) and its unit test, the history
# recorder client (tests/lincheck/lclient), and the fault scenarios on
# real sealkvd processes over the chaos transport. The scenarios skip
# (exit 77) unless ./configure --enable-fault-injection built the chaos
# plugin and the test hooks.

# the linearizability checker (put, get, cas) and its tests on hand-written and
# random histories
check_PROGRAMS += tests/lincheck/lincheck
tests_lincheck_lincheck_SOURCES = tests/lincheck/lincheck.c
TESTS += tests/lincheck/test_lincheck.sh
EXTRA_DIST += tests/lincheck/test_lincheck.sh tests/lincheck/gen_history.awk \
	tests/lincheck/histories/bad-fail-observed.hist \
	tests/lincheck/histories/bad-info-flipflop.hist \
	tests/lincheck/histories/bad-lost-write.hist \
	tests/lincheck/histories/bad-new-then-old.hist \
	tests/lincheck/histories/bad-read-from-future.hist \
	tests/lincheck/histories/bad-stale-read.hist \
	tests/lincheck/histories/bad-two-keys.hist \
	tests/lincheck/histories/bad-unwritten-value.hist \
	tests/lincheck/histories/bad-window-5-of-12.hist \
	tests/lincheck/histories/err-bad-event.hist \
	tests/lincheck/histories/err-double-invoke.hist \
	tests/lincheck/histories/err-fields.hist \
	tests/lincheck/histories/err-mismatch.hist \
	tests/lincheck/histories/err-orphan.hist \
	tests/lincheck/histories/ok-concurrent.hist \
	tests/lincheck/histories/ok-equal-times.hist \
	tests/lincheck/histories/ok-fail-ignored.hist \
	tests/lincheck/histories/ok-info-late-effect.hist \
	tests/lincheck/histories/ok-info-not-taken.hist \
	tests/lincheck/histories/ok-info-took-effect.hist \
	tests/lincheck/histories/ok-initial-absent.hist \
	tests/lincheck/histories/ok-never-completed.hist \
	tests/lincheck/histories/ok-sequential.hist \
	tests/lincheck/histories/ok-two-keys.hist \
	tests/lincheck/histories/ok-cas.hist tests/lincheck/histories/ok-cas-info.hist \
	tests/lincheck/histories/bad-cas-double.hist tests/lincheck/histories/bad-cas-absent.hist \
	tests/lincheck/histories/err-cas-format.hist

# the history recorder: concurrent libcurl clients, CLOCK_MONOTONIC stamps
check_PROGRAMS += tests/lincheck/lclient
tests_lincheck_lclient_SOURCES = tests/lincheck/lclient.c
tests_lincheck_lclient_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(SODIUM_CFLAGS) -pthread
tests_lincheck_lclient_LDADD = $(CURL_LIBS) $(SODIUM_LIBS) -lpthread
# the multi-key transaction check (issue 16 items 5, 12): transfers between
# accounts, every atomic multi-key read must add up
check_PROGRAMS += tests/lincheck/skv_bank
tests_lincheck_skv_bank_SOURCES = tests/lincheck/bank.c
tests_lincheck_skv_bank_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(SODIUM_CFLAGS) $(JANSSON_CFLAGS) -pthread
tests_lincheck_skv_bank_LDADD = $(CURL_LIBS) $(SODIUM_LIBS) $(JANSSON_LIBS) -lpthread

# fault scenarios on real sealkvd processes over the chaos transport; each
# prints `RELIABILITY scenario=... runs=1 acked=N lost=N lin=ok|fail
# halts=N` lines (docs/RELIABILITY.md) and skips (77) without
# --enable-fault-injection
EXTRA_DIST += tests/integration/faults_lib.sh tests/integration/fault_partition.inc.sh \
	tests/reliability-table.sh
FAULT_TESTS = \
	tests/integration/test_fault_partition3.sh \
	tests/integration/test_fault_partition5.sh \
	tests/integration/test_fault_cutover_crash.sh \
	tests/integration/test_fault_cutover_partition.sh \
	tests/integration/test_fault_restart.sh \
	tests/integration/test_fault_standby_join.sh \
	tests/integration/test_fault_lossy.sh
TESTS += $(FAULT_TESTS)
EXTRA_DIST += $(FAULT_TESTS)

# run only the fault scenarios (and the checker's own test)
check-faults:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="tests/lincheck/test_lincheck.sh $(FAULT_TESTS)"
.PHONY: check-faults
