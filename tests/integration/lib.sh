# SPDX-License-Identifier: MIT
# tests/integration/lib.sh — harness for multi-process tests with real
# sealkvd processes on 127.0.0.1: free ports, configs, start/stop/kill of
# only the PIDs we started, polling with deadlines, CLI wrappers.
# Source it from a test script; call skv_setup N first.
set -u

B=${SKV_TOP_BUILDDIR:?run via make check}
S=${SKV_TOP_SRCDIR:?run via make check}
SEALKVD="$B/core/sealkvd"
SEALKV="$B/core/sealkv"
FREEPORT="$B/tests/integration/freeport"
SKV_PIDS=""           # "i:pid" pairs we started
SKV_FAILS=0
SKV_CHECKS=0
SKV_FAILED=""         # the failed checks, repeated after the log tails

skv_log() { printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "${SKV_TEST:-test}" "$*"; }

skv_fail() {
    skv_log "FAIL: $*"
    SKV_FAILS=$((SKV_FAILS + 1))
    SKV_FAILED="$SKV_FAILED
  $(date +%H:%M:%S) $*"
}

# assert "description" command...
skv_assert() { # own variable names: the command may be skv_wait (or call it)
    _skv_assert_d=$1; shift
    SKV_CHECKS=$((SKV_CHECKS + 1))
    if "$@"; then skv_log "ok: $_skv_assert_d"; else skv_fail "$_skv_assert_d"; fi
}

# skv_setup N [extra-yaml-for-raft-block]: N node configs (ids 1..N),
# all in cluster.bootstrap. Nodes > SKV_BOOT (default N) start empty.
skv_setup() {
    SKV_N=$1
    SKV_BOOT=${SKV_BOOT:-$1}
    SKV_DIR=$(mktemp -d "${TMPDIR:-/tmp}/skv-it-XXXXXX")
    ports=$("$FREEPORT" -o $$ $((2 * SKV_N))) || { echo "freeport failed"; exit 99; }
    i=1
    for p in $ports; do
        if [ $i -le "$SKV_N" ]; then eval "SKV_RPORT_$i=$p"; else eval "SKV_APORT_$((i - SKV_N))=$p"; fi
        i=$((i + 1))
    done
    trap skv_cleanup EXIT INT TERM
    skv_pki_init
    if [ -n "${SKV_ENC_NODES:-}" ]; then
        (umask 077 && head -c 32 /dev/urandom >"$SKV_DIR/kek.key") || { echo "cannot write KEK"; exit 99; }
    fi
    for i in $(seq 1 "$SKV_N"); do skv_write_conf "$i"; done
}

# SKV_ENC_NODES="1 2" (optional, set before skv_setup): those nodes get
# encryption.enabled with one shared 0600 32-byte KEK file, $SKV_DIR/kek.key.
# KEK rotation: SKV_KEK_<i> replaces node i's kek_file, SKV_PREV_KEKS_<i>
# ("A, B") gives it encryption.previous_kek_files (skv_write_conf i again).
# KEK in an HSM: SKV_KEK_PKCS11_<i> (a YAML flow map "{ module: ..., ... }")
# replaces kek_file by kek_pkcs11, SKV_PREV_PKCS11_<i> sets
# previous_kek_pkcs11.
skv_enc_node() {
    for e in ${SKV_ENC_NODES:-}; do [ "$e" = "$1" ] && return 0; done
    return 1
}

skv_rport() { eval "echo \${SKV_RPORT_$1:-}"; }
skv_aport() { eval "echo \${SKV_APORT_$1:-}"; }
skv_endpoint() {
    if skv_admin_tls; then echo "https://127.0.0.1:$(skv_aport "$1")"
    else echo "http://127.0.0.1:$(skv_aport "$1")"; fi
}

