#!/bin/sh
# SPDX-License-Identifier: MIT
# Revisions and compare-and-swap (issue 16 items 2 and 3) on a real
# 3-node cluster: X-Sealkv-Mod-Index / X-Sealkv-Create-Index on reads
# from the leader and a follower (linearizable and consistency=local),
# create vs mod index after an overwrite and after delete + re-create;
# PUT/DELETE ?prev_index=N, PUT ?prev_exist=true|false: success, 412
# ErrCompareFailed with the current mod_index, CLI exit 4, strict
# parameters (400 naming them); watch streams applied CAS writes and not
# failed ones; two clients on two nodes incrementing one
# counter with CAS never both win the same prev_index (successes = final
# value); a recorded read + CAS workload (lclient --cas-pct) passes the
# linearizability checker; with both encryption phases on, revisions survive a snapshot
# install (a standby added after the log was compacted) and a restart of
# every node; the in-memory key set is on everywhere, node 4's came with
# the snapshot, each is rebuilt at start, and overwrites keep their
# create index on every node.
SKV_TEST=kv_cas
. "${SKV_TOP_SRCDIR:-.}/tests/integration/lib.sh"

SKV_BOOT=3 SKV_ENC_NODES="1 2 3 4" SKV_SNAP_THRESHOLD=32 SKV_SNAP_TRAILING=4
export SKV_BOOT SKV_SNAP_THRESHOLD SKV_SNAP_TRAILING
skv_setup 4
D=$SKV_DIR
for i in 1 2 3; do skv_start $i; done
skv_wait 20 "a leader is elected" skv_leader
L=$(skv_leader)
F=1; [ "$L" = 1 ] && F=2
G=3; [ "$L" = 3 ] && G=2

# put NODE KEY VALUE [QUERY] → prints the index (empty on failure)
put() {
    skv_cli "$1" --json put "$2" "$3" ${4:-} 2>/dev/null | sed -n 's/.*"index":\([0-9]*\).*/\1/p'
}
# rev NODE KEY [QUERY]: GET; prints "MOD CREATE" from the headers
rev() {
    c=$(curl -s -D "$D/hdr" -o "$D/body" -w '%{http_code}' "$(skv_endpoint "$1")/v1/kv/$2${3:-}")
    [ "$c" = 200 ] || return 1
    m=$(tr -d '\r' <"$D/hdr" | sed -n 's/^X-Sealkv-Mod-Index: *\([0-9]*\)$/\1/ip')
    cr=$(tr -d '\r' <"$D/hdr" | sed -n 's/^X-Sealkv-Create-Index: *\([0-9]*\)$/\1/ip')
    [ -n "$m" ] && [ -n "$cr" ] && echo "$m $cr"
}
rev_is() { [ "$(rev "$1" "$2" "${4:-}")" = "$3" ]; }
# http METHOD NODE PATH [DATA] → status; body in $D/resp
http() {
    curl -s -o "$D/resp" -w '%{http_code}' -X "$1" ${4:+--data-binary "$4"} "$(skv_endpoint "$2")$3"
}

# ---- revisions ---------------------------------------------------------
i1=$(put "$L" a v1)
skv_assert "put answers its index ($i1)" [ -n "$i1" ]
skv_assert "leader read: mod = create = $i1" rev_is "$L" a "$i1 $i1"
skv_assert "follower read (forwarded): mod = create = $i1" rev_is "$F" a "$i1 $i1"
skv_assert "follower local read: mod = create = $i1" \
    skv_wait 10 "follower applied a" rev_is "$F" a "$i1 $i1" "?consistency=local"
i2=$(put "$F" a v2)
skv_assert "overwrite: mod $i2, create stays $i1" rev_is "$L" a "$i2 $i1"
skv_assert "delete a" sh -c "\"$SEALKV\" --endpoint $(skv_endpoint "$L") --retry 15 del a >/dev/null"
i4=$(put "$G" a v3)
skv_assert "re-created after a delete: mod = create = $i4" rev_is "$F" a "$i4 $i4"
skv_assert "a missing key has no revision headers" sh -c "[ \$(curl -s -D $D/h404 -o /dev/null -w '%{http_code}' $(skv_endpoint "$L")/v1/kv/nokey) = 404 ] && ! grep -qi x-sealkv $D/h404"
skv_assert "a listing carries each key's mod_index" sh -c \
    "curl -s '$(skv_endpoint "$F")/v1/kv?prefix=a&limit=1' | grep -q '\"mod_index\":$i4'"
