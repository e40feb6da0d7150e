#!/bin/sh
# SPDX-License-Identifier: MIT
# Watch (issue 16 item 6) on a real 3-node encrypted cluster:
# GET /v1/watch?prefix=P[&from_index=N] streams every change under P with
# index > N as JSON lines (chunked), from the node's own applied history;
# resumable from any index the node still keeps (from_index), 410
# ErrCompacted below it (a restarted node keeps nothing from before);
# progress lines when idle; bad parameters are a 400 naming them. A
# watcher on a follower sees every acknowledged write exactly once, in
# order, while the leader is killed and a new one takes over.
SKV_TEST=watch
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

SKV_ENC_NODES="1 2 3"
skv_up3
E=$(skv_endpoint "$L")
EF=$(skv_endpoint "$F")
put() { curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary "$2" "$E/v1/kv/$1"; }
lines() { grep -c "\"$2\"" "$1" 2>/dev/null || echo 0; }
b64() { printf '%s' "$1" | base64; }
WPIDS=""
watch_bg() { # out url
    curl -sN "$2" >"$1" 2>/dev/null &
    WPIDS="$WPIDS $!"
}
stop_watchers() { for p in $WPIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; WPIDS=""; }

watch_bg "$SKV_DIR/w1" "$EF/v1/watch?prefix=app/"
skv_wait 10 "the watch stream is open" sh -c "grep -q progress_index '$SKV_DIR/w1' || [ -s '$SKV_DIR/w1' ]"
skv_assert "put app/a" [ "$(put app/a one)" = 200 ]
skv_assert "put other/x" [ "$(put other/x no)" = 200 ]
skv_assert "put app/b" [ "$(put app/b two)" = 200 ]
skv_assert "delete app/a" [ "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$E/v1/kv/app/a")" = 200 ]
skv_wait 10 "three events on the follower's stream" sh -c "[ \$(grep -c '\"type\"' '$SKV_DIR/w1') -ge 3 ]"
grep '"type"' "$SKV_DIR/w1" >"$SKV_DIR/ev1"
skv_assert "exactly three events, not other/x ($(tr '\n' ' ' <"$SKV_DIR/ev1"))" [ "$(wc -l <"$SKV_DIR/ev1")" = 3 ]
skv_assert "1: put app/a one" sh -c "sed -n 1p '$SKV_DIR/ev1' | grep -q '\"type\":\"put\",\"key\":\"$(b64 app/a)\",\"value\":\"$(b64 one)\"'"
skv_assert "2: put app/b two" sh -c "sed -n 2p '$SKV_DIR/ev1' | grep -q '\"type\":\"put\",\"key\":\"$(b64 app/b)\",\"value\":\"$(b64 two)\"'"
skv_assert "3: delete app/a, no value" sh -c "sed -n 3p '$SKV_DIR/ev1' | grep -q '\"type\":\"delete\",\"key\":\"$(b64 app/a)\"}'"
idx() { sed -n "${2}p" "$1" | sed 's/.*"index":\([0-9]*\).*/\1/'; }
I1=$(idx "$SKV_DIR/ev1" 1) I2=$(idx "$SKV_DIR/ev1" 2) I3=$(idx "$SKV_DIR/ev1" 3)
skv_assert "indexes increase ($I1 $I2 $I3)" [ "$I1" -lt "$I2" ] && [ "$I2" -lt "$I3" ]
skv_wait 15 "an idle stream sends a progress line at or above $I3" sh -c \
    "grep -o '\"progress_index\":[0-9]*' '$SKV_DIR/w1' | cut -d: -f2 | awk '\$1 >= $I3 {f=1} END {exit !f}'"

# resume: from_index picks up after any kept index, on any node
curl -sN --max-time 2 "$E/v1/watch?prefix=app/&from_index=$I1" >"$SKV_DIR/w2" 2>/dev/null
skv_assert "from_index=$I1 on the leader: the two later events" [ "$(grep -c '"type"' "$SKV_DIR/w2")" = 2 ]
skv_assert "... the first of them is index $I2" [ "$(grep '"type"' "$SKV_DIR/w2" | head -1 | sed 's/.*"index":\([0-9]*\).*/\1/')" = "$I2" ]
curl -sN --max-time 2 "$EF/v1/watch?from_index=0" >"$SKV_DIR/w3" 2>/dev/null
skv_assert "from_index=0 without a prefix: all four changes" [ "$(grep -c '"type"' "$SKV_DIR/w3")" = 4 ]

for q in 'from_index=-1' 'from_index=x' 'from_index=' 'prefix=a&prefix=b' 'limit=3'; do
    c=$(curl -s -o "$SKV_DIR/out" -w '%{http_code}' "$E/v1/watch?$q")
    n=${q%%=*}
    skv_assert "GET /v1/watch?$q: 400 naming $n ($c)" sh -c "[ $c = 400 ] && grep -q '$n' '$SKV_DIR/out'"
done

# a restarted node keeps no history from before: 410 below its start
O=3; [ "$L" = 3 ] && O=$F; [ "$O" = "$F" ] && [ "$L" != 1 ] && [ "$F" != 1 ] && O=1
[ "$O" = "$L" ] && O=$F
stop_watchers
skv_stop "$O"
skv_start "$O"
skv_wait 20 "node $O answers" skv_status_field "$O" id
c=$(curl -s -o "$SKV_DIR/out" -w '%{http_code}' "$(skv_endpoint "$O")/v1/watch?from_index=0")
skv_assert "restarted node $O: from_index=0 is 410 ($c $(cat "$SKV_DIR/out"))" [ "$c" = 410 ]
skv_assert "... ErrCompacted naming the oldest index it serves" sh -c "grep -q ErrCompacted '$SKV_DIR/out' && grep -q 'oldest from_index' '$SKV_DIR/out'"

