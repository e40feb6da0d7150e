#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Start/stop a loopback-only etcd cluster for benchmarking.
#
# Copied from ../shared/bench/etcd/cluster.sh (the etcd anchor); the only
# changes: the client/peer ports come from $ETCD_CLIENT_PORTS and
# $ETCD_PEER_PORTS when set (bench/run passes free ports), and the scratch
# dir defaults to /tmp/sealkv-bench-etcd. Durability stays etcd's default.
#
#   cluster.sh start [3|single]   fresh 3-member (default) or 1-member cluster
#   cluster.sh single             same as: start single
#   cluster.sh stop               kill exactly the PIDs this script started
#   cluster.sh status             endpoint status of the running members
#   cluster.sh endpoints          comma-separated client URLs of running members
#
# All scratch data (data dirs, logs, pid files) lives under $ETCD_BENCH_DIR
# (default /tmp/sealkv-bench-etcd) and is wiped on every start, so each start is a
# fresh, empty cluster. Durability settings are etcd's defaults (WAL fsync on,
# default snapshot count, default backend quota); only names/URLs are set.
set -euo pipefail

BASE=${ETCD_BENCH_DIR:-/tmp/sealkv-bench-etcd}
PIDDIR=$BASE/pids
LOGDIR=$BASE/logs
HOST=127.0.0.1
# shellcheck disable=SC2206
CLIENT_PORTS=(${ETCD_CLIENT_PORTS:-23791 23792 23793})
# shellcheck disable=SC2206
PEER_PORTS=(${ETCD_PEER_PORTS:-23801 23802 23803})

die() { echo "cluster.sh: $*" >&2; exit 1; }

# Is $1 a live process whose executable is etcd? (guards against PID reuse)
is_our_etcd() {
    local pid=$1
    [[ -d /proc/$pid ]] || return 1
    local exe
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    [[ ${exe##*/} == etcd* ]]
}

running_members() {
    local f
    shopt -s nullglob
    for f in "$PIDDIR"/*.pid; do
        local pid
        pid=$(<"$f")
        if is_our_etcd "$pid"; then basename "$f" .pid; fi
    done
    shopt -u nullglob
}

endpoints() {
    local eps=() m i
    for m in $(running_members); do
        i=${m#etcd}
        eps+=("http://$HOST:${CLIENT_PORTS[$((i - 1))]}")
    done
    (IFS=,; echo "${eps[*]}")
}

start() {
    local n=3
    case "${1:-3}" in
        3) n=3 ;;
        1|single) n=1 ;;
        *) die "unknown size '$1' (use 3 or single)" ;;
    esac
    command -v etcd >/dev/null || die "etcd not found in PATH"
    [[ -z "$(running_members)" ]] || die "members already running: $(running_members | tr '\n' ' '); run '$0 stop' first"

    rm -rf "$BASE"
    mkdir -p "$PIDDIR" "$LOGDIR"

    local token="bench-$$-$(date +%s)"
    local initial=() i
    for ((i = 1; i <= n; i++)); do
        initial+=("etcd$i=http://$HOST:${PEER_PORTS[$((i - 1))]}")
    done
    local initial_cluster
    initial_cluster=$(IFS=,; echo "${initial[*]}")

    for ((i = 1; i <= n; i++)); do
        local cport=${CLIENT_PORTS[$((i - 1))]} pport=${PEER_PORTS[$((i - 1))]}
        # setsid: own session, so the member outlives this shell and its
        # process group; setsid execs in place, so $! is etcd's own PID.
        setsid etcd --name "etcd$i" \
            --data-dir "$BASE/etcd$i.data" \
            --listen-client-urls "http://$HOST:$cport" \
            --advertise-client-urls "http://$HOST:$cport" \
            --listen-peer-urls "http://$HOST:$pport" \
            --initial-advertise-peer-urls "http://$HOST:$pport" \
            --initial-cluster "$initial_cluster" \
            --initial-cluster-token "$token" \
            --initial-cluster-state new \
            --logger zap --log-outputs stderr \
            </dev/null >"$LOGDIR/etcd$i.log" 2>&1 &
        echo $! >"$PIDDIR/etcd$i.pid"
    done
    sleep 0.2
    for ((i = 1; i <= n; i++)); do
        is_our_etcd "$(<"$PIDDIR/etcd$i.pid")" || {
            echo "cluster.sh: etcd$i is not running; see $LOGDIR/etcd$i.log" >&2
            tail -5 "$LOGDIR/etcd$i.log" >&2 || true
            stop
            exit 1
        }
    done

    # Wait (bounded) until every member reports healthy.
    local eps deadline=$((SECONDS + 30))
    eps=$(endpoints)
    until ETCDCTL_API=3 etcdctl --endpoints="$eps" --dial-timeout=1s --command-timeout=2s \
            endpoint health >/dev/null 2>&1; do
        if ((SECONDS > deadline)); then
            echo "cluster.sh: cluster did not become healthy in 30s; logs in $LOGDIR" >&2
            stop
            exit 1
        fi
        sleep 0.3
    done
    echo "started $n-member etcd cluster: $eps (data/logs under $BASE)"
}

stop() {
    [[ -d $PIDDIR ]] || { echo "nothing to stop"; return 0; }
    local f pids=()
    shopt -s nullglob
    for f in "$PIDDIR"/*.pid; do
        local pid
        pid=$(<"$f")
        if is_our_etcd "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    local deadline=$((SECONDS + 10)) p alive
    while :; do
        alive=()
        for p in "${pids[@]}"; do is_our_etcd "$p" && alive+=("$p"); done
        ((${#alive[@]} == 0)) && break
        if ((SECONDS > deadline)); then
            for p in "${alive[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
            break
        fi
        sleep 0.2
    done
    # Reap if they were our direct children (same shell); harmless otherwise.
    wait "${pids[@]}" 2>/dev/null || true
    for f in "$PIDDIR"/*.pid; do rm -f "$f"; done
    shopt -u nullglob
    echo "stopped ${#pids[@]} etcd member(s)${pids[*]:+: ${pids[*]}}"
}

status() {
    local eps
    eps=$(endpoints)
    [[ -n $eps ]] || die "no members running"
    ETCDCTL_API=3 etcdctl --endpoints="$eps" endpoint status -w table
}

case "${1:-}" in
    start) start "${2:-3}" ;;
    single) start single ;;
    stop) stop ;;
    status) status ;;
    endpoints) endpoints ;;
    *) echo "usage: $0 start [3|single] | single | stop | status | endpoints" >&2; exit 2 ;;
esac
