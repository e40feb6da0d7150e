# tests/local.mk — unit (CUnit), sim (raft_fixture), integration (real
# processes) and fuzz targets. Each suite is one program or script.
TEST_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests/unit
TEST_LIBS = core/libsealkv-core.la $(CUNIT_LIBS)
EXTRA_DIST += tests/unit/skv_test.h
