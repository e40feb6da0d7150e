#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/run-all.sh — the whole test suite from a clean checkout: regular
# build with -Werror + make check (with --enable-fault-injection: the chaos
# transport and the fault scenarios), ASan/UBSan build + make check, make
# distcheck, and the fuzz smoke run. Prints "N passed, N failed" at the end.
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
JOBS=${JOBS:-2}
pass=0; fail=0
log() { printf '\n=== %s ===\n' "$*"; }

count() { # $1 = build dir: add its test-suite.log totals
    f="$1/test-suite.log"
    [ -f "$f" ] || return 0
    p=$(sed -n 's/^# PASS: *//p' "$f" | head -1)
    x=$(sed -n 's/^# FAIL: *//p' "$f" | head -1)
    e=$(sed -n 's/^# ERROR: *//p' "$f" | head -1)
    pass=$((pass + ${p:-0})); fail=$((fail + ${x:-0} + ${e:-0}))
}

step() { # name, command...
    name=$1; shift
    log "$name"
    if "$@"; then echo "step ok: $name"; else echo "step FAILED: $name"; fail=$((fail + 1)); fi
}

build_check() { # dir, configure flags...
    dir=$1; shift
    rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" &&
        "$top/configure" -q "$@" && make -j"$JOBS" >make.log 2>&1 ||
        { tail -40 "$dir/make.log" 2>/dev/null; cd "$top"; return 1; }
    make -j"$JOBS" check >check.log 2>&1
    rc=$?
    grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):' check.log
    [ $rc -eq 0 ] || failed_logs "$dir" | tee -a "$top/failed-tests.txt"
    cd "$top"
    return $rc
}

# The end of each failed test's log (automake writes ":test-result: FAIL"
# into the test's .trs file).
failed_logs() {
    for t in $(find "$1/tests" -name '*.trs' 2>/dev/null); do
        grep -q -E '^:test-result: (FAIL|ERROR)' "$t" || continue
        echo "--- ${t%.trs}.log (last 80 lines)"
        tail -80 "${t%.trs}.log"
    done
}

rm -f "$top/failed-tests.txt"
step "autogen" ./autogen.sh
step "build + make check" build_check "$top/_build" --enable-werror --enable-fault-injection
count "$top/_build"
step "sanitizers (ASan+UBSan) + make check" build_check "$top/_build-san" --enable-werror --enable-sanitizers
count "$top/_build-san"
step "distcheck" sh -c "cd '$top/_build' && make -j$JOBS distcheck >distcheck.log 2>&1 || { tail -60 distcheck.log; exit 1; }"
# run through sh: a lost executable bit must not skip the fuzz smoke
step "fuzz smoke" sh "$top/tests/fuzz/smoke.sh"
# again at the very end, where a truncated CI excerpt still shows it
[ -s "$top/failed-tests.txt" ] && { echo; echo "=== failed tests' logs ==="; cat "$top/failed-tests.txt"; }
echo
echo "suite: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
