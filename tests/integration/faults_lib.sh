# SPDX-License-Identifier: MIT
# tests/integration/faults_lib.sh — helpers for the fault scenarios
# (tests/faults.mk), sourced after lib.sh: skip unless the chaos transport
# and the test hooks were built, network partitions through the chaos
# transport's rules files, the history recorder (tests/lincheck/lclient)
# in the background, SIGSTOP/SIGKILL bookkeeping, and the verdict: the
# linearizability checker over the recorded history, lost acknowledged
# writes, halted nodes, and one machine-readable line per scenario:
#   RELIABILITY scenario=NAME runs=1 acked=N lost=N lin=ok|fail halts=N
LCLIENT="$B/tests/lincheck/lclient"
LINCHECK="$B/tests/lincheck/lincheck"
BANK="$B/tests/lincheck/skv_bank"
FL_CHAOS_SO="$B/plugins/transport-chaos/.libs/transport-chaos.so"

# exit 77 (skipped) unless configure --enable-fault-injection built the
# chaos plugin; with "hooks", also the SKV_TEST_HOOKS build of sealkvd
fl_require() {
    if [ ! -f "$FL_CHAOS_SO" ]; then
        echo "SKIP: the chaos transport is not built (./configure --enable-fault-injection)"
        exit 77
    fi
    if [ "${1:-}" = hooks ] && ! "$SEALKVD" --version 2>/dev/null | grep -q "test hooks compiled in"; then
        echo "SKIP: sealkvd was built without SKV_TEST_HOOKS"
        exit 77
    fi
    [ -x "$LCLIENT" ] && [ -x "$LINCHECK" ] || { echo "lclient/lincheck not built"; exit 99; }
}

# fl_setup N: skv_setup, and a cleanup that also ends our load clients
FL_LOAD_PIDS=""
fl_cleanup() {
    for p in $FL_LOAD_PIDS; do kill "$p" 2>/dev/null; done
    skv_cleanup
}
fl_setup() {
    skv_setup "$@"
    trap fl_cleanup EXIT INT TERM
}
# end one cluster of a multi-cluster test (the next fl_setup makes a new one)
fl_teardown() {
    fl_cleanup
    FL_LOAD_PIDS=""
    trap - EXIT INT TERM
}

# ---- status without the CLI's 30 s timeout (a stopped node never answers)
fl_status() { curl -s -m "${FL_STATUS_TIMEOUT:-2}" "$(skv_endpoint "$1")/v1/status"; }
fl_field() { # node field → first value of that name in the status JSON
    fl_status "$1" | grep -o "\"$2\":[^,}]*" | head -1 | cut -d: -f2- | tr -d '"'
}
fl_alive() { # nodes we started and did not stop or kill
    for e in $SKV_PIDS; do echo "${e%%:*}"; done
}
# the leader among the given nodes (default: all alive), agreed by itself
fl_leader() {
    for i in ${*:-$(fl_alive)}; do
        [ "$(fl_field "$i" state)" = leader ] && { echo "$i"; return 0; }
    done
    return 1
}
# wait until one of the given nodes leads and has applied a barrier of
# its term (a linearizable read through it answers)
fl_wait_leader() { # deadline_s nodes...
    lim=$1; shift
    end=$(($(date +%s) + lim))
    while [ "$(date +%s)" -lt "$end" ]; do
        if L=$(fl_leader "$@"); then
            c=$(curl -s -o /dev/null -w '%{http_code}' -m 2 "$(skv_endpoint "$L")/v1/kv/__fl_probe")
            [ "$c" = 404 ] || [ "$c" = 200 ] && { echo "$L"; return 0; }
        fi
        sleep 0.1
    done
    return 1
}

# ---- network faults through the chaos transport ----------------------------
fl_rules() { # node text: replace node's rules atomically
    printf '%s\n' "$2" >"$SKV_DIR/rules$1.tmp" && mv "$SKV_DIR/rules$1.tmp" "$SKV_DIR/rules$1"
}
# fl_partition "A..." "B...": cut every link between the two groups (both
# sides drop both directions)
fl_partition() {
    for a in $1; do
        r=""; for b in $2; do r="${r}partition $b
"; done
        fl_rules "$a" "$r"
    done
    for b in $2; do
        r=""; for a in $1; do r="${r}partition $a
"; done
        fl_rules "$b" "$r"
    done
    skv_log "partition: {$1} | {$2}"
    sleep 0.15 # > 2 rule polls
}
fl_heal() {
    for i in $(seq 1 "$SKV_N"); do [ -e "$SKV_DIR/rules$i" ] && fl_rules "$i" ""; done
    skv_log "network healed"
    sleep 0.15
}

