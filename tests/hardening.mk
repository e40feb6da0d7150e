# SPDX-License-Identifier: MIT
# tests/hardening.mk — disk faults and key-material leaks (issue 6, items 4
# and 6): a test-only storage plugin that injects write/fsync failures, a
# DEK dump helper and a key searcher, and the two integration tests.
# Nothing here is installed.

# storage-faulty.so: wraps storage-leveldb.so (found via SEALKV_PLUGIN_PATH)
# and fails writes as its `fault_file` says. -rpath makes libtool build a
# real shared module for a check_ library.
check_LTLIBRARIES += tests/plugins/storage-faulty/storage-faulty.la
tests_plugins_storage_faulty_storage_faulty_la_SOURCES = \
	tests/plugins/storage-faulty/storage_faulty.c
tests_plugins_storage_faulty_storage_faulty_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
tests_plugins_storage_faulty_storage_faulty_la_CFLAGS = $(PLUGIN_CFLAGS)
tests_plugins_storage_faulty_storage_faulty_la_LDFLAGS = $(PLUGIN_LDFLAGS) \
	-rpath $(abs_builddir)/tests/plugins/storage-faulty
tests_plugins_storage_faulty_storage_faulty_la_LIBADD = -ldl -lpthread

# skv_dekdump: unwraps a node's DEKs (test-only; never installed);
# skv_keyscan: searches files for keys as raw bytes, hex and base64.
check_PROGRAMS += tests/integration/skv_dekdump tests/integration/skv_keyscan
tests_integration_skv_dekdump_SOURCES = tests/integration/skv_dekdump.c
tests_integration_skv_dekdump_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/core $(SODIUM_CFLAGS)
tests_integration_skv_dekdump_LDADD = core/libsealkv-core.la $(SODIUM_LIBS)
tests_integration_skv_keyscan_SOURCES = tests/integration/skv_keyscan.c

TESTS += tests/integration/test_disk_faults.sh tests/integration/test_key_leak.sh
EXTRA_DIST += tests/integration/test_disk_faults.sh tests/integration/test_key_leak.sh
