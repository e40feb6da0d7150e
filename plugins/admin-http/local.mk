# SPDX-License-Identifier: MIT
# plugins/admin-http/local.mk — the HTTP/JSON admin plugin (admin-http.so:
# libmicrohttpd + jansson; libsodium for the optional bearer token; GnuTLS
# for HTTPS credentials and client-certificate checks) and
# its CUnit suite, which loads the built module through the core loader
# and drives it with libcurl.
plugins_LTLIBRARIES += plugins/admin-http/admin-http.la
plugins_admin_http_admin_http_la_SOURCES = \
	plugins/admin-http/http_plugin.h \
	plugins/admin-http/http_errors.h \
	plugins/admin-http/http_plugin.c \
	plugins/admin-http/http_addr.h \
	plugins/admin-http/http_addr.c \
	plugins/admin-http/http_auth.h \
	plugins/admin-http/http_auth.c \
	plugins/admin-http/http_pem.h \
	plugins/admin-http/http_pem.c \
	plugins/admin-http/http_tls.h \
	plugins/admin-http/http_tls.c \
	plugins/admin-http/http_guard.h \
	plugins/admin-http/http_guard.c \
	plugins/admin-http/http_routes.h \
	plugins/admin-http/http_routes.c \
	plugins/admin-http/http_query.h \
	plugins/admin-http/http_query.c \
	plugins/admin-http/http_stats.h \
	plugins/admin-http/http_stats.c \
	plugins/admin-http/http_body.h \
	plugins/admin-http/http_body.c \
	plugins/admin-http/http_call.h \
	plugins/admin-http/http_watch.h \
	plugins/admin-http/http_watch.c \
	plugins/admin-http/http_call.c \
	plugins/admin-http/http_reply.h \
	plugins/admin-http/http_reply.c \
	plugins/admin-http/http_handler.h \
	plugins/admin-http/http_handler.c
plugins_admin_http_admin_http_la_CPPFLAGS = $(PLUGIN_CPPFLAGS)
plugins_admin_http_admin_http_la_CFLAGS = $(PLUGIN_CFLAGS) $(MHD_CFLAGS) \
	$(JANSSON_CFLAGS) $(SODIUM_CFLAGS) $(GNUTLS_CFLAGS) -DSKV_HTTP_VERSION='"$(PACKAGE_VERSION)"'
plugins_admin_http_admin_http_la_LIBADD = $(MHD_LIBS) $(JANSSON_LIBS) \
	$(SODIUM_LIBS) $(GNUTLS_LIBS) $(AX_PTHREAD_LIBS)
plugins_admin_http_admin_http_la_LDFLAGS = $(PLUGIN_LDFLAGS)

check_PROGRAMS += tests/unit/test_admin_http
TESTS += tests/unit/test_admin_http
tests_unit_test_admin_http_SOURCES = tests/unit/test_admin_http.c
tests_unit_test_admin_http_CFLAGS = $(TEST_CFLAGS) $(CURL_CFLAGS) \
	$(JANSSON_CFLAGS)
tests_unit_test_admin_http_LDADD = $(TEST_LIBS) $(CURL_LIBS) \
	$(JANSSON_LIBS) -lpthread
tests_unit_test_admin_http_DEPENDENCIES = core/libsealkv-core.la \
	plugins/admin-http/admin-http.la

# HTTPS: the PKI is made in the test with the OpenSSL API (https_fx.c).
check_PROGRAMS += tests/unit/test_admin_https
TESTS += tests/unit/test_admin_https
tests_unit_test_admin_https_SOURCES = tests/unit/test_admin_https.c \
	tests/unit/https_fx.c tests/unit/https_fx.h
tests_unit_test_admin_https_CFLAGS = $(TEST_CFLAGS) $(CURL_CFLAGS) \
	$(OPENSSL_CFLAGS)
tests_unit_test_admin_https_LDADD = $(TEST_LIBS) $(CURL_LIBS) $(OPENSSL_LIBS)
tests_unit_test_admin_https_DEPENDENCIES = core/libsealkv-core.la \
	plugins/admin-http/admin-http.la

# The CLI over HTTPS against a real sealkvd (token, client certificate,
# environment, refusals, SIGHUP token swap).
TESTS += tests/integration/test_admin_tls.sh
EXTRA_DIST += tests/integration/test_admin_tls.sh

# libFuzzer target for the pure route matcher; not built by make (needs
# clang -fsanitize=fuzzer), see the comment at the top of the file.
EXTRA_DIST += tests/fuzz/fuzz_http_routes.c
