# SPDX-License-Identifier: MIT
# tests/unit/local.mk — the CUnit suites and script checks of tests/unit/
# (included from tests/local.mk; TEST_CFLAGS and TEST_LIBS are set there).
# Suites of one plugin are registered in that plugin's local.mk.
EXTRA_DIST += tests/unit/skv_free_port.h

# Loader tests: one fake admin plugin built in several variants.
FAKE_PLUGIN_LDFLAGS_ = $(AM_LDFLAGS) -module -avoid-version -shared -rpath $(abs_builddir)/tests/unit
check_LTLIBRARIES += tests/unit/admin-fakegood.la tests/unit/admin-fakemajor.la tests/unit/admin-fakekind.la tests/unit/admin-fakeshortops.la tests/unit/admin-fakeshortdesc.la tests/unit/admin-fakenosym.la tests/unit/admin-fakenullop.la
tests_unit_admin_fakegood_la_SOURCES = tests/unit/fake_plugin.c
tests_unit_admin_fakegood_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DFAKE_VARIANT=1
tests_unit_admin_fakegood_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_unit_admin_fakegood_la_LDFLAGS = $(FAKE_PLUGIN_LDFLAGS_)
tests_unit_admin_fakemajor_la_SOURCES = tests/unit/fake_plugin.c
tests_unit_admin_fakemajor_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DFAKE_VARIANT=2
tests_unit_admin_fakemajor_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_unit_admin_fakemajor_la_LDFLAGS = $(FAKE_PLUGIN_LDFLAGS_)
tests_unit_admin_fakekind_la_SOURCES = tests/unit/fake_plugin.c
tests_unit_admin_fakekind_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DFAKE_VARIANT=3
tests_unit_admin_fakekind_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_unit_admin_fakekind_la_LDFLAGS = $(FAKE_PLUGIN_LDFLAGS_)
tests_unit_admin_fakeshortops_la_SOURCES = tests/unit/fake_plugin.c
tests_unit_admin_fakeshortops_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DFAKE_VARIANT=4
tests_unit_admin_fakeshortops_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_unit_admin_fakeshortops_la_LDFLAGS = $(FAKE_PLUGIN_LDFLAGS_)
tests_unit_admin_fakeshortdesc_la_SOURCES = tests/unit/fake_plugin.c
tests_unit_admin_fakeshortdesc_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DFAKE_VARIANT=5
tests_unit_admin_fakeshortdesc_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_unit_admin_fakeshortdesc_la_LDFLAGS = $(FAKE_PLUGIN_LDFLAGS_)
tests_unit_admin_fakenosym_la_SOURCES = tests/unit/fake_plugin.c
tests_unit_admin_fakenosym_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DFAKE_VARIANT=6
tests_unit_admin_fakenosym_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_unit_admin_fakenosym_la_LDFLAGS = $(FAKE_PLUGIN_LDFLAGS_)
tests_unit_admin_fakenullop_la_SOURCES = tests/unit/fake_plugin.c
tests_unit_admin_fakenullop_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DFAKE_VARIANT=7
tests_unit_admin_fakenullop_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_unit_admin_fakenullop_la_LDFLAGS = $(FAKE_PLUGIN_LDFLAGS_)
# a cipher whose suites include one of sizes the core refuses (32/24/16),
# and a descriptor name that differs from its file name
check_LTLIBRARIES += tests/unit/cipher-fakexchacha.la tests/unit/admin-fakename.la
tests_unit_cipher_fakexchacha_la_SOURCES = tests/unit/fake_plugin.c
tests_unit_cipher_fakexchacha_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DFAKE_VARIANT=8
tests_unit_cipher_fakexchacha_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_unit_cipher_fakexchacha_la_LDFLAGS = $(FAKE_PLUGIN_LDFLAGS_)
tests_unit_admin_fakename_la_SOURCES = tests/unit/fake_plugin.c
tests_unit_admin_fakename_la_CPPFLAGS = $(PLUGIN_CPPFLAGS) -DFAKE_VARIANT=9
tests_unit_admin_fakename_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden
tests_unit_admin_fakename_la_LDFLAGS = $(FAKE_PLUGIN_LDFLAGS_)
check_PROGRAMS += tests/unit/test_loader
TESTS += tests/unit/test_loader
tests_unit_test_loader_SOURCES = tests/unit/test_loader.c
tests_unit_test_loader_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_loader_LDADD = $(TEST_LIBS)
tests_unit_test_loader_DEPENDENCIES = core/libsealkv-core.la $(check_LTLIBRARIES)

