#!/bin/sh
# SPDX-License-Identifier: MIT
# Every network attack of issue 11, replayed against a default (mutual TLS)
# 3-node cluster by tests/integration/skv_attack, a hostile peer on the
# Raft port: plaintext, no client certificate, a self-signed one, one from
# another CA, a client certificate, a valid certificate announcing another
# node id, a valid certificate of a non-member, an authenticated member
# forging `from`, a poison proposal, a never-forwarded admin op, a
# RequestVote with term 2^64-1, a forged AppendEntries (unauthenticated,
# and from an authenticated member claiming the current term). Each must
# change nothing: no write, no halt, no divergence, the leader kept (a
# leader within one election timeout), and where the frame got through
# TLS the node's drop/refusal counter says which rule stopped it.
SKV_TEST=attacks
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

ATTACK="$B/tests/integration/skv_attack"
skv_setup 3
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader is elected" skv_leader
L=$(skv_leader)
F=""; M=""
for i in 1 2 3; do
    [ "$i" = "$L" ] && continue
    if [ -z "$F" ]; then F=$i; else M=$i; fi
done
P=$(skv_pki)
skv_log "leader $L, follower $F, authenticated attacker uses member $M's certificate"
skv_assert "a write before the attacks" skv_cli "$L" put before 1 >/dev/null
skv_wait_caught_up 1 2 3
T0=$(skv_status_field "$L" term)

# ---- extra credentials ----------------------------------------------------
E="$SKV_DIR/evil"
mkdir -p "$E"
skv_assert "another CA with a certificate for member $M" sh -c \
    "'$SEALKV' cert create-ca --dir '$E' >/dev/null && '$SEALKV' cert create-node $M 127.0.0.1:1 --dir '$E' >/dev/null"
skv_assert "a valid certificate for non-member node 9" skv_cert_node 9 127.0.0.1:9
skv_assert "a self-signed certificate for member $M" openssl req -x509 -newkey ec \
    -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$E/self.key" -out "$E/self.crt" -days 2 \
    -subj "/CN=sealkv node $M" -addext "subjectAltName=URI:urn:sealkv:node:$M" \
    -addext "extendedKeyUsage=clientAuth,serverAuth" 2>/dev/null

# hex of an FSM KV put: [0x00][op 1][klen u32 BE][key][value]
hexkv() {
    printf '0001%08x' "${#1}"
    printf '%s%s' "$1" "$2" | od -An -tx1 | tr -d ' \n'
}
member() { echo "--ca $P/ca.crt --cert $P/node-$1.crt --key $P/node-$1.key"; }
to() { echo "--to 127.0.0.1:$(skv_rport "$1")"; }
metric() { # node series → value (0 when absent)
    v=$(curl -s "$(skv_endpoint "$1")/metrics" | grep -F "$2 " | grep -v '^#' | awk '{print $2}' | head -1)
    echo "${v:-0}"
}
# expect "refused"|"sent" description skv_attack-args...
expect() {
    want=$1; d=$2; shift 2
    # shellcheck disable=SC2068
    out=$("$ATTACK" $@ 2>&1)
    SKV_CHECKS=$((SKV_CHECKS + 1))
    case "$out" in
    "$want"*) skv_log "ok: $d ($out)" ;;
    *) skv_fail "$d: wanted '$want', got '$out'" ;;
    esac
}
drop_count() { metric "$1" "sealkv_transport_frames_dropped_total{reason=\"$2\"}"; }
# wait_metric node series old: the counter grew past old
metric_grew() { [ "$(metric "$1" "$2")" -gt "$3" ]; }

# ---- attacks stopped by the transport (no frame is read) ---------------------
PUT=$(hexkv attack-tls x)
expect refused "plaintext peer at the TLS port" $(to "$L") --plain --id "$M" propose "$PUT"
expect refused "TLS without a client certificate" $(to "$L") --ca "$P/ca.crt" --id "$M" propose "$PUT"
expect refused "self-signed certificate" $(to "$L") --ca "$P/ca.crt" --cert "$E/self.crt" --key "$E/self.key" --id "$M" propose "$PUT"
expect refused "certificate from another CA" $(to "$L") --ca "$P/ca.crt" --cert "$E/node-$M.crt" --key "$E/node-$M.key" --id "$M" propose "$PUT"
expect refused "client (admin) certificate on the Raft port" $(to "$L") --ca "$P/ca.crt" --cert "$P/client-test.crt" --key "$P/client-test.key" --id "$M" propose "$PUT"
expect refused "member $M's certificate announcing id $F" $(to "$L") $(member "$M") --id "$F" propose "$PUT"
expect refused "unauthenticated forged AppendEntries to follower $F" $(to "$F") --ca "$P/ca.crt" --id "$L" append "$T0" 1 1 "$(hexkv attack-ae0 x)"

