# SPDX-License-Identifier: MIT
# client/local.mk — libsealkv-client (sealkv-client(3)): the public
# header client/sealkv/client.h (installed as <sealkv/client.h>), the
# library's sources in client/lib/, and sealkv-client.pc.
#
# The sources build once, as the convenience library
# client/libsealkv-client-impl.la; the installed shared library is that
# plus the two core files it uses (util/errors.c: the error catalogue,
# util/buf.c), exporting ^skv_client_ only, soname libsealkv-client.so.1
# (-version-info current:revision:age; bump current and age when adding,
# current alone (a new major) when breaking: docs/INTERFACE.md). The
# sealkv CLI links the same convenience library statically, so the
# installed CLI needs no shared libsealkv (tests/integration/test_install.sh).
SKV_CLIENT_CPPFLAGS = -I$(top_srcdir)/client -I$(top_srcdir)/abi -I$(top_srcdir)/core
SKV_CLIENT_CFLAGS_ = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) \
	$(SODIUM_CFLAGS)

noinst_LTLIBRARIES += client/libsealkv-client-impl.la
client_libsealkv_client_impl_la_SOURCES = client/lib/cl_int.h client/lib/cl_http.c \
	client/lib/cl_http.h client/lib/cl_handle.c client/lib/cl_codec.c client/lib/cl_kv.c \
	client/lib/cl_list.c client/lib/cl_txn.c client/lib/cl_watch.c
client_libsealkv_client_impl_la_CPPFLAGS = $(SKV_CLIENT_CPPFLAGS)
client_libsealkv_client_impl_la_CFLAGS = $(SKV_CLIENT_CFLAGS_)

lib_LTLIBRARIES += client/libsealkv-client.la
client_libsealkv_client_la_SOURCES = core/util/errors.c core/util/errors.h core/util/buf.c \
	core/util/buf.h
client_libsealkv_client_la_CPPFLAGS = $(SKV_CLIENT_CPPFLAGS)
client_libsealkv_client_la_CFLAGS = $(SKV_CLIENT_CFLAGS_)
client_libsealkv_client_la_LIBADD = client/libsealkv-client-impl.la $(CURL_LIBS) $(JANSSON_LIBS) \
	$(SODIUM_LIBS)
client_libsealkv_client_la_LDFLAGS = $(AM_LDFLAGS) -version-info 1:0:0 -no-undefined \
	-export-symbols-regex '^skv_client_'

sealkvinclude_HEADERS += client/sealkv/client.h
pkgconfig_DATA += client/sealkv-client.pc
EXTRA_DIST += client/sealkv-client.pc.in

# No libtool archive installed (Debian ships none; a program links with
# pkg-config); so uninstall removes the shared objects itself
# (conf/install.mk's uninstall-hook calls skv-uninstall-client).
install-exec-hook: skv-install-client-no-la
skv-install-client-no-la:
	rm -f "$(DESTDIR)$(libdir)/libsealkv-client.la"
skv-uninstall-client:
	rm -f "$(DESTDIR)$(libdir)/libsealkv-client.so" "$(DESTDIR)$(libdir)/libsealkv-client.so.1" \
		"$(DESTDIR)$(libdir)/libsealkv-client.so.1.0.0"
.PHONY: skv-install-client-no-la skv-uninstall-client
