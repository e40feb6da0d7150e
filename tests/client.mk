# SPDX-License-Identifier: MIT
# tests/client.mk — libsealkv-client's tests (client/local.mk):
#   tests/client/test_client_lib  C checks of every call against a real
#       3-node HTTPS cluster, linked against the shared library like an
#       installed program (tests/integration/test_client_lib.sh runs it);
#   tests/unit/test_cli_url (tests/unit/local.mk) the transport's
#       encoding and retry classes; the pkg-config build of a program
#       against a staged install is in tests/integration/test_install.sh.
check_PROGRAMS += tests/client/test_client_lib
tests_client_test_client_lib_SOURCES = tests/client/test_client_lib.c
tests_client_test_client_lib_CPPFLAGS = -I$(top_srcdir)/client
tests_client_test_client_lib_LDADD = client/libsealkv-client.la -lpthread
TESTS += tests/integration/test_client_lib.sh
EXTRA_DIST += tests/integration/test_client_lib.sh

# The library's ABI guard (docs/INTERFACE.md "Stability"): the library's
# sources built with fixed flags (-g -O0, no user CFLAGS, no sanitizers;
# SKV_ABI_SURFACE_CFLAGS of tests/packaging.mk) and the library's export
# rule, dumped by abidw and compared with tests/abi/client_baseline.abi.
SKV_CLIENT_SURFACE_SRCS = $(srcdir)/client/lib/cl_handle.c $(srcdir)/client/lib/cl_http.c \
	$(srcdir)/client/lib/cl_codec.c $(srcdir)/client/lib/cl_kv.c \
	$(srcdir)/client/lib/cl_list.c $(srcdir)/client/lib/cl_txn.c \
	$(srcdir)/client/lib/cl_watch.c $(srcdir)/core/util/errors.c $(srcdir)/core/util/buf.c
tests/abi/client_surface.so: $(SKV_CLIENT_SURFACE_SRCS) $(srcdir)/client/lib/cl_int.h \
		$(srcdir)/client/lib/cl_http.h $(srcdir)/client/sealkv/client.h
	$(AM_V_CC)$(MKDIR_P) tests/abi && \
	echo '{ global: skv_client_*; local: *; };' >tests/abi/client_surface.map && \
	$(CC) $(SKV_ABI_SURFACE_CFLAGS) -I$(top_srcdir)/client -I$(top_srcdir)/abi \
		-I$(top_srcdir)/core $(CURL_CFLAGS) $(JANSSON_CFLAGS) $(SODIUM_CFLAGS) \
		-Wl,--version-script=tests/abi/client_surface.map -o $@ $(SKV_CLIENT_SURFACE_SRCS) \
		$(CURL_LIBS) $(JANSSON_LIBS) $(SODIUM_LIBS)
CLEANFILES += tests/abi/client_surface.so tests/abi/client_surface.map
TESTS += tests/abi/check_client_abi.sh
check_SCRIPTS += tests/abi/client_surface.so
EXTRA_DIST += tests/abi/check_client_abi.sh tests/abi/client_baseline.abi

# Rewrite the committed baseline (a release of a new minor or major).
client-abi-baseline: tests/abi/client_surface.so
	abidw --no-corpus-path --no-comp-dir-path --short-locs --no-architecture \
		--headers-dir $(srcdir)/client/sealkv --drop-private-types \
		--out-file $(srcdir)/tests/abi/client_baseline.abi tests/abi/client_surface.so
	@echo "wrote $(srcdir)/tests/abi/client_baseline.abi"
.PHONY: client-abi-baseline