skv_cli "$L" --json get a >"$D/out" 2>/dev/null
skv_assert "get --json carries mod_index and create_index" \
    grep -q "\"mod_index\":$i4,\"create_index\":$i4" "$D/out"

# ---- compare-and-swap --------------------------------------------------
i5=$(put "$L" a v4 "--prev-index $i4")
skv_assert "put --prev-index (match) succeeds ($i5)" [ -n "$i5" ]
skv_cli "$F" put a v5 --prev-index "$i4" >/dev/null 2>"$D/err"; rc=$?
skv_assert "put --prev-index (stale): exit 4 ($rc)" [ "$rc" = 4 ]
skv_assert "stale CAS wrote nothing" skv_get_eq "$L" a v4
code=$(http PUT "$F" "/v1/kv/a?prev_index=$i4" v6)
skv_assert "stale CAS over HTTP: 412" [ "$code" = 412 ]
skv_assert "412 body: ErrCompareFailed with the current mod_index $i5" \
    sh -c "grep -q '\"error\":\"ErrCompareFailed\"' $D/resp && grep -q '\"mod_index\":$i5' $D/resp"
skv_cli "$L" --json put a v7 --prev-index 1 >"$D/out" 2>/dev/null; rc=$?
skv_assert "--json failed compare: exit 4, error object with mod_index" \
    sh -c "[ $rc = 4 ] && grep -q '\"mod_index\":$i5' $D/out && grep -q '\"exit\":4' $D/out"

skv_cli "$L" put a x --prev-exist false >/dev/null 2>&1; rc=$?
skv_assert "prev_exist=false on an existing key: exit 4" [ "$rc" = 4 ]
ib=$(put "$F" b b1 "--prev-exist false")
skv_assert "prev_exist=false creates an absent key ($ib)" rev_is "$L" b "$ib $ib"
code=$(http PUT "$G" "/v1/kv/c?prev_exist=true" c1)
skv_assert "prev_exist=true on an absent key: 412, mod_index 0" \
    sh -c "[ $code = 412 ] && grep -q '\"mod_index\":0' $D/resp"
skv_assert "prev_exist=true on an absent key wrote nothing" skv_get_absent "$L" c
ib2=$(put "$G" b b2 "--prev-exist true")
skv_assert "prev_exist=true replaces a present key" rev_is "$L" b "$ib2 $ib"
skv_cli "$L" del b --prev-index "$ib" >/dev/null 2>&1; rc=$?
skv_assert "delete --prev-index (stale): exit 4" [ "$rc" = 4 ]
skv_assert "delete --prev-index (match)" sh -c "\"$SEALKV\" --endpoint $(skv_endpoint "$F") --retry 15 delete b --prev-index $ib2 >/dev/null"
skv_assert "conditional delete removed b" skv_get_absent "$L" b

for q in "prev_index=abc" "prev_index=" "prev_index=-1" "prev_index=99999999999999999999" \
         "prev_exist=maybe" "prev_exist" "prev_index=1&prev_exist=true"; do
    code=$(http PUT "$L" "/v1/kv/a?$q" zz)
    skv_assert "PUT ?$q: 400 naming the parameter" \
        sh -c "[ $code = 400 ] && grep -q 'prev_' $D/resp"
done
code=$(http DELETE "$L" "/v1/kv/a?prev_exist=true")
skv_assert "DELETE ?prev_exist: 400 (DELETE takes prev_index only)" [ "$code" = 400 ]
code=$(http GET "$L" "/v1/kv/a?prev_index=1")
skv_assert "GET ?prev_index: 400" [ "$code" = 400 ]
skv_assert "nothing was written by the refused requests" skv_get_eq "$L" a v4
"$SEALKV" --endpoint "$(skv_endpoint "$L")" del a --prev-exist true >/dev/null 2>&1; rc=$?
skv_assert "CLI: --prev-exist on del is a usage error (exit 2)" [ "$rc" = 2 ]
"$SEALKV" --endpoint "$(skv_endpoint "$L")" put a v --prev-index x >/dev/null 2>&1; rc=$?
skv_assert "CLI: --prev-index x is a usage error (exit 2)" [ "$rc" = 2 ]