# ---- TLS (issue 11): skv_setup makes a cluster CA, a certificate for
# every node 1..N and a client certificate "test" in $SKV_DIR/pki with
# `sealkv cert`, and every node's transport (tcp or chaos) gets ca_file,
# cert_file and key_file: every suite runs over mutual TLS.
# SKV_INSECURE=1 (set before skv_setup / skv_write_conf): plaintext
# transport (insecure: true), for a test that needs it.
# SKV_ADMIN_TLS=1 (set before skv_setup): the admin API too is HTTPS with
# client certificates and a bearer token ($SKV_DIR/pki/token);
# skv_endpoint then says https://, skv_cli passes --cacert/--cert/--key/
# --token-file, any other "$SEALKV" call gets them from SEALKV_CACERT,
# SEALKV_CERT, SEALKV_KEY, SEALKV_TOKEN_FILE, and curl from
# $SKV_DIR/.curlrc (CURL_HOME). Otherwise the admin API stays plain HTTP
# on 127.0.0.1 without a token (loopback without TLS is allowed).
skv_insecure() { [ "${SKV_INSECURE:-0}" = 1 ]; }
skv_admin_tls() { [ "${SKV_ADMIN_TLS:-0}" = 1 ]; }
skv_pki() { echo "$SKV_DIR/pki"; }

# skv_cert_node ID [ADDR]: node ID's key and certificate in $SKV_DIR/pki
# (made once; for nodes a test adds later). ADDR defaults to its raft port.
skv_cert_node() {
    [ -f "$SKV_DIR/pki/node-$1.crt" ] && return 0
    _skv_p=$(skv_rport "$1")
    "$SEALKV" cert create-node "$1" "${2:-127.0.0.1:${_skv_p:-7100}}" --dir "$SKV_DIR/pki" >/dev/null ||
        { skv_fail "sealkv cert create-node $1 failed"; return 1; }
}

skv_pki_init() {
    skv_insecure && ! skv_admin_tls && return 0
    { "$SEALKV" cert create-ca --dir "$SKV_DIR/pki" >/dev/null &&
        "$SEALKV" cert create-client test --dir "$SKV_DIR/pki" >/dev/null; } ||
        { echo "sealkv cert failed"; exit 99; }
    for i in $(seq 1 "$SKV_N"); do skv_cert_node "$i" || exit 99; done
    skv_admin_tls || return 0
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SKV_DIR/pki/token") ||
        { echo "cannot write the admin token"; exit 99; }
    SEALKV_CACERT="$SKV_DIR/pki/ca.crt" SEALKV_CERT="$SKV_DIR/pki/client-test.crt"
    SEALKV_KEY="$SKV_DIR/pki/client-test.key" SEALKV_TOKEN_FILE="$SKV_DIR/pki/token"
    export SEALKV_CACERT SEALKV_CERT SEALKV_KEY SEALKV_TOKEN_FILE
    printf 'cacert = "%s"\ncert = "%s"\nkey = "%s"\nheader = "Authorization: Bearer %s"\n' \
        "$SEALKV_CACERT" "$SEALKV_CERT" "$SEALKV_KEY" "$(cat "$SEALKV_TOKEN_FILE")" >"$SKV_DIR/.curlrc"
    CURL_HOME=$SKV_DIR
    export CURL_HOME
}

# The transport's TLS options for node i (or insecure: true).
skv_tls_opts() {
    if skv_insecure; then echo "insecure: true"; return 0; fi
    skv_cert_node "$1"
    echo "ca_file: $SKV_DIR/pki/ca.crt, cert_file: $SKV_DIR/pki/node-$1.crt, key_file: $SKV_DIR/pki/node-$1.key"
}

# The admin plugin line for node i (HTTPS + mTLS + token with SKV_ADMIN_TLS=1).
skv_admin_conf() {
    _skv_o="listen: 127.0.0.1:$(skv_aport "$1")"
    if skv_admin_tls; then
        skv_cert_node "$1"
        _skv_o="$_skv_o, tls_cert_file: $SKV_DIR/pki/node-$1.crt, tls_key_file: $SKV_DIR/pki/node-$1.key"
        _skv_o="$_skv_o, client_ca_file: $SKV_DIR/pki/ca.crt, token_file: $SKV_DIR/pki/token"
    fi
    echo "  admin: { name: http, options: { $_skv_o } }"
}

