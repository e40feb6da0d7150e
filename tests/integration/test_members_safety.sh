#!/bin/sh
# SPDX-License-Identifier: MIT
# Membership safety (real processes): members.add checks id, address and
# role before anything is proposed (400 ErrBadRequest naming the field,
# members unchanged — the 127.0.0.1:99999 case included); a voter that
# cannot be reached is rolled back (503 ErrMemberUnreachable, no member
# left behind); promote checks its id; removing down to one voter works,
# removing the last one is refused (409 ErrLastVoter, nothing proposed)
# and the cluster keeps its leader and keeps accepting writes.
SKV_TEST=members_safety
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

skv_setup 3
D=$SKV_DIR
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader is elected" skv_leader || exit 1
L=$(skv_leader)
F1=1; [ "$L" = 1 ] && F1=2
F2=3; [ "$L" = 3 ] && F2=2
skv_log "leader $L, followers $F1 $F2"

# req NODE METHOD PATH [BODY]: HTTP status on stdout, body in $D/resp;
# 503 + Retry-After (no leader yet) is retried for up to 15 s.
req() {
    end=$(($(date +%s) + 15))
    while :; do
        c=$(curl -s -o "$D/resp" -w '%{http_code}' -X "$2" ${4+--data-binary "$4"} \
            "$(skv_endpoint "$1")$3")
        [ "$c" = 503 ] && grep -q '"ErrNotLeader"\|"ErrNoLeader"\|"ErrLeaderNotReady"' "$D/resp" &&
            [ "$(date +%s)" -lt "$end" ] || break
        sleep 0.2
    done
    echo "$c"
}
# the members array as node $1 sees it, without each member's replication
# progress (match_index, lag: they move with every write)
members() {
    curl -s "$(skv_endpoint "$1")/v1/cluster/members" | grep -o '"members":\[[^]]*\]' |
        sed 's/,"match_index":[0-9a-z]*,"lag":[0-9a-z]*//g'
}
has_member() { members "$1" | grep -q "\"id\":$2,"; }
resp_has() { grep -q -- "$1" "$D/resp"; }

BEFORE=$(members "$L")
skv_assert "members listed (3)" [ "$(echo "$BEFORE" | grep -o '"id":' | wc -l)" -eq 3 ]

# ---- invalid adds: 400 ErrBadRequest naming the field, nothing changes ----
# bad_add FIELD BODY (sent to a follower: it is forwarded to the leader)
bad_add() {
    c=$(req "$F1" POST /v1/cluster/members "$2")
    [ "$c" = 400 ] && resp_has '"ErrBadRequest"' && resp_has "$1" ||
        { skv_log "  $2 -> $c $(cat "$D/resp")"; return 1; }
    [ "$(members "$L")" = "$BEFORE" ]
}
long=$(printf '%0300d' 0 | tr 0 a)
skv_assert "port 99999: 400 naming address, members unchanged" \
    bad_add address '{"id":7,"address":"127.0.0.1:99999"}'
skv_assert "no node 7 after the 99999 add" sh -c "! curl -s $(skv_endpoint "$L")/v1/cluster/members | grep -q '\"id\":7,'"
skv_assert "port 0 refused" bad_add address '{"id":7,"address":"127.0.0.1:0"}'
skv_assert "port with leading zero refused" bad_add address '{"id":7,"address":"127.0.0.1:07000"}'
skv_assert "missing port refused" bad_add address '{"id":7,"address":"127.0.0.1"}'
skv_assert "empty address refused" bad_add address '{"id":7,"address":""}'
skv_assert "bad host character refused" bad_add address '{"id":7,"address":"bad host!:7000"}'
skv_assert "host label starting with '-' refused" bad_add address '{"id":7,"address":"-x.example:7000"}'
skv_assert "bad IPv4 literal refused" bad_add address '{"id":7,"address":"300.1.1.1:7000"}'
skv_assert "unbracketed IPv6 refused" bad_add address '{"id":7,"address":"::1:7000"}'
skv_assert "unterminated [IPv6 refused" bad_add address '{"id":7,"address":"[::1:7000"}'
skv_assert "300-byte host refused" bad_add address "{\"id\":7,\"address\":\"$long:7000\"}"
skv_assert "address of another type refused" bad_add address '{"id":7,"address":7000}'
skv_assert "missing address refused" bad_add address '{"id":7}'
skv_assert "id 0 refused" bad_add id '{"id":0,"address":"127.0.0.1:7000"}'
skv_assert "negative id refused" bad_add id '{"id":-3,"address":"127.0.0.1:7000"}'
skv_assert "string id refused" bad_add id '{"id":"7","address":"127.0.0.1:7000"}'
skv_assert "id of a member refused" bad_add 'id: node 1 is already a member' \
    '{"id":1,"address":"127.0.0.1:7000"}'
