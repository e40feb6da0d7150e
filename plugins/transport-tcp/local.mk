# SPDX-License-Identifier: MIT
# plugins/transport-tcp/local.mk — transport-tcp.so: node-to-node frames
# over mutual TLS 1.3 (OpenSSL) or plaintext TCP with POSIX sockets and
# pthreads (no core types, no libuv), and its CUnit suite, which loads the
# real plugin through the core loader and makes its certificates with
# OpenSSL (tests/unit/tls_fx.c).
# the plugin's sources, also compiled into transport-chaos (its local.mk)
SKV_TCP_SOURCES = \
	plugins/transport-tcp/tcp_plugin.c \
	plugins/transport-tcp/tcp_listener.c plugins/transport-tcp/tcp_listener.h \
	plugins/transport-tcp/tcp_peer_table.c plugins/transport-tcp/tcp_peer_table.h \
	plugins/transport-tcp/tcp_peer.c plugins/transport-tcp/tcp_peer.h \
	plugins/transport-tcp/tcp_queue.c plugins/transport-tcp/tcp_queue.h \
	plugins/transport-tcp/tcp_frame.c plugins/transport-tcp/tcp_frame.h \
	plugins/transport-tcp/tcp_addr.c plugins/transport-tcp/tcp_addr.h \
	plugins/transport-tcp/tcp_io.c plugins/transport-tcp/tcp_io.h \
	plugins/transport-tcp/tcp_link.c plugins/transport-tcp/tcp_link.h \
	plugins/transport-tcp/tcp_tls.c plugins/transport-tcp/tcp_tls.h \
	plugins/transport-tcp/tcp_creds.c plugins/transport-tcp/tcp_creds.h \
	plugins/transport-tcp/tcp_ident.c plugins/transport-tcp/tcp_ident.h \
	plugins/transport-tcp/tcp_ratelog.c plugins/transport-tcp/tcp_ratelog.h
plugins_LTLIBRARIES += plugins/transport-tcp/transport-tcp.la
plugins_transport_tcp_transport_tcp_la_SOURCES = $(SKV_TCP_SOURCES)
plugins_transport_tcp_transport_tcp_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_transport_tcp_transport_tcp_la_CFLAGS = $(PLUGIN_CFLAGS) -pthread \
	$(OPENSSL_CFLAGS)
plugins_transport_tcp_transport_tcp_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_transport_tcp_transport_tcp_la_LIBADD = $(AX_PTHREAD_LIBS) $(OPENSSL_LIBS)

check_PROGRAMS += tests/unit/test_transport_tcp
TESTS += tests/unit/test_transport_tcp
tests_unit_test_transport_tcp_SOURCES = tests/unit/test_transport_tcp.c \
	tests/unit/tls_fx.c tests/unit/tls_fx.h \
	plugins/transport-tcp/tcp_ident.c plugins/transport-tcp/tcp_ratelog.c
tests_unit_test_transport_tcp_CFLAGS = $(TEST_CFLAGS) -pthread $(OPENSSL_CFLAGS) \
	-I$(top_srcdir)/plugins/transport-tcp
tests_unit_test_transport_tcp_LDADD = $(TEST_LIBS) -lpthread $(OPENSSL_LIBS)