check_PROGRAMS += tests/unit/test_abi_layout
TESTS += tests/unit/test_abi_layout
tests_unit_test_abi_layout_SOURCES = tests/unit/test_abi_layout.c
tests_unit_test_abi_layout_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_abi_layout_LDADD = $(TEST_LIBS)

# Runs after the plugins are built (they are ordinary build products).
TESTS += tests/unit/check_exports.sh
EXTRA_DIST += tests/unit/check_exports.sh
# core/'s folder graph: includes name their folder, no folder cycle outside
# the node cluster docs/ARCHITECTURE.md documents
TESTS += tests/unit/check_core_deps.sh
EXTRA_DIST += tests/unit/check_core_deps.sh
# the error catalogue core/util/errors.def: unique names, valid statuses,
# retryable => 503/504; no "ErrXxx" literal outside it; admin-http's own
# names agree with it
TESTS += tests/unit/check_error_catalogue.sh
EXTRA_DIST += tests/unit/check_error_catalogue.sh

# Wire codec: round trips of every frame type + robustness against garbage.
check_PROGRAMS += tests/unit/test_wire
TESTS += tests/unit/test_wire
tests_unit_test_wire_SOURCES = tests/unit/test_wire.c
tests_unit_test_wire_CFLAGS = $(TEST_CFLAGS) $(RAFT_CFLAGS)
tests_unit_test_wire_LDADD = $(TEST_LIBS) $(RAFT_LIBS)
# peer boundary: shared FSM payload decoder, forwarding policy, frame
# admission, log rate limiter
check_PROGRAMS += tests/unit/test_peer
TESTS += tests/unit/test_peer
tests_unit_test_peer_SOURCES = tests/unit/test_peer.c
tests_unit_test_peer_CFLAGS = $(TEST_CFLAGS) $(RAFT_CFLAGS)
tests_unit_test_peer_LDADD = $(TEST_LIBS) $(RAFT_LIBS)

# request tracker (core/peer/tracker.c): ids, expects, expiry, fail-all
check_PROGRAMS += tests/unit/test_inbox
TESTS += tests/unit/test_inbox
tests_unit_test_inbox_SOURCES = tests/unit/test_inbox.c
tests_unit_test_inbox_CFLAGS = $(TEST_CFLAGS) $(RAFT_CFLAGS) $(UV_CFLAGS)
tests_unit_test_inbox_LDADD = $(TEST_LIBS) $(RAFT_LIBS) $(UV_LIBS) -lpthread

check_PROGRAMS += tests/unit/test_fpset
TESTS += tests/unit/test_fpset
tests_unit_test_fpset_SOURCES = tests/unit/test_fpset.c
tests_unit_test_fpset_CFLAGS = $(TEST_CFLAGS) $(SODIUM_CFLAGS)
tests_unit_test_fpset_LDADD = $(TEST_LIBS) $(SODIUM_LIBS)

check_PROGRAMS += tests/unit/test_tracker
TESTS += tests/unit/test_tracker
tests_unit_test_tracker_SOURCES = tests/unit/test_tracker.c
tests_unit_test_tracker_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_tracker_LDADD = $(TEST_LIBS)

# config loader (core/config/config.c): values, defaults, one test per error class
check_PROGRAMS += tests/unit/test_config
TESTS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_config_LDADD = $(TEST_LIBS)
EXTRA_DIST += \
	tests/unit/conf/full.yaml \
	tests/unit/conf/minimal.yaml \
	tests/unit/conf/empty.yaml \
	tests/unit/conf/bad-syntax.yaml \
	tests/unit/conf/unknown-key.yaml \
	tests/unit/conf/dup-address.yaml
# libsealkv-client (the CLI's requests): key percent-encoding and retry
# classification (client/lib/cl_http.c)
check_PROGRAMS += tests/unit/test_cli_url
TESTS += tests/unit/test_cli_url
tests_unit_test_cli_url_SOURCES = tests/unit/test_cli_url.c \
	core/util/errors.c core/util/errors.h core/util/buf.c core/util/buf.h
