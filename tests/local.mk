# SPDX-License-Identifier: MIT
# tests/local.mk — unit (CUnit), sim (raft_fixture), integration (real
# processes) and fuzz targets. Each suite is one program or script.
TEST_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/tests/unit
TEST_LIBS = core/libsealkv-core.la $(CUNIT_LIBS)
EXTRA_DIST += tests/unit/skv_test.h

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
EXTRA_DIST += tests/fuzz/fuzz_wire.c tests/fuzz/gen_wire_corpus.c
# seeds for tests/fuzz/fuzz_wire.c (tests/fuzz/smoke.sh: corpus/wire)
EXTRA_DIST += tests/fuzz/corpus/wire/admin \
	tests/fuzz/corpus/wire/admin_resp \
	tests/fuzz/corpus/wire/cap_req \
	tests/fuzz/corpus/wire/propose \
	tests/fuzz/corpus/wire/propose_resp \
	tests/fuzz/corpus/wire/raft_append \
	tests/fuzz/corpus/wire/raft_append_index_over \
	tests/fuzz/corpus/wire/raft_append_max \
	tests/fuzz/corpus/wire/raft_append_prevterm_over \
	tests/fuzz/corpus/wire/raft_append_result \
	tests/fuzz/corpus/wire/raft_snapshot \
	tests/fuzz/corpus/wire/raft_timeout_now \
	tests/fuzz/corpus/wire/raft_vote \
	tests/fuzz/corpus/wire/raft_vote_index_over \
	tests/fuzz/corpus/wire/raft_vote_max \
	tests/fuzz/corpus/wire/raft_vote_result \
	tests/fuzz/corpus/wire/raft_vote_term_over \
	tests/fuzz/corpus/wire/raft_vote_term_u64max \
	tests/fuzz/corpus/wire/reserved_type8
# peer boundary: shared FSM payload decoder, forwarding policy, frame
# admission, log rate limiter
check_PROGRAMS += tests/unit/test_peer
TESTS += tests/unit/test_peer
tests_unit_test_peer_SOURCES = tests/unit/test_peer.c
tests_unit_test_peer_CFLAGS = $(TEST_CFLAGS) $(RAFT_CFLAGS)
tests_unit_test_peer_LDADD = $(TEST_LIBS) $(RAFT_LIBS)

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

# Integration tests: real sealkvd processes on 127.0.0.1, free ports.
check_PROGRAMS += tests/integration/freeport
tests_integration_freeport_SOURCES = tests/integration/freeport.c
TESTS += tests/integration/test_cluster_basic.sh
EXTRA_DIST += tests/integration/lib.sh tests/integration/test_cluster_basic.sh
TESTS += tests/integration/test_failover.sh tests/integration/test_standby_snapshot.sh \
	tests/integration/test_concurrent_writers.sh
EXTRA_DIST += tests/integration/test_failover.sh tests/integration/test_standby_snapshot.sh \
	tests/integration/test_concurrent_writers.sh

# sealkv CLI: usage errors and unreachable endpoints (no server needed);
# key percent-encoding and retry classification.
TESTS += tests/integration/test_cli_usage.sh
EXTRA_DIST += tests/integration/test_cli_usage.sh
check_PROGRAMS += tests/unit/test_cli_url
TESTS += tests/unit/test_cli_url
tests_unit_test_cli_url_SOURCES = tests/unit/test_cli_url.c core/cli/cli_http.c core/cli/cli_http.h \
	core/util/errors.c core/util/errors.h
