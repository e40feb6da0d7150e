# SPDX-License-Identifier: MIT
# tests/snapshots.mk — snapshots that cost the write path nothing (issue
# 15): local snapshots, sends from a storage view after a restart, and
# the crash points of taking and installing one (part C needs
# ./configure --enable-fault-injection; without it that part is skipped
# and says so).
TESTS += tests/integration/test_snap_local.sh
EXTRA_DIST += tests/integration/test_snap_local.sh
# the full form streamed from a view, the spool file, the bounded restore
check_PROGRAMS += tests/unit/test_snap_stream
TESTS += tests/unit/test_snap_stream
tests_unit_test_snap_stream_SOURCES = tests/unit/test_snap_stream.c
tests_unit_test_snap_stream_CFLAGS = $(TEST_CFLAGS) $(RAFT_CFLAGS) $(UV_CFLAGS)
tests_unit_test_snap_stream_LDADD = $(TEST_LIBS) $(RAFT_LIBS) $(UV_LIBS)
tests_unit_test_snap_stream_DEPENDENCIES = core/libsealkv-core.la \
	plugins/storage-leveldb/storage-leveldb.la plugins/transport-tcp/transport-tcp.la \
	plugins/cipher-sodium/cipher-sodium.la plugins/admin-http/admin-http.la
# the crash points of an install through the spool file
TESTS += tests/integration/test_snap_spool_crash.sh
EXTRA_DIST += tests/integration/test_snap_spool_crash.sh
