# plugins/transport-tcp/local.mk — transport-tcp.so: node-to-node frames
# over TCP with POSIX sockets and pthreads (no core types, no libuv), and
# its CUnit suite, which loads the real plugin through the core loader.
plugins_LTLIBRARIES += plugins/transport-tcp/transport-tcp.la
plugins_transport_tcp_transport_tcp_la_SOURCES = \
	plugins/transport-tcp/tcp_plugin.c \
	plugins/transport-tcp/tcp_listener.c plugins/transport-tcp/tcp_listener.h \
	plugins/transport-tcp/tcp_peer_table.c plugins/transport-tcp/tcp_peer_table.h \
	plugins/transport-tcp/tcp_peer.c plugins/transport-tcp/tcp_peer.h \
	plugins/transport-tcp/tcp_queue.c plugins/transport-tcp/tcp_queue.h \
	plugins/transport-tcp/tcp_frame.c plugins/transport-tcp/tcp_frame.h \
	plugins/transport-tcp/tcp_addr.c plugins/transport-tcp/tcp_addr.h \
	plugins/transport-tcp/tcp_io.c plugins/transport-tcp/tcp_io.h
plugins_transport_tcp_transport_tcp_la_CFLAGS = $(PLUGIN_CFLAGS) -pthread
plugins_transport_tcp_transport_tcp_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_transport_tcp_transport_tcp_la_LIBADD = $(AX_PTHREAD_LIBS)

check_PROGRAMS += tests/unit/test_transport_tcp
TESTS += tests/unit/test_transport_tcp
tests_unit_test_transport_tcp_SOURCES = tests/unit/test_transport_tcp.c
tests_unit_test_transport_tcp_CFLAGS = $(TEST_CFLAGS) -pthread
tests_unit_test_transport_tcp_LDADD = $(TEST_LIBS) -lpthread
