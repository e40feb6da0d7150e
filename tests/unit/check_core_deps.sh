#!/bin/sh
# SPDX-License-Identifier: MIT
# check_core_deps.sh — the folder graph of core/ (docs/ARCHITECTURE.md):
#   - every core include names its folder ("wire/wire.h", never "wire.h");
#   - folder→folder include edges, printed as "from -> to  N  file>header";
#   - no cycle between folders except inside the node cluster that
#     ARCHITECTURE.md names and justifies (SKV_CORE_CLUSTER below): with
#     the cluster collapsed into one vertex, tsort must find no loop.
# Usage: check_core_deps.sh [--edges]   (--edges: print the edges only)
top="${SKV_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$top/core" || exit 1
# Keep in step with docs/ARCHITECTURE.md "Folder cycles".
SKV_CORE_CLUSTER="node intake peer admin fsm"
fail=0

bad=$(grep -n '#include "[^/"]*"' */*.c */*.h | grep -v '"build-config.h"')
if [ -n "$bad" ]; then
    echo "FAIL: core includes without their folder:"; echo "$bad" | sed 's/^/  /'
    fail=1
fi

# from to file>header, one line per include of another folder's header
edges=$(grep -o '#include "[a-z_]*/[a-z_0-9]*\.h"' */*.c */*.h |
    sed 's|^\([a-z_]*\)/\([^:]*\):#include "\([a-z_]*\)/\([^"]*\)"|\1 \3 \2>\4|' |
    awk '$1 != $2' | sort)
if [ "${1:-}" = --edges ]; then
    echo "$edges" | awk '{n[$1" -> "$2]++; ex[$1" -> "$2]=ex[$1" -> "$2]" "$3}
        END {for (k in n) print k, n[k], ex[k]}' | sort
    exit 0
fi

loops=$(echo "$edges" | awk -v cl="$SKV_CORE_CLUSTER" '
    BEGIN {n = split(cl, c, " "); for (i = 1; i <= n; i++) in_cl[c[i]] = 1}
    {a = ($1 in in_cl) ? "CLUSTER" : $1; b = ($2 in in_cl) ? "CLUSTER" : $2
     if (a != b) print a, b}' | sort -u | tsort 2>&1 >/dev/null)
if [ -n "$loops" ]; then
    echo "FAIL: a folder cycle outside the documented node cluster ($SKV_CORE_CLUSTER):"
    echo "$loops" | sed 's/^/  /'
    echo "  (edges: $0 --edges; document or remove it: docs/ARCHITECTURE.md)"
    fail=1
else
    echo "ok: core folders form a DAG outside the node cluster ($SKV_CORE_CLUSTER)"
fi
exit $fail
