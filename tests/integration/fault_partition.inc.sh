# SPDX-License-Identifier: MIT
# fault_partition.inc.sh — body of test_fault_partition3.sh and
# test_fault_partition5.sh (FL_N = cluster size): an encrypted cluster
# (Phase 1 and Phase 2 on, so the faults hit sealed values and wrapped
# log entries) talking over the chaos transport, under load from
# concurrent recording clients on every node:
#   minority: the largest minority of followers is cut off for
#     FL_FAULT_S seconds — the majority keeps acknowledging writes, no
#     minority node becomes leader — then healed;
#   majority: the leader (with, for 5 nodes, one follower) is cut off
#     from the majority — a new leader is elected there and writes
#     continue, the old leader steps down — then healed.
# Each ends with every node caught up, a final linearizable read of every
# key, and the verdict (lincheck: linearizable, no acknowledged write
# lost; no node halted). Beside the recorders, transfers between accounts
# in multi-key transactions (faults_lib.sh fl_bank_*): every atomic read
# of all accounts adds up across the partition. A negative control repeats the minority case with
# local reads (?consistency=local): that history must be rejected.
SKV_TEST=fault-partition-$FL_N
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
. "$S/tests/integration/faults_lib.sh"
fl_require

SKV_TRANSPORT=chaos
SKV_ENC_NODES=$(seq -s ' ' 1 "$FL_N")
FL_FAULT_S=${FL_FAULT_S:-4}
fl_setup "$FL_N"
ALL=$(seq -s ' ' 1 "$FL_N")
for i in $ALL; do skv_start "$i"; done
L=$(fl_wait_leader 30) || { skv_fail "no leader"; skv_finish; exit 1; }
skv_assert "phase 1 on" [ "$(fl_post "$L" enable-storage-envelope)" = 200 ]
skv_assert "phase 2 on" [ "$(fl_post "$L" enable-raft-envelope)" = 200 ]
CUT=$(grep -o '"applied_index":[0-9]*' "$SKV_DIR/resp" | cut -d: -f2)
skv_log "cutover index $CUT"

others() { # nodes of ALL not in the list $1
    for i in $ALL; do case " $1 " in *" $i "*) ;; *) printf '%s ' "$i" ;; esac; done
}
no_leader_in() { for i in $1; do [ "$(fl_field "$i" state)" = leader ] && return 1; done; return 0; }

scenario() { # name isolated-nodes [fail]
    name=$1 iso=$2 rest=$(others "$2") expect=${3:-ok}
    FL_HIST="$SKV_DIR/history-$name" FL_KEY_PREFIX="$name-k"
    fl_load_start "$name" $ALL
    [ "$expect" = ok ] && fl_bank_start "$name" $ALL
    skv_assert "$name: load is flowing" fl_wait_ops "$name" 60 20
    fl_partition "$iso" "$rest"
    NL=$(fl_wait_leader 20 $rest)
    skv_assert "$name: the majority {$rest} has a leader ($NL)" [ -n "$NL" ]
    skv_assert "$name: writes continue during the partition" fl_wait_ops "$name" 60 30
    sleep "$FL_FAULT_S"
    skv_assert "$name: no node of the minority {$iso} leads" no_leader_in "$iso"
    fl_heal
    skv_assert "$name: load continues after healing" fl_wait_ops "$name" 60 30
    fl_load_stop "$name"
    [ "$expect" = ok ] && fl_bank_stop "$name" $ALL
    skv_assert "$name: every node caught up" fl_wait_caught_up 30 $ALL
    fl_final_read $ALL
    for i in $ALL; do
        skv_assert "$name: node $i keeps cutover $CUT" [ "$(fl_enc "$i" raft_envelope_cutover_index)" = "$CUT" ]
    done
    fl_verdict "$name-$FL_N" "$expect"
}

L=$(fl_wait_leader 20)
if [ "$FL_N" = 3 ]; then MIN=$(others "$L" | cut -d' ' -f1); else MIN=$(others "$L" | cut -d' ' -f1-2); fi
scenario partition-minority "$MIN"

L=$(fl_wait_leader 20)
if [ "$FL_N" = 3 ]; then ISO=$L; else ISO="$L $(others "$L" | cut -d' ' -f1)"; fi
scenario partition-leader "$ISO"

# negative control: the same minority partition with local reads
# (?consistency=local, documented as not linearizable); the isolated
# follower serves stale values, which the checker must reject
L=$(fl_wait_leader 20)
if [ "$FL_N" = 3 ]; then MIN=$(others "$L" | cut -d' ' -f1); else MIN=$(others "$L" | cut -d' ' -f1-2); fi
FL_LOCAL_READS=1 scenario control-local-reads "$MIN" fail
skv_finish
