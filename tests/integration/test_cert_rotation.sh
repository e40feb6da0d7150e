#!/bin/sh
# SPDX-License-Identifier: MIT
# Certificate rotation on a running 3-node mutual-TLS cluster under write
# load (issue 11), real processes. Three background writers PUT sequential
# keys (one curl per key, round-robin over the nodes they are told to use,
# no retries) for the whole test and record every answer. (a) leaf
# rotation: new node certificates under the same CA, SIGHUP; (b) CA
# rotation: CA1+CA2 bundle, SIGHUP; node certificates from CA2, SIGHUP (one
# follower is left behind with its CA1 certificate); CA2 only, SIGHUP: the
# straggler is cut off from both peers (its established connections too),
# then rotated and back; a peer presenting a CA1 certificate is refused by
# every node; a restarted follower rejoins with CA2 only. Every SIGHUP is
# checked in each node's log, in sealkv_credential_reloads_total and by a
# new verified connection. A node is handed back to the writers only once
# it forwards a probe write. End: every request got 200 the first time,
# every acknowledged key reads back on every node (local reads after
# catch-up), a leader.
SKV_TEST=cert_rotation
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

ATTACK="$B/tests/integration/skv_attack"
skv_setup 3
D=$SKV_DIR
P=$(skv_pki)
# every node gets its own trust file $D/trust-<i>.crt (ca_file), so one
# node can be left behind in the CA rotation
for i in 1 2 3; do
    cp "$P/ca.crt" "$D/trust-$i.crt"
    sed -i "s#ca_file: $P/ca.crt#ca_file: $D/trust-$i.crt#" "$D/n$i.yaml"
    grep -q "ca_file: $D/trust-$i.crt" "$D/n$i.yaml" || { echo "cannot set ca_file of node $i"; exit 99; }
done
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader is elected" skv_leader || exit 1
skv_wait 20 "a first write" eval 'skv_cli 1 put warmup 1 >/dev/null'

# CA1 kept aside (it signs the leaf rotation below).
mkdir -p "$D/ca1" "$D/ca2" "$D/old"
cp -p "$P/ca.crt" "$P/ca.key" "$D/ca1/"
for i in 1 2 3; do cp -p "$P/node-$i.crt" "$P/node-$i.key" "$D/old/"; done

# ---- helpers -------------------------------------------------------------
metric() { # node -> sealkv_credential_reloads_total{plugin="transport",outcome="ok"}
    v=$(curl -s -m 3 "$(skv_endpoint "$1")/metrics" |
        sed -n 's/^sealkv_credential_reloads_total{plugin="transport",outcome="ok"} //p')
    echo "${v:-0}"
}
metric_gt() { [ "$(metric "$1")" -gt "$2" ]; }
nlines() { grep -c "$2" "$D/n$1.log"; }
lines_gt() { [ "$(nlines "$1" "$2")" -gt "$3" ]; }
RELOADED='component=transport msg="credentials reloaded"'
CONNECTED='(TLS, certificate verified)'

# await DESCRIPTION SECONDS command...: one check, polled every 0.1 s
# until the deadline (skv_wait's own messages name the wait, not the check)
await() {
    _d=$1; _end=$(($(date +%s) + $2)); shift 2
    SKV_CHECKS=$((SKV_CHECKS + 1))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$_end" ] || { skv_fail "$_d (not within the deadline)"; return 1; }
        sleep 0.1
    done
    skv_log "ok: $_d"
}

