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
