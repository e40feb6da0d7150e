#!/bin/sh
# SPDX-License-Identifier: MIT
# The HTTP surface of issue 16 items 1 and 9 on a real 3-node cluster:
#  - strict parameters: PUT ?prev_index=x3 and ?ttl=5 are 400
#    ErrBadRequest naming the parameter, on the leader and on a follower,
#    and nothing is written (the old value stays, no index moves); an
#    unknown parameter on every route is refused the same way; malformed
#    values of known ones too; consistency=local still works;
#  - metrics: sealkv_build_info, proposals by outcome (ok, refused),
#    request latency histograms per route template (never a raw key),
#    leader changes counted when the leader is killed;
#  - GET /v1/cluster/members on the leader has every member's match index
#    and lag (null on a follower).
SKV_TEST=http_api
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

skv_setup 3
D=$SKV_DIR
for i in 1 2 3; do skv_start "$i"; done
skv_wait 20 "a leader is elected" skv_leader
L=$(skv_leader)
F=1; [ "$L" = 1 ] && F=2
knows_leader() { [ "$(skv_status_field "$F" leader_id)" = "$L" ]; }
skv_wait 20 "follower $F knows leader $L" knows_leader

# req i METHOD PATH [BODY]: status printed, body in $D/body
req() {
    if [ $# -ge 4 ]; then
        curl -s -m 10 -o "$D/body" -w '%{http_code}' -X "$2" --data-binary "$4" "$(skv_endpoint "$1")$3"
    else
        curl -s -m 10 -o "$D/body" -w '%{http_code}' -X "$2" "$(skv_endpoint "$1")$3"
    fi
}
# refused i METHOD PATH NAME [BODY]: 400 ErrBadRequest whose message names NAME
refused() {
    i=$1 m=$2 p=$3 nm=$4; shift 4
    c=$(req "$i" "$m" "$p" "$@")
    [ "$c" = 400 ] && grep -q '"error":"ErrBadRequest"' "$D/body" && grep -q "'$nm'" "$D/body" ||
        { skv_log "$m $p on node $i: $c $(cat "$D/body")"; return 1; }
}
metric() { # file series → value of its sample
    grep -F -- "$2 " "$1" | grep -v '^#' | head -1 | awk '{print $NF}'
}

# ---- strict parameters --------------------------------------------------
skv_cli 1 put cas v1 >/dev/null || skv_fail "put cas v1"
skv_wait_caught_up 1 2 3
last=$(skv_status_field "$L" last_index)
for i in "$L" "$F"; do
    skv_assert "node $i: PUT ?prev_index=x3 is 400 naming prev_index" refused "$i" PUT "/v1/kv/cas?prev_index=x3" prev_index v2
    skv_assert "node $i: PUT ?ttl=5 is 400 naming ttl" refused "$i" PUT "/v1/kv/cas?ttl=5" ttl v2
    skv_assert "node $i: DELETE ?prev_exist=true is 400" refused "$i" DELETE "/v1/kv/cas?prev_exist=true" prev_exist
done
skv_assert "nothing was proposed: the leader's last index stayed $last" \
    [ "$(skv_status_field "$L" last_index)" = "$last" ]
# (a linearizable read appends a barrier: only after the index check)
skv_assert "nothing was written: cas is still v1" skv_get_eq "$L" cas v1
for route in "GET /v1/status" "GET /metrics" "GET /v1/kv/cas" "GET /v1/cluster/members" \
    "GET /v1/encryption/capability" "GET /v1/encryption/sidecar" "DELETE /v1/cluster/members/9" \
    "POST /v1/cluster/members/9/promote" "POST /v1/encryption/enable-raft-envelope" \
    "POST /v1/encryption/enable-storage-envelope" "POST /v1/encryption/erase-cleartext" \
    "GET /healthz" "GET /readyz" "GET /v1/health"; do
    set -- $route
    skv_assert "$1 $2?bogus=1 is 400 naming bogus" refused "$F" "$1" "$2?bogus=1" bogus
done
skv_assert "POST /v1/cluster/members?force=1 with a valid body is 400" refused "$L" POST \
    "/v1/cluster/members?force=1" force '{"id":9,"address":"127.0.0.1:1","role":"standby"}'
skv_assert "consistency=strong is 400 naming consistency" refused "$F" GET "/v1/kv/cas?consistency=strong" consistency
skv_assert "consistency given twice is 400" refused "$F" GET "/v1/kv/cas?consistency=local&consistency=local" consistency
skv_assert "a malformed escape in a name is 400" sh -c "[ \"\$(curl -s -o '$D/b' -w '%{http_code}' '$(skv_endpoint "$F")/v1/kv/cas?%zz=1')\" = 400 ]"
skv_assert "consistency=local on follower $F reads v1" sh -c \
    "[ \"\$(curl -s '$(skv_endpoint "$F")/v1/kv/cas?consistency=local')\" = v1 ]"
skv_assert "the CLI's get --local still works" skv_get_eq "$F" cas v1 --local

# ---- metrics -------------------------------------------------------------
curl -s "$(skv_endpoint "$L")/v1/kv/secret-key-name" >/dev/null
curl -s "$(skv_endpoint "$L")/metrics" >"$D/mL"
skv_assert "build_info with version and ABI" grep -Eq '^sealkv_build_info\{version="[^"]+",abi="1\.[0-9]+"\} 1$' "$D/mL"
skv_assert "proposals_total by outcome: ok >= 1" [ "$(metric "$D/mL" 'sealkv_proposals_total{source="user",outcome="ok"}')" -ge 1 ]
for o in refused rejected unknown; do
    skv_assert "proposals_total{outcome=\"$o\"} is shown" grep -q "^sealkv_proposals_total{source=\"user\",outcome=\"$o\"} " "$D/mL"
done
skv_assert "no proposals_total{outcome=\"error\"} any more" sh -c "! grep -q '^sealkv_proposals_total{.*outcome=\"error\"' '$D/mL'"
skv_assert "cutover pause in seconds; no _ms metric" sh -c \
    "grep -q '^sealkv_cutover_last_intake_pause_seconds ' '$D/mL' && ! grep -q '^sealkv_[a-z_]*_ms[ {]' '$D/mL'"
skv_assert "latency histogram of GET /v1/kv/{key} on the leader" grep -q \
    '^sealkv_http_request_duration_seconds_count{route="/v1/kv/{key}",method="GET"} [1-9]' "$D/mL"
skv_assert "the histograms name route templates, never a key" sh -c "! grep -q secret-key-name '$D/mL'"
curl -s "$(skv_endpoint "$F")/metrics" >"$D/mF"
skv_assert "follower $F: PUT latency counted (the refused ones too)" grep -q \
    '^sealkv_http_request_duration_seconds_count{route="/v1/kv/{key}",method="PUT"} [1-9]' "$D/mF"
skv_assert "follower $F: +Inf bucket equals the count" sh -c \
    "a=\$(grep '^sealkv_http_request_duration_seconds_bucket{route=\"/v1/kv/{key}\",method=\"PUT\",le=\"+Inf\"}' '$D/mF' | awk '{print \$2}');
     b=\$(grep '^sealkv_http_request_duration_seconds_count{route=\"/v1/kv/{key}\",method=\"PUT\"}' '$D/mF' | awk '{print \$2}');
     [ -n \"\$a\" ] && [ \"\$a\" = \"\$b\" ]"
skv_assert "follower $F has seen one leader so far" [ "$(metric "$D/mF" sealkv_raft_leader_changes_total)" -ge 1 ]
before=$(metric "$D/mF" sealkv_raft_leader_changes_total)

# ---- members: match index and lag ---------------------------------------
curl -s "$(skv_endpoint "$L")/v1/cluster/members" >"$D/members-L"
skv_log "members on the leader: $(cat "$D/members-L")"
skv_assert "leader: every member has a numeric match_index and lag" sh -c \
    "[ \$(grep -o '\"match_index\":[0-9][0-9]*,\"lag\":[0-9][0-9]*' '$D/members-L' | wc -l) = 3 ] && grep -q '\"last_index\":[0-9]' '$D/members-L'"
skv_wait 10 "leader: every member's lag is 0 once idle" sh -c \
    "curl -s '$(skv_endpoint "$L")/v1/cluster/members' | grep -o '\"lag\":0' | wc -l | grep -qx 3"
curl -s "$(skv_endpoint "$F")/v1/cluster/members" >"$D/members-F"
skv_assert "follower: match_index and lag are null" sh -c \
    "[ \$(grep -o '\"match_index\":null,\"lag\":null' '$D/members-F' | wc -l) = 3 ]"

# ---- a leader change is counted -----------------------------------------
skv_stop "$L"
skv_wait 20 "a new leader" skv_leader
skv_wait 10 "follower $F counted the leader change" sh -c \
    "[ \$(curl -s '$(skv_endpoint "$F")/metrics' | grep '^sealkv_raft_leader_changes_total ' | awk '{print \$2}') -gt $before ]"
skv_finish
