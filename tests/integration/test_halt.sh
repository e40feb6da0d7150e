#!/bin/sh
# SPDX-License-Identifier: MIT
# Halting on real sealkvd processes (issue 12 items 5 and "a real sealkvd
# exits non-zero on an unwrap failure"), 3 encrypted nodes on the
# storage-faulty wrapper, Phase 1 and Phase 2 on:
#  A. the LEADER halts (its disk fails): from the HALTED line on it is out
#     of Raft — the other two have a ready leader sooner than a halted
#     node that kept heartbeating until its exit (2 s later) would allow
#     (exit + T), timed on the nodes' own log lines; the halted node
#     answers "halted" until it exits 3 and is never leader again; writes
#     continue; it restarts clean.
#  B. an UNWRAP failure on a follower: the follower is made to stop right
#     before applying a committed wrapped entry (crash point
#     wrapped:before-apply), one ciphertext byte of its last log entry is
#     flipped with skv_tamper (record CRC fixed, so only the AEAD tag can
#     tell), and it is restarted: it logs ErrEnvelopeIntegrity with the
#     entry index and key_id, reports halted with its applied index below
#     that entry, exits 3, and halts at the same entry again on the next
#     start (never skips it); the leader keeps its term and takes writes.
# Needs --enable-fault-injection (storage-faulty, crash points).
SKV_TEST=halt
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"
"$SEALKVD" --version | grep -q "test hooks" || {
    echo "SKIP: sealkvd built without test hooks (configure --enable-fault-injection)"; exit 77; }
TAMPER="$B/tests/integration/skv_tamper"

SKV_ENC_NODES="1 2 3" SKV_STORAGE_1=faulty SKV_STORAGE_2=faulty SKV_STORAGE_3=faulty
ELECTION=${SKV_ELECTION_MS:-600}
skv_setup 3
D=$SKV_DIR
for i in 1 2 3; do skv_start "$i"; done
skv_wait 20 "a leader is elected" skv_leader
skv_assert "phase 1" [ "$(skv_enc_post 1 enable-storage-envelope)" = 200 ]
skv_assert "phase 2" [ "$(skv_enc_post 2 enable-raft-envelope)" = 200 ]
N=$(grep -o '"applied_index":[0-9]*' "$D/resp" | cut -d: -f2)
for k in 1 2 3 4 5; do skv_cli 1 put "pre-$k" "v$k" >/dev/null || skv_fail "put pre-$k"; done

now_ms() { date +%s%3N; }
# our process exists and is not a zombie (an exited child stays a zombie
# until `wait`, and kill -0 still succeeds on it)
running() {
    p=$(skv_pid "$1")
    [ -n "$p" ] && [ -r "/proc/$p/stat" ] && [ "$(cut -d' ' -f3 "/proc/$p/stat")" != Z ]
}
halted_or_gone() { ! running "$1" || skv_is_state "$1" halted; }
other_leader() { # a leader other than $1
    for j in 1 2 3; do [ "$j" != "$1" ] && running "$j" && skv_is_state "$j" leader && return 0; done
    return 1
}
# watch i: until node i's process exits (bounded), record every state it
# answers in $D/states-i (one per line)
watch_states() {
    : >"$D/states-$1"
    end=$(($(date +%s) + 10))
    while running "$1" && [ "$(date +%s)" -lt "$end" ]; do
        s=$(skv_status_field "$1" state)
        [ -n "$s" ] && echo "$s" >>"$D/states-$1"
        sleep 0.05
    done
}

# ---- A: the leader halts ------------------------------------------------
V=$(skv_leader)
skv_log "A: leader $V halts (disk writes fail)"
for j in 1 2 3; do eval "off$j=\$(wc -c <\"\$D/n$j.log\")"; done
echo "write-fail-after 1" >"$D/fault$V"
curl -s -m 3 -o /dev/null -X PUT --data-binary x "$(skv_endpoint "$V")/v1/kv/a-trigger" &
CPID=$!
skv_wait 10 "A: leader $V halts" halted_or_gone "$V"
t_halt=$(now_ms)
skv_assert "A: leader $V logs HALTED" grep -q "HALTED:" "$D/n$V.log"
skv_wait 10 "A: a new leader among the others" other_leader "$V"
t_new=$(now_ms)
skv_log "A: new leader seen $(($t_new - $t_halt)) ms after the halt was seen (by polling)"
# measured on the nodes' own log lines (their ts=), not by this script's
# polling, whose delays grow with the machine's load: from the halted
# leader's HALTED line to the new leader's "leader ready" line
NL=$(skv_leader)
eval "offNL=\$off$NL"
skv_wait 10 "A: node $NL logs leader ready" skv_log_ms "$D/n$NL.log" "leader ready for term" "$offNL"
h_ms=$(skv_log_ms "$D/n$V.log" "HALTED:" "$(eval echo "\$off$V")")
r_ms=$(skv_log_ms "$D/n$NL.log" "leader ready for term" "$offNL")
# Had the halted leader kept heartbeating until it exits (its status
# grace, SKV_HALT_GRACE_MS = 2 s after HALTED), no follower could even
# start an election before exit + T: a new leader ready before 2 s + T
# proves it left Raft at once (an election takes [T, 2T) + a pre-vote,
# vote and barrier round, ~1.2-1.5 s here), with room for a loaded machine.
limit=$((2000 + ELECTION))
skv_log "A: node $NL ready as leader $((${r_ms:-0} - ${h_ms:-0})) ms after node $V's HALTED line (limit $limit ms)"
skv_assert "A: new leader ready sooner than a heartbeating halted node would allow (exit after 2 s + T)" \
    sh -c "[ -n '$h_ms' ] && [ -n '$r_ms' ] && [ $((${r_ms:-0} - ${h_ms:-0})) -lt $limit ]"
