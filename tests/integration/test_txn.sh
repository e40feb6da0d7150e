#!/bin/sh
# SPDX-License-Identifier: MIT
# Transactions (issue 16 item 5) on a real 3-node encrypted cluster:
# POST /v1/txn applies compares (mod_index, value, exists) and one of two
# branches of put/delete/get as one Raft entry, answers which branch ran
# and the gets (read on the state before the transaction), through a
# follower too; refuses malformed or oversized ones (400/413) without
# proposing; concurrent compare-on-mod_index increments from two nodes
# never both win (successes = the counter's final value); Phase 1 values
# read in clear; sealkv txn prints SUCCESS/FAILURE and the gets.
SKV_TEST=txn
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

SKV_ENC_NODES="1 2 3"
skv_up3
E=$(skv_endpoint "$L")
EF=$(skv_endpoint "$F")
b64() { printf '%s' "$1" | base64 -w0; }
txn() { # endpoint json → code, body in $SKV_DIR/out
    curl -s -o "$SKV_DIR/out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data-binary "$2" "$1/v1/txn"
}
mod_of() { curl -s -D - -o /dev/null "$1/v1/kv/$2" | tr -d '\r' | sed -n 's/^X-Sealkv-Mod-Index: //Ip'; }
val() { curl -s "$E/v1/kv/$1"; }

skv_assert "put a=1" [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary 1 "$E/v1/kv/a")" = 200 ]
M=$(mod_of "$E" a)
skv_assert "a has a mod index ($M)" [ -n "$M" ] && [ "$M" -gt 0 ]

T1='{"compare":[{"key":"'$(b64 a)'","mod_index":'$M'}],
 "success":[{"op":"put","key":"'$(b64 a)'","value":"'$(b64 2)'"},
            {"op":"put","key":"'$(b64 b)'","value":"'$(b64 x)'"},
            {"op":"get","key":"'$(b64 a)'"}],
 "failure":[{"op":"get","key":"'$(b64 a)'"}]}'
skv_assert "txn 1 through the leader: 200" [ "$(txn "$E" "$T1")" = 200 ]
skv_assert "txn 1 succeeded ($(cat "$SKV_DIR/out"))" grep -q '"succeeded":true' "$SKV_DIR/out"
skv_assert "txn 1 answers put, put, get in order" grep -q '"results":\[{"op":"put"},{"op":"put"},{"op":"get"' "$SKV_DIR/out"
skv_assert "txn 1's get reads the state before it (a=1)" grep -q "\"found\":true,\"value\":\"$(b64 1)\",\"mod_index\":$M" "$SKV_DIR/out"
skv_assert "a is 2 and b is x afterwards" sh -c "[ \"\$(curl -s $E/v1/kv/a)\" = 2 ] && [ \"\$(curl -s $E/v1/kv/b)\" = x ]"
I1=$(sed -n 's/.*"index":\([0-9]*\).*/\1/p' "$SKV_DIR/out")
skv_assert "both writes carry the transaction's index $I1" [ "$(mod_of "$E" a)" = "$I1" ] && [ "$(mod_of "$E" b)" = "$I1" ]

T2='{"compare":[{"key":"'$(b64 a)'","value":"'$(b64 1)'"}],
 "success":[{"op":"put","key":"'$(b64 a)'","value":"'$(b64 never)'"}],
 "failure":[{"op":"delete","key":"'$(b64 b)'"},{"op":"get","key":"'$(b64 a)'"},{"op":"get","key":"'$(b64 zz)'"}]}'
skv_assert "txn 2 through a follower: 200" [ "$(txn "$EF" "$T2")" = 200 ]
skv_assert "txn 2 took the failure branch ($(cat "$SKV_DIR/out"))" grep -q '"succeeded":false' "$SKV_DIR/out"
skv_assert "txn 2: a absent key reads found:false" grep -q "{\"op\":\"get\",\"key\":\"$(b64 zz)\",\"found\":false}" "$SKV_DIR/out"
skv_assert "txn 2 deleted b, left a" sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $E/v1/kv/b)\" = 404 ] && [ \"\$(curl -s $E/v1/kv/a)\" = 2 ]"

T3='{"compare":[{"key":"'$(b64 new)'","exists":false}],"success":[{"op":"put","key":"'$(b64 new)'","value":"'$(b64 v)'"}]}'
skv_assert "exists:false creates" sh -c "[ \$(curl -s -o $SKV_DIR/out -w '%{http_code}' -X POST --data-binary '$T3' $E/v1/txn) = 200 ] && grep -q '\"succeeded\":true' $SKV_DIR/out"
skv_assert "... and only once" sh -c "[ \$(curl -s -o $SKV_DIR/out -w '%{http_code}' -X POST --data-binary '$T3' $E/v1/txn) = 200 ] && grep -q '\"succeeded\":false,\"index\":[0-9]*,\"results\":\[\]' $SKV_DIR/out"

# watch: the writes of the branch that ran are changes, at the
# transaction's index; the other branch's are not
curl -sN --max-time 2 "$E/v1/watch?from_index=0" >"$SKV_DIR/w" 2>/dev/null
skv_assert "watch: txn 1 put a=2 at $I1" grep -q "{\"index\":$I1,\"type\":\"put\",\"key\":\"$(b64 a)\",\"value\":\"$(b64 2)\"}" "$SKV_DIR/w"
skv_assert "watch: txn 1 put b=x at $I1" grep -q "{\"index\":$I1,\"type\":\"put\",\"key\":\"$(b64 b)\",\"value\":\"$(b64 x)\"}" "$SKV_DIR/w"
skv_assert "watch: txn 2 deleted b" grep -q "\"type\":\"delete\",\"key\":\"$(b64 b)\"" "$SKV_DIR/w"
skv_assert "watch: txn 2's success branch never ran" sh -c "! grep -q '$(b64 never)' '$SKV_DIR/w'"

