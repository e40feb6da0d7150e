# SPDX-License-Identifier: MIT
# plugins/storage-leveldb/local.mk — the LevelDB storage plugin
# (storage-leveldb.so) and its CUnit suite, which loads the built module
# through the core loader.
plugins_LTLIBRARIES += plugins/storage-leveldb/storage-leveldb.la
plugins_storage_leveldb_storage_leveldb_la_SOURCES = \
	plugins/storage-leveldb/ldb.h \
	plugins/storage-leveldb/ldb_l0.h \
	plugins/storage-leveldb/ldb_err.c \
	plugins/storage-leveldb/ldb_db.c \
	plugins/storage-leveldb/ldb_iter.c \
	plugins/storage-leveldb/ldb_compact.c \
	plugins/storage-leveldb/ldb_bgprio.c \
	plugins/storage-leveldb/ldb_wback.c \
	plugins/storage-leveldb/storage_leveldb.c
plugins_storage_leveldb_storage_leveldb_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_storage_leveldb_storage_leveldb_la_CFLAGS = $(PLUGIN_CFLAGS) \
	-DSKV_LDB_VERSION='"$(PACKAGE_VERSION)"'
# -z nodelete: LevelDB's process-wide Env starts a background compaction
# thread that never exits; unmapping libleveldb under it on dlclose()
# crashes the process, so this module (and with it libleveldb) stays mapped.
plugins_storage_leveldb_storage_leveldb_la_LDFLAGS = $(PLUGIN_LDFLAGS) \
	-Wl,-z,nodelete
plugins_storage_leveldb_storage_leveldb_la_LIBADD = $(LEVELDB_LIBS)

check_PROGRAMS += tests/unit/test_storage_leveldb
TESTS += tests/unit/test_storage_leveldb
tests_unit_test_storage_leveldb_SOURCES = tests/unit/test_storage_leveldb.c
tests_unit_test_storage_leveldb_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_storage_leveldb_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/plugins/storage-leveldb
tests_unit_test_storage_leveldb_LDADD = $(TEST_LIBS) $(AX_PTHREAD_LIBS)
tests_unit_test_storage_leveldb_DEPENDENCIES = core/libsealkv-core.la \
	plugins/storage-leveldb/storage-leveldb.la
