#!/bin/sh
# SPDX-License-Identifier: MIT
# Disk faults (issue 6, item 4) on a 3-node encrypted cluster (Phase 1 on)
# whose nodes store through the test-only storage-faulty plugin (a wrapper
# of storage-leveldb, healthy until its control file says otherwise; every
# node has one, so the leader can be the victim too):
#  A. a follower's writes fail (write-fail-after 1) while clients write
#     through it: it halts (state halted or exit != 0) with a log line
#     naming the injected error, the other two keep serving;
#  B. a follower's synced writes fail (sync-fail) while it is the only
#     other live voter: no write issued after the fault is acknowledged
#     (it must not ack raft appends it could not sync), it halts, and the
#     cluster serves again once the third node is back;
#  C. the leader's writes fail: it halts or steps down, a new leader is
#     elected, writes continue.
# After each scenario the victim is restarted without the fault: it starts
# (store not corrupt), does not halt, catches up, and every acknowledged
# write — 200 from any node, including the victim — is readable on every
# node.
SKV_TEST=disk-faults
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

SKV_ENC_NODES="1 2 3" SKV_STORAGE_1=faulty SKV_STORAGE_2=faulty SKV_STORAGE_3=faulty
skv_setup 3
D=$SKV_DIR
SO="$B/tests/plugins/storage-faulty/.libs/storage-faulty.so"
syms=$(nm -D --defined-only "$SO" | awk '{print $3}' | grep -v -E '^(_init|_fini|_edata|_end|__bss_start)$')
skv_assert "storage-faulty.so exports only sealkv_plugin_v1" [ "$syms" = sealkv_plugin_v1 ]

for i in 1 2 3; do skv_start "$i"; done
skv_wait 20 "a leader is elected" skv_leader
for i in 1 2 3; do
    skv_assert "node $i runs on the faulty wrapper" grep -q "faulty: wrapping .*storage-leveldb.so" "$D/n$i.log"
done
code=000; end=$(($(date +%s) + 15))
while [ "$(date +%s)" -lt "$end" ]; do
    code=$(curl -s -o "$D/resp" -w '%{http_code}' -X POST "$(skv_endpoint 1)/v1/encryption/enable-storage-envelope")
    [ "$code" = 503 ] || break
    sleep 0.2
done
skv_assert "phase 1 enabled" [ "$code" = 200 ]

: >"$D/acked"
# our process exists and is not a zombie: an exited child stays a zombie
# until `wait`, and kill -0 succeeds on it — so "alive" must not count it
# (a node that halted and exited 3 answers no status any more; it is down)
alive() {
    p=$(skv_pid "$1")
    [ -n "$p" ] && [ -r "/proc/$p/stat" ] && [ "$(cut -d' ' -f3 "/proc/$p/stat")" != Z ]
}
down() { ! alive "$1" || skv_is_state "$1" halted; }
not_leader() { ! alive "$1" || ! skv_is_state "$1" leader; }
followers_of() { for i in 1 2 3; do [ "$i" = "$1" ] || printf '%s ' "$i"; done; }
# raw_writer node prefix: PUT prefix-k until $D/stop-prefix exists; logs
# "k code post back" (post=1: issued after $D/armed-prefix appeared;
# back=1: completed after $D/back-prefix appeared); every 200 goes to
# $D/acked.
raw_writer() {
    k=0
    while [ ! -e "$D/stop-$2" ] && [ "$k" -lt 3000 ]; do
        k=$((k + 1))
        post=0; [ -e "$D/armed-$2" ] && post=1
        c=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X PUT --data-binary "val-$2-$k" \
            "$(skv_endpoint "$1")/v1/kv/$2-$k")
        back=0; [ -e "$D/back-$2" ] && back=1
        echo "$k $c $post $back" >>"$D/codes-$2"
        [ "$c" = 200 ] && echo "$2-$k" >>"$D/acked"
    done
}
acks() { grep -c " 200 " "$D/codes-$1" 2>/dev/null || echo 0; }
WPIDS=""   # writer subshells (never `wait` for all: the nodes are children too)
start_writer() { raw_writer "$1" "$2" & WPIDS="$WPIDS $!"; }
stop_writers() { for p in "$@"; do touch "$D/stop-$p"; done; for w in $WPIDS; do wait "$w"; done; WPIDS=""; }
# wait_exit i S: node i's process exits within S seconds (halt grace), or
# is stopped then; sets RC to its exit status.
wait_exit() {
    end=$(($(date +%s) + $2))
    while alive "$1" && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
    skv_stop "$1"
    RC=$SKV_LAST_RC
}
# restart_clean i: disarm, restart, no halt, catches up
restart_clean() {
    : >"$D/fault$1"
    off=$(wc -c <"$D/n$1.log")
    skv_start "$1"
    skv_wait 20 "node $1 answers after the restart" skv_status_field "$1" id
    skv_wait 20 "a leader" skv_leader
    skv_wait_caught_up 1 2 3
    sleep 0.5
    skv_assert "node $1 restarted on its store without halting" sh -c \
        "[ \"\$(\"$SEALKV\" --endpoint $(skv_endpoint "$1") --retry 0 --json status | grep -o '\"state\":\"halted\"')\" = '' ]"
    skv_assert "node $1: no HALTED and no storage error in its log since the restart" \
        sh -c "! tail -c +$((off + 1)) $D/n$1.log | grep -E 'HALTED|injected|corrupt'"
}
# every acknowledged write so far, locally on every node (one curl per
# node: a config file with one url/output pair per key)
check_acked() {
    sort -u "$D/acked" >"$D/acked.u"
    n=$(wc -l <"$D/acked.u"); bad=0
    for i in 1 2 3; do
        rm -rf "$D/got$i"; mkdir "$D/got$i"
        sed "s|.*|url = \"$(skv_endpoint "$i")/v1/kv/&?consistency=local\"\noutput = \"$D/got$i/&\"|" \
            "$D/acked.u" >"$D/curl$i.conf"
        curl -s -K "$D/curl$i.conf"
        while read -r key; do
            [ "$(cat "$D/got$i/$key" 2>/dev/null)" = "val-$key" ] ||
                { bad=$((bad + 1)); skv_log "node $i misses acknowledged $key"; }
        done <"$D/acked.u"
    done
    skv_assert "$1: all $n acknowledged writes readable on every node" [ "$bad" -eq 0 ]
}

