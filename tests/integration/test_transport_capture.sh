#!/bin/sh
# SPDX-License-Identifier: MIT
# Capture test (issue 11): a marker value written before Phase 1 (so it is
# cleartext in every node's log and store) never appears in the bytes the
# nodes send each other. strace records every socket write of every node
# while the marker is written through a follower (forwarded proposal, then
# AppendEntries to everyone) and read back on every node. Controls: the
# capture did see traffic on the Raft connections, and it did see the
# marker in clear where it must be (the admin API's HTTP answers), so a
# capture that misses writes or mangles bytes cannot pass. With
# SKV_INSECURE=1 the same capture finds the marker between nodes
# (negative control, run as the second half of this test).
SKV_TEST=transport_capture
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

command -v strace >/dev/null 2>&1 || { echo "SKIP: strace not installed (.ci/deps.sh installs it)"; exit 77; }

TRACERS=""
trace_start() { # i: record node i's socket writes in $SKV_DIR/trace$i
    strace -f -qq -yy -xx -s 1048576 -e trace=write,writev,sendto,sendmsg \
        -o "$SKV_DIR/trace$1" -p "$(skv_pid "$1")" 2>"$SKV_DIR/strace$1.err" &
    TRACERS="$TRACERS $!"
}
trace_stop() {
    for t in $TRACERS; do kill -INT "$t" 2>/dev/null; done
    for t in $TRACERS; do wait "$t" 2>/dev/null; done
    TRACERS=""
}
# the marker as strace -xx prints it: \xNN per byte
hexesc() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n' | sed 's/\(..\)/\\x\1/g'; }
# socket writes of node i towards any node's Raft port (outbound links) or
# from its own Raft port (the acceptor's handshake answer)
raft_lines() {
    pat=""
    for j in 1 2 3; do pat="$pat|->127\.0\.0\.1:$(skv_rport "$j")\]|TCP:\[127\.0\.0\.1:$(skv_rport "$j")->"; done
    grep -E -e "${pat#|}" "$SKV_DIR/trace$1" 2>/dev/null
}
admin_lines() { grep -E "TCP:\[127\.0\.0\.1:$(skv_aport "$1")->" "$SKV_DIR/trace$1" 2>/dev/null; }
cleanup_tracers() { trace_stop; skv_cleanup; }

# run_case LABEL: cluster up, capture, marker through a follower, reads
run_case() {
    RAFT_BYTES=0; RAFT_HITS=0; ADMIN_HITS=0
    skv_setup 3
    trap cleanup_tracers EXIT INT TERM
    for i in 1 2 3; do skv_start $i; done
    skv_wait 20 "a leader is elected" skv_leader || return 1
    L=$(skv_leader); F=1; [ "$L" = 1 ] && F=2
    for i in 1 2 3; do trace_start $i; done
    # tracing is on once a write shows up in every node's trace
    skv_wait 20 "strace attached to every node" sh -c "
        '$SEALKV' --endpoint '$(skv_endpoint "$L")' put warmup x >/dev/null 2>&1;
        for i in 1 2 3; do grep -q 'TCP:' '$SKV_DIR'/trace\$i || exit 1; done"
    MARK="capture-marker-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
    skv_assert "$1: marker written through follower $F" skv_cli "$F" put secret "$MARK" >/dev/null
    skv_wait 20 "$1: every node reads the marker locally" skv_all_local_eq secret "$MARK" 1 2 3
    trace_stop
    X=$(hexesc "$MARK")
    RAFT_BYTES=0; RAFT_HITS=0; ADMIN_HITS=0
    for i in 1 2 3; do
        n=$(raft_lines $i | wc -c); RAFT_BYTES=$((RAFT_BYTES + n))
        n=$(raft_lines $i | grep -cF "$X"); RAFT_HITS=$((RAFT_HITS + n))
        n=$(admin_lines $i | grep -cF "$X"); ADMIN_HITS=$((ADMIN_HITS + n))
    done
    skv_log "$1: captured ${RAFT_BYTES} bytes of trace on Raft links; marker hits: raft $RAFT_HITS, admin $ADMIN_HITS"
    skv_assert "$1: the capture saw node-to-node traffic" [ "$RAFT_BYTES" -gt 2000 ]
    skv_assert "$1: control: the marker is seen in clear on the admin API" [ "$ADMIN_HITS" -ge 1 ]
}

run_case tls
skv_assert "tls: the marker never crossed a Raft link in clear" [ "$RAFT_HITS" -eq 0 ]
skv_assert "tls: the status says the transport is authenticated and encrypted" sh -c \
    "'$SEALKV' --endpoint '$(skv_endpoint 1)' --json status | grep -q '\"transport\":{\"authenticated\":true,\"encrypted\":true}'"
cleanup_tracers
trap - EXIT INT TERM
FAILS_TLS=$SKV_FAILS; CHECKS_TLS=$SKV_CHECKS

SKV_INSECURE=1
run_case plaintext
skv_assert "plaintext (negative control): the same capture finds the marker between nodes" [ "$RAFT_HITS" -ge 1 ]
skv_log "tls half: $CHECKS_TLS checks, $FAILS_TLS failed"
skv_finish
