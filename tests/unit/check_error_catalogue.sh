#!/bin/sh
# SPDX-License-Identifier: MIT
# check_error_catalogue.sh — the error catalogue core/util/errors.def:
#   - every name is unique and an "Err" identifier, every status a valid
#     HTTP status, every retry class one of NO/SOON/LATER/UNKNOWN;
#   - every retryable name is 503 (504 for the gateway timeout
#     ErrTimeout): its replies carry Retry-After;
#   - no "ErrXxx" string literal in core/, plugins/ or client/lib/ outside errors.def:
#     code names an id (SKV_ErrNotLeader), so a typo does not compile.
#     The admin-http plugin compiles against abi/ only; its own few names
#     live in one table, plugins/admin-http/http_errors.h, and each must
#     be in the catalogue with the same status and retryability.
top="${SKV_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$top" || exit 1
def=core/util/errors.def
plug=plugins/admin-http/http_errors.h
# Files not converted yet (each line: a path): none left; a conversion in
# progress may list its files in the environment.
SKV_ERR_TODO="${SKV_ERR_TODO-}"
fail=0

rows=$(sed -n 's/^SKV_ERROR(\([A-Za-z0-9]*\), *\([A-Z_]*\), *\([0-9]*\), *\([A-Z]*\))$/\1 \2 \3 \4/p' "$def")
n=$(grep -c '^SKV_ERROR(' "$def")
if [ "$(echo "$rows" | grep -c .)" != "$n" ]; then
    echo "FAIL: $def: a SKV_ERROR line does not parse"; fail=1
fi
dup=$(echo "$rows" | awk '{print $1}' | sort | uniq -d)
[ -z "$dup" ] || { echo "FAIL: duplicate names: $dup"; fail=1; }
bad=$(echo "$rows" | awk '
    $1 !~ /^Err[A-Z][A-Za-z0-9]*$/ { print "name " $0; next }
    $2 !~ /^SKV_ERR_[A-Z]+$/ { print "rc " $0; next }
    $3 !~ /^(400|401|403|404|405|409|410|412|413|500|503|504)$/ { print "status " $0; next }
    $4 !~ /^(NO|SOON|LATER|UNKNOWN)$/ { print "retry " $0; next }
    $4 != "NO" && !($3 == 503 || ($3 == 504 && $1 == "ErrTimeout")) { print "retryable not 503 " $0 }')
[ -z "$bad" ] || { echo "FAIL: $def:"; echo "$bad" | sed 's/^/  /'; fail=1; }

# "ErrXxx" literals outside the catalogue (comments included: a name in a
# comment is documentation, but it must be a catalogue name).
names=$(echo "$rows" | awk '{print $1}')
lits=$(grep -rnoE '"Err[A-Z][A-Za-z0-9]*' core plugins client/lib --include='*.c' --include='*.h' |
    grep -v "^$def:")
unknown=$(echo "$lits" | sed 's/.*"//' | sort -u | grep -vxF "$names" | grep .)
[ -z "$unknown" ] || { echo "FAIL: names not in $def:"; echo "$unknown" | sed 's/^/  /'; fail=1; }
stray=$(echo "$lits" | grep -v "^$plug:" | grep . |
    while IFS=: read -r f l rest; do
        echo "$SKV_ERR_TODO" | grep -qxF "$f" || echo "$f:$l:$rest"
    done)
if [ -n "$stray" ]; then
    echo "FAIL: \"ErrXxx\" literals outside $def (name an id, SKV_ErrXxx):"
    echo "$stray" | sed 's/^/  /'; fail=1
fi

# the plugin's own names: SKV_HTTP_ERROR(name, status, retryable)
prow=$(sed -n 's/^ *X(\(Err[A-Za-z0-9]*\), *\([0-9]*\), *\([01]\)).*/\1 \2 \3/p' "$plug")
[ -n "$prow" ] || { echo "FAIL: $plug: no X(name, status, retryable) rows"; fail=1; }
pbad=$(printf '%s\n%s\n' "$rows" "--" "$prow" | awk '
    $0 == "--" { p = 1; next }
    NF == 0 { next }
    !p { st[$1] = $3; rt[$1] = ($4 != "NO"); next }
    !($1 in st) { print "unknown " $1; next }
    st[$1] != $2 || rt[$1] != $3 { print $1 ": plugin " $2 "/" $3 ", catalogue " st[$1] "/" rt[$1] }')
[ -z "$pbad" ] || { echo "FAIL: $plug vs $def:"; echo "$pbad" | sed 's/^/  /'; fail=1; }

# docs/INTERFACE.md's error table: | `ErrX` [/ `ErrY`] | status | when |
ibad=$(sed -n 's/^| \(`Err.*`\) | \([0-9][0-9]*\) |.*/\1 \2/p' docs/INTERFACE.md |
    while read -r line; do
        st=${line##* }
        for nm in $(echo "$line" | grep -o 'Err[A-Za-z0-9]*'); do
            echo "$rows" | awk -v n="$nm" -v s="$st" '$1 == n && $3 == s {ok = 1}
                END {if (!ok) print n " " s}'
        done
    done)
[ -z "$ibad" ] || { echo "FAIL: docs/INTERFACE.md disagrees with $def:"; echo "$ibad" | sed 's/^/  /'; fail=1; }

[ "$fail" = 0 ] && echo "PASS: $n names; admin-http's $(echo "$prow" | grep -c .) names agree; $(echo "$SKV_ERR_TODO" | grep -c .) files still to convert"
exit $fail