# ready i: node i knows the leader and forwards a write (a probe key that
# is not one of the writers'): a node back from isolation or a restart is
# handed to the writers only then
probe_ok() {
    [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' -X PUT --data-binary p \
        "http://127.0.0.1:$(skv_aport "$1")/v1/kv/probe-$1")" = 200 ]
}
ready() {
    await "node $1 knows the leader and forwards a probe write" 20 probe_ok "$1"
    SKV_CATCHUP_S=30 skv_wait_caught_up "$1"
}

# install FILE DEST: replace DEST atomically (a reload never sees half a file)
install_file() { cp "$1" "$2.tmp" && chmod "$3" "$2.tmp" && mv -f "$2.tmp" "$2"; }

# hup WHAT [NODES]: SIGHUP those nodes (default all; only our PIDs); wait
# until each logged the transport reload, its ok-counter grew, and it made
# at least one new verified outbound connection with the new credentials.
hup() {
    what=$1; nodes=${2:-1 2 3}
    for i in $nodes; do
        eval "m_$i=$(metric "$i") r_$i=$(nlines "$i" "$RELOADED") c_$i=$(nlines "$i" "$CONNECTED")"
    done
    for i in $nodes; do kill -HUP "$(skv_pid "$i")"; done
    for i in $nodes; do
        await "$what: node $i logged 'credentials reloaded'" 10 lines_gt "$i" "$RELOADED" "$(eval echo \$r_$i)"
        await "$what: node $i sealkv_credential_reloads_total{outcome=ok} grew" 10 metric_gt "$i" "$(eval echo \$m_$i)"
        await "$what: node $i reconnected with the new credentials" 15 lines_gt "$i" "$CONNECTED" "$(eval echo \$c_$i)"
    done
    skv_assert "$what: no failed reload" sh -c "! grep -q 'credentials reload failed' $D/n1.log $D/n2.log $D/n3.log"
}

# the certificate node i presents on its Raft port, as a SHA-256 fingerprint
served_fp() {
    openssl s_client -connect "127.0.0.1:$(skv_rport "$1")" </dev/null 2>/dev/null |
        openssl x509 -noout -fingerprint -sha256 2>/dev/null
}
file_fp() { openssl x509 -noout -fingerprint -sha256 -in "$1"; }
serves() { [ "$(served_fp "$1")" = "$(file_fp "$2")" ]; }

# ---- background writers ---------------------------------------------------
# WRITERS (3) writers in parallel; writer w PUTs sequential keys rot-w-<n>
# with value v<n>, one curl each (no retry), to the nodes listed in
# $D/targets (re-read before each request, round-robin). Every outcome
# goes to $D/writes<w> as "<n> <node> <http code>"; $D/stop ends them.
WRITERS=${WRITERS:-3}
# set_targets NODES...: the writers' node list, replaced atomically
set_targets() { echo "$*" >"$D/targets.tmp" && mv -f "$D/targets.tmp" "$D/targets"; }
set_targets 1 2 3
writer() {
    n=0
    while [ ! -e "$D/stop" ] && [ $n -lt 100000 ]; do
        n=$((n + 1))
        set -- $(cat "$D/targets" 2>/dev/null)
        [ $# -gt 0 ] || { n=$((n - 1)); continue; } # mid-update: read again
        shift $(((n + W) % $#))
        c=$(curl -s -o /dev/null -m 10 -w '%{http_code}' -X PUT --data-binary "v$n" \
            "http://127.0.0.1:$(skv_aport "$1")/v1/kv/rot-$W-$n")
        echo "$n $1 $c" >>"$D/writes$W"
        sleep 0.01 # pacing only: keeps the read-back below bounded
    done
}
WPIDS=""
for W in $(seq 1 "$WRITERS"); do
    : >"$D/writes$W"
    writer &
    WPIDS="$WPIDS $!"
done
writes() { wc -l <"$D/writes$1"; }
all_ge() { # N1 N2 ...: writer w has at least N_w outcomes
    w=1
    for n in "$@"; do [ "$(writes $w)" -ge "$n" ] || return 1; w=$((w + 1)); done
}
# progress N: every writer completed N more requests from now
progress() {
    want=""
    for w in $(seq 1 "$WRITERS"); do want="$want $(($(writes $w) + $1))"; done
    skv_wait 30 "every writer completed $1 more writes" all_ge $want ||
        skv_log "writers at $(for w in $(seq 1 "$WRITERS"); do printf '%s ' "$(writes $w)"; done), wanted$want"
}
progress 10

# ---- (a) leaf rotation under the same CA ------------------------------------
skv_log "(a) leaf rotation: new node certificates from CA1"
for i in 1 2 3; do
    "$SEALKV" cert create-node "$i" "127.0.0.1:$(skv_rport "$i")" --dir "$D/ca1" --force >/dev/null ||
        skv_fail "create-node $i under CA1"
    install_file "$D/ca1/node-$i.key" "$P/node-$i.key" 600
    install_file "$D/ca1/node-$i.crt" "$P/node-$i.crt" 644
done
hup "leaf rotation"
for i in 1 2 3; do
    await "leaf rotation: node $i serves its new certificate" 10 serves "$i" "$P/node-$i.crt"
done
progress 10

# ---- (b) CA rotation ---------------------------------------------------------
skv_log "(b) CA rotation, step 1: trust CA1 + CA2"
"$SEALKV" cert create-ca --dir "$D/ca2" >/dev/null || skv_fail "create-ca CA2"
cat "$D/ca1/ca.crt" "$D/ca2/ca.crt" >"$D/bundle.crt"
for i in 1 2 3; do install_file "$D/bundle.crt" "$D/trust-$i.crt" 644; done
hup "CA bundle CA1+CA2"
progress 10

# node X, a follower, stays behind: CA1 certificate, CA1+CA2 trust
L=$(skv_leader)
X=$((L % 3 + 1))
set_targets $(echo "1 2 3" | tr ' ' '\n' | grep -vx "$X")
progress 2 # no request to node $X is in flight any more
skv_log "(b) step 2: node certificates from CA2 (node $X left behind with its CA1 certificate)"
for i in 1 2 3; do
    "$SEALKV" cert create-node "$i" "127.0.0.1:$(skv_rport "$i")" --dir "$D/ca2" >/dev/null ||
        skv_fail "create-node $i under CA2"
    [ "$i" = "$X" ] && continue
    install_file "$D/ca2/node-$i.key" "$P/node-$i.key" 600
    install_file "$D/ca2/node-$i.crt" "$P/node-$i.crt" 644
done
hup "node certificates from CA2"
progress 10

others=$(echo "1 2 3" | tr ' ' '\n' | grep -vx "$X" | tr '\n' ' ')
skv_log "(b) step 3: trust CA2 only on nodes $others"
u0=$(nlines "$X" "unreachable")
for i in $others; do install_file "$D/ca2/ca.crt" "$D/trust-$i.crt" 644; done
hup "CA2 only" "$others"
# node X still presents a CA1 certificate: the others close its
# established connections at its next frame and refuse new ones
for i in $others; do
    await "node $X (CA1 certificate) is cut off from node $i" 20 \
        grep -q "node $i unreachable" "$D/n$X.log"
done
await "node $X logged both peers unreachable" 5 lines_gt "$X" "unreachable" $((u0 + 1))
progress 10

skv_log "(b) step 3 for node $X: CA2 certificate, CA2 only"
install_file "$D/ca2/node-$X.key" "$P/node-$X.key" 600
install_file "$D/ca2/node-$X.crt" "$P/node-$X.crt" 644
install_file "$D/ca2/ca.crt" "$D/trust-$X.crt" 644
hup "node $X rotated" "$X"
await "node $X is a follower again" 20 skv_is_state "$X" follower
ready "$X"
set_targets 1 2 3
for i in 1 2 3; do
    skv_assert "CA2 only: node $i serves its CA2 certificate" serves "$i" "$D/ca2/node-$i.crt"
done
progress 10

# The old credentials are gone: a member's CA1 certificate (the original
# one and the leaf-rotated one) is refused by every node before a frame is
# read; the same member's CA2 certificate gets through (control: its frame,
# a no-op as a user proposal, is then dropped by the core's peer filter).
# expect WANT DESCRIPTION skv_attack-args...
expect() {
    want=$1; d=$2; shift 2
    out=$("$ATTACK" "$@" 2>&1)
    SKV_CHECKS=$((SKV_CHECKS + 1))
    case "$out" in
    "$want"*) skv_log "ok: $d ($out)" ;;
    *) skv_fail "$d: wanted '$want', got '$out'" ;;
    esac
}
for i in 1 2 3; do
    m=$((i % 3 + 1)) # another member's credentials
    for c in "$D/old/node-$m" "$D/ca1/node-$m"; do
        expect refused "node $i refuses member $m's CA1 certificate $(basename "$(dirname "$c")")/$(basename "$c")" \
            --to "127.0.0.1:$(skv_rport "$i")" --ca "$D/ca2/ca.crt" --cert "$c.crt" --key "$c.key" --id "$m" propose 02
    done
done
L=$(skv_leader)
m=$((L % 3 + 1))
expect sent "control: leader $L accepts member $m's CA2 certificate" \
    --to "127.0.0.1:$(skv_rport "$L")" --ca "$D/ca2/ca.crt" --cert "$P/node-$m.crt" --key "$P/node-$m.key" --id "$m" propose 02

# force reconnects: restart a follower; it only has CA2 credentials
F=""
for i in 1 2 3; do [ "$i" != "$L" ] && F=$i; done
set_targets $(echo "1 2 3" | tr ' ' '\n' | grep -vx "$F")
progress 2 # no request to node $F is in flight any more
skv_log "restarting follower $F (CA2 only)"
skv_stop "$F"
progress 10
c0=$(nlines "$F" "$CONNECTED")
skv_start "$F"
await "restarted node $F is a follower again" 20 skv_is_state "$F" follower
await "restarted node $F connects with CA2 credentials" 20 lines_gt "$F" "$CONNECTED" "$c0"
ready "$F"
acked_via() { cat "$D"/writes[0-9]* | awk -v f="$1" '$2 == f && $3 == 200' | wc -l; }
a0=$(acked_via "$F")
set_targets 1 2 3
progress 10
skv_assert "restarted node $F takes writes again (forwarded to the leader)" [ "$(acked_via "$F")" -gt "$a0" ]

# ---- end -------------------------------------------------------------------------
touch "$D/stop"
end=$(($(date +%s) + 30))
for p in $WPIDS; do
    while kill -0 "$p" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
    kill -0 "$p" 2>/dev/null && { skv_fail "writer pid $p did not stop"; kill "$p"; }
    wait "$p" 2>/dev/null
done

: >"$D/acked"
for w in $(seq 1 "$WRITERS"); do
    awk -v w=$w '$3 == 200 { print w "-" $1, "v" $1 }' "$D/writes$w" >>"$D/acked"
    awk -v w=$w '$3 != 200 { print "  failed write: writer", w, "key rot-" w "-" $1, "node", $2, "HTTP", $3 }' "$D/writes$w" | head -10
done
total=$(cat "$D"/writes[0-9]* | wc -l)
ok=$(wc -l <"$D/acked")
bad=$((total - ok))
skv_log "$WRITERS writers: $total requests, $ok acknowledged (200), $bad failed"
skv_assert "the writers ran through the whole test (>= 150 writes)" [ "$total" -ge 150 ]
skv_assert "zero failed writes: every request got 200 the first time" [ "$bad" -eq 0 ]

await "a leader at the end" 10 skv_leader
skv_wait_caught_up 1 2 3
# every acknowledged key, local read on every node (one curl per node)
sed 's/.* \(.*\)/\1 200/' "$D/acked" >"$D/want"
for i in 1 2 3; do
    sed "s#^\([^ ]*\) .*#url = \"http://127.0.0.1:$(skv_aport "$i")/v1/kv/rot-\1?consistency=local\"#" "$D/acked" >"$D/urls$i"
    curl -s -m 120 -K "$D/urls$i" -w ' %{http_code}\n' >"$D/read$i" 2>/dev/null
    skv_assert "node $i: all $ok acknowledged keys read back locally" cmp -s "$D/want" "$D/read$i"
done
skv_finish
