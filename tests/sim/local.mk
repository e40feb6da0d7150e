# SPDX-License-Identifier: MIT
# tests/sim/local.mk — raft_fixture simulations (included from tests/local.mk).
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
