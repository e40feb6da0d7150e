# SPDX-License-Identifier: MIT
# tests/integration/local.mk — real sealkvd processes on 127.0.0.1 (lib.sh),
# their helper programs (freeport, skv_scan, skv_noncescan, ...). Included
# from tests/local.mk; topic suites live in tests/<topic>.mk.

# Integration tests: real sealkvd processes on 127.0.0.1, free ports.
check_PROGRAMS += tests/integration/freeport
tests_integration_freeport_SOURCES = tests/integration/freeport.c tests/unit/skv_free_port.h
TESTS += tests/integration/test_cluster_basic.sh
EXTRA_DIST += tests/integration/lib.sh tests/integration/test_cluster_basic.sh
TESTS += tests/integration/test_failover.sh tests/integration/test_standby_snapshot.sh \
	tests/integration/test_concurrent_writers.sh
EXTRA_DIST += tests/integration/test_failover.sh tests/integration/test_standby_snapshot.sh \
	tests/integration/test_concurrent_writers.sh

# sealkv CLI: usage errors and unreachable endpoints (no server needed)
TESTS += tests/integration/test_cli_usage.sh
EXTRA_DIST += tests/integration/test_cli_usage.sh
# sealkv CLI against a cluster: --endpoints failover, --json, exit statuses
TESTS += tests/integration/test_cli_endpoints.sh
EXTRA_DIST += tests/integration/test_cli_endpoints.sh
TESTS += tests/integration/test_kv_list.sh
EXTRA_DIST += tests/integration/test_kv_list.sh
TESTS += tests/integration/test_snapshot_big.sh
EXTRA_DIST += tests/integration/test_snapshot_big.sh
TESTS += tests/integration/test_watch.sh
EXTRA_DIST += tests/integration/test_watch.sh
TESTS += tests/integration/test_txn.sh
EXTRA_DIST += tests/integration/test_txn.sh
# backup and restore (issue 16 item 7): save, refusals, a new cluster from it
TESTS += tests/integration/test_backup.sh
EXTRA_DIST += tests/integration/test_backup.sh
# revisions and compare-and-swap on a cluster (issue 16 items 2, 3)
TESTS += tests/integration/test_kv_cas.sh
EXTRA_DIST += tests/integration/test_kv_cas.sh
TESTS += tests/integration/test_sealkvd_args.sh
EXTRA_DIST += tests/integration/test_sealkvd_args.sh
# capability report and sidecar endpoints (mixed encryption cluster)
TESTS += tests/integration/test_capability.sh
EXTRA_DIST += tests/integration/test_capability.sh
# the KEK in an HSM (issue 13 item 5): AES keys generated inside a
# SoftHSM token, never extractable (test_kek_pkcs11, test_hsm_kek.sh)
check_PROGRAMS += tests/integration/skv_p11_keygen
tests_integration_skv_p11_keygen_SOURCES = tests/integration/skv_p11_keygen.c
tests_integration_skv_p11_keygen_CFLAGS = $(AM_CFLAGS) $(P11KIT_CFLAGS)
TESTS += tests/integration/test_hsm_kek.sh
EXTRA_DIST += tests/integration/test_hsm_kek.sh
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
# online DEK rotation (issue 13 item 1): each purpose under load with the
# linearizability checker, across a leader change, automatic (epoch, age),
# a standby joining by snapshot after it, verify and the nonce scan
TESTS += tests/integration/test_rotate_dek.sh
EXTRA_DIST += tests/integration/test_rotate_dek.sh
TESTS += tests/integration/test_retire.sh
TESTS += tests/integration/test_seal_names.sh
EXTRA_DIST += tests/integration/test_seal_names.sh
EXTRA_DIST += tests/integration/test_retire.sh
# KEK rotation (issue 13 item 2): the documented rolling procedure under
# load, refusals, a node given only the old KEK, the DEKs rewrapped not
# replaced, no KEK in any form on disk or in logs, verify
TESTS += tests/integration/test_rewrap_kek.sh
EXTRA_DIST += tests/integration/test_rewrap_kek.sh
# start-up refusals of an encrypted node (KEK, sidecar, epochs, cutover)
TESTS += tests/integration/test_enc_refusals.sh
EXTRA_DIST += tests/integration/test_enc_refusals.sh
# crash-point sweep (needs configure --enable-fault-injection; skips otherwise)
TESTS += tests/integration/test_crash_points.sh
EXTRA_DIST += tests/integration/test_crash_points.sh
# erase-cleartext + sealkv verify --strict
TESTS += tests/integration/test_erase_cleartext.sh
EXTRA_DIST += tests/integration/test_erase_cleartext.sh

# membership safety: add validation, rollback of a failed add, last voter
TESTS += tests/integration/test_members_safety.sh
EXTRA_DIST += tests/integration/test_members_safety.sh
# --check-config refuses what start refuses; SIGHUP credential reload
TESTS += tests/integration/test_check_config.sh tests/integration/test_reload.sh
EXTRA_DIST += tests/integration/test_check_config.sh tests/integration/test_reload.sh

# durability of the Raft state: store identity mark, start-up refusals,
# peers refusing a changed identity, remove + add, promote gate
TESTS += tests/integration/test_store_identity.sh
EXTRA_DIST += tests/integration/test_store_identity.sh