# sealkv watch: prints each change once; when its node stops it resumes
# on the next endpoint after the last index it printed
L=$(skv_leader); A=""; B=""
for i in 1 2 3; do [ "$i" = "$L" ] && continue; [ -z "$A" ] && A=$i || B=$i; done
I0=$(skv_status_field "$L" applied_index)
"$SEALKV" --endpoints "$(skv_endpoint "$A"),$(skv_endpoint "$B")" --retry 20 watch cli/ \
    --from-index "$I0" >"$SKV_DIR/cw" 2>"$SKV_DIR/cw.err" &
CWP=$!
for k in $(seq 1 10); do skv_cli "$L" put cli/k "c$k" >/dev/null || skv_fail "put cli/k c$k"; done
skv_wait 10 "sealkv watch printed c10" grep -q ' put cli/k c10$' "$SKV_DIR/cw"
skv_stop "$A"
skv_assert "node $A stopped cleanly with a watch stream open (rc $SKV_LAST_RC)" [ "$SKV_LAST_RC" = 0 ]
for k in $(seq 11 20); do skv_cli "$L" put cli/k "c$k" >/dev/null || skv_fail "put cli/k c$k"; done
skv_wait 20 "sealkv watch printed c20 through node $B" grep -q ' put cli/k c20$' "$SKV_DIR/cw"
skv_assert "sealkv watch: 20 changes, each once ($(wc -l <"$SKV_DIR/cw"))" [ "$(wc -l <"$SKV_DIR/cw")" = 20 ]
skv_assert "sealkv watch: in order" sh -c "[ \"\$(cut -d' ' -f4 '$SKV_DIR/cw' | tr '\n' ' ')\" = \"$(seq -f 'c%g' 1 20 | tr '\n' ' ')\" ]"
skv_assert "sealkv watch said it resumed" grep -q "resuming after index" "$SKV_DIR/cw.err"
kill "$CWP" 2>/dev/null; wait "$CWP" 2>/dev/null
skv_start "$A"
skv_wait 20 "node $A is back" skv_status_field "$A" id
"$SEALKV" --endpoint "$E" get x --from-index 3 >/dev/null 2>&1; rc=$?
skv_assert "--from-index on get: usage error ($rc)" [ "$rc" = 2 ]
# node A restarted: it keeps nothing from before; the CLI goes on to L
"$SEALKV" --endpoints "$(skv_endpoint "$A"),$(skv_endpoint "$L")" --json watch --from-index 0 \
    >"$SKV_DIR/cw0" 2>"$SKV_DIR/cw0.err" & CWP=$!
skv_wait 10 "sealkv --json watch --from-index 0 past node $A (410) on node $L: the 24 changes so far" \
    sh -c "[ \$(grep -c '\"type\"' '$SKV_DIR/cw0') -ge 24 ]"
kill "$CWP" 2>/dev/null; wait "$CWP" 2>/dev/null
skv_assert "it said node $A no longer keeps them" grep -q "no longer keeps the changes after index 0" "$SKV_DIR/cw0.err"
"$SEALKV" --endpoint "$(skv_endpoint "$A")" --json watch --from-index 0 >"$SKV_DIR/cw1" 2>/dev/null; rc=$?
skv_assert "only node $A: exit 1 with ErrCompacted ($rc $(cat "$SKV_DIR/cw1"))" sh -c "[ $rc = 1 ] && grep -q '\"error\":\"ErrCompacted\"' '$SKV_DIR/cw1'"

# across a leader kill: a follower's watcher sees each acknowledged write
# exactly once, in order
L=$(skv_leader); W=1; [ "$L" = 1 ] && W=2
watch_bg "$SKV_DIR/w4" "$(skv_endpoint "$W")/v1/watch?prefix=lk/"
skv_wait 10 "the watch on node $W is open" sh -c "[ -s '$SKV_DIR/w4' ] || true"
EPS=""
for i in 1 2 3; do [ "$i" = "$L" ] || EPS="$EPS${EPS:+,}$(skv_endpoint "$i")"; done
acked=""
for k in $(seq 1 40); do
    [ "$k" = 15 ] && skv_stop "$L" KILL
    if "$SEALKV" --endpoints "$EPS" --retry 20 put lk/k "v$k" >/dev/null 2>&1; then acked="$acked v$k"; fi
done
n_acked=$(echo $acked | wc -w)
skv_assert "writes acknowledged across the kill ($n_acked of 40)" [ "$n_acked" -ge 30 ]
last=$(echo $acked | awk '{print $NF}')
skv_wait 20 "node $W's stream shows the last acknowledged write ($last)" sh -c \
    "grep -q '\"value\":\"$(b64 "$last")\"' '$SKV_DIR/w4'"
grep '"type"' "$SKV_DIR/w4" | sed 's/.*"index":\([0-9]*\).*"value":"\([^"]*\)".*/\1 \2/' >"$SKV_DIR/ev4"
skv_assert "no index twice" [ "$(cut -d' ' -f1 "$SKV_DIR/ev4" | sort | uniq -d | wc -l)" = 0 ]
skv_assert "indexes in order" sh -c "cut -d' ' -f1 '$SKV_DIR/ev4' | sort -n -c"
seen=$(cut -d' ' -f2 "$SKV_DIR/ev4" | while read -r v; do printf '%s' "$v" | base64 -d; echo; done | tr '\n' ' ')
missing=""
for v in $acked; do echo " $seen " | grep -q " $v " || missing="$missing $v"; done
skv_assert "every acknowledged write is in the stream (missing:$missing)" [ -z "$missing" ]
skv_assert "no value twice" [ "$(echo $seen | tr ' ' '\n' | sort | uniq -d | wc -l)" = 0 ]
stop_watchers
skv_finish
