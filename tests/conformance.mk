# SPDX-License-Identifier: MIT
# tests/conformance.mk — sealkv-plugin-check (abi/check/) run by `make
# check` on every in-tree plugin (tests/conformance/test_plugin_check.sh),
# and proven able to fail: cipher-fakebadtamper.so (tests/unit/
# fake_plugin.c variant 10, a bad-tag answer of SKV_ERR_CORRUPT) and
# cipher-fakexchacha.so (variant 8, no usable suite) must make it exit 1
# naming the failure. The out-of-tree example cipher-openssl is checked by
# tests/integration/test_cipher_openssl.sh (examples/openssl.mk).
check_LTLIBRARIES += tests/unit/cipher-fakebadtamper.la
tests_unit_cipher_fakebadtamper_la_SOURCES = tests/unit/fake_plugin.c
tests_unit_cipher_fakebadtamper_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DFAKE_VARIANT=10
tests_unit_cipher_fakebadtamper_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_unit_cipher_fakebadtamper_la_LDFLAGS = $(FAKE_PLUGIN_LDFLAGS_)
EXTRA_DIST += tests/unit/fake_cipher_xor.inc tests/conformance/test_plugin_check.sh
TESTS += tests/conformance/test_plugin_check.sh