# ---- attacks stopped by the core (authenticated peers) -----------------------
c=$(drop_count "$L" not_member)
expect sent "non-member 9 with a valid certificate connects" $(to "$L") $(member 9) --id 9 propose "$(hexkv attack-nm x)"
skv_wait 5 "leader drops node 9's frame as not_member" metric_grew "$L" "sealkv_transport_frames_dropped_total{reason=\"not_member\"}" "$c"

c=$(drop_count "$L" sender_mismatch)
expect sent "member $M forging sender $F" $(to "$L") $(member "$M") --id "$M" --from "$F" propose "$(hexkv attack-from x)"
skv_wait 5 "leader drops it as sender_mismatch" metric_grew "$L" "sealkv_transport_frames_dropped_total{reason=\"sender_mismatch\"}" "$c"

S='sealkv_proposals_refused_total{origin="peer",reason="malformed"}'
c=$(metric "$L" "$S")
expect sent "member $M forwards the poison proposal ff00'poison'" $(to "$L") $(member "$M") --id "$M" propose ff00706f69736f6e
skv_wait 5 "leader refuses it before raft_apply" metric_grew "$L" "$S" "$c"

S='sealkv_proposals_refused_total{origin="peer",reason="not_allowed"}'
c=$(metric "$L" "$S")
# a well-formed no-op as a user proposal: followers forward no-ops only
# as admin entries (erase-cleartext), so the leader refuses it by policy
expect sent "member $M forwards a no-op as a user proposal" $(to "$L") $(member "$M") --id "$M" propose 02
skv_wait 5 "leader refuses a proposal followers never forward" metric_grew "$L" "$S" "$c"

c=$(metric "$L" sealkv_peer_admin_ops_refused_total)
expect sent "member $M runs kv.put as a forwarded admin op" $(to "$L") $(member "$M") --id "$M" admin kv.put attack-admin x
skv_wait 5 "leader refuses the never-forwarded op" metric_grew "$L" sealkv_peer_admin_ops_refused_total "$c"

for n in "$L" "$F"; do
    c=$(drop_count "$n" malformed)
    expect sent "member $M sends node $n a RequestVote with term 2^64-1" $(to "$n") $(member "$M") --id "$M" vote 18446744073709551615
    skv_wait 5 "node $n drops it at decode" metric_grew "$n" "sealkv_transport_frames_dropped_total{reason=\"malformed\"}" "$c"
done

TF=$(skv_status_field "$F" term)
LI=$(skv_status_field "$F" last_index)
c=$(drop_count "$F" second_leader)
expect sent "member $M claims leadership of term $TF to follower $F" $(to "$F") $(member "$M") --id "$M" \
    append "$TF" "$LI" "$TF" "$(hexkv attack-ae x)"
skv_wait 5 "follower drops a second leader's AppendEntries" metric_grew "$F" "sealkv_transport_frames_dropped_total{reason=\"second_leader\"}" "$c"

# ---- nothing changed ----------------------------------------------------------
for i in 1 2 3; do
    skv_assert "node $i is running" kill -0 "$(skv_pid "$i")"
    skv_assert "node $i is not halted" sh -c "! '$SEALKV' --endpoint '$(skv_endpoint "$i")' --json status | grep -q '\"halted\"'"
done
skv_assert "the leader is still node $L" [ "$(skv_leader)" = "$L" ]
T1=$(skv_status_field "$L" term)
skv_assert "the term did not move (was $T0, now $T1)" [ "$T1" = "$T0" ]
skv_assert "a write after the attacks" skv_cli "$F" put after 1 >/dev/null
skv_wait_caught_up 1 2 3
for k in attack-tls attack-ae0 attack-nm attack-from attack-admin attack-ae; do
    for i in 1 2 3; do
        skv_assert "$k absent on node $i (local read)" sh -c \
            "'$SEALKV' --endpoint '$(skv_endpoint "$i")' get $k --local 2>&1 | grep -qi 'not found'"
    done
done
skv_wait 10 "every node reads 'after' locally" skv_all_local_eq after 1 1 2 3
for i in 1 2 3; do
    skv_assert "node $i log ends where the leader's does" \
        [ "$(skv_status_field "$i" last_index)" = "$(skv_status_field "$L" last_index)" ]
done
skv_assert "refusals are logged" grep -q "peer frame dropped" "$SKV_DIR/n$L.log"
skv_finish