# SKV_STORAGE_<i>=faulty (optional, set before skv_setup / skv_write_conf):
# node i stores through the test-only storage-faulty plugin (wraps
# storage-leveldb), controlled by the file $SKV_DIR/fault<i> (see
# tests/plugins/storage-faulty/storage_faulty.c; absent/empty = healthy).
# Any other non-empty value is used as the storage plugin name.
SKV_FAULTY_LIBS="$B/tests/plugins/storage-faulty/.libs"
skv_storage_conf() {
    st=$(eval "echo \${SKV_STORAGE_$1:-}")
    case "$st" in
    "") ;;
    faulty)
        case ":${SEALKV_PLUGIN_PATH:-}:" in
        *":$SKV_FAULTY_LIBS:"*) ;;
        *) SEALKV_PLUGIN_PATH="${SEALKV_PLUGIN_PATH:+$SEALKV_PLUGIN_PATH:}$SKV_FAULTY_LIBS"
           export SEALKV_PLUGIN_PATH ;;
        esac
        echo "  storage: { name: faulty, options: { fault_file: $SKV_DIR/fault$1 } }" ;;
    *) echo "  storage: { name: $st }" ;;
    esac
}

# SKV_TRANSPORT=chaos (optional, or SKV_TRANSPORT_<i> for one node; set
# before skv_setup / skv_write_conf): the node talks through the test-only
# chaos transport (tcp with run-time drop/delay/partition rules, built by
# --enable-fault-injection), whose rules file is $SKV_DIR/rules<i>
# (absent/empty = healthy; see plugins/transport-chaos/chaos_rules.h).
# Any other non-empty value is used as the transport plugin name.
# Every transport line carries the TLS options (skv_tls_opts).
skv_transport_conf() {
    tr=$(eval "echo \${SKV_TRANSPORT_$1:-\${SKV_TRANSPORT:-}}")
    _skv_tls=$(skv_tls_opts "$1")
    # SKV_TRANSPORT_OPTS="k: v, ...": more transport options, every node
    [ -n "${SKV_TRANSPORT_OPTS:-}" ] && _skv_tls="${_skv_tls:+$_skv_tls, }$SKV_TRANSPORT_OPTS"
    case "$tr" in
    "") echo "  transport: { name: tcp, options: { $_skv_tls } }" ;;
    chaos) echo "  transport: { name: chaos, options: { rules_file: $SKV_DIR/rules$1, $_skv_tls } }" ;;
    *) echo "  transport: { name: $tr, options: { $_skv_tls } }" ;;
    esac
}

# SKV_CIPHER_<i>=NAME (optional, set before skv_setup / skv_write_conf):
# node i loads cipher-NAME.so instead of the default (sodium);
# SKV_CIPHER_OPTS_<i>="k: v, ..." are its options; SKV_CIPHER_PATH_<i>=DIR
# is searched for it (plugins.path of that node only). Shorthand:
# SKV_CIPHER_<i>=openssl without a path uses $SKV_OPENSSL_DIR (where a
# test built examples/cipher-openssl/). Absent/empty = the default plugin.
skv_cipher_conf() {
    ci=$(eval "echo \${SKV_CIPHER_$1:-}")
    co=$(eval "echo \${SKV_CIPHER_OPTS_$1:-}")
    cp=$(eval "echo \${SKV_CIPHER_PATH_$1:-}")
    [ -z "$cp" ] && [ "$ci" = openssl ] && cp=${SKV_OPENSSL_DIR:-}
    [ -n "$cp" ] && echo "  path: [$cp]"
    [ -n "$ci" ] || { [ -z "$co" ] || echo "  cipher: { name: sodium, options: { $co } }"; return 0; }
    if [ -n "$co" ]; then
        echo "  cipher: { name: $ci, options: { $co } }"
    else
        echo "  cipher: { name: $ci }"
    fi
}

