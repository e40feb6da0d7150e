#!/bin/sh
# SPDX-License-Identifier: MIT
# sealkv --endpoints (issue 16 item 10): the endpoints are tried in order,
# the next one when one cannot be reached; a GET also fails over from a
# stopped node; --json prints get as base64 key/value and every failure
# as one JSON object; exit statuses 0, 3 (not found) and 5 (no server
# reached) on a real 3-node cluster.
SKV_TEST=cli_endpoints
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

skv_up3
ports=$("$FREEPORT" -o $$ 2) || { echo "freeport failed"; exit 99; }
set -- $ports
DEAD1=http://127.0.0.1:$1 DEAD2=http://127.0.0.1:$2
EPS="$DEAD1,$(skv_endpoint "$F"),$(skv_endpoint "$L")"
cli() { "$SEALKV" --endpoints "$EPS" --retry 10 "$@"; }
field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$SKV_DIR/out"; }

skv_assert "put fails over from an unreachable endpoint" cli put k1 v1
skv_assert "get fails over too" sh -c "[ \"\$(\"$SEALKV\" --endpoints '$EPS' get k1)\" = v1 ]"

printf 'a\000b\377c\n' >"$SKV_DIR/bin.in"
cli put 'bin key' - <"$SKV_DIR/bin.in" >/dev/null || skv_fail "binary put"
cli --json get 'bin key' >"$SKV_DIR/out"; rc=$?
skv_assert "get --json: exit 0" [ "$rc" = 0 ]
field value | base64 -d >"$SKV_DIR/bin.out"
skv_assert "get --json: value is the bytes in base64" cmp -s "$SKV_DIR/bin.in" "$SKV_DIR/bin.out"
skv_assert "get --json: key in base64" [ "$(field key | base64 -d)" = "bin key" ]

cli --json get nosuchkey >"$SKV_DIR/out" 2>"$SKV_DIR/err"; rc=$?
skv_assert "get of a missing key: exit 3 ($rc)" [ "$rc" = 3 ]
skv_assert "get --json of a missing key: the server's error object" grep -q '"error":"ErrKeyNotFound"' "$SKV_DIR/out"
skv_assert "get --json of a missing key: says exit 3" grep -q '"exit":3' "$SKV_DIR/out"
skv_assert "the message still goes to stderr" grep -q "not found" "$SKV_DIR/err"

"$SEALKV" --endpoints "$DEAD1,$DEAD2" --retry 0 --json put k2 v2 >"$SKV_DIR/out" 2>/dev/null; rc=$?
skv_assert "no endpoint reachable: exit 5 ($rc)" [ "$rc" = 5 ]
skv_assert "no endpoint reachable: JSON error unreachable" grep -q '"error":"unreachable"' "$SKV_DIR/out"
skv_assert "no endpoint reachable: nothing was written" skv_get_absent "$L" k2

# a stopped node first in the list: reads and writes go to the next one
skv_stop "$F" TERM
EPS="$(skv_endpoint "$F"),$(skv_endpoint "$L")"
skv_assert "put with the first endpoint's node stopped" cli put k3 v3
skv_assert "get with the first endpoint's node stopped" sh -c "[ \"\$(\"$SEALKV\" --endpoints '$EPS' get k3)\" = v3 ]"
skv_finish
