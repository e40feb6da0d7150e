#!/bin/sh
# SPDX-License-Identifier: MIT
# check_abi.sh — the ABI guard (docs/ABI.md): compares the plugin-facing
# ABI of the abi/sealkv headers, as built into tests/abi/abi_surface.so,
# with the committed baseline tests/abi/baseline.abi, using libabigail
# (Debian package abigail-tools).
#
# Passes when nothing changed, or when every change is an allowed
# addition AND SKV_ABI_MINOR grew:
#   - members appended at the end of a struct that carries struct_size
#     (the growable ones below; never skv_err, skv_batch_op, skv_iov,
#     whose sizes callers compile in);
#   - enumerators added to an enum (the *_COUNT_ sentinel may grow);
#   - new interface functions in the surface (a new header or kind).
# Fails on anything else: a moved, removed, retyped or resized member, a
# changed function-pointer signature, a renumbered enumerator, a changed
# pinned constant, a removed symbol. abidiff itself sets bit 3
# (incompatible) only for removed symbols; a reordered member is only
# bit 2 (changed), which is why the changes are classified here.
#
# Skips (77) when abidw/abidiff are missing or on a non-LP64 build (the
# baseline is LP64). `make abi-baseline` rewrites the baseline after a
# reviewed change. Knobs for trying it out: SKV_ABI_SO (object to check),
# SKV_ABI_BASELINE (baseline file).
set -u
src=${SKV_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${SKV_TOP_BUILDDIR:-.}
so=${SKV_ABI_SO:-$build/tests/abi/abi_surface.so}
baseline=${SKV_ABI_BASELINE:-$src/tests/abi/baseline.abi}

# Structs that start with struct_size and so may grow at the end.
GROWABLE="skv_plugin skv_host skv_admin_req skv_admin_resp skv_storage_ops
skv_transport_ops skv_cipher_ops skv_cipher_suite skv_admin_ops"

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
if [ ! -f "$so" ]; then
    echo "FAIL: $so is missing (built by 'make check' from tests/abi/abi_surface.c)"
    exit 1
fi
if [ ! -f "$baseline" ]; then
    echo "FAIL: baseline $baseline is missing (make abi-baseline writes it)"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/skv-abi.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
if ! abidw --no-corpus-path --no-comp-dir-path --short-locs --no-architecture \
        --out-file "$tmp/current.abi" "$so"; then
    echo "FAIL: abidw could not read $so"
    exit 1
fi

abidiff --leaf-changes-only --impacted-interfaces "$baseline" "$tmp/current.abi" \
    >"$tmp/report" 2>&1
rc=$?
echo "abidiff $(basename "$baseline") $(basename "$so"): exit $rc" \
     "(bit 0 error, 1 usage, 2 ABI change, 3 incompatible change)"
if [ $rc -eq 0 ]; then
    echo "PASS: the plugin ABI matches the baseline"
    exit 0
fi
cat "$tmp/report"
if [ $((rc & 3)) -ne 0 ]; then
    echo "FAIL: abidiff did not run properly"
    exit 1
fi
if [ $((rc & 8)) -ne 0 ]; then
    echo "FAIL: incompatible ABI change (removed interface): needs SKV_ABI_MAJOR + 1"
    exit 1
fi

# rc is 4: classify every reported change (anything unrecognised fails).
awk -v growable="$GROWABLE" '
# One message per offending change block (abidiff printed the details).
function bad(msg) { if (!(blk in said)) { print "  not allowed: " msg; said[blk] = 1; nbad++ } }
BEGIN {
    n = split(growable, g, /[ \n]+/)
    for (i = 1; i <= n; i++) grow[g[i]] = 1
    q = sprintf("%c", 39)
    blk = 0
}
/^$/ || /^Leaf changes summary:/ || /^Changed leaf types summary:/ ||
/^Removed\/Changed\/Added (functions|variables) summary:/ { next }
/^(one|[0-9]+) Added functions?:$/ { blk++; kind = "added"; sect = ""; next }
kind == "added" && /^  \[A\] / { adds++; next }
$0 ~ "^" q "(struct|enum) [A-Za-z0-9_]+( at [^" q "]*)?" q " changed:$" {
    blk++; kind = $1; sub(q, "", kind); what = $2; sub(q, "", what)
    what = kind " " what; sect = ""; oldsize = -1
    if (kind == "struct" && !($2 in grow) && !(substr($2, 1, length($2) - 1) in grow))
        bad(what " has no struct_size: its layout is frozen for the major")
    next
}
/^  (one|[0-9]+) impacted interfaces?:$/ { sect = "impacted"; next }
sect == "impacted" && /^    (function|variable) / { next }
/^  type size hasn.t changed$/ { next }
kind == "struct" && /^  type size changed from [0-9]+ to [0-9]+ \(in bits\)$/ {
    oldsize = $5 + 0
    if ($7 + 0 <= oldsize) bad(what " shrank")
    next
}
kind == "struct" && /^  (one|[0-9]+) data member insertions?:$/ { sect = "ins"; next }
kind == "struct" && sect == "ins" && /, at offset [0-9]+ \(in bits\)/ {
    off = match($0, /at offset [0-9]+/) ? substr($0, RSTART + 10, RLENGTH - 10) : -1
    if (oldsize < 0 || off + 0 < oldsize)
        bad(what ": a member was inserted before the old end")
    else
        adds++
    next
}
kind == "struct" && /^  (there are data member changes|(one|[0-9]+) data member changes?):$/ {
    sect = "chg"; bad(what ": existing members moved or changed type"); next
}
kind == "struct" && /^  (one|[0-9]+) data member deletions?:$/ {
    sect = "del"; bad(what ": members were removed"); next
}
(sect == "chg" || sect == "del") && /^    / { next }
kind == "enum" && /^  (one|[0-9]+) enumerator insertions?:$/ { sect = "eins"; next }
kind == "enum" && sect == "eins" && /^    .[A-Za-z0-9_]+::[A-Za-z0-9_]+. value / { adds++; next }
kind == "enum" && /^  (one|[0-9]+) enumerator changes?:$/ { sect = "echg"; next }
kind == "enum" && sect == "echg" && / from value / {
    e = $1; gsub(q, "", e)
    from = match($0, /from value .-?[0-9]+/) ? substr($0, RSTART + 12, RLENGTH - 12) : 0
    to = match($0, / to .-?[0-9]+/) ? substr($0, RSTART + 5, RLENGTH - 5) : 0
    if (e == "skv_abi_version::SKV_ABI_VERSION_MINOR" && to + 0 > from + 0)
        minor_up = 1
    else if (e ~ /_COUNT_$/ && to + 0 > from + 0)
        ;
    else {
        said[blk "." e] = 1
        print "  not allowed: enumerator " e " changed value from " from " to " to
        nbad++
    }
    next
}
{ bad((what != "" ? what ": " : "") "unexpected change: " $0) }
END {
    blk = "end"
    if (!nbad && !adds && !minor_up)
        bad("abidiff reported a change that is neither an addition nor a minor bump")
    if (!nbad && adds && !minor_up)
        bad(adds " addition(s) without a higher SKV_ABI_MINOR: bump it in <sealkv/plugin.h>")
    exit nbad ? 1 : 0
}' "$tmp/report"
if [ $? -ne 0 ]; then
    echo "FAIL: ABI change that a minor version may not make (docs/ABI.md): keep"
    echo "      the old layout, or bump SKV_ABI_MAJOR and run 'make abi-baseline'"
    exit 1
fi
echo "PASS: only appended members, new enumerators or new interfaces, with a"
echo "      higher SKV_ABI_MINOR; 'make abi-baseline' records them once released"
exit 0