skv_write_conf() {
    i=$1
    f="$SKV_DIR/n$i.yaml"
    {
        echo "node: { id: $i, address: 127.0.0.1:$(skv_rport "$i"), data_dir: $SKV_DIR/data$i }"
        if [ "$i" -le "$SKV_BOOT" ]; then
            echo "cluster:"
            echo "  bootstrap:"
            for j in $(seq 1 "$SKV_BOOT"); do
                echo "    - { id: $j, address: 127.0.0.1:$(skv_rport "$j") }"
            done
        fi
        echo "plugins:"
        skv_admin_conf "$i"
        skv_transport_conf "$i"
        skv_storage_conf "$i"
        skv_cipher_conf "$i"
        echo "raft:"
        echo "  election_timeout_ms: ${SKV_ELECTION_MS:-600}"
        echo "  heartbeat_timeout_ms: ${SKV_HEARTBEAT_MS:-60}"
        echo "  snapshot_threshold: ${SKV_SNAP_THRESHOLD:-8192}"
        echo "  snapshot_trailing: ${SKV_SNAP_TRAILING:-2048}"
        echo "log: { level: ${SKV_LOG_LEVEL:-info} }"
        if skv_enc_node "$i"; then
            _skv_kek=$(eval "echo \${SKV_KEK_$i:-$SKV_DIR/kek.key}")
            _skv_prev=$(eval "echo \${SKV_PREV_KEKS_$i:-}")
            _skv_p11=$(eval "echo \${SKV_KEK_PKCS11_$i:-}")
            _skv_pp11=$(eval "echo \${SKV_PREV_PKCS11_$i:-}")
            if [ -n "$_skv_p11" ]; then _skv_kek="kek_pkcs11: $_skv_p11"; else _skv_kek="kek_file: $_skv_kek"; fi
            echo "encryption: { enabled: true, $_skv_kek${_skv_prev:+, previous_kek_files: [$_skv_prev]}${_skv_pp11:+, previous_kek_pkcs11: $_skv_pp11}${SKV_ROTATE_AFTER:+, rotate_after: $SKV_ROTATE_AFTER}${SKV_SEAL_NAMES:+, seal_key_names: $SKV_SEAL_NAMES} }"
        fi
    } >"$f"
}

skv_pid() { for e in $SKV_PIDS; do [ "${e%%:*}" = "$1" ] && echo "${e#*:}"; done; }

skv_start() {
    i=$1
    "$SEALKVD" --config "$SKV_DIR/n$i.yaml" >>"$SKV_DIR/n$i.log" 2>&1 &
    SKV_PIDS="$SKV_PIDS $i:$!"
    skv_log "started node $i (pid $!)"
}

skv_forget_pid() {
    new=""
    for e in $SKV_PIDS; do [ "${e%%:*}" = "$1" ] || new="$new $e"; done
    SKV_PIDS=$new
}

# skv_stop i [SIGNAL]: signal our process and wait for it to exit.
skv_stop() {
    pid=$(skv_pid "$1")
    [ -n "$pid" ] || return 0
    kill -"${2:-TERM}" "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    SKV_LAST_RC=$?
    skv_forget_pid "$1"
    skv_log "stopped node $1 (pid $pid, signal ${2:-TERM}, rc $SKV_LAST_RC)"
}

# Every failed check so far, with its time (skv_cleanup prints it after
# the node logs; a test that cleans up per case prints it before skv_finish).
skv_failed_summary() {
    [ -z "$SKV_FAILED" ] || printf -- '--- %s: failed checks:%s\n' "${SKV_TEST:-test}" "$SKV_FAILED"
}

skv_cleanup() {
    for e in $SKV_PIDS; do kill -KILL "${e#*:}" 2>/dev/null; done
    for e in $SKV_PIDS; do wait "${e#*:}" 2>/dev/null; done
    SKV_PIDS=""
    if [ "$SKV_FAILS" -gt 0 ] || [ -n "${SKV_KEEP:-}" ]; then
        for f in "$SKV_DIR"/n*.log; do [ -f "$f" ] && { echo "--- $f (tail)"; tail -25 "$f"; }; done
    fi
    # last, so an excerpt of the output's end (a CI summary) still names them
    [ "$SKV_FAILS" -eq 0 ] || skv_failed_summary
    [ -n "${SKV_KEEP:-}" ] || rm -rf "$SKV_DIR"
}