# ---- processes ----------------------------------------------------------
fl_proc_state() { sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null; }
fl_wait_stopped() { # pid deadline_s: the process is stopped (state T)
    end=$(($(date +%s) + $2))
    while [ "$(date +%s)" -lt "$end" ]; do
        [ "$(fl_proc_state "$1")" = T ] && return 0
        sleep 0.05
    done
    return 1
}
# start node i with extra environment (VAR=value ...)
fl_start_env() {
    i=$1; shift
    env "$@" "$SEALKVD" --config "$SKV_DIR/n$i.yaml" >>"$SKV_DIR/n$i.log" 2>&1 &
    SKV_PIDS="$SKV_PIDS $i:$!"
    skv_log "started node $i (pid $!) with $*"
}
# a node we started that exited on its own counts as a halt candidate;
# halts = "HALTED:" lines in the logs + nodes answering state "halted"
fl_halts() {
    h=$(cat "$SKV_DIR"/n*.log 2>/dev/null | grep -c "HALTED:")
    for i in $(fl_alive); do
        [ "$(fl_field "$i" state)" = halted ] && h=$((h + 1))
    done
    echo "$h"
}
fl_unexpected_exits() { # nodes we started whose process is gone
    x=0
    for e in $SKV_PIDS; do kill -0 "${e#*:}" 2>/dev/null || { x=$((x + 1)); skv_log "node ${e%%:*} (pid ${e#*:}) exited unexpectedly"; }; done
    echo "$x"
}

