#!/bin/sh
# SPDX-License-Identifier: MIT
# test_lincheck.sh — the linearizability checker on hand-written
# histories (tests/lincheck/histories: ok-* must pass, bad-* must fail,
# err-* must be refused as malformed), the minimal offending window and
# the lost-write count on known cases, and random histories of a correct
# register (2000 operations, ~12 concurrent, unknown and failed outcomes)
# that must pass quickly, and fail once a lost write is planted.
B=${SKV_TOP_BUILDDIR:-.}
S=${SKV_TOP_SRCDIR:-.}
LC="$B/tests/lincheck/lincheck"
H="$S/tests/lincheck/histories"
T=$(mktemp -d "${TMPDIR:-/tmp}/lincheck-XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0; n=0
ok() { n=$((n + 1)); echo "ok: $*"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

for f in "$H"/*.hist; do
    b=$(basename "$f" .hist)
    "$LC" "$f" >"$T/out" 2>&1
    rc=$?
    case $b in
        ok-*) want=0 ;;
        bad-*) want=1 ;;
        err-*) want=2 ;;
    esac
    if [ "$rc" = "$want" ]; then ok "$b: exit $rc"; else bad "$b: exit $rc, want $want"; cat "$T/out"; fi
    case $b in bad-*)
        grep -q '^LINCHECK .*verdict=fail' "$T/out" || bad "$b: no verdict=fail summary" ;;
    esac
    case $b in ok-*)
        grep -q '^LINCHECK .*lost=0 verdict=ok' "$T/out" || bad "$b: no verdict=ok summary" ;;
    esac
done

"$LC" "$H/bad-window-5-of-12.hist" >"$T/out"
if grep -q "minimal non-linearizable prefix: 5 of its 12 operations" "$T/out" &&
   grep -q "c3 *get v1 " "$T/out" && ! grep -q " v3 " "$T/out"; then
    ok "minimal window: the first 5 operations, ending at the offending read"
else bad "minimal window"; cat "$T/out"; fi
# the window it prints is itself a failing history
sed -n 's/^    //p' "$T/out" >"$T/window.hist"
"$LC" "$T/window.hist" >/dev/null; rc=$?
[ $rc = 1 ] && ok "the printed window, fed back, fails (exit $rc)" || bad "printed window exit $rc"

"$LC" "$H/bad-lost-write.hist" >"$T/out"
grep -q 'lost=2 verdict=fail' "$T/out" && ok "lost writes counted (2)" || { bad "lost count"; cat "$T/out"; }
"$LC" "$H/bad-stale-read.hist" >"$T/out"
grep -q 'acked_puts=2 keys=1 lost=1' "$T/out" && ok "stale final read: 1 lost write" || { bad "stale lost"; cat "$T/out"; }
"$LC" "$H/bad-two-keys.hist" >"$T/out"
if grep -q "key y: NOT linearizable" "$T/out" && ! grep -q "key x: NOT" "$T/out"; then
    ok "only the bad key is reported"; else bad "two keys"; cat "$T/out"; fi
"$LC" "$H/ok-info-took-effect.hist" >"$T/out"
grep -q 'ops=3 ok=2 fail=0 info=1 acked_puts=1' "$T/out" && ok "counts" || { bad "counts"; cat "$T/out"; }
"$LC" - </dev/null >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && ok "a stray option is a usage error" || bad "usage exit $rc"
"$LC" </dev/null >"$T/out"; rc=$?
[ $rc = 0 ] && grep -q 'ops=0' "$T/out" && ok "empty history" || bad "empty history exit $rc"

for seed in 1 2 3; do
    awk -v n=2000 -v keys=5 -v w=60000 -v seed=$seed -f "$S/tests/lincheck/gen_history.awk" |
        sort -n -k6 >"$T/rand.hist"
    start=$(date +%s)
    "$LC" -q "$T/rand.hist" >"$T/out"; rc=$?
    el=$(($(date +%s) - start))
    if [ $rc = 0 ] && [ $el -le 20 ]; then ok "random correct history seed $seed: linearizable in ${el}s ($(tail -1 "$T/out"))"
    else bad "random correct history seed $seed: exit $rc in ${el}s"; tail -5 "$T/out"; fi
    awk -v n=2000 -v keys=5 -v w=60000 -v seed=$seed -v bad=1 -f "$S/tests/lincheck/gen_history.awk" |
        sort -n -k6 >"$T/rand-bad.hist"
    "$LC" -q "$T/rand-bad.hist" >"$T/out"; rc=$?
    if [ $rc = 1 ] && grep -q "key k0: NOT linearizable" "$T/out" && grep -q "lost=[1-9]" "$T/out"; then
        ok "random history seed $seed with a lost write: key k0 fails"
    else bad "random bad history seed $seed: exit $rc"; tail -5 "$T/out"; fi
done
# a wide window: ~20 operations concurrent
awk -v n=600 -v keys=1 -v w=100000 -v seed=9 -f "$S/tests/lincheck/gen_history.awk" | sort -n -k6 >"$T/wide.hist"
start=$(date +%s)
"$LC" -q "$T/wide.hist" >"$T/out"; rc=$?
el=$(($(date +%s) - start))
[ $rc = 0 ] && ok "600 operations on one key, ~20 concurrent: linearizable in ${el}s" || { bad "wide: exit $rc"; tail -3 "$T/out"; }
"$LC" -q --max-steps 10 "$T/wide.hist" >"$T/out"; rc=$?
[ $rc = 3 ] && grep -q 'verdict=unknown' "$T/out" && ok "search budget exhausted: exit 3, verdict=unknown" || bad "budget exit $rc"

echo "$n checks, $fails failed"
[ $fails -eq 0 ]