tests_unit_test_cli_url_CFLAGS = $(TEST_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_test_cli_url_LDADD = $(CUNIT_LIBS) $(CURL_LIBS) $(JANSSON_LIBS)

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
# libFuzzer target for the config loader (not built here; see its header)
EXTRA_DIST += tests/fuzz/fuzz_config.c \
	tests/fuzz/corpus/config/reference.yaml \
	tests/fuzz/corpus/config/full.yaml \
	tests/fuzz/corpus/config/n2.yaml \
	tests/fuzz/corpus/config/minimal.yaml \
	tests/fuzz/corpus/config/flow.yaml \
	tests/fuzz/corpus/config/refused.yaml

# libFuzzer targets (clang); `make fuzz-smoke` runs each briefly.
EXTRA_DIST += tests/fuzz/smoke.sh tests/fuzz/fuzz_http_routes.c
# transport-tcp handshake, first frame header, certificate identity
EXTRA_DIST += tests/fuzz/fuzz_tcp_handshake.c \
	tests/fuzz/corpus/tcphs/tls-node1 tests/fuzz/corpus/tcphs/tls-client \
	tests/fuzz/corpus/tcphs/plain-bad-len tests/fuzz/corpus/tcphs/clienthello
fuzz-smoke:
	$(top_srcdir)/tests/fuzz/smoke.sh
.PHONY: fuzz-smoke

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
EXTRA_DIST += tests/fuzz/fuzz_envelope.c

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
# libFuzzer target for the sidecar JSON codec (run by `make fuzz-smoke`)
EXTRA_DIST += tests/fuzz/fuzz_sidecar.c \
	tests/fuzz/corpus/sidecar/full.json \
	tests/fuzz/corpus/sidecar/empty.json \
	tests/fuzz/corpus/sidecar/bad-epoch.json
TESTS += tests/integration/test_sealkvd_args.sh
EXTRA_DIST += tests/integration/test_sealkvd_args.sh
# seeds for tests/fuzz/fuzz_envelope.c
EXTRA_DIST += tests/fuzz/corpus/envelope/storage-value \
	tests/fuzz/corpus/envelope/storage-empty \
	tests/fuzz/corpus/envelope/raft-entry \
	tests/fuzz/corpus/envelope/v2-storage-value \
	tests/fuzz/corpus/envelope/v2-storage-empty \
	tests/fuzz/corpus/envelope/v2-raft-entry
# capability report and sidecar endpoints (mixed encryption cluster)
TESTS += tests/integration/test_capability.sh
EXTRA_DIST += tests/integration/test_capability.sh
# Phase 1 (storage envelope) end to end; skv_scan tells the key spaces of
# a stopped node's store apart (raft log vs FSM storage)
check_PROGRAMS += tests/integration/skv_scan
tests_integration_skv_scan_SOURCES = tests/integration/skv_scan.c
tests_integration_skv_scan_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/core
tests_integration_skv_scan_LDADD = core/libsealkv-core.la
# cluster-wide nonce scan (issue 12, docs/NONCES.md): skv_noncescan lists
# every envelope of a stopped node (key_id, salt, nonce, hash of the
# ciphertext), skv_noncecheck fails on a (key_id, salt, nonce) with two
# ciphertexts; lib.sh's skv_nonce_scan runs both over a test's nodes
check_PROGRAMS += tests/integration/skv_noncescan tests/integration/skv_noncecheck
tests_integration_skv_noncescan_SOURCES = tests/integration/skv_noncescan.c
tests_integration_skv_noncescan_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/core $(SODIUM_CFLAGS)
tests_integration_skv_noncescan_LDADD = core/libsealkv-core.la $(SODIUM_LIBS)
tests_integration_skv_noncecheck_SOURCES = tests/integration/skv_noncecheck.c
# a node's state rolled back (older copy of its data dir; empty data dir
# under the same id) still never reuses a (key, nonce); scan positive control
TESTS += tests/integration/test_nonce_rollback.sh
EXTRA_DIST += tests/integration/test_nonce_rollback.sh
TESTS += tests/integration/test_phase1.sh
EXTRA_DIST += tests/integration/test_phase1.sh
# Phase 2 (raft envelope cutover) end to end on real processes
TESTS += tests/integration/test_phase2.sh
EXTRA_DIST += tests/integration/test_phase2.sh
# start-up refusals of an encrypted node (KEK, sidecar, epochs, cutover)
TESTS += tests/integration/test_enc_refusals.sh
EXTRA_DIST += tests/integration/test_enc_refusals.sh
# snapshot header SKVSNAP1/SKVSNAP2 (+ its fuzz target and seeds)
check_PROGRAMS += tests/unit/test_snap_hdr
TESTS += tests/unit/test_snap_hdr
tests_unit_test_snap_hdr_SOURCES = tests/unit/test_snap_hdr.c
tests_unit_test_snap_hdr_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_snap_hdr_LDADD = $(TEST_LIBS)
EXTRA_DIST += tests/fuzz/fuzz_snap_hdr.c tests/fuzz/corpus/snaphdr/v1 \
	tests/fuzz/corpus/snaphdr/v2 tests/fuzz/corpus/snaphdr/v2-trailing
# crash-point sweep (needs configure --enable-fault-injection; skips otherwise)
TESTS += tests/integration/test_crash_points.sh
EXTRA_DIST += tests/integration/test_crash_points.sh
# raft_fixture simulation of the Phase-2 cutover over the real FSM,
# encryption state and barrier (3 and 5 nodes, leader loss at each step)
check_PROGRAMS += tests/sim/test_cutover_sim
TESTS += tests/sim/test_cutover_sim
tests_sim_test_cutover_sim_SOURCES = tests/sim/test_cutover_sim.c \
	tests/sim/sim_harness.c tests/sim/sim_harness.h tests/sim/sim_steps.c \
	tests/sim/sim_gate.c tests/sim/sim_leader_loss.c tests/sim/sim_halt_restart.c \
	tests/sim/sim_snapshot.c
tests_sim_test_cutover_sim_CFLAGS = $(TEST_CFLAGS) $(RAFT_CFLAGS) $(UV_CFLAGS) $(SODIUM_CFLAGS)
tests_sim_test_cutover_sim_LDADD = $(TEST_LIBS) $(RAFT_LIBS) $(UV_LIBS)
tests_sim_test_cutover_sim_DEPENDENCIES = core/libsealkv-core.la \
	plugins/storage-leveldb/storage-leveldb.la plugins/cipher-sodium/cipher-sodium.la \
	plugins/transport-tcp/transport-tcp.la plugins/admin-http/admin-http.la
# erase-cleartext + sealkv verify --strict
TESTS += tests/integration/test_erase_cleartext.sh
EXTRA_DIST += tests/integration/test_erase_cleartext.sh
# sealkv cert (core/cli/cli_cert.c + cert_*.c): CA, node and client certificates
check_PROGRAMS += tests/unit/test_cert
TESTS += tests/unit/test_cert
tests_unit_test_cert_SOURCES = tests/unit/test_cert.c core/cli/cli_cert.c core/cli/cli_cert.h \
	core/cli/cert_x509.c core/cli/cert_x509.h core/cli/cert_file.c core/cli/cert_file.h \
	core/cli/cert_ident.c core/cli/cert_ident.h
tests_unit_test_cert_CFLAGS = $(TEST_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_cert_LDADD = $(CUNIT_LIBS) $(OPENSSL_LIBS)

# membership safety: add validation, rollback of a failed add, last voter
TESTS += tests/integration/test_members_safety.sh
EXTRA_DIST += tests/integration/test_members_safety.sh
# --check-config refuses what start refuses; SIGHUP credential reload
TESTS += tests/integration/test_check_config.sh tests/integration/test_reload.sh
EXTRA_DIST += tests/integration/test_check_config.sh tests/integration/test_reload.sh
# membership request checks (core/admin/member_addr.c, core/admin/member_check.c)
check_PROGRAMS += tests/unit/test_member_checks
TESTS += tests/unit/test_member_checks
tests_unit_test_member_checks_SOURCES = tests/unit/test_member_checks.c
tests_unit_test_member_checks_CFLAGS = $(TEST_CFLAGS) $(RAFT_CFLAGS)
tests_unit_test_member_checks_LDADD = $(TEST_LIBS) $(RAFT_LIBS)

# durability of the Raft state: store identity mark, start-up refusals,
# peers refusing a changed identity, remove + add, promote gate
TESTS += tests/integration/test_store_identity.sh
EXTRA_DIST += tests/integration/test_store_identity.sh
