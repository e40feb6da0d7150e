# SPDX-License-Identifier: MIT
# core/local.mk — libsealkv-core (a private convenience library: linked
# into sealkvd, sealkv and the tests, never installed; it has no public
# header and no ABI promise), sealkvd, sealkv CLI.
noinst_LTLIBRARIES += core/libsealkv-core.la
core_libsealkv_core_la_SOURCES = \
	core/log.c core/log.h \
	core/config.c core/config.h \
	core/loader.c core/loader.h \
	core/host_api.c core/host_api.h \
	core/plugin_set.c core/plugin_set.h \
	core/wire.c core/wire.h core/wire_prim.h \
	core/wire_raft.c core/wire_raft.h core/wire_bounds.c
# peer boundary: frame admission, request policy, log rate limiter,
# the shared FSM payload decoder
core_libsealkv_core_la_SOURCES += \
	core/peer_filter.c core/peer_filter.h core/peer_policy.c core/peer_policy.h \
	core/ratelimit.c core/ratelimit.h core/cmd_decode.c core/cmd_decode.h
core_libsealkv_core_la_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS) $(SODIUM_CFLAGS) $(RAFT_CFLAGS) $(UV_CFLAGS) $(JANSSON_CFLAGS) $(ZLIB_CFLAGS)
core_libsealkv_core_la_LIBADD = $(YAML_LIBS) $(SODIUM_LIBS) $(RAFT_LIBS) $(UV_LIBS) $(JANSSON_LIBS) $(ZLIB_LIBS) -lpthread $(LIBS)
core_libsealkv_core_la_LDFLAGS = $(AM_LDFLAGS)

bin_PROGRAMS += core/sealkvd
core_sealkvd_SOURCES = core/sealkvd.c
core_sealkvd_CFLAGS = $(AM_CFLAGS)
core_sealkvd_LDADD = core/libsealkv-core.la
# config loader internals (config.c is the public entry point)
core_libsealkv_core_la_SOURCES += \
	core/conf_tree.c core/conf_tree.h \
	core/conf_value.c core/conf_value.h \
	core/conf_schema.c core/conf_schema.h core/conf_plugins.c
# node: lifecycle, inbox, dispatch, FSM, ops (lead)
core_libsealkv_core_la_SOURCES += \
	core/node.c core/node.h core/inbox.c core/dispatch.c core/dispatch.h \
	core/op.c core/op.h core/admin_ops.c core/admin_ops.h core/members.c \
	core/status.c core/forward.c core/reads.c core/ready.c \
	core/propose.c core/propose.h \
	core/fsm.c core/fsm.h core/fsm_snapshot.c core/command.c core/command.h \
	core/fsm_gap.c core/fsm_gap.h core/fsm_gap_start.c \
	core/fsm_enc.c core/fsm_snap_enc.c core/fsm_snap_enc.h core/snap_hdr.c core/snap_hdr.h \
	core/enc.h core/enc_boot.c core/enc_cmd.c core/enc_cmd.h \
	core/capability.c core/capability.h core/cutover.c core/cutover.h \
	core/enc_ops.c core/enc_ops.h core/enc_wrap.c core/erase.c core/erase.h \
	core/bytes.h core/keys.h
# raft_io adapter: C-Raft's struct raft_io over the storage + transport plugins
core_libsealkv_core_la_SOURCES += \
	core/raft_io.c core/raft_io.h core/raft_io_impl.h \
	core/raft_io_queue.c core/raft_io_net.c \
	core/raft_log_store.c core/raft_log_store.h core/raft_log_load.c \
	core/raft_snap_store.c core/raft_ls_codec.c core/raft_ls_codec.h \
	core/raft_conf.c core/raft_conf.h core/crc32.c core/crc32.h
# durable store identity: the "initialised" mark, start-up rules, peers' identities
core_libsealkv_core_la_SOURCES += \
	core/store_ident.c core/store_ident.h core/store_init.c core/store_init.h \
	core/peer_ident.c core/peer_ident.h
# sealkv CLI (admin-http client)
bin_PROGRAMS += core/sealkv
core_sealkv_SOURCES = core/cli_main.c core/cli_http.c core/cli_http.h core/cli_print.c core/cli_print.h
core_sealkv_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
core_sealkv_LDADD = $(CURL_LIBS) $(JANSSON_LIBS) core/libsealkv-core.la
# admin credentials of the CLI (--cacert, --cert, --key, --token-file)
core_sealkv_SOURCES += core/cli_creds.c core/cli_creds.h
core_sealkv_CFLAGS += $(SODIUM_CFLAGS)
core_sealkv_LDADD += $(SODIUM_LIBS)
# sealkv cert: cluster CA, node and client certificates (OpenSSL 3)
core_sealkv_SOURCES += core/cli_cert.c core/cli_cert.h core/cert_x509.c core/cert_x509.h \
	core/cert_file.c core/cert_file.h core/cert_ident.c core/cert_ident.h
core_sealkv_CFLAGS += $(OPENSSL_CFLAGS)
core_sealkv_LDADD += $(OPENSSL_LIBS)
# encryption layer: KEK, keystore (DEKs, wrap/unwrap, v2 subkeys), envelopes v1/v2, nonces
core_libsealkv_core_la_SOURCES += \
	core/enc_err.c core/enc_err.h core/kek.c core/kek.h \
	core/keystore.c core/keystore.h core/keystore_impl.h core/keystore_sub.c core/dek_wrap.c \
	core/envelope.c core/envelope.h core/nonce.c core/nonce.h core/purpose.h
# encryption sidecar (keys.json) and the writer registry (0x03)
core_libsealkv_core_la_SOURCES += core/sidecar.c core/sidecar.h \
	core/sidecar_json.c core/sidecar_file.c \
	core/writers.c core/writers.h core/writers_check.c
# GET /metrics (op "metrics") and the offline `sealkv verify` walker
core_libsealkv_core_la_SOURCES += core/metrics.c core/metrics.h \
	core/verify.c core/verify.h core/verify_out.c
# membership checks; start-up checks shared with --check-config; SIGHUP
# credential reload and the transport security report
core_libsealkv_core_la_SOURCES += core/member_addr.c core/member_addr.h \
	core/member_check.c core/member_check.h core/preflight.c core/preflight.h \
	core/reload.c core/reload.h