skv_assert "address of a member refused" bad_add 'address: .* is already used by node' \
    "{\"id\":7,\"address\":\"127.0.0.1:$(skv_rport "$F2")\"}"
skv_assert "unknown role refused" bad_add role '{"id":7,"address":"127.0.0.1:7000","role":"leader"}'
skv_assert "unknown field refused" bad_add bogus '{"id":7,"address":"127.0.0.1:7000","bogus":1}'
skv_assert "a body that is not JSON refused" bad_add body '{"id":'

# ---- an unreachable voter is rolled back ----------------------------------
P=$("$FREEPORT" -o $$ 1)
c=$(req "$L" POST /v1/cluster/members "{\"id\":7,\"address\":\"127.0.0.1:$P\",\"role\":\"voter\"}")
skv_log "unreachable voter: $c $(cat "$D/resp")"
skv_assert "unreachable voter: 503 ErrMemberUnreachable" sh -c "[ $c = 503 ] && grep -q ErrMemberUnreachable $D/resp"
skv_assert "unreachable voter: the answer says it was removed again" resp_has 'removed again'
skv_assert "unreachable voter: members unchanged, no node 7" [ "$(members "$L")" = "$BEFORE" ]

# ---- promote checks its id ------------------------------------------------
c=$(req "$L" POST /v1/cluster/members/77/promote)
skv_assert "promote a non-member: 404" [ "$c" = 404 ]
c=$(req "$L" POST "/v1/cluster/members/$F1/promote")
skv_assert "promote a voter: 400 naming id" sh -c "[ $c = 400 ] && grep -q 'id: node $F1 is already a voter' $D/resp"
c=$(req "$L" DELETE /v1/cluster/members/77)
skv_assert "remove a non-member: 404" [ "$c" = 404 ]

# ---- down to one voter, then the last one is refused ----------------------
c=$(req "$L" DELETE "/v1/cluster/members/$F1")
skv_assert "remove follower $F1: 200" [ "$c" = 200 ]
skv_stop "$F1"
c=$(req "$L" DELETE "/v1/cluster/members/$F2")
skv_assert "remove follower $F2: 200 (one voter left)" [ "$c" = 200 ]
skv_stop "$F2"
skv_wait 10 "leader $L is the only member" sh -c "[ \$(curl -s $(skv_endpoint "$L")/v1/cluster/members | grep -o '\"id\":' | wc -l) -eq 1 ]"
ONE=$(members "$L")
c=$(req "$L" DELETE "/v1/cluster/members/$L")
skv_log "remove the last voter: $c $(cat "$D/resp")"
skv_assert "remove the last voter: 409 ErrLastVoter" sh -c "[ $c = 409 ] && grep -q '\"ErrLastVoter\"' $D/resp"
skv_assert "members unchanged after the refusal" [ "$(members "$L")" = "$ONE" ]
skv_assert "node $L is still the leader" skv_is_state "$L" leader
skv_assert "the cluster still accepts writes" eval 'skv_cli "$L" put after-refusal yes >/dev/null'
skv_assert "and reads them" skv_get_eq "$L" after-refusal yes

# a standby beside the last voter does not make removing the voter safe
c=$(req "$L" POST /v1/cluster/members "{\"id\":8,\"address\":\"127.0.0.1:$P\",\"role\":\"standby\"}")
skv_assert "add a standby (no catch-up needed): 200" [ "$c" = 200 ]
c=$(req "$L" DELETE "/v1/cluster/members/$L")
skv_assert "last voter with a standby beside it: still 409 ErrLastVoter" sh -c "[ $c = 409 ] && grep -q ErrLastVoter $D/resp"
c=$(req "$L" DELETE /v1/cluster/members/8)
skv_assert "the standby can be removed: 200" [ "$c" = 200 ]
skv_assert "node $L is still the leader at the end" skv_is_state "$L" leader
skv_finish
