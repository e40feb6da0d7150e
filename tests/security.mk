# SPDX-License-Identifier: MIT
# tests/security.mk — issue 11's attack replays on real processes:
# skv_attack plays a hostile peer on a node's Raft port (plaintext or TLS,
# any certificate, any announced id, one crafted frame built with the
# core's own wire encoders and the transport's own handshake encoder).
check_PROGRAMS += tests/integration/skv_attack
tests_integration_skv_attack_SOURCES = tests/integration/skv_attack.c \
	plugins/transport-tcp/tcp_frame.c plugins/transport-tcp/tcp_io.c \
	plugins/transport-tcp/tcp_link.c plugins/transport-tcp/tcp_creds.c \
	plugins/transport-tcp/tcp_ident.c
tests_integration_skv_attack_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/core \
	-I$(top_srcdir)/plugins/transport-tcp $(OPENSSL_CFLAGS)
tests_integration_skv_attack_LDADD = core/libsealkv-core.la $(OPENSSL_LIBS) -lpthread

TESTS += tests/integration/test_attacks.sh
EXTRA_DIST += tests/integration/test_attacks.sh

# a marker written before Phase 1 never crosses a Raft link in clear
# (strace capture of every socket write; plaintext negative control)
TESTS += tests/integration/test_transport_capture.sh
EXTRA_DIST += tests/integration/test_transport_capture.sh

# certificate rotation (leaf, then CA via a CA1+CA2 bundle) with SIGHUP on
# a running 3-node cluster under write load: no failed write
TESTS += tests/integration/test_cert_rotation.sh
EXTRA_DIST += tests/integration/test_cert_rotation.sh

# the security, nonce, durability and interface documents ship in the
# tarball with the code they describe
EXTRA_DIST += docs/SECURITY.md docs/NONCES.md docs/DURABILITY.md \
	docs/INTERFACE.md docs/RELIABILITY.md