# ---- watch sees applied CAS writes, not failed ones --------------------
iw0=$(put "$L" w0 x0)
iw1=$(put "$F" w0 x1 "--prev-index $iw0")
skv_cli "$L" put w0 x-never --prev-index "$iw0" >/dev/null 2>&1
iw2=$(skv_cli "$G" --json del w0 --prev-index "$iw1" 2>/dev/null | sed -n 's/.*"index":\([0-9]*\).*/\1/p')
curl -sN --max-time 2 "$(skv_endpoint "$F")/v1/watch?prefix=w0&from_index=$iw0" >"$D/watch" 2>/dev/null
skv_assert "watch: the CAS put ($iw1) and the CAS delete ($iw2), nothing else" sh -c \
    "grep -q '\"index\":$iw1,\"type\":\"put\"' $D/watch &&
     grep -q '\"index\":$iw2,\"type\":\"delete\"' $D/watch &&
     [ \$(grep -c '\"type\"' $D/watch) = 2 ]"

# ---- two clients incrementing one counter with CAS ---------------------
put "$L" ctr 0 >/dev/null
incr() { # node tag rounds
    for r in $(seq 1 "$3"); do
        "$SEALKV" --endpoint "$(skv_endpoint "$1")" --retry 15 --json get ctr >"$D/g.$2" 2>/dev/null || continue
        v=$(sed -n 's/.*"value":"\([^"]*\)".*/\1/p' "$D/g.$2" | base64 -d)
        m=$(sed -n 's/.*"mod_index":\([0-9]*\).*/\1/p' "$D/g.$2")
        "$SEALKV" --endpoint "$(skv_endpoint "$1")" --retry 15 put ctr $((v + 1)) --prev-index "$m" \
            >/dev/null 2>&1
        echo "$? $m" >>"$D/cas.$2"
    done
}
: >"$D/cas.x"; : >"$D/cas.y"
incr "$L" x 25 &
p1=$!
incr "$F" y 25 &
p2=$!
wait $p1 $p2
ok=$(cat "$D/cas.x" "$D/cas.y" | grep -c '^0 ')
failed=$(cat "$D/cas.x" "$D/cas.y" | grep -c '^4 ')
other=$(cat "$D/cas.x" "$D/cas.y" | grep -vc '^[04] ')
skv_log "CAS increments: $ok succeeded, $failed compare failed, $other other"
skv_assert "every CAS answered success or compare failed" [ "$other" = 0 ]
skv_assert "final counter = number of successful CAS ($ok)" skv_get_eq "$L" ctr "$ok"
dups=$(cat "$D/cas.x" "$D/cas.y" | grep '^0 ' | sort | uniq -d)
skv_assert "no prev_index won twice" [ -z "$dups" ]

# ---- a recorded CAS workload, checked for linearizability --------------
"$B/tests/lincheck/lclient" --endpoints "$(skv_endpoint 1),$(skv_endpoint 2),$(skv_endpoint 3)" \
    --out "$D/history" --clients 6 --keys 2 --key-prefix lc --tag cas --duration 6 \
    --cas-pct 60 --txn-pct 40 --put-pct 30 --think-ms 2 >"$D/lclient.out" 2>"$D/lclient.err"
"$B/tests/lincheck/lclient" --final-read --endpoints "$(skv_endpoint "$L")" --out "$D/history" \
    --keys 2 --key-prefix lc --tag final >/dev/null 2>&1
skv_log "lclient: $(cat "$D/lclient.out")"
skv_assert "the workload swapped and failed compares" \
    sh -c "grep -q 'cas_ok=[1-9]' $D/lclient.out && grep -q ' fail cas ' $D/history"
skv_assert "some compare-and-swaps went as transactions (issue 16 item 5)" grep -q 'cas_txn=[1-9]' "$D/lclient.out"
skv_assert "no unexpected answer" grep -q ' unexpected=0 ' "$D/lclient.out"
"$B/tests/lincheck/lincheck" -q "$D/history" >"$D/lincheck.out" 2>&1; rc=$?
skv_log "$(tail -1 "$D/lincheck.out")"
skv_assert "the CAS history is linearizable (lincheck exit $rc)" [ "$rc" = 0 ]

# ---- encryption phases, snapshot install, restart ----------------------
code=$(skv_enc_post "$L" enable-storage-envelope)
skv_assert "phase 1 ($code)" [ "$code" = 200 ]
is=$(put "$L" sealed s1)
skv_assert "a sealed value reads with its revision" rev_is "$F" sealed "$is $is"
code=$(skv_enc_post "$L" enable-raft-envelope)
skv_assert "phase 2 ($code)" [ "$code" = 200 ]
is2=$(put "$F" sealed s2 "--prev-index $is")
skv_assert "CAS above the cutover ($is2)" rev_is "$L" sealed "$is2 $is"
skv_cli "$G" put sealed s3 --prev-index "$is" >/dev/null 2>&1; rc=$?
skv_assert "stale CAS above the cutover: exit 4" [ "$rc" = 4 ]
for k in $(seq 1 80); do skv_cli "$L" put "fill$k" "v$k" >/dev/null || skv_fail "put fill$k"; done
ra=$(rev "$L" a); rs=$(rev "$L" sealed); rc_=$(rev "$L" ctr)

