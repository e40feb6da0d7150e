# SPDX-License-Identifier: MIT
# examples/openssl.mk — the out-of-tree cipher plugin example
# (examples/cipher-openssl/, built by its own Makefile against the
# installed headers, never by this build) and its integration test.
EXTRA_DIST += examples/cipher-openssl/Makefile examples/cipher-openssl/README.md \
	examples/cipher-openssl/cipher_openssl.c \
	tests/integration/test_cipher_openssl.sh
TESTS += tests/integration/test_cipher_openssl.sh
