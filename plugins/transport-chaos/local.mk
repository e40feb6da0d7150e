# SPDX-License-Identifier: MIT
# plugins/transport-chaos/local.mk — transport-chaos.so (tests only, built
# with ./configure --enable-fault-injection): the transport-tcp sources,
# compiled once more into a convenience library with their entry symbol
# renamed (so this plugin still exports exactly sealkv_plugin_v1), wrapped
# by run-time drop/delay/partition rules read from a file.
if SKV_FAULT_INJECTION
noinst_LTLIBRARIES += plugins/transport-chaos/libchaos-tcp.la
plugins_transport_chaos_libchaos_tcp_la_SOURCES = $(SKV_TCP_SOURCES)
plugins_transport_chaos_libchaos_tcp_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) \
	-Dsealkv_plugin_v1=skv_chaos_tcp_plugin_v1
plugins_transport_chaos_libchaos_tcp_la_CFLAGS = $(PLUGIN_CFLAGS) -pthread \
	$(OPENSSL_CFLAGS)

plugins_LTLIBRARIES += plugins/transport-chaos/transport-chaos.la
plugins_transport_chaos_transport_chaos_la_SOURCES = \
	plugins/transport-chaos/chaos_plugin.c plugins/transport-chaos/chaos_net.c \
	plugins/transport-chaos/chaos_impl.h \
	plugins/transport-chaos/chaos_rules.c plugins/transport-chaos/chaos_rules.h
plugins_transport_chaos_transport_chaos_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_transport_chaos_transport_chaos_la_CFLAGS = $(PLUGIN_CFLAGS) -pthread
plugins_transport_chaos_transport_chaos_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_transport_chaos_transport_chaos_la_LIBADD = \
	plugins/transport-chaos/libchaos-tcp.la $(AX_PTHREAD_LIBS) $(OPENSSL_LIBS)

check_PROGRAMS += tests/unit/test_transport_chaos
TESTS += tests/unit/test_transport_chaos
tests_unit_test_transport_chaos_SOURCES = tests/unit/test_transport_chaos.c \
	plugins/transport-chaos/chaos_rules.c
tests_unit_test_transport_chaos_CFLAGS = $(TEST_CFLAGS) -pthread \
	-I$(top_srcdir)/plugins/transport-chaos
tests_unit_test_transport_chaos_LDADD = $(TEST_LIBS) -lpthread
tests_unit_test_transport_chaos_DEPENDENCIES = core/libsealkv-core.la \
	plugins/transport-chaos/transport-chaos.la
endif