# ---- A: a follower's writes fail while clients write through it ---------
L=$(skv_leader)
V=3; [ "$L" = 3 ] && V=2
F=$(followers_of "$L" | tr ' ' '\n' | grep -vx "$V" | head -1)
skv_log "A: leader $L, victim follower $V, other follower $F"
start_writer "$V" av; start_writer "$L" al
skv_wait 20 "A: writes flowing through both" sh -c "[ \$(grep -c ' 200 ' $D/codes-av 2>/dev/null) -ge 10 ] && [ \$(grep -c ' 200 ' $D/codes-al 2>/dev/null) -ge 10 ]"
echo "write-fail-after 1" >"$D/fault$V"
touch "$D/armed-av" "$D/armed-al"
skv_wait 10 "A: follower $V halts or exits" down "$V" && skv_assert "A: follower $V halted or exited within 10 s" down "$V"
skv_assert "A: node $V logs the storage error" grep -q "injected: No space left on device" "$D/n$V.log"
before=$(acks al)
skv_assert "A: the other two keep serving (put through leader $L)" skv_cli "$L" put a-after-fault yes >/dev/null
skv_wait 10 "A: a-after-fault on follower $F" skv_all_local_eq a-after-fault yes "$F"
sleep 1
stop_writers av al
skv_assert "A: the leader's client kept getting 200s after the fault" [ "$(acks al)" -gt "$before" ]
wait_exit "$V" 5
skv_assert "A: node $V exited with an error of its own, not killed by a signal (rc $RC)" \
    sh -c "[ $RC -ne 0 ] && [ $RC -lt 128 ]"
skv_log "A: through victim: $(acks av) x 200, $(grep -vc ' 200 ' "$D/codes-av") other; through leader: $(acks al) x 200"
restart_clean "$V"
check_acked A

