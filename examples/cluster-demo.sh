#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/cluster-demo.sh — the main job: starts the 3-node loopback
# cluster of conf/cluster-3/ (raft ports 7101-7103, HTTP 8101-8103) in a
# scratch directory and tells the whole story: writes and reads through
# different nodes; with a client writing in the background, turns on
# Phase 1 (stored values encrypted) and Phase 2 (the Raft log itself,
# cut over at a recorded index); writes a marker after the cutover; kills
# the leader and shows a new leader keeping every acknowledged write;
# erases the cleartext history (old values, log below the cutover) on
# every node; stops the cluster, shows the marker is nowhere on disk and
# proves it offline with `sealkv verify --strict`;
# restarts everyone and reads everything back. Works from the source tree
# after `make`, or against installed binaries (SEALKV_BIN=/usr/bin).
# Secure as configured in conf/cluster-3/: the scratch directory gets a
# cluster CA, a certificate per node and one for the client (`sealkv
# cert`) and an admin token; nodes talk mutual TLS 1.3, and the admin API
# is HTTPS that wants the token or the client certificate.
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
# PKI and admin token, where conf/cluster-3/ expects them (./data/...)
pki=$work/data/pki
"$SEALKV" cert create-ca --dir "$pki" >/dev/null
for n in 1 2 3; do "$SEALKV" cert create-node $n 127.0.0.1:710$n --dir "$pki" >/dev/null; done
"$SEALKV" cert create-client demo --dir "$pki" >/dev/null
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/data/admin.token")
# every sealkv call below: verify the nodes' HTTPS with the cluster CA,
# authenticate with the token
SEALKV_CACERT=$pki/ca.crt SEALKV_TOKEN_FILE=$work/data/admin.token
export SEALKV_CACERT SEALKV_TOKEN_FILE
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
url() { echo "https://127.0.0.1:810$1"; }
cli() { n=$1; shift; "$SEALKV" --endpoint "$(url $n)" --retry 15 "$@"; }
pid_of() { eval "echo \${PID_$1:-}"; }
start() {
    (cd "$work" && exec "$SEALKVD" --config "$top/conf/cluster-3/n$1.yaml") >>"$work/n$1.log" 2>&1 &
    eval "PID_$1=$!"; pids="$pids $!"
    echo "node $1 started (pid $!), log $work/n$1.log"
}
leader() {
    for n in 1 2 3; do
        [ -n "$(pid_of $n)" ] || continue
        if "$SEALKV" --endpoint "$(url $n)" --retry 0 --json status 2>/dev/null | grep -q '"state":"leader"'; then
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

say "starting 3 nodes from conf/cluster-3/ (mutual TLS between nodes, admin over HTTPS)"
echo "cluster CA, node and client certificates in $pki (sealkv cert), admin token in $work/data/admin.token"
for n in 1 2 3; do start $n; done
L=$(wait_leader)
echo "leader: node $L"
cli 1 status
printf 'without the token or a client certificate: '
env -u SEALKV_TOKEN_FILE "$SEALKV" --endpoint "$(url 1)" --retry 0 status 2>&1 | head -1 || true
printf 'with the client certificate instead of the token: '
env -u SEALKV_TOKEN_FILE "$SEALKV" --endpoint "$(url 1)" --cert "$pki/client-demo.crt" --key "$pki/client-demo.key" \
    --json status | grep -o '"state":"[a-z]*"'

F=1; [ "$L" = 1 ] && F=2
say "writing through follower $F, reading through every node"
cli $F put greeting "hello from node $F"
for n in 1 2 3; do printf 'node %s: ' $n; cli $n get greeting; echo; done
for i in 1 2 3 4 5; do cli $(( (i % 3) + 1 )) put "demo/$i" "value $i" >/dev/null; done
echo "5 more writes acknowledged"

say "a client writes in the background (through follower $F)"
: >"$work/bg.acked"
(
    i=0
    while [ ! -e "$work/bg.stop" ] && [ $i -lt 2000 ]; do
        i=$((i + 1))
        "$SEALKV" --endpoint "$(url $F)" --retry 20 put "bg/$i" "background $i" >/dev/null &&
            echo "bg/$i" >>"$work/bg.acked"
    done
) &
BG=$!
sleep 1
echo "$(wc -l <"$work/bg.acked") background writes acknowledged so far"

say "Phase 1: encrypt stored values (asked on follower $F; it forwards to the leader)"
cli $F encryption enable-storage-envelope
say "Phase 2: encrypt the Raft log itself, cut over at a recorded index"
cli $F encryption enable-raft-envelope
N=$("$SEALKV" --endpoint "$(url $L)" --json status | grep -o '"raft_envelope_cutover_index":[0-9]*' | cut -d: -f2)
echo "cutover index N = $N: entries above $N are wrapped in the raft envelope"
MARK="demo-marker-$(date +%s)-$$"
cli $F put secret "$MARK" >/dev/null
echo "wrote secret = $MARK after the cutover"
touch "$work/bg.stop"; wait $BG 2>/dev/null || true
echo "$(wc -l <"$work/bg.acked") background writes acknowledged across both phases"
cli $L status

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
until [ "$("$SEALKV" --endpoint "$(url $L)" --retry 0 get after-restart --local 2>/dev/null)" = yes ]; do
    i=$((i + 1)); [ $i -lt 300 ] || { echo "node $L did not catch up" >&2; exit 1; }
    sleep 0.1
done
echo "node $L has caught up"
cli $L members

say "erasing the cleartext history on every node (old values re-sealed, log below $N compacted)"
for n in 1 2 3; do printf 'node %s: ' $n; cli $n --json encryption erase-cleartext; echo; done

say "stopping the cluster; is the marker anywhere on disk in cleartext?"
for n in 1 2 3; do p=$(pid_of $n); [ -n "$p" ] && kill -TERM "$p" && wait "$p" || true; eval "PID_$n="; done
pids=""
if grep -rl -- "$MARK" "$work/data" >/dev/null 2>&1; then
    echo "FAIL: the marker is on disk in cleartext:" >&2; grep -rl -- "$MARK" "$work/data" >&2; exit 1
fi
echo "marker found in none of the $(find "$work/data" -type f | wc -l) files under the data dirs"
say "offline proof: sealkv verify --strict on every node's data dir"
for n in 1 2 3; do
    (cd "$work" && "$SEALKV" verify --config "$top/conf/cluster-3/n$n.yaml" --strict) ||
        { echo "FAIL: verify found cleartext or an anomaly on node $n" >&2; exit 1; }
done

say "restarting all nodes; reading everything back"
for n in 1 2 3; do start $n; done
L=$(wait_leader)
printf 'secret = '; cli $L get secret; echo
printf 'greeting = '; cli $L get greeting; echo
missing=0
for k in $(cat "$work/bg.acked"); do
    [ "$("$SEALKV" --endpoint "$(url $L)" --retry 15 get "$k")" = "background ${k#bg/}" ] || missing=$((missing + 1))
done
echo "$(wc -l <"$work/bg.acked") acknowledged background writes read back, $missing missing"
[ "$missing" -eq 0 ] || exit 1

say "stopping the cluster"
for n in 1 2 3; do p=$(pid_of $n); [ -n "$p" ] && kill -TERM "$p" && wait "$p" || true; done
pids=""
echo "cluster demo finished OK"