# refusals: nothing proposed
before=$(skv_status_field "$L" last_index)
K=$(b64 k)
for bad in '{"compare":[],"bogus":1}' '[1]' '{"success":[{"op":"put","key":"!!","value":"eA=="}]}' \
    '{"success":[{"op":"put","key":"'$K'"}]}' '{"success":[{"op":"frob","key":"'$K'"}]}' \
    '{"compare":[{"key":"'$K'","mod_index":1,"exists":true}]}' \
    '{"success":[{"op":"put","key":"'$K'","value":"eA=="},{"op":"delete","key":"'$K'"}]}'; do
    c=$(txn "$E" "$bad")
    skv_assert "refused with 400: $bad ($c $(head -c 160 "$SKV_DIR/out"))" sh -c "[ $c = 400 ] && grep -q ErrBadRequest '$SKV_DIR/out'"
done
ops=$(i=0; while [ $i -lt 129 ]; do printf '{"op":"get","key":"%s"},' "$K"; i=$((i + 1)); done)
skv_assert "129 ops: 400" [ "$(txn "$E" "{\"success\":[${ops%,}]}")" = 400 ]
head -c 3500000 /dev/zero | tr '\0' 'v' | base64 -w0 >"$SKV_DIR/big"
printf '{"success":[{"op":"put","key":"%s","value":"%s"},{"op":"put","key":"%s","value":"%s"}]}' \
    "$K" "$(cat "$SKV_DIR/big")" "$(b64 k2)" "$(cat "$SKV_DIR/big")" >"$SKV_DIR/big.json"
c=$(curl -s -o "$SKV_DIR/out" -w '%{http_code}' -X POST --data-binary @"$SKV_DIR/big.json" "$E/v1/txn")
skv_assert "a transaction over 4 MiB encoded: 413 ($c $(head -c 160 "$SKV_DIR/out"))" [ "$c" = 413 ]
after=$(skv_status_field "$L" last_index)
skv_assert "no refused transaction was proposed ($before -> $after)" [ "$after" = "$before" ]

# concurrent compare-and-increment from two nodes: never both win
skv_assert "counter=0" [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary 0 "$E/v1/kv/ctr")" = 200 ]
incr() { # endpoint tries → successes on stdout
    ok=0; t=0
    while [ $t -lt "$2" ]; do
        t=$((t + 1))
        h=$(curl -s -D - "$1/v1/kv/ctr" | tr -d '\r')
        m=$(echo "$h" | sed -n 's/^X-Sealkv-Mod-Index: //Ip'); v=$(echo "$h" | tail -1)
        [ -n "$m" ] || continue
        body='{"compare":[{"key":"'$(b64 ctr)'","mod_index":'$m'}],"success":[{"op":"put","key":"'$(b64 ctr)'","value":"'$(b64 $((v + 1)))'"}]}'
        curl -s -X POST --data-binary "$body" "$1/v1/txn" | grep -q '"succeeded":true' && ok=$((ok + 1))
    done
    echo $ok
}
incr "$E" 25 >"$SKV_DIR/i1" & P1=$!
incr "$EF" 25 >"$SKV_DIR/i2" & P2=$!
wait $P1 $P2
s1=$(cat "$SKV_DIR/i1"); s2=$(cat "$SKV_DIR/i2"); final=$(curl -s "$E/v1/kv/ctr")
skv_assert "successes $s1 + $s2 = the counter's final value $final" [ $((s1 + s2)) = "$final" ]
skv_assert "some increments won on each side" [ "$s1" -gt 0 ] && [ "$s2" -gt 0 ]

# Phase 1: sealed values read in clear; the CLI
skv_assert "phase 1 on" [ "$(skv_enc_post "$L" enable-storage-envelope)" = 200 ]
skv_assert "put s=sealed" [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary sealed "$E/v1/kv/s")" = 200 ]
printf '%s' '{"compare":[{"key":"'$(b64 s)'","value":"'$(b64 sealed)'"}],"success":[{"op":"get","key":"'$(b64 s)'"}]}' >"$SKV_DIR/t.json"
skv_cli "$F" txn "$SKV_DIR/t.json" >"$SKV_DIR/cli.out" || skv_fail "sealkv txn"
skv_assert "sealkv txn: SUCCESS and the get, a sealed value compared and read in clear ($(tr '\n' '|' <"$SKV_DIR/cli.out"))" \
    [ "$(tr '\n' '|' <"$SKV_DIR/cli.out")" = "SUCCESS|s sealed|" ]
skv_cli "$F" --json txn - <"$SKV_DIR/t.json" >"$SKV_DIR/cli.json" || skv_fail "sealkv --json txn -"
skv_assert "sealkv --json txn -: the server's answer" grep -q '"succeeded":true' "$SKV_DIR/cli.json"

# Phase 2: the entry is wrapped like any write; every node applies it
skv_assert "phase 2 on" [ "$(skv_enc_post "$L" enable-raft-envelope)" = 200 ]
T4='{"compare":[{"key":"'$(b64 s)'","exists":true}],"success":[{"op":"put","key":"'$(b64 p2)'","value":"'$(b64 wrapped)'"}]}'
skv_assert "a transaction after the cutover" sh -c "[ \$(curl -s -o $SKV_DIR/out -w '%{http_code}' -X POST --data-binary '$T4' $E/v1/txn) = 200 ] && grep -q '\"succeeded\":true' $SKV_DIR/out"
skv_wait 10 "every node has p2=wrapped" skv_all_local_eq p2 wrapped 1 2 3
skv_finish
