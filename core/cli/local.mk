# SPDX-License-Identifier: MIT
# core/cli/local.mk — the sealkv CLI (built as core/sealkv): argument
# parsing, credential flags, output, `sealkv cert`, and `sealkv verify`
# (core/verify/); every request goes through libsealkv-client
# (client/local.mk: its convenience library, linked statically).
bin_PROGRAMS += core/sealkv
core_sealkv_SOURCES = core/cli/cli_main.c core/cli/cli_cmds.c core/cli/cli_cmds.h \
	core/cli/cli_print.c core/cli/cli_print.h \
	core/cli/cli_json.c core/cli/cli_json.h core/cli/cli_ls.c core/cli/cli_watch.c core/cli/cli_txn.c $(SKV_VERIFY_SOURCES) \
	core/cli/cli_snapshot.c core/cli/cli_snapshot.h $(SKV_RESTORE_SOURCES)
core_sealkv_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client
core_sealkv_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) $(RAFT_CFLAGS) $(UV_CFLAGS)
core_sealkv_LDADD = client/libsealkv-client-impl.la $(CURL_LIBS) $(JANSSON_LIBS) \
	core/libsealkv-core.la
# admin credentials of the CLI (--cacert, --cert, --key, --token-file)
core_sealkv_SOURCES += core/cli/cli_creds.c core/cli/cli_creds.h
core_sealkv_CFLAGS += $(SODIUM_CFLAGS)
core_sealkv_LDADD += $(SODIUM_LIBS)
# sealkv cert: cluster CA, node and client certificates (OpenSSL 3)
core_sealkv_SOURCES += core/cli/cli_cert.c core/cli/cli_cert.h \
	core/cli/cert_x509.c core/cli/cert_x509.h core/cli/cert_file.c \
	core/cli/cert_file.h core/cli/cert_ident.c core/cli/cert_ident.h
core_sealkv_CFLAGS += $(OPENSSL_CFLAGS)
core_sealkv_LDADD += $(OPENSSL_LIBS)
