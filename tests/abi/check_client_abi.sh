#!/bin/sh
# SPDX-License-Identifier: MIT
# check_client_abi.sh — libsealkv-client's ABI guard (docs/INTERFACE.md
# "Stability"): compares the exported skv_client_* interface of
# tests/abi/client_surface.so (the library's sources, fixed flags) with
# the committed tests/abi/client_baseline.abi, libabigail comparing only
# types defined in the public header (client/sealkv/client.h; the
# library's own structs behind the opaque handle may change freely).
#
# Passes when nothing changed, or when every change is an addition a
# minor release may make: a new function, new enumerators. Fails on
# anything else: a removed or retyped function, a changed struct layout
# (structs never change within a major), a renumbered enumerator.
# `make client-abi-baseline` records a reviewed change when it is
# released. Skips (77) without abidw/abidiff or on a non-LP64 build.
set -u
src=${SKV_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SKV_TOP_BUILDDIR:-.}
so=${SKV_CLIENT_ABI_SO:-$build/tests/abi/client_surface.so}
baseline=${SKV_CLIENT_ABI_BASELINE:-$src/tests/abi/client_baseline.abi}
hdrs=$src/client/sealkv

for t in abidw abidiff; do
    if ! command -v "$t" >/dev/null 2>&1; then
        echo "SKIP: $t not found: install the Debian package abigail-tools (.ci/deps.sh does)"
        exit 77
    fi
done
if [ "$(getconf LONG_BIT 2>/dev/null)" != 64 ]; then
    echo "SKIP: the ABI baseline is LP64; this is a $(getconf LONG_BIT)-bit build"
    exit 77
fi
for f in "$so" "$baseline"; do
    [ -f "$f" ] || { echo "FAIL: $f is missing (make check builds the surface; make client-abi-baseline writes the baseline)"; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/skv-cabi.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
if ! abidw --no-corpus-path --no-comp-dir-path --short-locs --no-architecture \
        --headers-dir "$hdrs" --drop-private-types --out-file "$tmp/current.abi" "$so"; then
    echo "FAIL: abidw could not read $so"
    exit 1
fi
abidiff --headers-dir1 "$hdrs" --headers-dir2 "$hdrs" --leaf-changes-only \
    "$baseline" "$tmp/current.abi" >"$tmp/report" 2>&1
rc=$?
echo "abidiff client_baseline.abi client_surface.so: exit $rc" \
     "(bit 0 error, 1 usage, 2 ABI change, 3 incompatible change)"
[ $rc -eq 0 ] && { echo "PASS: libsealkv-client's ABI matches the baseline"; exit 0; }
cat "$tmp/report"
[ $((rc & 3)) -eq 0 ] || { echo "FAIL: abidiff did not run properly"; exit 1; }
[ $((rc & 8)) -eq 0 ] || { echo "FAIL: a function was removed: that is a new major (SKV_CLIENT_MAJOR, soname)"; exit 1; }
# rc 4: only added functions and enumerator insertions may pass
if awk -v q="'" '
/^$/ || /summary:/ { next }
/^(one|[0-9]+) Added functions?:$/ { sect = "add"; next }
sect == "add" && /^  \[A\] / { next }
$0 ~ "^" q "enum [A-Za-z0-9_]+( at [^" q "]*)?" q " changed:$" { sect = "enum"; next }
sect == "enum" && /^  type size hasn.t changed$/ { next }
sect == "enum" && /^  (one|[0-9]+) enumerator insertions?:$/ { sect = "eins"; next }
sect == "eins" && /^    .[A-Za-z0-9_]+::[A-Za-z0-9_]+. value / { next }
/^  (one|[0-9]+) impacted interfaces?:$/ { next }
/^    function / { next }
{ print "  not allowed: " $0; bad = 1 }
END { exit bad }' "$tmp/report"; then
    echo "PASS: only additions (new functions, new enumerators): a new minor;"
    echo "      'make client-abi-baseline' records them once released"
    exit 0
fi
echo "FAIL: an ABI change a minor release may not make (docs/INTERFACE.md): keep the"
echo "      old layout and signatures, or start a new major"
exit 1
