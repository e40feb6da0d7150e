/* SPDX-License-Identifier: MIT */
/*
 * test_cutover_sim.c — deterministic simulation of the Phase-2 raft
 * envelope cutover (DESIGN.md §5 "Phase 2") over C-Raft's raft_fixture,
 * 3 and 5 nodes, driving the REAL core: each simulated node is a struct
 * skv_node opened with skv_node_open_state (storage-leveldb and
 * cipher-sodium plugins, a temp data dir, encryption start-up), whose FSM
 * (core/fsm/fsm.c, fsm_enc.c), encryption state (sidecar, keystore, wrap
 * flag) and cutover barrier (core/intake/cutover.c) are the production ones. The
 * fixture only replaces the raft engine's I/O (in-memory, simulated time).
 *
 * Proposals go through the production intake (core/intake/intake.c:
 * skv_intake_propose — decode check, leader readiness of
 * core/intake/intake_ready.c, skv_cutover_gate, skv_enc_wrap if the wrap
 * flag is on, raft_apply), each node's struct skv_intake initialised over
 * its fixture server; the node tick (skv_intake_tick: cutover poll +
 * readiness) runs after every fixture step through raft_fixture_hook.
 * The harness only mirrors skv_propose's prelude (halted; a follower
 * would forward, the harness asks the leader) and, without changing it,
 * enable-storage-envelope / enable-raft-envelope (core/admin/enc_ops.c):
 * bootstrap 0x04 with epoch-1 registrations for every node, flag 0x05/4;
 * prechecks then skv_cutover_begin. The capability fan-out is elided
 * (every simulated node is capable).
 *
 * An observer runs after every step: for every node, each applied
 * RAFT_COMMAND entry above that node's cutover must be a raft envelope v1
 * under the active raft key (no cleartext above N); the entry AT the
 * cutover must be the cleartext 0x05/5; all non-zero cutover indices agree;
 * no node halts unless the test expects it.
 *
 * Scenarios: 1 happy path; 2 intake gate (user refused in steps 2-6,
 * admin passes in drain, both held from propose to wrap) and drain (N above
 * and after every in-flight entry), 2b drain timeout; 3a-f the leader
 * deposed / partitioned / deposed and re-elected at each step 1-4, 3 and 5
 * nodes, with clients writing on every leader throughout, then the
 * operator retries on the new leader; 4 a follower that applied N leads;
 * 5 a new leader holding N committed but unapplied (readiness); 6a a
 * forged envelope, 6b one corrupted entry in one follower's log (fail
 * closed, applied index stays at N'-1); 7 restart: wrap flag from the
 * sidecar; 8 a retried enable; 9 / 9b snapshot catch-up of a follower
 * that missed N and of a brand-new member.
 *
 * Every loop is bounded by simulated time (raft_fixture_step_until) or a
 * step count; the whole program runs in a few seconds.
 * Files: sim_harness.h/.c + sim_steps.c (the harness), sim_gate.c,
 * sim_leader_loss.c, sim_halt_restart.c, sim_snapshot.c (the scenarios),
 * this file (the overview and main).
 * Environment: SKV_SIM_ONLY=<substring of a test name> runs only those,
 * SKV_SIM_VERBOSE=1 narrates the leader-loss runs.
 */
#include "sim_harness.h"

/* ---- main ------------------------------------------------------------- */

/* SKV_SIM_ONLY=<substring of a test name> runs just the matching tests. */
static int add(CU_pSuite su, const char *name, CU_TestFunc fn)
{
    const char *only = getenv("SKV_SIM_ONLY");
    if (only && *only && !strstr(name, only))
        return 1;
    return CU_add_test(su, name, fn) != NULL;
}

int main(void)
{
    CU_pSuite su;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    su = CU_add_suite("cutover_sim", NULL, NULL);
    if (!su ||
        !add(su, "1 happy path, 3 nodes", test_happy_path_3) ||
        !add(su, "2 gate closes user intake, admin passes, drain", test_barrier_gate_and_drain) ||
        !add(su, "2b drain timeout reopens intake, proposes nothing", test_drain_timeout) ||
        !add(su, "3a leader deposed at steps 1-4, 3 nodes", test_depose_3) ||
        !add(su, "3b leader partitioned at steps 1-4, 3 nodes", test_partition_3) ||
        !add(su, "3c leader deposed at steps 1-4, 5 nodes", test_depose_5) ||
        !add(su, "3d leader partitioned at steps 1-4, 5 nodes", test_partition_5) ||
        !add(su, "3e leader deposed and re-elected at steps 1-4, 3 nodes", test_reelect_3) ||
        !add(su, "3f leader deposed and re-elected at steps 1-4, 5 nodes", test_reelect_5) ||
        !add(su, "4 a follower that applied N leads and wraps", test_follower_leads_wraps) ||
        !add(su, "5a new leader with N committed, unapplied (3)", test_commit_not_applied_3) ||
        !add(su, "5b new leader with N committed, unapplied (5)", test_commit_not_applied_5) ||
        !add(su, "6a forged envelope above N halts every replica", test_forged_envelope_halts) ||
        !add(su, "6b corrupted entry halts that follower only", test_corrupt_follower_halts) ||
        !add(su, "7 restart: wrap flag from the sidecar", test_restart_wrap_from_sidecar) ||
        !add(su, "8 retried enable reports the same index", test_retry_after_success) ||
        !add(su, "9 a follower that missed N catches up by snapshot", test_snapshot_catch_up) ||
        !add(su, "9b a new member joins after N by snapshot", test_new_member_by_snapshot) ||
        !add(su, "8b second skv_cutover_begin after success", test_second_begin_after_success)) {
        CU_cleanup_registry();
        return 99;
    }
    return skv_test_run();
}