# skv_up3: a 3-node cluster (skv_setup 3, every node started) with an
# elected leader; sets L (the leader) and F (a follower).
skv_up3() {
    skv_setup 3
    for i in 1 2 3; do skv_start $i; done
    skv_wait 20 "a leader is elected" skv_leader
    L=$(skv_leader)
    F=1; [ "$L" = 1 ] && F=2
    # ready: it applied a barrier of its term, so a first write is not
    # refused with ErrLeaderNotReady (tests send it with plain curl)
    skv_wait 20 "leader $L is ready" sh -c \
        "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $(skv_endpoint "$L")/readyz)\" = 200 ]"
}

# CLI against node i (retries retryable errors for up to 15 s).
skv_cli() {
    i=$1; shift
    if skv_admin_tls; then
        "$SEALKV" --endpoint "$(skv_endpoint "$i")" --retry 15 --cacert "$SEALKV_CACERT" \
            --cert "$SEALKV_CERT" --key "$SEALKV_KEY" --token-file "$SEALKV_TOKEN_FILE" "$@"
    else
        "$SEALKV" --endpoint "$(skv_endpoint "$i")" --retry 15 "$@"
    fi
}

# skv_wait DEADLINE_S description command...: poll every 0.1 s.
skv_wait() {
    _skv_wait_s=$1; _skv_wait_d=$2; shift 2
    _skv_wait_end=$(($(date +%s) + _skv_wait_s))
    while [ "$(date +%s)" -lt "$_skv_wait_end" ]; do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.1
    done
    skv_fail "timed out after ${_skv_wait_s}s waiting for: $_skv_wait_d"
    return 1
}

# skv_status_field node field → value from status JSON (numbers/strings);
# fails (status 1, no output) when the node does not answer or has no
# such field, so `skv_wait N "..." skv_status_field i id` really waits
skv_status_field() {
    _skv_sf=$("$SEALKV" --endpoint "$(skv_endpoint "$1")" --retry 0 --json status 2>/dev/null |
        tr ',{}' '\n\n\n' | sed -n "s/^ *\"$2\": *\"\{0,1\}\([^\"]*\)\"\{0,1\} *$/\1/p" | head -1)
    [ -n "$_skv_sf" ] && echo "$_skv_sf"
}

# skv_log_ms FILE PATTERN [FROM_BYTE]: the time (epoch ms) in the ts= of
# the first line of FILE, from byte FROM_BYTE on, that matches PATTERN.
# Intervals between two nodes' log lines are the nodes' own clocks, free
# of this script's polling delays.
skv_log_ms() {
    _l=$(tail -c +$((${3:-0} + 1)) "$1" | grep -m1 -e "$2") || return 1
    _t=$(printf '%s\n' "$_l" | sed -n 's/^ts=\([^ ]*\) .*/\1/p')
    [ -n "$_t" ] && date -u -d "$_t" +%s%3N
}

skv_is_state() { [ "$(skv_status_field "$1" state)" = "$2" ]; }

# Prints the id of the node that says it is leader, if any.
skv_leader() {
    for e in $SKV_PIDS; do
        i=${e%%:*}
        if skv_is_state "$i" leader; then echo "$i"; return 0; fi
    done
    return 1
}

skv_finish() {
    skv_log "$SKV_CHECKS checks, $SKV_FAILS failed"
    [ "$SKV_FAILS" -eq 0 ] && [ "$SKV_CHECKS" -gt 0 ]
}

