# SPDX-License-Identifier: MIT
# bench/lib.sh — sealkv side of the benchmark harness (sourced by bench/run):
# loopback-only clusters on free ports, started and stopped by PID (only
# the PIDs started here are ever signalled), leader discovery, status
# fields. Needs: BENCH_BUILD (build dir with core/sealkvd, core/sealkv and
# the plugins), BENCH_WORK (scratch dir), FREEPORT (tests/integration/freeport).
# Node-to-node traffic is mutual TLS, as in the default config: each
# cluster gets a CA and node certificates from `sealkv cert` in
# $SKVB_DIR/pki. BENCH_TRANSPORT=plain: `insecure: true` instead.

SKVB_PIDS=""     # pids of the running sealkv cluster
SKVB_N=0
SKVB_DIR=""

skvb_log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Is $1 still a live sealkvd that we started? (guards against PID reuse)
skvb_is_ours() {
    [ -d "/proc/$1" ] || return 1
    exe=$(readlink "/proc/$1/exe" 2>/dev/null || true)
    case ${exe##*/} in sealkvd|lt-sealkvd) return 0 ;; esac
    return 1
}

# skvb_transport_line i: the transport plugin line of node i's config.
skvb_transport_line() {
    case ${BENCH_TRANSPORT:-tls} in
    plain) echo "  transport: { name: tcp, options: { insecure: true } }" ;;
    *) echo "  transport: { name: tcp, options: { ca_file: $SKVB_DIR/pki/ca.crt, cert_file: $SKVB_DIR/pki/node-$1.crt, key_file: $SKVB_DIR/pki/node-$1.key } }" ;;
    esac
}

# skvb_pki: the cluster CA and a certificate for nodes 1..SKVB_N (TLS only).
skvb_pki() {
    [ "${BENCH_TRANSPORT:-tls}" = plain ] && return 0
    "$BENCH_BUILD/core/sealkv" cert create-ca --dir "$SKVB_DIR/pki" >/dev/null || return 1
    for i in $(seq 1 "$SKVB_N"); do
        "$BENCH_BUILD/core/sealkv" cert create-node "$i" "127.0.0.1:$(eval echo \$SKVB_RP_$i)" \
            --dir "$SKVB_DIR/pki" >/dev/null || return 1
    done
}

# skvb_start N NAME: fresh N-node cluster (bootstrap voters 1..N) in
# $BENCH_WORK/NAME, encryption capable (shared 0600 KEK), mutual TLS
# between nodes (BENCH_TRANSPORT=plain: insecure), every node's HTTP
# endpoint in SKVB_EP_i. Waits (bounded) for a ready leader.
skvb_start() {
    SKVB_N=$1
    SKVB_DIR=$BENCH_WORK/$2
    rm -rf "$SKVB_DIR"
    mkdir -p "$SKVB_DIR"
    (umask 077 && head -c 32 /dev/urandom >"$SKVB_DIR/kek.key")
    ports=$("$FREEPORT" -o $$ $((2 * SKVB_N))) || { skvb_log "freeport failed"; return 1; }
    set -- $ports
    for i in $(seq 1 "$SKVB_N"); do eval "SKVB_RP_$i=\$1"; shift; done
    for i in $(seq 1 "$SKVB_N"); do eval "SKVB_AP_$i=\$1"; eval "SKVB_EP_$i=http://127.0.0.1:\$1"; shift; done
    skvb_pki || { skvb_log "sealkv cert failed (TLS credentials in $SKVB_DIR/pki)"; return 1; }
    for i in $(seq 1 "$SKVB_N"); do
        {
            echo "node: { id: $i, address: 127.0.0.1:$(eval echo \$SKVB_RP_$i), data_dir: $SKVB_DIR/data$i }"
            echo "cluster:"
            echo "  bootstrap:"
            for j in $(seq 1 "$SKVB_N"); do
                echo "    - { id: $j, address: 127.0.0.1:$(eval echo \$SKVB_RP_$j) }"
            done
            echo "plugins:"
            [ -z "${BENCH_STORAGE_OPTS:-}" ] || echo "  storage: { name: leveldb, options: { $BENCH_STORAGE_OPTS } }"
            echo "  admin: { name: http, options: { listen: 127.0.0.1:$(eval echo \$SKVB_AP_$i)${BENCH_HTTP_OPTS:+, $BENCH_HTTP_OPTS} } }"
            skvb_transport_line "$i"
            echo "encryption: { enabled: true, kek_file: $SKVB_DIR/kek.key }"
            echo "raft:"
            echo "  election_timeout_ms: ${BENCH_ELECTION_MS:-1000}"
            echo "  heartbeat_timeout_ms: ${BENCH_HEARTBEAT_MS:-100}"
            [ -z "${BENCH_SNAP_THRESHOLD:-}" ] || echo "  snapshot_threshold: $BENCH_SNAP_THRESHOLD"
            echo "log: { level: ${BENCH_LOG_LEVEL:-warn} }"
        } >"$SKVB_DIR/n$i.yaml"
    done
    SKVB_PIDS=""
    for i in $(seq 1 "$SKVB_N"); do
        SEALKV_PLUGIN_PATH=$BENCH_PLUGIN_PATH "$BENCH_BUILD/core/sealkvd" \
            --config "$SKVB_DIR/n$i.yaml" </dev/null >"$SKVB_DIR/n$i.log" 2>&1 &
        SKVB_PIDS="$SKVB_PIDS $!"
        eval "SKVB_PID_$i=$!"
    done
    skvb_wait_leader 30 || { skvb_log "sealkv: no ready leader in 30 s (logs in $SKVB_DIR)"; skvb_stop; return 1; }
}