skv_start 4
skv_wait 10 "node 4 answers status" skv_status_field 4 id
skv_assert "add node 4 as standby" skv_cli "$L" members add 4 "127.0.0.1:$(skv_rport 4)" --standby
skv_wait 30 "node 4 caught up" skv_all_local_eq fill80 v80 4
skv_assert "node 4 installed a snapshot" grep -q "installing snapshot from the leader" "$D/n4.log"
skv_assert "after the snapshot install: a's revision ($ra)" rev_is 4 a "$ra" "?consistency=local"
skv_assert "after the snapshot install: sealed's revision ($rs)" rev_is 4 sealed "$rs" "?consistency=local"
skv_assert "after the snapshot install: ctr's revision ($rc_)" rev_is 4 ctr "$rc_" "?consistency=local"

# the key set (docs/PERFORMANCE.md "Growth"): node 4's came with the
# snapshot; on every node it is in use and holds the same keys; a node
# whose set missed a key would give an overwrite a new create index
ks() { curl -s "$(skv_endpoint "$1")/metrics" | awk -v s="sealkv_fsm_key_set_$2" '$1 == s {print $2}'; }
ks_same() { [ "$(ks "$1" on)" = 1 ] && [ "$(ks "$1" keys)" = "$(ks "$2" keys)" ] && [ "$(ks "$1" keys)" -gt 80 ]; }
skv_assert "node 4's key set is on, with the leader's key count ($(ks "$L" keys))" \
    skv_wait 10 "key sets agree" ks_same 4 "$L"
ac=$(echo "$ra" | cut -d' ' -f2)
ia=$(put "$L" a a-after-install)
skv_assert "node 4: an overwrite after the install keeps a's create index ($ac)" \
    skv_wait 10 "node 4 applied a" rev_is 4 a "$ia $ac" "?consistency=local"
skv_assert "delete fill1" sh -c "\"$SEALKV\" --endpoint $(skv_endpoint "$L") --retry 15 del fill1 >/dev/null"
if1=$(put "$L" fill1 again)
skv_assert "node 4: fill1 re-created after a delete: create = mod = $if1" \
    skv_wait 10 "node 4 applied fill1" rev_is 4 fill1 "$if1 $if1" "?consistency=local"
ra=$(rev "$L" a); kb=$(ks "$L" keys)

for i in 1 2 3 4; do skv_stop $i; done
for i in 1 2 3 4; do skv_start $i; done
skv_wait 20 "a leader after the restart" skv_leader
L=$(skv_leader)
skv_assert "after a restart: a's revision ($ra)" skv_wait 20 "a readable" rev_is "$L" a "$ra"
skv_assert "after a restart: sealed's revision ($rs)" rev_is "$L" sealed "$rs"
skv_assert "after a restart: node 4 local, ctr ($rc_)" \
    skv_wait 20 "node 4 serves ctr" rev_is 4 ctr "$rc_" "?consistency=local"
for i in 1 2 3 4; do
    skv_assert "node $i: after the restart its key set is on, with $kb keys (the scan at start)" \
        sh -c "[ \"\$(curl -s $(skv_endpoint $i)/metrics | awk '\$1 == \"sealkv_fsm_key_set_on\" {print \$2}')\" = 1 ] &&
               [ \"\$(curl -s $(skv_endpoint $i)/metrics | awk '\$1 == \"sealkv_fsm_key_set_keys\" {print \$2}')\" = $kb ]"
done
ic=$(put "$L" ctr 1000)
cc=$(echo "$rc_" | cut -d' ' -f2)
for i in 1 2 3 4; do
    skv_assert "node $i: an overwrite after the restart keeps ctr's create index ($cc)" \
        skv_wait 10 "node $i applied ctr" rev_is $i ctr "$ic $cc" "?consistency=local"
done
cur=$(echo "$rs" | cut -d' ' -f1)
inext=$(put "$L" sealed s4 "--prev-index $cur")
skv_assert "CAS after the restart ($inext)" [ -n "$inext" ]
skv_finish