# ---- B: fsync fails on the only other live voter -------------------------
L=$(skv_leader)
set -- $(followers_of "$L")
V=$1 F=$2
skv_log "B: leader $L, victim follower $V, stopped follower $F"
skv_stop "$F"
start_writer "$L" bl
skv_wait 20 "B: writes flowing with leader + victim only" sh -c "[ \$(grep -c ' 200 ' $D/codes-bl 2>/dev/null) -ge 10 ]"
echo sync-fail >"$D/fault$V"
sleep 0.5   # a batch already past the check may still be acknowledged
touch "$D/armed-bl"
skv_wait 20 "B: a write issued after the fault completes" sh -c "grep -q ' 1 0\$' $D/codes-bl"
code=$(curl -s -m 4 -o /dev/null -w '%{http_code}' -X PUT --data-binary nope "$(skv_endpoint "$L")/v1/kv/b-probe")
skv_assert "B: a write needing the victim's fsync is not acknowledged (got $code)" [ "$code" != 200 ]
skv_wait 10 "B: follower $V halts or exits" down "$V" && skv_assert "B: follower $V halted or exited within 10 s" down "$V"
skv_assert "B: node $V logs the storage error" grep -q "injected: fsync failed" "$D/n$V.log"
touch "$D/back-bl"
skv_start "$F"
skv_assert "B: with node $F back the cluster serves again" skv_cli "$F" put b-after-fault yes >/dev/null
sleep 1
stop_writers bl
bad_ack=$(grep -c ' 200 1 0$' "$D/codes-bl")
post_ok=$(grep -c ' 200 1 1$' "$D/codes-bl")
skv_assert "B: no write issued after the fault was acknowledged before node $F returned ($bad_ack)" [ "$bad_ack" -eq 0 ]
wait_exit "$V" 5
skv_assert "B: node $V exited with an error of its own, not killed by a signal (rc $RC)" \
    sh -c "[ $RC -ne 0 ] && [ $RC -lt 128 ]"
skv_log "B: through leader: $(acks bl) x 200 ($post_ok issued after the fault, completed after node $F returned)"
restart_clean "$V"
check_acked B

# ---- C: the leader's writes fail ------------------------------------------
L=$(skv_leader)
set -- $(followers_of "$L")
F1=$1 F2=$2
skv_log "C: victim leader $L, followers $F1 $F2"
start_writer "$F1" cf; start_writer "$L" cl
skv_wait 20 "C: writes flowing" sh -c "[ \$(grep -c ' 200 ' $D/codes-cf 2>/dev/null) -ge 10 ] && [ \$(grep -c ' 200 ' $D/codes-cl 2>/dev/null) -ge 10 ]"
echo "write-fail-after 1" >"$D/fault$L"
touch "$D/armed-cf" "$D/armed-cl"
skv_wait 10 "C: leader $L halts, exits or steps down" not_leader "$L" && skv_assert "C: leader $L halted, exited or stepped down within 10 s" not_leader "$L"
skv_wait 15 "C: a new leader among $F1 $F2" \
    sh -c "[ \"\$(\"$SEALKV\" --endpoint $(skv_endpoint "$F1") --retry 0 --json status | grep -o '\"state\":\"leader\"')\" != '' ] || [ \"\$(\"$SEALKV\" --endpoint $(skv_endpoint "$F2") --retry 0 --json status | grep -o '\"state\":\"leader\"')\" != '' ]"
skv_assert "C: node $L logs the storage error" grep -q "injected: No space left on device" "$D/n$L.log"
skv_wait 10 "C: node $L halts or exits" down "$L" && skv_assert "C: node $L halted or exited within 10 s" down "$L"
skv_assert "C: writes continue through $F2" skv_cli "$F2" put c-after-fault yes >/dev/null
sleep 1
stop_writers cf cl
wait_exit "$L" 5
skv_assert "C: old leader $L exited with an error of its own, not killed by a signal (rc $RC)" \
    sh -c "[ $RC -ne 0 ] && [ $RC -lt 128 ]"
skv_log "C: through follower: $(acks cf) x 200; through leader: $(acks cl) x 200"
restart_clean "$L"
check_acked C
fault_writes() { for key in a-after-fault b-after-fault c-after-fault; do skv_all_local_eq "$key" yes "$1" || return 1; done; }
for i in 1 2 3; do skv_assert "node $i has the writes made during each fault" fault_writes "$i"; done

# the whole cluster restarts cleanly on the stores that saw the faults
for i in 1 2 3; do skv_stop "$i"; done
for i in 1 2 3; do skv_start "$i"; done
skv_wait 20 "a leader after restarting everyone" skv_leader
skv_assert "full restart: writes continue" skv_cli 1 put final yes >/dev/null
for i in 1 2 3; do
    skv_assert "full restart: node $i not halted" sh -c "[ \"\$(\"$SEALKV\" --endpoint $(skv_endpoint $i) --json status | grep -o '\"state\":\"halted\"')\" = '' ]"
done
skv_finish