# ---- load: the history recorder ----------------------------------------------
# One history per scenario: set FL_HIST (file) and FL_KEY_PREFIX (keys no
# other scenario of the run touches: each key starts absent).
FL_HIST=""
fl_endpoints() { # comma list of the given nodes' endpoints
    s=""; for i in "$@"; do s="${s:+$s,}$(skv_endpoint "$i")"; done; echo "$s"
}
fl_var() { echo "$1" | tr -c 'A-Za-z0-9_\n' '_'; }
# fl_load_start TAG nodes...: clients run until fl_load_stop TAG
# (FL_CAS_PCT=P: P% of the operations are read + compare-and-swap pairs,
# lclient --cas-pct; a doubled or lost CAS fails the check; FL_TXN_PCT=Q:
# Q% of those go as a transaction comparing the value, lclient --txn-pct)
fl_load_start() {
    tag=$1; shift
    FL_HIST=${FL_HIST:-$SKV_DIR/history}
    rm -f "$SKV_DIR/stop-$tag"
    "$LCLIENT" --endpoints "$(fl_endpoints "$@")" --out "$FL_HIST" --log "$SKV_DIR/lclient.log" \
        --clients "${FL_CLIENTS:-4}" --keys "${FL_KEYS:-3}" --key-prefix "${FL_KEY_PREFIX:-lk}" --tag "$tag" --duration "${FL_MAX_S:-150}" \
        --stop-file "$SKV_DIR/stop-$tag" --timeout-ms "${FL_TIMEOUT_MS:-3000}" \
        --think-ms "${FL_THINK_MS:-10}" ${FL_LOCAL_READS:+--local-reads} \
        ${FL_CAS_PCT:+--cas-pct "$FL_CAS_PCT"} ${FL_TXN_PCT:+--txn-pct "$FL_TXN_PCT"} >"$SKV_DIR/lclient-$tag.out" 2>"$SKV_DIR/lclient-$tag.err" &
    eval "FL_LOAD_$(fl_var "$tag")=$!"
    FL_LOAD_PIDS="$FL_LOAD_PIDS $!"
    skv_log "load $tag: ${FL_CLIENTS:-4} clients on ${FL_KEYS:-3} keys via nodes $*"
}
fl_load_stop() {
    tag=$1
    : >"$SKV_DIR/stop-$tag"
    pid=$(eval "echo \${FL_LOAD_$(fl_var "$tag"):-}")
    [ -n "$pid" ] && wait "$pid"
    skv_log "load $tag: $(cat "$SKV_DIR/lclient-$tag.out")"
    [ -s "$SKV_DIR/lclient-$tag.err" ] && sed 's/^/  lclient: /' "$SKV_DIR/lclient-$tag.err" | head -20
    return 0
}
# fl_bank_start TAG nodes...: the multi-key transaction check
# (tests/lincheck/bank.c) in the background until fl_bank_stop TAG:
# transfers between accounts in transactions, every atomic read of all
# accounts must add up
fl_bank_start() {
    tag=$1; shift
    rm -f "$SKV_DIR/stop-bank-$tag"
    "$BANK" --endpoints "$(fl_endpoints "$@")" --prefix "bank-$tag" --clients 2 \
        --duration "${FL_MAX_S:-150}" --stop-file "$SKV_DIR/stop-bank-$tag" \
        --timeout-ms "${FL_TIMEOUT_MS:-3000}" >"$SKV_DIR/bank-$tag.out" 2>"$SKV_DIR/bank-$tag.err" &
    eval "FL_BANK_$(fl_var "$tag")=$!"
    FL_LOAD_PIDS="$FL_LOAD_PIDS $!"
    skv_log "bank $tag: 2 clients transferring between 5 accounts via nodes $*"
}
# fl_bank_stop TAG nodes...: stop it; assert no violation, transfers
# happened, and a final read after the load adds up
fl_bank_stop() {
    tag=$1; shift
    : >"$SKV_DIR/stop-bank-$tag"
    pid=$(eval "echo \${FL_BANK_$(fl_var "$tag"):-}")
    [ -n "$pid" ] && wait "$pid"
    fl_bank_rc=$?
    skv_log "bank $tag: $(cat "$SKV_DIR/bank-$tag.out")"
    [ -s "$SKV_DIR/bank-$tag.err" ] && sed 's/^/  skv_bank: /' "$SKV_DIR/bank-$tag.err" | head -20
    skv_assert "bank $tag: every atomic read added up (no partial or lost transaction)" [ "$fl_bank_rc" = 0 ]
    skv_assert "bank $tag: transfers were applied" \
        [ "$(sed -n 's/.* transfers_ok=\([0-9]*\).*/\1/p' "$SKV_DIR/bank-$tag.out")" -gt 0 ]
    skv_assert "bank $tag: the final read adds up" \
        "$BANK" --final --endpoints "$(fl_endpoints "$@")" --prefix "bank-$tag"
}
fl_ops() { sed -n 's/.* ops=\([0-9]*\).*/\1/p' "$SKV_DIR/lclient-$1.out" 2>/dev/null | head -1; }
# wait until the running load completed at least N more operations
fl_invokes() { n=$(grep -c " invoke " "${FL_HIST:-/dev/null}" 2>/dev/null); echo "${n:-0}"; }
fl_wait_ops() { # tag n deadline_s
    end=$(($(date +%s) + $3))
    want=$(($(fl_invokes) + $2))
    while [ "$(date +%s)" -lt "$end" ]; do
        [ "$(fl_invokes)" -ge "$want" ] && return 0
        sleep 0.1
    done
    return 1
}
fl_final_read() { # nodes...: one linearizable read of every key
    "$LCLIENT" --final-read --endpoints "$(fl_endpoints "$@")" --out "$FL_HIST" \
        --log "$SKV_DIR/lclient.log" --keys "${FL_KEYS:-3}" --key-prefix "${FL_KEY_PREFIX:-lk}" --tag final \
        --timeout-ms 5000 --op-deadline-ms 30000 >"$SKV_DIR/lclient-final.out" 2>&1
    skv_log "final read: $(cat "$SKV_DIR/lclient-final.out")"
}

