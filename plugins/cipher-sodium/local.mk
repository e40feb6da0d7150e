# SPDX-License-Identifier: MIT
# plugins/cipher-sodium/local.mk — the libsodium cipher plugin
# (cipher-sodium.so) and its CUnit suite.
plugins_LTLIBRARIES += plugins/cipher-sodium/cipher-sodium.la
plugins_cipher_sodium_cipher_sodium_la_SOURCES = \
	plugins/cipher-sodium/cipher_sodium.h \
	plugins/cipher-sodium/cipher_sodium.c \
	plugins/cipher-sodium/suites.c \
	plugins/cipher-sodium/keys.c \
	plugins/cipher-sodium/aead.c \
	plugins/cipher-sodium/p11.h \
	plugins/cipher-sodium/p11_open.c \
	plugins/cipher-sodium/p11_key.c \
	plugins/cipher-sodium/p11_gcm.c
plugins_cipher_sodium_cipher_sodium_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_cipher_sodium_cipher_sodium_la_CFLAGS = $(PLUGIN_CFLAGS) $(SODIUM_CFLAGS) $(P11KIT_CFLAGS)
plugins_cipher_sodium_cipher_sodium_la_LIBADD = $(SODIUM_LIBS) -lpthread
plugins_cipher_sodium_cipher_sodium_la_LDFLAGS = $(PLUGIN_LDFLAGS)

check_PROGRAMS += tests/unit/test_cipher_sodium
TESTS += tests/unit/test_cipher_sodium
tests_unit_test_cipher_sodium_SOURCES = tests/unit/test_cipher_sodium.c
tests_unit_test_cipher_sodium_CFLAGS = $(TEST_CFLAGS) $(SODIUM_CFLAGS)
tests_unit_test_cipher_sodium_LDADD = $(TEST_LIBS) $(SODIUM_LIBS)
