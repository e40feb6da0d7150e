#!/bin/sh
# examples/cluster-demo.sh — the main job: starts the 3-node loopback
# cluster of conf/cluster-3/ (raft ports 7101-7103, HTTP 8101-8103) in a
# scratch directory, writes and reads through different nodes, kills the
# leader, shows a new leader keeping every acknowledged write, restarts the
# old leader, and stops everything. Works from the source tree after
# `make`, or against installed binaries (SEALKV_BIN=/usr/bin).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
b=${SKV_BUILDDIR:-$top}
if [ -n "${SEALKV_BIN:-}" ]; then
    SEALKVD=$SEALKV_BIN/sealkvd; SEALKV=$SEALKV_BIN/sealkv
else
    SEALKVD=$b/core/sealkvd; SEALKV=$b/core/sealkv
    SEALKV_PLUGIN_PATH="$b/plugins/storage-leveldb/.libs:$b/plugins/cipher-sodium/.libs:$b/plugins/transport-tcp/.libs:$b/plugins/admin-http/.libs"
    export SEALKV_PLUGIN_PATH
fi
[ -x "$SEALKVD" ] && [ -x "$SEALKV" ] || { echo "build first: ./autogen.sh && ./configure && make" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/sealkv-demo-XXXXXX")
mkdir -p "$work/data"
head -c 32 /dev/urandom >"$work/data/kek.key"
chmod 600 "$work/data/kek.key"
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cli() { n=$1; shift; "$SEALKV" --endpoint "http://127.0.0.1:810$n" --retry 15 "$@"; }
pid_of() { eval "echo \${PID_$1:-}"; }
start() {
    (cd "$work" && exec "$SEALKVD" --config "$top/conf/cluster-3/n$1.yaml") >>"$work/n$1.log" 2>&1 &
    eval "PID_$1=$!"; pids="$pids $!"
    echo "node $1 started (pid $!), log $work/n$1.log"
}
leader() {
    for n in 1 2 3; do
        [ -n "$(pid_of $n)" ] || continue
        if "$SEALKV" --endpoint "http://127.0.0.1:810$n" --retry 0 --json status 2>/dev/null | grep -q '"state":"leader"'; then
            echo "$n"; return 0
        fi
    done
    return 1
}
wait_leader() {
    i=0
    while ! leader >/dev/null; do
        i=$((i + 1))
        if [ $i -ge 200 ]; then
            echo "no leader after 20s (are ports 7101-7103/8101-8103 free?)" >&2
            tail -n 5 "$work"/n*.log >&2
            exit 1
        fi
        sleep 0.1
    done
    leader
}

say "starting 3 nodes from conf/cluster-3/"
for n in 1 2 3; do start $n; done
L=$(wait_leader)
echo "leader: node $L"
cli 1 status

F=1; [ "$L" = 1 ] && F=2
say "writing through follower $F, reading through every node"
cli $F put greeting "hello from node $F"
for n in 1 2 3; do printf 'node %s: ' $n; cli $n get greeting; echo; done
for i in 1 2 3 4 5; do cli $(( (i % 3) + 1 )) put "demo/$i" "value $i" >/dev/null; done
echo "5 more writes acknowledged"

say "SIGKILL the leader (node $L)"
kill -KILL "$(pid_of $L)"; wait "$(pid_of $L)" 2>/dev/null || true
eval "PID_$L="
L2=$(wait_leader)
echo "new leader: node $L2"
for i in 1 2 3 4 5; do printf 'demo/%s = ' $i; cli $L2 get "demo/$i"; echo; done

say "restarting node $L; it catches up"
start $L
cli $L2 put after-restart yes >/dev/null
i=0
until [ "$("$SEALKV" --endpoint "http://127.0.0.1:810$L" --retry 0 get after-restart --local 2>/dev/null)" = yes ]; do
    i=$((i + 1)); [ $i -lt 300 ] || { echo "node $L did not catch up" >&2; exit 1; }
    sleep 0.1
done
echo "node $L has caught up"
cli $L members

say "stopping the cluster"
for n in 1 2 3; do p=$(pid_of $n); [ -n "$p" ] && kill -TERM "$p" && wait "$p" || true; done
pids=""
echo "cluster demo finished OK"