# ---- the verdict ----------------------------------------------------------------
# fl_verdict SCENARIO: lincheck the history, count halts and unexpected
# exits, print the RELIABILITY line, and assert.
fl_verdict() {
    scen=$1 expect=${2:-ok}
    "$LINCHECK" -q "$FL_HIST" >"$SKV_DIR/lincheck.out" 2>&1
    lrc=$?
    sum=$(grep '^LINCHECK ' "$SKV_DIR/lincheck.out")
    acked=$(echo "$sum" | sed -n 's/.* acked_puts=\([0-9]*\).*/\1/p')
    lost=$(echo "$sum" | sed -n 's/.* lost=\([0-9]*\).*/\1/p')
    ops=$(echo "$sum" | sed -n 's/.* ops=\([0-9]*\).*/\1/p')
    info=$(echo "$sum" | sed -n 's/.* info=\([0-9]*\).*/\1/p')
    fails=$(echo "$sum" | sed -n 's/.* fail=\([0-9]*\).*/\1/p')
    lin=fail; [ "$lrc" = 0 ] && lin=ok
    [ "$lrc" = 3 ] && lin=unknown
    halts=$(fl_halts)
    gone=$(fl_unexpected_exits)
    halts=$((halts + gone))
    unexp=$(cat "$SKV_DIR"/lclient-*.out 2>/dev/null | sed -n 's/.* unexpected=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
    skv_log "history: $ops operations ($fails fail, $info info), $acked acknowledged puts"
    if [ "$lin" != "$expect" ]; then
        sed 's/^/  /' "$SKV_DIR/lincheck.out" | head -80
        mkdir -p "${SKV_FAULT_ARTIFACTS:-/tmp}" 2>/dev/null
        cp "$FL_HIST" "${SKV_FAULT_ARTIFACTS:-/tmp}/history-$scen-$$.txt" 2>/dev/null &&
            skv_log "history kept in ${SKV_FAULT_ARTIFACTS:-/tmp}/history-$scen-$$.txt"
    fi
    echo "RELIABILITY scenario=$scen runs=1 acked=${acked:-0} lost=${lost:-?} lin=$lin halts=$halts ops=${ops:-0} info=${info:-0} fail=${fails:-0} unexpected=${unexp:-0}"
    skv_assert "$scen: acknowledged writes recorded (${acked:-0})" [ "${acked:-0}" -gt 0 ]
    if [ "$expect" = fail ]; then # a negative control: the checker must object
        grep -A12 -m1 "minimal non-linearizable prefix" "$SKV_DIR/lincheck.out" | sed 's/^/  /'
        skv_assert "$scen: the checker rejects the history (negative control)" [ "$lin" = fail ]
        skv_assert "$scen: and prints the minimal offending window" grep -q "minimal non-linearizable prefix" "$SKV_DIR/lincheck.out"
        return
    fi
    skv_assert "$scen: no acknowledged write lost" [ "${lost:-1}" = 0 ]
    skv_assert "$scen: the history is linearizable" [ "$lin" = ok ]
    skv_assert "$scen: no node halted or died ($halts)" [ "$halts" = 0 ]
    skv_assert "$scen: clients saw only documented answers" [ "${unexp:-0}" = 0 ]
}

# ---- encryption ------------------------------------------------------------
fl_post() { # node op [retry_s] → HTTP code; body in $SKV_DIR/resp; retries 503 and timeouts
    end=$(($(date +%s) + ${3:-20}))
    while :; do
        c=$(curl -s -m 10 -o "$SKV_DIR/resp" -w '%{http_code}' -X POST "$(skv_endpoint "$1")/v1/encryption/$2")
        case "$c" in 503|504|000) [ "$(date +%s)" -lt "$end" ] && { sleep 0.2; continue; } ;; esac
        break
    done
    echo "$c"
}
fl_enc() { fl_status "$1" | grep -o "\"$2\":[^,}]*" | head -1 | cut -d: -f2 | tr -d '"'; }
# every given node reports cutover index $1 (after catching up)
fl_same_cutover() {
    want=$1; shift
    for i in "$@"; do [ "$(fl_enc "$i" raft_envelope_cutover_index)" = "$want" ] || return 1; done
}
fl_applied_ge() { # index nodes...
    want=$1; shift
    for i in "$@"; do
        a=$(fl_field "$i" applied_index)
        [ -n "$a" ] && [ "$a" -ge "$want" ] || return 1
    done
}
fl_wait_caught_up() { # deadline_s nodes...: applied >= the leader's last index
    lim=$1; shift
    L=$(fl_wait_leader "$lim" "$@") || return 1
    idx=$(fl_field "$L" last_index)
    skv_wait "$lim" "nodes $* applied index $idx" fl_applied_ge "$idx" "$@"
}
# stop the given nodes (SIGTERM) and run the offline `sealkv verify` on
# each data dir: every raft log entry above the cutover is wrapped and
# authenticates, entries at or below it are cleartext, sealed values open
fl_verify_offline() { # scenario nodes...
    scen=$1; shift
    for i in "$@"; do skv_stop "$i"; done
    for i in "$@"; do
        "$SEALKV" verify --config "$SKV_DIR/n$i.yaml" >"$SKV_DIR/verify$i.out" 2>&1
        vrc=$?
        [ $vrc = 0 ] || sed 's/^/  verify: /' "$SKV_DIR/verify$i.out" | tail -15
        skv_assert "$scen: node $i: offline verify passes (log above the cutover wrapped)" [ $vrc = 0 ]
    done
}