tests_unit_test_cli_url_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/client
tests_unit_test_cli_url_CFLAGS = $(TEST_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_cli_url_LDADD = client/libsealkv-client-impl.la $(CUNIT_LIBS) $(CURL_LIBS) \
	$(JANSSON_LIBS) $(SODIUM_LIBS)

# raft_io adapter: storage contract, loop-side contract, real C-Raft smoke
# (all over the real storage-leveldb plugin, loaded through the core loader).
EXTRA_DIST += tests/unit/raft_io_fx.h
check_PROGRAMS += tests/unit/test_raft_io tests/unit/test_raft_io_msg \
	tests/unit/test_raft_io_smoke
TESTS += tests/unit/test_raft_io tests/unit/test_raft_io_msg \
	tests/unit/test_raft_io_smoke
tests_unit_test_raft_io_SOURCES = tests/unit/test_raft_io.c
tests_unit_test_raft_io_CFLAGS = $(TEST_CFLAGS) $(RAFT_CFLAGS) $(UV_CFLAGS)
tests_unit_test_raft_io_LDADD = $(TEST_LIBS) $(RAFT_LIBS) $(UV_LIBS)
tests_unit_test_raft_io_DEPENDENCIES = core/libsealkv-core.la \
	plugins/storage-leveldb/storage-leveldb.la
tests_unit_test_raft_io_msg_SOURCES = tests/unit/test_raft_io_msg.c
tests_unit_test_raft_io_msg_CFLAGS = $(TEST_CFLAGS) $(RAFT_CFLAGS) $(UV_CFLAGS)
tests_unit_test_raft_io_msg_LDADD = $(TEST_LIBS) $(RAFT_LIBS) $(UV_LIBS)
tests_unit_test_raft_io_msg_DEPENDENCIES = core/libsealkv-core.la \
	plugins/storage-leveldb/storage-leveldb.la
tests_unit_test_raft_io_smoke_SOURCES = tests/unit/test_raft_io_smoke.c
tests_unit_test_raft_io_smoke_CFLAGS = $(TEST_CFLAGS) $(RAFT_CFLAGS) $(UV_CFLAGS)
tests_unit_test_raft_io_smoke_LDADD = $(TEST_LIBS) $(RAFT_LIBS) $(UV_LIBS)
tests_unit_test_raft_io_smoke_DEPENDENCIES = core/libsealkv-core.la \
	plugins/storage-leveldb/storage-leveldb.la

# encryption layer (core/crypto/kek.c, keystore.c, dek_wrap.c, envelope.c,
# nonce.c) over the real cipher-sodium plugin; fuzz target for envelopes
EXTRA_DIST += tests/unit/enc_fx.h
check_PROGRAMS += tests/unit/test_keystore tests/unit/test_envelope
TESTS += tests/unit/test_keystore tests/unit/test_envelope
tests_unit_test_keystore_SOURCES = tests/unit/test_keystore.c
tests_unit_test_keystore_CFLAGS = $(TEST_CFLAGS) $(SODIUM_CFLAGS)
tests_unit_test_keystore_LDADD = $(TEST_LIBS) $(SODIUM_LIBS) -lpthread
tests_unit_test_keystore_DEPENDENCIES = core/libsealkv-core.la \
	plugins/cipher-sodium/cipher-sodium.la
tests_unit_test_envelope_SOURCES = tests/unit/test_envelope.c
tests_unit_test_envelope_CFLAGS = $(TEST_CFLAGS) $(SODIUM_CFLAGS)
tests_unit_test_envelope_LDADD = $(TEST_LIBS) $(SODIUM_LIBS) -lpthread
tests_unit_test_envelope_DEPENDENCIES = core/libsealkv-core.la \
	plugins/cipher-sodium/cipher-sodium.la
# sealed key names (core/crypto/names.c, the 0x05/6 payload)
check_PROGRAMS += tests/unit/test_names
TESTS += tests/unit/test_names
tests_unit_test_names_SOURCES = tests/unit/test_names.c
tests_unit_test_names_CFLAGS = $(TEST_CFLAGS) $(SODIUM_CFLAGS)
tests_unit_test_names_LDADD = $(TEST_LIBS) $(SODIUM_LIBS) -lpthread
tests_unit_test_names_DEPENDENCIES = core/libsealkv-core.la \
	plugins/cipher-sodium/cipher-sodium.la

# the KEK in an HSM (issue 13 item 5): cipher-sodium's PKCS#11 key
# provider and core/crypto/kek_provider.c against a throwaway SoftHSM 2
# token (skips without softhsm2); keys made by skv_p11_keygen
EXTRA_DIST += tests/unit/p11_fx.h
# a PKCS#11 module without AES-GCM (the one refusal SoftHSM cannot show)
check_LTLIBRARIES += tests/unit/fakep11.la
tests_unit_fakep11_la_SOURCES = tests/unit/fake_p11.c
tests_unit_fakep11_la_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS) -fvisibility=hidden
tests_unit_fakep11_la_LDFLAGS = $(FAKE_PLUGIN_LDFLAGS_)
check_PROGRAMS += tests/unit/test_kek_pkcs11
TESTS += tests/unit/test_kek_pkcs11
tests_unit_test_kek_pkcs11_SOURCES = tests/unit/test_kek_pkcs11.c
tests_unit_test_kek_pkcs11_CFLAGS = $(TEST_CFLAGS) $(SODIUM_CFLAGS)
tests_unit_test_kek_pkcs11_LDADD = $(TEST_LIBS) $(SODIUM_LIBS) -lpthread
tests_unit_test_kek_pkcs11_DEPENDENCIES = core/libsealkv-core.la \
	plugins/cipher-sodium/cipher-sodium.la tests/integration/skv_p11_keygen$(EXEEXT) \
	tests/unit/fakep11.la