# SIGTERM to every pid we started, SIGKILL after 10 s; an exit status
# other than 0 is reported (SKVB_BAD_EXITS counts them). The data dirs are
# removed (the logs are kept by skvb_keep_logs first).
SKVB_BAD_EXITS=0
skvb_stop() {
    alive=""
    for p in $SKVB_PIDS; do
        if skvb_is_ours "$p"; then kill -TERM "$p" 2>/dev/null; fi
        alive="$alive $p"
    done
    end=$((SECONDS + 10))
    for p in $alive; do
        while skvb_is_ours "$p" && [ $SECONDS -lt $end ]; do sleep 0.1; done
        skvb_is_ours "$p" && kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
        rc=$?
        if [ "$rc" != 0 ]; then
            SKVB_BAD_EXITS=$((SKVB_BAD_EXITS + 1))
            skvb_log "sealkvd pid $p ($SKVB_DIR) exited with status $rc"
        fi
    done
    SKVB_PIDS=""
    [ -n "$SKVB_DIR" ] && rm -rf "$SKVB_DIR"/data*
}

# skvb_restart i: SIGTERM node i (ours only; SIGKILL after 10 s) and start
# it again on the same config and data dir; its new pid replaces the old.
skvb_restart() {
    old=$(skvb_pid "$1")
    if skvb_is_ours "$old"; then kill -TERM "$old" 2>/dev/null; fi
    end=$((SECONDS + 10))
    while skvb_is_ours "$old" && [ $SECONDS -lt $end ]; do sleep 0.1; done
    skvb_is_ours "$old" && kill -KILL "$old" 2>/dev/null
    wait "$old" 2>/dev/null
    SEALKV_PLUGIN_PATH=$BENCH_PLUGIN_PATH "$BENCH_BUILD/core/sealkvd" \
        --config "$SKVB_DIR/n$1.yaml" </dev/null >>"$SKVB_DIR/n$1.log" 2>&1 &
    eval "SKVB_PID_$1=$!"
    SKVB_PIDS=$(for p in $SKVB_PIDS; do [ "$p" = "$old" ] || printf '%s ' "$p"; done; echo "$!")
}

# skvb_save NAME / skvb_use NAME: several clusters at once — save the
# current cluster's handles (size, dir, pids, ports, endpoints, leader)
# under NAME; make the cluster saved under NAME current again.
skvb_save() {
    declare -p SKVB_N SKVB_DIR SKVB_PIDS SKVB_LEADER $(compgen -v SKVB_EP_) \
        $(compgen -v SKVB_PID_) $(compgen -v SKVB_RP_) $(compgen -v SKVB_AP_) 2>/dev/null |
        sed 's/^declare -[^ ]* /declare -g /' >"$BENCH_WORK/.cluster-$1"
}
skvb_use() { . "$BENCH_WORK/.cluster-$1"; }

# skvb_mem i → "VmRSS VmHWM" of node i in KiB (its peak since it started)
skvb_mem() {
    awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { printf "%d %d\n", r, h }' \
        "/proc/$(skvb_pid "$1")/status" 2>/dev/null
}

# Copy the node logs to $OUT as NAME-n<i>.log.
skvb_keep_logs() {
    for i in $(seq 1 "$SKVB_N"); do
        cp "$SKVB_DIR/n$i.log" "${OUT:-$BENCH_WORK}/$1-n$i.log" 2>/dev/null
        # LevelDB's own log (flushes, compactions, "waiting..." stalls)
        cp "$SKVB_DIR/data$i/store/LOG" "${OUT:-$BENCH_WORK}/$1-n$i.leveldb.log" 2>/dev/null
    done
}

skvb_ep() { eval echo "\$SKVB_EP_$1"; }
skvb_pid() { eval echo "\$SKVB_PID_$1"; }

# skvb_status i → status JSON of node i (empty on failure)
skvb_status() { curl -s -m 2 "$(skvb_ep "$1")/v1/status" 2>/dev/null; }

# Leader id whose status says leader and whose write path is ready.
skvb_leader() {
    for i in $(seq 1 "$SKVB_N"); do
        st=$(skvb_status "$i" | jq -r '.state // empty' 2>/dev/null)
        if [ "$st" = leader ]; then echo "$i"; return 0; fi
    done
    return 1
}

# Wait until a leader accepts a write (bounded, seconds).
skvb_wait_leader() {
    end=$((SECONDS + $1))
    while [ $SECONDS -lt $end ]; do
        if L=$(skvb_leader); then
            code=$(curl -s -o /dev/null -w '%{http_code}' -m 2 -X PUT --data-binary x "$(skvb_ep "$L")/v1/kv/bench-probe")
            [ "$code" = 200 ] && { SKVB_LEADER=$L; return 0; }
        fi
        sleep 0.2
    done
    return 1
}

# utime+stime ticks of our sealkvd processes
skvb_ticks() {
    t=0
    for p in $SKVB_PIDS; do
        [ -r "/proc/$p/stat" ] || continue
        t=$((t + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat")))
    done
    echo "$t"
}
