# SPDX-License-Identifier: MIT
# core/local.mk — libsealkv-core (a private convenience library: linked
# into sealkvd, sealkv and the tests, never installed; it has no public
# header and no ABI promise), sealkvd, sealkv CLI. One folder per seam of
# DESIGN.md §2, each listing its files in its own local.mk; the folders,
# their dependency graph and the write/apply/cutover paths through them
# are in docs/ARCHITECTURE.md. Sources include core headers by their path
# below core/ (#include "wire/wire.h"), with -I$(top_srcdir)/core.
noinst_LTLIBRARIES += core/libsealkv-core.la
core_libsealkv_core_la_SOURCES =
core_libsealkv_core_la_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(SODIUM_CFLAGS) $(RAFT_CFLAGS) $(UV_CFLAGS) $(JANSSON_CFLAGS) $(ZLIB_CFLAGS)
core_libsealkv_core_la_LIBADD = $(YAML_LIBS) $(SODIUM_LIBS) $(RAFT_LIBS) $(UV_LIBS) $(JANSSON_LIBS) $(ZLIB_LIBS) -lpthread $(LIBS)
core_libsealkv_core_la_LDFLAGS = $(AM_LDFLAGS)

# the library, bottom up (a folder includes only folders listed above it,
# except inside the node cluster: docs/ARCHITECTURE.md)
include core/util/local.mk
include core/config/local.mk
include core/wire/local.mk
include core/plugin/local.mk
include core/raftio/local.mk
include core/crypto/local.mk
include core/enc/local.mk
include core/cmd/local.mk
include core/fsm/local.mk
include core/node/local.mk
include core/intake/local.mk
include core/peer/local.mk
include core/admin/local.mk

# the programs: each links the library, which contains none of them
include core/daemon/local.mk
include core/verify/local.mk
include core/backup/local.mk
include core/cli/local.mk

# the map of this directory (tests/unit/check_core_deps.sh keeps it true)
EXTRA_DIST += docs/ARCHITECTURE.md