# encryption sidecar keys.json (crash-durable store, strict validation) and
# the writer registry (0x03) over the real storage-leveldb plugin.
check_PROGRAMS += tests/unit/test_sidecar tests/unit/test_writers
TESTS += tests/unit/test_sidecar tests/unit/test_writers
tests_unit_test_sidecar_SOURCES = tests/unit/test_sidecar.c
tests_unit_test_sidecar_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_sidecar_LDADD = $(TEST_LIBS)
tests_unit_test_writers_SOURCES = tests/unit/test_writers.c
tests_unit_test_writers_CFLAGS = $(TEST_CFLAGS) $(RAFT_CFLAGS)
tests_unit_test_writers_LDADD = $(TEST_LIBS) $(RAFT_LIBS)
tests_unit_test_writers_DEPENDENCIES = core/libsealkv-core.la \
	plugins/storage-leveldb/storage-leveldb.la
# snapshot header SKVSNAP1/SKVSNAP2 (+ its fuzz target and seeds)
check_PROGRAMS += tests/unit/test_snap_hdr
TESTS += tests/unit/test_snap_hdr
tests_unit_test_snap_hdr_SOURCES = tests/unit/test_snap_hdr.c
tests_unit_test_snap_hdr_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_snap_hdr_LDADD = $(TEST_LIBS)
# backups (issue 16 item 7): the piecewise snapshot stream against
# skv_snap_expand over storage-leveldb, and the backup file format
check_PROGRAMS += tests/unit/test_backup_file
TESTS += tests/unit/test_backup_file
tests_unit_test_backup_file_SOURCES = tests/unit/test_backup_file.c
tests_unit_test_backup_file_CFLAGS = $(TEST_CFLAGS) $(RAFT_CFLAGS) $(SODIUM_CFLAGS)
tests_unit_test_backup_file_LDADD = $(TEST_LIBS) $(RAFT_LIBS) $(SODIUM_LIBS)
tests_unit_test_backup_file_DEPENDENCIES = core/libsealkv-core.la \
	plugins/storage-leveldb/storage-leveldb.la
# sealkv cert (core/cli/cli_cert.c + cert_*.c): CA, node and client certificates
check_PROGRAMS += tests/unit/test_cert
TESTS += tests/unit/test_cert
tests_unit_test_cert_SOURCES = tests/unit/test_cert.c core/cli/cli_cert.c core/cli/cli_cert.h \
	core/cli/cert_x509.c core/cli/cert_x509.h core/cli/cert_file.c core/cli/cert_file.h \
	core/cli/cert_ident.c core/cli/cert_ident.h core/util/hostport.c core/util/hostport.h
tests_unit_test_cert_CFLAGS = $(TEST_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_cert_LDADD = $(CUNIT_LIBS) $(OPENSSL_LIBS)
# membership request checks (core/admin/member_addr.c, core/admin/member_check.c)
check_PROGRAMS += tests/unit/test_member_checks
TESTS += tests/unit/test_member_checks
tests_unit_test_member_checks_SOURCES = tests/unit/test_member_checks.c
tests_unit_test_member_checks_CFLAGS = $(TEST_CFLAGS) $(RAFT_CFLAGS)
tests_unit_test_member_checks_LDADD = $(TEST_LIBS) $(RAFT_LIBS)

# the FSM's change history behind watch (fsm_history.h)
check_PROGRAMS += tests/unit/test_history
TESTS += tests/unit/test_history
tests_unit_test_history_SOURCES = tests/unit/test_history.c
tests_unit_test_history_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_history_LDADD = $(TEST_LIBS)
# the transaction codecs: the 0x07 entry and the POST /v1/txn body
check_PROGRAMS += tests/unit/test_txn_cmd
TESTS += tests/unit/test_txn_cmd
tests_unit_test_txn_cmd_SOURCES = tests/unit/test_txn_cmd.c
tests_unit_test_txn_cmd_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_txn_cmd_LDADD = $(TEST_LIBS)