watch_states "$V"
skv_assert "A: node $V answered only 'halted' until it exited ($(sort -u "$D/states-$V" | tr '\n' ' '))" \
    sh -c "! grep -qv '^halted\$' '$D/states-$V'"
wait "$CPID" 2>/dev/null
skv_stop "$V"
skv_assert "A: node $V exited 3 (rc $SKV_LAST_RC)" [ "$SKV_LAST_RC" = 3 ]
NL=$(skv_leader)
skv_assert "A: writes continue on the new leader ($NL)" skv_cli "$NL" put a-after yes
: >"$D/fault$V"
skv_start "$V"
skv_wait 20 "A: node $V answers after the restart" skv_status_field "$V" id
skv_wait_caught_up 1 2 3
skv_assert "A: node $V is back, not halted, has a-after" skv_all_local_eq a-after yes "$V"

# ---- B: unwrap failure on a follower ------------------------------------
L=$(skv_leader)
F=1; [ "$L" = 1 ] && F=2
G=$((6 - L - F))
skv_log "B: leader $L, victim follower $F"
skv_stop "$F"
SEALKV_TEST_CRASH_AT=wrapped:before-apply skv_start "$F"
# it answers, or it already met a wrapped entry left from A and stopped
# at the crash point (skv_status_field fails then: it really waits now)
up_or_stopped() {
    skv_status_field "$1" id >/dev/null && return 0
    _p=$(skv_pid "$1")
    ! kill -0 "$_p" 2>/dev/null || [ "$(cut -d' ' -f3 "/proc/$_p/stat")" = Z ]
}
skv_wait 20 "B: node $F answers (or already stopped at the crash point)" up_or_stopped "$F"
skv_assert "B: a write through leader $L" skv_cli "$L" put b-unapplied yes
skv_wait 20 "B: node $F stops before applying the wrapped entry" sh -c "! kill -0 $(skv_pid "$F") 2>/dev/null || [ \"\$(cut -d' ' -f3 /proc/$(skv_pid "$F")/stat)\" = Z ]"
skv_stop "$F"
skv_assert "B: node $F stopped at the crash point (rc 99: $SKV_LAST_RC)" [ "$SKV_LAST_RC" = 99 ]
T=$("$TAMPER" "$D/n$F.yaml" fix-crc | sed -n 's/^tampered //p')
skv_assert "B: tampered entry $T is above the cutover $N" sh -c "[ -n '$T' ] && [ '$T' -gt '$N' ]"
term=$(skv_status_field "$L" term)
off=$(wc -c <"$D/n$F.log")
skv_start "$F"
skv_wait 20 "B: node $F halts or exits" halted_or_gone "$F"
a=$(skv_status_field "$F" applied_index)
skv_log "B: node $F halted with applied_index '${a:-?}' (tampered entry $T)"
skv_assert "B: the halted node's applied index stays below entry $T" sh -c "[ -z '$a' ] || [ '$a' -lt '$T' ]"
watch_states "$F"
skv_stop "$F"
skv_assert "B: node $F exited 3 (rc $SKV_LAST_RC)" [ "$SKV_LAST_RC" = 3 ]
tail -c +$((off + 1)) "$D/n$F.log" >"$D/b-log"
skv_assert "B: node $F logs ErrEnvelopeIntegrity with entry $T and a key_id" \
    grep -Eq "HALTED: ErrEnvelopeIntegrity: entry $T .*key_id [1-9][0-9]*" "$D/b-log"
skv_assert "B: leader $L kept its term ($term)" [ "$(skv_status_field "$L" term)" = "$term" ]
skv_assert "B: leader $L still leads and takes writes" skv_cli "$L" put b-after yes
skv_wait 10 "B: node $G has b-after" skv_all_local_eq b-after yes "$G"
off=$(wc -c <"$D/n$F.log")
skv_start "$F"
skv_wait 20 "B: node $F halts again" halted_or_gone "$F"
watch_states "$F"
skv_stop "$F"
skv_assert "B: on the next start it halts at the same entry $T again (never skips it), rc 3" sh -c \
    "[ $SKV_LAST_RC = 3 ] && tail -c +$((off + 1)) $D/n$F.log | grep -q 'HALTED: ErrEnvelopeIntegrity: entry $T '"
skv_assert "B: the other two still serve" skv_cli "$G" put b-final yes
# the nonce scan (when this tree has it) over the untampered nodes
if command -v skv_nonce_scan >/dev/null 2>&1; then skv_nonce_scan "$L" "$G"; fi
skv_finish