# skv_get_eq i key expected [--local]: value at node i equals expected.
skv_get_eq() {
    v=$("$SEALKV" --endpoint "$(skv_endpoint "$1")" --retry "${SKV_RETRY:-10}" get "$2" ${4:-}) || return 1
    [ "$v" = "$3" ]
}
# skv_get_absent i key: the key reads as not found (exit 3, "not found").
skv_get_absent() {
    out=$("$SEALKV" --endpoint "$(skv_endpoint "$1")" --retry 10 get "$2" 2>&1)
    [ $? -eq 3 ] && echo "$out" | grep -qi "not found"
}
# all nodes in the list see key=value with a local read
skv_all_local_eq() {
    k=$1; v=$2; shift 2
    for i in "$@"; do SKV_RETRY=0 skv_get_eq "$i" "$k" "$v" --local || return 1; done
}
skv_voters() { "$SEALKV" --endpoint "$(skv_endpoint "$1")" --retry 5 --json status | grep -o '"role":"voter"' | wc -l; }
# every listed node has applied at least index $1
skv_applied_ge() {
    idx=$1; shift
    for i in "$@"; do
        a=$(skv_status_field "$i" applied_index)
        [ -n "$a" ] && [ "$a" -ge "$idx" ] || return 1
    done
}
# wait until the listed nodes applied everything the leader had at call time
skv_wait_caught_up() {
    L=$(skv_leader) || { skv_fail "no leader to catch up with"; return 1; }
    idx=$(skv_status_field "$L" last_index)
    skv_wait "${SKV_CATCHUP_S:-20}" "nodes $* applied index $idx" skv_applied_ge "$idx" "$@"
}

# skv_enc_post i OP: POST /v1/encryption/OP on node i; the body lands in
# $SKV_DIR/resp, the HTTP status is printed. 503s (no leader yet, leader
# not ready, cutover in progress) are retried for SKV_POST_RETRY_S (15) s.
skv_enc_post() {
    end=$(($(date +%s) + ${SKV_POST_RETRY_S:-15}))
    while :; do
        c=$(curl -s -o "$SKV_DIR/resp" -w '%{http_code}' -X POST "$(skv_endpoint "$1")/v1/encryption/$2")
        [ "$c" = 503 ] && [ "$(date +%s)" -lt "$end" ] || break
        sleep 0.2
    done
    echo "$c"
}

# skv_nonce_scan [NODE...]: the cluster-wide nonce scan (issue 12,
# docs/NONCES.md) over the listed nodes (default 1..SKV_N). The scan reads
# stores offline, so it STOPS each node first (skv_stop; restart them if
# the test goes on), lists every envelope of its Raft log, stored values
# and snapshot with skv_noncescan into $SKV_DIR/nonces.txt, and fails the
# test if skv_noncecheck finds a (key_id, salt, nonce) with two different
# ciphertexts (identical replicated entries are fine). Nodes that never
# created a store are skipped. Returns 0 iff clean.
skv_nonce_scan() {
    _skv_ns="$SKV_DIR/nonces.txt"
    : >"$_skv_ns"
    for _skv_n in ${*:-$(seq 1 "$SKV_N")}; do
        skv_stop "$_skv_n"
        [ -d "$SKV_DIR/data$_skv_n/store" ] || continue
        "$B/tests/integration/skv_noncescan" "$SKV_DIR/n$_skv_n.yaml" >>"$_skv_ns" \
            2>>"$SKV_DIR/noncescan.log" ||
            { skv_fail "skv_noncescan node $_skv_n: $(tail -2 "$SKV_DIR/noncescan.log")"; return 1; }
    done
    SKV_CHECKS=$((SKV_CHECKS + 1))
    if "$B/tests/integration/skv_noncecheck" "$_skv_ns" >"$SKV_DIR/noncecheck.out" 2>&1; then
        skv_log "ok: nonce scan: $(wc -l <"$_skv_ns") envelopes on nodes ${*:-1..$SKV_N}, no (key_id, salt, nonce) with two ciphertexts"
        return 0
    fi
    head -20 "$SKV_DIR/noncecheck.out"
    skv_fail "nonce scan: a (key_id, salt, nonce) holds two different ciphertexts (nonce reuse)"
    return 1
}
